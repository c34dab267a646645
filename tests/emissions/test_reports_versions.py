"""Random sequences of versions of several reports, checked after every step against a small model.

Units of two zones edit their lines with random figures, submit, are returned, resubmit, are
accepted, reopened, corrected and accepted again; wrong-state actions are tried too and must change
nothing. After each step: what is computed from a report (``selectors.accepted_lines`` and the
``accepted`` figures of the API's detail) equals the accepted version's lines exactly, drafts and
submitted-but-not-accepted versions never leak into it, a zone's totals equal the sum of its
reports' accepted versions (each report once, however often corrected), and every figure is an int
of grams, never a float.
"""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from tests.emissions.conftest import YEAR, as_, line, listed
from tests.factories import EnterpriseFactory, UserFactory
from totalquota.accounts.roles import Role
from totalquota.emissions import selectors, versions
from totalquota.emissions.models import EmissionReport, ReportLine, TechnicalOpinion
from totalquota.emissions.services import reports as svc
from totalquota.lib.errors import Conflict, DomainError
from totalquota.registry.models import Pollutant

pytestmark = pytest.mark.django_db

CODES = ("COD", "NH3N", "VOCS", "PB")
# Grams: from nothing to a million tonnes, with the edges (0, 1 g) likely.
GRAMS = st.one_of(st.sampled_from([0, 1, 999_999, 1_000_000]), st.integers(0, 10**12))
FIGURES = st.dictionaries(st.sampled_from(CODES), st.tuples(GRAMS, st.one_of(st.none(), GRAMS)), min_size=1)

Lines = dict[str, tuple[int, int | None]]  # pollutant code -> (actual, sewer) grams


