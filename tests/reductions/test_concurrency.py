"""Row locks under real concurrency (PostgreSQL): two people acting at once never both succeed
where only one may."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from tests.reductions.conftest import ready_project
from totalquota.lib.errors import DomainError
from totalquota.reductions import selectors, services
from totalquota.reductions.models import ProjectTransition

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]


def race(*calls):
    """Run ``calls`` at the same moment in threads; returns what each returned or raised."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait()
            results[i] = call()
        except DomainError as exc:
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_two_reviewers_deciding_at_once_leave_exactly_one_decision(world, today):
    project = ready_project(world, today)
    services.project_submit(actor=world.officer.principal, project=project)
    results = race(
        lambda: services.project_approve(actor=world.reviewer.principal, project=project),
        lambda: services.project_reject(actor=world.reviewer2.principal, project=project, reason="不符合"),
    )
    assert sum(isinstance(r, DomainError) for r in results) == 1
    decisions = ProjectTransition.objects.filter(project=project, action__in=["approve", "reject"])
    assert decisions.count() == 1


def test_two_usage_marks_for_the_whole_line_at_once_book_it_only_once(world, today):
    project = ready_project(world, today)
    services.project_submit(actor=world.officer.principal, project=project)
    services.project_approve(actor=world.reviewer.principal, project=project)
    line = project.lines.get()
    results = race(
        lambda: services.usage_mark(
            actor=world.reviewer.principal, line=line, kind="sold", reference="合同 1", used_on=today
        ),
        lambda: services.usage_mark(
            actor=world.admin.principal, line=line, kind="offset", reference="批复 2", used_on=today
        ),
    )
    assert sum(isinstance(r, DomainError) for r in results) == 1
    assert selectors.line_usage(line).excluded_grams == line.reduction_grams == 2_500_000
