"""The demo park's reduction library: every type and status, made through the services."""

from __future__ import annotations

import importlib
import random

import pytest
from django.utils import timezone

from totalquota.demo.context import STEPS, DemoContext
from totalquota.reductions import selectors
from totalquota.reductions.models import Evidence, LineUsage, ProjectStatus, ProjectType, ReductionProject

pytestmark = pytest.mark.django_db


def test_the_demo_has_projects_of_every_type_and_status_with_evidence_and_usage_marks():
    assert STEPS.index("totalquota.demo.reductions") > STEPS.index("totalquota.demo.accounts")
    ctx = DemoContext(rng=random.Random(20211), today=timezone.localdate())
    ctx["enterprise_count"] = 60
    for name in ("totalquota.demo.registry", "totalquota.demo.accounts", "totalquota.demo.reductions"):
        importlib.import_module(name).seed(ctx)
    assert set(ReductionProject.objects.values_list("status", flat=True)) == set(ProjectStatus.values)
    assert set(ReductionProject.objects.values_list("project_type", flat=True)) == set(ProjectType.values)
    assert ReductionProject.objects.values("zone").distinct().count() == 4
    assert ReductionProject.objects.filter(enterprise__isnull=True).exists()
    assert LineUsage.objects.exists()
    kinds = set(Evidence.objects.values_list("content_type", flat=True))
    assert {"application/pdf", "image/png"} <= kinds
    # Declared today, in the round open today: nothing is overdue; a few drafts of a closed year
    # are late declarations, one of them accepted by the bureau (RED-3).
    today = timezone.localdate()
    declared = ReductionProject.objects.exclude(status__in=["suggested", "declined"])
    assert set(declared.values_list("declared_on", flat=True)) == {today}
    assert set(declared.values_list("round", flat=True)) == {selectors.open_round(today).pk}
    assert not ReductionProject.objects.filter(selectors.overdue_q(today)).exists()
    late = declared.filter(late_declaration=True)
    assert late.exists() and set(late.values_list("status", flat=True)) == {"draft"}
    assert late.filter(late_accepted_at__isnull=False).count() == 1
