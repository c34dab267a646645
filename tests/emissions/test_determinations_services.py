"""Computing, overriding and issuing determinations (TOT-3) through the services: figures worked
by hand from accepted reports, the four-eyes refusals, numbered documents superseded by a later
override, and refusals that write nothing."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from tests.emissions.conftest import T, as_
from tests.emissions.helpers_determinations import ALLOWANCE_YEAR, accepted, assess, figures, parameter
from totalquota.audit.models import AuditEvent
from totalquota.documents import selectors as documents
from totalquota.documents.models import DocumentKind, DocumentState, IssuedDocument
from totalquota.documents.services import document_files
from totalquota.emissions.models import Determination, DeterminationLine, DeterminationStatus
from totalquota.emissions.services import determinations as svc
from totalquota.emissions.services import reports
from totalquota.lib.errors import Conflict, Forbidden, RuleViolation, ValidationFailed

pytestmark = pytest.mark.django_db
Y = ALLOWANCE_YEAR


def compute(world, zone=None, who=None):
    return svc.determination_compute(actor=as_(who or world.reviewer), zone=zone or world.zone_a, year=Y)


def line_of(world, code, enterprise=None):
    return DeterminationLine.objects.get(
        determination__enterprise=enterprise or world.company, determination__year=Y, pollutant__code=code
    )


def test_an_attained_zone_keeps_last_years_allowed_and_uses_the_permit_where_there_is_none(world, p):
    assess(world, "WATER", True)
    report = accepted(
        world,
        [
            figures(p["COD"], 11 * T, permitted=20 * T, allowed=12 * T, sewer_grams=30 * T),
            figures(p["VOCS"], 3 * T, permitted=5 * T),
        ],
    )
    [determination] = compute(world)
    assert determination.status == DeterminationStatus.COMPUTED and determination.zone == world.zone_a
    cod, vocs = line_of(world, "COD"), line_of(world, "VOCS")
    assert (cod.base_grams, cod.allowed_grams) == (12 * T, 12 * T)
    assert (vocs.base_grams, vocs.allowed_grams) == (5 * T, 5 * T)
    base = cod.derivation[0]
    assert base["source"]["report_id"] == report.pk and base["source"]["version"] == 1
    assert base["source"]["line_id"] == report.accepted_version.lines.get(pollutant=p["COD"]).pk
    assert cod.derivation[1]["records"][0]["indicator"] == "WATER"
    assert {r["key"] for r in cod.rules} == {"improvement_target_bp", "total_control_grams"}
    assert all(r["parameter_id"] and r["clause_id"] == "TOT-3" for r in cod.rules)
    assert AuditEvent.objects.filter(action="emissions.determination_compute").count() == 1


def test_an_unattained_medium_cuts_by_the_zones_target_rounded_down(world, p):
    assess(world, "WATER", False)
    assess(world, "O3", True)
    parameter("improvement_target_bp", 250, pollutant=p["COD"], zone=world.zone_a)
    parameter("improvement_target_bp", 1000, pollutant=p["VOCS"], zone=world.zone_a)
    accepted(world, [figures(p["COD"], T, allowed=1001), figures(p["VOCS"], T, allowed=1001)])
    compute(world)
    assert line_of(world, "COD").allowed_grams == 975  # 1001 × 0.975 = 975.975 → 975
    assert line_of(world, "VOCS").allowed_grams == 1001  # air attained: no cut


def test_the_permitted_quantity_caps_the_figure(world, p):
    accepted(world, [figures(p["COD"], T, permitted=9 * T, allowed=10 * T)])
    compute(world)
    assert line_of(world, "COD").allowed_grams == 9 * T


def test_a_zone_over_its_total_control_is_scaled_down_with_remainders_dropped(world, p):
    from tests.factories import EnterpriseFactory, UserFactory
    from totalquota.accounts.roles import Role

    parameter("total_control_grams", 7, pollutant=p["COD"], zone=world.zone_a)
    third = EnterpriseFactory(zone=world.zone_a, name="苏州丙化工有限公司")
    third_user = UserFactory(username="bing", role=Role.ENTERPRISE, enterprise=third)
    fourth = EnterpriseFactory(zone=world.zone_a, name="苏州丁材料有限公司")
    fourth_user = UserFactory(username="ding", role=Role.ENTERPRISE, enterprise=fourth)
    accepted(world, [figures(p["COD"], 1, allowed=3)])
    accepted(world, [figures(p["COD"], 1, allowed=3)], enterprise=third, user=third_user)
    accepted(world, [figures(p["COD"], 1, allowed=4)], enterprise=fourth, user=fourth_user)
    compute(world)
    got = {e.name: line_of(world, "COD", e).allowed_grams for e in (world.company, third, fourth)}
    assert got == {world.company.name: 2, third.name: 2, fourth.name: 2}  # 2.1, 2.1, 2.8 down


def test_a_pollutant_without_a_base_is_not_determined_and_the_determination_says_why(world, p):
    accepted(world, [figures(p["COD"], T, allowed=2 * T), figures(p["TP"], 1000)])
    [determination] = compute(world)
    assert list(determination.lines.values_list("pollutant__code", flat=True)) == ["COD"]
    [skipped] = determination.undetermined
    assert skipped["pollutant"] == "TP" and skipped["reason"] == "no_base"


def test_only_the_accepted_version_counts(world, p):
    report = accepted(world, [figures(p["COD"], T, allowed=2 * T)])
    reports.report_reopen(actor=as_(world.reviewer), report=report, reason="更正")
    reports.report_lines_save(
        actor=as_(world.company_user),
        report=report,
        lines=[figures(p["COD"], T, allowed=5 * T)],
        change_note="更正核定量",
    )
    compute(world)
    assert line_of(world, "COD").allowed_grams == 2 * T


def test_no_accepted_report_is_a_clear_refusal_and_writes_nothing(world):
    with pytest.raises(ValidationFailed) as refused:
        compute(world)
    assert refused.value.status == 422 and "没有审核通过" in refused.value.message
    assert not Determination.objects.exists()


def test_a_year_out_of_range_is_refused(world):
    for year in (2021, 2100, Y + 1):
        with pytest.raises(ValidationFailed):
            svc.determination_compute(actor=as_(world.reviewer), zone=world.zone_a, year=year)


def test_a_target_beyond_a_whole_is_refused_before_anything_is_written(world, p):
    parameter("improvement_target_bp", 20_000, pollutant=p["COD"], zone=world.zone_a)
    accepted(world, [figures(p["COD"], T, allowed=T)])
    with pytest.raises(RuleViolation):
        compute(world)
    assert not Determination.objects.exists()


def test_only_reviewers_determine(world, p):
    from django.core.exceptions import PermissionDenied

    accepted(world, [figures(p["COD"], T, allowed=T)])
    for who in (world.officer, world.company_user, world.admin):
        with pytest.raises(PermissionDenied):
            compute(world, who=who)
    assert not Determination.objects.exists()


# --- overrides --------------------------------------------------------------------------------
def test_an_override_needs_a_reason_and_a_second_reviewer(world, p):
    accepted(world, [figures(p["COD"], T, permitted=10 * T, allowed=4 * T)])
    compute(world)
    cod = line_of(world, "COD")
    with pytest.raises(ValidationFailed):
        svc.determination_override_propose(actor=as_(world.reviewer), line=cod, grams=3 * T, reason=" ")
    with pytest.raises(RuleViolation):  # never above the permit
        svc.determination_override_propose(actor=as_(world.reviewer), line=cod, grams=11 * T, reason="扩产")
    svc.determination_override_propose(actor=as_(world.reviewer), line=cod, grams=3 * T, reason="停产一条线")
    with pytest.raises(Forbidden):
        svc.determination_override_confirm(actor=as_(world.reviewer), line=cod)
    with pytest.raises(Forbidden):
        svc.determination_override_reject(actor=as_(world.reviewer), line=cod, reason="不同意")
    assert line_of(world, "COD").allowed_grams == 4 * T
    with pytest.raises(Conflict):  # one pending at a time
        svc.determination_override_propose(actor=as_(world.reviewer2), line=cod, grams=2 * T, reason="再调")
    svc.determination_override_confirm(actor=as_(world.reviewer2), line=cod)
    cod = line_of(world, "COD")
    assert cod.allowed_grams == 3 * T and cod.computed_grams == 4 * T
    assert cod.override_by == world.reviewer and cod.override_confirmed_by == world.reviewer2


def test_a_rejected_override_leaves_the_figure(world, p):
    accepted(world, [figures(p["COD"], T, allowed=4 * T)])
    compute(world)
    cod = line_of(world, "COD")
    svc.determination_override_propose(actor=as_(world.reviewer), line=cod, grams=3 * T, reason="停产")
    with pytest.raises(ValidationFailed):
        svc.determination_override_reject(actor=as_(world.reviewer2), line=cod, reason="")
    svc.determination_override_reject(actor=as_(world.reviewer2), line=cod, reason="依据不足")
    cod = line_of(world, "COD")
    assert cod.allowed_grams == 4 * T and cod.override_grams is None and not cod.override_pending
    with pytest.raises(Conflict):
        svc.determination_override_confirm(actor=as_(world.reviewer2), line=cod)


def test_recomputing_keeps_an_override_whose_base_is_unchanged(world, p):
    accepted(world, [figures(p["COD"], T, allowed=4 * T)])
    compute(world)
    svc.determination_override_propose(
        actor=as_(world.reviewer), line=line_of(world, "COD"), grams=3 * T, reason="停产"
    )
    svc.determination_override_confirm(actor=as_(world.reviewer2), line=line_of(world, "COD"))
    compute(world)
    cod = line_of(world, "COD")
    assert cod.allowed_grams == 3 * T and cod.override_confirmed_by == world.reviewer2


def test_recomputing_drops_an_override_whose_base_changed_and_says_so(world, p):
    report = accepted(world, [figures(p["COD"], T, allowed=4 * T)])
    compute(world)
    svc.determination_override_propose(
        actor=as_(world.reviewer), line=line_of(world, "COD"), grams=3 * T, reason="停产"
    )
    reports.report_reopen(actor=as_(world.reviewer), report=report, reason="更正")
    reports.report_lines_save(
        actor=as_(world.company_user),
        report=report,
        lines=[figures(p["COD"], T, allowed=5 * T)],
        change_note="更正",
    )
    reports.report_submit(actor=as_(world.company_user), report=report)
    report.refresh_from_db()
    from totalquota.emissions.models import TechnicalOpinion

    TechnicalOpinion.objects.create(
        report=report,
        version=report.current_version,
        author=world.third_party,
        conclusion="accept",
        text="可信",
    )
    reports.report_accept(actor=as_(world.reviewer2), report=report)
    compute(world)
    cod = line_of(world, "COD")
    assert cod.allowed_grams == 5 * T and cod.override_grams is None
    dropped = AuditEvent.objects.get(action="emissions.determination_override_dropped")
    assert dropped.before["overrides"][0]["override_grams"] == 3 * T


# --- issuing ----------------------------------------------------------------------------------
def pdf_text(document: IssuedDocument) -> str:
    stored = document_files(document=document, verify_url="http://testserver/verify/x/")
    reader = PdfReader(io.BytesIO(bytes(stored.pdf)))
    return "".join(page.extract_text() for page in reader.pages).replace(" ", "").replace("\n", "")


def test_the_person_who_computed_may_not_issue(world, p):
    accepted(world, [figures(p["COD"], T, allowed=4 * T)])
    compute(world)
    with pytest.raises(Forbidden):
        svc.determination_issue(actor=as_(world.reviewer), zone=world.zone_a, year=Y)
    assert not IssuedDocument.objects.exists()
    assert Determination.objects.get().status == DeterminationStatus.COMPUTED


def test_issuing_numbers_a_document_per_unit_and_skips_a_pending_override(world, p):
    from tests.factories import EnterpriseFactory, UserFactory
    from totalquota.accounts.roles import Role

    third = EnterpriseFactory(zone=world.zone_a, name="苏州丙化工有限公司")
    third_user = UserFactory(username="bing", role=Role.ENTERPRISE, enterprise=third)
    fourth = EnterpriseFactory(zone=world.zone_a, name="苏州丁材料有限公司")
    fourth_user = UserFactory(username="ding", role=Role.ENTERPRISE, enterprise=fourth)
    accepted(world, [figures(p["COD"], T, allowed=4 * T)])
    accepted(world, [figures(p["COD"], T, allowed=2 * T)], enterprise=third, user=third_user)
    accepted(world, [figures(p["COD"], T, allowed=1 * T)], enterprise=fourth, user=fourth_user)
    compute(world)
    svc.determination_override_propose(
        actor=as_(world.reviewer), line=line_of(world, "COD", fourth), grams=T // 2, reason="停产"
    )
    issued = svc.determination_issue(actor=as_(world.reviewer2), zone=world.zone_a, year=Y)
    assert {d.enterprise for d in issued} == {world.company, third}
    docs = list(IssuedDocument.objects.filter(kind=DocumentKind.DETERMINATION).order_by("number"))
    assert [d.number for d in docs] == [1, 2]
    assert docs[0].code.startswith("苏园环核〔")
    assert Determination.objects.get(enterprise=fourth).status == DeterminationStatus.COMPUTED
    with pytest.raises(Conflict):  # nothing left to issue while the override is pending
        svc.determination_issue(actor=as_(world.reviewer2), zone=world.zone_a, year=Y)


def test_the_document_states_the_unit_and_its_figures(world, p):
    accepted(world, [figures(p["COD"], 11 * T, permitted=20 * T, allowed=12 * T, sewer_grams=30 * T)])
    compute(world)
    [determination] = svc.determination_issue(actor=as_(world.reviewer2), zone=world.zone_a, year=Y)
    document = IssuedDocument.objects.get(pk=determination.document_id)
    text = pdf_text(document)
    for expected in (
        f"苏州工业园区{Y}年度排污单位许可排放量核定结果",
        world.company.name,
        world.company.uscc,
        world.zone_a.name,
        "化学需氧量",
        "20",  # permitted
        "12",  # last year's and this year's allowed
        "11",  # actual
        "TOT-3",
        "苏州工业园区生态环境局",
        document.verification_code,
    ):
        assert expected.replace(" ", "") in text, expected
    assert document.figures["rows"][0] == {
        "code": "COD",
        "name": "化学需氧量",
        "unit": "t/a",
        "permitted": 20 * T,
        "last_allowed": 12 * T,
        "actual": 11 * T,
        "allowed": 12 * T,
    }
    assert IssuedDocument.objects.get(pk=document.pk).xlsx_sha256


def test_an_override_confirmed_after_issue_supersedes_the_document_with_version_two(world, p):
    accepted(world, [figures(p["COD"], T, allowed=4 * T)])
    compute(world)
    [determination] = svc.determination_issue(actor=as_(world.reviewer2), zone=world.zone_a, year=Y)
    first = IssuedDocument.objects.get(pk=determination.document_id)
    svc.determination_override_propose(
        actor=as_(world.reviewer), line=line_of(world, "COD"), grams=3 * T, reason="停产"
    )
    assert documents.valid_document(determination, DocumentKind.DETERMINATION).pk == first.pk
    svc.determination_override_confirm(actor=as_(world.reviewer2), line=line_of(world, "COD"))
    first.refresh_from_db()
    determination.refresh_from_db()
    second = IssuedDocument.objects.get(pk=determination.document_id)
    assert first.state == DocumentState.SUPERSEDED and first.superseded_by_id == second.pk
    assert second.version == 2 and second.number == first.number + 1
    assert second.figures["rows"][0]["allowed"] == 3 * T
    assert second.figures["overrides"][0]["reason"] == "停产"


def test_an_issued_determination_stands_when_the_zone_is_recomputed(world, p):
    accepted(world, [figures(p["COD"], T, allowed=4 * T)])
    compute(world)
    svc.determination_issue(actor=as_(world.reviewer2), zone=world.zone_a, year=Y)
    assert compute(world) == []
    assert Determination.objects.get().status == DeterminationStatus.ISSUED


def test_an_override_may_not_take_the_zone_over_its_total_control_amount(world, p):
    from tests.factories import EnterpriseFactory, UserFactory
    from totalquota.accounts.roles import Role

    parameter("total_control_grams", 5 * T, pollutant=p["COD"], zone=world.zone_a)
    third = EnterpriseFactory(zone=world.zone_a, name="苏州丙化工有限公司")
    third_user = UserFactory(username="bing", role=Role.ENTERPRISE, enterprise=third)
    accepted(world, [figures(p["COD"], T, permitted=10 * T, allowed=3 * T)])
    accepted(
        world, [figures(p["COD"], T, permitted=10 * T, allowed=3 * T)], enterprise=third, user=third_user
    )
    compute(world)  # 3 + 3 over 5: scaled to 2.5 each
    cod = line_of(world, "COD")
    assert cod.allowed_grams == 2_500_000
    with pytest.raises(RuleViolation) as refused:
        svc.determination_override_propose(
            actor=as_(world.reviewer), line=cod, grams=2_500_001, reason="扩产"
        )
    assert "超过总量控制量 5 t/a" in str(refused.value)
    assert line_of(world, "COD").override_grams is None
    svc.determination_override_propose(actor=as_(world.reviewer), line=cod, grams=2 * T, reason="停产一条线")
    svc.determination_override_confirm(actor=as_(world.reviewer2), line=cod)
    assert line_of(world, "COD").allowed_grams == 2 * T


def test_the_document_names_the_zone_and_pollutant_a_parameter_applies_to(world, p):
    assess(world, "WATER", False)
    parameter("improvement_target_bp", 250, pollutant=p["COD"], zone=world.zone_a)
    accepted(world, [figures(p["COD"], T, permitted=20 * T, allowed=12 * T)])
    compute(world)
    [determination] = svc.determination_issue(actor=as_(world.reviewer2), zone=world.zone_a, year=Y)
    document = IssuedDocument.objects.get(pk=determination.document_id)
    scoped = [b for b in document.figures["basis"] if b["key"] == "improvement_target_bp"]
    assert [(b["zone"], b["pollutant"]) for b in scoped] == [(world.zone_a.name, "化学需氧量")]
    assert f"（{world.zone_a.name}、化学需氧量）" in pdf_text(document)
