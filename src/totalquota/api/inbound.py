"""API routes of inbound events (外部系统事件, PLAT-1): the approval, permit and enforcement systems
post their events here; the bureau's reviewers and administrators read them.

One route per partner system, ``POST /events/approval`` | ``/events/permit`` | ``/events/enforcement``,
its body one event whose ``kind`` says which (``docs/integration.md`` has an example of each).
Only a system token of the client account registered for that system may post
(``manage.py inbound_partner``); anyone else gets 403 before the body is read. The body is checked
whole before anything is written: a bad body, an unknown unit or application is a 422 problem
document and records nothing. The first post of an event id answers 201 with the stored event;
the same event id with the same body answers 200 with the same stored event (nothing is done
again), with another body 409.
"""

import datetime as dt
import json
from typing import Annotated, Any, Literal

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import ConfigDict

from totalquota.accounts.permissions import Principal, require
from totalquota.api.core import ApiRequest, BearerTokenAuth, Pages, SessionPrincipalAuth, allowed, filtered
from totalquota.api.fields import QuantityText
from totalquota.api.schemas import display, path
from totalquota.inbound import selectors, services
from totalquota.inbound.models import InboundEvent, Source
from totalquota.lib import dates, uscc
from totalquota.lib.errors import ValidationFailed
from totalquota.lib.units import parse_quantity
from totalquota.registry.models import Enterprise, Pollutant
from totalquota.registry.services import PermitLine
from totalquota.reserve.models import QuotaApplication

router = Router(tags=["外部系统事件 inbound events"])


# --- who may post ----------------------------------------------------------------------------------
class PartnerTokenAuth(BearerTokenAuth):
    """A system token of the client account registered for ``source``; any other token is 403."""

    def __init__(self, source: str) -> None:
        super().__init__("inbound.post")
        self.source = source

    def admit(self, request: HttpRequest, principal: Principal) -> Principal:
        require(principal, "inbound.post")
        if selectors.partner_source(principal) != self.source:
            raise PermissionDenied(
                gettext("此令牌不属于{system}系统，不能发送该系统的事件").format(
                    system=Source(self.source).label
                )
            )
        return super().admit(request, principal)


def partner(source: str) -> list:
    return [PartnerTokenAuth(source), SessionPrincipalAuth("inbound.post")]


# --- bodies ----------------------------------------------------------------------------------------
EventId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=100,
        pattern=r"^[\x21-\x7e]+$",
        description="来源系统的事件编号（1–100 个可见 ASCII 字符），在该来源系统内唯一：重发同一事件须用同一编号",
    ),
]
CreditCode = Annotated[str, Field(min_length=18, max_length=18, description="统一社会信用代码（18 位）")]
ApplicationCode = Annotated[str, Field(min_length=1, max_length=24, description="总量指标申请编号")]
PermitNumber = Annotated[str, Field(min_length=1, max_length=32, description="排污许可证编号")]
Text200 = Annotated[str, Field(min_length=1, max_length=200)]
Reason = Annotated[str, Field(min_length=1, max_length=1000, description="事由")]


class EventIn(Schema):
    model_config = ConfigDict(extra="forbid")

    event_id: EventId


class EiaApprovedIn(EventIn):
    kind: Literal["eia.approved"]
    credit_code: CreditCode
    application_code: ApplicationCode
    approval_number: Text200 = Field(description="环评批复文号")
    approved_on: dt.date = Field(description="批复日期")


class EiaCancelledIn(EventIn):
    kind: Literal["eia.cancelled"]
    credit_code: CreditCode
    application_code: ApplicationCode
    approval_number: Text200 = Field(description="被撤销的环评批复文号")
    cancelled_on: dt.date = Field(description="撤销日期")
    reason: Reason


class PermitLimitIn(Schema):
    model_config = ConfigDict(extra="forbid")

    pollutant: str = Field(min_length=1, max_length=16, description="污染物代码，如 VOCS、COD、PB")
    permitted: QuantityText = Field(description="许可排放量（外排环境量）")
    sewer: QuantityText | None = Field(None, description="许可排放量（接管量，水污染物）")


class PermitIssuedIn(EventIn):
    kind: Literal["permit.issued"]
    credit_code: CreditCode
    permit_number: PermitNumber
    valid_from: dt.date = Field(description="有效期自")
    valid_to: dt.date | None = Field(None, description="有效期至（空：长期）")
    limits: list[PermitLimitIn] = Field(min_length=1, max_length=20, description="各污染物许可排放量")
    unit_name: str = Field(
        "",
        max_length=200,
        description="许可证载明的单位名称（可选）：与登记不同时登记更名（单位沿革）；"
        "信用代码未登记而许可证编号已登记时，登记为该单位变更信用代码",
    )


class PermitChangedIn(PermitIssuedIn):
    kind: Literal["permit.changed"]  # type: ignore[assignment]


class PermitRevokedIn(EventIn):
    kind: Literal["permit.revoked"]
    credit_code: CreditCode
    permit_number: PermitNumber
    revoked_on: dt.date = Field(description="撤销日期")
    reason: Reason


