"""Login, users and API tokens (bureau admin)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from totalquota.accounts import services
from totalquota.accounts.forms import DelegationForm, LoginForm, PasswordResetByAdminForm, TokenForm, UserForm
from totalquota.accounts.models import ApiToken, Delegation, User
from totalquota.accounts.permissions import access, principal_of, require
from totalquota.accounts.roles import Role
from totalquota.common.forms import StyledFormMixin
from totalquota.registry.models import Zone
from totalquota.web.forms import form_page, post_action, saved
from totalquota.web.lists import Button, Column, ScopedListView, model_columns


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class StyledPasswordChangeForm(StyledFormMixin, PasswordChangeForm):
    pass


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "common/form.html"
    form_class = StyledPasswordChangeForm
    success_url = reverse_lazy("home")
    extra_context = {"title": gettext_lazy("修改密码")}

    def form_valid(self, form):
        messages.success(self.request, _("密码已修改。"))
        return super().form_valid(form)


class UserFilter(django_filters.FilterSet):
    role = django_filters.ChoiceFilter(label=gettext_lazy("角色"), choices=Role.choices)
    zone = django_filters.ModelChoiceFilter(label=gettext_lazy("功能区"), queryset=Zone.objects.all())
    is_active = django_filters.BooleanFilter(label=gettext_lazy("启用"))

    class Meta:
        model = User
        fields = ["role", "zone", "is_active"]


class UserListView(ScopedListView):
    model = User
    action = "accounts.manage_users"
    title = gettext_lazy("用户")
    search_fields = ["username", "display_name", "organisation", "phone", "email"]
    search_placeholder = gettext_lazy("用户名、姓名、单位")
    filterset_class = UserFilter
    export_name = gettext_lazy("用户")
    related = ("zone", "enterprise")
    columns = model_columns(
        User,
        Column(gettext_lazy("用户名"), "username", link=True),
        "display_name role",
        Column(gettext_lazy("功能区"), "zone"),
        Column(gettext_lazy("排污单位"), "enterprise"),
        "organisation",
        Column(gettext_lazy("启用"), "is_active"),
        Column(gettext_lazy("最近登录"), "last_login"),
    )
    buttons = [Button("accounts.manage_users", gettext_lazy("新建用户"), "accounts:user_create")]


def _profile(data: dict[str, Any]) -> dict[str, Any]:
    """The user form's data without the sign-in fields (the services take those apart)."""
    return {k: v for k, v in data.items() if k not in ("username", "password")}


@login_required
def user_create(request):
    principal = require(request.user, "accounts.manage_users")

    def save(data: dict[str, Any]) -> User:
        profile = {k: v for k, v in _profile(data).items() if k != "is_active"}
        return services.user_create(
            actor=principal, username=data["username"], password=data["password"], **profile
        )

    return form_page(
        request,
        UserForm(request.POST or None),
        save=save,
        done=lambda user: saved(
            request, _("已创建用户 %(name)s。") % {"name": user}, "accounts:user_detail", pk=user.pk
        ),
        title=_("新建用户"),
        cancel_url=reverse("accounts:user_list"),
    )


@login_required
def user_detail(request, pk: int):
    user = access(
        request.user, User.objects.select_related("zone", "enterprise"), pk, "accounts.manage_users"
    )
    principal = principal_of(request.user)
    initial = {f: getattr(user, f) for f in services.USER_FIELDS}
    initial["assigned_zones"] = list(user.assigned_zones.all())

    def save(data: dict[str, Any]) -> User:
        profile = _profile(data)
        zones = profile.pop("assigned_zones")
        return services.user_update(actor=principal, user=user, assigned_zones=zones, **profile)

    return form_page(
        request,
        UserForm(request.POST or None, initial=initial, editing=user),
        save=save,
        done=lambda _user: saved(request, _("已保存。"), "accounts:user_detail", pk=user.pk),
        title=str(user),
        cancel_url=reverse("accounts:user_list"),
        template="accounts/user_detail.html",
        subject=user,
        password_form=PasswordResetByAdminForm(),
    )


