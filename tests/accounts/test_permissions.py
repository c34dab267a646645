import pytest

from totalquota.accounts.permissions import PERMISSIONS, may, principal_of, restrict
from totalquota.accounts.roles import Role
from totalquota.registry.models import Enterprise, Zone

pytestmark = pytest.mark.django_db


def names(qs):
    return sorted(e.name for e in qs)


def test_each_role_sees_the_enterprises_of_its_scope(world):
    everyone = names(Enterprise.objects.all())
    assert names(restrict(world.leader, Enterprise, "registry.view")) == everyone
    assert names(restrict(world.partner, Enterprise, "registry.view")) == everyone
    assert names(restrict(world.officer, Enterprise, "registry.view")) == ["苏州甲电子有限公司"]
    assert names(restrict(world.other_officer, Enterprise, "registry.view")) == ["苏州乙医药有限公司"]
    assert names(restrict(world.third_party, Enterprise, "registry.view")) == ["苏州甲电子有限公司"]
    assert names(restrict(world.company_user, Enterprise, "registry.view")) == ["苏州甲电子有限公司"]


def test_reference_data_is_visible_to_everyone_allowed(world):
    assert restrict(world.company_user, Zone, "registry.view").count() == Zone.objects.count()


def test_a_role_without_the_action_sees_nothing(world):
    assert not may(world.leader, "registry.edit_enterprise")
    assert restrict(world.leader, Enterprise, "registry.edit_enterprise").count() == 0


def test_the_leader_may_change_nothing():
    reads = ("view", "dashboard")  # pages that only show (lists, records, dashboards)
    writes = [a for a in PERMISSIONS if not any(word in a.split(".")[1] for word in reads)]
    assert writes
    assert all(Role.LEADER not in PERMISSIONS[a] for a in writes)


def test_an_inactive_person_has_no_principal(world):
    world.officer.is_active = False
    assert not may(world.officer, "registry.view")
    with pytest.raises(Exception, match="停用"):
        principal_of(world.officer)
