"""储备库 pages: applications and decisions, intake, upper level, recovery, data, warnings, ANNEX-1."""

from __future__ import annotations

import datetime as dt

import django_filters
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from totalquota.accounts.permissions import access, may, principal_of, require, restrict
from totalquota.common.pdf import pdf_response, render_pdf
from totalquota.common.xlsx import write_workbook, xlsx_response
from totalquota.ledger import selectors as ledger_selectors
from totalquota.ledger.models import Account, AccountKind
from totalquota.lib.errors import DomainError
from totalquota.lib.units import QuantityError, format_quantity, grams_to_decimal, parse_quantity
from totalquota.registry.models import Zone
from totalquota.reserve import annex, selectors, services
from totalquota.reserve.forms import (
    ApplicationForm,
    AttainmentForm,
    ExcludeForm,
    IntakeForm,
    LinesForm,
    OperatingForm,
    ReasonForm,
    RecoveryForm,
    UpperGrantForm,
    UpperRequestForm,
    VerifiedEmissionForm,
    WarningPeriodForm,
)
from totalquota.reserve.models import (
    OPEN_STATUSES,
    ApplicationLine,
    ApplicationStatus,
    AttainmentStatus,
    IntakeItem,
    IntakeRun,
    QuotaApplication,
    RecoveryCase,
    Route,
    UpperLevelRequest,
    VerifiedEmission,
)
from totalquota.web.lists import Column, ScopedListView, action_if

LINE_STATUS_LABELS = {  # labels of services.line_hold_state
    "none": gettext_lazy("无需扣减"),
    "missing": gettext_lazy("未预留（储备不足）"),
    "open": gettext_lazy("已预留"),
    "posted": gettext_lazy("已扣减"),
    "voided": gettext_lazy("已释放"),
    "expired": gettext_lazy("预留已到期"),
}


def _error(request, exc: DomainError) -> None:
    messages.error(request, str(exc))


# --- applications ---------------------------------------------------------------------------------


class ApplicationFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=gettext_lazy("状态"), choices=ApplicationStatus.choices)
    route = django_filters.ChoiceFilter(label=gettext_lazy("办理方式"), choices=Route.choices)
    zone = django_filters.ModelChoiceFilter(label=gettext_lazy("功能区"), queryset=Zone.objects.all())

    class Meta:
        model = QuotaApplication
        fields = ["status", "route", "zone"]


def _deductions(app: QuotaApplication) -> str:
    return "；".join(
        f"{line.pollutant.name} {format_quantity(line.deduction_grams, line.pollutant.unit)}"
        for line in app.lines.all()
    )


class ApplicationListView(ScopedListView):
    model = QuotaApplication
    action = "reserve.view"
    title = gettext_lazy("总量指标申请")
    search_fields = ["code", "project_name", "enterprise__name", "eia_reference", "location"]
    search_placeholder = gettext_lazy("编号、项目、单位、环评文号")
    filterset_class = ApplicationFilter
    export_name = "quota-applications"
    columns = [
        Column(gettext_lazy("申请编号"), "code", link=True),
        Column(gettext_lazy("建设项目"), "project_name", css="wrap"),
        Column(gettext_lazy("排污单位"), "enterprise.name"),
        Column(gettext_lazy("功能区"), "zone.name"),
        Column(gettext_lazy("办理方式"), "route"),
        Column(gettext_lazy("状态"), "status"),
        Column(gettext_lazy("削减替代量"), _deductions, css="wrap"),
        Column(gettext_lazy("提交时间"), "submitted_at"),
        Column(gettext_lazy("决定时间"), "decided_at"),
    ]

    def base_queryset(self):
        return QuotaApplication.objects.select_related("enterprise", "zone").prefetch_related(
            "lines__pollutant"
        )

    def page_actions(self):
        return action_if(self.request.user, "reserve.apply", _("申请总量指标"), "reserve:application_create")


