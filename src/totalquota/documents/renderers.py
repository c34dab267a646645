"""Who draws each kind of document: the app that issues a kind registers its renderer here.

The documents app sits below the apps that issue documents (the reserve issues ANNEX-1), so it
cannot import them; each registers a function ``render(document, verify_url) -> Files`` from its
``ready()``. The renderer draws from ``document.figures`` only (the snapshot taken at issue), never
from live records, so what it draws is what was decided.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from totalquota.documents.models import IssuedDocument


@dataclass(frozen=True)
class Files:
    pdf: bytes
    xlsx: bytes | None = None


Renderer = Callable[["IssuedDocument", str], Files]
_RENDERERS: dict[str, Renderer] = {}


def register(kind: str, render: Renderer) -> None:
    _RENDERERS[kind] = render


def renderer(kind: str) -> Renderer:
    try:
        return _RENDERERS[kind]
    except KeyError:
        raise LookupError(f"no renderer registered for documents of kind {kind!r}") from None
