"""Reduction library pages: projects, the library, declaration, review, evidence, bulletin."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST

from totalquota.accounts.permissions import (
    access,
    in_zones,
    may,
    principal_of,
    require,
    restrict,
    zone_allowed,
)
from totalquota.common.middleware import multipart_post
from totalquota.common.pdf import pdf_response, render_pdf
from totalquota.common.xlsx import read_table, xlsx_response
from totalquota.lib.errors import DomainError
from totalquota.lib.units import format_quantity, grams_to_decimal
from totalquota.reductions import accounting, selectors, services
from totalquota.reductions.bulletin import build_bulletin, bulletin_xlsx
from totalquota.reductions.filters import FactorFilter, LibraryFilter, ProjectFilter, RoundFilter
from totalquota.reductions.forms import (
    BulletinForm,
    EvidenceForm,
    FactorForm,
    FactorRetireForm,
    ImportForm,
    LineForm,
    OpinionForm,
    ProjectForm,
    ReasonForm,
    ReviewForm,
    RoundForm,
    SuggestionForm,
    UsageForm,
    revalidate,
)
from totalquota.reductions.imports import IMPORT_COLUMNS, import_template
from totalquota.reductions.models import (
    EDITABLE,
    AccountingFactor,
    DeclarationRound,
    Evidence,
    LineUsage,
    ProjectStatus,
    ReductionLine,
    ReductionProject,
)
from totalquota.reductions.workflow import PROJECT_ACTIONS, project_actions
from totalquota.registry.models import Enterprise, Pollutant, Zone
from totalquota.web.actions import action_view
from totalquota.web.lists import Column, PageAction, ScopedListView, action_if

S = ProjectStatus


# --- helpers -----------------------------------------------------------------------------------
def _apply_errors(form, exc: DomainError) -> None:
    text = str(exc)
    if exc.errors:
        placed = False
        for item in exc.errors:
            field = item.get("field")
            if field in form.fields:
                form.add_error(field, item["message"])
                placed = True
        if not placed or exc.clause:
            form.add_error(None, text)
    elif exc.field in form.fields:
        form.add_error(exc.field, text)
    else:
        form.add_error(None, text)


def _zones_for(user):
    return in_zones(principal_of(user), Zone.objects.filter(is_active=True))


def _enterprises_for(user):
    return restrict(user, Enterprise.objects.filter(is_active=True).select_related("zone"), "registry.view")


def reductions_text(project: ReductionProject) -> str:
    return "；".join(
        f"{line.pollutant.name} {format_quantity(line.reduction_grams, line.pollutant.unit, suffix=True)}"
        for line in project.lines.all()
    )


class PollutantQuantity(Column):
    """A gram amount shown in its row's pollutant unit (t/a, or kg/a for heavy metals); exported
    as a number in that unit, with the unit in the next column of the export."""

    def raw(self, row: Any) -> Any:
        grams = super().raw(row)
        return None if grams is None else format_quantity(int(grams), row.pollutant.unit, suffix=True)

    def export_value(self, row: Any) -> Any:
        grams = Column.raw(self, row)
        return "" if grams is None else grams_to_decimal(int(grams), row.pollutant.unit)


# --- lists -------------------------------------------------------------------------------------
class CompactList(ScopedListView):
    """A list whose page shows the columns that fit a screen and whose export has every column."""

    export_columns: list[Column] = []

    def export(self):
        if self.export_columns:
            self.columns = self.export_columns
        return super().export()


def _local_date(value):
    return timezone.localtime(value).date() if value else None


class ProjectListView(CompactList):
    model = ReductionProject
    action = "reductions.view"
    title = pgettext_lazy("plural", "减排项目")
    search_fields = ["name", "code", "builder", "enterprise__name", "address", "eia_approval_number"]
    search_placeholder = gettext_lazy("名称、编号、建设单位、排污单位、地址、环评文号")
    filterset_class = ProjectFilter
    export_name = "reduction-projects"
    columns = [
        Column(gettext_lazy("项目编号"), "code", link=True),
        Column(gettext_lazy("项目名称"), "name", css="wrap"),
        Column(gettext_lazy("功能区"), "zone.name"),
        Column(gettext_lazy("排污单位"), lambda p: p.enterprise.name if p.enterprise else "—", css="wrap"),
        Column(gettext_lazy("类型"), "project_type"),
        Column(gettext_lazy("状态"), "status"),
        Column(gettext_lazy("竣工时间"), "completion_date"),
        Column(gettext_lazy("减排量"), reductions_text, css="wrap small"),
    ]
    export_columns = [
        Column(gettext_lazy("项目编号"), "code"),
        Column(gettext_lazy("项目名称"), "name"),
        Column(gettext_lazy("功能区"), "zone.name"),
        Column(gettext_lazy("排污单位"), lambda p: p.enterprise.name if p.enterprise else ""),
        Column(gettext_lazy("统一社会信用代码"), lambda p: p.enterprise.uscc if p.enterprise else ""),
        Column(gettext_lazy("类型"), "project_type"),
        Column(gettext_lazy("具体类型"), "subtype"),
        Column(gettext_lazy("状态"), "status"),
        Column(gettext_lazy("来源"), "origin"),
        Column(gettext_lazy("建设单位"), "builder"),
        Column(gettext_lazy("项目地址"), "address"),
        Column(gettext_lazy("联系人"), "contact_name"),
        Column(gettext_lazy("联系电话"), "contact_phone"),
        Column(gettext_lazy("开工时间"), "start_date"),
        Column(gettext_lazy("竣工时间"), "completion_date"),
        Column(gettext_lazy("验收时间"), "acceptance_date"),
        Column(
            gettext_lazy("资金投入（万元）"),
            lambda p: None if p.investment_yuan is None else Decimal(p.investment_yuan) / 10_000,
        ),
        Column(gettext_lazy("减排运行情况"), "operating_status"),
        Column(gettext_lazy("环评批复文号"), "eia_approval_number"),
        Column(gettext_lazy("排污许可证变更情况"), "permit_change"),
        Column(gettext_lazy("减排年度"), "year"),
        Column(gettext_lazy("减排量"), reductions_text),
        Column(gettext_lazy("报送时间"), "submitted_at"),
        Column(gettext_lazy("审核时间"), "decided_at"),
        Column(gettext_lazy("更新时间"), "updated_at"),
    ]

    def base_queryset(self):
        return ReductionProject.objects.select_related("zone", "enterprise").prefetch_related(
            Prefetch("lines", queryset=ReductionLine.objects.select_related("pollutant"))
        )

    def page_actions(self) -> list[PageAction]:
        user = self.request.user
        return (
            action_if(user, "reductions.prepare", _("填报减排项目"), "reductions:project_create")
            + action_if(
                user,
                "reductions.suggest",
                _("提出增补建议"),
                "reductions:project_suggest",
                icon="bi-lightbulb",
            )
            + action_if(
                user,
                "reductions.import",
                _("批量申报"),
                "reductions:import",
                icon="bi-upload",
                style="outline-primary",
            )
        )


class LibraryListView(CompactList):
    model = ReductionLine
    action = "reductions.view"
    title = gettext_lazy("减排库")
    search_fields = ["project__name", "project__code", "project__enterprise__name", "project__builder"]
    search_placeholder = gettext_lazy("项目名称、编号、排污单位")
    filterset_class = LibraryFilter
    export_name = "reduction-library"
    columns = [
        Column(gettext_lazy("减排项目"), "project.name", link=True, css="wrap"),
        Column(gettext_lazy("功能区"), "project.zone.name"),
        Column(
            gettext_lazy("排污单位"),
            lambda r: r.project.enterprise.name if r.project.enterprise else "—",
            css="wrap",
        ),
        Column(gettext_lazy("污染物"), "pollutant.name"),
        Column(gettext_lazy("核算方法"), lambda r: selectors.method_label(r.method).split("（")[0]),
        PollutantQuantity(gettext_lazy("核定减排量"), "reduction_grams", css="num"),
        PollutantQuantity(gettext_lazy("已使用"), "excluded_grams", css="num"),
        PollutantQuantity(gettext_lazy("未使用"), lambda r: r.reduction_grams - r.excluded_grams, css="num"),
        PollutantQuantity(gettext_lazy("报送上级储备库"), "upper_grams", css="num"),
        Column(gettext_lazy("入库日期"), lambda r: _local_date(r.project.decided_at)),
    ]
    export_columns = [
        Column(gettext_lazy("项目编号"), "project.code"),
        Column(gettext_lazy("项目名称"), "project.name"),
        Column(gettext_lazy("功能区"), "project.zone.name"),
        Column(gettext_lazy("排污单位"), lambda r: r.project.enterprise.name if r.project.enterprise else ""),
        Column(gettext_lazy("类型"), "project.project_type"),
        Column(gettext_lazy("减排年度"), "project.year"),
        Column(gettext_lazy("污染物"), "pollutant.name"),
        Column(gettext_lazy("单位"), lambda r: r.pollutant.display_unit),
        Column(gettext_lazy("核算方法"), lambda r: selectors.method_label(r.method)),
        PollutantQuantity(gettext_lazy("基准排放量"), "baseline_grams"),
        PollutantQuantity(gettext_lazy("核定减排量"), "reduction_grams"),
        PollutantQuantity(gettext_lazy("已使用"), "excluded_grams"),
        PollutantQuantity(gettext_lazy("未使用"), lambda r: r.reduction_grams - r.excluded_grams),
        PollutantQuantity(gettext_lazy("报送上级储备库"), "upper_grams"),
        Column(gettext_lazy("入库时间"), "project.decided_at"),
    ]

    def filtered_queryset(self):
        from totalquota.web.lists import apply_search

        qs = selectors.library_lines(self.request.user)
        text = self.request.GET.get("q", "").strip()
        if text:
            qs = apply_search(qs, text, self.search_fields)
        self.filterset = LibraryFilter(self.request.GET or None, queryset=qs, request=self.request)
        for f in self.filterset.form.fields.values():
            f.widget.attrs.setdefault("class", "form-select form-select-sm")
        if self.filterset.is_bound and self.filterset.is_valid():
            qs = self.filterset.qs
        return qs.order_by("-project__decided_at", "project_id", "pollutant__sort_order")

    def page_actions(self) -> list[PageAction]:
        return action_if(
            self.request.user,
            "reductions.view_bulletin",
            _("减排通报"),
            "reductions:bulletin",
            icon="bi-file-earmark-text",
        )


class OverdueListView(ProjectListView):
    title = gettext_lazy("逾期未申报的减排项目（RED-3）")
    export_name = "reduction-overdue"
    columns = [
        *ProjectListView.columns[:7],
        Column(gettext_lazy("申报截止日期"), lambda p: _due(p)),
        Column(gettext_lazy("减排量"), reductions_text, css="wrap small"),
    ]
    export_columns = [
        *ProjectListView.export_columns,
        Column(gettext_lazy("申报截止日期"), selectors.due_date),
    ]

    def base_queryset(self):
        try:
            late = selectors.overdue_q(timezone.localdate())
        except DomainError as exc:
            messages.error(self.request, str(exc))
            return super().base_queryset().none()
        return super().base_queryset().filter(late)

    def page_actions(self) -> list[PageAction]:
        return []


class RoundListView(ScopedListView):
    model = DeclarationRound
    action = "reductions.view"
    title = gettext_lazy("申报轮次（RED-3）")
    search_fields = ["title", "note"]
    filterset_class = RoundFilter
    export_name = "declaration-rounds"
    columns = [
        Column(gettext_lazy("名称"), "title"),
        Column(gettext_lazy("年度"), "year"),
        Column(gettext_lazy("季度"), "quarter"),
        Column(gettext_lazy("开始日期"), "opens_on"),
        Column(gettext_lazy("申报截止日期"), "deadline"),
        Column(gettext_lazy("覆盖竣工日期自"), "covers_from"),
        Column(gettext_lazy("覆盖竣工日期至"), "covers_to"),
        Column(gettext_lazy("已报送项目"), "project_count", css="num"),
        Column(gettext_lazy("说明"), "note", css="wrap"),
    ]

    def base_queryset(self):
        from django.db.models import Count

        return DeclarationRound.objects.annotate(project_count=Count("projects")).order_by(
            "-year", "-quarter"
        )

    def page_actions(self) -> list[PageAction]:
        return action_if(
            self.request.user, "reductions.manage_rounds", _("新建申报轮次"), "reductions:round_create"
        )


class FactorListView(ScopedListView):
    model = AccountingFactor
    action = "reductions.view"
    title = gettext_lazy("核算系数（RED-2）")
    search_fields = ["code", "name", "source", "source_detail"]
    filterset_class = FactorFilter
    export_name = "accounting-factors"
    columns = [
        Column(gettext_lazy("编号"), "code", link=True),
        Column(gettext_lazy("名称"), "name", css="wrap"),
        Column(gettext_lazy("类别"), "kind"),
        Column(gettext_lazy("污染物"), "pollutant"),
        Column(gettext_lazy("取值"), lambda f: accounting.show(accounting.parse_factor_value(f.value))),
        Column(gettext_lazy("精确值"), "value"),
        Column(gettext_lazy("单位"), "unit"),
        Column(gettext_lazy("来源文件或标准"), "source", css="wrap"),
        Column(gettext_lazy("原文取值及出处"), "source_detail", css="wrap"),
        Column(gettext_lazy("生效日期"), "effective_from"),
        Column(gettext_lazy("失效日期"), "effective_to"),
    ]

    def base_queryset(self):
        return AccountingFactor.objects.select_related("pollutant")

    def page_actions(self) -> list[PageAction]:
        return action_if(
            self.request.user, "reductions.manage_factors", _("新增系数"), "reductions:factor_create"
        )


# --- project pages -----------------------------------------------------------------------------
def _project(request, pk: int, action: str = "reductions.view") -> ReductionProject:
    return access(request.user, ReductionProject.objects.select_related("zone", "enterprise"), pk, action)


def _can_prepare(user, project: ReductionProject) -> bool:
    if not may(user, "reductions.prepare") or project.status not in EDITABLE:
        return False
    principal = principal_of(user)
    if principal.enterprise_id is not None:
        return project.enterprise_id == principal.enterprise_id and project.status != S.ZONE_PENDING
    return zone_allowed(principal, project.zone_id)


def _due(project: ReductionProject):
    try:
        return selectors.due_date(project)
    except DomainError:  # the deadline rule is missing: shown as unknown, the admin is told at home
        return None


@dataclass
class LineRow:
    """A line as the detail page shows it: with its usage, method name and whether its stored inputs
    recompute to the stored result; other attributes are the line's own."""

    line: ReductionLine
    usage: selectors.UsageSummary
    method_label: str
    recomputes: bool

    @property
    def method_short(self) -> str:
        return self.method_label.split("（")[0]

    marks: list[LineUsage]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.line, name)


