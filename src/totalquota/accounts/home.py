"""Home-page cards for the bureau admin."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from totalquota.accounts.models import ApiToken, User
from totalquota.accounts.permissions import may
from totalquota.common.home import Card, provider


@provider
def admin_cards(principal) -> list[Card]:
    if not may(principal, "accounts.manage_users"):
        return []
    return [
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
