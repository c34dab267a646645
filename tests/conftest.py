"""Shared fixtures: a small park with a persona for every role.

Personas read as people: ``world.officer`` is the zone officer of zone A, ``world.other_officer``
works in zone B, ``world.company_user`` is the staff of ``world.company`` (zone A), and so on.
"""

from __future__ import annotations

import datetime as dt
import importlib
from dataclasses import dataclass
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.conf import settings as django_settings
from django.db.backends.postgresql.base import DatabaseWrapper as PostgresWrapper
from django.db.backends.sqlite3.base import DatabaseWrapper as SqliteWrapper
from django.db.models.signals import post_migrate
from django.utils import translation

from tests.factories import EnterpriseFactory, UserFactory, ZoneFactory
from totalquota.accounts.roles import Role
from totalquota.common import append_only


def _flush_through_triggers(cls, vendor: str) -> None:
    """Test databases are emptied between transactional tests with DELETE/TRUNCATE, which the
    append-only triggers refuse; around the flush (and only in tests) lift and restore them."""
    original = cls.sql_flush

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        statements = original(
            self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
        )
        guarded = sorted(set(tables) & append_only.APPEND_ONLY_TABLES)
        if not statements or not guarded:
            return statements
        before = [sql for t in guarded for sql in append_only.drop_sql(vendor, t)]
        after = [sql for t in guarded for sql in append_only.create_sql(vendor, t)]
        return before + list(statements) + after

    cls.sql_flush = sql_flush


_flush_through_triggers(SqliteWrapper.ops_class, "sqlite")
_flush_through_triggers(PostgresWrapper.ops_class, "postgresql")


# Reference data that data migrations seed (pollutants, rule parameters, factors). A transactional
# test (browser, concurrency) empties the database when it ends; Django then sends post_migrate, and
# this puts the reference data back, so later tests find it. Every seed is idempotent.
REFERENCE_SEEDS = [
    ("totalquota.registry.migrations.0002_pollutants", "forwards"),
    ("totalquota.registry.migrations.0004_working_day_calendar_2021_2026", "forwards"),
    ("totalquota.reductions.migrations.0002_rules_and_factors", "forwards"),
    ("totalquota.ledger.migrations.0002_append_only_and_rules", "seed_rules"),
    ("totalquota.reserve.migrations.0002_rules_and_append_only", "forwards"),
    ("totalquota.reserve.migrations.0008_recovery_answer_days", "forwards"),
    ("totalquota.reserve.migrations.0011_forecast_rules", "forwards"),
    ("totalquota.emissions.migrations.0004_rules_and_history", "forwards"),
    ("totalquota.enforcement.migrations.0002_rules_and_history", "forwards"),
]


def reseed_reference_data(**_kwargs) -> None:
    for module, function in REFERENCE_SEEDS:
        getattr(importlib.import_module(module), function)(django_apps, None)


def _reseed_after_flush(sender, app_config=None, **kwargs) -> None:
    if app_config is not None and app_config.label == "registry":  # once per flush
        reseed_reference_data()


post_migrate.connect(_reseed_after_flush, dispatch_uid="tests-reseed-reference-data")


@dataclass
class World:
    zone_a: Any
    zone_b: Any
    company: Any
    other_company: Any
    admin: Any
    reviewer: Any
    reviewer2: Any
    leader: Any
    partner: Any
    officer: Any
    other_officer: Any
    third_party: Any
    company_user: Any
    other_company_user: Any
    client: Any

    def persona(self, role: str) -> Any:
        return {
            Role.ADMIN: self.admin,
            Role.REVIEWER: self.reviewer,
            Role.LEADER: self.leader,
            Role.PARTNER: self.partner,
            Role.ZONE_OFFICER: self.officer,
            Role.THIRD_PARTY: self.third_party,
            Role.ENTERPRISE: self.company_user,
            Role.SYSTEM: self.client,
        }[Role(role)]


@pytest.fixture
def world(db) -> World:
    zone_a = ZoneFactory(code="A", name="高端制造与国际贸易区", sort_order=1)
    zone_b = ZoneFactory(code="B", name="独墅湖科教创新区", sort_order=2)
    zone_c = ZoneFactory(code="C", name="金鸡湖商务区", sort_order=3)
    company = EnterpriseFactory(zone=zone_a, name="苏州甲电子有限公司")
    other_company = EnterpriseFactory(zone=zone_b, name="苏州乙医药有限公司")
    return World(
        zone_a=zone_a,
        zone_b=zone_b,
        company=company,
        other_company=other_company,
        admin=UserFactory(username="admin", role=Role.ADMIN),
        reviewer=UserFactory(username="reviewer", role=Role.REVIEWER),
        reviewer2=UserFactory(username="reviewer2", role=Role.REVIEWER),
        leader=UserFactory(username="leader", role=Role.LEADER),
        partner=UserFactory(username="partner", role=Role.PARTNER),
        officer=UserFactory(username="officer_a", role=Role.ZONE_OFFICER, zone=zone_a),
        other_officer=UserFactory(username="officer_b", role=Role.ZONE_OFFICER, zone=zone_b),
        third_party=UserFactory(username="third", role=Role.THIRD_PARTY, assigned_zones=[zone_a, zone_c]),
        company_user=UserFactory(username="company", role=Role.ENTERPRISE, enterprise=company),
        other_company_user=UserFactory(
            username="other_company", role=Role.ENTERPRISE, enterprise=other_company
        ),
        client=UserFactory(username="client", role=Role.SYSTEM),
    )


@pytest.fixture(autouse=True)
def chinese_by_default():
    """Every test starts in the source language: a request in English leaves English active in
    the thread, and messages are translated where they are raised."""
    with translation.override(django_settings.LANGUAGE_CODE):
        yield


@pytest.fixture(autouse=True)
def no_api_rate_limit(settings):
    """No API rate limit unless a test sets one (tests/api/test_rate_limits.py): test ids are reused
    between tests, so counts kept in the cache would carry over from one test to the next."""
    settings.API_RATE_LIMIT = ""


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    """Uploaded files (evidence, imports) go to the test's own directory, never to var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"


# The audit chain's key in tests: fixed, and never the keyring file under var/.
TEST_AUDIT_KEYS = "test-1:" + "5a" * 32


@pytest.fixture(autouse=True)
def audit_test_key(settings, tmp_path):
    settings.AUDIT_HMAC_KEYS = TEST_AUDIT_KEYS
    settings.AUDIT_KEY_FILE = tmp_path / "keys" / "audit.keys"
    settings.AUDIT_DIGEST = "sha256"
    settings.AUDIT_CHAIN_DELAY_MS = 0  # chained in the commit's own hook: tests see it at once


@pytest.fixture
def today() -> dt.date:
    return dt.date(2026, 11, 28)


def pytest_collection_modifyitems(config, items):
    """Tests marked ``postgres_only`` (row locks, real concurrency) are skipped on SQLite, which
    serialises writers by design; one place instead of a guard in every test."""
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        return
    skip = pytest.mark.skip(
        reason="row locks and real concurrency need PostgreSQL; SQLite serialises writers by design"
    )
    for item in items:
        if item.get_closest_marker("postgres_only"):
            item.add_marker(skip)