def _line_row(line: ReductionLine) -> LineRow:
    unit = line.pollutant.unit
    try:
        again = accounting.recompute(line.method, line.inputs, unit=(unit.value, unit.grams))
        recomputes = again.reduction_grams == line.reduction_grams
    except accounting.AccountingError:
        recomputes = False
    return LineRow(
        line=line,
        usage=selectors.line_usage(line),
        method_label=selectors.method_label(line.method),
        recomputes=recomputes,
        marks=list(line.usages.select_related("marked_by", "cancelled_by")),
    )


@login_required
def project_detail(request, pk: int):
    project = _project(request, pk)
    user = request.user
    principal = principal_of(user)
    today = timezone.localdate()
    lines = list(project.lines.select_related("pollutant", "updated_by"))
    rows = [_line_row(line) for line in lines]
    try:
        requirements, _rules = selectors.evidence_requirements(project, on=today)
    except DomainError as exc:
        requirements = []
        messages.warning(request, str(exc))
    can_prepare = _can_prepare(user, project)
    in_zone = principal.enterprise_id is None and zone_allowed(principal, project.zone_id)
    can = project_actions(principal, project)
    context = {
        "project": project,
        "title": project.name,
        "lines": rows,
        "evidence": list(project.evidence.select_related("uploaded_by")),
        "requirements": requirements,
        "missing": selectors.missing_information(project, today=today) if project.status in EDITABLE else [],
        "transitions": list(project.transitions.select_related("actor")),
        "opinions": list(project.opinions.select_related("author")),
        "due": _due(project) if project.status in EDITABLE else None,
        "can_prepare": can_prepare,
        "can": can,
        "can_opinion": may(user, "reductions.opinion")
        and in_zone
        and project.status in (S.DRAFT, S.ZONE_PENDING, S.RETURNED, S.SUBMITTED, S.PRECHECKED),
        # The decision form: shown to reviewers while a decision is due (approving may still be
        # refused by four eyes, which the form says).
        "can_review": can["return"] or can["reject"],
        "can_mark": may(user, "reductions.mark_usage") and project.status == S.APPROVED,
        "evidence_form": EvidenceForm(),
        "review_form": ReviewForm(),
        "opinion_form": OpinionForm(),
        "reason_form": ReasonForm(),
        "pollutants": Pollutant.objects.all(),
        "methods": accounting.METHODS.values(),
        "is_preparer": project.preparers.filter(pk=user.pk).exists(),
        "today": today,
    }
    return render(request, "reductions/project_detail.html", context)


