"""Registry pages: enterprises (list, detail, create, edit, import), zones, pollutants, rules,
permit limits (list, add, import) and the working-day calendar."""

from __future__ import annotations

import tempfile
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import CharField, Count, OuterRef, Q, Subquery
from django.db.models.functions import Cast
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from totalquota.accounts.permissions import access, may, principal_of, require, restrict, zone_allowed
from totalquota.accounts.views import OPEN_UNIT_ACCOUNTS
from totalquota.audit.models import AuditEvent
from totalquota.common.middleware import multipart_post
from totalquota.common.xlsx import read_table, text_cells, xlsx_response
from totalquota.lib.units import format_quantity
from totalquota.registry import services
from totalquota.registry.filters import (
    CalendarDayFilter,
    EnterpriseFilter,
    PermitLimitFilter,
    RuleParameterFilter,
)
from totalquota.registry.forms import (
    CalendarDayForm,
    EnterpriseForm,
    ImportForm,
    PermitLimitForm,
    RuleParameterForm,
    UnitChangeForm,
    ZoneForm,
)
from totalquota.registry.models import (
    CalendarDay,
    ChangeKind,
    Enterprise,
    ManagementCategory,
    PermitLimit,
    Pollutant,
    RuleParameter,
    Zone,
)
from totalquota.registry.rules import RULE_KEYS, RuleKey, display_value
from totalquota.registry.selectors import (
    active_zones,
    merged_unit_ids,
    permit_limits,
    unit_versions,
    with_filing_thresholds,
)
from totalquota.web.forms import form_page, import_page, post_action, saved
from totalquota.web.lists import Button, Column, ScopedListView, model_columns


class EnterpriseListView(ScopedListView):
    model = Enterprise
    action = "registry.view"
    title = pgettext_lazy("plural", "排污单位")
    search_fields = ["name", "uscc", "permit_number", "industry_name", "address", "contact_name"]
    search_placeholder = gettext_lazy("名称、信用代码、许可证编号、行业、地址")
    filterset_class = EnterpriseFilter
    export_name = gettext_lazy("排污单位名录")
    related = ("zone",)
    columns = model_columns(
        Enterprise,
        Column(gettext_lazy("单位名称"), "name", link=True),
        "uscc permit_number",
        Column(gettext_lazy("功能区"), "zone.name"),
        "industry_code industry_name management_category contact_name contact_phone",
        Column(gettext_lazy("地址"), "address", css="wrap"),
        "is_active",
    )
    buttons = [
        Button("registry.edit_enterprise", gettext_lazy("登记排污单位"), "registry:enterprise_create"),
        Button(
            "registry.import_enterprise",
            gettext_lazy("批量导入"),
            "registry:enterprise_import",
            icon="bi-upload",
            style="outline-primary",
        ),
        OPEN_UNIT_ACCOUNTS,
    ]


@login_required
def enterprise_detail(request, pk: int):
    enterprise = access(request.user, Enterprise.objects.select_related("zone"), pk, "registry.view")
    history: Any = []
    if may(request.user, "audit.view"):
        events = AuditEvent.objects.filter(object_type="registry.enterprise", object_id=str(enterprise.pk))
        history = events[:20]
    can_edit = may(request.user, "registry.edit_enterprise") and zone_allowed(
        request.user, enterprise.zone_id
    )
    if not can_edit:
        changes: list[tuple[str, Any]] = []
    elif enterprise.is_active:
        changes = [(k, ChangeKind(k).label) for k in services.CHANGE_KINDS if k != ChangeKind.REOPEN]
    else:
        changes = [] if enterprise.merged_into_id else [(ChangeKind.REOPEN, ChangeKind.REOPEN.label)]
    return render(
        request,
        "registry/enterprise_detail.html",
        {
            "enterprise": enterprise,
            "title": enterprise.name,
            "history": history,
            "can_edit": can_edit,
            "staff": enterprise.staff.filter(is_active=True)
            if may(request.user, "accounts.manage_users")
            else [],
            "permit_limits": permit_limits(enterprise),
            "versions": unit_versions(enterprise),
            "changes": changes,
            "merged_units": restrict(
                request.user, Enterprise.objects.filter(pk__in=merged_unit_ids(enterprise)), "registry.view"
            ).order_by("name"),
            "today": timezone.localdate(),
            "can_record_permit": may(request.user, "registry.record_permit")
            and zone_allowed(request.user, enterprise.zone_id)
            and bool(enterprise.permit_number),
        },
    )


