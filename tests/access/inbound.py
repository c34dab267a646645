"""Access table: 外部系统事件. The bureau's reviewers and administrators read the events; posting is
for the partner system whose client account the token belongs to (the walk's system token is of an
account registered for no system: 403, like every person)."""

from __future__ import annotations

from typing import Any

from totalquota.accounts.roles import Role as R

from . import ApiRoute, Page, allow

PEOPLE = [r for r in R if r != R.SYSTEM]
BUREAU_PAGES = allow(R.REVIEWER, R.ADMIN, roles_list=PEOPLE)
BUREAU = allow(R.REVIEWER, R.ADMIN)
NOBODY = allow()


def event(w: Any):
    """A recorded event of the permit system about the company."""
    if hasattr(w, "inbound_event"):
        return w.inbound_event
    from totalquota.inbound.models import InboundEvent

    w.inbound_event = InboundEvent.objects.create(
        source="permit",
        kind="permit.revoked",
        event_id="WALK-1",
        payload={"event_id": "WALK-1", "kind": "permit.revoked"},
        payload_sha256="0" * 64,
        client=w.client,
        state="needs_review",
        result_code="permit_revoked",
        result_params={"unit": w.company.name, "permit_number": w.company.permit_number, "day": "2026-11-01"},
        result="许可证已撤销",
        enterprise=w.company,
        object_type="registry.enterprise",
        object_id=str(w.company.pk),
    )
    return w.inbound_event


def pk(w: Any) -> dict[str, Any]:
    return {"pk": event(w).pk}


PAGES = {
    "inbound:list": Page(BUREAU_PAGES),
    "inbound:detail": Page(BUREAU_PAGES, kwargs=pk),
}

API_ROUTES = {
    ("post", "/api/v1/events/approval"): ApiRoute(NOBODY),
    ("post", "/api/v1/events/permit"): ApiRoute(NOBODY),
    ("post", "/api/v1/events/enforcement"): ApiRoute(NOBODY),
    ("get", "/api/v1/events"): ApiRoute(BUREAU),
    ("get", "/api/v1/events/{event_pk}"): ApiRoute(BUREAU, params=lambda w: {"event_pk": event(w).pk}),
}
