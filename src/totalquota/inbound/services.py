"""Receiving an inbound event: record it once, act on it through the other apps' services.

:func:`event_receive` runs in one transaction: the event row first (its unique key per source and
sender's event id is what makes a repeat, even one posted at the same moment, the same event),
then the action of its kind, then its outcome and audit event. A refusal by a service rolls the
whole event back: nothing is recorded, and the sender gets the problem document. Quota never
moves here: a cancelled project opens a recovery case that reviewers decide (four eyes), a permit
below an allocation is flagged for a reviewer.

Lock order of this write: (0) the event's unique key (the insert: a second identical event waits
here until the first commits, then finds it); then whatever the service of its kind locks, in the
platform's order (the application row, a unit's row); the audit chain head last. A violation
locks its unit's row before looking for a finding already opened for its case number, so two
events of one case (under different event ids) posted at once open one finding.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext

from totalquota.accounts.permissions import Principal
from totalquota.accounts.roles import Role
from totalquota.audit.services import record, snapshot
from totalquota.common.i18n import chinese
from totalquota.enforcement import services as enforcement_services
from totalquota.enforcement.models import Finding, FindingSource
from totalquota.inbound.messages import stored
from totalquota.inbound.models import InboundEvent, Kind, Outcome, PartnerSystem, Source
from totalquota.lib.errors import Conflict, ValidationFailed
from totalquota.outbox import emit
from totalquota.registry import services as registry_services
from totalquota.registry.models import Enterprise, Pollutant
from totalquota.registry.services import PermitLine
from totalquota.reserve.models import (
    OPEN_RECOVERY,
    OPEN_STATUSES,
    ApplicationStatus,
    QuotaApplication,
    RecoveryKind,
    RecoveryStatus,
)
from totalquota.reserve.selectors import plant_quota_of
from totalquota.reserve.services import recovery as recovery_services
from totalquota.reserve.services.holds import lock_application

# The outbox topic that tells the bureau's reviewers an event needs a person (notifications).
REVIEW_TOPIC = "inbound.event.review"
EVENT_FIELDS = [
    "source",
    "kind",
    "event_id",
    "payload_sha256",
    "state",
    "result_code",
    "object_type",
    "object_id",
]


# --- what each kind of event says, checked and resolved by the API ---------------------------------
@dataclass(frozen=True)
class EiaApproved:
    application: QuotaApplication
    approval_number: str
    approved_on: dt.date


@dataclass(frozen=True)
class EiaCancelled:
    application: QuotaApplication
    approval_number: str
    cancelled_on: dt.date
    reason: str


@dataclass(frozen=True)
class PermitIssued:
    """A permit issued or changed (``kind`` says which)."""

    enterprise: Enterprise
    permit_number: str
    valid_from: dt.date
    valid_to: dt.date | None
    lines: list[PermitLine]
    # The unit as the permit names it: a name or credit code other than the registered one is
    # recorded as a version of the unit (单位沿革) before the permit.
    unit_name: str = ""
    credit_code: str = ""


@dataclass(frozen=True)
class PermitRevoked:
    enterprise: Enterprise
    permit_number: str
    revoked_on: dt.date
    reason: str


@dataclass(frozen=True)
class ViolationReported:
    enterprise: Enterprise
    case_number: str
    found_on: dt.date
    facts: str
    pollutant: Pollutant | None = None


Effect = EiaApproved | EiaCancelled | PermitIssued | PermitRevoked | ViolationReported


@dataclass
class Result:
    """What acting on an event did."""

    state: str
    code: str
    params: dict[str, Any]
    subject: models.Model
    enterprise: Enterprise
    effects: list[dict[str, Any]] = field(default_factory=list)
    notify: bool = False


def payload_digest(payload: Any) -> str:
    """SHA-256 of the payload's canonical JSON (keys sorted, no spaces): the same body however it
    was spaced or ordered."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _repeat(found: InboundEvent, digest: str) -> tuple[InboundEvent, bool]:
    if found.payload_sha256 != digest:
        raise Conflict(
            gettext("来源事件编号 {event_id} 已收到过内容不同的报文；同一事件编号只能对应同一报文").format(
                event_id=found.event_id
            ),
            field="event_id",
        )
    return found, False