CHANGE_TITLES = {
    ChangeKind.RENAME: gettext_lazy("更名：%(name)s"),
    ChangeKind.RECODE: gettext_lazy("变更统一社会信用代码：%(name)s"),
    ChangeKind.MOVE: gettext_lazy("迁入其他功能区：%(name)s"),
    ChangeKind.MERGE: gettext_lazy("被吸收合并：%(name)s"),
    ChangeKind.SPLIT: gettext_lazy("分立出新单位：%(name)s"),
    ChangeKind.CLOSE: gettext_lazy("注销：%(name)s"),
    ChangeKind.REOPEN: gettext_lazy("恢复在册：%(name)s"),
}
CHANGE_INTROS = {
    ChangeKind.MOVE: gettext_lazy(
        "迁区只改变单位所在的功能区，已分配的总量指标仍留在原账户、原功能区；"
        "如需将指标转入新功能区，须由生态环境局另行办理功能区调剂。"
    ),
    ChangeKind.MERGE: gettext_lazy(
        "被合并的单位注销并标明并入存续单位；其申请、排放报告和指标账户仍属于原单位，存续单位的页面一并列出。"
        "指标不随之转移。"
    ),
    ChangeKind.SPLIT: gettext_lazy(
        "分立登记一家新单位（须有自己的统一社会信用代码），原单位继续在册；指标不随之转移。"
    ),
}


def _change_refused(form: Any, exc: Any) -> None:
    for item in exc.errors or [{"field": exc.field, "message": exc.message}]:
        field = UnitChangeForm.SERVICE_FIELDS.get(item.get("field") or "")
        form.add_error(field if field in form.fields else None, item["message"])


@login_required
def unit_change(request, pk: int, kind: str):
    """The form of one change of a unit (单位沿革), from its page."""
    if kind not in services.CHANGE_KINDS:
        raise Http404
    principal = require(request.user, "registry.edit_enterprise")
    enterprise = access(
        request.user, Enterprise.objects.select_related("zone"), pk, "registry.edit_enterprise"
    )
    if not zone_allowed(principal, enterprise.zone_id):
        raise PermissionDenied(_("您无权登记该单位的沿革"))
    form = UnitChangeForm(
        request.POST or None,
        kind=kind,
        enterprise=enterprise,
        zones=active_zones(principal),
        units=restrict(principal, Enterprise.objects.select_related("zone"), "registry.edit_enterprise"),
    )
    return form_page(
        request,
        form,
        save=lambda _data: services.unit_change(
            actor=principal, enterprise=enterprise, kind=kind, **form.service_data()
        ),
        done=lambda _version: saved(request, _("已登记单位沿革。"), enterprise),
        title=CHANGE_TITLES[ChangeKind(kind)] % {"name": enterprise.name},
        cancel_url=enterprise.get_absolute_url(),
        refused=_change_refused,
        intro=CHANGE_INTROS.get(ChangeKind(kind), ""),
    )


@login_required
def enterprise_create(request):
    principal = require(request.user, "registry.edit_enterprise")
    zones = active_zones(principal)
    return form_page(
        request,
        EnterpriseForm(
            request.POST or None, zones=zones, initial={"zone": zones.first() if zones.count() == 1 else None}
        ),
        save=lambda data: services.enterprise_create(actor=principal, **data),
        done=lambda unit: saved(request, _("已登记排污单位：%(name)s") % {"name": unit.name}, unit),
        title=_("登记排污单位"),
        cancel_url=reverse("registry:enterprise_list"),
    )


@login_required
def enterprise_edit(request, pk: int):
    enterprise = access(request.user, Enterprise, pk, "registry.edit_enterprise")
    principal = principal_of(request.user)
    initial = {f: getattr(enterprise, f) for f in services.ENTERPRISE_FIELDS}

    def save(data: dict[str, Any]) -> Enterprise:
        changes = {name: value for name, value in data.items() if name != "uscc"}
        return services.enterprise_update(actor=principal, enterprise=enterprise, **changes)

    return form_page(
        request,
        EnterpriseForm(
            request.POST or None, initial=initial, zones=active_zones(principal), editing=enterprise
        ),
        save=save,
        done=lambda _unit: saved(request, _("已保存。"), enterprise),
        title=_("修改排污单位：%(name)s") % {"name": enterprise.name},
        cancel_url=enterprise.get_absolute_url(),
    )


