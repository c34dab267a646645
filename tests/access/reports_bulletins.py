"""Access table: bulletins (RED-5, RES-3, SUP-4). The bureau issues, re-issues, revokes and
publishes; leaders, partners and the zone's officers read; units and third parties get nothing but
the public page, which everyone (and anyone without a login) reads."""

from __future__ import annotations

from typing import Any

from totalquota.accounts.roles import Role as R

from . import PEOPLE, ApiRoute, Page, allow

READERS = (R.REVIEWER, R.ADMIN, R.LEADER, R.PARTNER, R.ZONE_OFFICER)
READ = allow(*READERS, roles_list=PEOPLE)
BUREAU = allow(R.REVIEWER, R.ADMIN, roles_list=PEOPLE)
API = "/api/v1/supervision/bulletins"


def bulletin(w: Any):
    """A warning bulletin of zone A (the walk's officer's zone), issued by the reviewer."""
    if hasattr(w, "bulletin"):
        return w.bulletin
    import datetime as dt

    from totalquota.reports import bulletins
    from totalquota.reports.bulletins_services import bulletin_issue
    from totalquota.reports.models import BulletinSeries

    start, end = dt.date(2025, 1, 1), dt.date(2025, 12, 31)
    probe = BulletinSeries(kind="warning", zone=w.zone_a, start=start, end=end)
    figures = bulletins.bulletin_figures(probe, known_at=bulletins.known_at_for(), user=w.reviewer)
    w.bulletin = bulletin_issue(
        actor=w.reviewer.principal, kind="warning", start=start, end=end, zone=w.zone_a, figures=figures
    )
    return w.bulletin


def pk(w: Any) -> dict[str, Any]:
    return {"pk": bulletin(w).pk}


PAGES = {
    "reports:bulletin_list": Page(READ),
    "reports:bulletin_issue": Page(BUREAU),
    "reports:bulletin_detail": Page(READ, kwargs=pk),
    "reports:bulletin_file": Page(READ, kwargs=lambda w: {**pk(w), "fmt": "xlsx"}),
    "reports:bulletin_check": Page(READ, kwargs=pk),
    # Past authorisation a refusal (nothing changed, no reason) is a redirect with a message.
    "reports:bulletin_reissue": Page(BUREAU, kwargs=pk, method="post"),
    "reports:bulletin_revoke": Page(BUREAU, kwargs=pk, method="post"),
    "reports:document_publish": Page(BUREAU, kwargs=pk, method="post"),
    "reports:public": Page(allow(*PEOPLE, roles_list=PEOPLE), anonymous=200),
}

API_ROUTES = {
    ("get", API): ApiRoute(allow(*READERS, R.SYSTEM)),
    ("post", API): ApiRoute(
        allow(R.REVIEWER, R.ADMIN),
        body=lambda w: {"kind": "warning", "start": "2025-01-01", "end": "2025-03-31"},
    ),
    ("get", f"{API}/{{bulletin_id}}"): ApiRoute(
        allow(*READERS, R.SYSTEM), params=lambda w: {"bulletin_id": bulletin(w).pk}
    ),
    ("get", f"{API}/{{bulletin_id}}/files/{{fmt}}"): ApiRoute(
        allow(*READERS, R.SYSTEM), params=lambda w: {"bulletin_id": bulletin(w).pk, "fmt": "pdf"}
    ),
    ("post", f"{API}/{{bulletin_id}}/reissue"): ApiRoute(
        allow(R.REVIEWER, R.ADMIN), params=lambda w: {"bulletin_id": bulletin(w).pk}
    ),
    ("post", f"{API}/{{bulletin_id}}/revoke"): ApiRoute(
        allow(R.REVIEWER, R.ADMIN), params=lambda w: {"bulletin_id": bulletin(w).pk}, body=lambda w: {}
    ),
    # The reviewer (first in the walk) publishes it; for the administrator it is then published (409).
    ("post", "/api/v1/documents/{document_id}/publish"): ApiRoute(
        allow(R.REVIEWER, overrides={R.ADMIN: 409}), params=lambda w: {"document_id": bulletin(w).pk}
    ),
}