def _edit(request, application: QuotaApplication | None):
    user = request.user
    initial_lines = None
    initial = {}
    if application is not None:
        initial = {
            f: getattr(application, f)
            for f in ("enterprise", "project_name", "location", "eia_reference", "description")
        }
        initial_lines = {
            line.pollutant.code: {f: getattr(line, f) for f in services.LINE_FIELDS}
            for line in application.lines.select_related("pollutant")
        }
    form = ApplicationForm(request.POST or None, user=user, initial=initial, editing=application is not None)
    lines = LinesForm(request.POST or None, initial_lines=initial_lines)
    if request.method == "POST" and form.is_valid() and lines.is_valid():
        data = dict(form.cleaned_data)
        try:
            if application is None:
                application = services.application_create(
                    actor=principal_of(user), lines=lines.cleaned_data["lines"], **data
                )
            else:
                data.pop("enterprise")
                services.application_update(
                    actor=principal_of(user),
                    application=application,
                    lines=lines.cleaned_data["lines"],
                    **data,
                )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, _("已保存申请 %(code)s；核对无误后请提交。") % {"code": application.code}
            )
            return redirect(application)
    return render(
        request,
        "reserve/application_form.html",
        {
            "form": form,
            "lines": lines,
            "application": application,
            "title": _("申请总量指标")
            if application is None
            else _("修改申请 %(code)s") % {"code": application.code},
        },
    )


@login_required
def application_create(request):
    require(request.user, "reserve.apply")
    return _edit(request, None)


@login_required
def application_edit(request, pk: int):
    application = access(request.user, QuotaApplication, pk, "reserve.apply")
    if application.status != ApplicationStatus.DRAFT:
        messages.error(request, _("只有草稿可以修改"))
        return redirect(application)
    return _edit(request, application)


@login_required
def application_detail(request, pk: int):
    application = access(
        request.user, QuotaApplication.objects.select_related("enterprise", "zone"), pk, "reserve.view"
    )
    user = request.user
    principal = principal_of(user)
    lines = list(application.lines.select_related("pollutant", "hold", "allocation", "posting"))
    for line in lines:  # shown with each line: its hold and, while open, the lots it may come from
        state = services.line_hold_state(line)
        line.hold_state = state  # type: ignore[attr-defined]
        line.hold_label = LINE_STATUS_LABELS.get(state, state)  # type: ignore[attr-defined]
        line.lots = (  # type: ignore[attr-defined]
            ledger_selectors.lots_available(application.zone, line.pollutant) if application.is_open else []
        )
    is_reviewer = may(user, "reserve.decide")
    preparers = {application.created_by_id, application.submitted_by_id, application.proposed_by_id}
    labels = dict(ApplicationStatus.choices)
    context = {
        "application": application,
        "title": f"{application.code} {application.project_name}",
        "lines": lines,
        "transitions": [
            (t, labels.get(t.from_status, t.from_status), labels.get(t.to_status, t.to_status))
            for t in application.transitions.select_related("actor")
        ],
        "preview": selectors.decision_preview(application) if is_reviewer and application.is_open else [],
        "can_edit": may(user, "reserve.apply") and application.status == ApplicationStatus.DRAFT,
        "can_withdraw": may(user, "reserve.apply")
        and application.status in (ApplicationStatus.DRAFT, *OPEN_STATUSES),
        "can_propose": is_reviewer and application.status == ApplicationStatus.SUBMITTED,
        "can_decide": is_reviewer and application.is_open and user.pk not in preparers,
        "can_plan": principal.role in ("reviewer", "admin") and application.is_open,
        "can_upper": may(user, "reserve.upper_level") and application.is_open,
        "can_operate": may(user, "reserve.mark_operating")
        and application.status == ApplicationStatus.APPROVED,
        "can_recover": may(user, "reserve.recover") and application.status == ApplicationStatus.APPROVED,
        "approved": application.status == ApplicationStatus.APPROVED,
        "reason_form": ReasonForm(),
        "operating_form": OperatingForm(initial={"started_on": application.operation_started_on}),
        "recovery_form": RecoveryForm(),
        "recoveries": RecoveryCase.objects.filter(line__application=application).select_related(
            "line__pollutant"
        ),
        "upper_requests": application.upper_requests.select_related("pollutant"),
    }
    return render(request, "reserve/application_detail.html", context)


ACTIONS = {
    "submit": ("reserve.apply", _("已提交；削减替代量已在储备中预留。")),
    "withdraw": ("reserve.apply", _("申请已撤回，预留已释放。")),
    "propose": ("reserve.decide", _("已拟定审核意见，待另一名审核人员批准。")),
    "approve": ("reserve.decide", _("已批准；削减替代量已扣减，可下载信息表（附件1）。")),
    "reject": ("reserve.decide", _("已作出不予批准决定，预留已释放。")),
    "rehold": ("reserve.decide", _("已重新预留。")),
}


