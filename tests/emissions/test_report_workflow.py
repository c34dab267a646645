"""The self-report's path through the kernel: submit, return with comments, correct, resubmit,
an opinion, accept by another reviewer; and the refusals on the way."""

from __future__ import annotations

import pytest

from tests.emissions.conftest import YEAR, T, as_, line, listed
from totalquota.emissions.models import EmissionReport, ReportStatus, TechnicalOpinion
from totalquota.emissions.services import reports as svc
from totalquota.lib.errors import Conflict, Forbidden, RuleViolation, ValidationFailed


def opinion(report, author, conclusion="accept"):
    report.refresh_from_db()
    return TechnicalOpinion.objects.create(
        report=report, version=report.current_version, author=author, conclusion=conclusion, text="数据可信"
    )


def test_a_report_goes_from_draft_to_accepted_through_a_correction(world, p, filled):
    report = filled()
    svc.report_submit(actor=as_(world.company_user), report=report)
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED and report.current_version.frozen

    svc.report_return(actor=as_(world.reviewer), report=report, reason="COD 与在线监测不符")
    report.refresh_from_db()
    assert report.status == ReportStatus.RETURNED
    assert report.current_version.number == 2 and not report.current_version.frozen
    assert report.current_version.lines.count() == 2

    svc.report_lines_save(
        actor=as_(world.company_user),
        report=report,
        lines=[line(p["COD"], 11 * T, sewer_grams=30 * T), line(p["VOCS"], 3 * T)],
        change_note="COD 按在线监测更正",
    )
    svc.report_submit(actor=as_(world.company_user), report=report)
    report.refresh_from_db()
    assert report.status == ReportStatus.RESUBMITTED

    opinion(report, world.reviewer)
    with pytest.raises(Forbidden):  # the opinion's author may not accept (four eyes)
        svc.report_accept(actor=as_(world.reviewer), report=report)
    svc.report_accept(actor=as_(world.reviewer2), report=report)
    report.refresh_from_db()
    assert report.status == ReportStatus.ACCEPTED
    assert report.accepted_version.number == 2
    cod = report.accepted_version.lines.get(pollutant=p["COD"])
    assert cod.actual_grams == 11 * T and cod.sewer_grams == 30 * T
    assert list(report.transitions.values_list("to_status", flat=True)) == [
        "draft",
        "submitted",
        "returned",
        "resubmitted",
        "accepted",
    ]


def test_accepting_needs_an_opinion_on_the_current_version(world, filled):
    report = filled()
    svc.report_submit(actor=as_(world.company_user), report=report)
    with pytest.raises(RuleViolation):
        svc.report_accept(actor=as_(world.reviewer2), report=report)
    assert EmissionReport.objects.get(pk=report.pk).status == ReportStatus.SUBMITTED


def test_a_unit_not_on_the_list_cannot_report(world):
    with pytest.raises(RuleViolation):
        svc.report_create(actor=as_(world.company_user), enterprise=world.company, year=YEAR)
    assert not EmissionReport.objects.exists()


def test_a_second_report_of_the_same_year_is_refused(world, filled):
    filled()
    with pytest.raises(Conflict):
        svc.report_create(actor=as_(world.company_user), enterprise=world.company, year=YEAR)
    assert EmissionReport.objects.count() == 1


def test_another_units_staff_cannot_fill_the_report(world, p, filled):
    report = filled()
    with pytest.raises(Forbidden):
        svc.report_lines_save(actor=as_(world.other_company_user), report=report, lines=[line(p["COD"], T)])


def test_bad_lines_are_refused_whole_and_nothing_changes(world, p, filled):
    report = filled()
    before = list(report.current_version.lines.values_list("pollutant__code", "actual_grams"))
    with pytest.raises(ValidationFailed) as refused:
        svc.report_lines_save(
            actor=as_(world.company_user),
            report=report,
            lines=[
                line(p["COD"], -1),
                line(p["VOCS"], T, sewer_grams=T),
                line(p["TP"], T, difference_note=""),
            ],
        )
    fields = {e["field"] for e in refused.value.errors}
    assert fields == {"lines[0].actual_grams", "lines[1].sewer_grams", "lines[2].difference_note"}
    assert list(report.current_version.lines.values_list("pollutant__code", "actual_grams")) == before


