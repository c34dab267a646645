from __future__ import annotations

from functools import partial

from django.conf import settings

from totalquota.accounts.permissions import may
from totalquota.notifications.selectors import unread_count
from totalquota.web.navigation import menu_for


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not getattr(user, "role", ""):
        return {"park_name": settings.PARK_NAME, "sandbox": settings.SANDBOX}
    return {
        "nav_menu": menu_for(user),
        "park_name": settings.PARK_NAME,
        "sandbox": settings.SANDBOX,
        # The account menu's entry for naming a deputy (代理人) during an absence.
        "may_delegate": may(user, "accounts.delegate"),
        # The top bar's unread count (站内信): one COUNT, run only when a page draws the top bar.
        "unread_notifications": partial(unread_count, user),
    }
