"""Home-page cards for the bureau admin."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from totalquota.accounts.models import ApiToken, User
from totalquota.accounts.permissions import may
from totalquota.web.home import Card, provider


@provider
def admin_cards(principal) -> list[Card]:
    if not may(principal, "accounts.manage_users"):
        return []
    import datetime as dt

    from axes.models import AccessAttempt
    from django.conf import settings
    from django.db.models import Q
    from django.utils import timezone

    cards = []
    locked = AccessAttempt.objects.filter(failures_since_start__gte=settings.AXES_FAILURE_LIMIT).count()
    if locked:
        cards.append(
            Card(
                _("被锁定的账号"),
                locked,
                reverse("accounts:lockouts"),
                "warning",
                _("连续登录失败，确认后可解除"),
                20,
            )
        )
    stale = (
        ApiToken.objects.filter(revoked_at__isnull=True)
        .filter(
            Q(last_used_at__lt=timezone.now() - dt.timedelta(days=90))
            | Q(last_used_at__isnull=True, created_at__lt=timezone.now() - dt.timedelta(days=90))
        )
        .count()
    )
    if stale:
        cards.append(
            Card(
                _("90 天未使用的接口令牌"),
                stale,
                reverse("accounts:token_list"),
                "warning",
                _("不再使用的令牌应及时撤销"),
                21,
            )
        )
    return [
        *cards,
        Card(
            _("启用的用户"),
            User.objects.filter(is_active=True).count(),
            reverse("accounts:user_list"),
            "secondary",
            order=95,
        ),
        Card(
            _("有效的接口令牌"),
            ApiToken.objects.filter(revoked_at__isnull=True).count(),
            reverse("accounts:token_list"),
            "secondary",
            order=96,
        ),
    ]