def _project_form_context(request, form, title, cancel_url):
    return render(
        request,
        "common/form.html",
        {
            "form": form,
            "title": title,
            "cancel_url": cancel_url,
            "intro": _(
                "RED-3 要求的基本信息可分次填写；报送前须补齐，并填写各污染物减排量、上传佐证材料。"
                "竣工时间不得早于开工时间，验收时间不得早于竣工时间。"
            ),
        },
        status=422 if form.is_bound and form.errors else 200,
    )


def _cleaned_project(form) -> dict[str, Any]:
    data = dict(form.cleaned_data)
    for name in ("zone", "enterprise"):
        if name in form.fields and data.get(name) is None:
            data[name] = None if name == "enterprise" else ""
    return data


@login_required
def project_create(request):
    require(request.user, "reductions.prepare")
    principal = principal_of(request.user)
    zones = _zones_for(request.user)
    form = ProjectForm(
        request.POST or None,
        zones=zones,
        enterprises=_enterprises_for(request.user),
        fixed_unit=principal.enterprise_id is not None,
        initial={"zone": zones.first() if zones.count() == 1 else None},
    )
    if request.method == "POST" and form.is_valid():
        try:
            project = services.project_create(actor=principal_of(request.user), **_cleaned_project(form))
        except DomainError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(
                request,
                _("已创建减排项目草稿：%(code)s。请填写减排量并上传佐证材料。") % {"code": project.code},
            )
            return redirect(project)
    return _project_form_context(request, form, _("填报减排项目"), reverse("reductions:project_list"))


