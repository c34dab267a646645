"""Accounting a project's lines, and marking how approved lines are used (RES-1)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from totalquota.accounts.permissions import (
    access,
    principal_of,
)
from totalquota.lib.errors import DomainError
from totalquota.lib.units import format_quantity
from totalquota.reductions import accounting, selectors, services
from totalquota.reductions.forms import (
    LineForm,
    ReasonForm,
    UsageForm,
)
from totalquota.reductions.models import (
    LineUsage,
    ReductionLine,
)
from totalquota.reductions.views.common import (
    _apply_errors,
    _can_prepare,
    _project,
    _refused,
    form_page,
)
from totalquota.registry.models import Pollutant
from totalquota.web.forms import saved


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
                    messages.success(request, _("已保存%(p)s减排量。") % {"p": pollutant.display_name})
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
    return saved(request, _("已删除%(p)s减排量。") % {"p": line.pollutant.display_name}, line.project)


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

    unit = line.pollutant.unit
    return form_page(
        request,
        form,
        save=lambda data: services.usage_mark(actor=principal_of(request.user), line=line, **data),
        done=lambda _usage: saved(request, _("已标记使用情况。"), line.project.get_absolute_url() + "#lines"),
        title=_("标记使用情况：%(p)s · %(pol)s")
        % {"p": line.project.name, "pol": line.pollutant.display_name},
        cancel_url=line.project.get_absolute_url(),
        intro=_(
            "核定减排量 %(total)s；已用于约束性减排任务、以新带老、排污权出让 %(used)s；已报送上级储备库 %(upper)s。"
            "前三类用途合计不超过核定减排量（RES-1）。"
        )
        % {
            "total": format_quantity(line.reduction_grams, unit, suffix=True),
            "used": format_quantity(summary.excluded_grams, unit, suffix=True),
            "upper": format_quantity(summary.upper_reserve_grams, unit, suffix=True),
        },
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
    return saved(request, _("已撤销使用标记。"), usage.line.project)
