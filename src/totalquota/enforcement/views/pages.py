"""Pages of enforcement and credit (SUP-4).

The list of findings and of credit entries (search, filters, XLSX); registering a finding from an
event or an inspection, or from a flag of the emission library; a finding's page with every stage
and the workflow's buttons (one URL per action of ``FINDING_ACTIONS``; ``propose`` has a form of
its own); evidence and answer files, sent only through a view that checks access; the export of
one finding's stages; and the unit's record (its findings and credit entries), shown on the
unit's page in the registry.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from totalquota.accounts.permissions import access, in_zones, may, principal_of, require, restrict
from totalquota.common.files import download, upload_limit_mb
from totalquota.common.middleware import multipart_post
from totalquota.common.xlsx import export_filename, write_workbook, xlsx_response
from totalquota.emissions.consistency import flag_message
from totalquota.emissions.models import ConsistencyFlag
from totalquota.enforcement import selectors, services
from totalquota.enforcement.amounts import format_yuan, parse_yuan
from totalquota.enforcement.forms import (
    CreditFilter,
    FileForm,
    FindingFilter,
    FindingForm,
    FlagFindingForm,
    ProposeForm,
)
from totalquota.enforcement.models import OPEN_STATUSES, CreditEntry, Finding, FindingFile
from totalquota.enforcement.workflow import FINDING_ACTIONS
from totalquota.lib.errors import DomainError
from totalquota.registry.models import Enterprise
from totalquota.web.actions import action_urls, action_view
from totalquota.web.forms import apply_errors, form_page, saved
from totalquota.web.lists import Button, Column, ScopedListView, export_heading, model_columns
from totalquota.workflow.views import history

FINDINGS = Finding.objects.select_related(*selectors.FINDING_RELATED)


def _finding(request: HttpRequest, pk: int, action: str = "enforcement.view") -> Finding:
    return access(request.user, FINDINGS, pk, action)


# --- lists ---------------------------------------------------------------------------------------
class FindingListView(ScopedListView):
    """发现问题: every finding within the person's scope, with its stage."""

    model = Finding
    action = "enforcement.view"
    title = gettext_lazy("发现问题")
    export_name = gettext_lazy("发现问题")
    filterset_class = FindingFilter
    search_fields = ["code", "enterprise__name", "enterprise__uscc", "event_reference", "facts"]
    search_placeholder = gettext_lazy("编号、单位名称、信用代码、事件编号或事实")
    related = ("enterprise", "zone", "pollutant", "created_by")
    columns = model_columns(
        Finding,
        Column(gettext_lazy("编号"), "code", link=True),
        Column(gettext_lazy("排污单位"), "enterprise.name"),
        Column(gettext_lazy("统一社会信用代码"), "enterprise.uscc"),
        Column(gettext_lazy("功能区"), "zone.name"),
        "year",
        Column(gettext_lazy("污染物"), lambda f: f.pollutant.display_name if f.pollutant else ""),
        "source event_reference inspection_date",
        Column(gettext_lazy("违法事实"), "facts", css="wrap"),
        "status created_at",
    )
    buttons = [
        Button("enforcement.record", gettext_lazy("登记发现问题"), "enforcement:finding_create"),
        Button(
            "enforcement.record",
            gettext_lazy("从超量排放提示登记"),
            "emissions:candidate_list",
            icon="bi-exclamation-octagon",
            style="outline-primary",
        ),
    ]


class CreditListView(ScopedListView):
    """信用记录: the credit entries written by confirmed penalty decisions."""

    model = CreditEntry
    action = "enforcement.view"
    title = gettext_lazy("信用记录")
    export_name = gettext_lazy("信用记录")
    filterset_class = CreditFilter
    search_fields = ["enterprise__name", "enterprise__uscc", "decision__decision_number", "finding__code"]
    search_placeholder = gettext_lazy("单位名称、信用代码、决定书文号或发现问题编号")
    related = ("enterprise", "zone", "decision", "finding")
    columns = model_columns(
        CreditEntry,
        Column(gettext_lazy("排污单位"), "enterprise.name", link=True),
        Column(gettext_lazy("统一社会信用代码"), "enterprise.uscc"),
        Column(gettext_lazy("功能区"), "zone.name"),
        "kind severity recorded_on",
        Column(gettext_lazy("记录事由"), "reason", css="wrap"),
        Column(gettext_lazy("处罚决定书文号"), "decision.decision_number"),
        Column(gettext_lazy("罚款金额（元）"), lambda e: format_yuan(e.decision.penalty_fen), css="num"),
        Column(gettext_lazy("发现问题编号"), "finding.code"),
    )


