"""API: who am I, and my API tokens (list, create, revoke; browser session only)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from kindred.accounts import token_selectors
from kindred.accounts.adapter import signed_in_recently
from kindred.accounts.models import ApiToken, User
from kindred.accounts.scopes import Scope
from kindred.accounts.token_services import api_token_create, api_token_revoke
from kindred.practice.roles import Capability, Role, require

# One choice set for every field that names scopes, so the schema has one ScopeEnum
# (settings.SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] points here).
SCOPE_CHOICES = [(s.value, s.value) for s in Scope]


class IsSignedIn(BasePermission):
    """Any active person, by session or by a valid token whatever its scopes."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_active)


class SessionOnly(BasePermission):
    """Tokens may not manage tokens: a leaked token must not be able to mint more."""

    message = _("API tokens are managed from a signed-in browser session, not with a token.")

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(
            user
            and user.is_authenticated
            and user.is_active
            and not isinstance(request.auth, ApiToken)
        )


def _user(request: Request) -> User:
    user = request.user
    assert isinstance(user, User)  # noqa: S101 - the permission classes ran first
    return user


class MeSerializer(serializers.Serializer[dict[str, Any]]):
    id = serializers.IntegerField(read_only=True)
    email = serializers.EmailField(read_only=True)
    full_name = serializers.CharField(read_only=True)
    kind = serializers.ChoiceField(choices=["staff", "member"], read_only=True)
    roles = serializers.ListField(
        child=serializers.ChoiceField(choices=[r.value for r in Role]), read_only=True
    )
    auth = serializers.ChoiceField(
        choices=["session", "token"], read_only=True, help_text="How this request signed in."
    )
    token_scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=SCOPE_CHOICES),
        read_only=True,
        allow_null=True,
        help_text="The scopes of the token this request used (null for a session).",
    )


class MeView(APIView):
    permission_classes = [IsSignedIn]

    @extend_schema(
        operation_id="me_retrieve",
        responses={200: MeSerializer},
        summary="Who am I: the signed-in person, their roles, and the token's scopes",
        description="Works with a session or with any valid token, whatever its scopes.",
    )
    def get(self, request: Request) -> Response:
        user = _user(request)
        token = request.auth if isinstance(request.auth, ApiToken) else None
        data = {
            "id": user.pk,
            "email": user.email,
            "full_name": user.full_name,
            "kind": user.kind,
            "roles": sorted(r.value for r in user.roles),
            "auth": "token" if token else "session",
            "token_scopes": sorted(token.scopes) if token else None,
        }
        return Response(MeSerializer(data).data)


class TokenSerializer(serializers.ModelSerializer[ApiToken]):
    scopes = serializers.ListField(child=serializers.ChoiceField(choices=SCOPE_CHOICES))

    class Meta:
        model = ApiToken
        fields = [
            "id", "name", "prefix", "scopes", "created_at", "expires_at", "last_used_at",
            "revoked_at",
        ]  # fmt: skip
        read_only_fields = fields


class TokenCreateSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=80)
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=SCOPE_CHOICES), allow_empty=False
    )
    expires_in_days = serializers.IntegerField(min_value=1, max_value=366, default=90)


class TokenCreatedSerializer(TokenSerializer):
    token = serializers.CharField(
        read_only=True, help_text="The token itself. Shown in this response only."
    )

    class Meta(TokenSerializer.Meta):
        fields = [*TokenSerializer.Meta.fields, "token"]
        read_only_fields = fields


REAUTH_MESSAGE = _(
    "Creating a token needs a recent sign-in. Confirm your password on the account page "
    "(or sign in again), then retry within 10 minutes."
)


def _recently_authenticated(request: HttpRequest) -> bool:
    from allauth.account.internal.flows.reauthentication import did_recently_reauthenticate

    return signed_in_recently(request) or bool(did_recently_reauthenticate(request))


class TokenListView(APIView):
    permission_classes = [SessionOnly]

    @extend_schema(
        operation_id="tokens_list",
        responses={200: TokenSerializer(many=True)},
        summary="Your API tokens that are not revoked (browser session only)",
    )
    def get(self, request: Request) -> Response:
        tokens = token_selectors.api_token_list(actor=_user(request))
        return Response(TokenSerializer(tokens, many=True).data)

    @extend_schema(
        operation_id="tokens_create",
        summary="Create an API token; the token is in this response only (browser session, "
        "signed in or re-authenticated in the last 10 minutes)",
        request=TokenCreateSerializer,
        responses={
            201: TokenCreatedSerializer,
            400: OpenApiResponse(description="Field errors"),
            403: inline_serializer(
                "TokenCreateRefused",
                {"detail": serializers.CharField(), "code": serializers.CharField(required=False)},
            ),
        },
    )
    def post(self, request: Request) -> Response:
        user = _user(request)
        # Deny first: someone who may not hold tokens learns nothing from field errors.
        require(user, Capability.MANAGE_OWN_TOKENS)
        if not _recently_authenticated(request._request):
            return Response(
                {"detail": str(REAUTH_MESSAGE), "code": "reauthentication_required"},
                status=status.HTTP_403_FORBIDDEN,
            )
        incoming = TokenCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        raw, token = api_token_create(
            actor=user,
            name=incoming.validated_data["name"],
            scopes=incoming.validated_data["scopes"],
            expires_in_days=incoming.validated_data["expires_in_days"],
        )
        body = dict(TokenSerializer(token).data)
        body["token"] = raw
        return Response(body, status=status.HTTP_201_CREATED)


class TokenDetailView(APIView):
    permission_classes = [SessionOnly]

    @extend_schema(
        operation_id="tokens_retrieve",
        responses={200: TokenSerializer},
        summary="One of your tokens",
    )
    def get(self, request: Request, token_id: int) -> Response:
        token = token_selectors.get_api_token_for(_user(request), token_id)
        return Response(TokenSerializer(token).data)

    @extend_schema(
        operation_id="tokens_revoke",
        responses={204: None},
        summary="Revoke one of your tokens (it stops working at once)",
    )
    def delete(self, request: Request, token_id: int) -> Response:
        user = _user(request)
        token = token_selectors.get_api_token_for(user, token_id)
        api_token_revoke(actor=user, token=token)
        return Response(status=status.HTTP_204_NO_CONTENT)
