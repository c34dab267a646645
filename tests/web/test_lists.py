import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_list_filters_are_styled_by_kind_and_yes_no_filters_read_all_yes_no(client, world):
    client.force_login(world.leader)
    page = client.get(reverse("registry:enterprise_list")).content.decode()
    assert 'name="industry_code" class="form-control form-control-sm"' in page
    assert '<option value="unknown" selected>全部</option>' in page
    assert "未知" not in page


def test_a_yes_no_filter_filters(client, world):
    world.other_company.is_active = False
    world.other_company.save()
    client.force_login(world.leader)
    page = client.get(reverse("registry:enterprise_list"), {"is_active": "false"})
    assert [obj.name for obj, _c in page.context["rows"]] == ["苏州乙医药有限公司"]


def test_pagination_keeps_the_search_and_filters(client, world):
    from tests.factories import EnterpriseFactory

    for _ in range(30):
        EnterpriseFactory(zone=world.zone_a)
    client.force_login(world.leader)
    page = client.get(reverse("registry:enterprise_list"), {"q": "苏州测试", "zone": world.zone_a.pk})
    html = page.content.decode()
    assert page.context["paginator"].num_pages == 2
    assert f"q=%E8%8B%8F%E5%B7%9E%E6%B5%8B%E8%AF%95&amp;zone={world.zone_a.pk}&page=2" in html


@pytest.mark.parametrize(
    ("page", "shown"),
    [
        ("99999999999999999999", 2),
        ("9" * 5000, 2),
        ("3", 2),
        ("last", 2),
        ("2", 2),
        ("-1", 1),
        ("0", 1),
        ("abc", 1),
        ("1e3", 1),
        ("١٢", 1),
        ("", 1),
    ],
)
def test_any_page_number_shows_a_page_first_or_last(client, world, page, shown):
    from tests.factories import EnterpriseFactory

    for _ in range(30):
        EnterpriseFactory(zone=world.zone_a)
    client.force_login(world.leader)
    response = client.get(reverse("registry:enterprise_list"), {"page": page})
    assert response.status_code == 200
    assert response.context["page_obj"].number == shown


@pytest.mark.parametrize(
    "name",
    ["ledger:account_list", "ledger:transfer_list", "reserve:application_list", "audit:event_list"],
)
def test_huge_page_numbers_on_other_lists_are_a_page_too(client, world, name):
    client.force_login(world.admin)
    response = client.get(reverse(name), {"page": "99999999999999999999"})
    assert response.status_code == 200
    assert response.context["page_obj"].number == 1
