"""Workflow routes: naming (or clearing) the person who decides an open item (指派, bureau
administrators, as on the item's page), and the caller's own assigned to-do.

An item is named by its kind, ``app_label.model`` as the page's URL names it (``reserve.intakerun``,
``reserve.recoverycase``, ``reserve.quotaapplication`` …), and its id."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext
from ninja import Field, Router, Schema, Status

from totalquota.api.core import ApiRequest, allowed
from totalquota.api.fields import RecordId
from totalquota.lib.errors import ValidationFailed
from totalquota.workflow import services
from totalquota.workflow.kernel import item_of
from totalquota.workflow.models import Assignment

router = Router(tags=["流程 workflow"])


class AssignmentOut(Schema):
    kind: str = Field(description="事项类型 app_label.model / the item's kind")
    object_id: int
    item: str = Field(description="事项 / the item")
    assignee_id: int
    assignee: str
    assigned_by: str
    reason: str
    at: dt.datetime

    @staticmethod
    def resolve_kind(row: Assignment) -> str:
        return f"{row.content_type.app_label}.{row.content_type.model}"

    @staticmethod
    def resolve_item(row: Assignment) -> str:
        return str(row.item)

    @staticmethod
    def resolve_assignee(row: Assignment) -> str:
        return str(row.assignee)

    @staticmethod
    def resolve_assigned_by(row: Assignment) -> str:
        return str(row.assigned_by)


class AssignIn(Schema):
    assignee_id: RecordId = Field(description="办理人（有权决定该事项、且未编制该事项的在岗人员）")
    reason: str = Field("", max_length=300, description="指派说明 / why")


def _assignment(obj: models.Model) -> Assignment:
    return Assignment.objects.select_related("content_type", "assignee", "assigned_by").get(
        content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk
    )


@router.get(
    "/workflow/assigned",
    response=list[AssignmentOut],
    summary="指派给我（或我代理的人）的待办 / Open items assigned to me",
)
def assigned_to_me(request: ApiRequest):
    return services.assigned_to(request.auth.user_id)


@router.post(
    "/workflow/{kind}/{int:object_id}/assignment",
    response=AssignmentOut,
    summary="指派办理人：只有该人（或其代理人）可决定该事项；四眼原则照常适用 / Assign who decides",
    auth=allowed("workflow.assign"),
)
def assign(request: ApiRequest, kind: str, object_id: int, payload: AssignIn):
    obj = item_of(kind, object_id)
    assignee = get_user_model()._default_manager.filter(pk=payload.assignee_id).first()
    if assignee is None:
        raise ValidationFailed(gettext("请选择在岗的办理人"), field="assignee_id")
    services.assignment_set(actor=request.auth, obj=obj, assignee=assignee, reason=payload.reason)
    return _assignment(obj)


@router.delete(
    "/workflow/{kind}/{int:object_id}/assignment",
    response={204: None},
    summary="取消指派 / Clear the assignment",
    auth=allowed("workflow.assign"),
)
def unassign(request: ApiRequest, kind: str, object_id: int):
    services.assignment_clear(actor=request.auth, obj=item_of(kind, object_id))
    return Status(204, None)
