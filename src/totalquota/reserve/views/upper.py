"""储备库 pages of the upper-level reserve (RES-2): requests and their answers."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from totalquota.accounts.permissions import access, may, principal_of, require
from totalquota.lib.errors import DomainError
from totalquota.lib.units import QuantityError, format_quantity, parse_quantity
from totalquota.reserve import services
from totalquota.reserve.forms import UpperGrantForm, UpperRequestForm
from totalquota.reserve.models import QuotaApplication, UpperLevelRequest
from totalquota.reserve.views.common import in_grams
from totalquota.web.forms import form_page, refusal_above, saved
from totalquota.web.lists import Button, Column, ScopedListView, model_columns


class UpperListView(ScopedListView):
    model = UpperLevelRequest
    action = "reserve.view"
    title = gettext_lazy("上级储备库申请")
    search_fields = ["reason", "reference", "application__code"]
    export_name = gettext_lazy("上级储备库申请")
    columns = model_columns(
        UpperLevelRequest,
        Column(gettext_lazy("功能区"), "zone.name"),
        Column(gettext_lazy("污染物"), "pollutant.display_name"),
        Column(
            gettext_lazy("申请量"), lambda r: format_quantity(r.amount_grams, r.pollutant.unit), css="num"
        ),
        Column(gettext_lazy("理由"), "reason", css="wrap"),
        Column(gettext_lazy("对应申请"), "application.code"),
        "status",
        Column(
            gettext_lazy("下达量"),
            lambda r: format_quantity(r.granted_grams, r.pollutant.unit) if r.granted_grams else "",
            css="num",
        ),
        "reference",
    )
    template_name = "reserve/upper_list.html"

    related = ("zone", "pollutant", "application")
    buttons = [Button("reserve.upper_level", gettext_lazy("申请上级储备"), "reserve:upper_create")]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["grant_form"] = UpperGrantForm()
        context["can_grant"] = may(self.request.user, "reserve.upper_grant")
        return context


@login_required
def upper_create(request: HttpRequest) -> HttpResponse:
    actor = require(request.user, "reserve.upper_level")
    application = None
    initial = {}
    if request.GET.get("application"):
        application = access(request.user, QuotaApplication, request.GET["application"], "reserve.view")
        initial = {
            "zone": application.zone,
            "reason": _("申请 %(code)s 园区储备不足") % {"code": application.code},
        }

    return form_page(
        request,
        UpperRequestForm(request.POST or None, initial=initial),
        save=lambda data: services.upper_request(
            actor=actor, application=application, **in_grams(data, "amount")
        ),
        done=lambda _row: saved(
            request, _("已登记向上级储备库的申请。"), application or reverse("reserve:upper_list")
        ),
        refused=refusal_above,
        title=_("申请上级储备库指标"),
        cancel_url=reverse("reserve:upper_list"),
    )


@login_required
@require_POST
def upper_decide(request: HttpRequest, pk: int) -> HttpResponse:
    req = access(
        request.user, UpperLevelRequest.objects.select_related("pollutant"), pk, "reserve.upper_grant"
    )
    actor = principal_of(request.user)
    form = UpperGrantForm(request.POST)
    try:
        if not form.is_valid():
            raise DomainError(_("请填写上级文件"))
        data = form.cleaned_data
        if data["refuse"]:
            services.upper_refuse(actor=actor, request=req, reference=data["reference"])
        else:
            grams = parse_quantity(data["granted"], req.pollutant.unit, allow_zero=False)
            services.upper_grant(actor=actor, request=req, granted_grams=grams, reference=data["reference"])
    except (DomainError, QuantityError) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("已办结。"))
    return redirect("reserve:upper_list")
