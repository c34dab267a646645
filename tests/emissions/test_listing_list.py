"""The management list (TOT-1): proposals from the registry, adding, editing, removing and
restoring with and without reasons before and after the deadline, the history, and who may."""

from __future__ import annotations

import pytest

from tests.emissions.conftest import YEAR, as_
from tests.emissions.helpers_listing import AFTER_DEADLINE, clock_fixture, put_on_list  # noqa: F401
from tests.factories import EnterpriseFactory
from totalquota.audit.models import AuditEvent
from totalquota.emissions.models import EmissionReport, ListChange, ListEntry
from totalquota.emissions.services import listing
from totalquota.emissions.services.reports import report_create
from totalquota.lib.errors import Conflict, Forbidden, ValidationFailed
from totalquota.registry.models import ManagementCategory

KEY, SIMPLE, REG = ManagementCategory.KEY, ManagementCategory.SIMPLIFIED, ManagementCategory.REGISTRATION


@pytest.fixture
def registry(world):
    """Units of zone A and B of every category, with and without a permit, in two industries."""
    a_key = EnterpriseFactory(
        zone=world.zone_a,
        name="甲区重点电镀",
        management_category=KEY,
        industry_code="C3360",
        industry_name="金属表面处理",
    )
    a_reg = EnterpriseFactory(
        zone=world.zone_a,
        name="甲区登记印刷",
        management_category=REG,
        permit_number="",
        industry_code="C2319",
        industry_name="包装装潢印刷",
    )
    b_key = EnterpriseFactory(
        zone=world.zone_b,
        name="乙区重点化工",
        management_category=KEY,
        industry_code="C2614",
        industry_name="有机化学原料制造",
    )
    return {"a_key": a_key, "a_reg": a_reg, "b_key": b_key}


def names(qs):
    return sorted(u.name for u in qs)


def test_a_proposal_filters_the_registry_by_category_zone_permit_and_industry(world, registry, clock):
    bureau = as_(world.admin)
    assert names(listing.list_candidates(actor=bureau, year=YEAR, categories=[KEY])) == [
        "乙区重点化工",
        "甲区重点电镀",
    ]
    assert names(listing.list_candidates(actor=bureau, year=YEAR, zone=world.zone_b)) == sorted(
        ["乙区重点化工", world.other_company.name]
    )
    assert "甲区登记印刷" not in names(listing.list_candidates(actor=bureau, year=YEAR, permit_holders=True))
    assert names(listing.list_candidates(actor=bureau, year=YEAR, permit_holders=False)) == ["甲区登记印刷"]
    assert names(listing.list_candidates(actor=bureau, year=YEAR, industry="C33")) == ["甲区重点电镀"]
    assert names(listing.list_candidates(actor=bureau, year=YEAR, industry="印刷")) == ["甲区登记印刷"]


def test_a_proposal_leaves_out_units_already_on_the_list_and_a_zone_officer_sees_their_zone(
    world, registry, clock
):
    put_on_list(world, registry["a_key"])
    officer = names(listing.list_candidates(actor=as_(world.officer), year=YEAR))
    assert officer == sorted([world.company.name, "甲区登记印刷"])
    # Another year's list is separate.
    assert "甲区重点电镀" in names(listing.list_candidates(actor=as_(world.officer), year=YEAR + 1))


def test_adding_lists_the_units_with_their_basis_and_keeps_a_change_and_an_audit_event(
    world, registry, clock
):
    entries = put_on_list(world, registry["a_key"], world.company)
    assert {e.enterprise.name for e in entries} == {"甲区重点电镀", world.company.name}
    entry = ListEntry.objects.get(enterprise=registry["a_key"], year=YEAR)
    assert entry.listed and entry.basis == "重点管理排污许可证" and entry.zone == world.zone_a
    change = entry.changes.get()
    assert change.action == "add" and change.before == {} and change.after["basis"] == "重点管理排污许可证"
    assert change.actor == world.admin and change.role == "admin" and not change.after_deadline
    assert AuditEvent.objects.filter(action="emissions.list_add", object_id=str(entry.pk)).exists()


def test_adding_needs_a_basis_and_refuses_a_unit_listed_already(world, clock):
    with pytest.raises(ValidationFailed):
        put_on_list(world, basis="  ")
    put_on_list(world)
    with pytest.raises(Conflict):
        put_on_list(world, world.company, world.other_company)
    assert ListEntry.objects.count() == 1 and ListChange.objects.count() == 1


def test_a_zone_officer_cannot_list_another_zones_unit(world, clock):
    with pytest.raises(Forbidden):
        put_on_list(world, world.company, world.other_company, by=world.officer)
    assert not ListEntry.objects.exists()
    put_on_list(world, world.company, by=world.officer)
    assert ListEntry.objects.get().added_by == world.officer


