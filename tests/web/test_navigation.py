"""The navigation bar: who sees the entry of units' accounts, and its English."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from totalquota.accounts.roles import Role

pytestmark = pytest.mark.django_db

UNIT_ACCOUNTS = reverse("accounts:unit_account_list")
OPENERS = {Role.ADMIN, Role.ZONE_OFFICER}


def home_page(user, language: str = "zh-hans") -> str:
    client = Client()
    client.force_login(user)
    client.post(reverse("set_language"), {"language": language, "next": "/"})
    return client.get(reverse("home")).content.decode()


@pytest.mark.parametrize("role", [r for r in Role if r != Role.SYSTEM])
def test_the_bureau_admin_and_zone_officers_find_units_accounts_in_the_menu(world, role):
    page = home_page(world.persona(role))
    entry = (
        f'<a class="dropdown-item" href="{UNIT_ACCOUNTS}"><i class="bi bi-person-badge"></i> 排污单位账号</a>'
    )
    assert (entry in page) == (role in OPENERS)


def test_the_entry_reads_in_english(world):
    page = home_page(world.officer, "en")
    assert f'href="{UNIT_ACCOUNTS}"><i class="bi bi-person-badge"></i> Units&#x27; accounts</a>' in page
    assert 'data-nav-section="system">Admin</a>' in page
