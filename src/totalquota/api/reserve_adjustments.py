"""Reserve adjustment routes (储备调整): the bureau's zone transfers, corrections and upper-level
deductions, four eyes. ``POST /ledger/zone-transfers``, ``POST /ledger/postings/{id}/reverse`` and
``POST /reserve/upper-deductions`` propose (202: nothing is posted yet); another person of the
bureau confirms (``POST /reserve/adjustments/{id}/confirm``), which posts, or rejects; the
proposer may withdraw. The same services as the pages (``reserve.services.adjustments``)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from totalquota.accounts.permissions import access, restrict
from totalquota.api.actions import action_routes
from totalquota.api.core import ApiRequest, Pages, allowed, filtered
from totalquota.api.lookups import pollutant_or_none, zone_or_none
from totalquota.api.schemas import display
from totalquota.lib.errors import ValidationFailed
from totalquota.lib.units import format_quantity
from totalquota.reserve.models import AdjustmentKind, AdjustmentStatus, QuotaAdjustment
from totalquota.reserve.workflow import ADJUSTMENT_ACTIONS

router = Router(tags=["reserve"])


class AdjustmentOut(Schema):
    """储备调整 / a reserve adjustment: proposed by one person, posted when another confirms it."""

    id: int
    kind: str = Field(description="zone_transfer | correction | upper_deduction")
    kind_label: str
    status: str = Field(description="proposed | confirmed | rejected | withdrawn")
    status_label: str
    zone: str = Field(description="功能区代码 / zone code")
    pollutant: str = Field(description="污染物代码 / pollutant code")
    amount_grams: int = Field(description="数量（克）/ amount, grams")
    amount: str = Field(description="数量，按该污染物单位 / amount in the pollutant's unit")
    from_lot_id: int | None = Field(description="调出批次（调剂、上级扣减）/ the lot drawn from")
    to_zone: str | None = Field(description="调入功能区代码（调剂）/ the receiving zone")
    target_id: int | None = Field(description="被更正的记账批次（更正）/ the posting corrected")
    line_id: int | None = Field(description="减排量明细（上级扣减）/ the reduction line")
    effective_date: dt.date
    reason: str
    proposed_by_id: int
    proposed_at: dt.datetime
    decided_by_id: int | None
    decided_at: dt.datetime | None
    posting_id: int | None = Field(description="确认后形成的记账批次 / the posting made on confirmation")

    resolve_kind_label = display("kind")
    resolve_status_label = display("status")

    @staticmethod
    def resolve_zone(obj: QuotaAdjustment) -> str:
        return obj.zone.code

    @staticmethod
    def resolve_pollutant(obj: QuotaAdjustment) -> str:
        return obj.pollutant.code

    @staticmethod
    def resolve_to_zone(obj: QuotaAdjustment) -> str | None:
        return obj.to_zone.code if obj.to_zone_id else None

    @staticmethod
    def resolve_amount(obj: QuotaAdjustment) -> str:
        return format_quantity(obj.amount_grams, obj.pollutant.unit, suffix=True)


def adjustments():
    return QuotaAdjustment.objects.select_related("zone", "pollutant", "to_zone")


def _choice(value: str, choices: type[AdjustmentKind] | type[AdjustmentStatus], field: str) -> str:
    if value and value not in choices.values:
        raise ValidationFailed(f"{field}: {' | '.join(choices.values)}", field=field)
    return value


@router.get(
    "/reserve/adjustments",
    response=list[AdjustmentOut],
    summary="储备调整（调剂、更正、上级使用扣减）/ Reserve adjustments",
    auth=allowed("reserve.adjust_view"),
)
@paginate(Pages, page_size=50)
def list_adjustments(
    request: ApiRequest, kind: str = "", status: str = "", zone: str = "", pollutant: str = ""
):
    qs = restrict(request.auth, adjustments(), "reserve.adjust_view")
    if (found := zone_or_none(zone)) is not None:  # quota leaving or entering the zone
        qs = qs.filter(Q(zone=found) | Q(to_zone=found))
    return filtered(
        qs,
        kind=_choice(kind, AdjustmentKind, "kind"),
        status=_choice(status, AdjustmentStatus, "status"),
        pollutant=pollutant_or_none(pollutant),
    ).order_by("-proposed_at", "-pk")


def load_adjustment(request: ApiRequest, adjustment_id: int, permission: str) -> QuotaAdjustment:
    return access(request.auth, adjustments(), adjustment_id, permission)


@router.get(
    "/reserve/adjustments/{int:adjustment_id}",
    response=AdjustmentOut,
    summary="一项储备调整 / One reserve adjustment",
    auth=allowed("reserve.adjust_view"),
)
def adjustment(request: ApiRequest, adjustment_id: int):
    return load_adjustment(request, adjustment_id, "reserve.adjust_view")


# POST /reserve/adjustments/{id}/confirm | reject | withdraw (reserve.workflow.ADJUSTMENT_ACTIONS).
action_routes(
    router,
    ADJUSTMENT_ACTIONS,
    route="/reserve/adjustments",
    load=load_adjustment,
    response=AdjustmentOut,
    out=lambda adj: adjustments().get(pk=adj.pk),
    name="{action}_adjustment",
)
