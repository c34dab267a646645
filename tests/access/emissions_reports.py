"""Access table: the emission total library's self-report (排放量申报) pages and API routes."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from totalquota.accounts.roles import Role as R

from . import ApiRoute, Page, allow

PEOPLE = [r for r in R if r != R.SYSTEM]
ALL_PEOPLE = allow(*PEOPLE, roles_list=PEOPLE)
UNIT = allow(R.ENTERPRISE, roles_list=PEOPLE)
REVIEWER = allow(R.REVIEWER, roles_list=PEOPLE)
NARROW_404 = {R.ZONE_OFFICER: 404, R.THIRD_PARTY: 404, R.ENTERPRISE: 404}
ALL = allow(*R)


def objects(w: Any) -> SimpleNamespace:
    """Reports of the company (zone A) for three years: accepted (2023), submitted (2024) and a
    draft with an attachment (2025); and a draft of the other company (zone B) with one."""
    if hasattr(w, "emission_reports"):
        return w.emission_reports
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.emissions.conftest import as_, line, listed
    from tests.reductions.conftest import MINIMAL_PDF
    from totalquota.emissions.models import TechnicalOpinion
    from totalquota.emissions.services import reports as svc
    from totalquota.registry.models import Pollutant

    cod = Pollutant.objects.get(code="COD")

    def report(enterprise, user, year):
        listed(w, enterprise, year=year)
        r = svc.report_create(actor=as_(user), enterprise=enterprise, year=year)
        svc.report_lines_save(actor=as_(user), report=r, lines=[line(cod, 1_000_000)])
        return r

    accepted = report(w.company, w.company_user, 2023)
    svc.report_submit(actor=as_(w.company_user), report=accepted)
    accepted.refresh_from_db()
    TechnicalOpinion.objects.create(
        report=accepted,
        version=accepted.current_version,
        author=w.third_party,
        conclusion="accept",
        text="可信",
    )
    svc.report_accept(actor=as_(w.reviewer2), report=accepted)
    submitted = report(w.company, w.company_user, 2024)
    svc.report_submit(actor=as_(w.company_user), report=submitted)
    draft = report(w.company, w.company_user, 2025)
    attachment = svc.attachment_add(
        actor=as_(w.company_user), report=draft, kind="other", upload=SimpleUploadedFile("a.pdf", MINIMAL_PDF)
    )
    other = report(w.other_company, w.other_company_user, 2025)
    other_attachment = svc.attachment_add(
        actor=as_(w.other_company_user),
        report=other,
        kind="other",
        upload=SimpleUploadedFile("b.pdf", MINIMAL_PDF),
    )
    w.emission_reports = SimpleNamespace(
        accepted=accepted,
        submitted=submitted,
        draft=draft,
        attachment=attachment,
        other=other,
        other_attachment=other_attachment,
    )
    return w.emission_reports


def o(w):
    return objects(w)


def draft(w):
    return {"pk": o(w).draft.pk}


PAGES = {
    "emissions:report_list": Page(ALL_PEOPLE),
    "emissions:report_create": Page(UNIT),
    "emissions:report_execution_template": Page(UNIT),
    "emissions:report_detail": Page(ALL_PEOPLE, kwargs=draft),
    "emissions:report_detail#other_zone": Page(
        allow(*PEOPLE, roles_list=PEOPLE, overrides=NARROW_404), kwargs=lambda w: {"pk": o(w).other.pk}
    ),
    "emissions:report_lines": Page(UNIT, kwargs=draft),
    "emissions:attachment_upload": Page(UNIT, kwargs=draft),
    "emissions:report_execution_upload": Page(UNIT, kwargs=draft),
    "emissions:report_execution_map": Page(UNIT, kwargs=draft),
    "emissions:attachment_download": Page(ALL_PEOPLE, kwargs=lambda w: {"pk": o(w).attachment.pk}),
    "emissions:attachment_download#other_zone": Page(
        allow(*PEOPLE, roles_list=PEOPLE, overrides=NARROW_404),
        kwargs=lambda w: {"pk": o(w).other_attachment.pk},
    ),
    "emissions:attachment_delete": Page(UNIT, kwargs=lambda w: {"pk": o(w).attachment.pk}, method="post"),
    "emissions:report_submit": Page(UNIT, kwargs=draft, method="post"),
    "emissions:report_return": Page(REVIEWER, kwargs=lambda w: {"pk": o(w).submitted.pk}, method="post"),
    "emissions:report_accept": Page(REVIEWER, kwargs=lambda w: {"pk": o(w).submitted.pk}, method="post"),
    "emissions:report_reopen": Page(REVIEWER, kwargs=lambda w: {"pk": o(w).accepted.pk}, method="post"),
}


def report_id(w):
    return {"report_id": o(w).draft.pk}


# A system token without a unit holds the right to report, but no report is its own: the workflow
# refuses its submission (403). The walk goes in role order: the unit's staff remove the attachment
# first, and the token then finds it gone (404).
API_ROUTES = {
    ("get", "/api/v1/emission-reports"): ApiRoute(ALL),
    ("get", "/api/v1/emission-reports/{report_id}"): ApiRoute(
        allow(*R, overrides=NARROW_404), params=lambda w: {"report_id": o(w).other.pk}
    ),
    ("post", "/api/v1/emission-reports"): ApiRoute(allow(R.ENTERPRISE, R.SYSTEM), body=lambda w: {}),
    ("put", "/api/v1/emission-reports/{report_id}/lines"): ApiRoute(
        allow(R.ENTERPRISE, R.SYSTEM), params=report_id, body=lambda w: {}
    ),
    ("get", "/api/v1/emission-reports/{report_id}/versions/{number}"): ApiRoute(
        allow(*R, overrides=NARROW_404), params=lambda w: {"report_id": o(w).other.pk, "number": 1}
    ),
    ("get", "/api/v1/emission-reports/{report_id}/versions/{number}/diff"): ApiRoute(
        ALL, params=lambda w: {"report_id": o(w).draft.pk, "number": 1}
    ),
    ("get", "/api/v1/emission-reports/{report_id}/attachments"): ApiRoute(
        allow(*R, overrides=NARROW_404), params=lambda w: {"report_id": o(w).other.pk}
    ),
    # Without a file the upload is refused after the person's right and scope (422).
    ("post", "/api/v1/emission-reports/{report_id}/attachments"): ApiRoute(
        allow(R.ENTERPRISE, R.SYSTEM), params=report_id
    ),
    ("post", "/api/v1/emission-reports/{report_id}/execution"): ApiRoute(
        allow(R.ENTERPRISE, R.SYSTEM), params=report_id
    ),
    ("get", "/api/v1/emission-reports/{report_id}/attachments/{attachment_id}/file"): ApiRoute(
        allow(*R, overrides=NARROW_404),
        params=lambda w: {"report_id": o(w).other.pk, "attachment_id": o(w).other_attachment.pk},
    ),
    ("delete", "/api/v1/emission-reports/{report_id}/attachments/{attachment_id}"): ApiRoute(
        allow(R.ENTERPRISE, R.SYSTEM, overrides={R.SYSTEM: 404}),
        params=lambda w: {"report_id": o(w).draft.pk, "attachment_id": o(w).attachment.pk},
    ),
    ("post", "/api/v1/emission-reports/{report_id}/submit"): ApiRoute(
        allow(R.ENTERPRISE, R.SYSTEM, overrides={R.SYSTEM: 403}), params=report_id, body=lambda w: {}
    ),
    ("post", "/api/v1/emission-reports/{report_id}/return"): ApiRoute(
        allow(R.REVIEWER), params=lambda w: {"report_id": o(w).submitted.pk}, body=lambda w: {}
    ),
    ("post", "/api/v1/emission-reports/{report_id}/accept"): ApiRoute(
        allow(R.REVIEWER), params=lambda w: {"report_id": o(w).submitted.pk}, body=lambda w: {}
    ),
    ("post", "/api/v1/emission-reports/{report_id}/reopen"): ApiRoute(
        allow(R.REVIEWER), params=lambda w: {"report_id": o(w).accepted.pk}, body=lambda w: {}
    ),
}
