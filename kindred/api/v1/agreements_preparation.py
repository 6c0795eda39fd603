"""API v1: a group's preparation for new members (intake/preparation.py). Staff who see
the group read it; its managers and facilitators write it (add, change, remove, move,
copy from another group). A member with a place reads it, with their own reading marks,
and marks items read. Tokens need ``agreements:read`` / ``agreements:write``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from kindred.api.actors import actor_of
from kindred.api.v1.agreements import AGREEMENT_SCOPES
from kindred.core.errors import NotFound
from kindred.core.markdown import render_markdown
from kindred.groups.access import get_group_for
from kindred.groups.models import TherapyGroup
from kindred.intake import agreement_signatures as signatures
from kindred.intake import agreements, preparation
from kindred.intake.models import PreparationItem

if TYPE_CHECKING:
    pass


class ItemSerializer(serializers.ModelSerializer[PreparationItem]):
    body_html = serializers.SerializerMethodField(help_text="The text as sanitised HTML.")
    read_at = serializers.SerializerMethodField(
        help_text="Members only: when they marked it read (null: not yet)."
    )

    class Meta:
        model = PreparationItem
        fields = ("id", "group", "title", "body", "body_html", "position", "read_at")
        read_only_fields = fields

    def get_body_html(self, item: PreparationItem) -> str:
        return str(render_markdown(item.body, heading_offset=2))

    def get_read_at(self, item: PreparationItem) -> str | None:
        read_at = self.context.get("read_at", {}).get(item.pk)
        return read_at.isoformat() if read_at is not None else None


class ItemInputSerializer(serializers.Serializer[Any]):
    title = serializers.CharField(max_length=300, allow_blank=True)
    body = serializers.CharField(max_length=20000, allow_blank=True, trim_whitespace=False)


class MoveSerializer(serializers.Serializer[Any]):
    direction = serializers.ChoiceField(choices=["up", "down"])


class CopySerializer(serializers.Serializer[Any]):
    from_group = serializers.IntegerField(
        min_value=1, max_value=2**63 - 1, help_text="The group to copy from (one you can see)."
    )


class ReadSerializer(serializers.Serializer[Any]):
    item_id = serializers.IntegerField()
    read_at = serializers.DateTimeField()


def _group(request: Request, group_id: int) -> tuple[TherapyGroup, bool]:
    """(group, is_member): staff who see the group, or a member with a place in it."""
    actor = actor_of(request)
    if agreements.member_client_of(actor) is not None:
        return signatures.member_enrollment(actor, group_id).group, True
    return preparation.staff_group(actor, group_id), False


def _staff_group(request: Request, group_id: int) -> TherapyGroup:
    actor = actor_of(request)
    if agreements.member_client_of(actor) is not None:
        raise NotFound("Not found.")
    return preparation.staff_group(actor, group_id)


class ItemListView(GenericAPIView[PreparationItem]):
    required_scopes = AGREEMENT_SCOPES
    serializer_class = ItemSerializer
    pagination_class = None  # a group has at most preparation.MAX_ITEMS items

    def get_queryset(self) -> QuerySet[PreparationItem]:
        return PreparationItem.objects.none()

    @extend_schema(
        responses=ItemSerializer(many=True),
        summary="A group's preparation, in order (staff who see the group; its members)",
    )
    def get(self, request: Request, group_id: int) -> Response:
        group, is_member = _group(request, group_id)
        if is_member:
            client = agreements.member_client_of(actor_of(request))
            assert client is not None  # noqa: S101 - is_member says so
            entries = preparation.member_preparation(client, group)
            items = [e.item for e in entries]
            context = {"read_at": {e.item.pk: e.read_at for e in entries}}
        else:
            items = list(preparation.preparation_items(group))
            context = {}
        return Response(ItemSerializer(items, many=True, context=context).data)

    @extend_schema(
        request=ItemInputSerializer,
        responses={201: ItemSerializer},
        summary="Add an item at the end (the group's facilitators and coordinators)",
    )
    def post(self, request: Request, group_id: int) -> Response:
        group = _staff_group(request, group_id)
        serializer = ItemInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        item = preparation.preparation_item_create(
            actor=actor_of(request), group=group, **serializer.validated_data
        )
        return Response(ItemSerializer(item).data, status=status.HTTP_201_CREATED)


class ItemDetailView(GenericAPIView[PreparationItem]):
    required_scopes = AGREEMENT_SCOPES
    serializer_class = ItemSerializer

    @extend_schema(responses=ItemSerializer, summary="One preparation item")
    def get(self, request: Request, group_id: int, item_id: int) -> Response:
        group, _is_member = _group(request, group_id)
        item = preparation.get_item_for(actor_of(request), group, item_id)
        return Response(ItemSerializer(item).data)

    @extend_schema(
        request=ItemInputSerializer(partial=True),
        responses=ItemSerializer,
        summary="Change an item's title or text",
    )
    def patch(self, request: Request, group_id: int, item_id: int) -> Response:
        actor = actor_of(request)
        group = _staff_group(request, group_id)
        item = preparation.get_item_for(actor, group, item_id, write=True)
        serializer = ItemInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        values = {"title": item.title, "body": item.body, **serializer.validated_data}
        item = preparation.preparation_item_update(actor=actor, item=item, **values)
        return Response(ItemSerializer(item).data)

    @extend_schema(responses={204: None}, summary="Remove an item")
    def delete(self, request: Request, group_id: int, item_id: int) -> Response:
        actor = actor_of(request)
        group = _staff_group(request, group_id)
        item = preparation.get_item_for(actor, group, item_id, write=True)
        preparation.preparation_item_delete(actor=actor, item=item)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ItemMoveView(GenericAPIView[PreparationItem]):
    required_scopes = AGREEMENT_SCOPES
    serializer_class = ItemSerializer

    @extend_schema(
        request=MoveSerializer,
        responses=ItemSerializer(many=True),
        summary="Move an item one place up or down; returns the new order",
    )
    def post(self, request: Request, group_id: int, item_id: int) -> Response:
        actor = actor_of(request)
        group = _staff_group(request, group_id)
        item = preparation.get_item_for(actor, group, item_id, write=True)
        serializer = MoveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        preparation.preparation_item_move(
            actor=actor, item=item, up=serializer.validated_data["direction"] == "up"
        )
        return Response(ItemSerializer(preparation.preparation_items(group), many=True).data)


class CopyView(GenericAPIView[PreparationItem]):
    required_scopes = AGREEMENT_SCOPES
    serializer_class = ItemSerializer

    @extend_schema(
        request=CopySerializer,
        responses={201: ItemSerializer(many=True)},
        summary="Copy another group's preparation to the end of this group's",
    )
    def post(self, request: Request, group_id: int) -> Response:
        actor = actor_of(request)
        group = _staff_group(request, group_id)
        serializer = CopySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        source = get_group_for(actor, serializer.validated_data["from_group"])
        copies = preparation.preparation_copy(actor=actor, group=group, source=source)
        return Response(ItemSerializer(copies, many=True).data, status=status.HTTP_201_CREATED)


class ItemReadView(GenericAPIView[PreparationItem]):
    required_scopes = AGREEMENT_SCOPES
    serializer_class = ReadSerializer

    @extend_schema(
        request=None,
        responses={201: ReadSerializer, 200: ReadSerializer},
        summary="Mark an item read (members; marking again changes nothing)",
    )
    def post(self, request: Request, group_id: int, item_id: int) -> Response:
        actor = actor_of(request)
        if agreements.member_client_of(actor) is None:
            raise NotFound("Not found.")
        enrollment = signatures.member_enrollment(actor, group_id)
        item = preparation.get_item_for(actor, enrollment.group, item_id)
        mark, created = preparation.preparation_mark_read(actor=actor, item=item)
        return Response(
            ReadSerializer({"item_id": item.pk, "read_at": mark.read_at}).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )
