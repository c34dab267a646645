"""The text a person reads on a rendered page: element text outside scripts and styles, plus the
attributes a browser shows (titles, placeholders, alt texts, option labels)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

SHOWN_ATTRIBUTES = ("title", "placeholder", "alt", "aria-label")
# A bare gram figure ("26400000 g", "26400000g", "26400000 g/a") and the indicator codes a page must
# name in Chinese; a concentration ("1320 g/m³") is a unit of its own.
BARE_GRAMS = re.compile(r"\d{4,} ?g\b(?!/m)")
INDICATOR_CODES = re.compile(r"\b(WATER|AIR|PM25|O3)\b")


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template"):
            self._hidden += 1
        for name, value in attrs:
            if name in SHOWN_ATTRIBUTES and value:
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.parts.append(data.strip())


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return "\n".join(parser.parts)


def unreadable(html: str) -> list[str]:
    """Bare grams and indicator codes in the visible text of ``html`` (empty when it reads well)."""
    text = visible_text(html)
    return [m.group(0) for m in BARE_GRAMS.finditer(text)] + INDICATOR_CODES.findall(text)