def test_a_frozen_version_cannot_be_edited(world, p, filled):
    report = filled()
    svc.report_submit(actor=as_(world.company_user), report=report)
    with pytest.raises(Conflict):
        svc.report_lines_save(actor=as_(world.company_user), report=report, lines=[line(p["COD"], T)])


def test_a_reopened_report_keeps_its_accepted_version_until_the_correction_is_accepted(world, p, filled):
    report = filled()
    svc.report_submit(actor=as_(world.company_user), report=report)
    opinion(report, world.third_party)
    svc.report_accept(actor=as_(world.reviewer), report=report)
    svc.report_reopen(actor=as_(world.reviewer), report=report, reason="单位申请更正 VOCs")
    report.refresh_from_db()
    assert report.status == ReportStatus.RETURNED and report.accepted_version.number == 1
    assert report.current_version.number == 2


def test_the_current_year_cannot_be_reported(world):
    from django.utils import timezone

    year = timezone.localdate().year
    listed(world, year=year)
    with pytest.raises(ValidationFailed):
        svc.report_create(actor=as_(world.company_user), enterprise=world.company, year=year)


def test_accepting_against_an_opinion_that_advises_a_return_needs_a_stated_reason(world, filled):
    report = filled()
    svc.report_submit(actor=as_(world.company_user), report=report)
    opinion(report, world.third_party, conclusion="return")
    with pytest.raises(RuleViolation) as refused:
        svc.report_accept(actor=as_(world.reviewer2), report=report)
    assert refused.value.field == "reason"
    assert EmissionReport.objects.get(pk=report.pk).status == ReportStatus.SUBMITTED
    svc.report_accept(actor=as_(world.reviewer2), report=report, reason="意见所指问题已由单位书面说明")
    assert EmissionReport.objects.get(pk=report.pk).status == ReportStatus.ACCEPTED


def test_the_batch_refuses_a_report_whose_opinion_advises_a_return(world, filled):
    from totalquota.emissions.services.review import reports_accept

    report = filled()
    svc.report_submit(actor=as_(world.company_user), report=report)
    opinion(report, world.third_party, conclusion="return")
    (result,) = reports_accept(actor=as_(world.reviewer2), ids=[report.pk])
    assert not result.accepted and "建议退回修改" in result.message
    assert EmissionReport.objects.get(pk=report.pk).status == ReportStatus.SUBMITTED


def test_every_pollutant_of_the_permit_must_be_reported(world, p, filled):
    import datetime as dt

    from totalquota.registry.models import PermitLimit

    PermitLimit.objects.create(
        enterprise=world.company,
        pollutant=p["NH3N"],
        permitted_grams=2 * T,
        valid_from=dt.date(2024, 1, 1),
        permit_number=world.company.permit_number,
        source="排污许可证",
        recorded_by=world.admin,
    )
    report = filled(line(p["COD"], 12 * T))
    with pytest.raises(RuleViolation) as refused:
        svc.report_submit(actor=as_(world.company_user), report=report)
    assert "氨氮" in str(refused.value)
    assert EmissionReport.objects.get(pk=report.pk).status == ReportStatus.DRAFT


def test_a_correction_may_give_its_note_when_it_is_submitted(world, p, filled):
    report = filled()
    svc.report_submit(actor=as_(world.company_user), report=report)
    svc.report_return(actor=as_(world.reviewer), report=report, reason="VOCs 偏低")
    report.refresh_from_db()
    svc.report_submit(actor=as_(world.company_user), report=report, note="VOCs 按物料衡算复核")
    report.refresh_from_db()
    assert report.status == ReportStatus.RESUBMITTED
    assert report.current_version.change_note == "VOCs 按物料衡算复核"
