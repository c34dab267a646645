"""Access table: the emission total library's review and consistency pages and API routes (TOT-3)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from totalquota.accounts.roles import Role as R

from . import ApiRoute, Page, allow

PEOPLE = [r for r in R if r != R.SYSTEM]
ALL_PEOPLE = allow(*PEOPLE, roles_list=PEOPLE)
REVIEWER = allow(R.REVIEWER, roles_list=PEOPLE)
BUREAU = allow(R.REVIEWER, R.ADMIN, roles_list=PEOPLE)
OPINION_WRITERS = allow(R.REVIEWER, R.THIRD_PARTY, roles_list=PEOPLE)
SOURCE_READERS = allow(R.REVIEWER, R.ADMIN, R.LEADER, R.PARTNER, roles_list=PEOPLE)
ALL = allow(*R)


def objects(w: Any) -> SimpleNamespace:
    """Review records for the walk (of 2022: the other areas' walk records use other years): a statistics batch, the company's 2022 report submitted (with a
    difference flag from the batch) and a verified emission with its evidence."""
    if hasattr(w, "review"):
        return w.review
    import datetime as dt

    from tests.emissions.conftest import line, listed
    from tests.reductions.conftest import pdf
    from totalquota.emissions.services import reports, review, verified_emission_record
    from totalquota.registry.models import Pollutant

    cod = Pollutant.objects.get(code="COD")
    batch = review.source_import(
        actor=w.reviewer.principal,
        kind="statistics",
        year=2022,
        source="走查用环境统计",
        source_date=dt.date(2026, 6, 30),
        rows=[
            {"统一社会信用代码": w.company.uscc, "年度": "2022", "污染物": "COD", "排放量": "20", "_row": 2}
        ],
        file_name="walk.xlsx",
        sha256="0" * 64,
    ).batch
    listed(w, w.company, year=2022)
    report = reports.report_create(actor=w.company_user.principal, enterprise=w.company, year=2022)
    reports.report_lines_save(actor=w.company_user.principal, report=report, lines=[line(cod, 10_000_000)])
    reports.report_submit(actor=w.company_user.principal, report=report)
    flag = report.flags.get()
    evidence = verified_emission_record(
        actor=w.reviewer.principal,
        enterprise=w.company,
        pollutant=cod,
        year=2021,
        actual_grams=1_000,
        source="走查用监测报告",
        evidence=pdf("走查.pdf"),
    )
    w.review = SimpleNamespace(batch=batch, report=report, flag=flag, verified=evidence)
    return w.review


def o(w: Any) -> SimpleNamespace:
    return objects(w)


PAGES = {
    "emissions:review_batch": Page(REVIEWER),
    "emissions:review_report": Page(ALL_PEOPLE, kwargs=lambda w: {"pk": o(w).report.pk}),
    "emissions:opinion_add": Page(OPINION_WRITERS, kwargs=lambda w: {"pk": o(w).report.pk}, method="post"),
    "emissions:flag_list": Page(ALL_PEOPLE),
    "emissions:flag_detail": Page(ALL_PEOPLE, kwargs=lambda w: {"pk": o(w).flag.pk}),
    "emissions:flag_resolve": Page(REVIEWER, kwargs=lambda w: {"pk": o(w).flag.pk}),
    "emissions:candidate_list": Page(ALL_PEOPLE),
    "emissions:source_list": Page(SOURCE_READERS),
    "emissions:source_import": Page(BUREAU),
    "emissions:source_template": Page(BUREAU),
    "emissions:source_detail": Page(SOURCE_READERS, kwargs=lambda w: {"pk": o(w).batch.pk}),
    "emissions:figure_list": Page(ALL_PEOPLE),
    "emissions:verified_evidence": Page(ALL_PEOPLE, kwargs=lambda w: {"pk": o(w).verified.pk}),
}

API_ROUTES = {
    ("get", "/api/v1/emission-reports/{report_id}/opinions"): ApiRoute(
        ALL, params=lambda w: {"report_id": o(w).report.pk}
    ),
    ("post", "/api/v1/emission-reports/{report_id}/opinions"): ApiRoute(
        allow(R.REVIEWER, R.THIRD_PARTY), params=lambda w: {"report_id": o(w).report.pk}, body=lambda w: {}
    ),
    ("get", "/api/v1/emission-reports/{report_id}/comparison"): ApiRoute(
        ALL, params=lambda w: {"report_id": o(w).report.pk}
    ),
    ("post", "/api/v1/emission-reports/batch-accept"): ApiRoute(
        allow(R.REVIEWER), body=lambda w: {"ids": []}
    ),
    ("get", "/api/v1/emissions/flags"): ApiRoute(ALL),
    ("get", "/api/v1/emissions/flags/{flag_id}"): ApiRoute(ALL, params=lambda w: {"flag_id": o(w).flag.pk}),
    ("post", "/api/v1/emissions/flags/{flag_id}/resolve"): ApiRoute(
        allow(R.REVIEWER), params=lambda w: {"flag_id": o(w).flag.pk}, body=lambda w: {"reason": ""}
    ),
    ("get", "/api/v1/emissions/candidates"): ApiRoute(ALL),
    ("get", "/api/v1/emissions/source-imports"): ApiRoute(allow(R.REVIEWER, R.ADMIN, R.LEADER, R.PARTNER)),
    ("get", "/api/v1/emissions/source-imports/{batch_id}"): ApiRoute(
        allow(R.REVIEWER, R.ADMIN, R.LEADER, R.PARTNER), params=lambda w: {"batch_id": o(w).batch.pk}
    ),
    # Without a file the upload is refused after the person's right (422).
    ("post", "/api/v1/emissions/source-imports"): ApiRoute(allow(R.REVIEWER, R.ADMIN)),
    ("get", "/api/v1/emissions/source-figures"): ApiRoute(ALL),
    ("post", "/api/v1/emissions/verified-emissions"): ApiRoute(allow(R.REVIEWER)),
    ("get", "/api/v1/emissions/verified-emissions"): ApiRoute(allow(*R)),
}
