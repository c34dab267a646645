"""Calling the API as a signed-in person, the way the operation tests do."""

from __future__ import annotations

from typing import Any


def api(client: Any, user: Any, method: str, url: str, body: Any = None, **headers: Any) -> Any:
    """``method`` on ``url`` as ``user`` (signed in on ``client``), with a JSON body."""
    client.force_login(user)
    if method == "delete":
        return client.delete(url, **headers)
    return getattr(client, method)(url, body or {}, content_type="application/json", **headers)