@login_required
@require_POST
def application_action(request, pk: int, action: str):
    if action not in ACTIONS:
        return redirect("reserve:application_list")
    permission, done = ACTIONS[action]
    if action == "rehold" and principal_of(request.user).role == "admin":
        permission = "reserve.upper_level"
    application = access(request.user, QuotaApplication, pk, permission)
    actor = principal_of(request.user)
    reason = request.POST.get("reason", "").strip()
    try:
        if action == "submit":
            services.application_submit(actor=actor, application=application)
        elif action == "withdraw":
            services.application_withdraw(actor=actor, application=application, reason=reason)
        elif action == "propose":
            services.application_propose(actor=actor, application=application, proposal=reason)
        elif action == "approve":
            services.application_approve(actor=actor, application=application, reason=reason)
        elif action == "reject":
            services.application_reject(actor=actor, application=application, reason=reason)
        elif action == "rehold":
            short = services.application_rehold(actor=actor, application=application)
            if short:
                messages.warning(request, _("仍不足：") + "；".join(short))
                return redirect(application)
    except DomainError as exc:
        _error(request, exc)
    else:
        messages.success(request, done)
    return redirect(application)


@login_required
@require_POST
def line_plan(request, pk: int):
    """The reviewer picks the lots a line's deduction is held from."""
    line = access(
        request.user, ApplicationLine.objects.select_related("application", "pollutant"), pk, "reserve.decide"
    )
    plan = []
    try:
        for lot in Account.objects.filter(
            kind=AccountKind.LOT,
            zone=line.application.zone,
            pollutant=line.pollutant,
            pk__in=[int(k[4:]) for k in request.POST if k.startswith("lot_")],
        ):
            text = request.POST.get(f"lot_{lot.pk}", "").strip()
            if text:
                plan.append((lot, parse_quantity(text, line.pollutant.unit, allow_zero=False)))
        short = services.application_rehold(
            actor=principal_of(request.user), application=line.application, plans={line.pk: plan}
        )
    except (DomainError, QuantityError, ValueError) as exc:
        messages.error(request, str(exc))
    else:
        if short:
            messages.warning(request, "；".join(short))
        else:
            messages.success(request, _("已按所选批次预留。"))
    return redirect(line.application)


@login_required
@require_POST
def application_operating(request, pk: int):
    application = access(request.user, QuotaApplication, pk, "reserve.mark_operating")
    form = OperatingForm(request.POST)
    if form.is_valid():
        try:
            services.application_mark_operating(
                actor=principal_of(request.user),
                application=application,
                started_on=form.cleaned_data["started_on"],
            )
        except DomainError as exc:
            _error(request, exc)
        else:
            messages.success(request, _("已登记正式投运日期。"))
    else:
        # Say why (a date outside its range names the range), not just that it is missing.
        reasons = form.errors.get("started_on") if form.data.get("started_on") else None
        messages.error(request, "；".join(str(r) for r in reasons) if reasons else _("请填写正式投运日期"))
    return redirect(application)


@login_required
@require_POST
def line_recover(request, pk: int):
    line = access(
        request.user,
        ApplicationLine.objects.select_related("application", "pollutant"),
        pk,
        "reserve.recover",
    )
    form = RecoveryForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择收回情形并说明理由"))
        return redirect(line.application)
    data = form.cleaned_data
    try:
        surplus = (
            parse_quantity(data["surplus"], line.pollutant.unit, allow_zero=False)
            if data["surplus"]
            else None
        )
        case = services.recover(
            actor=principal_of(request.user),
            line=line,
            kind=data["kind"],
            reason=data["reason"],
            surplus_grams=surplus,
        )
    except (DomainError, QuantityError) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("已收回 %(q)s 入库。")
            % {"q": format_quantity(case.recovered_grams, line.pollutant.unit, suffix=True)},
        )
    return redirect(line.application)


@login_required
def annex_download(request, pk: int, fmt: str):
    application = access(
        request.user, QuotaApplication.objects.select_related("enterprise"), pk, "reserve.view"
    )
    if application.status != ApplicationStatus.APPROVED:
        messages.error(request, _("信息表（附件1）在批准后出具"))
        return redirect(application)
    name = f"排污总量指标管理信息表-{application.code}"
    if fmt == "pdf":
        return pdf_response(annex.annex_pdf(application), f"{name}.pdf")
    import io

    return xlsx_response(io.BytesIO(annex.annex_xlsx(application)), f"{name}.xlsx")


