"""Pages of the emission total library: technical review and consistency (TOT-3).

The review panel of a report (opinions, flags, the side-by-side table; ``_review_panel.html``,
included in the report's page and shown on its own at ``review/reports/<pk>/``), batch acceptance,
imports of other sources and their figures, consistency flags and over-emission candidates.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from totalquota.accounts.permissions import access, may, principal_of, require, restrict
from totalquota.common.files import download
from totalquota.common.middleware import multipart_post
from totalquota.common.xlsx import xlsx_response
from totalquota.emissions import selectors_review, source_files
from totalquota.emissions.consistency import flag_message
from totalquota.emissions.forms_review import (
    AwaitingFilter,
    CandidateFilter,
    FigureFilter,
    FlagFilter,
    OpinionForm,
    ResolveForm,
    SourceImportFilter,
    SourceImportForm,
)
from totalquota.emissions.models import (
    ConsistencyFlag,
    EmissionReport,
    FlagStatus,
    SourceFigure,
    SourceImport,
    VerifiedEmission,
)
from totalquota.emissions.services import review as services
from totalquota.lib.errors import DomainError
from totalquota.lib.units import format_quantity
from totalquota.web.forms import apply_errors, import_page
from totalquota.web.lists import Button, Column, ScopedListView, model_columns


def _back(request: HttpRequest, report: EmissionReport) -> HttpResponse:
    """Back to the page the form was posted from (the report's page or the review page)."""
    target = str(request.POST.get("next", ""))
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return redirect(target)
    return redirect("emissions:review_report", report.pk)


def _report(request: HttpRequest, pk: int, permission: str) -> EmissionReport:
    return access(request.user, EmissionReport.objects.select_related("enterprise", "zone"), pk, permission)


@login_required
def review_report(request: HttpRequest, pk: int) -> HttpResponse:
    """A report's review on a page of its own: the panel the report's page includes."""
    report = _report(request, pk, "emissions.view")
    return render(
        request,
        "emissions/review_report.html",
        {
            "report": report,
            "title": _("技术审核：%(unit)s %(year)s 年度") % {"unit": report.enterprise, "year": report.year},
            "may_review": may(request.user, "emissions.review"),
        },
    )


@login_required
@require_POST
def opinion_add(request: HttpRequest, pk: int) -> HttpResponse:
    report = _report(request, pk, "emissions.opinion")
    form = OpinionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写结论和意见"))
        return _back(request, report)
    try:
        services.opinion_add(actor=principal_of(request.user), report=report, **form.cleaned_data)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("已出具技术审核意见。"))
    return _back(request, report)


# --- batch acceptance -------------------------------------------------------------------------------
class BatchView(ScopedListView):
    """待审核通过的申报: reports awaiting acceptance, filtered, with the selectable ones (an opinion on
    the current version, no open flag) ticked and accepted together."""

    model = EmissionReport
    action = "emissions.review"
    title = gettext_lazy("批量审核通过")
    export_name = gettext_lazy("待审核通过的排放量申报")
    template_name = "emissions/review_batch.html"
    filterset_class = AwaitingFilter
    search_fields = ["enterprise__name", "enterprise__uscc"]
    paginate_by = 500
    columns = [
        Column(gettext_lazy("排污单位"), "enterprise.name"),
        Column(gettext_lazy("统一社会信用代码"), "enterprise.uscc"),
        Column(gettext_lazy("功能区"), "zone.name"),
        Column(gettext_lazy("排放年度"), "year"),
        Column(gettext_lazy("状态"), "status"),
        Column(gettext_lazy("版本"), "current_version.number"),
        Column(gettext_lazy("已有技术审核意见"), "has_opinion"),
        Column(gettext_lazy("有未处理提示"), "has_open_flags"),
    ]

    def base_queryset(self) -> QuerySet:
        return selectors_review.awaiting_acceptance(self.request.user)

    def get_template_names(self) -> list[str]:
        if self.request.headers.get("HX-Request") and self.request.headers.get("HX-Target") == "list-results":
            return ["emissions/_review_batch_results.html"]
        return [self.template_name]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        actor = require(request.user, self.action)
        ids = [int(x) for x in request.POST.getlist("ids") if x.isascii() and x.isdigit() and len(x) < 18]
        try:
            results = services.reports_accept(
                actor=actor, ids=ids, reason=str(request.POST.get("reason", ""))
            )
        except DomainError as exc:
            messages.error(request, str(exc))
            return redirect("emissions:review_batch")
        accepted = [r for r in results if r.accepted]
        refused = [r for r in results if not r.accepted]
        return render(
            request,
            "emissions/review_batch_result.html",
            {"title": _("批量审核通过结果"), "accepted": accepted, "refused": refused},
        )


