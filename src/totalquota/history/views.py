"""历史数据导入 pages (bureau administrators): the list of imports (search, export), the template,
the upload, a prepared import with its row-by-row report (XLSX export), confirm and discard."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from totalquota.accounts.permissions import may, principal_of, require
from totalquota.common.middleware import multipart_post
from totalquota.common.xlsx import export_filename, write_workbook, xlsx_response
from totalquota.history import selectors, services, workbook
from totalquota.history.forms import HistoryUploadForm
from totalquota.history.models import HistoryImport, ImportStatus
from totalquota.lib.errors import DomainError
from totalquota.lib.units import format_quantity
from totalquota.registry.models import Pollutant, Zone
from totalquota.web.forms import post_action
from totalquota.web.lists import Button, Column, ScopedListView, export_heading, model_columns


class HistoryImportListView(ScopedListView):
    model = HistoryImport
    action = "history.view"
    title = gettext_lazy("历史数据导入")
    search_fields = ["file_name", "file_sha256", "prepared_by__username", "decided_by__username"]
    search_placeholder = gettext_lazy("文件名、SHA-256、经办人")
    export_name = gettext_lazy("历史数据导入")
    related = ("prepared_by", "decided_by")
    columns = model_columns(
        HistoryImport,
        Column(gettext_lazy("导入批次"), lambda h: f"H{h.pk}", link=True),
        "file_name status lot_rows allocation_rows recovery_rows first_day last_day",
        Column(gettext_lazy("经办人"), "prepared_by.username"),
        "prepared_at",
        Column(gettext_lazy("复核人"), "decided_by.username"),
        "decided_at",
    )
    buttons = [
        Button("history.import", gettext_lazy("上传历史数据"), "history:upload", icon="bi-upload"),
        Button(
            "history.view",
            gettext_lazy("下载模板"),
            "history:template",
            icon="bi-download",
            style="outline-success",
        ),
    ]


@login_required
def template_view(request: HttpRequest) -> FileResponse:
    require(request.user, "history.view")
    return xlsx_response(workbook.template(), "历史数据导入模板.xlsx")


@login_required
@multipart_post
def upload(request: HttpRequest) -> HttpResponse:
    """Upload a filled-in template: a good file becomes a prepared import (nothing posted); a bad
    one is answered 422 with every problem listed and nothing kept."""
    require(request.user, "history.import")
    form = HistoryUploadForm(request.POST or None, request.FILES or None)
    problems: list[dict] = []
    status = 200
    if request.method == "POST" and form.is_valid():
        file = form.cleaned_data["file"]
        try:
            history = services.history_prepare(
                actor=principal_of(request.user), file_name=file.name, content=file.read()
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
            problems = exc.errors
            status = 409 if exc.status == 409 else 422
        else:
            return redirect(history.get_absolute_url())
    elif request.method == "POST":
        status = 422  # no file, or an empty one
    return render(
        request,
        "history/upload.html",
        {"form": form, "problems": problems, "title": _("上传历史数据")},
        status=status,
    )


def _timeline_rows(history: HistoryImport) -> list[tuple[str, str, str, str]]:
    zones = Zone.objects.in_bulk({z for z, _p, _d, _g in history.timeline})
    pollutants = Pollutant.objects.in_bulk({p for _z, p, _d, _g in history.timeline})
    return [
        (zones[z].name, str(pollutants[p]), d, format_quantity(g, pollutants[p].unit, suffix=True))
        for z, p, d, g in history.timeline
        if z in zones and p in pollutants
    ]


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    history = selectors.import_for(request.user, pk)
    may_decide = history.status == ImportStatus.PREPARED and may(request.user, "history.import")
    return render(
        request,
        "history/detail.html",
        {
            "history": history,
            "title": _("历史数据导入 H%(pk)s") % {"pk": history.pk},
            "may_confirm": may_decide and history.prepared_by_id != request.user.pk,
            "may_discard": may_decide,
            "timeline": _timeline_rows(history),
            "entries": selectors.entries_of(history),
        },
    )


@login_required
def report(request: HttpRequest, pk: int) -> FileResponse:
    """The row-by-row report as XLSX (sheet, row, day, what is posted, in Chinese and English)."""
    history = selectors.import_for(request.user, pk)
    rows = [(r["sheet"], r["row"], r["day"], r["message"], r["message_en"]) for r in history.report]
    heading = export_heading(
        request.user,
        _("历史数据导入 H%(pk)s 逐行报告") % {"pk": history.pk},
        [
            (_("文件"), f"{history.file_name}（SHA-256 {history.file_sha256}）"),
            (_("状态"), history.get_status_display()),
        ],
    )
    headers = [_("工作表"), _("行号"), _("日期"), _("记账内容"), _("记账内容（英文）")]
    out = write_workbook([(_("逐行报告"), headers, rows)], heading=heading)
    return xlsx_response(
        out, export_filename(_("历史数据导入报告-H%(pk)s") % {"pk": history.pk}, history.prepared_at.date())
    )


@login_required
@require_POST
def confirm(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, "history.import")
    history = selectors.import_for(request.user, pk)
    return post_action(
        request,
        lambda: services.history_confirm(actor=principal_of(request.user), history=history),
        _("已确认导入：全部记录已按原日期记账。"),
        history.get_absolute_url(),
    )


@login_required
@require_POST
def discard(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, "history.import")
    history = selectors.import_for(request.user, pk)
    return post_action(
        request,
        lambda: services.history_discard(actor=principal_of(request.user), history=history),
        _("已放弃该导入，未记账。"),
        history.get_absolute_url(),
    )
