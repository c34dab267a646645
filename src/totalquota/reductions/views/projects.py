"""A project's pages: its detail with the buttons of its workflow, declaring, editing and suggesting,
the workflow's one action handler, the bureau's decision and a third party's opinion."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from totalquota.accounts.permissions import (
    may,
    principal_of,
    require,
    zone_allowed,
)
from totalquota.lib.errors import DomainError
from totalquota.reductions import accounting, selectors, services
from totalquota.reductions.forms import (
    EvidenceForm,
    OpinionForm,
    ProjectForm,
    ReasonForm,
    ReviewForm,
    SuggestionForm,
    revalidate,
)
from totalquota.reductions.models import (
    EDITABLE,
    LineUsage,
    ProjectStatus,
    ReductionLine,
)
from totalquota.reductions.views.common import (
    _can_prepare,
    _due,
    _enterprises_for,
    _project,
    _refused,
    _zones_for,
    form_page,
)
from totalquota.reductions.workflow import PROJECT_ACTIONS, preparers
from totalquota.registry.models import Pollutant
from totalquota.web.actions import action_view
from totalquota.web.forms import saved

S = ProjectStatus


@dataclass
class LineRow:
    """A line as the detail page shows it: with its usage, method name and whether its stored inputs
    recompute to the stored result; other attributes are the line's own."""

    line: ReductionLine
    usage: selectors.UsageSummary
    method_label: str
    recomputes: bool
    computation: str  # the trace in the page's language (recomputed), or as stored

    @property
    def method_short(self) -> str:
        return self.method_label.split("（")[0].split(" (")[0]

    marks: list[LineUsage]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.line, name)


def _line_row(line: ReductionLine) -> LineRow:
    unit = line.pollutant.unit
    computation = line.computation
    try:
        again = accounting.recompute(line.method, line.inputs, unit=(unit.value, unit.grams))
        recomputes = again.reduction_grams == line.reduction_grams
        if recomputes:
            computation = again.text
    except accounting.AccountingError:
        recomputes = False
    return LineRow(
        line=line,
        usage=selectors.line_usage(line),
        method_label=selectors.method_label(line.method),
        recomputes=recomputes,
        computation=computation,
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
    can = PROJECT_ACTIONS.available(principal, project)
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
        "year_closes_on": _year_closes_on(project),
        "can_accept_late": can["accept_late"] and project.late_pending,
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
        # The same people four eyes refuses (workflow.preparers), for the form's warning.
        "is_preparer": principal.user_id in set(preparers(project)),
        "today": today,
        "waiting_round": project.declared_on is not None
        and project.round_id is None
        and project.status in EDITABLE,
    }
    return render(request, "reductions/project_detail.html", context)


def _year_closes_on(project):
    """The last day to declare the project's counting year (RED-3), when it can be told."""
    if project.year is None:
        return None
    try:
        return selectors.year_closes_on(project.year)
    except DomainError:
        return None


PROJECT_FORM_INTRO = gettext_lazy(
    "RED-3 要求的基本信息可分次填写；报送前须补齐，并填写各污染物减排量、上传佐证材料。"
    "竣工时间不得早于开工时间，验收时间不得早于竣工时间。"
)


def _cleaned_project(form) -> dict[str, Any]:
    data = dict(form.cleaned_data)
    for name in ("zone", "enterprise"):
        if name in form.fields and data.get(name) is None:
            data[name] = None if name == "enterprise" else ""
    return data


def _project_form(request, data=None, **kwargs) -> ProjectForm:
    """The project form with the zones and units the person may choose."""
    return ProjectForm(
        data,
        zones=kwargs.pop("zones", None) or _zones_for(request.user),
        enterprises=_enterprises_for(request.user),
        fixed_unit=principal_of(request.user).enterprise_id is not None,
        **kwargs,
    )


@login_required
def project_create(request):
    require(request.user, "reductions.prepare")
    zones = _zones_for(request.user)
    form = _project_form(
        request,
        request.POST or None,
        zones=zones,
        initial={"zone": zones.first() if zones.count() == 1 else None},
    )

    return form_page(
        request,
        form,
        save=lambda _data: services.project_create(
            actor=principal_of(request.user), **_cleaned_project(form)
        ),
        done=lambda project: saved(
            request,
            _("已创建减排项目草稿：%(code)s。请填写减排量并上传佐证材料。") % {"code": project.code},
            project,
        ),
        title=_("填报减排项目"),
        cancel_url=reverse("reductions:project_list"),
        intro=PROJECT_FORM_INTRO,
    )


@login_required
def project_edit(request, pk: int):
    project = _project(request, pk, "reductions.prepare")
    initial = {f: getattr(project, f) for f in services.PROJECT_FIELDS if hasattr(project, f)}
    if project.investment_yuan is not None:
        initial["investment"] = accounting.show(Fraction(project.investment_yuan, services.YUAN_PER_WAN), 4)
    form = _project_form(request, request.POST or None, initial=initial)

    return form_page(
        request,
        form,
        save=lambda _data: services.project_update(
            actor=principal_of(request.user), project=project, **_cleaned_project(form)
        ),
        done=lambda _project: saved(request, _("已保存。"), project),
        title=_("修改减排项目：%(name)s") % {"name": project.name},
        cancel_url=project.get_absolute_url(),
        intro=PROJECT_FORM_INTRO,
    )


@login_required
def project_suggest(request):
    require(request.user, "reductions.suggest")
    form = SuggestionForm(request.POST or None)
    enterprise_field = form.fields["enterprise"]
    enterprise_field.queryset = _enterprises_for(request.user)  # type: ignore[attr-defined]
    revalidate(form)

    return form_page(
        request,
        form,
        save=lambda _data: services.project_suggest(
            actor=principal_of(request.user), **_cleaned_project(form)
        ),
        done=lambda project: saved(
            request, _("已提出增补建议：%(code)s，待功能区采纳。") % {"code": project.code}, project
        ),
        title=_("提出减排项目增补建议"),
        cancel_url=reverse("reductions:project_list"),
        intro=_(
            "生态环境局、经发委结合年度重点项目、专项排查、排污许可变更、引导资金补助等信息，提出增补建议（RED-3）；功能区采纳后填报。"
        ),
    )


# The workflow buttons: one handler for the project's action table (web.actions); the bureau's
# decision comes from one form whose choice names the action.
project_action = action_view(PROJECT_ACTIONS, _project)
# The actions with a page URL of their own (``reductions:project_<name>``).
PAGE_ACTIONS = ("accept_late", "adopt", "decline", "handover", "send_back", "submit")


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
    return saved(request, _("技术意见已提交。"), project)
