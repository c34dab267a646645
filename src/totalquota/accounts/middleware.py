"""The first sign-in with a one-time password leads to the password change, and nowhere else."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

# Where a person who must change their password may still go: the change itself, signing out,
# the language switch. Static files never reach the middleware (WhiteNoise answers them first).
OPEN_URL_NAMES = ("accounts:password_change", "accounts:logout", "set_language")


class PasswordChangeRequiredMiddleware:
    """A signed-in person whose password is a one-time password (``must_change_password``) is sent
    to the password change from every page; the API answers their session with a 403 problem
    document. System clients calling with a bearer token are not concerned: tokens are issued to
    system accounts, which never sign in with a password."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not getattr(user, "must_change_password", False):
            return self.get_response(request)
        if request.path in {reverse(name) for name in OPEN_URL_NAMES}:
            return self.get_response(request)
        if request.path.startswith("/api/"):
            if request.headers.get("Authorization", "").startswith("Bearer "):
                return self.get_response(request)
            from totalquota.common.problems import problem

            return problem(
                request, 403, "无权操作", "请先在页面上修改初始密码", code="password-change-required"
            )
        target = reverse("accounts:password_change")
        if request.headers.get("HX-Request"):  # a partial update: htmx loads the whole page instead
            response = HttpResponse(status=204)
            response["HX-Redirect"] = target
            return response
        return redirect(target)
