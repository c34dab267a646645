"""Home-page cards of the self-reports (TOT-2): a unit's reports per year with their status and
deadline, and for the bureau the reports waiting for review."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from totalquota.accounts.permissions import Principal, may, restrict
from totalquota.emissions.models import AWAITING_REVIEW, EDITABLE, EmissionReport, ListEntry
from totalquota.emissions.views.reports import open_years, report_due
from totalquota.web.home import Card, provider


@provider
def emission_report_cards(principal: Principal) -> list[Card]:
    cards: list[Card] = []
    if not may(principal, "emissions.view"):
        return cards
    today = timezone.localdate()
    if principal.enterprise_id is not None and may(principal, "emissions.report"):
        enterprise_id = principal.enterprise_id
        for year in open_years(enterprise_id):
            entry = ListEntry.objects.select_related("enterprise", "zone").get(
                year=year, enterprise_id=enterprise_id
            )
            due = report_due(entry.enterprise, year, entry.zone)
            cards.append(
                Card(
                    _("%(year)s 年度排放量申报：尚未填报") % {"year": year},
                    _("未填报"),
                    reverse("emissions:report_create"),
                    "danger" if due is not None and due < today else "warning",
                    _("报送截止 %(due)s（TOT-2）") % {"due": due.isoformat() if due else _("未设置")},
                    3,
                )
            )
        reports = EmissionReport.objects.filter(enterprise_id=enterprise_id).select_related(
            "enterprise", "zone", "current_version", "accepted_version"
        )
        for report in reports.order_by("-year")[:5]:
            editable = report.status in EDITABLE
            due = report_due(report.enterprise, report.year, report.zone) if editable else None
            note = (
                _("报送截止 %(due)s（TOT-2）") % {"due": due.isoformat() if due else _("未设置")}
                if editable
                else _("当前第 %(n)s 版；通过版本：%(a)s")
                % {
                    "n": report.current_version.number if report.current_version else "—",
                    "a": report.accepted_version.number if report.accepted_version else "—",
                }
            )
            level = "secondary"
            if editable:
                level = "danger" if due is not None and due < today else "warning"
            cards.append(
                Card(
                    _("%(year)s 年度排放量申报") % {"year": report.year},
                    report.get_status_display(),
                    report.get_absolute_url(),
                    level,
                    note,
                    4,
                )
            )
        return cards
    if may(principal, "emissions.review"):
        waiting = (
            restrict(principal, EmissionReport.objects.all(), "emissions.view")
            .filter(status__in=AWAITING_REVIEW)
            .count()
        )
        if waiting:
            cards.append(
                Card(
                    _("待审核的排放量申报"),
                    waiting,
                    reverse("emissions:report_list") + "?status=submitted",
                    "warning",
                    _("须有技术审核意见，由出具意见以外的审核人员审核通过（TOT-3）"),
                    14,
                )
            )
    return cards
