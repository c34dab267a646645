"""用户与权限: people, their role and scope, and API tokens for system clients."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from totalquota.accounts.permissions import Principal, principal_for_user
from totalquota.accounts.roles import Role
from totalquota.common.models import optional_link


class User(AbstractUser):
    """A person using the platform (or the service account behind a system client's tokens).

    ``role`` decides what they may do; ``zone`` (zone officers), ``enterprise`` (enterprise staff)
    and ``assigned_zones`` (third parties) decide which records they may see. The permission helper
    (``accounts.permissions``) is the only code that reads these to filter data.

    ``must_change_password`` (须修改初始密码) is set while the password is a one-time password the
    bureau or a zone officer issued (a unit's account opened from the registry, a reset); until the
    person chooses their own, every page leads to the password change
    (``accounts.middleware.PasswordChangeRequiredMiddleware``).
    """

    role = models.CharField(_("角色"), max_length=16, choices=Role.choices)
    display_name = models.CharField(_("姓名"), max_length=50, blank=True)
    organisation = models.CharField(_("单位/部门"), max_length=100, blank=True)
    phone = models.CharField(_("电话"), max_length=32, blank=True)
    zone = optional_link("registry.Zone", _("所属功能区"), related_name="officers")
    enterprise = optional_link("registry.Enterprise", _("所属排污单位"), related_name="staff")
    assigned_zones = models.ManyToManyField(
        "registry.Zone", blank=True, related_name="third_parties", verbose_name=_("服务功能区")
    )
    must_change_password = models.BooleanField(_("须修改初始密码"), default=False)

    class Meta:
        verbose_name = verbose_name_plural = _("用户")
        ordering = ["username"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(role="zone_officer") | Q(zone__isnull=False), name="zone_officer_has_zone"
            ),
            models.CheckConstraint(
                condition=~Q(role="enterprise") | Q(enterprise__isnull=False), name="enterprise_user_has_unit"
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def principal(self) -> Principal:
        """This person acting in their role and scope (what services take as ``actor``)."""
        return principal_for_user(self)


class ApiToken(models.Model):
    """接口令牌: a bearer token a system client (approval, permit, enforcement) calls the API with.

    Only a SHA-256 digest is stored; the token itself is shown once when issued. A token is scoped
    to a role and optionally to a zone or a unit, exactly like a person, and can be revoked.
    """

    name = models.CharField(_("名称"), max_length=100)
    client = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="api_tokens", verbose_name=_("客户端账号")
    )
    prefix = models.CharField(_("前缀"), max_length=16, unique=True)
    digest = models.CharField(max_length=64, unique=True)
    role = models.CharField(_("角色"), max_length=16, choices=Role.choices, default=Role.SYSTEM)
    zone = optional_link("registry.Zone", _("限定功能区"))
    enterprise = optional_link("registry.Enterprise", _("限定排污单位"))
    issued_by = optional_link(User, _("签发人"), related_name="+")
    created_at = models.DateTimeField(_("签发时间"), auto_now_add=True)
    expires_at = models.DateTimeField(_("过期时间"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = _("接口令牌")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(zone__isnull=True) | Q(enterprise__isnull=True),
                name="token_scope_is_zone_or_unit",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class Delegation(models.Model):
    """代理: a deputy who decides a reviewer's assigned items while the reviewer is away, from one
    day to another (both included). The deputy still obeys four eyes: an item the deputy prepared
    stays out of the deputy's hands. Cleared early by setting ``cleared_at``."""

    principal = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="delegations", verbose_name=_("被代理人")
    )
    deputy = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="deputy_for", verbose_name=_("代理人")
    )
    starts_on = models.DateField(_("代理开始日期"))
    ends_on = models.DateField(_("代理结束日期"))
    reason = models.CharField(_("事由"), max_length=200)
    created_at = models.DateTimeField(_("设置时间"), auto_now_add=True)
    cleared_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = _("代理")
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="delegation_dates_in_order"
            ),
            models.CheckConstraint(condition=~Q(deputy=models.F("principal")), name="delegation_not_to_self"),
        ]

    def __str__(self) -> str:
        return f"{self.principal} → {self.deputy} ({self.starts_on}–{self.ends_on})"
