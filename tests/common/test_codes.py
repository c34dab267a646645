"""Record codes from the row's own id (gaps allowed, never a collision) and gapless document numbers."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.utils import timezone

from tests.reserve.conftest import line
from tests.thread_helpers import run_at_once
from totalquota.common.codes import document_code, document_number, record_code, reserve_id
from totalquota.common.models import DocumentCounter
from totalquota.ledger import services as ledger
from totalquota.ledger.models import Account, AccountKind
from totalquota.registry.models import Pollutant
from totalquota.reserve import services
from totalquota.reserve.models import QuotaApplication


class Boom(Exception):
    pass


def _create(world, name="扩建项目"):
    vocs = Pollutant.objects.get(code="VOCS")
    return services.application_create(
        actor=world.company_user.principal,
        enterprise=world.company,
        project_name=name,
        location="苏州工业园区星湖街 1 号",
        eia_reference="苏园环建〔2026〕12号",
        lines=[line(vocs, project_env=100_000)],
    )


@pytest.mark.django_db
def test_an_application_code_is_its_own_number_and_a_rolled_back_create_is_not_kept(world):
    first = _create(world)
    year = timezone.localdate().year
    assert first.code == f"ZL{year}-{first.pk:04d}"
    with pytest.raises(Boom), transaction.atomic():
        _create(world, "作废的草稿")
        raise Boom
    second = _create(world)
    # On PostgreSQL the rolled-back create used its number up (a gap); SQLite's counter rolls back too.
    if connection.vendor == "postgresql":
        assert second.pk > first.pk + 1
    else:
        assert second.pk == first.pk + 1
    assert second.code == f"ZL{year}-{second.pk:04d}"
    assert QuotaApplication.objects.count() == 2


@pytest.mark.django_db
def test_account_codes_keep_their_format_with_the_accounts_own_number(world):
    vocs = Pollutant.objects.get(code="VOCS")
    today = timezone.localdate()
    accounts = [
        ledger.account_open(
            actor=world.admin.principal,
            zone=world.zone_a,
            pollutant=vocs,
            kind=AccountKind.ALLOCATION,
            holder_enterprise=world.company,
            opened_on=today,
        )
        for _ in range(2)
    ]
    assert [a.code for a in accounts] == [f"A-A-VOCS-{today.year}-{a.pk:04d}" for a in accounts]
    assert len({a.code for a in accounts}) == 2
    assert Account.objects.filter(code__in=[a.code for a in accounts]).count() == 2


def test_record_code_pads_and_never_truncates():
    assert record_code("ZL2026-", 42) == "ZL2026-0042"
    assert record_code("ZL2026-", 123456) == "ZL2026-123456"
    assert record_code("JP2026-", 17, width=5) == "JP2026-00017"


@pytest.mark.django_db(transaction=True)
def test_numbers_are_taken_only_inside_a_transaction():
    with pytest.raises(RuntimeError):
        reserve_id(QuotaApplication)
    with pytest.raises(RuntimeError):
        document_number("approval", 2026)


@pytest.mark.django_db
def test_document_numbers_are_gapless_per_kind_and_year_and_a_rollback_gives_its_number_back():
    with transaction.atomic():
        assert [document_number("approval", 2026) for _ in range(3)] == [1, 2, 3]
        assert document_number("approval", 2027) == 1
        assert document_number("recovery", 2026) == 1
    with pytest.raises(Boom), transaction.atomic():
        assert document_number("approval", 2026) == 4
        raise Boom  # the document was not issued: its number is not used up
    with transaction.atomic():
        assert document_number("approval", 2026) == 4
    assert DocumentCounter.objects.get(kind="approval", year=2026).last == 4
    assert document_code("苏园环审", 2026, 4) == "苏园环审〔2026〕4号"
    with pytest.raises(ValueError), transaction.atomic():
        document_number("  ", 2026)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_parallel_issuers_get_distinct_gapless_numbers_even_when_some_roll_back():
    workers = 12

    def issue(n: int) -> tuple[str, int]:
        try:
            with transaction.atomic():
                number = document_number("approval", 2026)
                if n % 3 == 0:
                    raise Boom(number)
        except Boom:
            return "rolled_back", number
        return "committed", number

    outcomes = run_at_once(issue, workers)
    committed = [number for kind, number in outcomes if kind == "committed"]
    rolled_back = [number for kind, number in outcomes if kind == "rolled_back"]
    assert len(rolled_back) == workers // 3
    # Whatever the interleaving, the issued documents are numbered 1..k without a gap or a repeat.
    assert sorted(committed) == list(range(1, len(committed) + 1))
    assert DocumentCounter.objects.get(kind="approval", year=2026).last == len(committed)