# --- registering a finding -----------------------------------------------------------------------
def _enterprises(request: HttpRequest) -> QuerySet[Enterprise]:
    """The units an officer may register a finding about: those of their zone (all for the bureau)."""
    return in_zones(
        principal_of(request.user), Enterprise.objects.filter(is_active=True).order_by("name"), "zone_id"
    )


@login_required
@multipart_post
def finding_create(request: HttpRequest) -> HttpResponse:
    principal = require(request.user, "enforcement.record")
    form = FindingForm(
        request.POST or None,
        request.FILES or None,
        enterprises=_enterprises(request),
        initial={"year": timezone.localdate().year},
    )

    def save(data: dict[str, Any]) -> Finding:
        return services.finding_create(
            actor=principal,
            source=data["source"],
            facts=data["facts"],
            enterprise=data["enterprise"],
            year=data["year"],
            pollutant=data["pollutant"],
            event_reference=data["event_reference"],
            inspection_date=data["inspection_date"],
            inspectors=data["inspectors"],
            files=[data["file"]] if data.get("file") else [],
        )

    return form_page(
        request,
        form,
        save=save,
        done=lambda f: saved(request, _("已登记发现问题 %(code)s。") % {"code": f.code}, f),
        title=_("登记发现问题（执法事件或现场检查）"),
        cancel_url=reverse("enforcement:finding_list"),
        invalid_status=422,
        submit_label=_("登记"),
        intro=_("来自超量排放或一致性核查提示的发现问题，请在该提示页面登记。"),
    )


@login_required
@multipart_post
def finding_from_flag(request: HttpRequest, flag_pk: int) -> HttpResponse:
    principal = require(request.user, "enforcement.record")
    flag = access(
        request.user,
        ConsistencyFlag.objects.select_related("enterprise", "zone", "pollutant", "version"),
        flag_pk,
        "emissions.view",
    )
    message = flag_message(flag)
    form = FlagFindingForm(request.POST or None, request.FILES or None, initial={"facts": message})

    def save(data: dict[str, Any]) -> Finding:
        return services.finding_create(
            actor=principal,
            source="over_emission",  # the flag's kind decides: over-emission or consistency
            flag=flag,
            facts=data["facts"],
            files=[data["file"]] if data.get("file") else [],
        )

    return form_page(
        request,
        form,
        save=save,
        done=lambda f: saved(request, _("已登记发现问题 %(code)s。") % {"code": f.code}, f),
        title=_("据核查提示登记发现问题：%(unit)s %(year)s 年度")
        % {"unit": flag.enterprise.name, "year": flag.year},
        cancel_url=flag.get_absolute_url(),
        invalid_status=422,
        submit_label=_("登记"),
        intro=message,
    )


# --- a finding's page ------------------------------------------------------------------------------
@login_required
def finding_detail(request: HttpRequest, pk: int) -> HttpResponse:
    finding = _finding(request, pk)
    principal = principal_of(request.user)
    stages = selectors.stages(finding)
    can = FINDING_ACTIONS.available(principal, finding)
    can_upload = (
        finding.status in OPEN_STATUSES
        and may(principal, "enforcement.record")
        and principal.enterprise_id is None
    ) or (can.get("answer", False))
    return render(
        request,
        "enforcement/finding_detail.html",
        {
            "finding": finding,
            "s": stages,
            "title": _("发现问题 %(code)s") % {"code": finding.code},
            "can": can,
            "can_upload": can_upload,
            "transitions": history(finding),
            "propose_form": ProposeForm(),
            "upload_mb": upload_limit_mb(),
            "flag_text": flag_message(finding.flag) if finding.flag_id else "",
        },
    )


