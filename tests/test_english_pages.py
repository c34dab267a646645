"""With English on, no page shows Chinese: every page of the access table, as every role, and the
API's problem documents. What may stay Chinese is written in ``tests/i18n_exempt.py``."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.access import PEOPLE
from tests.access.test_access_walk import PAGES, walk_world  # noqa: F401  (the walk's records)
from tests.i18n_exempt import CHINESE_COLUMNS, EXEMPT_PAGES, EXEMPT_TEXT, TYPED_FIELDS

CJK = re.compile(r"[\u4e00-\u9fff]+")
READ_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt", "data-bs-title"}
SKIPPED_ELEMENTS = {"script", "style", "textarea"}  # code, and a textarea's content is a typed value


class Readable(HTMLParser):
    """The text a person reads on a page: text nodes and the attributes shown as text, without
    scripts, styles and the values of form inputs (those are what the person or the data typed)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in SKIPPED_ELEMENTS:
            self.skipping += 1
        for name, value in attrs:
            if name in READ_ATTRIBUTES and value:
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in SKIPPED_ELEMENTS and self.skipping:
            self.skipping -= 1

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def readable_text(html: str) -> str:
    parser = Readable()
    parser.feed(html)
    return re.sub(r"\s+", " ", " ".join(parser.parts))


def texts_in(value) -> set[str]:
    """The Chinese strings in a field's value (a JSON value is searched through)."""
    if isinstance(value, str):
        return {value} if CJK.search(value) else set()
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return set().union(*(texts_in(v) for v in value)) if value else set()
    return set()


def field_values(fields: list[str]) -> list[str]:
    """The current Chinese values of ``fields`` (``app.Model.field``), longest first (so a name
    is removed before a shorter name inside it)."""
    values: set[str] = set()
    for label in fields:
        app_label, model_name, field = label.split(".")
        model = apps.get_model(app_label, model_name)
        for value in model._default_manager.values_list(field, flat=True):
            values |= texts_in(value)
    return sorted(values, key=len, reverse=True)


def typed_values() -> list[str]:
    return field_values(TYPED_FIELDS)


def chinese_left(text: str, typed: list[str]) -> list[str]:
    """Each run of Chinese still in ``text`` once typed data and exempt words are removed, with the
    text around it."""
    for value in [*typed, *sorted(EXEMPT_TEXT, key=len, reverse=True)]:
        text = text.replace(value, " ‹› ")
    return [text[max(0, m.start() - 30) : m.end() + 30].strip() for m in CJK.finditer(text)]


def english_client(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_no_english_page_shows_chinese(walk_world):  # noqa: F811
    clients = {role: english_client(walk_world.persona(role)) for role in PEOPLE}
    found: dict[str, list[str]] = {}
    seen = 0
    for name, page in sorted(PAGES.items()):
        url_name = name.split("#")[0]
        if page.method != "get" or url_name in EXEMPT_PAGES:
            continue
        url = reverse(url_name, kwargs=page.kwargs(walk_world) if page.kwargs else None)
        typed = typed_values()
        if url_name in CHINESE_COLUMNS:
            typed = sorted({*typed, *field_values(CHINESE_COLUMNS[url_name][0])}, key=len, reverse=True)
        for role, client in clients.items():
            response = client.get(url)
            if not response["Content-Type"].startswith("text/html"):
                continue  # a download (XLSX, PDF): not a page
            seen += 1
            left = chinese_left(readable_text(response.content.decode()), typed)
            if left:
                found[f"{name} as {role} ({response.status_code})"] = sorted(set(left))
    assert seen > 100
    report = "\n".join(f"{page}:\n    " + "\n    ".join(texts) for page, texts in found.items())
    assert not found, (
        f"Chinese on {len(found)} English pages (translate it, or exempt it in tests/i18n_exempt.py):\n{report}"
    )


@pytest.mark.django_db
def test_the_error_pages_are_english(world):
    client = english_client(world.company_user)
    for url, status in ((reverse("accounts:user_list"), 403), ("/no-such-page/", 404)):
        response = client.get(url)
        assert response.status_code == status
        assert chinese_left(readable_text(response.content.decode()), []) == [], url


@pytest.mark.django_db
def test_api_problem_documents_are_english(walk_world):  # noqa: F811
    from tests.access.reserve import objects

    reserve = objects(walk_world)
    admin = english_client(walk_world.admin)
    company = english_client(walk_world.company_user)
    officer = english_client(walk_world.officer)
    cases = [
        # a domain refusal with a clause (ANNEX-1 is issued once the application is approved)
        admin.get(f"/api/v1/reserve/applications/{reserve.draft.pk}/annex.pdf"),
        # body validation
        admin.post("/api/v1/enterprises", {}, content_type="application/json"),
        # out of scope, and a role without the right
        officer.get(f"/api/v1/enterprises/{walk_world.other_company.pk}"),
        company.post("/api/v1/enterprises", {}, content_type="application/json"),
        # a service's refusal
        admin.post(
            "/api/v1/enterprises", {"name": "x", "uscc": "bad", "zone": "A"}, content_type="application/json"
        ),
    ]
    statuses = []
    for response in cases:
        statuses.append(response.status_code)
        assert response["Content-Type"] == "application/problem+json"
        assert response["Content-Language"] == "en"
        assert not CJK.search(response.content.decode()), response.content.decode()
    assert statuses == [409, 422, 404, 403, 422]
