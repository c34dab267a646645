"""Access table: this year's allowed emissions (TOT-3) and the unit's record, pages and API."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from totalquota.accounts.roles import Role as R

from . import ApiRoute, Page, allow

PEOPLE = [r for r in R if r != R.SYSTEM]
ALL_PEOPLE = allow(*PEOPLE, roles_list=PEOPLE)
REVIEWER = allow(R.REVIEWER, roles_list=PEOPLE)
NARROW_404 = {R.ZONE_OFFICER: 404, R.THIRD_PARTY: 404, R.ENTERPRISE: 404}
# The walk's determinations are of 2022, from reports of 2021 (the other areas' walk records use
# later years).
YEAR = 2022


def objects(w: Any) -> SimpleNamespace:
    """An issued determination of the company (zone A) and a computed one of the other company
    (zone B), from accepted reports of 2021."""
    if hasattr(w, "determinations"):
        return w.determinations
    from tests.emissions.conftest import T
    from tests.emissions.helpers_determinations import accepted, figures
    from totalquota.emissions.models import Determination
    from totalquota.emissions.services import determinations as svc
    from totalquota.registry.models import Pollutant

    cod = Pollutant.objects.get(code="COD")
    accepted(w, [figures(cod, T, allowed=2 * T)], year=YEAR - 1)
    accepted(
        w,
        [figures(cod, T, allowed=3 * T)],
        enterprise=w.other_company,
        user=w.other_company_user,
        year=YEAR - 1,
    )
    for zone in (w.zone_a, w.zone_b):
        svc.determination_compute(actor=w.reviewer.principal, zone=zone, year=YEAR)
    svc.determination_issue(actor=w.reviewer2.principal, zone=w.zone_a, year=YEAR)
    own = Determination.objects.get(enterprise=w.company, year=YEAR)
    other = Determination.objects.get(enterprise=w.other_company, year=YEAR)
    w.determinations = SimpleNamespace(
        own=own, other=other, line=own.lines.get(), other_line=other.lines.get()
    )
    return w.determinations


def o(w: Any) -> SimpleNamespace:
    return objects(w)


def run(w: Any) -> dict[str, int]:
    o(w)
    return {"zone": w.zone_a.pk, "year": YEAR}


PAGES = {
    "emissions:determination_list": Page(ALL_PEOPLE),
    "emissions:determination_runs": Page(ALL_PEOPLE),
    "emissions:determination_run": Page(ALL_PEOPLE, kwargs=run),
    "emissions:determination_compute": Page(REVIEWER, kwargs=run, method="post"),
    "emissions:determination_issue": Page(REVIEWER, kwargs=run, method="post"),
    "emissions:determination_detail": Page(
        allow(*PEOPLE, roles_list=PEOPLE, overrides=NARROW_404), kwargs=lambda w: {"pk": o(w).other.pk}
    ),
    "emissions:determination_document": Page(ALL_PEOPLE, kwargs=lambda w: {"pk": o(w).own.pk, "fmt": "pdf"}),
    "emissions:determination_override": Page(REVIEWER, kwargs=lambda w: {"pk": o(w).line.pk}, method="post"),
    "emissions:determination_override_confirm": Page(
        REVIEWER, kwargs=lambda w: {"pk": o(w).line.pk}, method="post"
    ),
    "emissions:determination_override_reject": Page(
        REVIEWER, kwargs=lambda w: {"pk": o(w).line.pk}, method="post"
    ),
    "emissions:unit_record": Page(
        allow(*PEOPLE, roles_list=PEOPLE, overrides=NARROW_404),
        kwargs=lambda w: {"enterprise_id": o(w).other.enterprise_id},
    ),
}

ALL = allow(*R)
ONLY_REVIEWER = allow(R.REVIEWER)
API_ROUTES = {
    ("get", "/api/v1/emissions/determinations"): ApiRoute(ALL),
    ("get", "/api/v1/emissions/determinations/{determination_id}"): ApiRoute(
        allow(*R, overrides=NARROW_404), params=lambda w: {"determination_id": o(w).other.pk}
    ),
    ("post", "/api/v1/emissions/determinations/compute"): ApiRoute(ONLY_REVIEWER, body=lambda w: {}),
    ("post", "/api/v1/emissions/determinations/issue"): ApiRoute(ONLY_REVIEWER, body=lambda w: {}),
    ("post", "/api/v1/emissions/determination-lines/{line_id}/override"): ApiRoute(
        ONLY_REVIEWER, params=lambda w: {"line_id": o(w).line.pk}, body=lambda w: {}
    ),
    # Nothing is pending on the line: the reviewer is let in and refused by the state (409).
    ("post", "/api/v1/emissions/determination-lines/{line_id}/confirm"): ApiRoute(
        allow(R.REVIEWER, overrides={R.REVIEWER: 409}), params=lambda w: {"line_id": o(w).line.pk}
    ),
    ("post", "/api/v1/emissions/determination-lines/{line_id}/reject"): ApiRoute(
        ONLY_REVIEWER, params=lambda w: {"line_id": o(w).line.pk}, body=lambda w: {}
    ),
    ("get", "/api/v1/emissions/determinations/{determination_id}/document.pdf"): ApiRoute(
        ALL, params=lambda w: {"determination_id": o(w).own.pk}
    ),
    ("get", "/api/v1/emissions/units/{enterprise_id}/record"): ApiRoute(
        allow(*R, overrides=NARROW_404), params=lambda w: {"enterprise_id": o(w).other.enterprise_id}
    ),
}
