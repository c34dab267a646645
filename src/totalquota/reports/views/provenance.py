"""The provenance picture's pages: the Sankey of a pollutant and period, and the records and
ledger transfers behind one band; both as XLSX too."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from totalquota.accounts.permissions import require
from totalquota.common.xlsx import chinese_date, export_filename, write_workbook, xlsx_response
from totalquota.lib import dates
from totalquota.lib.units import grams_to_decimal
from totalquota.registry.models import Pollutant
from totalquota.reports import provenance as selectors
from totalquota.web.lists import export_heading

DATE_WIDGET = {"type": "date", "class": "form-control form-control-sm"}


class PictureForm(forms.Form):
    pollutant = forms.ModelChoiceField(
        Pollutant.objects.all(),
        label=gettext_lazy("污染物"),
        to_field_name="code",
        required=False,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    start = dates.form_field(
        dates.QUERY_DAY, gettext_lazy("起始日期"), required=False, widget=forms.DateInput(attrs=DATE_WIDGET)
    )
    end = dates.form_field(
        dates.QUERY_DAY, gettext_lazy("截止日期"), required=False, widget=forms.DateInput(attrs=DATE_WIDGET)
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise forms.ValidationError(_("起始日期不能晚于截止日期"))
        return data


def _filters(request: HttpRequest) -> tuple[Any, dt.date, dt.date, PictureForm]:
    today = timezone.localdate()
    start, end = today.replace(month=1, day=1), today
    pollutant = Pollutant.objects.order_by("sort_order", "code").first()
    form = PictureForm(request.GET or None, initial={"start": start, "end": end, "pollutant": pollutant})
    if form.is_bound and form.is_valid():
        # A filter left empty keeps its default (this year up to today, the first pollutant).
        start = form.cleaned_data["start"] or start
        end = form.cleaned_data["end"] or end
        pollutant = form.cleaned_data["pollutant"] or pollutant
        if start > end:
            form.add_error(None, _("起始日期不能晚于截止日期"))
            start, end = today.replace(month=1, day=1), today
    return pollutant, start, end, form


def _period(start: dt.date, end: dt.date) -> str:
    return _("%(start)s 至 %(end)s") % {"start": chinese_date(start), "end": chinese_date(end)}


def band_url(pollutant: Any, start: dt.date, end: dt.date, band: selectors.Band) -> str:
    query = {
        "pollutant": pollutant.code,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "from": band.source.key,
        "to": band.target.key,
    }
    return f"{reverse('reports:provenance_band')}?{urlencode(query)}"


@login_required
def provenance(request: HttpRequest) -> HttpResponseBase:
    principal = require(request.user, "reports.view_provenance")
    pollutant, start, end, form = _filters(request)
    if pollutant is None:
        raise Http404(_("没有污染物"))
    picture = selectors.provenance_picture(principal, pollutant=pollutant, start=start, end=end)
    bands = [(band, band_url(pollutant, start, end, band)) for band in picture.bands]
    unit = pollutant.unit
    title = _("指标来源去向图")
    if request.GET.get("format") == "xlsx":
        headers = [_("来源"), _("去向"), _("单位"), _("数量")]
        rows = [
            [b.source.label, b.target.label, pollutant.display_unit, grams_to_decimal(b.grams, unit)]
            for b, _u in bands
        ]
        period = _period(start, end)
        return xlsx_response(
            write_workbook(
                [(title, headers, rows)],
                heading=export_heading(request.user, f"{title}（{pollutant.display_name}）", period),
            ),
            export_filename(f"{title}-{pollutant.display_name}", period.replace(" ", "")),
        )
    chart = {
        "title": f"{pollutant.display_name} ({pollutant.display_unit})",
        "unit": pollutant.display_unit,
        "nodes": [{"name": n.key, "label": n.label, "depth": n.column} for n in picture.nodes],
        "links": [
            {
                "source": b.source.key,
                "target": b.target.key,
                "value": str(grams_to_decimal(b.grams, unit)),
                "url": url,
            }
            for b, url in bands
        ],
    }
    context = {
        "title": title,
        "form": form,
        "pollutant": pollutant,
        "start": start,
        "end": end,
        "picture": picture,
        "bands": bands,
        "chart": chart,
    }
    return render(request, "reports/provenance.html", context)


@login_required
def provenance_band(request: HttpRequest) -> HttpResponseBase:
    principal = require(request.user, "reports.view_provenance")
    pollutant, start, end, form = _filters(request)
    if form.errors:
        return render(
            request,
            "reports/provenance_band.html",
            {"form": form, "title": _("指标来源去向明细")},
            status=422,
        )
    source, target = request.GET.get("from", ""), request.GET.get("to", "")
    detail = selectors.band_detail(
        principal, pollutant=pollutant, start=start, end=end, source=source, target=target
    )
    if detail is None:
        raise Http404(_("该期间没有这条指标流向"))
    unit = pollutant.unit
    title = _("指标来源去向明细")
    if request.GET.get("format") == "xlsx":
        period = _period(start, end)
        heading = f"{title}：{detail.source.label} → {detail.target.label}（{pollutant.display_name}）"
        records = [
            [r.label, r.detail, pollutant.display_unit, grams_to_decimal(r.grams, unit)]
            for r in detail.records
        ]
        transfers = [
            [
                t.transfer.pk,
                t.transfer.posting_id,
                t.transfer.effective_date,
                t.transfer.get_code_display(),
                t.transfer.debit.code,
                t.transfer.credit.code,
                pollutant.display_unit,
                grams_to_decimal(t.grams, unit),
            ]
            for t in detail.transfers
        ]
        return xlsx_response(
            write_workbook(
                [
                    (_("记录"), [_("记录"), _("编号"), _("单位"), _("数量")], records),
                    (
                        _("划转"),
                        [
                            _("划转"),
                            _("记账批次"),
                            _("生效日期"),
                            _("业务类型"),
                            _("转出账户"),
                            _("转入账户"),
                            _("单位"),
                            _("数量"),
                        ],
                        transfers,
                    ),
                ],
                heading=export_heading(request.user, heading, period),
            ),
            export_filename(title, period.replace(" ", "")),
        )
    query = request.GET.copy()
    query["format"] = "xlsx"
    back = {"pollutant": pollutant.code, "start": start.isoformat(), "end": end.isoformat()}
    context = {
        "title": title,
        "form": form,
        "detail": detail,
        "pollutant": pollutant,
        "start": start,
        "end": end,
        "export_query": query.urlencode(),
        "back_url": f"{reverse('reports:provenance')}?{urlencode(back)}",
    }
    return render(request, "reports/provenance_band.html", context)
