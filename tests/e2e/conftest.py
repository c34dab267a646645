"""Browser tests: Debian's Chromium driven by Playwright against a live test server.

Run with the rest of the suite (marked ``e2e``); ``page`` is a fresh Chinese-locale browser tab,
``login(page, user)`` signs a persona in through the real login form, and ``screenshot(page,
name)`` stores a picture of the page for the README under ``docs/screenshots/``. A page the
Content-Security-Policy refused anything on fails its test.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from tests.factories import PASSWORD

# Playwright's sync API runs an event loop in the test thread; Django's ORM refuses to run inside
# one unless told that this (single-threaded, test-only) use is safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
HOME = re.compile(r"^https?://[^/]+/(\?.*)?$")
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: bin/test installs Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url,
        locale="zh-CN",
        extra_http_headers={"Accept-Language": "zh-CN,zh;q=0.9"},
        accept_downloads=True,
        viewport={"width": 1366, "height": 860},
    )
    context.set_default_timeout(15_000)
    tab = context.new_page()
    # Every page runs under the Content-Security-Policy and Permissions-Policy; Chromium reports
    # what either refuses (or cannot parse) on the console. A test that provokes a refusal on
    # purpose says how many it expects in ``tab.policy_refusals_expected``.
    refusals: list[str] = []
    tab.on(
        "console",
        lambda message: (
            refusals.append(message.text)
            if "Content Security Policy" in message.text or "Permissions-Policy" in message.text
            else None
        ),
    )
    tab.policy_refusals = refusals  # type: ignore[attr-defined]
    yield tab
    context.close()
    expected = getattr(tab, "policy_refusals_expected", 0)
    assert len(refusals) == expected, refusals


@pytest.fixture
def login():
    def sign_in(page, user, password: str = PASSWORD):
        page.goto("/accounts/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", password)
        page.click("#login-submit")
        page.wait_for_url(HOME)
        return page

    return sign_in


@pytest.fixture
def screenshot():
    def take(page, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=False)
        return path

    return take
