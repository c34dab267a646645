"""One-time passwords are stored with the cheaper one-time hasher; every other password, and a
one-time password once used, with the default argon2."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher, identify_hasher
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD, EnterpriseFactory
from totalquota.accounts import services
from totalquota.accounts.models import User

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Bamboo-river-2027"
CHANGE = reverse("accounts:password_change")


def stored(user: User) -> tuple[str, int, int]:
    """The algorithm, memory (KiB) and lanes of ``user``'s stored hash, as read from the database."""
    encoded = User.objects.get(pk=user.pk).password
    hasher = identify_hasher(encoded)
    decoded = hasher.decode(encoded)
    return hasher.algorithm, decoded["memory_cost"], decoded["parallelism"]


DEFAULT = ("argon2", Argon2PasswordHasher.memory_cost, Argon2PasswordHasher.parallelism)
ONE_TIME = ("argon2_onetime", 19 * 1024, 1)


def test_a_new_units_password_is_one_time_until_the_sign_in_and_default_after_the_change(world):
    unit = EnterpriseFactory(zone=world.zone_a)
    [issued] = services.unit_accounts_create(actor=world.officer.principal, enterprises=[unit])
    assert stored(issued.user) == ONE_TIME
    client = Client()
    response = client.post(reverse("accounts:login"), {"username": unit.uscc, "password": issued.password})
    assert response["Location"] == reverse("home")  # signed in; the middleware then asks for the change
    # Django rehashed the password with the default at its first check; it still must be changed
    user = User.objects.get(pk=issued.user.pk)
    assert stored(user) == DEFAULT and user.check_password(issued.password) and user.must_change_password
    assert client.get(reverse("home"))["Location"] == CHANGE  # the session survived the rehash
    done = client.post(
        CHANGE,
        {"old_password": issued.password, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert done["Location"] == reverse("home")
    user = User.objects.get(pk=issued.user.pk)
    assert stored(user) == DEFAULT and user.check_password(NEW_PASSWORD) and not user.must_change_password


def test_a_reset_stores_the_new_password_with_the_one_time_hasher(world):
    issued = services.unit_password_reset(actor=world.officer.principal, user=world.company_user)
    assert stored(world.company_user) == ONE_TIME
    assert User.objects.get(pk=world.company_user.pk).check_password(issued.password)


def test_a_wrong_password_leaves_the_one_time_hash_alone(world):
    issued = services.unit_password_reset(actor=world.officer.principal, user=world.company_user)
    before = User.objects.get(pk=world.company_user.pk).password
    response = Client().post(
        reverse("accounts:login"),
        {"username": world.company_user.username, "password": issued.password + "x"},
    )
    assert response.status_code == 200  # the form again, not signed in
    assert User.objects.get(pk=world.company_user.pk).password == before


def test_a_password_chosen_on_the_change_form_uses_the_default_hasher(world):
    client = Client()
    client.force_login(world.officer)
    done = client.post(
        CHANGE, {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert done.status_code == 302
    assert stored(world.officer) == DEFAULT
    assert User.objects.get(pk=world.officer.pk).check_password(NEW_PASSWORD)


def test_a_password_the_admin_sets_uses_the_default_hasher(world):
    # chosen by a person, not drawn at random: the slow hash still matters
    services.user_set_password(actor=world.admin.principal, user=world.officer, password=NEW_PASSWORD)
    assert stored(world.officer) == DEFAULT
