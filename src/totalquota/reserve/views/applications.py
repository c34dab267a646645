"""储备库 pages of quota applications: the list, drafting, the detail with its decisions (the
workflow buttons post to the shell's action handler), lot plans, operation dates, recovery of a
line and the ANNEX-1 download."""

from __future__ import annotations

from typing import Any

import django_filters
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from totalquota.accounts.permissions import access, may, principal_of, require
from totalquota.documents import selectors as documents
from totalquota.documents.models import DocumentKind
from totalquota.documents.responses import send_file
from totalquota.ledger import selectors as ledger_selectors
from totalquota.ledger.models import Account, AccountKind
from totalquota.lib.errors import DomainError
from totalquota.lib.units import QuantityError, format_quantity, parse_quantity
from totalquota.registry.models import Zone
from totalquota.reserve import selectors, services
from totalquota.reserve.decisions import (
    LINE_FIELDS,
    expected_route,
    explain_line,
    line_hold_state,
    missing_documents,
)
from totalquota.reserve.forms import (
    ApplicationForm,
    DocumentForm,
    LinesForm,
    OperatingForm,
    ReasonForm,
    RecoveryForm,
)
from totalquota.reserve.models import (
    ApplicationLine,
    ApplicationStatus,
    QuotaApplication,
    RecoveryCase,
    Route,
)
from totalquota.reserve.services import annex as annex_services
from totalquota.reserve.views.documents import document_intro
from totalquota.reserve.workflow import APPLICATION_ACTIONS
from totalquota.web.actions import action_view
from totalquota.web.lists import Button, Column, ScopedListView, model_columns
from totalquota.workflow.views import assignment_context

LINE_STATUS_LABELS = {  # labels of decisions.line_hold_state
    "none": gettext_lazy("无需扣减"),
    "missing": gettext_lazy("未预留（储备不足）"),
    "partial": gettext_lazy("部分预留（储备不足）"),
    "open": gettext_lazy("已预留"),
    "posted": gettext_lazy("已扣减"),
    "voided": gettext_lazy("已释放"),
    "expired": gettext_lazy("预留已到期"),
}


class ApplicationFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=gettext_lazy("状态"), choices=ApplicationStatus.choices)
    route = django_filters.ChoiceFilter(label=gettext_lazy("办理方式"), choices=Route.choices)
    zone = django_filters.ModelChoiceFilter(label=gettext_lazy("功能区"), queryset=Zone.objects.all())

    class Meta:
        model = QuotaApplication
        fields = ["status", "route", "zone"]


def _deductions(app: QuotaApplication) -> str:
    return "；".join(
        f"{line.pollutant.display_name} {format_quantity(line.deduction_grams, line.pollutant.unit)}"
        for line in app.lines.all()
    )


class ApplicationListView(ScopedListView):
    model = QuotaApplication
    action = "reserve.view"
    title = gettext_lazy("总量指标申请")
    search_fields = ["code", "project_name", "enterprise__name", "eia_reference", "location"]
    search_placeholder = gettext_lazy("编号、项目、单位、环评文号")
    filterset_class = ApplicationFilter
    export_name = gettext_lazy("指标申请")
    columns = model_columns(
        QuotaApplication,
        Column(gettext_lazy("申请编号"), "code", link=True),
        Column(gettext_lazy("建设项目"), "project_name", css="wrap"),
        Column(gettext_lazy("排污单位"), "enterprise.name"),
        Column(gettext_lazy("功能区"), "zone.name"),
        "route status",
        Column(gettext_lazy("削减替代量"), _deductions, css="wrap"),
        "submitted_at decided_at",
    )

    def base_queryset(self) -> QuerySet[QuotaApplication]:
        return QuotaApplication.objects.select_related("enterprise", "zone").prefetch_related(
            "lines__pollutant"
        )

    buttons = [Button("reserve.apply", gettext_lazy("申请总量指标"), "reserve:application_create")]


