"""API v1: group agreements — templates and their versions (staff read; the practice
admin writes and publishes), a group's current version, members' signatures (a member
signs their own; staff list a group's) and a signature's PDF.

The same four steps as the web pages: authorize with intake/agreements.py and
agreement_signatures.py, check the shape with a serializer, call one service, respond.
Tokens need ``agreements:read`` / ``agreements:write``; members use their signed-in
session (they have no tokens).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import renderers, serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from kindred.accounts.names import validate_person_name
from kindred.accounts.scopes import Scope
from kindred.api.actors import actor_of
from kindred.core.errors import NotFound, NotPermitted
from kindred.core.markdown import render_markdown
from kindred.core.middleware import client_ip
from kindred.groups.access import get_group_for
from kindred.intake import agreement_signatures as signatures
from kindred.intake import agreements
from kindred.intake.models import (
    AgreementDraft,
    AgreementSignature,
    AgreementTemplate,
    AgreementVersion,
    PostsWhenLeaving,
)
from kindred.intake.pdf import signature_filename

if TYPE_CHECKING:
    from kindred.accounts.models import User
    from kindred.groups.models import TherapyGroup

AGREEMENT_SCOPES = {"read": Scope.AGREEMENTS_READ, "write": Scope.AGREEMENTS_WRITE}


def _staff(request: Request) -> User:
    """Template endpoints are for staff; anyone else finds nothing (404)."""
    actor = actor_of(request)
    if not agreements.is_staff(actor):
        raise NotFound("Not found.")
    return actor


# --- Serializers -----------------------------------------------------------------------------


class VersionSummarySerializer(serializers.ModelSerializer[AgreementVersion]):
    class Meta:
        model = AgreementVersion
        fields = ("id", "template", "number", "summary_of_changes", "published_at", "body_sha256")
        read_only_fields = fields


class VersionSerializer(serializers.ModelSerializer[AgreementVersion]):
    template_name = serializers.CharField(source="template.name", read_only=True)
    body_html = serializers.SerializerMethodField(
        help_text="The text as HTML (sanitised): what members read."
    )

    class Meta:
        model = AgreementVersion
        fields = (
            "id",
            "template",
            "template_name",
            "number",
            "body",
            "body_html",
            "body_sha256",
            "summary_of_changes",
            "posts_when_leaving",
            "published_at",
        )
        read_only_fields = fields

    def get_body_html(self, version: AgreementVersion) -> str:
        return str(render_markdown(version.body))


class DraftSerializer(serializers.ModelSerializer[AgreementDraft]):
    based_on_number = serializers.SerializerMethodField()

    class Meta:
        model = AgreementDraft
        fields = (
            "body",
            "summary_of_changes",
            "posts_when_leaving",
            "based_on",
            "based_on_number",
            "updated_at",
        )
        read_only_fields = fields

    def get_based_on_number(self, draft: AgreementDraft) -> int | None:
        return draft.based_on.number if draft.based_on is not None else None


class TemplateSerializer(serializers.ModelSerializer[AgreementTemplate]):
    latest_number = serializers.IntegerField(read_only=True, allow_null=True)
    latest_published_at = serializers.DateTimeField(read_only=True, allow_null=True)
    has_draft = serializers.BooleanField(read_only=True)
    groups_using = serializers.IntegerField(read_only=True)

    class Meta:
        model = AgreementTemplate
        fields = (
            "id",
            "name",
            "latest_number",
            "latest_published_at",
            "has_draft",
            "groups_using",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields


class TemplateDetailSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    versions = VersionSummarySerializer(many=True, help_text="Newest first.")
    draft = DraftSerializer(
        allow_null=True,
        help_text="The next version, while written (null when none; the practice admin "
        "only, like the draft itself: null for other staff).",
    )


class TemplateCreateSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=200, allow_blank=True)
    body = serializers.CharField(
        max_length=30000, allow_blank=True, required=False, default="", trim_whitespace=False
    )
    summary_of_changes = serializers.CharField(
        max_length=1000, allow_blank=True, required=False, default=""
    )


class DraftInputSerializer(serializers.Serializer[Any]):
    body = serializers.CharField(max_length=30000, allow_blank=True, trim_whitespace=False)
    summary_of_changes = serializers.CharField(
        max_length=1000, allow_blank=True, required=False, default=""
    )
    posts_when_leaving = serializers.ChoiceField(
        choices=PostsWhenLeaving.choices,
        required=False,
        help_text="What becomes of a member's group-space posts when they close their "
        "account: anonymize (they read as written by “A former member”) or keep (under "
        "their display name). Left out: unchanged.",
    )


class GroupAgreementSerializer(serializers.Serializer[Any]):
    group = serializers.IntegerField()
    version = VersionSerializer(allow_null=True, help_text="Null: nothing to sign yet.")
    status = serializers.ChoiceField(
        choices=[s.value for s in agreements.AgreementStatus],
        allow_null=True,
        help_text="Members only: where their own signature stands.",
    )
    signature = serializers.IntegerField(
        allow_null=True, help_text="Members only: their signature of this version."
    )


class SignatureSerializer(serializers.ModelSerializer[AgreementSignature]):
    client_name = serializers.CharField(source="client.display_name", read_only=True)
    version_number = serializers.IntegerField(source="version.number", read_only=True)

    class Meta:
        model = AgreementSignature
        fields = (
            "id",
            "group",
            "client",
            "client_name",
            "version",
            "version_number",
            "typed_name",
            "agreed",
            "signed_at",
            "ip",
            "text_sha256",
        )
        read_only_fields = fields


class SignInputSerializer(serializers.Serializer[Any]):
    version = serializers.IntegerField(
        min_value=1, max_value=2**63 - 1, help_text="The id of the version that was read."
    )
    text_sha256 = serializers.CharField(
        max_length=64, help_text="The body_sha256 of the version that was read."
    )
    typed_name = serializers.CharField(
        validators=[validate_person_name],
        max_length=300,
        allow_blank=True,
        trim_whitespace=False,
        help_text="The member's full name as on record (case and spaces do not matter).",
    )
    agreed = serializers.BooleanField(help_text="The member ticked “I agree”.")


class PdfRenderer(renderers.BaseRenderer):
    """Lets a client ask for ``application/pdf``; errors still come back as JSON."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        if isinstance(data, bytes):
            return data
        return json.dumps(data).encode()