@login_required
def project_edit(request, pk: int):
    project = _project(request, pk, "reductions.prepare")
    principal = principal_of(request.user)
    initial = {f: getattr(project, f) for f in services.PROJECT_FIELDS if hasattr(project, f)}
    if project.investment_yuan is not None:
        initial["investment"] = accounting.show(Fraction(project.investment_yuan, services.YUAN_PER_WAN), 4)
    form = ProjectForm(
        request.POST or None,
        initial=initial,
        zones=_zones_for(request.user),
        enterprises=_enterprises_for(request.user),
        fixed_unit=principal.enterprise_id is not None,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.project_update(
                actor=principal_of(request.user), project=project, **_cleaned_project(form)
            )
        except DomainError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("已保存。"))
            return redirect(project)
    return _project_form_context(
        request, form, _("修改减排项目：%(name)s") % {"name": project.name}, project.get_absolute_url()
    )


@login_required
def project_suggest(request):
    require(request.user, "reductions.suggest")
    form = SuggestionForm(request.POST or None)
    enterprise_field = form.fields["enterprise"]
    enterprise_field.queryset = _enterprises_for(request.user)  # type: ignore[attr-defined]
    revalidate(form)
    if request.method == "POST" and form.is_valid():
        try:
            project = services.project_suggest(actor=principal_of(request.user), **_cleaned_project(form))
        except DomainError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("已提出增补建议：%(code)s，待功能区采纳。") % {"code": project.code})
            return redirect(project)
    return render(
        request,
        "common/form.html",
        {
            "form": form,
            "title": _("提出减排项目增补建议"),
            "cancel_url": reverse("reductions:project_list"),
            "intro": _(
                "生态环境局、经发委结合年度重点项目、专项排查、排污许可变更、引导资金补助等信息，提出增补建议（RED-3）；功能区采纳后填报。"
            ),
        },
        status=422 if form.is_bound and form.errors else 200,
    )


