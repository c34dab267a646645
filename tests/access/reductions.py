"""Access table: the reduction library (减排库) pages and API routes."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from totalquota.accounts.roles import Role as R

from . import ApiRoute, Page, allow

PEOPLE = [r for r in R if r != R.SYSTEM]
ALL_PEOPLE = allow(*PEOPLE, roles_list=PEOPLE)
PREPARERS = allow(R.ENTERPRISE, R.ZONE_OFFICER, roles_list=PEOPLE)
OFFICER = allow(R.ZONE_OFFICER, roles_list=PEOPLE)
ADMIN = allow(R.ADMIN, roles_list=PEOPLE)
BUREAU_MARKS = allow(R.REVIEWER, R.ADMIN, roles_list=PEOPLE)
NOT_ENTERPRISE = allow(*[r for r in PEOPLE if r != R.ENTERPRISE], roles_list=PEOPLE)
# Objects in zone B: people scoped to zone A (its officer, the third party serving A and C, the
# company's staff) do not learn they exist.
OTHER_ZONE = allow(
    *PEOPLE, roles_list=PEOPLE, overrides={R.ZONE_OFFICER: 404, R.THIRD_PARTY: 404, R.ENTERPRISE: 404}
)


def factor_pk() -> int:
    from totalquota.reductions.models import AccountingFactor

    return AccountingFactor.objects.get(code="AP42-5.2-REFUEL-UNC").pk


def objects(w: Any) -> SimpleNamespace:
    """Reduction records for the walk, made once per test: a draft of the company in zone A, a
    fleet project without enterprise in zone A, a draft in zone B, an approved project with a usage
    mark, and a suggestion."""
    if hasattr(w, "reductions"):
        return w.reductions
    from tests.reductions.conftest import pdf, ready_project
    from totalquota.reductions import services

    today = __import__("django.utils.timezone", fromlist=["x"]).localdate()
    draft = ready_project(w, today)
    fleet = ready_project(w, today, enterprise=None, project_type="other", subtype="vehicle_scrapping")
    other = ready_project(w, today, actor=w.other_officer.principal, enterprise=w.other_company)
    approved = ready_project(w, today, name="已入库项目")
    services.project_submit(actor=w.officer.principal, project=approved)
    services.project_approve(actor=w.reviewer2.principal, project=approved)
    line = approved.lines.get()
    usage = services.usage_mark(
        actor=w.reviewer2.principal,
        line=line,
        kind="binding_task",
        amount="1",
        reference="任务书",
        used_on=today,
    )
    suggestion = services.project_suggest(
        actor=w.partner.principal,
        name="建议项目",
        project_type="other",
        subtype="other",
        zone=w.zone_a,
        suggestion_note="专项排查",
    )
    pending = ready_project(w, today, actor=w.company_user.principal, name="企业已提交")
    services.project_handover(actor=w.company_user.principal, project=pending)
    submitted = ready_project(w, today, name="待审核项目")
    services.project_submit(actor=w.officer.principal, project=submitted)
    extra = services.evidence_add(
        actor=w.officer.principal, project=fleet, kind="investment", upload=pdf("发票.pdf", b"x")
    )
    w.reductions = SimpleNamespace(
        draft=draft,
        fleet=fleet,
        fleet_line=fleet.lines.get(),
        fleet_evidence=extra,
        other=other,
        approved=approved,
        line=line,
        usage=usage,
        suggestion=suggestion,
        evidence=draft.evidence.first(),
        pending=pending,
        submitted=submitted,
    )
    return w.reductions


def pk(name: str):
    return lambda w: {"pk": getattr(objects(w), name).pk}


PAGES = {
    "reductions:project_list": Page(ALL_PEOPLE),
    "reductions:library": Page(ALL_PEOPLE),
    "reductions:overdue": Page(ALL_PEOPLE),
    "reductions:project_create": Page(PREPARERS),
    "reductions:project_suggest": Page(allow(R.PARTNER, R.REVIEWER, R.ADMIN, roles_list=PEOPLE)),
    "reductions:import": Page(OFFICER),
    "reductions:import_template": Page(OFFICER),
    "reductions:bulletin": Page(NOT_ENTERPRISE),
    "reductions:round_list": Page(ALL_PEOPLE),
    "reductions:round_create": Page(ADMIN),
    "reductions:round_next": Page(ADMIN),
    "reductions:factor_list": Page(ALL_PEOPLE),
    "reductions:factor_create": Page(ADMIN),
    "reductions:factor_detail": Page(ALL_PEOPLE, kwargs=lambda w: {"pk": factor_pk()}),
    "reductions:factor_retire": Page(
        ADMIN, kwargs=lambda w: {"pk": factor_pk()}, method="post", data=lambda w: {"effective_to": "x"}
    ),
    "reductions:project_detail": Page(ALL_PEOPLE, kwargs=pk("draft")),
    "reductions:project_detail#other_zone": Page(OTHER_ZONE, kwargs=pk("other")),
    "reductions:project_edit": Page(PREPARERS, kwargs=pk("draft")),
    "reductions:project_edit#other_zone": Page(
        allow(roles_list=PEOPLE, overrides={R.ENTERPRISE: 404, R.ZONE_OFFICER: 404}), kwargs=pk("other")
    ),
    "reductions:line_edit": Page(PREPARERS, kwargs=pk("draft")),
    "reductions:evidence_upload": Page(PREPARERS, kwargs=pk("draft")),
    "reductions:project_handover": Page(
        allow(R.ENTERPRISE, roles_list=PEOPLE), kwargs=pk("draft"), method="post"
    ),
    "reductions:project_submit": Page(OFFICER, kwargs=pk("draft"), method="post"),
    "reductions:project_submit#other_zone": Page(
        allow(roles_list=PEOPLE, overrides={R.ZONE_OFFICER: 404}), kwargs=pk("other"), method="post"
    ),
    "reductions:project_send_back": Page(OFFICER, kwargs=pk("draft"), method="post"),
    "reductions:project_adopt": Page(OFFICER, kwargs=pk("suggestion"), method="post"),
    "reductions:project_decline": Page(OFFICER, kwargs=pk("suggestion"), method="post"),
    "reductions:project_accept_late": Page(
        allow(R.REVIEWER, roles_list=PEOPLE), kwargs=pk("submitted"), method="post"
    ),
    "reductions:project_review": Page(
        allow(R.REVIEWER, roles_list=PEOPLE), kwargs=pk("draft"), method="post"
    ),
    "reductions:opinion_create": Page(
        allow(R.THIRD_PARTY, roles_list=PEOPLE), kwargs=pk("draft"), method="post"
    ),
    "reductions:opinion_create#other_zone": Page(
        allow(roles_list=PEOPLE, overrides={R.THIRD_PARTY: 404}), kwargs=pk("other"), method="post"
    ),
    # The fleet project has no enterprise: enterprise staff cannot see it at all.
    "reductions:line_delete": Page(
        allow(R.ZONE_OFFICER, roles_list=PEOPLE, overrides={R.ENTERPRISE: 404}),
        kwargs=pk("fleet_line"),
        method="post",
    ),
    "reductions:evidence_delete": Page(
        allow(R.ZONE_OFFICER, roles_list=PEOPLE, overrides={R.ENTERPRISE: 404}),
        kwargs=pk("fleet_evidence"),
        method="post",
    ),
    "reductions:evidence_download": Page(ALL_PEOPLE, kwargs=pk("evidence")),
    "reductions:usage_create": Page(BUREAU_MARKS, kwargs=pk("line")),
    "reductions:usage_cancel": Page(
        BUREAU_MARKS, kwargs=pk("usage"), method="post", data=lambda w: {"reason": "误标"}
    ),
}

READ_ALL = allow(*R)
API = "/api/v1/reductions"
API_PREPARERS = allow(R.ENTERPRISE, R.ZONE_OFFICER)
API_OFFICER = allow(R.ZONE_OFFICER)
FLEET_ONLY_OFFICER = allow(R.ZONE_OFFICER, overrides={R.ENTERPRISE: 404})


def project_id(name: str):
    return lambda w: {"project_id": getattr(objects(w), name).pk}


EMPTY = lambda w: {}  # noqa: E731

API_ROUTES: dict[tuple[str, str], ApiRoute] = {
    ("get", f"{API}/projects"): ApiRoute(READ_ALL),
    ("get", f"{API}/projects/{{project_id}}"): ApiRoute(
        allow(*R, overrides={R.ZONE_OFFICER: 404, R.THIRD_PARTY: 404, R.ENTERPRISE: 404}),
        params=project_id("other"),
    ),
    ("get", f"{API}/library"): ApiRoute(READ_ALL),
    ("get", f"{API}/bulletin"): ApiRoute(allow(*[r for r in R if r != R.ENTERPRISE])),
    ("get", f"{API}/methods"): ApiRoute(READ_ALL),
    ("get", f"{API}/factors"): ApiRoute(READ_ALL),
    ("post", f"{API}/factors"): ApiRoute(allow(R.ADMIN), body=EMPTY),
    ("post", f"{API}/factors/{{factor_id}}/retire"): ApiRoute(
        allow(R.ADMIN), params=lambda w: {"factor_id": factor_pk()}, body=EMPTY
    ),
    ("get", f"{API}/rounds"): ApiRoute(READ_ALL),
    ("post", f"{API}/rounds"): ApiRoute(allow(R.ADMIN), body=EMPTY),
    ("get", f"{API}/rounds/next"): ApiRoute(allow(R.ADMIN)),
    ("post", f"{API}/rounds/next"): ApiRoute(allow(R.ADMIN), body=EMPTY),
    ("get", f"{API}/evidence/{{evidence_id}}/file"): ApiRoute(
        READ_ALL, params=lambda w: {"evidence_id": objects(w).evidence.pk}
    ),
    ("post", f"{API}/projects"): ApiRoute(API_PREPARERS, body=EMPTY),
    ("patch", f"{API}/projects/{{project_id}}"): ApiRoute(
        API_PREPARERS, params=project_id("draft"), body=EMPTY
    ),
    ("post", f"{API}/suggestions"): ApiRoute(allow(R.PARTNER, R.REVIEWER, R.ADMIN), body=EMPTY),
    ("put", f"{API}/projects/{{project_id}}/lines/{{pollutant}}"): ApiRoute(
        API_PREPARERS, params=lambda w: {"project_id": objects(w).draft.pk, "pollutant": "VOCS"}, body=EMPTY
    ),
    ("delete", f"{API}/projects/{{project_id}}/lines/{{pollutant}}"): ApiRoute(
        FLEET_ONLY_OFFICER, params=lambda w: {"project_id": objects(w).fleet.pk, "pollutant": "VOCS"}
    ),
    # No JSON body: an upload route takes a file form (an empty one is a 422 for those allowed).
    ("post", f"{API}/projects/{{project_id}}/evidence"): ApiRoute(API_PREPARERS, params=project_id("draft")),
    ("delete", f"{API}/evidence/{{evidence_id}}"): ApiRoute(
        FLEET_ONLY_OFFICER, params=lambda w: {"evidence_id": objects(w).fleet_evidence.pk}
    ),
    ("post", f"{API}/projects/{{project_id}}/handover"): ApiRoute(
        allow(R.ENTERPRISE), params=project_id("draft"), body=EMPTY
    ),
    ("post", f"{API}/projects/{{project_id}}/submit"): ApiRoute(
        API_OFFICER, params=project_id("draft"), body=EMPTY
    ),
    ("post", f"{API}/projects/{{project_id}}/send-back"): ApiRoute(
        API_OFFICER, params=project_id("pending"), body=EMPTY
    ),
    ("post", f"{API}/projects/{{project_id}}/adopt"): ApiRoute(
        API_OFFICER, params=project_id("suggestion"), body=EMPTY
    ),
    ("post", f"{API}/projects/{{project_id}}/decline"): ApiRoute(
        API_OFFICER, params=project_id("suggestion"), body=EMPTY
    ),
    ("post", f"{API}/projects/{{project_id}}/approve"): ApiRoute(
        allow(R.REVIEWER), params=project_id("submitted"), body=EMPTY
    ),
    ("post", f"{API}/projects/{{project_id}}/reject"): ApiRoute(
        allow(R.REVIEWER), params=project_id("submitted"), body=EMPTY
    ),
    ("post", f"{API}/projects/{{project_id}}/accept-late"): ApiRoute(
        allow(R.REVIEWER), params=project_id("submitted"), body=EMPTY
    ),
    ("post", f"{API}/projects/{{project_id}}/return"): ApiRoute(
        allow(R.REVIEWER), params=project_id("submitted"), body=EMPTY
    ),
    ("post", f"{API}/projects/{{project_id}}/opinions"): ApiRoute(
        allow(R.THIRD_PARTY), params=project_id("draft"), body=EMPTY
    ),
    ("post", f"{API}/lines/{{line_id}}/usages"): ApiRoute(
        allow(R.REVIEWER, R.ADMIN), params=lambda w: {"line_id": objects(w).line.pk}, body=EMPTY
    ),
    ("post", f"{API}/usages/{{usage_id}}/cancel"): ApiRoute(
        allow(R.REVIEWER, R.ADMIN), params=lambda w: {"usage_id": objects(w).usage.pk}, body=EMPTY
    ),
    ("post", f"{API}/import"): ApiRoute(API_OFFICER),
}
