"""单位沿革: a unit renamed, given a new credit code, moved, merged, split, closed, reopened; each
keeps the earlier version with its dates, moves no quota, and a refusal changes nothing."""

import datetime as dt

import pytest

from tests.factories import EnterpriseFactory, credit_code
from totalquota.audit.models import AuditEvent
from totalquota.lib.errors import Forbidden, ValidationFailed
from totalquota.registry.models import ChangeKind, ChangeSource, Enterprise, UnitVersion
from totalquota.registry.selectors import merged_unit_ids, unit_name_on, unit_versions
from totalquota.registry.services import NewUnit, enterprise_update, unit_change

pytestmark = pytest.mark.django_db

DAY = dt.date(2024, 3, 1)


def change(world, kind, actor=None, enterprise=None, **values):
    values.setdefault("effective_on", DAY)
    values.setdefault("reason", "苏州市市场监督管理局变更登记通知书")
    return unit_change(
        actor=(actor or world.admin).principal, enterprise=enterprise or world.company, kind=kind, **values
    )


def state():
    """Everything a refused change could have written."""
    return (
        list(Enterprise.objects.order_by("pk").values()),
        UnitVersion.objects.count(),
        AuditEvent.objects.count(),
    )


def test_a_rename_keeps_the_old_name_with_its_dates(world):
    old = world.company.name
    version = change(world, ChangeKind.RENAME, name="苏州甲新能源科技有限公司")
    unit = Enterprise.objects.get(pk=world.company.pk)
    assert unit.name == "苏州甲新能源科技有限公司" and unit.uscc == world.company.uscc
    assert version.kind == ChangeKind.RENAME and version.effective_on == DAY
    assert version.recorded_by == world.admin and version.source == ChangeSource.BUREAU
    assert unit_name_on(unit, dt.date(2023, 12, 31)) == old
    assert unit_name_on(unit, DAY) == "苏州甲新能源科技有限公司"
    assert [(v.kind, v.name) for v in unit_versions(unit)] == [
        (ChangeKind.REGISTER, old),
        (ChangeKind.RENAME, "苏州甲新能源科技有限公司"),
    ]
    event = AuditEvent.objects.get(action="enterprise.rename", object_id=str(unit.pk))
    assert event.before["name"] == old and event.after["name"] == unit.name


def test_a_registered_unit_has_its_first_version_and_an_edit_appends_one(world):
    from totalquota.registry.services import enterprise_create

    code = credit_code(7001)
    unit = enterprise_create(
        actor=world.admin.principal, name="苏州丁化工有限公司", uscc=code, zone=world.zone_a
    )
    first = UnitVersion.objects.get(enterprise=unit)
    assert (first.kind, first.effective_on, first.name) == (
        ChangeKind.REGISTER,
        dt.date(2021, 1, 1),
        unit.name,
    )
    enterprise_update(actor=world.admin.principal, enterprise=unit, name="苏州丁新材料有限公司")
    kinds = list(UnitVersion.objects.filter(enterprise=unit).values_list("kind", "name"))
    assert kinds == [(ChangeKind.REGISTER, "苏州丁化工有限公司"), (ChangeKind.EDIT, "苏州丁新材料有限公司")]
    assert unit_name_on(unit, dt.date(2022, 1, 1)) == "苏州丁化工有限公司"
    enterprise_update(actor=world.admin.principal, enterprise=unit, address="新地址 2 号")
    assert UnitVersion.objects.filter(enterprise=unit).count() == 2  # the address is not versioned


def test_a_recode_checks_the_code_and_keeps_the_accounts(world):
    from totalquota.ledger.models import Account

    new_code = credit_code(7002)
    change(world, ChangeKind.RECODE, uscc_code=new_code)
    unit = Enterprise.objects.get(pk=world.company.pk)
    assert unit.uscc == new_code and unit.pk == world.company.pk
    assert list(UnitVersion.objects.filter(enterprise=unit).values_list("uscc", flat=True)) == [
        world.company.uscc,
        new_code,
    ]
    assert (
        not Account.objects.exclude(holder_enterprise=None)
        .exclude(holder_enterprise=unit)
        .filter(holder_enterprise__uscc=new_code)
        .exists()
    )


