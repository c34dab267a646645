"""Access table: the quota reserve (储备库) pages and API routes."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

from totalquota.accounts.roles import Role as R

from . import ApiRoute, Page, allow

PEOPLE = [r for r in R if r != R.SYSTEM]
ALL_PEOPLE = allow(*PEOPLE, roles_list=PEOPLE)
APPLICANTS = allow(R.ENTERPRISE, R.ZONE_OFFICER, roles_list=PEOPLE)
REVIEWER = allow(R.REVIEWER, roles_list=PEOPLE)
ADMIN = allow(R.ADMIN, roles_list=PEOPLE)
BUREAU = allow(R.REVIEWER, R.ADMIN, roles_list=PEOPLE)
ADJUST_READERS = allow(R.REVIEWER, R.ADMIN, R.LEADER, roles_list=PEOPLE)
NARROW_404 = {R.ZONE_OFFICER: 404, R.THIRD_PARTY: 404, R.ENTERPRISE: 404}
WARNING_READERS = allow(*PEOPLE, roles_list=PEOPLE, overrides={R.ENTERPRISE: 403})


def objects(w: Any) -> SimpleNamespace:
    """Reserve records for the walk: zone A stock, a draft, a submitted and an approved application
    of the company, an application of the other company in zone B, an intake run, an upper request;
    a document on the draft, one on the zone B application and one on a draft the zone officer
    made for a third unit of zone A (the one the walk deletes)."""
    if hasattr(w, "reserve"):
        return w.reserve
    from tests.factories import EnterpriseFactory
    from tests.ledger_helpers import open_stock
    from tests.reserve.conftest import add_review_documents
    from totalquota.registry.models import Pollutant
    from totalquota.reserve import services

    vocs = Pollutant.objects.get(code="VOCS")
    for zone, n in ((w.zone_a, 1), (w.zone_b, 2)):
        open_stock(w.admin, zone, vocs, 9_000_000, key=f"walk:{n}", label="walk")

    def app(user, enterprise):
        return services.application_create(
            actor=user.principal,
            enterprise=enterprise,
            project_name="走查项目",
            location="园区",
            eia_reference="文号",
            lines=[
                {
                    "pollutant": vocs,
                    "project_env_grams": 500_000,
                    "plant_env_grams": 500_000,
                    "new_discharge_grams": 500_000,
                    "project_sewer_grams": 0,
                    "plant_sewer_grams": 0,
                }
            ],
        )

    draft = add_review_documents(app(w.company_user, w.company), w.company_user.principal)
    submitted = services.application_submit(
        actor=w.company_user.principal, application=app(w.company_user, w.company)
    )
    approved = services.application_submit(
        actor=w.company_user.principal, application=app(w.company_user, w.company)
    )
    services.application_approve(actor=w.reviewer.principal, application=approved)
    other = services.application_submit(
        actor=w.other_company_user.principal,
        application=add_review_documents(
            app(w.other_company_user, w.other_company), w.other_company_user.principal
        ),
    )
    third = app(w.officer, EnterpriseFactory(zone=w.zone_a, name="苏州丙材料有限公司"))
    add_review_documents(third, w.officer.principal)
    run = services.intake_prepare(
        actor=w.admin.principal, year=2025, quarter=1, effective_date=dt.date(2025, 4, 1)
    )
    # Proposed by the administrator, so that the reviewer persona is not its preparer.
    recovery = services.recovery_propose(
        actor=w.admin.principal, line=approved.lines.get(), kind="other", reason="走查", surplus_grams=1_000
    )
    approved2 = services.application_submit(
        actor=w.company_user.principal, application=app(w.company_user, w.company)
    )
    services.application_approve(actor=w.reviewer.principal, application=approved2)
    notified = services.recovery_notify(
        actor=w.admin.principal,
        case=services.recovery_propose(
            actor=w.admin.principal,
            line=approved2.lines.get(),
            kind="other",
            reason="走查",
            surplus_grams=1_000,
        ),
    )
    upper = services.upper_request(
        actor=w.admin.principal, zone=w.zone_a, pollutant=vocs, amount_grams=1_000, reason="走查"
    )
    from totalquota.ledger.models import Account, Posting

    # Proposed by the administrator: the reviewer persona confirms it, the administrator may not.
    adjustment = services.adjustment_zone_transfer(
        actor=w.admin.principal,
        from_lot=Account.objects.get(kind="lot", zone=w.zone_a, source_label="walk"),
        to_zone=w.zone_b,
        amount_grams=1_000,
        effective_date=dt.date(2025, 4, 1),
        reason="走查",
    )
    w.reserve = SimpleNamespace(
        adjustment=adjustment,
        stock_posting=Posting.objects.filter(code="opening").order_by("pk").first(),
        draft=draft,
        submitted=submitted,
        approved=approved,
        other=other,
        run=run,
        upper=upper,
        document=draft.documents.first(),
        other_document=other.documents.first(),
        third=third,
        third_document=third.documents.first(),
        recovery=recovery,
        notified=notified,
    )
    return w.reserve


def o(w):
    return objects(w)


PAGES = {
    "reserve:application_list": Page(ALL_PEOPLE),
    # The records of units merged into a unit: whoever sees the unit (404 out of scope).
    "reserve:merged_records": Page(ALL_PEOPLE, kwargs=lambda w: {"enterprise_id": w.company.pk}),
    "reserve:merged_records#other_zone": Page(
        allow(
            *PEOPLE, roles_list=PEOPLE, overrides={R.ZONE_OFFICER: 404, R.THIRD_PARTY: 404, R.ENTERPRISE: 404}
        ),
        kwargs=lambda w: {"enterprise_id": w.other_company.pk},
    ),
    "reserve:application_create": Page(APPLICANTS),
    "reserve:application_detail": Page(ALL_PEOPLE, kwargs=lambda w: {"pk": o(w).submitted.pk}),
    "reserve:application_detail#other_zone": Page(
        allow(*PEOPLE, roles_list=PEOPLE, overrides=NARROW_404), kwargs=lambda w: {"pk": o(w).other.pk}
    ),
    "reserve:application_edit": Page(APPLICANTS, kwargs=lambda w: {"pk": o(w).draft.pk}),
    "reserve:application_operating": Page(
        allow(R.ENTERPRISE, R.ZONE_OFFICER, R.ADMIN, roles_list=PEOPLE),
        kwargs=lambda w: {"pk": o(w).approved.pk},
        method="post",
    ),
    "reserve:annex": Page(ALL_PEOPLE, kwargs=lambda w: {"pk": o(w).approved.pk, "fmt": "xlsx"}),
    "reserve:application_action": Page(
        APPLICANTS, kwargs=lambda w: {"pk": o(w).draft.pk, "action": "submit"}, method="post"
    ),
    "reserve:document_upload": Page(APPLICANTS, kwargs=lambda w: {"pk": o(w).draft.pk}),
    "reserve:document_download": Page(ALL_PEOPLE, kwargs=lambda w: {"pk": o(w).document.pk}),
    "reserve:document_download#other_zone": Page(
        allow(*PEOPLE, roles_list=PEOPLE, overrides=NARROW_404),
        kwargs=lambda w: {"pk": o(w).other_document.pk},
    ),
    # A document of the third unit's draft: its zone officer removes it; the company's staff do not
    # learn it exists.
    "reserve:document_delete": Page(
        allow(R.ZONE_OFFICER, roles_list=PEOPLE, overrides={R.ENTERPRISE: 404}),
        kwargs=lambda w: {"pk": o(w).third_document.pk},
        method="post",
    ),
    "reserve:line_plan": Page(BUREAU, kwargs=lambda w: {"pk": o(w).submitted.lines.get().pk}, method="post"),
    "reserve:line_recover": Page(
        BUREAU, kwargs=lambda w: {"pk": o(w).approved.lines.get().pk}, method="post"
    ),
    "reserve:intake_list": Page(BUREAU),
    "reserve:intake_create": Page(ADMIN),
    "reserve:intake_detail": Page(BUREAU, kwargs=lambda w: {"pk": o(w).run.pk}),
    "reserve:intake_confirm": Page(BUREAU, kwargs=lambda w: {"pk": o(w).run.pk}, method="post"),
    "reserve:intake_cancel": Page(ADMIN, kwargs=lambda w: {"pk": o(w).run.pk}, method="post"),
    # No item in the walk's run: the admin reaches the lookup (404), everyone else is refused first.
    "reserve:intake_exclude": Page(
        allow(R.ADMIN, roles_list=PEOPLE, overrides={R.ADMIN: 404}),
        kwargs=lambda w: {"pk": 999_999},
        method="post",
    ),
    "reserve:upper_list": Page(ALL_PEOPLE),
    "reserve:upper_create": Page(ADMIN),
    "reserve:upper_decide": Page(BUREAU, kwargs=lambda w: {"pk": o(w).upper.pk}, method="post"),
    "reserve:adjustment_list": Page(ADJUST_READERS),
    "reserve:adjustment_detail": Page(ADJUST_READERS, kwargs=lambda w: {"pk": o(w).adjustment.pk}),
    "reserve:adjustment_zone_transfer": Page(ADMIN),
    "reserve:adjustment_correct": Page(ADMIN, kwargs=lambda w: {"pk": o(w).stock_posting.pk}, method="post"),
    "reserve:adjustment_confirm": Page(BUREAU, kwargs=lambda w: {"pk": o(w).adjustment.pk}, method="post"),
    "reserve:adjustment_reject": Page(BUREAU, kwargs=lambda w: {"pk": o(w).adjustment.pk}, method="post"),
    "reserve:adjustment_withdraw": Page(ADMIN, kwargs=lambda w: {"pk": o(w).adjustment.pk}, method="post"),
    "reserve:recovery": Page(BUREAU),
    "reserve:recovery_detail": Page(ALL_PEOPLE, kwargs=lambda w: {"pk": o(w).recovery.pk}),
    "reserve:recovery_notify": Page(BUREAU, kwargs=lambda w: {"pk": o(w).recovery.pk}, method="post"),
    "reserve:recovery_answer": Page(
        allow(R.ENTERPRISE, roles_list=PEOPLE), kwargs=lambda w: {"pk": o(w).notified.pk}, method="post"
    ),
    "reserve:recovery_approve": Page(REVIEWER, kwargs=lambda w: {"pk": o(w).recovery.pk}, method="post"),
    "reserve:recovery_reject": Page(REVIEWER, kwargs=lambda w: {"pk": o(w).recovery.pk}, method="post"),
    "reserve:verified_list": Page(ALL_PEOPLE),
    "reserve:verified_create": Page(REVIEWER),
    "reserve:attainment_list": Page(ALL_PEOPLE),
    "reserve:attainment_create": Page(BUREAU),
    "reserve:warnings": Page(WARNING_READERS),
    "workflow:assign": Page(
        ADMIN, kwargs=lambda w: {"kind": "reserve.intakerun", "pk": o(w).run.pk}, method="post"
    ),
}

ALL = allow(*R)
ASSIGNMENT = "/api/v1/workflow/{kind}/{object_id}/assignment"
API_ROUTES = {
    ("get", "/api/v1/workflow/assigned"): ApiRoute(ALL),
    ("post", ASSIGNMENT): ApiRoute(
        allow(R.ADMIN),
        params=lambda w: {"kind": "reserve.intakerun", "object_id": o(w).run.pk},
        body=lambda w: {},
    ),
    # The run has no assignment to clear: past authorisation, 409.
    ("delete", ASSIGNMENT): ApiRoute(
        allow(overrides={R.ADMIN: 409}),
        params=lambda w: {"kind": "reserve.intakerun", "object_id": o(w).run.pk},
    ),
    ("get", "/api/v1/reserve/applications"): ApiRoute(ALL),
    ("get", "/api/v1/reserve/applications/{application_id}"): ApiRoute(
        allow(*R, overrides=NARROW_404), params=lambda w: {"application_id": o(w).other.pk}
    ),
    ("post", "/api/v1/reserve/applications"): ApiRoute(
        allow(R.ENTERPRISE, R.ZONE_OFFICER), body=lambda w: {}
    ),
    # A draft is not held again: past authorisation, 409.
    ("post", "/api/v1/reserve/applications/{application_id}/rehold"): ApiRoute(
        allow(overrides={R.REVIEWER: 409, R.ADMIN: 409}),
        params=lambda w: {"application_id": o(w).draft.pk},
        body=lambda w: {},
    ),
    ("post", "/api/v1/reserve/applications/{application_id}/submit"): ApiRoute(
        allow(R.ENTERPRISE, R.ZONE_OFFICER, overrides={R.ZONE_OFFICER: 409}),
        params=lambda w: {"application_id": o(w).draft.pk},
    ),
    ("post", "/api/v1/reserve/applications/{application_id}/withdraw"): ApiRoute(
        allow(R.ENTERPRISE, R.ZONE_OFFICER),
        params=lambda w: {"application_id": o(w).submitted.pk},
        body=lambda w: {},
    ),
    ("post", "/api/v1/reserve/applications/{application_id}/propose"): ApiRoute(
        allow(R.REVIEWER), params=lambda w: {"application_id": o(w).submitted.pk}, body=lambda w: {}
    ),
    ("post", "/api/v1/reserve/applications/{application_id}/approve"): ApiRoute(
        allow(R.REVIEWER), params=lambda w: {"application_id": o(w).submitted.pk}, body=lambda w: {}
    ),
    ("post", "/api/v1/reserve/applications/{application_id}/reject"): ApiRoute(
        allow(R.REVIEWER), params=lambda w: {"application_id": o(w).submitted.pk}, body=lambda w: {}
    ),
    ("get", "/api/v1/reserve/applications/{application_id}/documents"): ApiRoute(
        allow(*R, overrides=NARROW_404), params=lambda w: {"application_id": o(w).other.pk}
    ),
    # Without a file the upload is refused after the person's right and scope (422).
    ("post", "/api/v1/reserve/applications/{application_id}/documents"): ApiRoute(
        allow(R.ENTERPRISE, R.ZONE_OFFICER), params=lambda w: {"application_id": o(w).draft.pk}
    ),
    ("get", "/api/v1/reserve/applications/{application_id}/documents/{document_id}/file"): ApiRoute(
        allow(*R, overrides=NARROW_404),
        params=lambda w: {"application_id": o(w).other.pk, "document_id": o(w).other_document.pk},
    ),
    ("delete", "/api/v1/reserve/applications/{application_id}/documents/{document_id}"): ApiRoute(
        allow(R.ZONE_OFFICER, overrides={R.ENTERPRISE: 404}),
        params=lambda w: {"application_id": o(w).third.pk, "document_id": o(w).third_document.pk},
    ),
    ("get", "/api/v1/reserve/applications/{application_id}/annex.pdf"): ApiRoute(
        ALL, params=lambda w: {"application_id": o(w).approved.pk}
    ),
    ("get", "/api/v1/reserve/applications/{application_id}/annex.xlsx"): ApiRoute(
        ALL, params=lambda w: {"application_id": o(w).approved.pk}
    ),
    ("get", "/api/v1/reserve/warnings"): ApiRoute(allow(*R, overrides={R.ENTERPRISE: 403})),
    ("get", "/api/v1/reserve/intake-runs"): ApiRoute(allow(R.ADMIN, R.REVIEWER)),
    ("get", "/api/v1/reserve/intake-runs/{run_id}"): ApiRoute(
        allow(R.ADMIN, R.REVIEWER), params=lambda w: {"run_id": o(w).run.pk}
    ),
    # No item in the walk's run: the admin reaches the lookup (404), everyone else is refused first.
    ("post", "/api/v1/reserve/intake-items/{item_id}/exclude"): ApiRoute(
        allow(R.ADMIN, overrides={R.ADMIN: 404}),
        params=lambda w: {"item_id": 999_999},
        body=lambda w: {"reason": "x"},
    ),
    ("post", "/api/v1/reserve/intake-runs"): ApiRoute(allow(R.ADMIN), body=lambda w: {}),
    # The walk goes in role order: the reviewer confirms the run, then the administrator (its
    # preparer) finds it confirmed; the preparer's own refusal is tested in tests/reserve/test_four_eyes.py.
    ("post", "/api/v1/reserve/intake-runs/{run_id}/confirm"): ApiRoute(
        allow(R.ADMIN, R.REVIEWER, overrides={R.ADMIN: 409}), params=lambda w: {"run_id": o(w).run.pk}
    ),
    ("post", "/api/v1/reserve/intake-runs/{run_id}/cancel"): ApiRoute(
        allow(R.ADMIN), params=lambda w: {"run_id": o(w).run.pk}, body=lambda w: {}
    ),
    ("get", "/api/v1/reserve/upper-requests"): ApiRoute(ALL),
    ("post", "/api/v1/reserve/upper-requests"): ApiRoute(allow(R.ADMIN), body=lambda w: {}),
    ("post", "/api/v1/reserve/upper-requests/{request_id}/grant"): ApiRoute(
        allow(R.ADMIN, R.REVIEWER), params=lambda w: {"request_id": o(w).upper.pk}, body=lambda w: {}
    ),
    ("post", "/api/v1/reserve/upper-requests/{request_id}/refuse"): ApiRoute(
        allow(R.ADMIN, R.REVIEWER), params=lambda w: {"request_id": o(w).upper.pk}, body=lambda w: {}
    ),
    ("get", "/api/v1/reserve/upper-deductions"): ApiRoute(ALL),
    ("post", "/api/v1/reserve/upper-deductions"): ApiRoute(allow(R.ADMIN), body=lambda w: {}),
    ("get", "/api/v1/reserve/adjustments"): ApiRoute(allow(R.ADMIN, R.REVIEWER, R.LEADER)),
    ("get", "/api/v1/reserve/adjustments/{adjustment_id}"): ApiRoute(
        allow(R.ADMIN, R.REVIEWER, R.LEADER), params=lambda w: {"adjustment_id": o(w).adjustment.pk}
    ),
    # The reviewer confirms first (the walk's order), so the administrator (its proposer) finds it
    # confirmed; the proposer's own refusal is tested in tests/api/test_operations_ledger_admin.py.
    ("post", "/api/v1/reserve/adjustments/{adjustment_id}/confirm"): ApiRoute(
        allow(R.ADMIN, R.REVIEWER, overrides={R.ADMIN: 409}),
        params=lambda w: {"adjustment_id": o(w).adjustment.pk},
    ),
    ("post", "/api/v1/reserve/adjustments/{adjustment_id}/reject"): ApiRoute(
        allow(R.ADMIN, R.REVIEWER), params=lambda w: {"adjustment_id": o(w).adjustment.pk}, body=lambda w: {}
    ),
    ("post", "/api/v1/reserve/adjustments/{adjustment_id}/withdraw"): ApiRoute(
        allow(R.ADMIN), params=lambda w: {"adjustment_id": o(w).adjustment.pk}, body=lambda w: {}
    ),
    ("post", "/api/v1/reserve/applications/{application_id}/operating"): ApiRoute(
        allow(R.ENTERPRISE, R.ZONE_OFFICER, R.ADMIN),
        params=lambda w: {"application_id": o(w).approved.pk},
        body=lambda w: {},
    ),
    ("get", "/api/v1/reserve/recovery-candidates"): ApiRoute(allow(R.ADMIN, R.REVIEWER)),
    ("get", "/api/v1/reserve/recoveries"): ApiRoute(ALL),
    ("get", "/api/v1/reserve/attainment"): ApiRoute(ALL),
    ("post", "/api/v1/reserve/attainment"): ApiRoute(allow(R.ADMIN, R.REVIEWER), body=lambda w: {}),
    ("post", "/api/v1/reserve/recoveries"): ApiRoute(allow(R.ADMIN, R.REVIEWER), body=lambda w: {}),
    ("get", "/api/v1/reserve/recoveries/{case_id}"): ApiRoute(
        allow(*R), params=lambda w: {"case_id": o(w).recovery.pk}
    ),
    # The reviewer tells the unit first; the administrator then finds the case notified.
    ("post", "/api/v1/reserve/recoveries/{case_id}/notify"): ApiRoute(
        allow(R.ADMIN, R.REVIEWER, overrides={R.ADMIN: 409}), params=lambda w: {"case_id": o(w).recovery.pk}
    ),
    ("post", "/api/v1/reserve/recoveries/{case_id}/answer"): ApiRoute(
        allow(R.ENTERPRISE), params=lambda w: {"case_id": o(w).notified.pk}, body=lambda w: {}
    ),
    ("post", "/api/v1/reserve/recoveries/{case_id}/approve"): ApiRoute(
        allow(R.REVIEWER), params=lambda w: {"case_id": o(w).recovery.pk}, body=lambda w: {}
    ),
    ("post", "/api/v1/reserve/recoveries/{case_id}/reject"): ApiRoute(
        allow(R.REVIEWER), params=lambda w: {"case_id": o(w).recovery.pk}, body=lambda w: {}
    ),
}
