"""单位沿革 on the unit's page: its history, a form per change, and the survivor of a merge listing
the absorbed unit's records."""

import datetime as dt

import pytest
from django.urls import reverse

from tests.factories import credit_code
from totalquota.registry.models import ChangeKind, Enterprise, UnitVersion
from totalquota.registry.services import unit_change

pytestmark = pytest.mark.django_db


def url(unit, kind):
    return reverse("registry:unit_change", args=[unit.pk, kind])


def test_the_page_lists_the_history_and_offers_each_change_to_an_editor(client, world):
    unit_change(
        actor=world.admin.principal,
        enterprise=world.company,
        kind=ChangeKind.RENAME,
        effective_on=dt.date(2024, 3, 1),
        reason="苏园市监变字〔2024〕12 号",
        name="苏州甲科技有限公司",
    )
    client.force_login(world.admin)
    page = client.get(world.company.get_absolute_url()).content.decode()
    assert 'id="unit-version-table"' in page and "苏园市监变字〔2024〕12 号" in page
    assert "2024-03-01" in page and "苏州甲电子有限公司" in page  # the earlier name stays listed
    for kind in ("rename", "recode", "move", "merge", "split", "close"):
        assert f'id="change-{kind}"' in page
    assert 'id="change-reopen"' not in page
    client.force_login(world.company_user)
    page = client.get(world.company.get_absolute_url()).content.decode()
    assert 'id="unit-version-table"' in page and 'id="change-rename"' not in page


def test_a_rename_through_its_form(client, world):
    client.force_login(world.officer)
    response = client.post(
        url(world.company, "rename"),
        {"effective_on": "2024-03-01", "reason": "变更通知", "name": "苏州甲新名有限公司"},
    )
    assert response.status_code == 302 and response["Location"] == world.company.get_absolute_url()
    assert Enterprise.objects.get(pk=world.company.pk).name == "苏州甲新名有限公司"
    assert UnitVersion.objects.filter(enterprise=world.company, kind=ChangeKind.RENAME).count() == 1


def test_a_refused_form_says_why_and_writes_nothing(client, world):
    client.force_login(world.admin)
    response = client.post(
        url(world.company, "recode"),
        {"effective_on": "2024-03-01", "reason": "变更", "uscc": world.other_company.uscc},
    )
    assert response.status_code == 200 and "已属于另一家单位" in response.content.decode()
    response = client.post(
        url(world.company, "split"),
        {"effective_on": "2024-03-01", "reason": "分立", "new_name": "新单位", "new_uscc": "1"},
    )
    assert response.status_code == 200 and "18 位" in response.content.decode()
    assert not UnitVersion.objects.exists()
    assert client.get(url(world.company, "teleport")).status_code == 404


def test_the_move_form_says_quota_stays(client, world):
    client.force_login(world.admin)
    page = client.get(url(world.company, "move")).content.decode()
    assert "功能区调剂" in page
    response = client.post(
        url(world.company, "move"), {"effective_on": "2024-03-01", "reason": "迁址", "zone": world.zone_b.pk}
    )
    assert response.status_code == 302
    assert Enterprise.objects.get(pk=world.company.pk).zone == world.zone_b


def test_the_survivor_lists_the_records_of_the_unit_it_absorbed(client, world):
    from tests.emissions.conftest import listed
    from totalquota.emissions.models import EmissionReport

    report = EmissionReport.objects.create(
        enterprise=world.company,
        year=2023,
        zone=world.company.zone,
        entry=listed(world, world.company, year=2023),
        created_by=world.company_user,
    )
    client.force_login(world.admin)
    response = client.post(
        url(world.company, "merge"),
        {"effective_on": "2024-03-01", "reason": "吸收合并", "survivor": world.other_company.pk},
    )
    assert response.status_code == 302, response.content.decode()
    page = client.get(world.other_company.get_absolute_url()).content.decode()
    panel_url = reverse("reserve:merged_records", args=[world.other_company.pk])
    assert 'id="merged-units"' in page and world.company.name in page and panel_url in page
    panel = client.get(panel_url, HTTP_HX_REQUEST="true").content.decode()
    assert 'id="merged-records-panel"' in panel and report.get_absolute_url() in panel
    # Each list is scoped as its own pages: zone B's officer does not see zone A's records.
    client.force_login(world.other_officer)
    assert report.get_absolute_url() not in client.get(panel_url).content.decode()
    client.force_login(world.admin)
    absorbed = client.get(world.company.get_absolute_url()).content.decode()
    assert 'id="merged-into"' in absorbed and world.other_company.name in absorbed
    assert 'id="change-reopen"' not in absorbed and 'id="change-rename"' not in absorbed


def test_a_new_unit_by_a_split(client, world):
    client.force_login(world.admin)
    code = credit_code(8201)
    response = client.post(
        url(world.company, "split"),
        {"effective_on": "2024-03-01", "reason": "分立", "new_name": "苏州甲分立有限公司", "new_uscc": code},
    )
    assert response.status_code == 302
    new = Enterprise.objects.get(uscc=code)
    page = client.get(new.get_absolute_url()).content.decode()
    assert "由分立新设" in page and world.company.name in page
