"""Access table: the emission total library's management list, deadlines, overdue units and
reminders (TOT-1, TOT-2)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from totalquota.accounts.roles import Role as R

from . import ApiRoute, Page, allow

PEOPLE = [r for r in R if r != R.SYSTEM]
ALL_PEOPLE = allow(*PEOPLE, roles_list=PEOPLE)
LIST_MAKERS = allow(R.ADMIN, R.REVIEWER, R.ZONE_OFFICER, roles_list=PEOPLE)
BUREAU = allow(R.ADMIN, R.REVIEWER, roles_list=PEOPLE)
NARROW_404 = {R.ZONE_OFFICER: 404, R.THIRD_PARTY: 404, R.ENTERPRISE: 404}
YEAR = 2025


def objects(w: Any) -> SimpleNamespace:
    """The company (zone A) and the other company (zone B) on the 2025 list."""
    if hasattr(w, "listdl"):
        return w.listdl
    from totalquota.emissions.models import ListEntry
    from totalquota.emissions.services import listing

    # Another area's walk objects may have listed the two units already.
    found = {e.enterprise_id: e for e in ListEntry.objects.filter(year=YEAR)}
    if w.company.pk in found and w.other_company.pk in found:
        w.listdl = SimpleNamespace(own=found[w.company.pk], other=found[w.other_company.pk])
        return w.listdl
    own, other = listing.list_add(
        actor=w.admin.principal,
        year=YEAR,
        enterprises=[w.company, w.other_company],
        basis="重点管理排污许可证",
        reason="走查：补列",  # the walk runs on any day, after the list's deadline too
    )
    w.listdl = SimpleNamespace(own=own, other=other)
    return w.listdl


def o(w):
    return objects(w)


def entry(which: str):
    return lambda w: {"pk": getattr(o(w), which).pk}


PAGES = {
    "emissions:list_list": Page(ALL_PEOPLE),
    "emissions:list_propose": Page(LIST_MAKERS),
    "emissions:list_import": Page(LIST_MAKERS),
    "emissions:list_template": Page(LIST_MAKERS),
    "emissions:list_history": Page(ALL_PEOPLE),
    "emissions:list_entry": Page(ALL_PEOPLE, kwargs=entry("own")),
    "emissions:list_entry#other_zone": Page(
        allow(*PEOPLE, roles_list=PEOPLE, overrides=NARROW_404), kwargs=entry("other")
    ),
    "emissions:list_edit": Page(LIST_MAKERS, kwargs=entry("own")),
    "emissions:list_remove": Page(LIST_MAKERS, kwargs=entry("own")),
    "emissions:list_restore": Page(LIST_MAKERS, kwargs=entry("own")),
    "emissions:deadline_list": Page(ALL_PEOPLE),
    "emissions:deadline_extend": Page(BUREAU),
    "emissions:overdue": Page(ALL_PEOPLE),
    # No message: the people who remind get past authorisation to the refusal (a redirect).
    "emissions:overdue_remind": Page(LIST_MAKERS, method="post"),
    "emissions:reminders": Page(ALL_PEOPLE),
}

EVERY = allow(*R)
MAKERS = allow(R.ADMIN, R.REVIEWER, R.ZONE_OFFICER)
OTHER_ZONE = allow(*R, overrides=NARROW_404)


def api_entry(which: str):
    return lambda w: {"entry_id": getattr(o(w), which).pk}


API_ROUTES = {
    ("get", "/api/v1/emissions/list"): ApiRoute(EVERY),
    # Without a year: refused after the right (422).
    ("get", "/api/v1/emissions/list/candidates"): ApiRoute(MAKERS),
    ("post", "/api/v1/emissions/list"): ApiRoute(MAKERS, body=lambda w: {}),
    ("get", "/api/v1/emissions/list/history"): ApiRoute(EVERY),
    ("get", "/api/v1/emissions/list/{entry_id}"): ApiRoute(OTHER_ZONE, params=api_entry("other")),
    ("get", "/api/v1/emissions/list/{entry_id}/history"): ApiRoute(OTHER_ZONE, params=api_entry("other")),
    ("post", "/api/v1/emissions/list/{entry_id}/basis"): ApiRoute(
        MAKERS, params=api_entry("own"), body=lambda w: {}
    ),
    # No reason: a removal is refused (422), a listed unit is not restored (409).
    ("post", "/api/v1/emissions/list/{entry_id}/remove"): ApiRoute(
        MAKERS, params=api_entry("own"), body=lambda w: {}
    ),
    ("post", "/api/v1/emissions/list/{entry_id}/restore"): ApiRoute(
        allow(
            R.ADMIN,
            R.REVIEWER,
            R.ZONE_OFFICER,
            overrides={r: 409 for r in (R.ADMIN, R.REVIEWER, R.ZONE_OFFICER)},
        ),
        params=api_entry("own"),
        body=lambda w: {},
    ),
    ("post", "/api/v1/emissions/list/import"): ApiRoute(MAKERS),
    ("get", "/api/v1/emissions/deadlines/extensions"): ApiRoute(EVERY),
    ("post", "/api/v1/emissions/deadlines/extensions"): ApiRoute(
        allow(R.ADMIN, R.REVIEWER), body=lambda w: {}
    ),
    ("get", "/api/v1/emissions/overdue"): ApiRoute(EVERY),
    ("post", "/api/v1/emissions/reminders"): ApiRoute(MAKERS, body=lambda w: {}),
    ("get", "/api/v1/emissions/reminders/mine"): ApiRoute(allow(R.ENTERPRISE, R.SYSTEM)),
    # A system client without a unit has no reminders of its own to read.
    ("post", "/api/v1/emissions/reminders/mine/read"): ApiRoute(
        allow(R.ENTERPRISE, overrides={R.SYSTEM: 403})
    ),
}