class ViolationReportedIn(EventIn):
    kind: Literal["violation.reported"]
    credit_code: CreditCode
    case_number: str = Field(min_length=1, max_length=64, description="执法案件编号")
    found_on: dt.date = Field(description="发现日期（不晚于今天）")
    facts: str = Field(min_length=1, max_length=5000, description="违法事实")
    pollutant: str = Field("", max_length=16, description="污染物代码（可选）")


ApprovalEventIn = Annotated[EiaApprovedIn | EiaCancelledIn, Field(discriminator="kind")]
PermitEventIn = Annotated[PermitIssuedIn | PermitChangedIn | PermitRevokedIn, Field(discriminator="kind")]


# --- answers ---------------------------------------------------------------------------------------
class LinkOut(Schema):
    label: str
    model: str
    url: str
    role: str


class InboundEventOut(Schema):
    id: int
    source: str
    source_label: str
    kind: str
    kind_label: str
    event_id: str
    received_at: dt.datetime
    caller: str = Field(description="调用方账号")
    state: str = Field(description="applied 已处理 | needs_review 待人工审核 | nothing_to_do 无需处理")
    state_label: str
    result: str = Field(description="处理说明（按请求的语言）")
    unit_name: str | None
    uscc: str | None
    object_type: str
    object_id: str
    effects: list[dict[str, Any]] = Field(
        description="新建、更新或关联的记录：type、id、role（opened 新登记、linked 关联已有记录等）"
    )
    links: list[LinkOut]
    payload: Any = Field(description="收到的报文")
    payload_sha256: str

    resolve_source_label = display("source")
    resolve_kind_label = display("kind")
    resolve_state_label = display("state")
    resolve_caller = path("client.username")
    resolve_unit_name = path("enterprise.name")
    resolve_uscc = path("enterprise.uscc")

    @staticmethod
    def resolve_result(e: InboundEvent) -> str:
        return e.result_text()


# --- resolving what a body names (422 when unknown) ------------------------------------------------
def _refuse(message: str, field: str) -> ValidationFailed:
    return ValidationFailed(message, field=field, errors=[{"field": field, "message": message}])


def _unit(code: str) -> Enterprise:
    try:
        value = uscc.validate(code)
    except uscc.USCCError:
        raise _refuse(
            gettext("统一社会信用代码 {code} 不正确（校验位不符或含非法字符）").format(code=code),
            "credit_code",
        ) from None
    unit = Enterprise.objects.select_related("zone").filter(uscc=value).first()
    if unit is None:
        raise _refuse(
            gettext("统一社会信用代码 {code} 未在排污单位名录中登记").format(code=value), "credit_code"
        )
    return unit


def _application(code: str, unit: Enterprise) -> QuotaApplication:
    application = (
        QuotaApplication.objects.select_related("enterprise", "zone")
        .filter(code=code.strip().upper())
        .first()
    )
    if application is None:
        raise _refuse(gettext("总量指标申请 {code} 不存在").format(code=code), "application_code")
    if application.enterprise_id != unit.pk:
        raise _refuse(
            gettext("总量指标申请 {code} 不是统一社会信用代码 {uscc} 的单位的申请").format(
                code=application.code, uscc=unit.uscc
            ),
            "application_code",
        )
    return application


def _pollutant(code: str, field: str) -> Pollutant:
    found = Pollutant.objects.filter(code=code.strip().upper()).first()
    if found is None:
        raise _refuse(gettext("未知的污染物代码：{code}").format(code=code), field)
    return found


def _day(day: dt.date, label: str, field: str, *, not_future: bool = False) -> dt.date:
    dates.PLATFORM.check(day, label=label, field=field)
    if not_future and day > timezone.localdate():
        raise _refuse(gettext("{label}不能晚于今天").format(label=label), field)
    return day


def _permit_lines(limits: list[PermitLimitIn]) -> list[PermitLine]:
    lines = []
    for i, item in enumerate(limits):
        pollutant = _pollutant(item.pollutant, f"limits.{i}.pollutant")
        lines.append(
            PermitLine(
                pollutant=pollutant,
                permitted_grams=parse_quantity(item.permitted, pollutant.unit, field=f"limits.{i}.permitted"),
                sewer_grams=(
                    None
                    if item.sewer is None
                    else parse_quantity(item.sewer, pollutant.unit, field=f"limits.{i}.sewer")
                ),
            )
        )
    return lines


def _permit_unit(body: Any) -> Enterprise:
    """The unit a permit is for: the one with its credit code, else the one holding its permit
    number (the unit has a new credit code: the event records it)."""
    try:
        return _unit(body.credit_code)
    except ValidationFailed:
        number = body.permit_number.strip().upper()
        holder = (
            Enterprise.objects.select_related("zone").filter(permit_number=number).first() if number else None
        )
        if holder is None or not uscc.is_valid(body.credit_code):
            raise
        return holder


