"""Access table: the account routes of the API (people's accounts, lockouts, issuing a system
token, deputies, units' accounts). Every body here is empty or harmless: past authorisation the
answer is 422 for a body that says nothing, or what the row names."""

from __future__ import annotations

from totalquota.accounts.roles import Role as R

from . import ApiRoute, allow

ADMIN = allow(R.ADMIN)
NOTHING = {"body": lambda w: {}}

API_ROUTES = {
    ("get", "/api/v1/users"): ApiRoute(ADMIN),
    ("get", "/api/v1/users/{user_id}"): ApiRoute(ADMIN, params=lambda w: {"user_id": w.leader.pk}),
    ("post", "/api/v1/users"): ApiRoute(ADMIN, **NOTHING),
    # An empty change changes nothing.
    ("patch", "/api/v1/users/{user_id}"): ApiRoute(
        ADMIN, params=lambda w: {"user_id": w.leader.pk}, **NOTHING
    ),
    ("post", "/api/v1/users/{user_id}/password"): ApiRoute(
        ADMIN, params=lambda w: {"user_id": w.leader.pk}, **NOTHING
    ),
    ("post", "/api/v1/users/unlock"): ApiRoute(ADMIN, **NOTHING),
    ("post", "/api/v1/tokens"): ApiRoute(ADMIN, **NOTHING),
    ("get", "/api/v1/delegation"): ApiRoute(allow(R.REVIEWER, R.ADMIN)),
    ("post", "/api/v1/delegation"): ApiRoute(allow(R.REVIEWER, R.ADMIN), **NOTHING),
    # Nobody in the walk has a deputy: past authorisation there is nothing to end (409).
    ("delete", "/api/v1/delegation"): ApiRoute(allow(overrides={R.REVIEWER: 409, R.ADMIN: 409})),
    ("get", "/api/v1/unit-accounts"): ApiRoute(allow(R.ADMIN, R.ZONE_OFFICER)),
    ("post", "/api/v1/unit-accounts"): ApiRoute(allow(R.ADMIN, R.ZONE_OFFICER), **NOTHING),
    # The other company's account is outside zone A: its officer learns nothing of it.
    ("post", "/api/v1/unit-accounts/{user_id}/reset-password"): ApiRoute(
        allow(R.ADMIN, overrides={R.ZONE_OFFICER: 404}), params=lambda w: {"user_id": w.other_company_user.pk}
    ),
}