# --- flags -----------------------------------------------------------------------------------------------
def _flag_columns(*extra: Column) -> list[Column]:
    return model_columns(
        ConsistencyFlag,
        Column(gettext_lazy("排污单位"), "enterprise.name", link=True),
        Column(gettext_lazy("功能区"), "zone.name"),
        "year",
        Column(gettext_lazy("污染物"), "pollutant.display_name"),
        "kind source_kind",
        Column(
            gettext_lazy("申报数"), lambda f: format_quantity(f.reported_grams, f.pollutant.unit), css="num"
        ),
        Column(gettext_lazy("比对数"), lambda f: format_quantity(f.other_grams, f.pollutant.unit), css="num"),
        Column(gettext_lazy("单位"), "pollutant.display_unit"),
        Column(gettext_lazy("说明"), flag_message, css="wrap"),
        "status",
        Column(gettext_lazy("版本"), "version.number"),
        *extra,
    )


class FlagListView(ScopedListView):
    model = ConsistencyFlag
    action = "emissions.view"
    title = gettext_lazy("一致性核查提示")
    export_name = gettext_lazy("一致性核查提示")
    filterset_class = FlagFilter
    search_fields = ["enterprise__name", "enterprise__uscc", "message"]
    related = ("enterprise", "zone", "pollutant", "version")
    columns = _flag_columns(Column(gettext_lazy("处理意见"), "resolution", css="wrap"))


class CandidateListView(ScopedListView):
    """监督候选: over-emission flags handed to supervision as candidate findings (SUP-4)."""

    model = ConsistencyFlag
    action = "emissions.view"
    title = gettext_lazy("超量排放监督候选")
    export_name = gettext_lazy("超量排放监督候选")
    filterset_class = CandidateFilter
    search_fields = ["enterprise__name", "enterprise__uscc"]
    columns = _flag_columns()

    def base_queryset(self) -> QuerySet:
        return selectors_review.over_emission_flags(self.request.user)


def _flag(request: HttpRequest, pk: int, permission: str) -> ConsistencyFlag:
    return access(
        request.user,
        ConsistencyFlag.objects.select_related(
            "enterprise", "zone", "pollutant", "version", "report", "resolved_by"
        ),
        pk,
        permission,
    )


@login_required
def flag_detail(request: HttpRequest, pk: int) -> HttpResponse:
    flag = _flag(request, pk, "emissions.view")
    return render(
        request,
        "emissions/review_flag_detail.html",
        {
            "flag": flag,
            "message": flag_message(flag),
            "title": _("一致性核查提示"),
            "form": ResolveForm(),
            "can_resolve": flag.status == FlagStatus.OPEN and may(request.user, "emissions.resolve_flag"),
            # Supervision registers a finding from the flag (SUP-4) on its own page.
            "can_record_finding": flag.status != FlagStatus.SUPERSEDED
            and may(request.user, "enforcement.record"),
        },
    )


