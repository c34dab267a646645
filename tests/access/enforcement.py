"""Access table: enforcement and credit pages and API routes (SUP-4)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

from totalquota.accounts.roles import Role as R

from . import ApiRoute, Page, allow

PEOPLE = [r for r in R if r != R.SYSTEM]
READERS = allow(*PEOPLE, roles_list=PEOPLE, overrides={R.THIRD_PARTY: 403})
RECORDERS = allow(R.ADMIN, R.REVIEWER, R.ZONE_OFFICER, roles_list=PEOPLE)
FILERS = allow(R.ADMIN, R.REVIEWER, R.ZONE_OFFICER, R.ENTERPRISE, roles_list=PEOPLE)
UNIT = allow(R.ENTERPRISE, roles_list=PEOPLE)
DECIDERS = allow(R.ADMIN, R.REVIEWER, roles_list=PEOPLE)
OTHER_ZONE = {R.ZONE_OFFICER: 404, R.ENTERPRISE: 404}
# The unit does not see a finding about it before it is notified (the bureau's draft).
UNSEEN = {R.ENTERPRISE: 404}
DRAFT_READERS = allow(*PEOPLE, roles_list=PEOPLE, overrides={R.THIRD_PARTY: 403, **UNSEEN})
API = "/api/v1/enforcement"
API_READERS = allow(*R, overrides={R.THIRD_PARTY: 403})
API_RECORDERS = allow(R.ADMIN, R.REVIEWER, R.ZONE_OFFICER)
API_FILERS = allow(R.ADMIN, R.REVIEWER, R.ZONE_OFFICER, R.ENTERPRISE)
API_DECIDERS = allow(R.ADMIN, R.REVIEWER)


def objects(w: Any) -> SimpleNamespace:
    """Findings for the walk: of the company (zone A) a draft with an evidence file, a notified one
    and one proposed by the administrator after its answer period; of the other company (zone B) a
    draft; and a finding from the review walk's consistency flag."""
    if hasattr(w, "enforcement"):
        return w.enforcement
    from tests.access.emissions_review import objects as review_objects
    from tests.reductions.conftest import pdf
    from totalquota.enforcement import services

    def event(unit, by, ref):
        return services.finding_create(
            actor=by.principal,
            source="event",
            enterprise=unit,
            year=2025,
            event_reference=ref,
            facts="走查：超标排放",
            files=[pdf("走查证据.pdf")] if ref == "ZF-1" else [],
        )

    draft = event(w.company, w.officer, "ZF-1")
    notified = services.finding_notify(actor=w.officer.principal, finding=event(w.company, w.officer, "ZF-2"))
    past = dt.date.today() - dt.timedelta(days=40)
    proposed = services.finding_notify(
        actor=w.admin.principal, finding=event(w.company, w.admin, "ZF-3"), today=past
    )
    proposed = services.finding_propose(
        actor=w.admin.principal,
        finding=proposed,
        decision_number="园环罚〔2026〕99号",
        penalty_fen=100_00,
        legal_basis="走查依据",
    )
    other = event(w.other_company, w.admin, "ZF-4")
    flag = review_objects(w).flag
    w.enforcement = SimpleNamespace(
        draft=draft, notified=notified, proposed=proposed, other=other, flag=flag, file=draft.files.get()
    )
    return w.enforcement


def o(w: Any) -> SimpleNamespace:
    return objects(w)


def pk(name: str):
    return lambda w: {"pk": getattr(o(w), name).pk}