def _files_of_request(request: HttpRequest, action: Any, _finding: Finding) -> dict[str, Any]:
    """The unit's answer files (any number of ``file`` inputs) with its answer."""
    return {"files": request.FILES.getlist("file")} if action.name == "answer" else {}


def _load(request: HttpRequest, pk: int, permission: str) -> Finding:
    return _finding(request, pk, permission)


# notify, answer, propose (page form below), dismiss, confirm, return: one URL each.
finding_action = action_view(FINDING_ACTIONS, _load, _files_of_request)


@login_required
@require_POST
def finding_propose(request: HttpRequest, pk: int) -> HttpResponse:
    """The officer's penalty proposal: the amount typed in yuan, stored in fen."""
    finding = _finding(request, pk, "enforcement.record")
    form = ProposeForm(request.POST)
    if form.is_valid():
        try:
            services.finding_propose(
                actor=principal_of(request.user),
                finding=finding,
                decision_number=form.cleaned_data["decision_number"],
                penalty_fen=parse_yuan(form.cleaned_data["penalty_yuan"]),
                legal_basis=form.cleaned_data["legal_basis"],
                severity=form.cleaned_data["severity"],
                note=form.cleaned_data["note"],
            )
        except DomainError as exc:
            apply_errors(form, exc)
            status = exc.status
        else:
            return saved(request, str(FINDING_ACTIONS["propose"].done), finding)
    else:
        status = 422
    stages = selectors.stages(finding)
    return render(
        request,
        "enforcement/finding_detail.html",
        {
            "finding": finding,
            "s": stages,
            "title": _("发现问题 %(code)s") % {"code": finding.code},
            "can": FINDING_ACTIONS.available(principal_of(request.user), finding),
            "transitions": history(finding),
            "propose_form": form,
            "upload_mb": upload_limit_mb(),
            "flag_text": flag_message(finding.flag) if finding.flag_id else "",
        },
        status=status,
    )


@login_required
@multipart_post
def file_upload(request: HttpRequest, pk: int) -> HttpResponse:
    finding = _finding(request, pk, "enforcement.add_file")
    form = FileForm(request.POST or None, request.FILES or None)
    return form_page(
        request,
        form,
        save=lambda data: services.finding_file_add(
            actor=principal_of(request.user), finding=finding, upload=data["file"]
        ),
        done=lambda item: saved(
            request,
            _("已上传：%(name)s") % {"name": item.original_name},
            finding.get_absolute_url() + "#files",
        ),
        title=_("上传材料：%(code)s") % {"code": finding.code},
        cancel_url=finding.get_absolute_url(),
        invalid_status=422,
        submit_label=_("上传"),
        intro=_(
            "接受 PDF、图片（PNG/JPEG/GIF/WebP）与 Office 文档，按文件内容校验类型；单个文件不超过 %(mb)d MB。"
        )
        % {"mb": upload_limit_mb()},
    )


@login_required
def file_download(request: HttpRequest, pk: int) -> Any:
    item = access(request.user, FindingFile, pk, "enforcement.view")
    return download(item.file, content_type=item.content_type, filename=item.original_name)


