from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from totalquota.accounts.permissions import principal_of
from totalquota.web.home import cards_for, charts_for


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """工作台: what needs this person's attention, by role."""
    principal = principal_of(request.user)
    charts = [{"title": str(c.title), "option": c.option} for c in charts_for(principal)]
    return render(
        request, "common/home.html", {"cards": cards_for(principal), "principal": principal, "charts": charts}
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(request, "common/csrf_failure.html", {"reason": reason}, status=403)


def error_403(request: HttpRequest, exception=None) -> HttpResponse:
    return render(request, "common/error.html", {"status": 403, "message": str(exception or "")}, status=403)


def error_404(request: HttpRequest, exception=None) -> HttpResponse:
    return render(request, "common/error.html", {"status": 404, "message": ""}, status=404)


def error_500(request: HttpRequest) -> HttpResponse:
    return render(request, "common/error.html", {"status": 500, "message": ""}, status=500)