def _after(request, project, done: str):
    messages.success(request, done)
    return redirect(project)


def _refused(request, project, exc: DomainError):
    messages.error(request, str(exc))
    return redirect(project)


# The workflow buttons: one handler for the project's action table (web.actions); the bureau's
# decision comes from one form whose choice names the action.
project_action = action_view(PROJECT_ACTIONS, _project)
# The actions with a page URL of their own (``reductions:project_<name>``).
PAGE_ACTIONS = ("adopt", "decline", "handover", "send_back", "submit")


@login_required
@require_POST
def project_review(request, pk: int):
    project = _project(request, pk, "reductions.review")
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择审核结论。"))
        return redirect(project)
    return project_action(request, pk=pk, action=form.cleaned_data["decision"])


@login_required
@require_POST
def opinion_create(request, pk: int):
    project = _project(request, pk, "reductions.opinion")
    form = OpinionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择结论并填写技术意见。"))
        return redirect(project)
    try:
        services.opinion_add(actor=principal_of(request.user), project=project, **form.cleaned_data)
    except DomainError as exc:
        return _refused(request, project, exc)
    return _after(request, project, _("技术意见已提交。"))


# --- lines -------------------------------------------------------------------------------------
@login_required
def line_edit(request, pk: int):
    """Account one pollutant's reduction: choose pollutant and method, enter the inputs, preview the
    computation, save."""
    project = _project(request, pk, "reductions.prepare")
    if not _can_prepare(request.user, project):
        messages.error(request, _("项目当前状态为“%(s)s”，不能修改。") % {"s": project.get_status_display()})
        return redirect(project)
    source = request.POST if request.method == "POST" else request.GET
    pollutant = Pollutant.objects.filter(code=source.get("pollutant", "")).first()
    method = accounting.METHODS.get(source.get("method", ""))
    existing = (
        ReductionLine.objects.filter(project=project, pollutant=pollutant).first()
        if pollutant is not None
        else None
    )
    if method is None and existing is not None:
        method = accounting.METHODS.get(existing.method)
    methods = [m for m in accounting.METHODS.values() if pollutant is None or m.allows(pollutant.code)]
    form = None
    preview = None
    if pollutant is not None and method is not None and method.allows(pollutant.code):
        initial: dict[str, Any] = {}
        if existing is not None and existing.method == method.code:
            for name, value in existing.inputs.items():
                if isinstance(value, dict) and "factor_id" in value:
                    kind = method.param(name).kind if any(p.name == name for p in method.params) else ""
                    initial[name if kind == "factor" else f"{name}__factor"] = value["factor_id"]
                else:
                    initial[name] = value
        form = LineForm(
            request.POST if request.method == "POST" else None,
            method=method,
            pollutant=pollutant,
            initial=initial,
        )
        if request.method == "POST" and form.is_valid():
            inputs, factors = form.split()
            try:
                if request.POST.get("preview"):
                    computation, _stored = services.account_line(
                        pollutant=pollutant, method=method.code, inputs=inputs, factors=factors
                    )
                    preview = computation.text
                else:
                    services.line_set(
                        actor=principal_of(request.user),
                        project=project,
                        pollutant=pollutant,
                        method=method.code,
                        inputs=inputs,
                        factors=factors,
                    )
                    messages.success(request, _("已保存%(p)s减排量。") % {"p": pollutant.name})
                    return redirect(project.get_absolute_url() + "#lines")
            except DomainError as exc:
                _apply_errors(form, exc)
    status = 422 if form is not None and form.is_bound and form.errors else 200
    return render(
        request,
        "reductions/line_form.html",
        {
            "project": project,
            "title": _("核算减排量：%(name)s") % {"name": project.name},
            "pollutants": Pollutant.objects.all(),
            "pollutant": pollutant,
            "methods": methods,
            "method": method,
            "form": form,
            "preview": preview,
            "existing": existing,
        },
        status=status,
    )