@login_required
@multipart_post
def enterprise_import(request):
    principal = require(request.user, "registry.import_enterprise")

    def save(file: Any) -> services.ImportResult:
        rows = read_table(file, headers=[h for h, _f in services.IMPORT_COLUMNS])
        return services.enterprise_import(actor=principal, rows=rows)

    return import_page(
        request,
        ImportForm(request.POST or None, request.FILES or None),
        save=save,
        done=lambda result: saved(
            request,
            _("导入完成：新增 %(c)d 家，更新 %(u)d 家，无变化 %(n)d 家。")
            % {"c": result.created, "u": result.updated, "n": result.unchanged},
            "registry:enterprise_list",
        ),
        title=_("批量导入排污单位"),
        template="registry/enterprise_import.html",
    )


@login_required
def enterprise_template(request):
    """The import template: headers, drop-downs for zone and category, and instructions."""
    require(request.user, "registry.import_enterprise")
    wb = Workbook()
    ws = wb.active
    ws.title = "排污单位"
    headers = [h for h, _f in services.IMPORT_COLUMNS]
    ws.append(headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE7F3")
    for i, width in enumerate([36, 22, 26, 10, 20, 22, 40, 10, 16, 24, 12], start=1):
        ws.column_dimensions[chr(64 + i)].width = width
    for col in ("B", "C", "I"):
        for row in range(2, 2002):
            ws[f"{col}{row}"].number_format = "@"
    zone_names = ",".join(z.name for z in active_zones(principal_of(request.user)))
    zone_dv = DataValidation(type="list", formula1=f'"{zone_names}"', allow_blank=False)
    cat_dv = DataValidation(
        type="list", formula1='"' + ",".join(str(lbl) for _v, lbl in ManagementCategory.choices) + '"'
    )
    ws.add_data_validation(zone_dv)
    ws.add_data_validation(cat_dv)
    zone_dv.add("F2:F2001")
    cat_dv.add("K2:K2001")
    ws.freeze_panes = "A2"
    notes = wb.create_sheet("填写说明")
    for line in [
        ("列", "说明"),
        ("单位名称", "必填，不超过 200 字"),
        ("统一社会信用代码", "必填，18 位，按 GB 32100 校验；已登记的代码将更新该单位信息"),
        ("排污许可证编号", "重点管理、简化管理单位必填：18 位信用代码 + 3 位顺序码 + 1 位字母"),
        ("行业代码", "国民经济行业分类代码，如 C3982，可不填"),
        ("功能区", "必填，从下拉列表选择：" + zone_names.replace(",", "、")),
        ("管理类别", "重点管理 / 简化管理 / 登记管理，默认简化管理"),
        ("规则", "任何一行有错误时整个文件不予导入，平台逐行列出错误；修改后重新上传即可"),
    ]:
        notes.append(line)
    notes.column_dimensions["A"].width = 18
    notes.column_dimensions["B"].width = 90
    out = tempfile.SpooledTemporaryFile()
    text_cells(wb).save(out)
    out.seek(0)
    return xlsx_response(out, "排污单位导入模板.xlsx")


class ZoneListView(ScopedListView):
    model = Zone
    action = "registry.view"
    title = pgettext_lazy("plural", "功能区")
    search_fields = ["name", "code"]
    export_name = gettext_lazy("功能区")
    paginate_by = 50
    columns = model_columns(
        Zone,
        "code name",
        Column(gettext_lazy("园区"), "park.name"),
        Column(gettext_lazy("在册排污单位"), "enterprise_count", css="num"),
        "is_active",
    )

    def base_queryset(self):
        return (
            Zone.objects.select_related("park")
            .annotate(enterprise_count=Count("enterprises", filter=Q(enterprises__is_active=True)))
            .order_by("sort_order", "code")
        )


class ZoneAdminListView(ZoneListView):
    template_name = "registry/zone_list.html"

    buttons = [Button("registry.manage_zones", gettext_lazy("新增功能区"), "registry:zone_create")]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_manage"] = may(self.request.user, "registry.manage_zones")
        return context


def _zone_form(request, zone):
    principal = require(request.user, "registry.manage_zones")
    initial = {f: getattr(zone, f) for f in services.ZONE_FIELDS} if zone else {}
    return form_page(
        request,
        ZoneForm(request.POST or None, initial=initial),
        save=lambda data: services.zone_save(actor=principal, zone=zone, **data),
        done=lambda _zone: saved(request, _("已保存功能区。"), "registry:zone_list"),
        title=_("修改功能区") if zone else _("新增功能区"),
        cancel_url=reverse("registry:zone_list"),
    )


@login_required
def zone_create(request):
    return _zone_form(request, None)


@login_required
def zone_edit(request, pk: int):
    return _zone_form(request, access(request.user, Zone, pk, "registry.manage_zones"))


def _filing_threshold_text(pollutant: Pollutant) -> str:
    # with_filing_thresholds put the threshold on each row
    value = pollutant.filing_threshold  # type: ignore[attr-defined]
    if value is None or value.value is None:
        return _("无：任何新增均需审核")
    return "≤ " + format_quantity(value.value, pollutant.unit, suffix=True)


class PollutantListView(ScopedListView):
    model = Pollutant
    action = "registry.view"
    title = gettext_lazy("总量管控因子（POLL-1）")
    search_fields = ["name", "code", "name_en"]
    export_name = gettext_lazy("总量管控因子")
    paginate_by = 50
    columns = model_columns(
        Pollutant,
        "code name name_en medium display_unit is_heavy_metal",
        Column(gettext_lazy("备案阈值（RES-2）"), _filing_threshold_text),
    )

    def get_queryset(self):
        return with_filing_thresholds(super().get_queryset())

    def export_rows(self, qs):
        return ([c.export_value(obj) for c in self.columns] for obj in self.get_queryset())


def _rule_key(row: RuleParameter) -> RuleKey | None:
    return RULE_KEYS.get(row.key)


def _rule_name(row: RuleParameter) -> str:
    spec = _rule_key(row)
    return spec.title if spec else row.key


def _rule_value_text(row: RuleParameter) -> str:
    spec = _rule_key(row)
    unit = row.pollutant.unit if row.pollutant is not None else None
    return spec.display(row.value, unit) if spec else display_value("", row.value)


def _rule_state(row: RuleParameter) -> str:
    today = timezone.localdate()
    if row.effective_from > today:
        return _("待生效")
    if row.effective_to is not None and row.effective_to <= today:
        return _("已失效")
    return _("现行")


class RuleListView(ScopedListView):
    """Every value each rule has had: the rows of one parameter (key, pollutant, zone) together,
    newest first, each with its clause, period and the person who set it."""

    model = RuleParameter
    action = "registry.view_rules"
    title = gettext_lazy("规则参数")
    search_fields = ["key", "source", "clause_id", "pollutant__name", "zone__name"]
    search_placeholder = gettext_lazy("条款、依据说明、污染物、功能区")
    filterset_class = RuleParameterFilter
    export_name = gettext_lazy("规则参数")
    related = ("pollutant", "zone")
    columns = model_columns(
        RuleParameter,
        Column(gettext_lazy("参数"), _rule_name),
        Column(gettext_lazy("污染物"), lambda r: r.pollutant or _("全部")),
        Column(gettext_lazy("功能区"), lambda r: r.zone or _("全部")),
        Column(gettext_lazy("取值"), _rule_value_text),
        "effective_from effective_to",
        Column(gettext_lazy("状态"), _rule_state),
        "clause_id",
        Column(gettext_lazy("设置人"), lambda r: r.set_by or ""),
        Column(gettext_lazy("依据说明"), "source", css="wrap"),
    )
    buttons = [Button("registry.edit_rules", gettext_lazy("设置新取值"), "registry:rule_create")]

    def base_queryset(self):
        # who set each row: the actor of its rule.set audit event (rows seeded by a migration have none)
        set_by = AuditEvent.objects.filter(
            action="rule.set",
            object_type="registry.ruleparameter",
            object_id=Cast(OuterRef("pk"), CharField()),
        ).order_by("-id")
        return super().base_queryset().annotate(set_by=Subquery(set_by.values("actor_label")[:1]))


@login_required
def rule_create(request):
    principal = require(request.user, "registry.edit_rules")
    return form_page(
        request,
        RuleParameterForm(request.POST or None),
        save=lambda data: services.rule_parameter_set(actor=principal, **data),
        done=lambda _row: saved(
            request, _("新取值已保存；原取值在新取值生效前一日终止。"), "registry:rule_list"
        ),
        title=_("设置规则参数"),
        cancel_url=reverse("registry:rule_list"),
        intro=_("规则参数按生效日期管理：新取值自生效日期起适用，已作出的决定保留其当时使用的取值。"),
    )


# --- 排污许可量 ----------------------------------------------------------------------------------


class PermitLimitListView(ScopedListView):
    """Every unit's permit limits (排污许可量), filtered by zone and pollutant, exportable."""

    model = PermitLimit
    action = "registry.view"
    title = gettext_lazy("排污许可量")
    search_fields = ["enterprise__name", "enterprise__uscc", "permit_number", "source"]
    search_placeholder = gettext_lazy("单位名称、信用代码、许可证编号、依据")
    filterset_class = PermitLimitFilter
    export_name = gettext_lazy("排污许可量")
    related = ("enterprise__zone", "pollutant", "recorded_by")
    columns = model_columns(
        PermitLimit,
        Column(gettext_lazy("排污单位"), "enterprise.name"),
        Column(gettext_lazy("统一社会信用代码"), "enterprise.uscc"),
        Column(gettext_lazy("功能区"), "enterprise.zone.name"),
        "permit_number",
        Column(gettext_lazy("污染物"), "pollutant.display_name"),
        Column(
            gettext_lazy("许可排放量（外排环境量）"),
            lambda r: format_quantity(r.permitted_grams, r.pollutant.unit),
            css="num",
        ),
        Column(
            gettext_lazy("许可排放量（接管量）"),
            lambda r: "" if r.sewer_grams is None else format_quantity(r.sewer_grams, r.pollutant.unit),
            css="num",
        ),
        Column(gettext_lazy("单位"), "pollutant.display_unit"),
        "valid_from valid_to",
        Column(gettext_lazy("依据"), "source", css="wrap"),
        "recorded_by",
    )
    buttons = [
        Button(
            "registry.record_permit",
            gettext_lazy("导入许可量"),
            "registry:permit_limit_import",
            icon="bi-upload",
            style="outline-primary",
        )
    ]


@login_required
def permit_limit_create(request, pk: int):
    """The form adding a permit limit to a unit (from its page)."""
    principal = require(request.user, "registry.record_permit")
    enterprise = access(request.user, Enterprise.objects.select_related("zone"), pk, "registry.record_permit")
    if not zone_allowed(principal, enterprise.zone_id):
        raise PermissionDenied(_("您无权录入该单位的许可量"))
    form = PermitLimitForm(request.POST or None, initial={"source": f"排污许可证 {enterprise.permit_number}"})
    return form_page(
        request,
        form,
        save=lambda _data: services.permit_limit_record(
            actor=principal, enterprise=enterprise, **form.service_data()
        ),
        done=lambda _row: saved(request, _("已录入许可量。"), enterprise),
        title=_("录入排污许可量：%(name)s") % {"name": enterprise.name},
        cancel_url=enterprise.get_absolute_url(),
        intro=_(
            "每个污染物的许可量按有效期管理，同一污染物的有效期不能重叠；接管量仅适用于水污染物。"
            "许可证编号取自该单位的登记信息。"
        ),
    )


@login_required
@multipart_post
def permit_limit_import(request):
    principal = require(request.user, "registry.record_permit")

    def save(file: Any) -> int:
        rows = read_table(file, headers=[h for h, _f in services.PERMIT_IMPORT_COLUMNS])
        return services.permit_limit_import(actor=principal, rows=rows)

    return import_page(
        request,
        ImportForm(request.POST or None, request.FILES or None),
        save=save,
        done=lambda count: saved(
            request, _("导入完成：录入许可量 %(n)d 条。") % {"n": count}, "registry:permit_limit_list"
        ),
        title=_("导入排污许可量"),
        template="registry/permit_limit_import.html",
    )


@login_required
def permit_limit_template(request):
    """The import template of permit limits: headers, the pollutants and their units, instructions."""
    require(request.user, "registry.record_permit")
    wb = Workbook()
    ws = wb.active
    ws.title = "排污许可量"
    ws.append([h for h, _f in services.PERMIT_IMPORT_COLUMNS])
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE7F3")
    for i, width in enumerate([22, 14, 24, 22, 14, 14, 40], start=1):
        ws.column_dimensions[chr(64 + i)].width = width
    for col in ("A", "C", "D"):
        for row in range(2, 2002):
            ws[f"{col}{row}"].number_format = "@"
    codes = ",".join(p.name for p in Pollutant.objects.all())
    pollutant_dv = DataValidation(type="list", formula1=f'"{codes}"', allow_blank=False)
    ws.add_data_validation(pollutant_dv)
    pollutant_dv.add("B2:B2001")
    ws.freeze_panes = "A2"
    notes = wb.create_sheet("填写说明")
    notes.append(("列", "说明"))
    notes.append(("统一社会信用代码", "必填，已登记且有排污许可证编号的单位"))
    notes.append(("污染物", "必填，污染物代码或中文名称"))
    notes.append(("许可排放量（外排环境量）", "必填，每年，按下表中该污染物的单位填写，最小单位为 1 克"))
    notes.append(("许可排放量（接管量）", "仅水污染物，可不填"))
    notes.append(
        (
            "有效期自 / 有效期至",
            "日期，如 2024-01-01；长期有效的“有效期至”可不填；同一单位同一污染物的有效期不能重叠",
        )
    )
    notes.append(("依据", "必填，如排污许可证编号及核发日期"))
    notes.append(("规则", "任何一行有错误时整个文件不予导入，平台逐行列出错误；修改后重新上传即可"))
    notes.append(("", ""))
    notes.append(("污染物", "单位"))
    for pollutant in Pollutant.objects.all():
        notes.append((f"{pollutant.code} {pollutant.name}", pollutant.display_unit))
    notes.column_dimensions["A"].width = 26
    notes.column_dimensions["B"].width = 90
    out = tempfile.SpooledTemporaryFile()
    text_cells(wb).save(out)
    out.seek(0)
    return xlsx_response(out, "排污许可量导入模板.xlsx")


# --- 工作日历 ------------------------------------------------------------------------------------


class CalendarListView(ScopedListView):
    """The working-day calendar's exceptions (holidays on weekdays, adjusted working weekends), by year."""

    model = CalendarDay
    action = "registry.manage_calendar"
    title = gettext_lazy("工作日历")
    search_fields = ["name"]
    search_placeholder = gettext_lazy("名称")
    filterset_class = CalendarDayFilter
    export_name = gettext_lazy("工作日历")
    paginate_by = 50
    template_name = "registry/calendar_list.html"
    columns = model_columns(
        CalendarDay,
        "date",
        Column(gettext_lazy("星期"), lambda r: WEEKDAYS[r.date.weekday()]),
        Column(gettext_lazy("类型"), lambda r: _("调休上班") if r.is_working_day else _("放假")),
        Column(gettext_lazy("名称"), "name"),
    )
    buttons = [Button("registry.manage_calendar", gettext_lazy("添加例外日期"), "registry:calendar_create")]

    def get(self, request, *args, **kwargs):
        if "year" not in request.GET:  # this year's calendar unless another year is asked for
            request.GET = request.GET.copy()
            request.GET["year"] = str(timezone.localdate().year)
        return super().get(request, *args, **kwargs)


WEEKDAYS: list[Any] = [
    gettext_lazy("星期一"),
    gettext_lazy("星期二"),
    gettext_lazy("星期三"),
    gettext_lazy("星期四"),
    gettext_lazy("星期五"),
    gettext_lazy("星期六"),
    gettext_lazy("星期日"),
]


@login_required
def calendar_create(request):
    principal = require(request.user, "registry.manage_calendar")
    return form_page(
        request,
        CalendarDayForm(request.POST or None),
        save=lambda data: services.calendar_day_set(actor=principal, **data),
        done=lambda row: saved(
            request,
            _("已添加 %(day)s。") % {"day": row.date.isoformat()},
            f"{reverse('registry:calendar_list')}?year={row.date.year}",
        ),
        title=_("添加工作日历例外"),
        cancel_url=reverse("registry:calendar_list"),
        intro=_(
            "只登记例外：周一至周五的法定节假日（放假）和周末的调休上班日；其余周一至周五为工作日，周六、周日休息。"
            "截止日期落在休息日的，顺延至下一个工作日。"
        ),
    )


@login_required
@require_POST
def calendar_delete(request, pk: int):
    principal = require(request.user, "registry.manage_calendar")
    day = access(request.user, CalendarDay, pk, "registry.manage_calendar")
    return post_action(
        request,
        lambda: services.calendar_day_delete(actor=principal, day=day),
        _("已删除 %(day)s。") % {"day": day.date.isoformat()},
        f"{reverse('registry:calendar_list')}?year={day.date.year}",
    )