# --- Templates -------------------------------------------------------------------------------


def _template_detail(template: AgreementTemplate, actor: User) -> dict[str, Any]:
    """The template, its versions and, for who may write it (MANAGE_PRACTICE), the draft
    being written: other staff read published versions only, as on the web."""
    may_write = agreements.can_manage_templates(actor)
    return {
        "id": template.pk,
        "name": template.name,
        "versions": list(agreements.template_versions(template)),
        "draft": agreements.draft_of(template) if may_write else None,
    }


class TemplateListView(GenericAPIView[AgreementTemplate]):
    required_scopes = AGREEMENT_SCOPES
    serializer_class = TemplateSerializer

    def get_queryset(self) -> QuerySet[AgreementTemplate]:
        return AgreementTemplate.objects.none()  # lists come from intake/agreements.py

    @extend_schema(
        responses=TemplateSerializer(many=True), summary="Group agreement templates (staff)"
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(agreements.template_list(actor=_staff(request)))
        return self.get_paginated_response(TemplateSerializer(page, many=True).data)

    @extend_schema(
        request=TemplateCreateSerializer,
        responses={201: TemplateDetailSerializer},
        summary="Start a new agreement; its first version is a draft to publish (admin)",
    )
    def post(self, request: Request) -> Response:
        actor = _staff(request)
        serializer = TemplateCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        template = agreements.agreement_template_create(actor=actor, **serializer.validated_data)
        return Response(
            TemplateDetailSerializer(_template_detail(template, actor)).data,
            status=status.HTTP_201_CREATED,
        )


class TemplateDetailView(GenericAPIView[AgreementTemplate]):
    required_scopes = AGREEMENT_SCOPES
    serializer_class = TemplateDetailSerializer

    @extend_schema(
        responses=TemplateDetailSerializer, summary="A template, its versions and its draft"
    )
    def get(self, request: Request, template_id: int) -> Response:
        actor = _staff(request)
        template = agreements.get_template_for(actor, template_id)
        return Response(TemplateDetailSerializer(_template_detail(template, actor)).data)


class DraftView(GenericAPIView[AgreementDraft]):
    required_scopes = AGREEMENT_SCOPES
    serializer_class = DraftSerializer

    @extend_schema(
        responses=DraftSerializer, summary="The next version, while it is written (admin)"
    )
    def get(self, request: Request, template_id: int) -> Response:
        # Who may write it (MANAGE_PRACTICE), as the web's draft page: 403 for other staff.
        template = agreements.get_template_for(_staff(request), template_id, write=True)
        draft = agreements.draft_of(template)
        if draft is None:
            raise NotFound("Not found.")
        return Response(DraftSerializer(draft).data)

    @extend_schema(
        request=None,
        responses={201: DraftSerializer, 409: OpenApiTypes.OBJECT},
        summary="Start the next version from the latest published text (admin)",
    )
    def post(self, request: Request, template_id: int) -> Response:
        actor = _staff(request)
        template = agreements.get_template_for(actor, template_id, write=True)
        draft = agreements.agreement_draft_start(actor=actor, template=template)
        return Response(DraftSerializer(draft).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=DraftInputSerializer,
        responses={200: DraftSerializer, 409: OpenApiTypes.OBJECT},
        summary="Change the text of the next version (admin)",
    )
    def put(self, request: Request, template_id: int) -> Response:
        actor = _staff(request)
        template = agreements.get_template_for(actor, template_id, write=True)
        serializer = DraftInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        draft = agreements.agreement_draft_update(
            actor=actor, template=template, **serializer.validated_data
        )
        return Response(DraftSerializer(draft).data)

    @extend_schema(
        responses={204: None, 409: OpenApiTypes.OBJECT},
        summary="Throw away the next version (admin)",
    )
    def delete(self, request: Request, template_id: int) -> Response:
        actor = _staff(request)
        template = agreements.get_template_for(actor, template_id, write=True)
        agreements.agreement_draft_discard(actor=actor, template=template)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PublishView(GenericAPIView[AgreementVersion]):
    required_scopes = AGREEMENT_SCOPES
    serializer_class = VersionSerializer

    @extend_schema(
        request=None,
        responses={201: VersionSerializer, 409: OpenApiTypes.OBJECT},
        summary="Publish the next version: its text never changes again (admin)",
    )
    def post(self, request: Request, template_id: int) -> Response:
        actor = _staff(request)
        template = agreements.get_template_for(actor, template_id, write=True)
        version = agreements.agreement_version_publish(actor=actor, template=template)
        return Response(VersionSerializer(version).data, status=status.HTTP_201_CREATED)


class VersionDetailView(GenericAPIView[AgreementVersion]):
    required_scopes = AGREEMENT_SCOPES
    serializer_class = VersionSerializer

    @extend_schema(
        responses=VersionSerializer,
        summary="A published version (staff; members: their groups' and what they signed)",
    )
    def get(self, request: Request, version_id: int) -> Response:
        version = agreements.get_version_for(actor_of(request), version_id)
        return Response(VersionSerializer(version).data)


# --- A group's agreement and signatures ----------------------------------------------------------


def _group_for(request: Request, group_id: int) -> tuple[TherapyGroup, bool]:
    """The group for staff who may see it, or for a member with a place in it.
    Returns (group, is_member)."""
    actor = actor_of(request)
    if agreements.member_client_of(actor) is not None:
        return signatures.member_enrollment(actor, group_id).group, True
    return get_group_for(actor, group_id), False


class GroupAgreementView(GenericAPIView[AgreementVersion]):
    required_scopes = AGREEMENT_SCOPES
    serializer_class = GroupAgreementSerializer

    @extend_schema(
        responses=GroupAgreementSerializer,
        summary="The agreement version a group uses (staff who see the group; its members)",
    )
    def get(self, request: Request, group_id: int) -> Response:
        group, is_member = _group_for(request, group_id)
        data: dict[str, Any] = {
            "group": group.pk,
            "version": group.agreement_version,
            "status": None,
            "signature": None,
        }
        if is_member:
            view = signatures.member_agreement(actor=actor_of(request), group_id=group.pk)
            data["status"] = view.status.value
            data["signature"] = view.signature.pk if view.signature is not None else None
        return Response(GroupAgreementSerializer(data).data)


class SignView(GenericAPIView[AgreementSignature]):
    required_scopes = AGREEMENT_SCOPES
    serializer_class = SignatureSerializer

    @extend_schema(
        request=SignInputSerializer,
        responses={
            201: SignatureSerializer,
            200: OpenApiResponse(SignatureSerializer, description="Already signed: the same."),
            409: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description="code superseded: the version read is no longer the group's",
            ),
        },
        summary="Sign your group's agreement (members, signed-in session)",
    )
    def post(self, request: Request, group_id: int) -> Response:
        actor = actor_of(request)
        if agreements.member_client_of(actor) is None:
            raise NotFound("Not found.")
        enrollment = signatures.member_enrollment(actor, group_id)
        serializer = SignInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        signature, created = signatures.agreement_sign(
            actor=actor,
            group=enrollment.group,
            version_id=data["version"],
            text_sha256=data["text_sha256"],
            typed_name=data["typed_name"],
            agreed=data["agreed"],
            ip=client_ip(request),
        )
        return Response(
            SignatureSerializer(signature).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class GroupSignatureListView(GenericAPIView[AgreementSignature]):
    required_scopes = AGREEMENT_SCOPES
    serializer_class = SignatureSerializer

    def get_queryset(self) -> QuerySet[AgreementSignature]:
        return AgreementSignature.objects.none()

    @extend_schema(
        responses=SignatureSerializer(many=True),
        summary="Every signature given in a group, newest first (its facilitators and "
        "coordinators)",
    )
    def get(self, request: Request, group_id: int) -> Response:
        actor = _staff(request)
        group = get_group_for(actor, group_id)
        if not signatures.can_view_signatures(actor, group):
            raise NotPermitted(
                "Only the group's facilitators and coordinators see members' signatures."
            )
        from kindred.audit.services import audit_access

        audit_access(actor=actor, action="intake.agreement_signature.listed", obj=group)
        page = self.paginate_queryset(signatures.group_signatures(actor=actor, group=group))
        return self.get_paginated_response(SignatureSerializer(page, many=True).data)


class SignatureDetailView(GenericAPIView[AgreementSignature]):
    required_scopes = AGREEMENT_SCOPES
    serializer_class = SignatureSerializer

    @extend_schema(
        responses=SignatureSerializer,
        summary="One signature (the member who gave it; its group's staff)",
    )
    def get(self, request: Request, signature_id: int) -> Response:
        signature = signatures.get_signature_for(actor_of(request), signature_id)
        return Response(SignatureSerializer(signature).data)


class SignaturePdfView(GenericAPIView[AgreementSignature]):
    required_scopes = AGREEMENT_SCOPES
    serializer_class = SignatureSerializer
    renderer_classes = (renderers.JSONRenderer, PdfRenderer)

    @extend_schema(
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
        summary="A signed agreement as a PDF: the text, name, time, IP and hash (audited)",
    )
    def get(self, request: Request, signature_id: int) -> HttpResponse:
        actor = actor_of(request)
        signature = signatures.get_signature_for(actor, signature_id)
        pdf = signatures.agreement_signature_export(actor=actor, signature=signature)
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{signature_filename(signature)}"'
        response["Cache-Control"] = "no-store"
        return response