@login_required
@require_POST
def line_delete(request, pk: int):
    line = access(
        request.user, ReductionLine.objects.select_related("project", "pollutant"), pk, "reductions.prepare"
    )
    try:
        services.line_delete(actor=principal_of(request.user), line=line)
    except DomainError as exc:
        return _refused(request, line.project, exc)
    return _after(request, line.project, _("已删除%(p)s减排量。") % {"p": line.pollutant.name})


# --- evidence ----------------------------------------------------------------------------------
@login_required
@multipart_post
def evidence_upload(request, pk: int):
    project = _project(request, pk, "reductions.prepare")
    form = EvidenceForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            evidence = services.evidence_add(
                actor=principal_of(request.user),
                project=project,
                kind=form.cleaned_data["kind"],
                upload=form.cleaned_data["file"],
                note=form.cleaned_data["note"],
            )
        except DomainError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("已上传：%(name)s") % {"name": evidence.original_name})
            return redirect(project.get_absolute_url() + "#evidence")
    return render(
        request,
        "common/form.html",
        {
            "form": form,
            "title": _("上传佐证材料：%(name)s") % {"name": project.name},
            "cancel_url": project.get_absolute_url(),
            "submit_label": _("上传"),
            "intro": _(
                "接受 PDF、图片（PNG/JPEG/GIF/WebP）与 Office 文档，按文件内容校验类型；单个文件不超过 %(mb)d MB。"
            )
            % {"mb": _upload_mb()},
        },
        status=422 if form.is_bound and form.errors else 200,
    )


