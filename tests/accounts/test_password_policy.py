"""The password policy applies to everyone: length, common passwords, digits only, likeness to
the username; Django's own messages, in Chinese first and in English."""

from __future__ import annotations

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import translation

from tests.factories import PASSWORD
from totalquota.accounts import services
from totalquota.accounts.models import User
from totalquota.accounts.roles import Role
from totalquota.demo.accounts import DEMO_LOGINS
from totalquota.demo.context import DEMO_PASSWORD
from totalquota.lib.errors import ValidationFailed

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("password", "chinese"),
    [
        ("Short-pw-1", "密码太短，至少需要 12 个字符。"),
        ("password1234", "这个密码太常见了。"),
        ("202612010042", "密码只包含数字。"),
        ("reviewer_new_1", "密码跟 用户名 太相似了。"),
    ],
)
def test_a_weak_password_is_refused_with_djangos_chinese_message(world, password, chinese):
    with translation.override("zh-hans"), pytest.raises(ValidationFailed) as refused:
        services.user_create(
            actor=world.admin.principal, username="reviewer_new", password=password, role=Role.REVIEWER
        )
    assert chinese in refused.value.message
    assert not User.objects.filter(username="reviewer_new").exists()


def test_the_policy_speaks_english_when_english_is_on(world):
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        validate_password("Short-pw-1", world.officer)
    assert "This password is too short. It must contain at least 12 characters." in refused.value.messages


def test_the_password_change_page_refuses_a_short_password_on_the_field(world):
    client = Client()
    client.force_login(world.officer)
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": "Short-pw-1", "new_password2": "Short-pw-1"},
    )
    assert response.status_code == 200
    assert "密码太短，至少需要 12 个字符。" in response.content.decode()
    assert User.objects.get(pk=world.officer.pk).check_password(PASSWORD)


def test_the_admin_cannot_set_a_common_password(world):
    with pytest.raises(ValidationFailed):
        services.user_set_password(actor=world.admin.principal, user=world.officer, password="password1234")
    assert User.objects.get(pk=world.officer.pk).check_password(PASSWORD)


def test_the_demo_and_test_passwords_pass_the_policy():
    for _label, username, _note in DEMO_LOGINS:
        validate_password(DEMO_PASSWORD, User(username=username, display_name=username))
    validate_password(PASSWORD, User(username="officer_a"))