class ReportVersions(RuleBasedStateMachine):
    """The model: per report, its status and versions (each a dict of lines), which one is current,
    which one is accepted, and whether the current one has a change note."""

    world = None
    units: list = []

    def __init__(self):
        super().__init__()
        self.savepoint = transaction.savepoint()
        self.pollutants = {p.code: p for p in Pollutant.objects.filter(code__in=CODES)}
        self.reports: list[EmissionReport] = []
        self.model: list[dict] = []

    def teardown(self):
        transaction.savepoint_rollback(self.savepoint)

    @initialize()
    def open_reports(self):
        for enterprise, user in self.units:
            report = svc.report_create(actor=as_(user), enterprise=enterprise, year=YEAR)
            self.reports.append(report)
            self.model.append(
                {"status": "draft", "versions": [{}], "current": 0, "accepted": None, "noted": False}
            )

    # --- helpers -------------------------------------------------------------------------------
    def user_of(self, i: int):
        return self.units[i][1]

    def fresh(self, i: int) -> EmissionReport:
        self.reports[i] = EmissionReport.objects.get(pk=self.reports[i].pk)
        return self.reports[i]

    def refused(self, i: int, call) -> None:
        """A wrong-state action: a conflict, and nothing about the report changes."""
        before = self.snapshot(i)
        with pytest.raises(DomainError) as caught:
            call()
        assert isinstance(caught.value, Conflict) or caught.value.status in (409, 422)
        assert self.snapshot(i) == before

    def snapshot(self, i: int):
        r = self.fresh(i)
        return (
            r.status,
            r.current_version_id,
            r.accepted_version_id,
            sorted(
                ReportLine.objects.filter(version__report=r).values_list(
                    "version_id", "pollutant_id", "actual_grams"
                )
            ),
        )

    def line_inputs(self, figures: Lines):
        water = {"COD", "NH3N"}
        return [
            line(self.pollutants[code], actual, sewer_grams=sewer if code in water else None)
            for code, (actual, sewer) in figures.items()
        ]

    # --- rules ---------------------------------------------------------------------------------
    @rule(i=st.integers(0, 2), figures=FIGURES)
    def edit(self, i, figures):
        m = self.model[i]
        report = self.fresh(i)
        call = lambda: svc.report_lines_save(  # noqa: E731
            actor=as_(self.user_of(i)),
            report=report,
            lines=self.line_inputs(figures),
            change_note=f"第 {m['current'] + 1} 版更正" if m["current"] > 0 else None,
        )
        if m["status"] not in ("draft", "returned"):
            self.refused(i, call)
            return
        call()
        water = {"COD", "NH3N"}
        m["versions"][m["current"]] = {
            code: (actual, sewer if code in water else None) for code, (actual, sewer) in figures.items()
        }
        m["noted"] = True

    @rule(i=st.integers(0, 2))
    def submit(self, i):
        m = self.model[i]
        report = self.fresh(i)
        call = lambda: svc.report_submit(actor=as_(self.user_of(i)), report=report)  # noqa: E731
        editable = m["status"] in ("draft", "returned")
        complete = bool(m["versions"][m["current"]]) and (m["current"] == 0 or m["noted"])
        if not (editable and complete):
            self.refused(i, call)
            return
        call()
        m["status"] = "resubmitted" if m["current"] > 0 else "submitted"

    @rule(i=st.integers(0, 2))
    def return_(self, i):
        m = self.model[i]
        report = self.fresh(i)
        call = lambda: svc.report_return(actor=as_(self.world.reviewer), report=report, reason="请核实")  # noqa: E731
        if m["status"] not in ("submitted", "resubmitted"):
            self.refused(i, call)
            return
        call()
        self.open_next(m, "returned")

    @rule(i=st.integers(0, 2))
    def accept(self, i):
        m = self.model[i]
        report = self.fresh(i)
        if m["status"] not in ("submitted", "resubmitted"):
            self.refused(i, lambda: svc.report_accept(actor=as_(self.world.reviewer2), report=report))
            return
        TechnicalOpinion.objects.create(
            report=report,
            version=report.current_version,
            author=self.world.third_party,
            conclusion="accept",
            text="可信",
        )
        svc.report_accept(actor=as_(self.world.reviewer2), report=report)
        m["status"] = "accepted"
        m["accepted"] = m["current"]

    @rule(i=st.integers(0, 2))
    def reopen(self, i):
        m = self.model[i]
        report = self.fresh(i)
        call = lambda: svc.report_reopen(actor=as_(self.world.reviewer), report=report, reason="更正")  # noqa: E731
        if m["status"] != "accepted":
            self.refused(i, call)
            return
        call()
        self.open_next(m, "returned")

    def open_next(self, m: dict, status: str) -> None:
        m["versions"].append(dict(m["versions"][m["current"]]))
        m["current"] += 1
        m["status"] = status
        m["noted"] = False

    # --- what must always hold -------------------------------------------------------------------
    def accepted_model(self, i: int) -> Lines:
        m = self.model[i]
        return {} if m["accepted"] is None else m["versions"][m["accepted"]]

    @invariant()
    def computed_figures_follow_the_accepted_version_exactly(self):
        for i, report in enumerate(self.reports):
            report = self.fresh(i)
            m = self.model[i]
            assert report.status == m["status"]
            assert report.current_version.number == m["current"] + 1
            got = {
                x.pollutant.code: (x.actual_grams, x.sewer_grams)
                for x in selectors.accepted_lines(year=YEAR, enterprise=report.enterprise)
            }
            assert got == self.accepted_model(i)
            # Drafts and versions under review never leak: only the accepted version's rows count.
            rows = selectors.accepted_lines(year=YEAR, enterprise=report.enterprise)
            assert all(x.version_id == report.accepted_version_id for x in rows)
            current = {
                x.pollutant.code: (x.actual_grams, x.sewer_grams)
                for x in ReportLine.objects.filter(version_id=report.current_version_id).select_related(
                    "pollutant"
                )
            }
            assert current == m["versions"][m["current"]]

    @invariant()
    def the_apis_accepted_figures_are_the_accepted_versions_in_ints(self):
        if not self.reports:
            return
        for i, report in enumerate(self.reports):
            body = self.api.get(f"/api/v1/emission-reports/{report.pk}").json()
            got = {x["pollutant"]: (x["actual_grams"], x["sewer_grams"]) for x in body["accepted"]}
            assert got == self.accepted_model(i)
            for x in body["accepted"] + body["lines"]:
                for key in ("actual_grams", "sewer_grams", "permitted_grams", "allowed_grams"):
                    assert x[key] is None or type(x[key]) is int, (key, x[key])

    @invariant()
    def zone_totals_are_the_sum_of_accepted_versions_once_each(self):
        if not self.reports:
            return
        for zone in {r.zone for r in self.reports}:
            expected: dict[str, dict[str, int]] = {}
            for i, report in enumerate(self.reports):
                if report.zone_id != zone.pk:
                    continue
                for code, (actual, sewer) in self.accepted_model(i).items():
                    total = expected.setdefault(
                        code, {"actual_grams": 0, "sewer_grams": 0, "permitted_grams": 0}
                    )
                    total["actual_grams"] += actual
                    total["sewer_grams"] += sewer or 0
            got = versions.accepted_totals(year=YEAR, zone=zone)
            assert got == expected
            for figures in got.values():
                assert all(type(v) is int for v in figures.values())
        stored = ReportLine.objects.filter(version__report__in=[r.pk for r in self.reports])
        for actual, sewer in stored.values_list("actual_grams", "sewer_grams"):
            assert actual is None or type(actual) is int
            assert sewer is None or type(sewer) is int


def test_random_version_sequences_keep_every_computed_figure_on_the_accepted_version(world):
    # Three listed units: two in zone A (whose totals are summed together), one in zone B.
    third = EnterpriseFactory(zone=world.zone_a, name="苏州丙化工有限公司")
    third_user = UserFactory(username="third_unit", role=Role.ENTERPRISE, enterprise=third)
    units = [
        (world.company, world.company_user),
        (third, third_user),
        (world.other_company, world.other_company_user),
    ]
    for enterprise, _user in units:
        listed(world, enterprise)
    api = Client()
    api.force_login(world.reviewer)
    machine = type(
        "ReportVersionsInThisPark", (ReportVersions,), {"world": world, "units": units, "api": api}
    )
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=12, stateful_step_count=18, deadline=None, suppress_health_check=list(HealthCheck)
        ),
    )