@transaction.atomic
def event_receive(
    *,
    actor: Principal,
    source: str,
    kind: str,
    event_id: str,
    payload: Any,
    effect: Effect,
) -> tuple[InboundEvent, bool]:
    """Record and act on one event of ``source``; ``(event, created)``. A repeat of ``event_id``
    with the same payload returns the stored event (``created`` false) and does nothing again;
    with another payload it is a 409."""
    digest = payload_digest(payload)
    found = InboundEvent.objects.filter(source=source, event_id=event_id).first()
    if found is not None:
        return _repeat(found, digest)
    try:
        # Lock order step 0: the (source, event_id) key. On PostgreSQL a second insert of the same
        # key waits for the first transaction and then fails here; it returns the committed event.
        with transaction.atomic():
            event = InboundEvent.objects.create(
                source=source,
                kind=kind,
                event_id=event_id,
                payload=payload,
                payload_sha256=digest,
                client=actor.user,
                token_id=actor.token_id,
                state=Outcome.NOTHING_TO_DO,
                result_code="",
                result="",
            )
    except IntegrityError:
        return _repeat(InboundEvent.objects.get(source=source, event_id=event_id), digest)
    result = _act(actor, event, kind, effect)
    event.state = result.state
    event.result_code = result.code
    event.result_params = result.params
    event.result = stored(result.code, result.params)
    event.enterprise = result.enterprise
    event.object_type = result.subject._meta.label_lower
    event.object_id = str(result.subject.pk)
    event.effects = result.effects
    event.save()
    record(actor=actor, action="inbound.event_receive", obj=event, after=snapshot(event, EVENT_FIELDS))
    if result.notify:
        emit(
            REVIEW_TOPIC,
            obj=event,
            actor=actor,
            payload={
                "action": "review",
                "label": f"{event.get_kind_display()} {event.event_id}",
                "reason": event.result,
                "enterprise_id": result.enterprise.pk,
                "zone_id": result.enterprise.zone_id,
                "url": event.get_absolute_url(),
            },
        )
    return event, True


def _act(actor: Principal, event: InboundEvent, kind: str, effect: Effect) -> Result:
    if isinstance(effect, EiaApproved):
        return _eia_approved(effect)
    if isinstance(effect, EiaCancelled):
        return _eia_cancelled(actor, event, effect)
    if isinstance(effect, PermitIssued):
        return _permit_issued(actor, event, kind, effect)
    if isinstance(effect, PermitRevoked):
        return _permit_revoked(effect)
    return _violation(actor, event, effect)


def _same_reference(a: str, b: str) -> bool:
    def norm(text: str) -> str:
        return "".join(text.split()).replace("[", "〔").replace("]", "〕")

    return norm(a) == norm(b) or norm(a) in norm(b)


def _eia_approved(effect: EiaApproved) -> Result:
    """An EIA approval: linked to the application; a number other than the one the application
    gives is shown to a reviewer (the application is not changed behind its decision)."""
    application = effect.application
    params = {
        "application": application.code,
        "approval_number": effect.approval_number,
        "eia_reference": application.eia_reference,
        "day": effect.approved_on.isoformat(),
    }
    if _same_reference(effect.approval_number, application.eia_reference):
        return Result(Outcome.APPLIED, "eia_linked", params, application, application.enterprise)
    return Result(
        Outcome.NEEDS_REVIEW,
        "eia_reference_differs",
        params,
        application,
        application.enterprise,
        notify=True,
    )


def _eia_cancelled(actor: Principal, event: InboundEvent, effect: EiaCancelled) -> Result:
    """A project that will not be built: each allocated line of its approved application gets a
    RES-4 (1) recovery case, proposed by the approval system and decided by reviewers."""
    application = lock_application(effect.application)  # lock order step 1: the application row
    enterprise = application.enterprise
    params: dict[str, Any] = {"application": application.code}
    if application.status in OPEN_STATUSES:
        params["status"] = chinese(ApplicationStatus(application.status).label)
        return Result(Outcome.NEEDS_REVIEW, "application_open", params, application, enterprise, notify=True)
    lines = list(
        application.lines.filter(posting__isnull=False)
        .select_related("pollutant")
        .order_by("pollutant__sort_order")
    )
    if application.status != ApplicationStatus.APPROVED or not lines:
        return Result(Outcome.NOTHING_TO_DO, "recovery_not_allocated", params, application, enterprise)
    reason = gettext("项目审批系统通报环评已撤销（{number}，{day}）：{reason}").format(
        number=effect.approval_number, day=effect.cancelled_on.isoformat(), reason=effect.reason
    )
    cases = []
    for line in lines:
        taken = line.recoveries.filter(
            models.Q(status__in=OPEN_RECOVERY) | models.Q(status=RecoveryStatus.APPROVED)
        ).exists()
        if taken:
            continue
        cases.append(
            recovery_services.recovery_propose(
                actor=actor, line=line, kind=RecoveryKind.NOT_BUILT, reason=reason
            )
        )
    if not cases:
        return Result(
            Outcome.NEEDS_REVIEW, "recovery_already_open", params, application, enterprise, notify=True
        )
    params.update(count=len(cases), cases=", ".join(f"#{c.pk}" for c in cases))
    effects = [{"type": "reserve.recoverycase", "id": c.pk, "role": "opened"} for c in cases]
    return Result(Outcome.APPLIED, "recovery_opened", params, application, enterprise, effects, notify=True)