def test_a_move_changes_the_zone_and_moves_no_quota(world):
    from tests.ledger_helpers import open_stock
    from totalquota.ledger import services as ledger
    from totalquota.ledger.models import AccountKind, Posting
    from totalquota.ledger.selectors import zone_balance
    from totalquota.registry.models import Pollutant

    vocs = Pollutant.objects.get(code="VOCS")
    open_stock(world.admin, world.zone_a, vocs, 5_000_000, key="move")
    allocation = ledger.account_open(
        actor=world.admin.principal,
        zone=world.zone_a,
        pollutant=vocs,
        kind=AccountKind.ALLOCATION,
        holder_enterprise=world.company,
        opened_on=dt.date(2024, 1, 1),
        label="建设项目",
    )
    postings = Posting.objects.count()
    change(world, ChangeKind.MOVE, zone=world.zone_b)
    assert Enterprise.objects.get(pk=world.company.pk).zone == world.zone_b
    assert Posting.objects.count() == postings
    allocation.refresh_from_db()
    assert allocation.zone == world.zone_a and allocation.holder_enterprise == world.company
    assert zone_balance(world.zone_a, vocs).posted == 5_000_000
    assert zone_balance(world.zone_b, vocs).posted == 0
    # The zone's officers follow the unit: B's officer may now act on it, A's may not.
    with pytest.raises(Forbidden):
        change(world, ChangeKind.RENAME, actor=world.officer, name="另一个名称")
    change(world, ChangeKind.RENAME, actor=world.other_officer, name="苏州甲电子（B 区）有限公司")


def test_a_merge_closes_the_absorbed_unit_and_marks_it_merged_into_the_survivor(world):
    survivor = world.other_company
    change(world, ChangeKind.MERGE, survivor=survivor)
    absorbed = Enterprise.objects.get(pk=world.company.pk)
    assert not absorbed.is_active and absorbed.merged_into == survivor
    assert list(merged_unit_ids(survivor)) == [absorbed.pk]
    assert UnitVersion.objects.filter(enterprise=absorbed).last().related == survivor
    assert UnitVersion.objects.filter(enterprise=survivor).last().kind == ChangeKind.ABSORB
    # A merged unit cannot be reopened nor changed again.
    with pytest.raises(ValidationFailed, match="已被吸收合并"):
        change(world, ChangeKind.REOPEN)
    with pytest.raises(ValidationFailed, match="已注销"):
        change(world, ChangeKind.RENAME, name="新名称")


def test_a_split_creates_the_new_unit_with_its_own_code(world):
    code = credit_code(7003)
    version = change(world, ChangeKind.SPLIT, new_unit=NewUnit(name="苏州甲电池有限公司", uscc=code))
    new = Enterprise.objects.get(uscc=code)
    assert version.related == new and new.zone == world.company.zone and new.is_active
    assert new.permit_number == "" and new.management_category == "registration"
    assert new.industry_code == world.company.industry_code
    first = UnitVersion.objects.get(enterprise=new)
    assert (first.kind, first.related, first.effective_on) == (ChangeKind.SPLIT_OFF, world.company, DAY)
    assert Enterprise.objects.get(pk=world.company.pk).is_active


def test_close_and_reopen(world):
    change(world, ChangeKind.CLOSE)
    assert not Enterprise.objects.get(pk=world.company.pk).is_active
    change(world, ChangeKind.REOPEN, effective_on=dt.date(2024, 6, 1))
    assert Enterprise.objects.get(pk=world.company.pk).is_active
    assert list(UnitVersion.objects.filter(enterprise=world.company).values_list("is_active", flat=True)) == [
        True,
        False,
        True,
    ]


@pytest.mark.parametrize(
    ("kind", "values", "field", "fragment"),
    [
        (ChangeKind.RENAME, {"name": ""}, "name", "新的单位名称"),
        (ChangeKind.RENAME, {"name": "苏州甲电子有限公司"}, "name", "相同"),
        (ChangeKind.RENAME, {"name": "x", "reason": ""}, "reason", "依据"),
        (ChangeKind.RENAME, {"name": "x", "effective_on": dt.date(2020, 12, 31)}, "effective_on", "SCOPE-1"),
        (ChangeKind.RENAME, {"name": "x", "effective_on": dt.date(2099, 1, 1)}, "effective_on", "今天"),
        (ChangeKind.RECODE, {"uscc_code": "91320594MA00090010"}, "uscc", "校验"),
        (ChangeKind.MOVE, {"zone": None}, "zone", "功能区"),
        (ChangeKind.MERGE, {"survivor": None}, "survivor", "存续单位"),
        (ChangeKind.SPLIT, {"new_unit": NewUnit(name="", uscc="123")}, "new_unit.name", "不能为空"),
        (ChangeKind.REOPEN, {}, "kind", "无需恢复"),
        ("teleport", {}, "kind", "变更类型"),
    ],
)
def test_each_refusal_changes_nothing(world, kind, values, field, fragment):
    before = state()
    with pytest.raises(ValidationFailed, match=fragment) as info:
        change(world, kind, **values)
    assert info.value.field == field
    assert state() == before


