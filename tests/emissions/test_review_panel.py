"""The review panel a report's page includes (TOT-3): the side-by-side table (each source's figure
or "no data", the difference and the tolerance, flagged cells marked), the flags and opinions of
each version, the opinion form for those who may write one; a fixed number of queries."""

from __future__ import annotations

from django.db import connection
from django.template import engines
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.emissions.conftest import T, line
from tests.emissions.helpers_review import imported, opinion, submitted


def render_panel(report, user):
    """The include as the report's page renders it: with ``report`` and ``request`` only."""
    request = RequestFactory().get("/emissions/reports/1/")
    request.user = user
    template = engines["django"].from_string('{% include "emissions/_review_panel.html" %}')
    return template.render({"report": report}, request)


def test_the_panel_sets_the_figures_side_by_side_and_marks_what_is_flagged(world, p, filled):
    imported(world, "statistics", (world.company.uscc, "COD", "20"))
    imported(world, "online", (world.company.uscc, "COD", "10.1"), source="在线监测")
    report = submitted(world, filled, line(p["COD"], 10 * T), line(p["VOCS"], 3 * T))
    opinion(world, report)
    html = render_panel(report, world.reviewer)
    assert 'id="side-by-side"' in html
    cod = html[html.index('data-pollutant="COD"') :]
    cod = cod[: cod.index("</tr>")]
    assert 'flagged" data-source="statistics"' in cod and "超出偏差" in cod
    assert 'data-source="online"' in cod and "允许偏差 0.5<" in cod
    assert "无数据" in cod  # disclosure, execution report
    assert "实际排放量 10 t/a，环境统计 20 t/a" in html  # the flag, explained
    assert "数据可信" in html  # the opinion
    assert 'id="opinion-form"' in html  # a reviewer may write one too
    assert 'id="opinion-form"' not in render_panel(report, world.company_user)
    assert 'id="opinion-form"' not in render_panel(report, world.officer)


def test_the_panel_takes_the_same_queries_however_many_versions_and_opinions(world, p, filled):
    report = submitted(world, filled, line(p["COD"], 10 * T))
    render_panel(report, world.reviewer)
    with CaptureQueriesContext(connection) as few:
        render_panel(report, world.reviewer)
    for author in (world.third_party, world.reviewer, world.reviewer2):
        opinion(world, report, author=author)
    with CaptureQueriesContext(connection) as many:
        render_panel(report, world.reviewer)
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_review_page_in_english_explains_the_flag_in_english(world, p, filled):
    imported(world, "statistics", (world.company.uscc, "COD", "12"))
    report = submitted(world, filled, line(p["COD"], 10 * T))
    c = Client(HTTP_ACCEPT_LANGUAGE="en")
    c.cookies["django_language"] = "en"
    c.force_login(world.reviewer)
    html = c.get(reverse("emissions:review_report", args=[report.pk])).content.decode()
    assert "actual emission 10 t/a, Environmental statistics 12 t/a: a difference of 2 t/a (20%)" in html
