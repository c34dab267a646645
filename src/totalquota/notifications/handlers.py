"""The outbox handler of notifications: which events tell whom, and what.

Registered from ``NotificationsConfig.ready()`` for the topics below (never ``*``: events of
other topics get no delivery of ours). Workflow events carry the kernel's payload
(``workflow.kernel._emit``: action, reason, enterprise_id, zone_id, label, url); the others carry
their own (a reserve warning, a reminder). Findings are mapped by topic name, from the payload,
without importing the enforcement app.

===========================================  ==========================================  =========
topic                                        who                                         kind
===========================================  ==========================================  =========
``reduction.handover``                       the zone's officers                         other
``reduction.submit``, ``emission_report.``   reviewers, and the zone's officers          other
``submit``, ``reserve.application.submit``
``reserve.application.propose``              reviewers and admins (another decides)      other
``reduction.send_back`` / ``.return``,       the unit's staff                            return
``emission_report.return`` / ``.reopen``
``reduction.approve`` / ``reject`` /         the unit's staff                            decision
``decline`` / ``accept_late``; ``reserve.
application.approve`` / ``reject``;
``reserve.recovery.notify`` / ``approve`` /
``reject``; ``emission_report.accept``
``reserve.recovery.answer``                  reviewers, and the zone's officers          other
``reserve.intake.prepare``                   reviewers and admins (who confirm)          other
``reserve.intake.confirm`` / ``cancel``      reviewers and admins                        decision
``reserve.adjustment.propose``               reviewers and admins (who confirm)          other
``reserve.adjustment.confirm`` / ``reject``  reviewers and admins                        decision
``enforcement.finding.notify`` / ``confirm``  the unit's staff                           finding
/ ``dismiss``
``enforcement.finding.answer``               reviewers, and the zone's officers          finding
``inbound.event.review``                     reviewers and admins                        other
``reserve.warning.raised``                   reviewers, admins, the zone's officers      warning
``emissions.reminder.sent``                  the unit's staff                            deadline
``ledger.reconcile.failed``                  admins                                      warning
===========================================  ==========================================  =========

The person who acted is never told of their own action.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from totalquota.notifications import messages
from totalquota.notifications.models import NotificationKind as K
from totalquota.notifications.selectors import recipients
from totalquota.notifications.services import notifications_from_event
from totalquota.outbox import register

UNIT = "notifications.receive_unit"
REVIEW = "notifications.receive_review"
ZONE = "notifications.receive_zone"
WARNING = "notifications.receive_warning"
BUREAU = "notifications.receive_bureau"
LEDGER = "notifications.receive_ledger"


@dataclass(frozen=True)
class Rule:
    """Who is told (a ``notifications.receive_*`` entry) and the notification's kind."""

    entry: str
    kind: str


SUBMITTED = Rule(REVIEW, K.OTHER)
RETURNED = Rule(UNIT, K.RETURN)
DECIDED = Rule(UNIT, K.DECISION)

# Workflow topics: family -> action -> rule.
WORKFLOW: dict[str, dict[str, Rule]] = {
    "reduction": {
        "handover": Rule(ZONE, K.OTHER),
        "submit": SUBMITTED,
        "send_back": RETURNED,
        "return": RETURNED,
        "approve": DECIDED,
        "reject": DECIDED,
        "decline": DECIDED,
        "accept_late": DECIDED,
    },
    "reserve.application": {
        "submit": SUBMITTED,
        "propose": Rule(BUREAU, K.OTHER),
        "approve": DECIDED,
        "reject": DECIDED,
    },
    "reserve.intake": {
        "prepare": Rule(BUREAU, K.OTHER),
        "confirm": Rule(BUREAU, K.DECISION),
        "cancel": Rule(BUREAU, K.DECISION),
    },
    # A proposed adjustment of the reserve waits for a second person of the bureau.
    "reserve.adjustment": {
        "propose": Rule(BUREAU, K.OTHER),
        "confirm": Rule(BUREAU, K.DECISION),
        "reject": Rule(BUREAU, K.DECISION),
    },
    "reserve.recovery": {
        "notify": DECIDED,
        "answer": SUBMITTED,
        "approve": DECIDED,
        "reject": DECIDED,
    },
    "emission_report": {
        "submit": SUBMITTED,
        "return": RETURNED,
        "reopen": RETURNED,
        "accept": DECIDED,
    },
    "enforcement.finding": {
        "notify": Rule(UNIT, K.FINDING),
        "confirm": Rule(UNIT, K.FINDING),
        "dismiss": Rule(UNIT, K.FINDING),
        "answer": Rule(REVIEW, K.FINDING),
    },
    # An event of a partner system that a reviewer must look at (a permit below an allocation, a
    # revoked permit, a cancelled project's recovery cases): mapped by topic, like findings.
    "inbound.event": {
        "review": Rule(BUREAU, K.OTHER),
    },
}

