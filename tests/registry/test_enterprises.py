import pytest

from tests.factories import credit_code
from totalquota.audit.models import AuditEvent
from totalquota.lib.errors import ValidationFailed
from totalquota.registry.models import Enterprise
from totalquota.registry.services import enterprise_create, enterprise_update

pytestmark = pytest.mark.django_db


def valid(world, **overrides):
    code = credit_code(9001)
    data = dict(
        name="苏州丙新材料有限公司",
        uscc=code,
        permit_number=f"{code}001P",
        industry_code="C2661",
        industry_name="化学试剂和助剂制造",
        zone=world.zone_a,
        address="苏虹东路 1 号",
        contact_name="李敏",
        contact_phone="0512-65000000",
        contact_email="env@example.cn",
        management_category="key",
    )
    data.update(overrides)
    return data


def test_a_zone_officer_registers_a_unit_in_their_zone_and_it_is_audited(world):
    unit = enterprise_create(actor=world.officer.principal, **valid(world))
    assert Enterprise.objects.get(uscc=unit.uscc).zone == world.zone_a
    event = AuditEvent.objects.get(action="enterprise.create", object_id=str(unit.pk))
    assert event.actor == world.officer
    assert event.after["uscc"] == unit.uscc and event.before is None


def test_it_refuses_a_unit_in_another_zone_for_a_zone_officer(world):
    with pytest.raises(ValidationFailed, match="无权在功能区"):
        enterprise_create(actor=world.other_officer.principal, **valid(world))
    assert not Enterprise.objects.filter(name="苏州丙新材料有限公司").exists()


@pytest.mark.parametrize(
    ("overrides", "field", "fragment"),
    [
        ({"uscc": "91320594MA00090010"}, "uscc", "校验位"),
        ({"name": ""}, "name", "不能为空"),
        ({"permit_number": "12345"}, "permit_number", "22 位"),
        ({"permit_number": ""}, "permit_number", "必须填写排污许可证编号"),
        ({"industry_code": "3982"}, "industry_code", "C3982"),
        ({"contact_phone": "call me"}, "contact_phone", "联系电话"),
        ({"contact_email": "not-an-email"}, "contact_email", "电子邮箱"),
        ({"management_category": "big"}, "management_category", "管理类别"),
        ({"zone": "不存在的区"}, "zone", "不存在"),
    ],
)
def test_it_refuses_bad_fields_and_writes_nothing(world, overrides, field, fragment):
    before = Enterprise.objects.count(), AuditEvent.objects.count()
    with pytest.raises(ValidationFailed) as caught:
        enterprise_create(actor=world.admin.principal, **valid(world, **overrides))
    assert any(e["field"] == field and fragment in e["message"] for e in caught.value.errors)
    assert (Enterprise.objects.count(), AuditEvent.objects.count()) == before


def test_a_registration_category_unit_may_have_no_permit_number(world):
    unit = enterprise_create(
        actor=world.admin.principal, **valid(world, permit_number="", management_category="registration")
    )
    assert unit.permit_number == ""


def test_it_refuses_a_code_that_is_already_registered(world):
    with pytest.raises(ValidationFailed, match="已登记"):
        enterprise_create(
            actor=world.admin.principal,
            **valid(world, uscc=world.company.uscc, permit_number=f"{world.company.uscc}002P"),
        )


def test_an_update_records_the_values_before_and_after(world):
    enterprise_update(actor=world.officer.principal, enterprise=world.company, contact_phone="0512-66666666")
    event = AuditEvent.objects.get(action="enterprise.update")
    assert event.before["contact_phone"] == "0512-62000000"
    assert event.after["contact_phone"] == "0512-66666666"


def test_a_zone_officer_cannot_move_a_unit_out_of_another_zone(world):
    with pytest.raises(ValidationFailed, match="无权"):
        enterprise_update(actor=world.officer.principal, enterprise=world.other_company, zone=world.zone_a)
    world.other_company.refresh_from_db()
    assert world.other_company.zone == world.zone_b
