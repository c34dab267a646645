"""Declaration rounds and accounting factors (bureau administration)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from totalquota.accounts.permissions import (
    access,
    may,
    principal_of,
    require,
)
from totalquota.lib.errors import DomainError
from totalquota.reductions import accounting, selectors, services
from totalquota.reductions.forms import (
    FactorForm,
    FactorRetireForm,
    RoundForm,
)
from totalquota.reductions.models import (
    AccountingFactor,
)
from totalquota.reductions.views.common import form_page
from totalquota.web.forms import saved


@login_required
def round_create(request):
    require(request.user, "reductions.manage_rounds")
    today = timezone.localdate()
    quarter = (today.month - 1) // 3 + 1
    form = RoundForm(request.POST or None, initial={"year": today.year, "quarter": quarter})

    return form_page(
        request,
        form,
        save=lambda data: services.round_create(actor=principal_of(request.user), **data),
        done=lambda _round: saved(request, _("已新建申报轮次。"), "reductions:round_list"),
        title=_("新建申报轮次"),
        cancel_url=reverse("reductions:round_list"),
        intro=_(
            "原则上每季度集中申报一次；覆盖上一年度竣工项目的轮次须在次年 2 月底前截止（RED-3，规则参数）。"
        ),
    )


@login_required
def round_next(request):
    """Open the next quarter's round: the form comes filled with the default dates
    (``selectors.next_round_defaults``), which the bureau may change before saving."""
    require(request.user, "reductions.manage_rounds")
    try:
        initial = selectors.next_round_defaults(timezone.localdate())
    except DomainError as exc:  # the end-of-February rule is missing: the dates are typed by hand
        messages.warning(request, str(exc))
        initial = {}
    form = RoundForm(request.POST or None, initial=initial)

    return form_page(
        request,
        form,
        save=lambda data: services.round_create(actor=principal_of(request.user), **data),
        done=lambda row: saved(
            request, _("已开放申报轮次：%(title)s。") % {"title": row.title}, "reductions:round_list"
        ),
        title=_("开放下一申报轮次"),
        cancel_url=reverse("reductions:round_list"),
        intro=_(
            "默认为最近一轮之后的季度：整个季度开放申报，覆盖上一季度竣工的项目；第一季度的轮次截止于上一年度项目的申报截止日"
            "（2 月底，规则参数，RED-3）。日期可在保存前修改。此前在无轮次开放时申报的项目将归入本轮。"
        ),
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
            "unit": accounting.unit_label(factor.unit),
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

    return form_page(
        request,
        form,
        save=lambda data: services.factor_create(actor=principal_of(request.user), **data),
        done=lambda _factor: saved(request, _("已新增核算系数。"), "reductions:factor_list"),
        title=_("新增核算系数"),
        cancel_url=reverse("reductions:factor_list"),
        intro=_(
            "系数须注明来源文件或标准；已核算的减排量保存所用系数的快照，新增或停用系数不改变已有结果（RED-2）。"
        ),
    )
