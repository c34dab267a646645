"""Writes of the upper-level reserve (RES-2): requests, grants, refusals and deductions."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from totalquota.accounts.permissions import Principal
from totalquota.audit.services import record, snapshot
from totalquota.ledger import services as ledger
from totalquota.ledger.models import Account, AccountKind, SourceType
from totalquota.lib.errors import Conflict, Forbidden, RuleViolation, ValidationFailed
from totalquota.reductions.models import ReductionLine
from totalquota.registry.models import Pollutant, Zone
from totalquota.reserve.models import QuotaApplication, RequestStatus, UpperDeduction, UpperLevelRequest


@transaction.atomic
def upper_request(
    *,
    actor: Principal,
    zone: Zone,
    pollutant: Pollutant,
    amount_grams: int,
    reason: str,
    application: QuotaApplication | None = None,
) -> UpperLevelRequest:
    """Record a request to the upper-level reserve (the zone and the park cannot cover)."""
    if isinstance(amount_grams, bool) or not isinstance(amount_grams, int) or amount_grams <= 0:
        raise ValidationFailed(gettext("申请量必须大于零"), field="amount_grams")
    if not (reason or "").strip():
        raise ValidationFailed(gettext("请说明申请理由"), field="reason", clause="RES-2")
    request = UpperLevelRequest.objects.create(
        zone=zone,
        pollutant=pollutant,
        amount_grams=amount_grams,
        reason=reason,
        application=application,
        requested_by=actor.user,
    )
    record(actor=actor, action="reserve.upper_request", obj=request, after=snapshot(request))
    return request


def _check_decider(actor: Principal, request: UpperLevelRequest) -> None:
    if request.status != RequestStatus.REQUESTED:
        raise Conflict(gettext("该申请已办结"), clause="RES-2")
    if actor.user_id == request.requested_by_id:
        raise Forbidden(gettext("四眼原则：提出申请的人员不能登记上级的答复"), clause="RES-2")


@transaction.atomic
def upper_grant(
    *,
    actor: Principal,
    request: UpperLevelRequest,
    granted_grams: int,
    reference: str,
    effective_date: dt.date | None = None,
) -> UpperLevelRequest:
    """The upper level grants quota: it becomes a lot of the zone with that grant as its source.
    Four eyes: the person who made the request does not record its grant."""
    # Lock order step 1: the request, so a grant is posted once.
    request = UpperLevelRequest.objects.select_for_update().get(pk=request.pk)
    _check_decider(actor, request)
    if not (reference or "").strip():
        raise ValidationFailed(gettext("请填写上级下达文件"), field="reference", clause="RES-2")
    # The requester agreed to the amount asked; more than that would be one person's decision.
    if isinstance(granted_grams, int) and granted_grams > request.amount_grams:
        raise RuleViolation(gettext("下达量不能超过申请量"), field="granted", clause="RES-2")
    request.posting = ledger.lot_open(
        actor=actor,
        zone=request.zone,
        pollutant=request.pollutant,
        amount_grams=granted_grams,
        source_type=SourceType.UPPER_GRANT,
        source_ref=f"reserve.upperlevelrequest:{request.pk}",
        source_label=f"上级储备库下达（{reference}）",
        effective_date=effective_date or timezone.localdate(),
        reason=f"上级储备库下达：{reference}",
        clause_id="RES-2",
        code="upper_grant",
        obj=request,
        idempotency_key=f"reserve-upper-grant-{request.pk}",
    )
    request.status, request.granted_grams, request.reference = RequestStatus.GRANTED, granted_grams, reference
    request.decided_at = timezone.now()
    request.save()
    record(actor=actor, action="reserve.upper_grant", obj=request, after=snapshot(request))
    return request


@transaction.atomic
def upper_refuse(*, actor: Principal, request: UpperLevelRequest, reference: str) -> UpperLevelRequest:
    """The upper level refuses: the request is closed, nothing is posted (four eyes as a grant)."""
    # Lock order step 1: the request (decided once); no ledger rows are touched.
    request = UpperLevelRequest.objects.select_for_update().get(pk=request.pk)
    _check_decider(actor, request)
    request.status, request.reference, request.decided_at = RequestStatus.REFUSED, reference, timezone.now()
    request.save()
    record(actor=actor, action="reserve.upper_refuse", obj=request, after=snapshot(request))
    return request


def deduction_reason(reason: str) -> str:
    """The ledger's reason of an upper-level deduction."""
    return f"已报送上级储备库并被使用：{reason}"


@transaction.atomic
def upper_deduct(
    *,
    actor: Principal,
    line: ReductionLine,
    amount_grams: int,
    reason: str,
    effective_date: dt.date | None = None,
) -> UpperDeduction:
    """A reduction line also submitted upward and used there: deduct it from the park reserve.
    Pages and the API propose it (``adjustments.adjustment_upper_deduction``); this posts it when
    another person confirms the proposal (``workflow.adjustment_post``), as that person."""
    if not (reason or "").strip():
        raise ValidationFailed(gettext("请说明扣减理由"), field="reason", clause="RES-2")
    # Lock order step 1: the reduction line, so that two deductions of it are numbered one after
    # the other (the number below is part of the ledger's idempotency key).
    ReductionLine.objects.select_for_update().filter(pk=line.pk).first()
    lot = Account.objects.filter(
        source_type=SourceType.REDUCTION_LINE, source_ref=f"reductions.reductionline:{line.pk}"
    ).first()
    if lot is None:
        raise RuleViolation(gettext("该减排量尚未入库，无需从园区储备中扣减"), clause="RES-2")
    # Lock order step 2: the lot's zone row, under which the upper-level account is found or opened.
    ledger.lock_zones([(lot.zone_id, lot.pollutant_id)])
    upper = ledger.external_account(lot.zone, lot.pollutant, AccountKind.UPPER_LEVEL)
    number = UpperDeduction.objects.filter(line=line).count() + 1  # safe: the line is locked above
    posting = ledger.transfer(
        actor=actor,
        debit=lot,
        credit=upper,
        amount_grams=amount_grams,
        code="upper_deduction",
        effective_date=effective_date or timezone.localdate(),
        reason=deduction_reason(reason),
        clause_id="RES-2",
        obj=line,
        idempotency_key=f"reserve-upper-deduct-{line.pk}-{number}",
    )
    deduction = UpperDeduction.objects.create(
        line=line,
        amount_grams=amount_grams,
        reason=reason,
        decided_by=actor.user,
        posting=posting,
    )
    record(actor=actor, action="reserve.upper_deduct", obj=deduction, after=snapshot(deduction))
    return deduction