# --- intake -----------------------------------------------------------------------------------------


class IntakeListView(ScopedListView):
    model = IntakeRun
    action = "reserve.intake"
    title = gettext_lazy("季度入库（RES-1）")
    export_name = "intake-runs"
    columns = [
        Column(gettext_lazy("入库批次"), lambda r: str(r), link=True),
        Column(gettext_lazy("审核日期自"), "period_start"),
        Column(gettext_lazy("至"), "period_end"),
        Column(gettext_lazy("入库日期"), "effective_date"),
        Column(gettext_lazy("编制人"), "created_by"),
        Column(gettext_lazy("确认人"), "confirmed_by"),
        Column(gettext_lazy("确认时间"), "confirmed_at"),
    ]

    def base_queryset(self):
        return IntakeRun.objects.select_related("created_by", "confirmed_by")

    def page_actions(self):
        return action_if(self.request.user, "reserve.intake", _("编制入库批次"), "reserve:intake_create")


@login_required
def intake_create(request):
    require(request.user, "reserve.intake")
    today = timezone.localdate()
    quarter = (today.month - 1) // 3 + 1
    form = IntakeForm(
        request.POST or None, initial={"year": today.year, "quarter": quarter, "effective_date": today}
    )
    if request.method == "POST" and form.is_valid():
        try:
            run = services.intake_prepare(actor=principal_of(request.user), **form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            return redirect(run)
    return render(
        request,
        "common/form.html",
        {
            "form": form,
            "title": _("编制季度入库批次"),
            "cancel_url": reverse("reserve:intake_list"),
            "intro": _(
                "列出该季度经审核入库的减排项目，逐项显示拟入库量和不予入库的情形（RES-1）；确认前不记账。"
            ),
        },
    )


@login_required
def intake_detail(request, pk: int):
    run = access(request.user, IntakeRun, pk, "reserve.intake")
    items = run.items.select_related("line__project", "zone", "pollutant", "posting")
    if request.GET.get("export") == "xlsx":
        rows = [
            [
                i.zone.name,
                i.line.project.name,
                i.pollutant.name,
                grams_to_decimal(i.reduction_grams, i.pollutant.unit),
                grams_to_decimal(i.excluded_grams, i.pollutant.unit),
                grams_to_decimal(i.intake_grams, i.pollutant.unit),
                "；".join(f"{r['label']} {r.get('references') or ''}" for r in i.reasons),
            ]
            for i in items
        ]
        headers = [
            _("功能区"),
            _("减排项目"),
            _("污染物"),
            _("核定减排量"),
            _("不予入库量"),
            _("入库量"),
            _("不予入库情形"),
        ]
        return xlsx_response(
            write_workbook([(str(run), headers, rows)]), f"intake-{run.year}Q{run.quarter}.xlsx"
        )
    return render(
        request,
        "reserve/intake_detail.html",
        {"run": run, "items": items, "title": str(run), "exclude_form": ExcludeForm()},
    )


@login_required
@require_POST
def intake_item_exclude(request, pk: int):
    item = access(request.user, IntakeItem.objects.select_related("run"), pk, "reserve.intake")
    form = ExcludeForm(request.POST)
    try:
        if not form.is_valid():
            raise DomainError(_("请说明原因"))
        services.intake_exclude(
            actor=principal_of(request.user), item=item, reason=form.cleaned_data["reason"]
        )
    except DomainError as exc:
        _error(request, exc)
    return redirect(item.run)


@login_required
@require_POST
def intake_confirm(request, pk: int):
    run = access(request.user, IntakeRun, pk, "reserve.intake")
    try:
        services.intake_confirm(actor=principal_of(request.user), run=run)
    except DomainError as exc:
        _error(request, exc)
    else:
        messages.success(request, _("已确认入库。"))
    return redirect(run)


# --- upper level ------------------------------------------------------------------------------------


class UpperListView(ScopedListView):
    model = UpperLevelRequest
    action = "reserve.view"
    title = gettext_lazy("上级储备库申请")
    search_fields = ["reason", "reference", "application__code"]
    export_name = "upper-level"
    columns = [
        Column(gettext_lazy("功能区"), "zone.name"),
        Column(gettext_lazy("污染物"), "pollutant.name"),
        Column(
            gettext_lazy("申请量"), lambda r: format_quantity(r.amount_grams, r.pollutant.unit), css="num"
        ),
        Column(gettext_lazy("理由"), "reason", css="wrap"),
        Column(gettext_lazy("对应申请"), "application.code"),
        Column(gettext_lazy("状态"), "status"),
        Column(
            gettext_lazy("下达量"),
            lambda r: format_quantity(r.granted_grams, r.pollutant.unit) if r.granted_grams else "",
            css="num",
        ),
        Column(gettext_lazy("下达文件"), "reference"),
    ]
    template_name = "reserve/upper_list.html"

    def base_queryset(self):
        return UpperLevelRequest.objects.select_related("zone", "pollutant", "application")

    def page_actions(self):
        return action_if(self.request.user, "reserve.upper_level", _("申请上级储备"), "reserve:upper_create")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["grant_form"] = UpperGrantForm()
        context["can_grant"] = may(self.request.user, "reserve.upper_level")
        return context


@login_required
def upper_create(request):
    require(request.user, "reserve.upper_level")
    application = None
    initial = {}
    if request.GET.get("application"):
        application = access(request.user, QuotaApplication, request.GET["application"], "reserve.view")
        initial = {
            "zone": application.zone,
            "reason": _("申请 %(code)s 园区储备不足") % {"code": application.code},
        }
    form = UpperRequestForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.upper_request(
                actor=principal_of(request.user),
                zone=data["zone"],
                pollutant=data["pollutant"],
                amount_grams=data["amount_grams"],
                reason=data["reason"],
                application=application,
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("已登记向上级储备库的申请。"))
            return redirect(application or reverse("reserve:upper_list"))
    return render(
        request,
        "common/form.html",
        {"form": form, "title": _("申请上级储备库指标"), "cancel_url": reverse("reserve:upper_list")},
    )


@login_required
@require_POST
def upper_decide(request, pk: int):
    req = access(
        request.user, UpperLevelRequest.objects.select_related("pollutant"), pk, "reserve.upper_level"
    )
    form = UpperGrantForm(request.POST)
    try:
        if not form.is_valid():
            raise DomainError(_("请填写上级文件"))
        data = form.cleaned_data
        if data["refuse"]:
            services.upper_refuse(actor=principal_of(request.user), request=req, reference=data["reference"])
        else:
            grams = parse_quantity(data["granted"], req.pollutant.unit, allow_zero=False)
            services.upper_grant(
                actor=principal_of(request.user),
                request=req,
                granted_grams=grams,
                reference=data["reference"],
            )
    except (DomainError, QuantityError) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("已办结。"))
    return redirect("reserve:upper_list")


