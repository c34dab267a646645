"""The periodic bulletin of the reduction library (RED-5), on screen, as XLSX and as PDF."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from totalquota.accounts.permissions import (
    principal_of,
    require,
)
from totalquota.common.pdf import pdf_response, render_pdf
from totalquota.common.xlsx import chinese_date, xlsx_response
from totalquota.reductions.bulletin import build_bulletin, bulletin_xlsx
from totalquota.reductions.forms import (
    BulletinForm,
)
from totalquota.reductions.views.common import _zones_for


@login_required
def bulletin(request):
    require(request.user, "reductions.view_bulletin")
    today = timezone.localdate()
    form = BulletinForm(request.GET or None, initial={"start": dt.date(today.year, 1, 1), "end": today})
    zone_field = form.fields["zone"]
    zone_field.queryset = _zones_for(request.user)  # type: ignore[attr-defined]
    data = None
    if form.is_bound and form.is_valid():
        data = build_bulletin(
            principal=principal_of(request.user),
            start=form.cleaned_data["start"],
            end=form.cleaned_data["end"],
            zone=form.cleaned_data["zone"],
        )
        stem = f"{data.title}-{data.zone_label}-{chinese_date(data.start)}至{chinese_date(data.end)}"
        fmt = request.GET.get("format")
        if fmt == "xlsx":
            return xlsx_response(bulletin_xlsx(data, exported_by=str(request.user)), f"{stem}.xlsx")
        if fmt == "pdf":
            return pdf_response(render_pdf("reductions/bulletin_pdf.html", {"b": data}), f"{stem}.pdf")
    elif not form.is_bound:
        form = BulletinForm(initial={"start": dt.date(today.year, 1, 1), "end": today})
        form.fields["zone"].queryset = _zones_for(request.user)  # type: ignore[attr-defined]
    query = request.GET.copy()
    query.pop("format", None)
    for field in form.fields.values():
        css = (
            "form-select form-select-sm"
            if field.widget.input_type == "select"
            else "form-control form-control-sm"
        )
        field.widget.attrs.setdefault("class", css)
    return render(
        request,
        "reductions/bulletin.html",
        {"form": form, "b": data, "title": _("减排项目通报（RED-5）"), "query": query.urlencode()},
        status=422 if form.is_bound and form.errors else 200,
    )
