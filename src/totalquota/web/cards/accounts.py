"""Home-page cards for the bureau admin."""

from __future__ import annotations

import datetime as dt

from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from totalquota.accounts.models import ApiToken, User
from totalquota.accounts.permissions import Principal, may
from totalquota.web.home import Card, provider


@provider
def admin_cards(principal: Principal) -> list[Card]:
    if not may(principal, "accounts.manage_users"):
        return []
    locked = AccessAttempt.objects.filter(failures_since_start__gte=settings.AXES_FAILURE_LIMIT)
    stale_since = timezone.now() - dt.timedelta(days=90)
    stale = ApiToken.objects.filter(revoked_at__isnull=True).filter(
        Q(last_used_at__lt=stale_since) | Q(last_used_at__isnull=True, created_at__lt=stale_since)
    )

    def card(title: str, count: int, page: str, note: str = "", order: int = 100) -> list[Card]:
        """A warning when ``note`` says what to do (and only when there is something), else a count."""
        if not note:
            return [Card(title, count, reverse(page), "secondary", order=order)]
        return [Card(title, count, reverse(page), "warning", note, order)] if count else []

    return [
        *card(_("被锁定的账号"), locked.count(), "accounts:lockouts", _("连续登录失败，确认后可解除"), 20),
        *card(
            _("90 天未使用的接口令牌"),
            stale.count(),
            "accounts:token_list",
            _("不再使用的令牌应及时撤销"),
            21,
        ),
        *card(_("启用的用户"), User.objects.filter(is_active=True).count(), "accounts:user_list", order=95),
        *card(
            _("有效的接口令牌"),
            ApiToken.objects.filter(revoked_at__isnull=True).count(),
            "accounts:token_list",
            order=96,
        ),
    ]