def test_a_removal_always_needs_a_reason(world, clock):
    entry = put_on_list(world)
    with pytest.raises(ValidationFailed):
        listing.list_remove(actor=as_(world.officer), entry=entry, reason=" ")
    entry.refresh_from_db()
    assert entry.listed and entry.changes.count() == 1
    listing.list_remove(actor=as_(world.officer), entry=entry, reason="已停产关闭")
    entry.refresh_from_db()
    assert not entry.listed and entry.removed_reason == "已停产关闭" and entry.removed_by == world.officer
    change = entry.changes.latest("pk")
    assert change.action == "remove" and change.before["listed"] and not change.after["listed"]


def test_before_the_deadline_edit_and_restore_need_no_reason(world, clock):
    entry = put_on_list(world)
    listing.list_edit(actor=as_(world.officer), entry=entry, basis="简化管理排污许可证")
    listing.list_remove(actor=as_(world.officer), entry=entry, reason="误列")
    listing.list_restore(actor=as_(world.officer), entry=entry)
    entry.refresh_from_db()
    assert entry.listed and entry.basis == "简化管理排污许可证" and entry.removed_reason == ""
    assert list(entry.changes.order_by("pk").values_list("action", "after_deadline")) == [
        ("add", False),
        ("edit", False),
        ("remove", False),
        ("restore", False),
    ]


def test_after_the_deadline_every_change_needs_a_reason_and_is_marked(world, clock):
    entry = put_on_list(world)
    other = EnterpriseFactory(zone=world.zone_a)
    clock(AFTER_DEADLINE)
    for attempt in (
        lambda: listing.list_edit(actor=as_(world.officer), entry=entry, basis="新依据"),
        lambda: put_on_list(world, other, by=world.officer),
    ):
        with pytest.raises(ValidationFailed):
            attempt()
    assert ListEntry.objects.count() == 1 and ListChange.objects.count() == 1
    listing.list_remove(actor=as_(world.officer), entry=entry, reason="已停产")
    with pytest.raises(ValidationFailed):
        listing.list_restore(actor=as_(world.officer), entry=entry)
    listing.list_restore(actor=as_(world.officer), entry=entry, reason="恢复生产")
    put_on_list(world, other, by=world.officer, reason="新投产单位补列")
    late = ListChange.objects.filter(after_deadline=True)
    assert sorted(late.values_list("action", flat=True)) == ["add", "remove", "restore"]
    assert set(late.values_list("reason", flat=True)) == {"已停产", "恢复生产", "新投产单位补列"}


def test_a_zone_extension_of_the_list_deadline_lets_changes_go_without_a_reason(world, clock):
    import datetime as dt

    entry = put_on_list(world)
    listing.deadline_extend(
        actor=as_(world.reviewer),
        kind="list",
        year=YEAR,
        zone=world.zone_a,
        due_on=dt.date(2026, 3, 31),
        reason="机构调整",
    )
    clock(AFTER_DEADLINE)
    listing.list_edit(actor=as_(world.officer), entry=entry, basis="新依据")
    assert not entry.changes.latest("pk").after_deadline


def test_a_zone_officer_cannot_remove_a_unit_that_opened_its_report_but_the_bureau_can(world, clock):
    import datetime as dt

    clock(dt.date(2026, 3, 2))
    entry = put_on_list(world, reason="补列")
    report_create(actor=as_(world.company_user), enterprise=world.company, year=YEAR)
    with pytest.raises(Forbidden):
        listing.list_remove(actor=as_(world.officer), entry=entry, reason="误列")
    entry.refresh_from_db()
    assert entry.listed
    listing.list_remove(actor=as_(world.reviewer), entry=entry, reason="误列，经生态环境局核实")
    entry.refresh_from_db()
    assert not entry.listed and EmissionReport.objects.filter(entry=entry).exists()
    assert entry.changes.latest("pk").after["had_report"] is True


def test_removing_twice_and_restoring_a_listed_unit_are_conflicts(world, clock):
    entry = put_on_list(world)
    with pytest.raises(Conflict):
        listing.list_restore(actor=as_(world.admin), entry=entry)
    listing.list_remove(actor=as_(world.admin), entry=entry, reason="关闭")
    with pytest.raises(Conflict):
        listing.list_remove(actor=as_(world.admin), entry=entry, reason="关闭")
    assert entry.changes.count() == 2


def test_a_zone_officer_cannot_change_another_zones_entry(world, clock):
    entry = put_on_list(world, world.other_company)
    with pytest.raises(Forbidden):
        listing.list_remove(actor=as_(world.officer), entry=entry, reason="不属本区")
    with pytest.raises(Forbidden):
        listing.list_edit(actor=as_(world.officer), entry=entry, basis="x")
    assert entry.changes.count() == 1


def test_the_history_is_append_only(world, clock):
    from django.db import DatabaseError, transaction

    entry = put_on_list(world)
    with pytest.raises(DatabaseError), transaction.atomic():
        ListChange.objects.filter(entry=entry).update(reason="改写")
    assert entry.changes.get().reason == ""
