"""Handing one-time passwords over: a printable letter (PDF, one page per unit) and a spreadsheet.

The platform stores a password only as its argon2 hash, and a one-time password is no exception.
Its clear text exists in one place: the answer to the request that issued it (opening accounts,
a reset). That page shows the passwords once and carries them, sealed, for its two download
buttons (letter and spreadsheet), which post the seal back; the files are made from it in the
download's own answer. Nothing is written to the database, the session, a cache, a file or a log.

Why a seal in the page rather than the session or a stored file: Django's sessions live in the
database, where a password kept "for a short time" would sit in clear text in a table and in its
backups; a generated file kept for a later download would do the same on disk. The seal
(``django.core.signing``, keyed with the site's secret) holds the passwords only in the issuing
person's browser, where the page already shows them. It is refused when forged, when another
person posts it, after :data:`SEAL_MAX_AGE`, and for each account whose password changed since
(the seal carries a fingerprint of the hash it was issued with), so an old page cannot print a
password that no longer opens anything; the unit's first sign-in rehashes its password with the
default hasher (see ``accounts.hashers``), so the letter is void from then on too. Pages and downloads are sent with ``Cache-Control:
no-store``. A lost sheet is replaced by a reset, never reprinted from the platform.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import password_validators_help_texts
from django.core import signing
from django.utils import timezone, translation

from totalquota.accounts.models import User
from totalquota.accounts.permissions import Principal
from totalquota.accounts.services import OneTimePassword
from totalquota.common.pdf import render_pdf
from totalquota.common.xlsx import write_workbook

SEAL_SALT = "totalquota.accounts.handover"
SEAL_MAX_AGE = 30 * 60  # seconds: long enough to download and print both files


def _fingerprint(user: User) -> str:
    """A short digest of the stored hash: changes whenever the password does."""
    return hashlib.sha256(user.password.encode()).hexdigest()[:16]


def seal(actor: Principal, issued: Sequence[OneTimePassword], *, kind: str) -> str:
    """The passwords of ``issued``, signed for ``actor``'s download buttons (see the module)."""
    items = [[i.user.pk, i.password, _fingerprint(i.user)] for i in issued]
    return signing.dumps({"by": actor.user_id, "kind": kind, "items": items}, salt=SEAL_SALT, compress=True)


class SealRefused(Exception):
    """A seal that is forged, expired, someone else's, or whose passwords have all changed since."""


def unseal(actor: Principal, text: str) -> tuple[str, list[OneTimePassword]]:
    """The kind and the passwords a seal carries, for accounts whose password is still the one it
    was issued with (and still to be changed); :class:`SealRefused` otherwise."""
    try:
        data = signing.loads(text, salt=SEAL_SALT, max_age=SEAL_MAX_AGE)
    except signing.BadSignature:  # SignatureExpired is one
        raise SealRefused from None
    if data.get("by") != actor.user_id:
        raise SealRefused
    users = User.objects.select_related("enterprise__zone").in_bulk([pk for pk, _pw, _fp in data["items"]])
    issued = [
        OneTimePassword(user=users[pk], password=password)
        for pk, password, fingerprint in data["items"]
        if pk in users and users[pk].must_change_password and _fingerprint(users[pk]) == fingerprint
    ]
    if not issued:
        raise SealRefused
    return data.get("kind", "create"), issued


@dataclass(frozen=True)
class Sheet:
    """One unit's sheet: what the letter page and the spreadsheet row say."""

    unit: str
    uscc: str
    zone: str
    username: str
    password: str


def sheets(issued: Sequence[OneTimePassword]) -> list[Sheet]:
    rows = []
    for item in issued:
        unit: Any = item.user.enterprise
        rows.append(
            Sheet(
                unit=unit.name if unit else str(item.user),
                uscc=unit.uscc if unit else "",
                zone=unit.zone.name if unit else "",
                username=item.user.username,
                password=item.password,
            )
        )
    return rows


LETTER_CSS = """
.letter { page-break-after: always; }
.letter:last-child { page-break-after: auto; }
.letter h1 { margin-top: 8mm; }
.letter table th { width: 32%; text-align: left; }
.letter td.secret { font-family: "DejaVu Sans Mono", "Noto Sans Mono CJK SC", monospace; font-size: 14pt; letter-spacing: 0.08em; }
.letter ol li { margin-bottom: 1.5mm; }
"""


def letter_context(
    issued: Sequence[OneTimePassword], *, kind: str, login_url: str, issuer: str
) -> dict[str, Any]:
    return {
        "sheets": sheets(issued),
        "reset": kind == "reset",
        "login_url": login_url,
        "issuer": issuer,
        "park_name": settings.PARK_NAME,
        # the validators' own sentences, as one: "…12 个字符；…常见密码；…数字。"
        "policy": "；".join(str(t).rstrip("。.") for t in password_validators_help_texts()) + "。",
        "lockout_failures": settings.AXES_FAILURE_LIMIT,
        "lockout_minutes": round(float(settings.AXES_COOLOFF_TIME) * 60),
        "date": timezone.localdate(),
    }


def letters_pdf(issued: Sequence[OneTimePassword], *, kind: str, login_url: str, issuer: str) -> bytes:
    """The letters, one A4 page per unit, in Chinese: they are handed to the units."""
    with translation.override("zh-hans"):
        context = letter_context(issued, kind=kind, login_url=login_url, issuer=issuer)
        return render_pdf("accounts/one_time_letter_pdf.html", context, stylesheets=[LETTER_CSS])


def letters_xlsx(issued: Sequence[OneTimePassword], *, kind: str, login_url: str, issuer: str):
    """The same as a spreadsheet: one row per unit, and a sheet with the instructions."""
    with translation.override("zh-hans"):
        context = letter_context(issued, kind=kind, login_url=login_url, issuer=issuer)
        title = "账号密码重置" if kind == "reset" else "账号开通"
        headers = ["功能区", "排污单位名称", "统一社会信用代码", "用户名", "初始密码（一次性）", "登录地址"]
        rows = [[s.zone, s.unit, s.uscc, s.username, s.password, login_url] for s in context["sheets"]]
        notes = [
            ["签发", issuer],
            ["签发时间", timezone.localtime().strftime("%Y-%m-%d %H:%M")],
            ["登录地址", login_url],
            ["首次登录", "使用初始密码登录后须立即设置新密码，初始密码随即失效"],
            ["密码要求", context["policy"]],
            ["保管", "本表含初始密码，仅交各单位本人；密码遗失请联系功能区或生态环境局重置，平台不保存明文"],
        ]
        return write_workbook(
            [(title, headers, rows), ("说明", ["项目", "内容"], notes)],
            widths={title: [18, 36, 22, 22, 20, 36], "说明": [12, 90]},
        )