def _effect(body: Any) -> services.Effect:
    """What the body says, every reference looked up and every value checked (nothing written)."""
    if isinstance(body, PermitIssuedIn):
        holder = _permit_unit(body)
        return services.PermitIssued(
            enterprise=holder,
            permit_number=body.permit_number,
            valid_from=body.valid_from,
            valid_to=body.valid_to,
            lines=_permit_lines(body.limits),
            unit_name=body.unit_name,
            credit_code=uscc.normalize(body.credit_code),
        )
    unit = _unit(body.credit_code)
    if isinstance(body, EiaApprovedIn):
        return services.EiaApproved(
            application=_application(body.application_code, unit),
            approval_number=body.approval_number.strip(),
            approved_on=_day(body.approved_on, gettext("批复日期"), "approved_on"),
        )
    if isinstance(body, EiaCancelledIn):
        return services.EiaCancelled(
            application=_application(body.application_code, unit),
            approval_number=body.approval_number.strip(),
            cancelled_on=_day(body.cancelled_on, gettext("撤销日期"), "cancelled_on"),
            reason=body.reason.strip(),
        )
    if isinstance(body, PermitRevokedIn):
        if body.permit_number.strip().upper() != unit.permit_number:
            raise _refuse(
                gettext("排污许可证编号 {number} 不是该单位登记的许可证").format(number=body.permit_number),
                "permit_number",
            )
        return services.PermitRevoked(
            enterprise=unit,
            permit_number=unit.permit_number,
            revoked_on=_day(body.revoked_on, gettext("撤销日期"), "revoked_on"),
            reason=body.reason.strip(),
        )
    assert isinstance(body, ViolationReportedIn)
    return services.ViolationReported(
        enterprise=unit,
        case_number=body.case_number.strip(),
        found_on=_day(body.found_on, gettext("发现日期"), "found_on", not_future=True),
        facts=body.facts,
        pollutant=_pollutant(body.pollutant, "pollutant") if body.pollutant.strip() else None,
    )


def _receive(request: ApiRequest, source: str, body: Any):
    effect = _effect(body)
    try:
        payload = json.loads(request.body)
    except ValueError:  # the schema has read it already; kept for completeness
        raise ValidationFailed(gettext("请求体不是有效的 JSON")) from None
    event, created = services.event_receive(
        actor=request.auth,
        source=source,
        kind=body.kind,
        event_id=body.event_id,
        payload=payload,
        effect=effect,
    )
    return Status(201 if created else 200, _out(event))


def _out(event: InboundEvent) -> InboundEvent:
    return InboundEvent.objects.select_related(*selectors.RELATED).get(pk=event.pk)


DESCRIPTION = "首次收到：201 及所存事件；同一事件编号、同一报文重发：200 及同一事件（不再处理）；同一编号、不同报文：409。"


@router.post(
    "/events/approval",
    response={200: InboundEventOut, 201: InboundEventOut},
    summary="项目审批系统事件：eia.approved 环评批复、eia.cancelled 环评撤销（项目不再建设，提出 RES-4（1）收回）",
    description=DESCRIPTION,
    auth=partner(Source.APPROVAL),
)
def post_approval_event(request: ApiRequest, payload: ApprovalEventIn):
    return _receive(request, Source.APPROVAL, payload)


@router.post(
    "/events/permit",
    response={200: InboundEventOut, 201: InboundEventOut},
    summary="排污许可系统事件：permit.issued 核发、permit.changed 变更（更新许可量并复核指标）、permit.revoked 撤销",
    description=DESCRIPTION,
    auth=partner(Source.PERMIT),
)
def post_permit_event(request: ApiRequest, payload: PermitEventIn):
    return _receive(request, Source.PERMIT, payload)


@router.post(
    "/events/enforcement",
    response={200: InboundEventOut, 201: InboundEventOut},
    summary="执法系统事件：violation.reported 违法行为（登记发现问题，SUP-4）",
    description=DESCRIPTION,
    auth=partner(Source.ENFORCEMENT),
)
def post_enforcement_event(request: ApiRequest, payload: ViolationReportedIn):
    return _receive(request, Source.ENFORCEMENT, payload)


class EventFilters(Schema):
    source: str = Field("", description="approval | permit | enforcement")
    kind: str = Field("", description="事件类型，如 permit.changed")
    state: str = Field("", description="applied | needs_review | nothing_to_do")
    event_id: str = Field("", max_length=100, description="来源事件编号")


@router.get(
    "/events",
    response=list[InboundEventOut],
    summary="收到的外部系统事件（最新在前）",
    auth=allowed("inbound.view"),
)
@paginate(Pages, page_size=100)
def list_events(request: ApiRequest, filters: Query[EventFilters]):
    return filtered(
        selectors.events(request.auth),
        source=filters.source,
        kind=filters.kind,
        state=filters.state,
        event_id=filters.event_id,
    ).order_by("-received_at", "-id")


@router.get(
    "/events/{int:event_pk}",
    response=InboundEventOut,
    summary="外部系统事件：报文及处理结果",
    auth=allowed("inbound.view"),
)
def get_event(request: ApiRequest, event_pk: int):
    return selectors.event_for(request.auth, event_pk)


__all__ = ["router"]