def _upload_mb() -> int:
    from django.conf import settings

    return settings.UPLOAD_MAX_BYTES // (1024 * 1024)


@login_required
def evidence_download(request, pk: int):
    evidence = access(request.user, Evidence.objects.select_related("project"), pk, "reductions.view")
    try:
        handle = evidence.file.open("rb")
    except FileNotFoundError:
        raise Http404("文件不存在") from None
    response = FileResponse(
        handle, content_type=evidence.content_type, as_attachment=True, filename=evidence.original_name
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@login_required
@require_POST
def evidence_delete(request, pk: int):
    evidence = access(request.user, Evidence.objects.select_related("project"), pk, "reductions.prepare")
    try:
        services.evidence_delete(actor=principal_of(request.user), evidence=evidence)
    except DomainError as exc:
        return _refused(request, evidence.project, exc)
    return _after(request, evidence.project, _("已删除：%(name)s") % {"name": evidence.original_name})


# --- usage -------------------------------------------------------------------------------------
@login_required
def usage_create(request, pk: int):
    line = access(
        request.user,
        ReductionLine.objects.select_related("project", "pollutant"),
        pk,
        "reductions.mark_usage",
    )
    summary = selectors.line_usage(line)
    form = UsageForm(request.POST or None)
    form.fields["amount"].label = _("数量（%(u)s）") % {"u": line.pollutant.display_unit}
    if request.method == "POST" and form.is_valid():
        try:
            services.usage_mark(actor=principal_of(request.user), line=line, **form.cleaned_data)
        except DomainError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("已标记使用情况。"))
            return redirect(line.project.get_absolute_url() + "#lines")
    unit = line.pollutant.unit
    return render(
        request,
        "common/form.html",
        {
            "form": form,
            "title": _("标记使用情况：%(p)s · %(pol)s")
            % {"p": line.project.name, "pol": line.pollutant.name},
            "cancel_url": line.project.get_absolute_url(),
            "intro": _(
                "核定减排量 %(total)s；已用于约束性减排任务、以新带老、排污权出让 %(used)s；已报送上级储备库 %(upper)s。"
                "前三类用途合计不超过核定减排量（RES-1）。"
            )
            % {
                "total": format_quantity(line.reduction_grams, unit, suffix=True),
                "used": format_quantity(summary.excluded_grams, unit, suffix=True),
                "upper": format_quantity(summary.upper_reserve_grams, unit, suffix=True),
            },
        },
        status=422 if form.is_bound and form.errors else 200,
    )


@login_required
@require_POST
def usage_cancel(request, pk: int):
    usage = access(
        request.user, LineUsage.objects.select_related("line__project"), pk, "reductions.mark_usage"
    )
    form = ReasonForm(request.POST)
    form.is_valid()
    try:
        services.usage_cancel(
            actor=principal_of(request.user), usage=usage, reason=form.cleaned_data.get("reason", "")
        )
    except DomainError as exc:
        return _refused(request, usage.line.project, exc)
    return _after(request, usage.line.project, _("已撤销使用标记。"))


