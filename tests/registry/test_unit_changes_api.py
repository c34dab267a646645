"""单位沿革 through the API: the versions of a unit, and a change recorded by the same service and
scoping as its page; every bad body is a 4xx problem document that writes nothing."""

import pytest

from tests.factories import credit_code
from totalquota.audit.models import AuditEvent
from totalquota.registry.models import Enterprise, UnitVersion

pytestmark = pytest.mark.django_db


def post(client, user, unit, body):
    client.force_login(user)
    return client.post(f"/api/v1/enterprises/{unit.pk}/changes", body, content_type="application/json")


def test_an_administrator_renames_a_unit_and_reads_its_versions(client, world):
    old = world.company.name
    response = post(
        client,
        world.admin,
        world.company,
        {"kind": "rename", "effective_on": "2024-03-01", "reason": "变更通知", "name": "苏州甲科技有限公司"},
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["kind"], body["name"], body["effective_on"], body["source"]) == (
        "rename",
        "苏州甲科技有限公司",
        "2024-03-01",
        "bureau",
    )
    assert body["kind_label"] == "更名" and body["recorded_by"] == str(world.admin)
    client.force_login(world.company_user)
    versions = client.get(f"/api/v1/enterprises/{world.company.pk}/versions").json()
    assert [(v["kind"], v["name"], v["effective_on"]) for v in versions] == [
        ("register", old, "2021-01-01"),
        ("rename", "苏州甲科技有限公司", "2024-03-01"),
    ]
    assert client.get(f"/api/v1/enterprises/{world.company.pk}").json()["name"] == "苏州甲科技有限公司"
    assert client.get(f"/api/v1/enterprises/{world.other_company.pk}/versions").status_code == 404


def test_move_merge_and_split_through_the_api(client, world):
    moved = post(
        client,
        world.admin,
        world.company,
        {"kind": "move", "effective_on": "2024-01-01", "reason": "迁址", "zone": "B"},
    )
    assert moved.status_code == 201 and moved.json()["zone"] == "B"
    code = credit_code(8101)
    split = post(
        client,
        world.admin,
        world.company,
        {
            "kind": "split",
            "effective_on": "2024-02-01",
            "reason": "分立",
            "new_unit": {"name": "苏州甲分公司", "uscc": code},
        },
    )
    assert split.status_code == 201, split.json()
    new = Enterprise.objects.get(uscc=code)
    assert split.json()["related_id"] == new.pk and new.zone.code == "B"
    merged = post(
        client,
        world.admin,
        new,
        {
            "kind": "merge",
            "effective_on": "2024-05-01",
            "reason": "吸收合并",
            "survivor_id": world.other_company.pk,
        },
    )
    assert merged.status_code == 201, merged.json()
    unit = client.get(f"/api/v1/enterprises/{new.pk}").json()
    assert unit["is_active"] is False and unit["merged_into_id"] == world.other_company.pk


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"kind": "rename", "effective_on": "2024-03-01", "reason": "x", "name": ""}, 422, "name"),
        (
            {"kind": "rename", "effective_on": "2019-03-01", "reason": "x", "name": "新名"},
            422,
            "effective_on",
        ),
        ({"kind": "recode", "effective_on": "2024-03-01", "reason": "x", "uscc": "123"}, 422, "uscc"),
        ({"kind": "move", "effective_on": "2024-03-01", "reason": "x", "zone": "无此区"}, 422, "zone"),
        (
            {"kind": "merge", "effective_on": "2024-03-01", "reason": "x", "survivor_id": 999999},
            422,
            "survivor_id",
        ),
        ({"kind": "split", "effective_on": "2024-03-01", "reason": "x"}, 422, "new_unit"),
        ({"kind": "teleport", "effective_on": "2024-03-01", "reason": "x"}, 422, None),
        ({"kind": "close", "effective_on": "2024-03-01", "reason": "x", "extra": 1}, 422, None),
        ({"kind": "close", "effective_on": "not a date", "reason": "x"}, 422, None),
        ({"kind": "close", "effective_on": "2024-03-01", "reason": ""}, 422, "reason"),
    ],
)
def test_bad_bodies_are_problems_that_write_nothing(client, world, body, status, field):
    before = (
        UnitVersion.objects.count(),
        AuditEvent.objects.count(),
        Enterprise.objects.get(pk=world.company.pk).name,
    )
    response = post(client, world.admin, world.company, body)
    assert response.status_code == status, response.json()
    assert response["Content-Type"].startswith("application/problem+json")
    if field:
        assert response.json()["errors"][0]["field"] == field
    assert (
        UnitVersion.objects.count(),
        AuditEvent.objects.count(),
        Enterprise.objects.get(pk=world.company.pk).name,
    ) == before


def test_who_may_post_a_change(client, world):
    body = {"kind": "close", "effective_on": "2024-03-01", "reason": "注销"}
    assert post(client, world.reviewer, world.company, body).status_code == 403
    assert post(client, world.company_user, world.company, body).status_code == 403
    assert post(client, world.other_officer, world.company, body).status_code == 404
    assert not UnitVersion.objects.exists()
    assert post(client, world.officer, world.company, body).status_code == 201
