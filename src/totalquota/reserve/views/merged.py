"""The records of the units merged into a unit (单位沿革): their quota applications and emission
reports, listed on the survivor's page (a panel loaded by htmx) or as a page of their own. The
records stay the absorbed units' own; each list is scoped as its own pages are."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from totalquota.accounts.permissions import access, may, restrict
from totalquota.emissions.models import EmissionReport
from totalquota.registry.models import Enterprise
from totalquota.registry.selectors import merged_unit_ids
from totalquota.reserve.models import QuotaApplication


@login_required
def merged_records(request: HttpRequest, enterprise_id: int) -> HttpResponse:
    enterprise = access(
        request.user, Enterprise.objects.select_related("zone"), enterprise_id, "registry.view"
    )
    ids = merged_unit_ids(enterprise)
    units = list(
        restrict(request.user, Enterprise.objects.filter(pk__in=ids), "registry.view").order_by("name")
    )
    applications: Any = (
        restrict(
            request.user, QuotaApplication.objects.filter(enterprise_id__in=ids), "reserve.view"
        ).order_by("-pk")
        if may(request.user, "reserve.view")
        else []
    )
    reports: Any = (
        restrict(
            request.user, EmissionReport.objects.filter(enterprise_id__in=ids), "emissions.view"
        ).order_by("-year", "-pk")
        if may(request.user, "emissions.view")
        else []
    )
    rows = [
        {
            "unit": unit,
            "applications": [a for a in applications if a.enterprise_id == unit.pk],
            "reports": [r for r in reports if r.enterprise_id == unit.pk],
        }
        for unit in units
    ]
    context = {
        "enterprise": enterprise,
        "rows": rows,
        "title": _("被合并单位的记录：%(unit)s") % {"unit": enterprise.name},
    }
    if request.headers.get("HX-Request"):
        return render(request, "reserve/_merged_records.html", context)
    return render(request, "reserve/merged_records.html", context)
