import pytest
from django.contrib.auth.hashers import identify_hasher
from django.urls import reverse

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_passwords_are_hashed_with_argon2(world):
    assert identify_hasher(world.officer.password).algorithm == "argon2"


def test_a_person_logs_in_and_lands_on_their_home_page(client, world):
    response = client.post(
        reverse("accounts:login"), {"username": "officer_a", "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("home")
    assert "工作台" in response.content.decode()


def test_a_wrong_password_is_refused_in_chinese(client, world):
    response = client.post(reverse("accounts:login"), {"username": "officer_a", "password": "wrong"})
    assert response.status_code == 200
    assert "用户名或密码错误" in response.content.decode()


def test_five_failures_lock_the_account_even_for_the_right_password(client, world):
    for _ in range(5):
        client.post(reverse("accounts:login"), {"username": "officer_a", "password": "wrong"})
    response = client.post(reverse("accounts:login"), {"username": "officer_a", "password": PASSWORD})
    assert response.status_code == 429
    assert "锁定" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_pages_need_a_login(client, world):
    response = client.get(reverse("registry:enterprise_list"))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_the_session_and_csrf_cookies_are_http_only_and_same_site(client, world, settings):
    client.post(reverse("accounts:login"), {"username": "officer_a", "password": PASSWORD})
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"


def test_english_is_one_click_away(client, world):
    client.force_login(world.officer)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'lang="en"' in page


def test_the_admin_unlocks_a_locked_account_and_it_is_audited(client, world):
    from totalquota.audit.models import AuditEvent

    for _ in range(5):
        client.post(reverse("accounts:login"), {"username": "officer_a", "password": "wrong"})
    admin = __import__("django.test", fromlist=["Client"]).Client()
    admin.force_login(world.admin)
    page = admin.get(reverse("accounts:lockouts")).content.decode()
    assert "officer_a" in page
    admin.post(reverse("accounts:unlock"), {"username": "officer_a"})
    assert AuditEvent.objects.filter(action="user.unlock", object_id="officer_a").exists()
    response = client.post(reverse("accounts:login"), {"username": "officer_a", "password": PASSWORD})
    assert response.status_code == 302
