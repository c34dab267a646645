"""People's accounts, lockouts, a system token, deputies and units' accounts through the API: the
services and scoping of the account pages, refusals writing nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from tests.api_helpers import api
from totalquota.accounts.models import ApiToken, Delegation, User
from totalquota.accounts.services import token_issue
from totalquota.audit.models import AuditEvent

pytestmark = pytest.mark.django_db
GOOD_PASSWORD = "Quota-2026-secure"


def test_an_administrator_creates_a_zone_officer_changes_and_resets_them(client, world):
    body = {"username": "officer_c", "password": GOOD_PASSWORD, "role": "zone_officer", "zone": "b"}
    made = api(client, world.admin, "post", "/api/v1/users", body | {"display_name": "丙"})
    assert made.status_code == 201, made.json()
    assert (made.json()["role"], made.json()["zone"], made.json()["display_name"]) == (
        "zone_officer",
        "B",
        "丙",
    )
    assert "password" not in made.json()
    user = User.objects.get(username="officer_c")
    assert user.check_password(GOOD_PASSWORD) and user.zone == world.zone_b
    changed = api(client, world.admin, "patch", f"/api/v1/users/{user.pk}", {"role": "reviewer"})
    assert changed.status_code == 200 and (changed.json()["role"], changed.json()["zone"]) == (
        "reviewer",
        None,
    )
    reset = api(
        client, world.admin, "post", f"/api/v1/users/{user.pk}/password", {"password": "Another-2026-pass"}
    )
    assert reset.status_code == 204
    user.refresh_from_db()
    assert user.check_password("Another-2026-pass") and user.must_change_password
    found = api(client, world.admin, "get", "/api/v1/users?q=officer_c").json()["items"]
    assert [u["username"] for u in found] == ["officer_c"]


def test_account_refusals_write_nothing(client, world):
    before = (User.objects.count(), AuditEvent.objects.count())
    body = {"username": "new_person", "password": GOOD_PASSWORD, "role": "zone_officer", "zone": "A"}
    for bad in (
        {"password": "123"},  # the password policy
        {"role": "king"},
        {"zone": None},  # a zone officer needs a zone
        {"zone": "NOPE"},
        {"username": "ADMIN"},  # taken (case-insensitive): 409
        {"role": "enterprise", "zone": None, "enterprise_id": 999_999},
    ):
        answer = api(client, world.admin, "post", "/api/v1/users", body | bad)
        assert answer.status_code in (409, 422), (bad, answer.json())
    for user in (world.reviewer, world.officer, world.leader):
        assert api(client, user, "post", "/api/v1/users", body).status_code == 403
        assert api(client, user, "get", "/api/v1/users").status_code == 403
    # Nobody deactivates themselves or changes their own role.
    own = api(client, world.admin, "patch", f"/api/v1/users/{world.admin.pk}", {"is_active": False})
    assert own.status_code == 422
    # An explicit null clears a zone or an enterprise only; elsewhere it is refused, not dropped.
    officer = f"/api/v1/users/{world.officer.pk}"
    for field in ("display_name", "email", "is_active", "role", "assigned_zones"):
        answer = api(client, world.admin, "patch", officer, {field: None})
        assert answer.status_code == 422 and field in answer.json()["detail"], (field, answer.json())
    assert (User.objects.count(), AuditEvent.objects.count()) == before


def test_a_signed_in_administrator_issues_a_system_token_shown_once(client, world):
    body = {"name": "审批系统", "client": world.client.username, "lifetime_days": 90}
    issued = api(client, world.admin, "post", "/api/v1/tokens", body)
    assert issued.status_code == 201, issued.json()
    secret = issued.json()["secret"]
    token = ApiToken.objects.get(pk=issued.json()["token"]["id"])
    assert secret.startswith(f"tq_{token.prefix}_") and secret not in str(token.__dict__)
    assert (token.expires_at - timezone.now()).days in (89, 90)
    used = Client().get("/api/v1/tokens/mine", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert used.status_code == 200 and [t["id"] for t in used.json()["items"]] == [token.pk]
    count = ApiToken.objects.count()
    for bad in (
        {"client": world.reviewer.username},
        {"name": ""},
        {"lifetime_days": 100_000},
        {"role": "admin"},
    ):
        assert api(client, world.admin, "post", "/api/v1/tokens", body | bad).status_code == 422, bad
    assert api(client, world.reviewer, "post", "/api/v1/tokens", body).status_code == 403
    assert ApiToken.objects.count() == count


def test_a_reviewer_names_a_deputy_and_ends_it(client, world):
    today = timezone.localdate()
    body = {
        "deputy_id": world.reviewer2.pk,
        "starts_on": today.isoformat(),
        "ends_on": (today + dt.timedelta(days=10)).isoformat(),
        "reason": "出差",
    }
    for bad in (
        {"deputy_id": world.reviewer.pk},
        {"deputy_id": world.officer.pk},
        {"reason": ""},
        {"deputy_id": 999_999},
    ):
        assert api(client, world.reviewer, "post", "/api/v1/delegation", body | bad).status_code == 422, bad
    assert not Delegation.objects.exists()
    made = api(client, world.reviewer, "post", "/api/v1/delegation", body)
    assert made.status_code == 201 and made.json()["deputy_id"] == world.reviewer2.pk
    seen = api(client, world.reviewer2, "get", "/api/v1/delegation").json()
    assert [d["principal"] for d in seen["deputy_for"]] == [str(world.reviewer)]
    assert api(client, world.officer, "post", "/api/v1/delegation", body).status_code == 403
    assert api(client, world.reviewer, "delete", "/api/v1/delegation").status_code == 204
    assert Delegation.objects.get().cleared_at is not None
    assert api(client, world.reviewer, "delete", "/api/v1/delegation").status_code == 409


def test_units_accounts_are_opened_whole_in_the_officers_zone_with_one_time_passwords(client, world):
    from tests.factories import EnterpriseFactory

    first = EnterpriseFactory(zone=world.zone_a, name="苏州丙材料有限公司")
    second = EnterpriseFactory(zone=world.zone_a, name="苏州丁化工有限公司")
    before = User.objects.count()
    # One unit outside zone A, or one with an account already: nothing is opened.
    for ids in ([first.pk, world.other_company.pk], [first.pk, world.company.pk]):
        refused = api(client, world.officer, "post", "/api/v1/unit-accounts", {"enterprise_ids": ids})
        assert refused.status_code == 422, refused.json()
    assert User.objects.count() == before
    opened = api(
        client, world.officer, "post", "/api/v1/unit-accounts", {"enterprise_ids": [first.pk, second.pk]}
    )
    assert opened.status_code == 201, opened.json()
    handed = {row["enterprise_id"]: row for row in opened.json()}
    account = User.objects.get(pk=handed[first.pk]["user_id"])
    assert account.check_password(handed[first.pk]["one_time_password"]) and account.must_change_password
    reset = api(client, world.officer, "post", f"/api/v1/unit-accounts/{account.pk}/reset-password")
    assert (
        reset.status_code == 200
        and reset.json()["one_time_password"] != handed[first.pk]["one_time_password"]
    )
    assert (
        api(
            client, world.other_officer, "post", f"/api/v1/unit-accounts/{account.pk}/reset-password"
        ).status_code
        == 404
    )
    listed = api(client, world.officer, "get", "/api/v1/unit-accounts").json()["items"]
    assert {a["enterprise_id"] for a in listed} >= {first.pk, second.pk}


def test_an_administrator_lifts_a_lockout(client, world, settings):
    from axes.models import AccessAttempt

    AccessAttempt.objects.create(
        username="leader",
        ip_address="127.0.0.1",
        user_agent="x",
        failures_since_start=settings.AXES_FAILURE_LIMIT,
    )
    assert (
        api(client, world.reviewer, "post", "/api/v1/users/unlock", {"username": "leader"}).status_code == 403
    )
    lifted = api(client, world.admin, "post", "/api/v1/users/unlock", {"username": "leader"})
    assert lifted.status_code == 200 and lifted.json() == {"username": "leader", "attempts_removed": 1}
    assert api(client, world.admin, "post", "/api/v1/users/unlock", {"username": "leader"}).status_code == 409


def test_a_token_manages_no_accounts_and_mints_no_token(world):
    """No token role holds the account rights: a token never creates people or other tokens."""
    _token, secret = token_issue(actor=world.admin.principal, name="x", client=world.client)
    before = (User.objects.count(), ApiToken.objects.count())
    body = {"name": "y", "client": world.client.username}
    for url in ("/api/v1/users", "/api/v1/tokens", "/api/v1/unit-accounts", "/api/v1/delegation"):
        answer = Client().post(
            url, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {secret}"
        )
        assert answer.status_code == 403, url
    assert (User.objects.count(), ApiToken.objects.count()) == before
