"""Languages: what is stored is Chinese, what is shown is in the page's language.

Records keep Chinese text (the source language, ``settings.LANGUAGE_CODE``) whatever language the
person writing them has switched to; pages translate at display time (``gettext`` of the msgid,
``Pollutant.display_name``, ``DeclarationRound.display_title``, ``IntakeItem.reason_rows``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import translation


def chinese(text: Any) -> str:
    """``text`` (a lazy translation or a plain string) as stored: in the source language."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(text)


def in_chinese() -> translation.override:
    """``with in_chinese():`` builds text to store (a rule explanation, a computation) in Chinese."""
    return translation.override(settings.LANGUAGE_CODE)