# --- rounds and factors ------------------------------------------------------------------------
@login_required
def round_create(request):
    require(request.user, "reductions.manage_rounds")
    today = timezone.localdate()
    quarter = (today.month - 1) // 3 + 1
    form = RoundForm(request.POST or None, initial={"year": today.year, "quarter": quarter})
    if request.method == "POST" and form.is_valid():
        try:
            services.round_create(actor=principal_of(request.user), **form.cleaned_data)
        except DomainError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("已新建申报轮次。"))
            return redirect("reductions:round_list")
    return render(
        request,
        "common/form.html",
        {
            "form": form,
            "title": _("新建申报轮次"),
            "cancel_url": reverse("reductions:round_list"),
            "intro": _(
                "原则上每季度集中申报一次；覆盖上一年度竣工项目的轮次须在次年 2 月底前截止（RED-3，规则参数）。"
            ),
        },
        status=422 if form.is_bound and form.errors else 200,
    )


def _factor(request, pk: int) -> AccountingFactor:
    return access(request.user, AccountingFactor.objects.select_related("pollutant"), pk, "reductions.view")


@login_required
def factor_detail(request, pk: int):
    """One factor with its exact value and source; those who manage factors may retire it here."""
    factor = _factor(request, pk)
    today = timezone.localdate()
    can_retire = may(request.user, "reductions.manage_factors") and factor.effective_to is None
    return render(
        request,
        "reductions/factor_detail.html",
        {
            "factor": factor,
            "shown": accounting.show(accounting.parse_factor_value(factor.value)),
            "in_force": factor.in_force_on(today),
            "retire_form": FactorRetireForm(initial={"effective_to": today}) if can_retire else None,
        },
    )


@login_required
@require_POST
def factor_retire(request, pk: int):
    """Retire a factor from a date on: it is no longer offered to new accountings (RED-2); lines
    accounted with it keep their snapshot."""
    require(request.user, "reductions.manage_factors")
    factor = _factor(request, pk)
    form = FactorRetireForm(request.POST)
    if form.is_valid():
        try:
            services.factor_retire(actor=principal_of(request.user), factor=factor, **form.cleaned_data)
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                _("已停用核算系数 %(code)s，自 %(day)s 起不再可选。")
                % {"code": factor.code, "day": factor.effective_to},
            )
    else:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect(factor.get_absolute_url())


@login_required
def factor_create(request):
    require(request.user, "reductions.manage_factors")
    form = FactorForm(request.POST or None, initial={"effective_from": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.factor_create(actor=principal_of(request.user), **form.cleaned_data)
        except DomainError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("已新增核算系数。"))
            return redirect("reductions:factor_list")
    return render(
        request,
        "common/form.html",
        {
            "form": form,
            "title": _("新增核算系数"),
            "cancel_url": reverse("reductions:factor_list"),
            "intro": _(
                "系数须注明来源文件或标准；已核算的减排量保存所用系数的快照，新增或停用系数不改变已有结果（RED-2）。"
            ),
        },
        status=422 if form.is_bound and form.errors else 200,
    )


# --- bulk declaration --------------------------------------------------------------------------
@login_required
@multipart_post
def project_import(request):
    require(request.user, "reductions.import")
    form = ImportForm(request.POST or None, request.FILES or None)
    problems: list[dict] = []
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            rows = read_table(form.cleaned_data["file"], headers=[h for h, _f in IMPORT_COLUMNS])
            result = services.project_import(actor=principal_of(request.user), rows=rows)
        except DomainError as exc:
            form.add_error(None, exc.message if not exc.clause else str(exc))
            problems = exc.errors
            status = 422
        else:
            messages.success(
                request,
                _("导入完成：新增 %(p)d 个项目草稿、%(l)d 条减排量。请逐个上传佐证材料后报送。")
                % {"p": result.projects, "l": result.lines},
            )
            return redirect(reverse("reductions:project_list") + "?status=draft")
    return render(
        request,
        "reductions/import.html",
        {"form": form, "problems": problems, "title": _("批量申报减排项目")},
        status=status,
    )


@login_required
def import_template_view(request):
    require(request.user, "reductions.import")
    return xlsx_response(import_template(_zones_for(request.user)), "减排项目批量申报模板.xlsx")


# --- bulletin ----------------------------------------------------------------------------------
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
        stem = f"减排通报-{data.zone_label}-{data.start:%Y%m%d}-{data.end:%Y%m%d}"
        fmt = request.GET.get("format")
        if fmt == "xlsx":
            return xlsx_response(bulletin_xlsx(data), f"{stem}.xlsx")
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