def _edit(request: HttpRequest, application: QuotaApplication | None) -> HttpResponse:
    actor = principal_of(request.user)
    initial_lines = None
    initial = {}
    if application is not None:
        initial = {
            f: getattr(application, f)
            for f in ("enterprise", "project_name", "location", "eia_reference", "description")
        }
        initial_lines = {
            line.pollutant.code: {f: getattr(line, f) for f in LINE_FIELDS}
            for line in application.lines.select_related("pollutant")
        }
    form = ApplicationForm(
        request.POST or None, principal=actor, initial=initial, editing=application is not None
    )
    lines = LinesForm(request.POST or None, initial_lines=initial_lines)
    if request.method == "POST" and form.is_valid() and lines.is_valid():
        data = dict(form.cleaned_data)
        try:
            if application is None:
                application = services.application_create(
                    actor=actor, lines=lines.cleaned_data["lines"], **data
                )
            else:
                data.pop("enterprise")
                services.application_update(
                    actor=actor, application=application, lines=lines.cleaned_data["lines"], **data
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
def application_create(request: HttpRequest) -> HttpResponse:
    require(request.user, "reserve.apply")
    return _edit(request, None)


@login_required
def application_edit(request: HttpRequest, pk: int) -> HttpResponse:
    application = access(request.user, QuotaApplication, pk, "reserve.apply")
    if application.status != ApplicationStatus.DRAFT:
        messages.error(request, _("只有草稿可以修改"))
        return redirect(application)
    return _edit(request, application)


@login_required
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    application = access(
        request.user, QuotaApplication.objects.select_related("enterprise", "zone"), pk, "reserve.view"
    )
    user = request.user
    lines = list(application.lines.select_related("pollutant", "hold", "allocation", "posting"))
    for line in lines:  # shown with each line: its hold and, while open, the lots it may come from
        texts = (line.route_reason, line.computation)  # as stored; explained again in the page's language
        if {"filing_threshold", "balance_ratio"} <= set(line.rule_snapshot or {}):
            texts = explain_line(
                line.pollutant, line.new_discharge_grams, line.deduction_grams, line.rule_snapshot
            )
        line.route_reason_text, line.computation_text = texts  # type: ignore[attr-defined]
        state = line_hold_state(line)
        line.hold_state = state  # type: ignore[attr-defined]
        line.hold_label = LINE_STATUS_LABELS.get(state, state)  # type: ignore[attr-defined]
        line.lots = (  # type: ignore[attr-defined]
            ledger_selectors.lots_available(application.zone, line.pollutant) if application.is_open else []
        )
    is_reviewer = may(user, "reserve.decide")
    can = APPLICATION_ACTIONS.available(principal_of(user), application)
    labels = dict(ApplicationStatus.choices)
    can_edit = may(user, "reserve.apply") and application.status == ApplicationStatus.DRAFT
    is_draft = application.status == ApplicationStatus.DRAFT
    # The route a draft would take, so the applicant knows before submitting whether the review
    # documents are needed (RES-2); after submission the application's own route says it.
    route = expected_route(application, timezone.localdate()) if is_draft else application.route
    context = {
        "application": application,
        "title": f"{application.code} {application.project_name}",
        "lines": lines,
        "transitions": [
            (t, labels.get(t.from_status, t.from_status), labels.get(t.to_status, t.to_status))
            for t in application.transitions.select_related("actor")
        ],
        "preview": selectors.decision_preview(application) if is_reviewer and application.is_open else [],
        "can_edit": can_edit,
        "documents": selectors.application_documents(application),
        "missing_documents": missing_documents(application) if route == Route.REVIEW else [],
        "documents_route": route,
        "document_form": DocumentForm(auto_id="document_%s") if can_edit else None,
        "document_intro": document_intro() if can_edit else "",
        "can_withdraw": can["withdraw"],
        "can_propose": can["propose"],
        "can_decide": can["approve"],
        "can_plan": can["rehold"],
        "can_upper": may(user, "reserve.upper_level") and application.is_open,
        "can_operate": may(user, "reserve.mark_operating")
        and application.status == ApplicationStatus.APPROVED,
        "can_recover": may(user, "reserve.recover") and application.status == ApplicationStatus.APPROVED,
        "approved": application.status == ApplicationStatus.APPROVED,
        "annex": documents.valid_document(application, DocumentKind.ANNEX_1),
        "reason_form": ReasonForm(),
        "operating_form": OperatingForm(initial={"started_on": application.operation_started_on}),
        "recovery_form": RecoveryForm(),
        "recoveries": RecoveryCase.objects.filter(line__application=application).select_related(
            "line__pollutant"
        ),
        "upper_requests": application.upper_requests.select_related("pollutant"),
        "assignment": assignment_context(user, application),
    }
    return render(request, "reserve/application_detail.html", context)


def _load(request: HttpRequest, pk: int, permission: str) -> QuotaApplication:
    return access(request.user, QuotaApplication, pk, permission)


# Every workflow button of the detail page (submit, withdraw, propose, approve, reject, rehold).
application_action = action_view(APPLICATION_ACTIONS, _load)


def _line(request: HttpRequest, pk: int, permission: str) -> ApplicationLine:
    return access(
        request.user, ApplicationLine.objects.select_related("application", "pollutant"), pk, permission
    )


@login_required
@require_POST
def line_plan(request: HttpRequest, pk: int) -> HttpResponse:
    """The bureau picks the lots a line's deduction is held from (a rehold with a plan: the same
    right as holding again, ``reserve.plan``)."""
    line = _line(request, pk, "reserve.plan")
    plan = []
    try:
        for lot in Account.objects.filter(
            kind=AccountKind.LOT,
            zone=line.application.zone,
            pollutant=line.pollutant,
            # Only ``lot_<id>`` fields name a lot; any other key is not ours and is ignored.
            pk__in=[
                int(k[4:])
                for k in request.POST
                if k.startswith("lot_") and k[4:].isascii() and k[4:].isdigit()
            ],
        ):
            text = request.POST.get(f"lot_{lot.pk}", "").strip()
            if text:
                plan.append((lot, parse_quantity(text, line.pollutant.unit, allow_zero=False)))
        short = services.application_rehold(
            actor=principal_of(request.user), application=line.application, plans={line.pk: plan}
        )
    except (DomainError, QuantityError) as exc:
        messages.error(request, str(exc))
    else:
        if short:
            messages.warning(request, "；".join(short))
        else:
            messages.success(request, _("已按所选批次预留。"))
    return redirect(line.application)


@login_required
@require_POST
def application_operating(request: HttpRequest, pk: int) -> HttpResponse:
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
            messages.error(request, str(exc))
        else:
            messages.success(request, _("已登记正式投运日期。"))
    else:
        # Say why (a date outside its range names the range), not just that it is missing.
        reasons = form.errors.get("started_on") if form.data.get("started_on") else None
        messages.error(request, "；".join(str(r) for r in reasons) if reasons else _("请填写正式投运日期"))
    return redirect(application)


@login_required
@require_POST
def line_recover(request: HttpRequest, pk: int) -> HttpResponse:
    line = _line(request, pk, "reserve.recover")
    form = RecoveryForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择收回情形并说明理由"))
        return redirect(line.application)
    data: dict[str, Any] = form.cleaned_data
    try:
        surplus = (
            parse_quantity(data["surplus"], line.pollutant.unit, allow_zero=False)
            if data["surplus"]
            else None
        )
        case = services.recovery_propose(
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
            _("已拟定收回 %(q)s，待另一名审核人员决定。")
            % {"q": format_quantity(case.recovered_grams, line.pollutant.unit, suffix=True)},
        )
        return redirect(case)
    return redirect(line.application)


ANNEX_FORMATS = ("pdf", "xlsx")


@login_required
def annex_download(request: HttpRequest, pk: int, fmt: str) -> HttpResponseBase:
    """The stored ANNEX-1 (``documents.IssuedDocument``) of an approved application."""
    if fmt not in ANNEX_FORMATS:
        raise Http404
    application = access(
        request.user, QuotaApplication.objects.select_related("enterprise"), pk, "reserve.view"
    )
    if application.status != ApplicationStatus.APPROVED:
        messages.error(request, _("信息表（附件1）在批准后出具"))
        return redirect(application)
    document = annex_services.annex_document(application=application)
    if document is None:
        messages.error(request, _("该申请的信息表（附件1）已撤销"))
        return redirect(application)
    return send_file(
        document, fmt, f"排污总量指标管理信息表-{application.code}-第{document.version}版", request
    )
