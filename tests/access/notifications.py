"""Access table: 站内信. Everyone reads their own notifications; another person's is 404, whoever
asks (the walk's notification is the company's staff's)."""

from __future__ import annotations

from typing import Any

from totalquota.accounts.roles import Role as R

from . import EVERY_ROLE, ApiRoute, Page, allow

PEOPLE = [r for r in R if r != R.SYSTEM]
ALL_PEOPLE = allow(*PEOPLE, roles_list=PEOPLE)
OWNER_ONLY = allow(R.ENTERPRISE, roles_list=PEOPLE, others=404)


def notification(w: Any):
    """A notification of a returned project to the company's staff, written by the handler."""
    if hasattr(w, "notification"):
        return w.notification
    from django.db import transaction

    from totalquota.notifications.handlers import notify
    from totalquota.notifications.models import Notification
    from totalquota.outbox import emit

    with transaction.atomic():
        event = emit(
            "reduction.return",
            object_type="reductions.reductionproject",
            object_id="1",
            payload={
                "action": "return",
                "reason": "请补充监测报告",
                "enterprise_id": w.company.pk,
                "label": "RP-1",
            },
        )
        notify(event)
    w.notification = Notification.objects.get(event=event, recipient=w.company_user)
    return w.notification


def pk(w: Any) -> dict[str, Any]:
    return {"pk": notification(w).pk}


PAGES = {
    "notifications:list": Page(ALL_PEOPLE),
    "notifications:detail": Page(OWNER_ONLY, kwargs=pk),
    "notifications:open": Page(OWNER_ONLY, kwargs=pk, method="post"),
    "notifications:read_all": Page(ALL_PEOPLE, method="post"),
}

API_ROUTES = {
    ("get", "/api/v1/notifications"): ApiRoute(allow(*EVERY_ROLE)),
    ("post", "/api/v1/notifications/{notification_id}/read"): ApiRoute(
        allow(R.ENTERPRISE, others=404), params=lambda w: {"notification_id": notification(w).pk}
    ),
    ("post", "/api/v1/notifications/read-all"): ApiRoute(allow(*EVERY_ROLE)),
}
