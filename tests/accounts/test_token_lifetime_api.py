"""API tokens: a refused command leaves no account behind; tokens expire by default (and an
expired one is 401); a caller lists and revokes its own tokens through the API, an administrator
any token, each revocation audited; someone else's token is 404 (403 for the admin routes)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from totalquota.accounts.models import ApiToken, User
from totalquota.accounts.roles import Role
from totalquota.accounts.services import token_issue
from totalquota.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def _bearer(secret: str) -> Client:
    return Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {secret}")


@pytest.mark.parametrize(
    "extra",
    [
        ["--role", "enterprise"],  # an enterprise token must name its unit
        ["--role", "zone"],  # a zone token must name its zone
        ["--role", "reviewer"],  # no token for a bureau role
        ["--days", "0"],
        ["--zone", "NOPE"],
    ],
)
def test_a_refused_command_leaves_no_account_and_no_token_behind(world, extra):
    users, tokens = User.objects.count(), ApiToken.objects.count()
    with pytest.raises(CommandError):
        call_command(
            "issue_api_token", "--client", "permits", "--name", "排污许可系统", "--create-client", *extra
        )
    assert not User.objects.filter(username="permits").exists()
    assert (User.objects.count(), ApiToken.objects.count()) == (users, tokens)


def test_a_token_expires_by_default_after_the_configured_lifetime(world, settings, capsys):
    settings.API_TOKEN_LIFETIME_DAYS = 365
    before = timezone.now()
    call_command("issue_api_token", "--client", "permits", "--name", "排污许可系统", "--create-client")
    token = ApiToken.objects.get(client__username="permits")
    assert token.expires_at is not None
    assert before + dt.timedelta(days=365) <= token.expires_at <= timezone.now() + dt.timedelta(days=365)
    assert "有效期至" in capsys.readouterr().out

    call_command("issue_api_token", "--client", "permits", "--name", "短期联调", "--days", "7")
    short = ApiToken.objects.get(name="短期联调")
    assert short.expires_at is not None and short.expires_at <= timezone.now() + dt.timedelta(days=7)

    settings.API_TOKEN_LIFETIME_DAYS = 30
    issued, _text = token_issue(actor=world.admin.principal, name="对接", client=world.client)
    assert issued.expires_at is not None and issued.expires_at <= timezone.now() + dt.timedelta(days=30)


def test_an_expired_token_is_refused_with_401(world):
    token, secret = token_issue(actor=world.admin.principal, name="对接", client=world.client)
    assert _bearer(secret).get("/api/v1/tokens/mine").status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = _bearer(secret).get("/api/v1/tokens/mine")
    assert response.status_code == 401 and response["Content-Type"] == "application/problem+json"


def test_a_client_lists_and_revokes_its_own_tokens_and_no_one_elses(world):
    other_client = User.objects.create(username="enforcement", role=Role.SYSTEM)
    mine, secret = token_issue(actor=world.admin.principal, name="审批系统", client=world.client)
    spare, _ = token_issue(actor=world.admin.principal, name="审批系统备用", client=world.client)
    theirs, _ = token_issue(actor=world.admin.principal, name="执法系统", client=other_client)
    api = _bearer(secret)

    listed = api.get("/api/v1/tokens/mine").json()["items"]
    assert {t["id"] for t in listed} == {mine.pk, spare.pk}
    row = next(t for t in listed if t["id"] == mine.pk)
    assert row["prefix"] == mine.prefix and row["state"] == "active" and row["expires_at"]
    assert row["last_used_at"] is not None  # this very call used it
    assert secret not in str(listed) and "digest" not in row

    assert api.post(f"/api/v1/tokens/mine/{theirs.pk}/revoke").status_code == 404
    assert ApiToken.objects.get(pk=theirs.pk).revoked_at is None
    assert api.get("/api/v1/tokens").status_code == 403  # the administrators' list
    assert api.post(f"/api/v1/tokens/{theirs.pk}/revoke").status_code == 403

    revoked = api.post(f"/api/v1/tokens/mine/{spare.pk}/revoke")
    assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"
    event = AuditEvent.objects.get(action="token.revoke", object_id=str(spare.pk))
    assert event.after["revoked_at"]
    assert api.post(f"/api/v1/tokens/mine/{spare.pk}/revoke").status_code == 409
    assert api.get("/api/v1/tokens/mine").status_code == 200  # its own token still works

    # A person holds no tokens, and cannot revoke a client's.
    person = Client(raise_request_exception=False)
    person.force_login(world.reviewer)
    assert person.get("/api/v1/tokens/mine").json()["items"] == []
    assert person.post(f"/api/v1/tokens/mine/{mine.pk}/revoke").status_code == 404
    assert person.post(f"/api/v1/tokens/{mine.pk}/revoke").status_code == 403


def test_an_administrator_lists_and_revokes_any_token(world):
    token, secret = token_issue(actor=world.admin.principal, name="审批系统", client=world.client)
    admin = Client(raise_request_exception=False)
    admin.force_login(world.admin)
    listed = admin.get("/api/v1/tokens", {"client": world.client.username}).json()["items"]
    assert [t["id"] for t in listed] == [token.pk]
    assert admin.post("/api/v1/tokens/999999/revoke").status_code == 404
    response = admin.post(f"/api/v1/tokens/{token.pk}/revoke")
    assert response.status_code == 200 and response.json()["revoked_at"]
    event = AuditEvent.objects.get(action="token.revoke", object_id=str(token.pk))
    assert event.actor_id == world.admin.pk
    assert _bearer(secret).get("/api/v1/tokens/mine").status_code == 401  # revoked: refused
    assert [t["id"] for t in admin.get("/api/v1/tokens", {"revoked": "true"}).json()["items"]] == [token.pk]
