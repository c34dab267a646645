"""A permit from the permit system that names the unit otherwise than the registry (单位沿革): another
name is a rename, a new credit code on the same permit number a recode, each a version whose
source is the event; a refusal records nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.factories import credit_code
from tests.inbound.conftest import counts, post
from tests.inbound.test_events import permit
from totalquota.inbound.models import InboundEvent
from totalquota.registry.models import ChangeKind, ChangeSource, Enterprise, PermitLimit, UnitVersion
from totalquota.registry.selectors import unit_name_on

pytestmark = pytest.mark.django_db


def test_a_permit_change_with_another_name_renames_the_unit(world, partners):
    old = world.company.name
    body = permit(world, kind="permit.changed", event_id="PW-R1", unit_name="苏州甲新能源有限公司")
    response = post("permit", body, partners.permit)
    assert response.status_code == 201, response.content
    unit = Enterprise.objects.get(pk=world.company.pk)
    assert unit.name == "苏州甲新能源有限公司"
    version = UnitVersion.objects.get(enterprise=unit, kind=ChangeKind.RENAME)
    assert (version.source, version.source_reference, version.effective_on) == (
        ChangeSource.PERMIT_EVENT,
        "PW-R1",
        dt.date(2026, 7, 1),
    )
    assert unit_name_on(unit, dt.date(2026, 6, 30)) == old
    event = InboundEvent.objects.get(event_id="PW-R1")
    assert {"type": "registry.unitversion", "id": version.pk, "role": "rename"} in event.effects
    assert "苏州甲新能源有限公司" in response.json()["result"]
    # The same event again does nothing again.
    assert post("permit", body, partners.permit).status_code == 200
    assert UnitVersion.objects.filter(enterprise=unit, kind=ChangeKind.RENAME).count() == 1


def test_a_new_credit_code_on_the_same_permit_number_recodes_the_unit(world, partners):
    code = credit_code(9301)
    response = post("permit", permit(world, event_id="PW-C1", credit_code=code), partners.permit)
    assert response.status_code == 201, response.content
    unit = Enterprise.objects.get(pk=world.company.pk)
    assert unit.uscc == code and unit.permit_number == world.company.permit_number
    version = UnitVersion.objects.get(enterprise=unit, kind=ChangeKind.RECODE)
    assert version.uscc == code and version.source == ChangeSource.PERMIT_EVENT
    assert PermitLimit.objects.filter(enterprise=unit).count() == 2


def test_the_name_as_registered_changes_nothing_and_a_refusal_records_nothing(world, partners):
    same = permit(world, event_id="PW-S1", unit_name=world.company.name)
    assert post("permit", same, partners.permit).status_code == 201
    assert not UnitVersion.objects.exists()
    # An unknown code on an unknown permit number is still an unknown unit.
    before = counts()
    unknown = permit(world, event_id="PW-U1", credit_code=credit_code(9302), permit_number="X" * 22)
    response = post("permit", unknown, partners.permit)
    assert response.status_code == 422 and "未在排污单位名录中登记" in response.json()["detail"]
    # A closed unit is not renamed by a permit: the whole event is refused.
    Enterprise.objects.filter(pk=world.company.pk).update(is_active=False)
    closed = permit(
        world, kind="permit.changed", event_id="PW-X1", valid_from="2026-08-01", unit_name="新名称"
    )
    response = post("permit", closed, partners.permit)
    assert response.status_code == 422 and "已注销" in response.json()["detail"]
    assert counts() == before and not UnitVersion.objects.exists()