# Families whose records have a code people know them by; the others are named by their number.
CODED = frozenset({"reduction", "reserve.application", "enforcement.finding", "inbound.event"})

WARNING_TOPIC = "reserve.warning.raised"
REMINDER_TOPIC = "emissions.reminder.sent"
# Named here rather than imported: the ledger sits below this app and knows nothing of it.
RECONCILE_TOPIC = "ledger.reconcile.failed"


def _recipient_ids(entry: str, payload: dict[str, Any]) -> list[int]:
    return list(
        recipients(entry, zone_id=payload.get("zone_id"), enterprise_id=payload.get("enterprise_id"))
        .values_list("pk", flat=True)
        .distinct()
    )


def _workflow(event: Any, family: str, action: str) -> None:
    rule = WORKFLOW.get(family, {}).get(action)
    if rule is None:
        return
    payload = event.payload or {}
    label = payload.get("label") if family in CODED and payload.get("label") else f"#{event.object_id}"
    reason = str(payload.get("reason") or "")
    params = {
        "subject": messages.subject_of(family),
        "label": label,
        "outcome": messages.outcome_of(family, action),
    }
    notifications_from_event(
        event=event,
        recipient_ids=_recipient_ids(rule.entry, payload),
        kind=rule.kind,
        message="event_reason" if reason else "event",
        params=params,
        note=reason,
        link=payload.get("url") or "",
    )


def _warning(event: Any) -> None:
    from django.urls import reverse

    from totalquota.registry.models import Pollutant, Zone

    payload = event.payload or {}
    zone = Zone.objects.filter(pk=payload.get("zone_id") or 0).first()
    pollutant = Pollutant.objects.filter(pk=payload.get("pollutant_id") or 0).first()
    months = payload.get("months_of_cover")
    if isinstance(months, int | float):
        months = f"{months:.1f}"
    level = str(payload.get("level") or "")
    params = {
        "zone": zone.name if zone else "",
        "pollutant": pollutant.name if pollutant else "",
        "pollutant_en": (pollutant.name_en if pollutant else "") or "",
        "level": messages.LEVELS.get(level, level),
        "months": "—" if months is None else str(months),
    }
    notifications_from_event(
        event=event,
        recipient_ids=_recipient_ids(WARNING, payload),
        kind=K.WARNING,
        message="warning",
        params=params,
        link=reverse("reserve:warnings"),
    )


def _reminder(event: Any) -> None:
    from django.urls import reverse

    payload = event.payload or {}
    kind = str(payload.get("kind") or "manual")
    message = {"due_soon": "reminder_due_soon", "overdue": "reminder_overdue"}.get(kind, "reminder_manual")
    params = {"year": payload.get("year"), "day": payload.get("due_on") or ""}
    notifications_from_event(
        event=event,
        recipient_ids=_recipient_ids(UNIT, {"enterprise_id": payload.get("enterprise_id")}),
        kind=K.DEADLINE,
        message=message,
        params=params,
        note=str(payload.get("message") or ""),
        link=reverse("emissions:reminders"),
    )


def _reconcile(event: Any) -> None:
    payload = event.payload or {}
    notifications_from_event(
        event=event,
        recipient_ids=_recipient_ids(LEDGER, {}),
        kind=K.WARNING,
        message="reconcile_failed",
        params={"run": payload.get("run_id") or event.object_id, "count": payload.get("problem_count", "")},
        link=payload.get("url") or "",
    )


def notify(event: Any) -> None:
    """The handler: the notifications of one event (idempotent, keyed on the event)."""
    topic = event.topic
    if topic == WARNING_TOPIC:
        _warning(event)
    elif topic == REMINDER_TOPIC:
        _reminder(event)
    elif topic == RECONCILE_TOPIC:
        _reconcile(event)
    else:
        family, _, action = topic.rpartition(".")
        _workflow(event, family, action)


# One registration per topic family (names kept stable: they are stored on the deliveries).
PATTERNS = (
    "reduction.*",
    "reserve.application.*",
    "reserve.intake.*",
    "reserve.recovery.*",
    "reserve.adjustment.*",
    "emission_report.*",
    "enforcement.finding.*",
    "inbound.event.*",
    WARNING_TOPIC,
    REMINDER_TOPIC,
    RECONCILE_TOPIC,
)


def register_handlers() -> None:
    for pattern in PATTERNS:
        register(pattern, notify, name=f"notifications.{pattern.removesuffix('.*')}")