# --- recovery and data ------------------------------------------------------------------------------


@login_required
def recovery_candidates(request):
    require(request.user, "reserve.recover")
    candidates = selectors.recovery_candidates(restrict(request.user, QuotaApplication, "reserve.view"))
    cases = restrict(
        request.user,
        RecoveryCase.objects.select_related("line__application", "line__pollutant", "decided_by"),
        "reserve.view",
    )[:100]
    return render(
        request,
        "reserve/recovery.html",
        {
            "title": _("指标核查与收回（RES-4）"),
            "candidates": candidates,
            "cases": cases,
            "recovery_form": RecoveryForm(),
        },
    )


class VerifiedListView(ScopedListView):
    model = VerifiedEmission
    action = "reserve.view"
    title = gettext_lazy("核实排放量")
    search_fields = ["enterprise__name", "source"]
    export_name = "verified-emissions"
    columns = [
        Column(gettext_lazy("排污单位"), "enterprise.name"),
        Column(gettext_lazy("污染物"), "pollutant.name"),
        Column(gettext_lazy("年度"), "year"),
        Column(
            gettext_lazy("实际排放量"), lambda r: format_quantity(r.actual_grams, r.pollutant.unit), css="num"
        ),
        Column(gettext_lazy("单位"), "pollutant.display_unit"),
        Column(gettext_lazy("数据来源"), "source", css="wrap"),
        Column(gettext_lazy("录入人"), "recorded_by"),
    ]

    def base_queryset(self):
        return VerifiedEmission.objects.select_related("enterprise", "pollutant", "recorded_by")

    def page_actions(self):
        return action_if(
            self.request.user, "reserve.record_data", _("录入核实排放量"), "reserve:verified_create"
        )


