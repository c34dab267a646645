"""Reserve fixtures: pollutants, lots in the zones, and a helper that drafts an application (with
the basis and balance plan a review needs, RES-2, unless told otherwise)."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from tests.ledger_helpers import open_stock
from tests.reductions.conftest import pdf
from totalquota.registry.models import Pollutant
from totalquota.reserve import services

_keys = itertools.count(1)
T = 1_000_000  # grams in a tonne


@pytest.fixture
def p(db):
    return {x.code: x for x in Pollutant.objects.all()}


@pytest.fixture
def stock(world, p):
    """Put ``grams`` of ``code`` into ``zone``'s reserve as one lot (an opening balance)."""

    def put(zone, code, grams, *, on=dt.date(2024, 1, 1)):
        return open_stock(
            world.admin, zone, p[code], grams, key=f"test:{next(_keys)}", on=on, label="测试期初储备"
        )

    return put


def line(pollutant, *, project_env, plant_env=None, new=None, project_sewer=0, plant_sewer=0):
    return {
        "pollutant": pollutant,
        "project_env_grams": project_env,
        "plant_env_grams": plant_env if plant_env is not None else project_env,
        "new_discharge_grams": new if new is not None else project_env,
        "project_sewer_grams": project_sewer,
        "plant_sewer_grams": plant_sewer,
    }


def add_review_documents(application, actor):
    """The basis and the balance plan (RES-2) of ``application``, uploaded by ``actor``: two real
    PDFs, distinct per application."""
    for kind, name in (("basis", "立项依据.pdf"), ("balance_plan", "总量平衡方案.pdf")):
        services.document_add(
            actor=actor,
            application=application,
            kind=kind,
            upload=pdf(name, f"{application.code}-{kind}".encode()),
        )
    return application


@pytest.fixture
def draft(world):
    def make(lines, *, actor=None, enterprise=None, name="年产 500 万片电路板扩建项目", documents=True):
        actor = actor or world.company_user.principal
        application = services.application_create(
            actor=actor,
            enterprise=enterprise or world.company,
            project_name=name,
            location="苏州工业园区星湖街 1 号",
            eia_reference="苏园环建〔2026〕12号",
            lines=lines,
        )
        return add_review_documents(application, actor) if documents else application

    return make