def test_refusals_that_need_other_units(world):
    before = state()
    with pytest.raises(ValidationFailed, match="已属于另一家单位"):
        change(world, ChangeKind.RECODE, uscc_code=world.other_company.uscc)
    with pytest.raises(ValidationFailed, match="本身"):
        change(world, ChangeKind.MERGE, survivor=world.company)
    with pytest.raises(ValidationFailed, match="已属于另一家单位"):
        change(world, ChangeKind.SPLIT, new_unit=NewUnit(name="新单位", uscc=world.other_company.uscc))
    with pytest.raises(ValidationFailed, match="已在功能区"):
        change(world, ChangeKind.MOVE, zone=world.zone_a)
    closed = EnterpriseFactory(zone=world.zone_b, is_active=False)
    with pytest.raises(ValidationFailed, match="已注销"):
        change(world, ChangeKind.MERGE, survivor=closed)
    assert state()[1:] == before[1:]
    change(world, ChangeKind.RENAME, name="苏州甲二号有限公司", effective_on=dt.date(2025, 1, 1))
    before = state()
    with pytest.raises(ValidationFailed, match="不能更早"):
        change(world, ChangeKind.CLOSE, effective_on=dt.date(2024, 12, 31))
    # The survivor's history counts too.
    UnitVersion.objects.create(
        enterprise=world.other_company,
        kind=ChangeKind.RENAME,
        effective_on=dt.date(2025, 6, 1),
        name=world.other_company.name,
        uscc=world.other_company.uscc,
        zone=world.zone_b,
        is_active=True,
        source=ChangeSource.BUREAU,
    )
    with pytest.raises(ValidationFailed, match="不能更早"):
        change(world, ChangeKind.MERGE, survivor=world.other_company, effective_on=dt.date(2025, 2, 1))
    assert state()[0] == before[0]


def test_who_may_change_a_unit(world):
    before = state()
    for user in (world.reviewer, world.leader, world.company_user, world.client):
        with pytest.raises(Forbidden):
            change(world, ChangeKind.RENAME, actor=user, name="新名称")
    with pytest.raises(Forbidden):
        change(world, ChangeKind.RENAME, actor=world.other_officer, name="新名称")
    with pytest.raises(ValidationFailed, match="无权将排污单位迁入"):
        change(world, ChangeKind.MOVE, actor=world.officer, zone=world.zone_b)
    assert state() == before
    change(world, ChangeKind.RENAME, actor=world.officer, name="苏州甲电子科技有限公司")


def test_versions_are_append_only(world):
    from django.db import DatabaseError, transaction

    version = change(world, ChangeKind.RENAME, name="苏州甲新名称有限公司")
    with pytest.raises(DatabaseError), transaction.atomic():
        UnitVersion.objects.filter(pk=version.pk).update(name="改写")
    with pytest.raises(DatabaseError), transaction.atomic():
        UnitVersion.objects.filter(pk=version.pk).delete()


def test_an_import_that_renames_a_unit_appends_a_version(world):
    from django.utils import timezone

    from totalquota.registry.services import IMPORT_COLUMNS, enterprise_import

    unit = world.company
    data = {
        "单位名称": "苏州甲导入新名有限公司",
        "统一社会信用代码": unit.uscc,
        "排污许可证编号": unit.permit_number,
        "行业代码": unit.industry_code,
        "行业类别": unit.industry_name,
        "功能区": unit.zone.name,
        "地址": unit.address,
        "联系人": unit.contact_name,
        "联系电话": unit.contact_phone,
        "电子邮箱": "",
        "管理类别": "简化管理",
    }
    assert set(data) == {header for header, _field in IMPORT_COLUMNS}
    assert enterprise_import(actor=world.admin.principal, rows=[{**data, "_row": 2}]).updated == 1
    versions = list(UnitVersion.objects.filter(enterprise=unit).values_list("kind", "name", "effective_on"))
    assert versions == [
        (ChangeKind.REGISTER, "苏州甲电子有限公司", dt.date(2021, 1, 1)),
        (ChangeKind.EDIT, "苏州甲导入新名有限公司", timezone.localdate()),
    ]


def test_the_migration_gives_every_registered_unit_its_first_version(world):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("totalquota.registry.migrations.0007_unit_versions")
    migration.backfill(apps, None)
    rows = {
        v.enterprise_id: (v.kind, v.effective_on, v.name, v.uscc, v.zone_id, v.is_active, v.source)
        for v in UnitVersion.objects.all()
    }
    assert rows == {
        unit.pk: (
            ChangeKind.REGISTER,
            dt.date(2021, 1, 1),
            unit.name,
            unit.uscc,
            unit.zone_id,
            True,
            "backfill",
        )
        for unit in (world.company, world.other_company)
    }
