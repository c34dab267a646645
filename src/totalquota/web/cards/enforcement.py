"""Home-page cards of enforcement (SUP-4): a unit's notices it may still answer, and for the
bureau the decisions waiting for a second person."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from totalquota.accounts.permissions import Principal, may
from totalquota.enforcement import selectors
from totalquota.enforcement.models import PENDING_DECISION, FindingStatus
from totalquota.web.home import Card, provider


@provider
def enforcement_cards(principal: Principal) -> list[Card]:
    cards: list[Card] = []
    if not may(principal, "enforcement.view"):
        return cards
    url = reverse("enforcement:finding_list")
    findings = selectors.findings(principal)
    if may(principal, "enforcement.answer"):
        open_notices = findings.filter(
            status=FindingStatus.NOTIFIED, notice__answer_due__gte=timezone.localdate()
        )
        count = open_notices.count()
        if count:
            due = open_notices.order_by("notice__answer_due").values_list("notice__answer_due", flat=True)[0]
            cards.append(
                Card(
                    _("待陈述申辩的告知"),
                    count,
                    url + "?status=notified",
                    "danger",
                    _("最早截止 %(due)s（SUP-4）") % {"due": due.isoformat()},
                    5,
                )
            )
    if may(principal, "enforcement.decide"):
        waiting = (
            findings.filter(status__in=PENDING_DECISION)
            .exclude(decisions__state="proposed", decisions__prepared_by=principal.user)
            .count()
        )
        if waiting:
            cards.append(
                Card(
                    _("待确认的处罚决定"),
                    waiting,
                    url + "?status=proposed",
                    "warning",
                    _("拟办人以外的人员确认（四眼原则，SUP-4）"),
                    12,
                )
            )
    return cards
