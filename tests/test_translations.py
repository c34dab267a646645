"""Chinese is the source language; every string shown in the UI has an English translation, and
the English switch really shows English."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import translation

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "totalquota"
DJANGO_ADMIN = Path(sys.executable).with_name("django-admin")
APP_CATALOGS = sorted(
    p.parent.parent.parent.parent.name for p in PACKAGE.glob("*/locale/en/LC_MESSAGES/django.po")
)
LINE = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+"(.*)"$')


def catalogue(po: Path) -> dict[tuple[str, str], tuple[str, bool]]:
    """(context, msgid) -> (English text, fuzzy?) for every active entry of a catalogue; plural
    forms are joined, obsolete entries (``#~``) and the header are left out."""
    result = {}
    for block in po.read_text(encoding="utf-8").split("\n\n"):
        fields: dict[str, str] = {}
        key = None
        for line in block.splitlines():
            head = LINE.match(line)
            if head:
                key = "msgstr" if head.group(1).startswith("msgstr") else head.group(1)
                fields[key] = fields.get(key, "") + head.group(2)
            elif key and line.startswith('"'):
                fields[key] += line[1:-1]
            else:
                key = None
        if fields.get("msgid"):
            result[(fields.get("msgctxt", ""), fields["msgid"])] = (
                fields.get("msgstr", ""),
                "#, fuzzy" in block,
            )
    return result


def fresh_catalog(tmp_path: Path, app: str | None) -> Path:
    copy = tmp_path / "totalquota"
    if not copy.exists():
        shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("*.mo", "__pycache__", "static"))
    where = copy / app if app else copy
    args = [str(DJANGO_ADMIN), "makemessages", "-l", "en", "--no-location", "-v", "0"]
    if app is None:
        args += [arg for other in APP_CATALOGS for arg in ("-i", f"{other}/*")]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "totalquota.settings", "PYTHONPATH": str(ROOT / "src")}
    subprocess.run(args, cwd=where, env=env, check=True, capture_output=True, timeout=300)
    return where / "locale" / "en" / "LC_MESSAGES" / "django.po"


@pytest.mark.parametrize("app", [None, *APP_CATALOGS], ids=lambda a: a or "project")
def test_every_ui_string_has_an_english_translation(tmp_path, app):
    committed = catalogue((PACKAGE / app if app else PACKAGE) / "locale" / "en" / "LC_MESSAGES" / "django.po")
    found = catalogue(fresh_catalog(tmp_path, app))
    missing = sorted(set(found) - set(committed))
    untranslated = sorted(k for k, (text, fuzzy) in committed.items() if (not text or fuzzy) and k in found)
    assert not missing, f"strings not in the catalog (run makemessages and translate): {missing[:20]}"
    assert not untranslated, f"strings without an English translation: {untranslated[:20]}"


def test_catalogues_agree_on_shared_strings():
    """Django merges every catalogue into one, so a string translated two ways shows one of them
    on every page: each (context, string) must read the same in all catalogues."""
    seen: dict[tuple[str, str], dict[str, str]] = {}
    for po in sorted(PACKAGE.glob("**/locale/en/LC_MESSAGES/django.po")):
        for key, (text, _fuzzy) in catalogue(po).items():
            seen.setdefault(key, {})[str(po.relative_to(PACKAGE).parts[0])] = text
    assert len(seen) > 500
    clashes = {key: where for key, where in seen.items() if len(set(where.values())) > 1}
    assert not clashes, f"translated differently (give them one English text or a context): {clashes}"


@pytest.mark.django_db
def test_the_english_switch_shows_english_on_every_area(client, world):
    client.force_login(world.admin)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    pages = {
        reverse("home"): "Dashboard",
        reverse("registry:enterprise_list"): ">Enterprises</h1>",
        reverse("ledger:overview"): "Reserve balances",
        reverse("reserve:application_list"): "Quota applications",
        reverse("audit:event_list"): "Audit log",
    }
    for url, text in pages.items():
        html = client.get(url).content.decode()
        assert 'lang="en"' in html and text in html, url
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert "工作台" in client.get(reverse("home")).content.decode()
    translation.activate("zh-hans")