@login_required
@require_POST
def user_set_password(request, pk: int):
    user = access(request.user, User, pk, "accounts.manage_users")
    form = PasswordResetByAdminForm(request.POST)
    if not form.is_valid():
        return redirect("accounts:user_detail", pk=user.pk)
    return post_action(
        request,
        lambda: services.user_set_password(
            actor=principal_of(request.user), user=user, password=form.cleaned_data["password"]
        ),
        _("已为 %(name)s 设置新密码。") % {"name": user},
        "accounts:user_detail",
        pk=user.pk,
    )


class TokenListView(ScopedListView):
    model = ApiToken
    action = "accounts.manage_tokens"
    title = gettext_lazy("接口令牌")
    search_fields = ["name", "prefix", "client__username"]
    export_name = gettext_lazy("接口令牌")
    related = ("client", "zone", "enterprise")
    columns = model_columns(
        ApiToken, "name prefix client role zone enterprise created_at expires_at revoked_at last_used_at"
    )
    template_name = "accounts/token_list.html"
    buttons = [Button("accounts.manage_tokens", gettext_lazy("签发令牌"), "accounts:token_create")]


@login_required
def token_create(request):
    principal = require(request.user, "accounts.manage_tokens")
    return form_page(
        request,
        TokenForm(request.POST or None),
        save=lambda data: services.token_issue(actor=principal, **data),
        done=lambda issued: render(
            request,
            "accounts/token_issued.html",
            {"token": issued[0], "text": issued[1], "title": _("令牌已签发")},
        ),
        title=_("签发接口令牌"),
        cancel_url=reverse("accounts:token_list"),
        intro=_(
            "令牌只显示一次，平台只保存其摘要。系统对接客户端调用接口时在请求头中携带 Authorization: Bearer <令牌>。"
        ),
    )


@login_required
@require_POST
def token_revoke(request, pk: int):
    token = access(request.user, ApiToken, pk, "accounts.manage_tokens")
    return post_action(
        request,
        lambda: services.token_revoke(actor=principal_of(request.user), token=token),
        _("令牌 %(name)s 已撤销。") % {"name": token},
        "accounts:token_list",
    )


@login_required
def lockouts(request):
    """Accounts locked after repeated failed logins, for the bureau admin to unlock."""
    require(request.user, "accounts.unlock")
    from axes.models import AccessAttempt
    from django.conf import settings

    attempts = AccessAttempt.objects.filter(failures_since_start__gte=settings.AXES_FAILURE_LIMIT).order_by(
        "-attempt_time"
    )
    return render(request, "accounts/lockouts.html", {"attempts": attempts, "title": _("被锁定的账号")})


@login_required
@require_POST
def unlock(request):
    principal = require(request.user, "accounts.unlock")
    username = request.POST.get("username", "")
    return post_action(
        request,
        lambda: services.account_unlock(actor=principal, username=username),
        _("已解除 %(name)s 的登录锁定。") % {"name": username},
        "accounts:lockouts",
    )


@login_required
def delegation(request):
    """The person's deputy (代理人) for an absence: set one, see the current and earlier ones, clear."""
    actor = require(request.user, "accounts.delegate")
    form = DelegationForm(request.POST or None, user=request.user)
    return form_page(
        request,
        form,
        save=lambda data: services.delegation_set(actor=actor, **data),
        done=lambda _row: saved(request, _("已设置代理人。"), "accounts:delegation"),
        title=_("我的代理人"),
        cancel_url=reverse("home"),
        template="accounts/delegation.html",
        delegations=Delegation.objects.filter(principal=request.user).select_related("deputy")[:20],
        deputy_for=Delegation.objects.filter(deputy=request.user, cleared_at__isnull=True).select_related(
            "principal"
        )[:20],
    )


@login_required
@require_POST
def delegation_clear(request):
    actor = require(request.user, "accounts.delegate")
    return post_action(
        request, lambda: services.delegation_clear(actor=actor), _("已撤销代理。"), "accounts:delegation"
    )
