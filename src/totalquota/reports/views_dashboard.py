"""Dashboard pages (看板): parse the as-of basis, authorise, read, render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from totalquota.accounts.permissions import access, in_zones, may, principal_of, require
from totalquota.lib.errors import ValidationFailed
from totalquota.registry.models import Zone
from totalquota.reports import dashboards
from totalquota.reports.selectors_dashboard import issued_bulletins


def _render(request: HttpRequest, template: str, board: dashboards.Dashboard, **extra) -> HttpResponse:
    basis = board.basis
    return render(
        request,
        template,
        {
            "title": board.title,
            "board": board,
            "basis": basis,
            "basis_label": dashboards.basis_label(basis),
            "bulletins": issued_bulletins(),
            "charts": board.charts,
            **board.context,
            **extra,
        },
    )


def _refused(request: HttpRequest, exc: ValidationFailed) -> HttpResponse:
    return render(request, "common/error.html", {"status": 422, "message": str(exc)}, status=422)


@login_required
def dashboard_home(request: HttpRequest) -> HttpResponse:
    """看板: the dashboard of the person's role."""
    principal = principal_of(request.user)
    for action, name in (
        ("reports.dashboard_unit", "reports:dashboard_unit"),
        ("reports.dashboard_own_zone", "reports:dashboard_own_zone"),
        ("reports.dashboard_park", "reports:dashboard_park"),
        ("reports.dashboard_leader", "reports:dashboard_leader"),
    ):
        if may(principal, action):
            return redirect(name)
    raise PermissionDenied(_("您的角色无权执行此操作"))


@login_required
def park(request: HttpRequest) -> HttpResponse:
    """园区看板: every active zone."""
    principal = require(request.user, "reports.dashboard_park")
    try:
        basis = dashboards.parse_basis(request.GET)
        zones = list(in_zones(principal, Zone.objects.filter(is_active=True)))
        board = dashboards.reserve_dashboard(
            principal, zones, basis, request.GET.get("pollutant"), title=_("园区看板")
        )
    except ValidationFailed as exc:  # a bad date, or one no warning rule parameter was in force on
        return _refused(request, exc)
    return _render(request, "reports/dashboard_reserve.html", board, zone=None)


@login_required
def own_zone(request: HttpRequest) -> HttpResponse:
    principal = require(request.user, "reports.dashboard_own_zone")
    if principal.zone_id is None:
        raise PermissionDenied(_("账号未关联功能区"))
    return redirect("reports:dashboard_zone", zone_id=principal.zone_id)


@login_required
def zone(request: HttpRequest, zone_id: int) -> HttpResponse:
    """功能区看板: one zone, for its officer or a park-wide reader (another zone answers 404)."""
    principal = require(request.user, "reports.dashboard_zone")
    the_zone = access(principal, in_zones(principal, Zone.objects.all()), zone_id, "reports.dashboard_zone")
    try:
        basis = dashboards.parse_basis(request.GET)
        board = dashboards.reserve_dashboard(
            principal,
            [the_zone],
            basis,
            request.GET.get("pollutant"),
            title=_("功能区看板：%(zone)s") % {"zone": the_zone.name},
        )
    except ValidationFailed as exc:
        return _refused(request, exc)
    return _render(request, "reports/dashboard_reserve.html", board, zone=the_zone)


@login_required
def leader(request: HttpRequest) -> HttpResponse:
    """领导总览: one page with five-year trends and the year-on-year change."""
    principal = require(request.user, "reports.dashboard_leader")
    try:
        basis = dashboards.parse_basis(request.GET)
        board = dashboards.leader_dashboard(principal, basis, request.GET.get("pollutant"))
    except ValidationFailed as exc:
        return _refused(request, exc)
    return _render(request, "reports/dashboard_leader.html", board)


@login_required
def unit(request: HttpRequest) -> HttpResponse:
    """本单位看板: the unit's own quota, applications, reports and determinations."""
    principal = require(request.user, "reports.dashboard_unit")
    if principal.enterprise_id is None:
        raise PermissionDenied(_("账号未关联排污单位"))
    try:
        basis = dashboards.parse_basis(request.GET)
        board = dashboards.enterprise_dashboard(principal, basis)
    except ValidationFailed as exc:
        return _refused(request, exc)
    return _render(request, "reports/dashboard_unit.html", board)
