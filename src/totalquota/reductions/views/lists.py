"""The reduction library's lists: projects, the library of approved lines, overdue projects, rounds and
factors, each with its export."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext_lazy, pgettext_lazy

from totalquota.reductions import accounting, selectors
from totalquota.reductions.filters import FactorFilter, LibraryFilter, ProjectFilter, RoundFilter
from totalquota.reductions.models import (
    AccountingFactor,
    DeclarationRound,
    ReductionLine,
    ReductionProject,
)
from totalquota.reductions.views.common import PollutantQuantity, _due, reductions_text, round_text
from totalquota.web.lists import Button, Column, ScopedListView, model_columns


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
    export_name = gettext_lazy("减排项目")
    columns = [
        Column(gettext_lazy("项目编号"), "code", link=True),
        Column(gettext_lazy("项目名称"), "name", css="wrap"),
        Column(gettext_lazy("功能区"), "zone.name"),
        Column(gettext_lazy("排污单位"), lambda p: p.enterprise.name if p.enterprise else "—", css="wrap"),
        Column(gettext_lazy("类型"), "project_type"),
        Column(gettext_lazy("状态"), "status"),
        Column(gettext_lazy("竣工时间"), "completion_date"),
        Column(gettext_lazy("申报轮次"), round_text, css="wrap small"),
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
        Column(gettext_lazy("申报日期"), "declared_on"),
        Column(gettext_lazy("申报轮次"), lambda p: str(p.round) if p.round_id else ""),
        Column(gettext_lazy("逾期申报"), "late_declaration"),
        Column(gettext_lazy("接受逾期申报理由"), "late_accept_reason"),
        Column(gettext_lazy("减排量"), reductions_text),
        Column(gettext_lazy("报送时间"), "submitted_at"),
        Column(gettext_lazy("审核时间"), "decided_at"),
        Column(gettext_lazy("更新时间"), "updated_at"),
    ]

    def base_queryset(self):
        return ReductionProject.objects.select_related("zone", "enterprise", "round").prefetch_related(
            Prefetch("lines", queryset=ReductionLine.objects.select_related("pollutant"))
        )

    buttons = [
        Button("reductions.prepare", gettext_lazy("填报减排项目"), "reductions:project_create"),
        Button(
            "reductions.suggest",
            gettext_lazy("提出增补建议"),
            "reductions:project_suggest",
            icon="bi-lightbulb",
        ),
        Button(
            "reductions.import",
            gettext_lazy("批量申报"),
            "reductions:import",
            icon="bi-upload",
            style="outline-primary",
        ),
    ]


class LibraryListView(CompactList):
    model = ReductionLine
    action = "reductions.view"
    title = gettext_lazy("减排库")
    search_fields = ["project__name", "project__code", "project__enterprise__name", "project__builder"]
    search_placeholder = gettext_lazy("项目名称、编号、排污单位")
    filterset_class = LibraryFilter
    export_name = gettext_lazy("减排库")
    columns = [
        Column(gettext_lazy("减排项目"), "project.name", link=True, css="wrap"),
        Column(gettext_lazy("功能区"), "project.zone.name"),
        Column(
            gettext_lazy("排污单位"),
            lambda r: r.project.enterprise.name if r.project.enterprise else "—",
            css="wrap",
        ),
        Column(gettext_lazy("污染物"), "pollutant.display_name"),
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
        Column(gettext_lazy("污染物"), "pollutant.display_name"),
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

    buttons = [
        Button(
            "reductions.view_bulletin",
            gettext_lazy("减排通报"),
            "reductions:bulletin",
            icon="bi-file-earmark-text",
        )
    ]


class OverdueListView(ProjectListView):
    title = gettext_lazy("逾期未申报的减排项目（RED-3）")
    export_name = gettext_lazy("逾期未申报减排项目")
    columns = [
        *ProjectListView.columns[:8],
        Column(gettext_lazy("申报截止日期"), lambda p: _due(p)),
        Column(gettext_lazy("减排量"), reductions_text, css="wrap small"),
    ]
    export_columns = [
        *ProjectListView.export_columns,
        Column(gettext_lazy("申报截止日期"), selectors.due_date),
    ]

    def base_queryset(self):
        return super().base_queryset().filter(selectors.overdue_q(timezone.localdate()))

    buttons = []


class RoundListView(ScopedListView):
    model = DeclarationRound
    action = "reductions.view"
    title = gettext_lazy("申报轮次（RED-3）")
    search_fields = ["title", "note"]
    filterset_class = RoundFilter
    export_name = gettext_lazy("申报轮次")
    columns = model_columns(
        DeclarationRound,
        Column(DeclarationRound._meta.get_field("title").verbose_name, "display_title"),
        "year quarter opens_on deadline covers_from covers_to",
        Column(gettext_lazy("申报项目数"), "project_count", css="num"),
        Column(gettext_lazy("说明"), "note", css="wrap"),
    )

    def base_queryset(self):
        from django.db.models import Count

        return DeclarationRound.objects.annotate(project_count=Count("projects")).order_by(
            "-year", "-quarter"
        )

    buttons = [
        Button(
            "reductions.manage_rounds",
            gettext_lazy("开放下一轮"),
            "reductions:round_next",
            icon="bi-calendar-plus",
        ),
        Button(
            "reductions.manage_rounds",
            gettext_lazy("新建申报轮次"),
            "reductions:round_create",
            style="outline-primary",
        ),
    ]


class FactorListView(ScopedListView):
    model = AccountingFactor
    action = "reductions.view"
    title = gettext_lazy("核算系数（RED-2）")
    search_fields = ["code", "name", "source", "source_detail"]
    filterset_class = FactorFilter
    export_name = gettext_lazy("核算系数")
    columns = model_columns(
        AccountingFactor,
        Column(gettext_lazy("编号"), "code", link=True),
        Column(gettext_lazy("名称"), "name", css="wrap"),
        "kind pollutant",
        Column(gettext_lazy("取值"), lambda f: accounting.show(accounting.parse_factor_value(f.value))),
        Column(gettext_lazy("精确值"), "value"),
        Column(
            AccountingFactor._meta.get_field("unit").verbose_name, lambda f: accounting.unit_label(f.unit)
        ),
        Column(gettext_lazy("来源文件或标准"), "source", css="wrap"),
        Column(gettext_lazy("原文取值及出处"), "source_detail", css="wrap"),
        "effective_from effective_to",
    )

    related = ("pollutant",)
    buttons = [Button("reductions.manage_factors", gettext_lazy("新增系数"), "reductions:factor_create")]
