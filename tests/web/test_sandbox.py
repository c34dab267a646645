"""The sandbox (``./bin/start --sandbox``) says so on every page and in every answer's headers;
the platform itself does not."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

BANNER = "演示沙箱"


def test_the_sandbox_shows_its_banner_and_marks_every_answer(world, settings):
    settings.SANDBOX = True
    client = Client()
    login = client.get("/accounts/login/")
    assert login["X-Sandbox"] == "true" and BANNER in login.content.decode()
    client.force_login(world.officer)
    home = client.get("/")
    assert home.status_code == 200 and BANNER in home.content.decode()
    api = client.get("/api/v1/zones")
    assert api.status_code == 200 and api["X-Sandbox"] == "true"
    refused = Client().get("/api/v1/zones")
    assert refused.status_code == 401 and refused["X-Sandbox"] == "true"


def test_the_platform_itself_has_neither(world, settings):
    settings.SANDBOX = False
    client = Client()
    client.force_login(world.officer)
    home = client.get("/")
    assert BANNER not in home.content.decode() and "X-Sandbox" not in home
    assert "X-Sandbox" not in client.get("/api/v1/zones")
