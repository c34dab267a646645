"""Access table: API tokens. Every caller lists its own (people hold none); only the system
client revokes its own token (anyone else's is 404); an administrator lists and revokes any."""

from __future__ import annotations

from typing import Any

from totalquota.accounts.roles import Role as R

from . import EVERY_ROLE, ApiRoute, allow


def _token(w: Any, attr: str) -> dict[str, Any]:
    """A token of the walk's system client, one per route (each route revokes its own)."""
    if not hasattr(w, attr):
        from totalquota.accounts.services import token_issue

        token, _text = token_issue(actor=w.admin.principal, name=f"walk-{attr}", client=w.client)
        setattr(w, attr, token)
    return {"token_id": getattr(w, attr).pk}


API_ROUTES = {
    ("get", "/api/v1/tokens/mine"): ApiRoute(allow(*EVERY_ROLE)),
    ("post", "/api/v1/tokens/mine/{token_id}/revoke"): ApiRoute(
        allow(R.SYSTEM, others=404), params=lambda w: _token(w, "own_token")
    ),
    ("get", "/api/v1/tokens"): ApiRoute(allow(R.ADMIN)),
    ("post", "/api/v1/tokens/{token_id}/revoke"): ApiRoute(
        allow(R.ADMIN), params=lambda w: _token(w, "any_token")
    ),
}