def _permit_issued(actor: Principal, event: InboundEvent, kind: str, effect: PermitIssued) -> Result:
    """The permit into the registry, then the unit's quota re-checked: a permitted quantity below
    the whole-plant quota of its latest approval is for a reviewer; nothing is cut."""
    source = gettext("排污许可系统事件 {event_id}（{kind}）").format(event_id=event.event_id, kind=kind)
    versions = registry_services.unit_follow_permit(
        actor=actor,
        enterprise=effect.enterprise,
        name=effect.unit_name,
        uscc_code=effect.credit_code,
        valid_from=effect.valid_from,
        reference=event.event_id,
        reason=source,
    )
    enterprise = Enterprise.objects.select_related("zone").get(pk=effect.enterprise.pk)
    limits = registry_services.permit_receive(
        actor=actor,
        enterprise=enterprise,
        permit_number=effect.permit_number,
        valid_from=effect.valid_from,
        valid_to=effect.valid_to,
        lines=effect.lines,
        source=source,
    )
    quota = plant_quota_of(enterprise, timezone.localdate().year)
    below = [
        line.pollutant.code
        for line in effect.lines
        if line.pollutant.pk in quota and line.permitted_grams < quota[line.pollutant.pk]
    ]
    params = {
        "unit": enterprise.name,
        "permit_number": effect.permit_number.strip().upper(),
        "valid_from": effect.valid_from.isoformat(),
        "count": len(limits),
        "pollutants": ", ".join(below),
    }
    effects = [{"type": "registry.unitversion", "id": v.pk, "role": v.kind} for v in versions]
    effects += [{"type": "registry.permitlimit", "id": limit.pk, "role": "recorded"} for limit in limits]
    if below:
        return Result(
            Outcome.NEEDS_REVIEW,
            "permit_below_quota",
            params,
            enterprise,
            enterprise,
            effects,
            True,
        )
    return Result(Outcome.APPLIED, "permit_updated", params, enterprise, enterprise, effects)


def _permit_revoked(effect: PermitRevoked) -> Result:
    params = {
        "unit": effect.enterprise.name,
        "permit_number": effect.permit_number,
        "day": effect.revoked_on.isoformat(),
    }
    return Result(
        Outcome.NEEDS_REVIEW, "permit_revoked", params, effect.enterprise, effect.enterprise, notify=True
    )


def case_key(case_number: str) -> str:
    """A case number as compared between events: no spaces, ASCII brackets as the full-width
    ones (苏园环罚[2026]88号 and 苏园环罚〔2026〕 88号 are one case)."""
    return "".join(case_number.split()).replace("[", "〔").replace("]", "〕")


def _finding_of_case(enterprise: Enterprise, case_number: str) -> Finding | None:
    """The first finding from an enforcement event already registered for ``enterprise`` under
    ``case_number`` (whatever its status now), if any."""
    key = case_key(case_number)
    for finding in Finding.objects.filter(enterprise=enterprise, source=FindingSource.EVENT).order_by("pk"):
        if case_key(finding.event_reference) == key:
            return finding
    return None


def _violation(actor: Principal, event: InboundEvent, effect: ViolationReported) -> Result:
    """A violation: a supervision finding from the enforcement event (SUP-4), in its workflow; a
    case that already opened a finding for the unit (an event of the same case under another
    event id) is linked to that finding and opens none."""
    # Lock: the unit's row (step 1 after the event's key), held to the end of the transaction, so
    # that of two events of one case posted at once the second looks for the finding only once
    # the first has committed it. Registry writes to the unit lock the same row and nothing of
    # ours before it; the finding's own writes come after.
    Enterprise.objects.select_for_update().filter(pk=effect.enterprise.pk).first()
    existing = _finding_of_case(effect.enterprise, effect.case_number)
    if existing is not None:
        params = {"finding": existing.code, "case_number": effect.case_number}
        effects = [{"type": "enforcement.finding", "id": existing.pk, "role": "linked"}]
        return Result(
            Outcome.NOTHING_TO_DO, "finding_linked", params, effect.enterprise, effect.enterprise, effects
        )
    finding = enforcement_services.finding_create(
        actor=actor,
        source=FindingSource.EVENT,
        facts=effect.facts,
        enterprise=effect.enterprise,
        year=effect.found_on.year,
        pollutant=effect.pollutant,
        event_reference=effect.case_number,
    )
    params = {"finding": finding.code, "case_number": effect.case_number}
    effects = [{"type": "enforcement.finding", "id": finding.pk, "role": "opened"}]
    return Result(Outcome.APPLIED, "finding_opened", params, effect.enterprise, effect.enterprise, effects)


def partner_register(*, actor: Principal | None, client: Any, source: str) -> Any:
    """Say which partner system a system client account speaks for (one source per account)."""
    if source not in Source.values:
        raise ValidationFailed(gettext("来源系统应为：") + "、".join(Source.values), field="source")
    if client.role != Role.SYSTEM:
        raise ValidationFailed(gettext("只有系统对接客户端账号可以登记为对接系统"), field="client")
    with transaction.atomic():
        partner, _created = PartnerSystem.objects.update_or_create(client=client, defaults={"source": source})
        record(actor=actor, action="inbound.partner_register", obj=partner, after={"source": source})
    return partner


__all__ = [
    "EiaApproved",
    "EiaCancelled",
    "Kind",
    "PermitIssued",
    "PermitRevoked",
    "ViolationReported",
    "event_receive",
    "partner_register",
]