PAGES = {
    "enforcement:finding_list": Page(READERS),
    "enforcement:finding_create": Page(RECORDERS),
    "enforcement:finding_create#post": Page(RECORDERS, method="post"),
    "enforcement:finding_from_flag": Page(RECORDERS, kwargs=lambda w: {"flag_pk": o(w).flag.pk}),
    "enforcement:finding_detail": Page(DRAFT_READERS, kwargs=pk("draft")),
    "enforcement:finding_detail#other-zone": Page(
        allow(*PEOPLE, roles_list=PEOPLE, overrides={R.THIRD_PARTY: 403, **OTHER_ZONE}), kwargs=pk("other")
    ),
    "enforcement:finding_propose": Page(RECORDERS, kwargs=pk("notified"), method="post"),
    "enforcement:finding_notify": Page(RECORDERS, kwargs=pk("draft"), method="post"),
    "enforcement:finding_answer": Page(UNIT, kwargs=pk("notified"), method="post"),
    "enforcement:finding_dismiss": Page(RECORDERS, kwargs=pk("draft"), method="post"),
    "enforcement:finding_confirm": Page(DECIDERS, kwargs=pk("proposed"), method="post"),
    "enforcement:finding_return": Page(DECIDERS, kwargs=pk("proposed"), method="post"),
    "enforcement:file_upload": Page(
        allow(R.ADMIN, R.REVIEWER, R.ZONE_OFFICER, roles_list=PEOPLE, overrides=UNSEEN), kwargs=pk("draft")
    ),
    "enforcement:file_download": Page(DRAFT_READERS, kwargs=pk("file")),
    "enforcement:finding_export": Page(DRAFT_READERS, kwargs=pk("draft")),
    "enforcement:credit_list": Page(READERS),
    "enforcement:unit_record": Page(
        allow(*PEOPLE, roles_list=PEOPLE), kwargs=lambda w: {"enterprise_id": w.company.pk}
    ),
}


def fid(name: str):
    return lambda w: {"finding_id": getattr(o(w), name).pk}


API_ROUTES = {
    ("get", f"{API}/findings"): ApiRoute(API_READERS),
    ("post", f"{API}/findings"): ApiRoute(API_RECORDERS, body=lambda w: {}),
    ("get", f"{API}/findings/{{finding_id}}"): ApiRoute(
        allow(*R, overrides={R.THIRD_PARTY: 403, **UNSEEN}), params=fid("draft")
    ),
    ("post", f"{API}/findings/{{finding_id}}/files"): ApiRoute(API_FILERS, params=fid("draft")),
    ("get", f"{API}/findings/{{finding_id}}/files/{{file_id}}"): ApiRoute(
        allow(*R, overrides={R.THIRD_PARTY: 403, **UNSEEN}),
        params=lambda w: {"finding_id": o(w).draft.pk, "file_id": o(w).file.pk},
    ),
    ("post", f"{API}/findings/{{finding_id}}/propose"): ApiRoute(
        API_RECORDERS, params=fid("notified"), body=lambda w: {}
    ),
    # The zone officer (walked first) notifies; the bureau then finds it notified (409).
    ("post", f"{API}/findings/{{finding_id}}/notify"): ApiRoute(
        allow(R.ZONE_OFFICER, overrides={R.REVIEWER: 409, R.ADMIN: 409}),
        params=fid("draft"),
        body=lambda w: {},
    ),
    ("post", f"{API}/findings/{{finding_id}}/answer"): ApiRoute(
        allow(R.ENTERPRISE), params=fid("notified"), body=lambda w: {}
    ),
    ("post", f"{API}/findings/{{finding_id}}/dismiss"): ApiRoute(
        API_RECORDERS, params=fid("draft"), body=lambda w: {}
    ),
    # The reviewer (walked first) confirms; the administrator, its preparer, then finds it decided.
    ("post", f"{API}/findings/{{finding_id}}/confirm"): ApiRoute(
        allow(R.REVIEWER, overrides={R.ADMIN: 409}), params=fid("proposed"), body=lambda w: {}
    ),
    ("post", f"{API}/findings/{{finding_id}}/return"): ApiRoute(
        API_DECIDERS, params=fid("proposed"), body=lambda w: {}
    ),
    ("get", f"{API}/credit-entries"): ApiRoute(API_READERS),
}