@login_required
def flag_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    flag = _flag(request, pk, "emissions.resolve_flag")
    form = ResolveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.flag_resolve(
                actor=principal_of(request.user), flag=flag, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已处理该提示。"))
            return redirect("emissions:flag_detail", flag.pk)
    status = 422 if form.is_bound and form.errors else 200
    return render(
        request,
        "emissions/review_flag_detail.html",
        {
            "flag": flag,
            "message": flag_message(flag),
            "title": _("一致性核查提示"),
            "form": form,
            "can_resolve": True,
        },
        status=status,
    )


# --- other sources ----------------------------------------------------------------------------------------
class SourceListView(ScopedListView):
    model = SourceImport
    action = "emissions.view_sources"
    title = gettext_lazy("外部数据导入批次")
    export_name = gettext_lazy("外部数据导入批次")
    filterset_class = SourceImportFilter
    search_fields = ["source", "file_name"]
    related = ("imported_by", "enterprise")
    columns = model_columns(
        SourceImport,
        Column(gettext_lazy("来源说明"), "source", link=True),
        "kind year source_date",
        Column(gettext_lazy("排污单位"), "enterprise.name"),
        "file_name row_count imported_by imported_at",
    )
    buttons = [
        Button(
            "emissions.import_sources",
            gettext_lazy("导入外部数据"),
            "emissions:source_import",
            icon="bi-upload",
        ),
    ]


class FigureListView(ScopedListView):
    model = SourceFigure
    action = "emissions.view"
    title = gettext_lazy("外部来源数据")
    export_name = gettext_lazy("外部来源数据")
    filterset_class = FigureFilter
    search_fields = ["enterprise__name", "enterprise__uscc"]
    related = ("enterprise", "pollutant", "batch")
    ordering = ["-year", "enterprise__name", "pollutant__sort_order", "-batch_id"]
    columns = model_columns(
        SourceFigure,
        Column(gettext_lazy("排污单位"), "enterprise.name"),
        Column(gettext_lazy("统一社会信用代码"), "enterprise.uscc"),
        "year kind",
        Column(gettext_lazy("污染物"), "pollutant.display_name"),
        Column(
            gettext_lazy("排放量（外排环境量）"),
            lambda f: format_quantity(f.grams, f.pollutant.unit),
            css="num",
        ),
        Column(
            gettext_lazy("排放量（接管量）"),
            lambda f: "" if f.sewer_grams is None else format_quantity(f.sewer_grams, f.pollutant.unit),
            css="num",
        ),
        Column(gettext_lazy("单位"), "pollutant.display_unit"),
        Column(gettext_lazy("来源说明"), "batch.source"),
        Column(gettext_lazy("数据日期"), "batch.source_date"),
    )


@login_required
def source_detail(request: HttpRequest, pk: int) -> HttpResponse:
    batch = access(
        request.user,
        SourceImport.objects.select_related("imported_by", "enterprise"),
        pk,
        "emissions.view_sources",
    )
    figures = restrict(
        request.user,
        SourceFigure.objects.filter(batch=batch).select_related("enterprise", "pollutant"),
        "emissions.view",
    ).order_by("enterprise__name", "pollutant__sort_order")
    return render(
        request,
        "emissions/review_source_detail.html",
        {
            "batch": batch,
            "figures": figures[:200],
            "figure_count": figures.count(),
            "title": _("外部数据导入批次"),
        },
    )


@login_required
@multipart_post
def source_import(request: HttpRequest) -> HttpResponse:
    """The upload starts a background job (``emissions.source_import``) and the page moves to the
    job's page, with its progress bar; a form or a file refused before any job exists stays here
    with 422."""
    actor = require(request.user, "emissions.import_sources")
    form = SourceImportForm(request.POST or None, request.FILES or None)

    def save(upload: Any) -> Any:
        data = form.cleaned_data
        return services.source_import_start(
            actor=actor,
            kind=data["kind"],
            year=data["year"],
            source=data["source"],
            source_date=data["source_date"],
            upload=upload,
        )

    def done(job: Any) -> HttpResponse:
        messages.success(request, _("文件已上传，正在后台导入；可以离开本页，稍后在“后台任务”中查看结果。"))
        return redirect("jobs:detail", job.pk)

    return import_page(
        request,
        form,
        save=save,
        done=done,
        title=_("导入外部数据（TOT-3）"),
        template="emissions/review_import.html",
    )


@login_required
def source_template(request: HttpRequest) -> FileResponse:
    require(request.user, "emissions.import_sources")
    return xlsx_response(source_files.template(), "外部来源数据导入模板.xlsx")


# --- RES-4 (2) fallback evidence ---------------------------------------------------------------------
@login_required
def verified_evidence(request: HttpRequest, pk: int) -> FileResponse:
    row = access(request.user, VerifiedEmission, pk, "reserve.view")
    if not row.evidence:
        raise Http404(_("该核实排放量没有佐证材料"))
    return download(row.evidence, content_type=row.evidence_content_type, filename=row.evidence_name)


urlpatterns: list[URLPattern] = [
    path("review/", BatchView.as_view(), name="review_batch"),
    path("review/reports/<int:pk>/", review_report, name="review_report"),
    path("review/reports/<int:pk>/opinion/", opinion_add, name="opinion_add"),
    path("review/flags/", FlagListView.as_view(), name="flag_list"),
    path("review/flags/<int:pk>/", flag_detail, name="flag_detail"),
    path("review/flags/<int:pk>/resolve/", flag_resolve, name="flag_resolve"),
    path("candidates/", CandidateListView.as_view(), name="candidate_list"),
    path("review/sources/", SourceListView.as_view(), name="source_list"),
    path("review/sources/new/", source_import, name="source_import"),
    path("review/sources/template.xlsx", source_template, name="source_template"),
    path("review/sources/<int:pk>/", source_detail, name="source_detail"),
    path("review/figures/", FigureListView.as_view(), name="figure_list"),
    path("review/verified/<int:pk>/evidence/", verified_evidence, name="verified_evidence"),
]