# --- the export of one finding ---------------------------------------------------------------------
@login_required
def finding_export(request: HttpRequest, pk: int) -> Any:
    """Every stage of one finding, dated, as an XLSX workbook (stages, files, history)."""
    finding = _finding(request, pk)
    s = selectors.stages(finding)
    rows: list[list[Any]] = [
        [
            _("登记"),
            finding.created_at.date(),
            str(finding.created_by),
            _("%(source)s：%(facts)s") % {"source": finding.get_source_display(), "facts": finding.facts},
        ],
    ]
    if s.notice is not None:
        rows.append(
            [
                _("告知"),
                s.notice.issued_on,
                str(s.notice.issued_by),
                _("陈述申辩截止 %(due)s；%(text)s")
                % {"due": s.notice.answer_due.isoformat(), "text": s.notice.text},
            ]
        )
    if s.answer is not None:
        rows.append([_("陈述申辩"), s.answer.answered_at.date(), str(s.answer.answered_by), s.answer.text])
    for d in s.decisions:
        what = (
            _("%(number)s，罚款 %(yuan)s 元，依据：%(basis)s")
            % {"number": d.decision_number, "yuan": format_yuan(d.penalty_fen), "basis": d.legal_basis}
            if d.kind == "penalty"
            else d.reason
        )
        rows.append(
            [
                _("拟定：%(kind)s") % {"kind": d.get_kind_display()},
                d.prepared_at.date(),
                str(d.prepared_by),
                what,
            ]
        )
        if d.confirmed_at is not None:
            rows.append(
                [
                    _("确认：%(kind)s") % {"kind": d.get_kind_display()},
                    d.decided_on,
                    str(d.confirmed_by),
                    what,
                ]
            )
        if d.returned_at is not None:
            rows.append([_("退回"), d.returned_at.date(), str(d.returned_by), d.return_reason])
    if s.credit_entry is not None:
        e = s.credit_entry
        rows.append(
            [
                _("信用记录"),
                e.recorded_on,
                str(e.recorded_by),
                f"{e.get_kind_display()}（{e.get_severity_display()}）：{e.reason}",
            ]
        )
    files = [
        [
            f.get_kind_display(),
            f.original_name,
            f.size_bytes,
            f.sha256,
            str(f.uploaded_by),
            timezone.localtime(f.uploaded_at).replace(tzinfo=None),
        ]
        for f in s.evidence + s.answer_files
    ]
    heading = export_heading(
        request.user,
        _("发现问题 %(code)s：%(unit)s") % {"code": finding.code, "unit": finding.enterprise.name},
        [(_("状态"), finding.get_status_display())],
    )
    book = write_workbook(
        [
            (_("办理阶段"), [_("阶段"), _("日期"), _("办理人"), _("内容")], rows),
            (
                _("材料"),
                [_("材料类型"), _("文件名"), _("大小（字节）"), "SHA-256", _("上传人"), _("上传时间")],
                files,
            ),
        ],
        heading=heading,
    )
    return xlsx_response(
        book, export_filename(_("发现问题%(code)s") % {"code": finding.code}, timezone.localdate())
    )


# --- the unit's record ---------------------------------------------------------------------------
@login_required
def unit_record(request: HttpRequest, enterprise_id: int) -> HttpResponse:
    """A unit's findings and credit entries: a panel of the unit's page (loaded by htmx) or a page
    of its own. People without enforcement's rights get an empty panel."""
    enterprise = access(
        request.user, Enterprise.objects.select_related("zone"), enterprise_id, "registry.view"
    )
    allowed = may(request.user, "enforcement.view")
    findings = (
        restrict(request.user, FINDINGS.filter(enterprise=enterprise), "enforcement.view") if allowed else []
    )
    entries = (
        restrict(request.user, selectors.credit_entries_of(enterprise), "enforcement.view") if allowed else []
    )
    context = {
        "enterprise": enterprise,
        "findings": findings,
        "entries": entries,
        "allowed": allowed,
        "title": _("执法与信用记录：%(unit)s") % {"unit": enterprise.name},
    }
    if request.headers.get("HX-Request"):
        return render(request, "enforcement/_unit_panel.html", context)
    return render(request, "enforcement/unit_record.html", context)


urlpatterns: list[URLPattern] = [
    path("findings/", FindingListView.as_view(), name="finding_list"),
    path("findings/new/", finding_create, name="finding_create"),
    path("findings/from-flag/<int:flag_pk>/", finding_from_flag, name="finding_from_flag"),
    path("findings/<int:pk>/", finding_detail, name="finding_detail"),
    path("findings/<int:pk>/propose/", finding_propose, name="finding_propose"),
    path("findings/<int:pk>/files/", file_upload, name="file_upload"),
    path("findings/<int:pk>/export.xlsx", finding_export, name="finding_export"),
    *action_urls(
        FINDING_ACTIONS,
        "findings/<int:pk>/",
        finding_action,
        "finding",
        only=("notify", "answer", "dismiss", "confirm", "return"),
    ),
    path("files/<int:pk>/", file_download, name="file_download"),
    path("credit/", CreditListView.as_view(), name="credit_list"),
    path("units/<int:enterprise_id>/", unit_record, name="unit_record"),
]
