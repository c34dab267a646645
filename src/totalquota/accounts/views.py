"""Login, users and API tokens (bureau admin); units' accounts with one-time passwords (bureau
admin and zone officers)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import django_filters
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from totalquota.accounts import handover, selectors, services
from totalquota.accounts.forms import (
    DelegationForm,
    LoginForm,
    PasswordResetByAdminForm,
    StyledPasswordChangeForm,
    TokenForm,
    UnitSelectionForm,
    UserForm,
)
from totalquota.accounts.models import ApiToken, Delegation, User
from totalquota.accounts.permissions import Principal, access, in_zones, principal_of, require
from totalquota.accounts.roles import Role
from totalquota.common.pdf import pdf_response
from totalquota.common.xlsx import xlsx_response
from totalquota.lib.errors import DomainError
from totalquota.registry.models import Enterprise, ManagementCategory, Zone
from totalquota.web.forms import apply_errors, form_page, post_action, saved
from totalquota.web.lists import Button, Column, ScopedListView, model_columns


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    """Changing one's own password; the page every other page leads to while the password is a
    one-time password (``accounts.middleware``)."""

    template_name = "common/form.html"
    form_class = StyledPasswordChangeForm
    success_url = reverse_lazy("home")
    extra_context = {"title": gettext_lazy("修改密码")}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if getattr(self.request.user, "must_change_password", False):
            context["title"] = _("设置新密码")
            context["intro"] = _(
                "您正在使用一次性初始密码登录。请先设置自己的新密码，然后才能使用平台的其他功能。"
            )
        return context

    def form_valid(self, form):
        try:
            user = services.user_change_own_password(
                actor=principal_of(self.request.user), password=form.cleaned_data["new_password1"]
            )
        except DomainError as exc:
            apply_errors(form, exc)
            return self.form_invalid(form)
        update_session_auth_hash(self.request, user)  # this session stays; the others end
        messages.success(self.request, _("密码已修改。"))
        return redirect(self.get_success_url())


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
        can_reset_unit=selectors.unit_accounts(principal).filter(pk=user.pk).exists(),
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


# --- units' accounts with one-time passwords ---------------------------------------------------

UNIT_ACTION = "accounts.manage_unit_accounts"
# The button the registry's list of units shows to those who open units' accounts.
OPEN_UNIT_ACCOUNTS = Button(
    UNIT_ACTION,
    gettext_lazy("开通账号"),
    "accounts:unit_pending",
    icon="bi-person-plus",
    style="outline-primary",
)


class PendingUnitFilter(django_filters.FilterSet):
    zone = django_filters.ModelChoiceFilter(label=gettext_lazy("功能区"), queryset=Zone.objects.all())
    management_category = django_filters.ChoiceFilter(
        label=gettext_lazy("管理类别"), choices=ManagementCategory.choices
    )

    class Meta:
        model = Enterprise
        fields = ["zone", "management_category"]

    def __init__(self, *args: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
        super().__init__(*args, request=request, **kwargs)
        if request is not None:  # a zone officer picks among their own zones
            zones = in_zones(principal_of(request.user), Zone.objects.all())
            self.form.fields["zone"].queryset = zones


class PendingUnitListView(ScopedListView):
    """Units of the register (in the person's zones) that have no account yet: tick some, or take
    every unit the filter finds, and open their accounts at once (``post``)."""

    model = Enterprise
    action = UNIT_ACTION
    title = gettext_lazy("开通排污单位账号")
    search_fields = ["name", "uscc", "contact_name"]
    search_placeholder = gettext_lazy("名称、信用代码、联系人")
    filterset_class = PendingUnitFilter
    export_name = "units-without-account"
    template_name = "accounts/unit_pending.html"
    paginate_by = 100
    related = ("zone",)
    columns = model_columns(
        Enterprise,
        Column(gettext_lazy("单位名称"), "name", link=True),
        "uscc",
        Column(gettext_lazy("功能区"), "zone.name"),
        "management_category contact_name contact_phone",
    )

    def base_queryset(self) -> QuerySet:
        accounts = User.objects.filter(enterprise=OuterRef("pk"))
        return super().base_queryset().filter(is_active=True).exclude(Exists(accounts))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("selection", UnitSelectionForm())
        context["accounts_url"] = reverse("accounts:unit_account_list")
        return context

    def post(self, request, *args, **kwargs):
        principal = require(request.user, self.action)
        form = UnitSelectionForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            units = self.filtered_queryset() if data["all_filtered"] else data["enterprises"]
            if (
                data["all_filtered"]
                and self.filterset is not None
                and self.filterset.is_bound
                and not self.filterset.is_valid()
            ):
                # the filter the person sees was refused: "all" would mean more than they asked for
                form.add_error(None, _("筛选条件无效，未开通任何账号；请重新查询后再选择"))
            else:
                try:
                    issued = services.unit_accounts_create(actor=principal, enterprises=units)
                except DomainError as exc:
                    apply_errors(form, exc)
                else:
                    return _handover_page(request, principal, issued, kind="create")
        self.object_list = self.get_queryset()
        context = self.get_context_data(selection=form)
        return self.render_to_response(context, status=422)


class UnitAccountListView(ScopedListView):
    """The units' accounts in the person's zones, with a one-time password reset for each."""

    model = User
    action = UNIT_ACTION
    title = gettext_lazy("排污单位账号")
    search_fields = ["username", "display_name", "enterprise__name", "enterprise__uscc"]
    search_placeholder = gettext_lazy("用户名、姓名、单位名称、信用代码")
    export_name = "unit-accounts"
    template_name = "accounts/unit_account_list.html"
    columns = model_columns(
        User,
        "username display_name",
        Column(gettext_lazy("排污单位"), "enterprise.name"),
        Column(gettext_lazy("功能区"), "enterprise.zone.name"),
        Column(gettext_lazy("待修改初始密码"), "must_change_password"),
        Column(gettext_lazy("启用"), "is_active"),
        Column(gettext_lazy("最近登录"), "last_login"),
    )
    buttons = [Button(UNIT_ACTION, gettext_lazy("开通排污单位账号"), "accounts:unit_pending")]

    def base_queryset(self) -> QuerySet:
        return selectors.unit_accounts(principal_of(self.request.user))


@login_required
@require_POST
def unit_password_reset(request, pk: int):
    """A new one-time password for a unit's account (403 without the right, 404 outside the zones)."""
    principal = require(request.user, UNIT_ACTION)
    user = get_object_or_404(selectors.unit_accounts(principal), pk=pk)
    try:
        issued = services.unit_password_reset(actor=principal, user=user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("accounts:unit_account_list")
    return _handover_page(request, principal, [issued], kind="reset")


def _handover_page(
    request: HttpRequest, principal: Principal, issued: Sequence[services.OneTimePassword], *, kind: str
) -> HttpResponse:
    """The one page that shows one-time passwords, with the buttons that download them (see
    :mod:`accounts.handover`); never stored by the browser's cache."""
    if kind == "reset":
        title = _("已重置密码")
        done = _("已为 %(name)s 重置密码，原密码和登录会话已失效。") % {"name": issued[0].user}
    else:
        title = _("账号已开通")
        done = _("已开通 %(count)d 个排污单位账号。") % {"count": len(issued)}
    context = {
        "title": title,
        "done": done,
        "sheets": handover.sheets(issued),
        "seal": handover.seal(principal, issued, kind=kind),
        "minutes": handover.SEAL_MAX_AGE // 60,
    }
    response = render(request, "accounts/one_time_passwords.html", context)
    add_never_cache_headers(response)
    return response


@never_cache
@login_required
@require_POST
def one_time_passwords_download(request, fmt: str):
    """The letter (PDF) or the spreadsheet of the passwords a handover page carries, made in this
    answer from its seal (see :mod:`accounts.handover`)."""
    principal = require(request.user, UNIT_ACTION)
    try:
        kind, issued = handover.unseal(principal, request.POST.get("seal", ""))
    except handover.SealRefused:
        messages.error(
            request,
            _(
                "下载已失效（超过 %(minutes)d 分钟、不是您签发的，或密码已被修改）；如需新的初始密码，请重置密码。"
            )
            % {"minutes": handover.SEAL_MAX_AGE // 60},
        )
        return redirect("accounts:unit_account_list")
    login_url = request.build_absolute_uri(reverse("accounts:login"))
    issuer = principal.user.organisation or str(principal.user)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    what = "账号密码重置" if kind == "reset" else "排污单位账号开通"
    if fmt == "pdf":
        content = handover.letters_pdf(issued, kind=kind, login_url=login_url, issuer=issuer)
        return pdf_response(content, f"{what}通知书-{stamp}.pdf")
    file = handover.letters_xlsx(issued, kind=kind, login_url=login_url, issuer=issuer)
    return xlsx_response(file, f"{what}初始密码表-{stamp}.xlsx")