@login_required
def verified_create(request):
    require(request.user, "reserve.record_data")
    form = VerifiedEmissionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.verified_emission_record(
                actor=principal_of(request.user),
                enterprise=data["enterprise"],
                pollutant=data["pollutant"],
                year=data["year"],
                actual_grams=data["actual_grams"],
                source=data["source"],
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("已录入。"))
            return redirect("reserve:verified_list")
    return render(
        request,
        "common/form.html",
        {
            "form": form,
            "title": _("录入核实排放量"),
            "cancel_url": reverse("reserve:verified_list"),
            "intro": _("总量库建成前，由生态环境局按排污许可执行报告、监测报告等录入并注明来源（RES-4）。"),
        },
    )


class AttainmentListView(ScopedListView):
    model = AttainmentStatus
    action = "reserve.view"
    title = gettext_lazy("环境质量达标状况")
    export_name = "attainment"
    columns = [
        Column(gettext_lazy("年度"), "year"),
        Column(gettext_lazy("指标"), "indicator"),
        Column(gettext_lazy("达标"), "attained"),
        Column(gettext_lazy("依据"), "source", css="wrap"),
        Column(gettext_lazy("录入人"), "recorded_by"),
    ]

    def page_actions(self):
        return action_if(
            self.request.user, "reserve.record_data", _("录入达标状况"), "reserve:attainment_create"
        )


@login_required
def attainment_create(request):
    require(request.user, "reserve.record_data")
    form = AttainmentForm(request.POST or None, initial={"year": timezone.localdate().year - 1})
    if request.method == "POST" and form.is_valid():
        try:
            services.attainment_record(actor=principal_of(request.user), **form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("reserve:attainment_list")
    return render(
        request,
        "common/form.html",
        {
            "form": form,
            "title": _("录入环境质量达标状况"),
            "cancel_url": reverse("reserve:attainment_list"),
            "intro": _("上年度不达标的指标决定相关污染物的平衡比例（RES-2）。"),
        },
    )


# --- warnings -----------------------------------------------------------------------------------------


def _period(request) -> tuple[dt.date, dt.date, WarningPeriodForm]:
    today = timezone.localdate()
    start = today.replace(month=1, day=1)
    form = WarningPeriodForm(request.GET or None, initial={"start": start, "end": today})
    if form.is_bound and form.is_valid():
        return form.cleaned_data["start"], form.cleaned_data["end"], form
    return start, today, form


def _scoped_zones(user):
    principal = principal_of(user)
    zones = Zone.objects.filter(is_active=True)
    return zones if principal.zone_ids is None else zones.filter(pk__in=principal.zone_ids)


@login_required
def warnings(request):
    require(request.user, "reserve.view_warnings")
    start, end, form = _period(request)
    rows = selectors.zone_warnings(start, end, zones=_scoped_zones(request.user), only_active=True)
    fmt = request.GET.get("format")
    context = {
        "title": _("储备收支预警（RES-3）"),
        "rows": rows,
        "start": start,
        "end": end,
        "form": form,
        "issued_on": timezone.localdate(),
        "flagged": [r for r in rows if r.level != "normal"],
    }
    if fmt == "xlsx":
        headers = [
            _("功能区"),
            _("污染物"),
            _("单位"),
            _("期末储备"),
            _("待批需求"),
            _("期间收入"),
            _("期间支出"),
            _("级别"),
            _("原因"),
        ]
        data = [
            [
                r.zone.name,
                r.pollutant.name,
                r.pollutant.display_unit,
                grams_to_decimal(r.balance, r.pollutant.unit),
                grams_to_decimal(r.demand, r.pollutant.unit),
                grams_to_decimal(r.income, r.pollutant.unit),
                grams_to_decimal(r.spending, r.pollutant.unit),
                r.level_label,
                "；".join(r.reasons),
            ]
            for r in rows
        ]
        return xlsx_response(
            write_workbook([(_("预警通报"), headers, data)]), f"reserve-warnings-{start}-{end}.xlsx"
        )
    if fmt == "pdf":
        return pdf_response(
            render_pdf("reserve/warnings_pdf.html", context), f"储备收支预警通报-{start}-{end}.pdf"
        )
    return render(request, "reserve/warnings.html", context)
