"""Home-page cards of the management list and deadlines (TOT-1, TOT-2): a unit's unread reminders
and next due date; for the zones and the bureau, the units overdue and due soon per zone."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from totalquota.accounts.permissions import Principal, may, restrict
from totalquota.emissions import deadlines
from totalquota.emissions.forms_listing import emission_year
from totalquota.emissions.models import Reminder
from totalquota.lib.errors import DomainError
from totalquota.web.home import Card, provider

S = deadlines.ReportState


@provider
def emissions_listing_cards(principal: Principal) -> list[Card]:
    if not may(principal, "emissions.view"):
        return []
    year = emission_year()
    overdue_url = reverse("emissions:overdue")
    cards: list[Card] = []
    if principal.enterprise_id is not None:
        unread = restrict(principal, Reminder.objects.filter(read_at__isnull=True), "emissions.view").count()
        if unread:
            cards.append(
                Card(
                    _("未读的催报提醒"),
                    unread,
                    reverse("emissions:reminders"),
                    "warning",
                    _("打开即标为已读"),
                    4,
                )
            )
    try:
        rows = deadlines.unit_dues(principal, year)
    except DomainError:  # a deadline rule is missing: the list pages say so
        return cards
    if principal.enterprise_id is not None:
        for row in rows:
            if row.state == S.SUBMITTED:
                continue
            level = {str(S.OVERDUE): "danger", str(S.DUE_SOON): "warning"}.get(row.state, "info")
            note = row.state_label
            if row.due.extension is not None:
                note = _("%(state)s；已延期：%(reason)s") % {
                    "state": note,
                    "reason": row.due.extension.reason,
                }
            cards.append(
                Card(
                    _("%(year)s 年度排放量申报截止日") % {"year": year},
                    row.due.on.isoformat(),
                    overdue_url + f"?year={year}&state=all",
                    level,
                    note,
                    6,
                )
            )
        return cards
    if not (may(principal, "emissions.remind") or may(principal, "emissions.manage_list")):
        return cards
    for state, title, level, order in (
        (S.OVERDUE, _("逾期未报排放量的名录单位"), "danger", 7),
        (S.DUE_SOON, _("临近申报截止的名录单位"), "warning", 17),
    ):
        per_zone: dict[str, int] = {}
        for row in rows:
            if row.state == state:
                per_zone[row.entry.zone.name] = per_zone.get(row.entry.zone.name, 0) + 1
        if per_zone:
            cards.append(
                Card(
                    title,
                    sum(per_zone.values()),
                    overdue_url + f"?year={year}&state={state}",
                    level,
                    "、".join(f"{zone} {n}" for zone, n in per_zone.items()),
                    order,
                )
            )
    return cards
