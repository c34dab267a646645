"""储备库 page of the reserve's income and spending warnings (RES-3), on screen, as xlsx and PDF."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from totalquota.accounts.permissions import in_zones, require
from totalquota.common.pdf import pdf_response, render_pdf
from totalquota.common.xlsx import chinese_date, export_filename, write_workbook, xlsx_response
from totalquota.lib.units import grams_to_decimal
from totalquota.registry.models import Zone
from totalquota.reserve import selectors
from totalquota.reserve.forms import WarningPeriodForm
from totalquota.web.lists import export_heading


def _period(request: HttpRequest) -> tuple[dt.date, dt.date, WarningPeriodForm]:
    today = timezone.localdate()
    start = today.replace(month=1, day=1)
    form = WarningPeriodForm(request.GET or None, initial={"start": start, "end": today})
    if form.is_bound and form.is_valid():
        return form.cleaned_data["start"], form.cleaned_data["end"], form
    return start, today, form


@login_required
def warnings(request: HttpRequest) -> HttpResponseBase:
    principal = require(request.user, "reserve.view_warnings")
    start, end, form = _period(request)
    zones = in_zones(principal, Zone.objects.filter(is_active=True))
    rows = selectors.needing_action_first(selectors.zone_warnings(start, end, zones=zones, only_active=True))
    fmt = request.GET.get("format")
    show_all = request.GET.get("show") == "all"
    flagged = [r for r in rows if r.needs_action]
    counts = {level: sum(1 for r in rows if r.level == level) for level in selectors.LEVELS}
    context = {
        "title": _("储备收支预警（RES-3）"),
        "rows": rows,
        "shown": rows if show_all else flagged,
        "show_all": show_all,
        "counts": counts,
        "start": start,
        "end": end,
        "form": form,
        "issued_on": timezone.localdate(),
        "flagged": flagged,
        "quarters": selectors.drawdown_quarters(min(end, timezone.localdate())),
    }
    period = _("%(start)s 至 %(end)s") % {"start": chinese_date(start), "end": chinese_date(end)}
    if fmt == "xlsx":
        headers = [
            _("功能区"),
            _("污染物"),
            _("单位"),
            _("期末储备"),
            _("待批需求"),
            _("期间收入"),
            _("期间支出"),
            _("月均消耗"),
            _("可保障月数"),
            _("预计耗尽日期"),
            _("级别"),
            _("原因"),
        ]
        data = [
            [
                r.zone.name,
                r.pollutant.display_name,
                r.pollutant.display_unit,
                grams_to_decimal(r.balance, r.pollutant.unit),
                grams_to_decimal(r.demand, r.pollutant.unit),
                grams_to_decimal(r.income, r.pollutant.unit),
                grams_to_decimal(r.spending, r.pollutant.unit),
                grams_to_decimal(r.drawdown_per_month_grams, r.pollutant.unit),
                r.months_of_cover if r.months_of_cover is not None else _("无消耗"),
                r.exhausted_on or "—",
                r.level_label,
                "；".join(r.reasons),
            ]
            for r in rows
        ]
        title = _("储备收支预警通报")
        return xlsx_response(
            write_workbook([(title, headers, data)], heading=export_heading(request.user, title, period)),
            export_filename(title, period.replace(" ", "")),
        )
    if fmt == "pdf":
        return pdf_response(
            render_pdf("reserve/warnings_pdf.html", context),
            export_filename(_("储备收支预警通报"), period.replace(" ", ""), "pdf"),
        )
    return render(request, "reserve/warnings.html", context)
