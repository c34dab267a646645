"""Access table: home, accounts, registry and audit."""

from totalquota.accounts.roles import Role as R

from . import OK, ApiRoute, Page, allow

PEOPLE = [r for r in R if r != R.SYSTEM]
ALL_PEOPLE = allow(*PEOPLE, roles_list=PEOPLE)
ADMIN_ONLY = allow(R.ADMIN, roles_list=PEOPLE)
EDITORS = allow(R.ADMIN, R.ZONE_OFFICER, roles_list=PEOPLE)
AUDITORS = allow(R.ADMIN, R.REVIEWER, R.LEADER, roles_list=PEOPLE)

PAGES = {
    "home": Page(ALL_PEOPLE),
    "set_language": Page(ALL_PEOPLE, method="post", data=lambda w: {"language": "en"}, anonymous=302),
    "accounts:login": Page(ALL_PEOPLE, anonymous=200),
    "accounts:logout": Page(ALL_PEOPLE, method="post"),
    "accounts:password_change": Page(ALL_PEOPLE),
    "workflow:assigned": Page(ALL_PEOPLE),
    "accounts:delegation": Page(allow(R.ADMIN, R.REVIEWER, roles_list=PEOPLE)),
    # Nothing to clear in the walk: the bureau gets past authorisation to the refusal (a redirect).
    "accounts:delegation_clear": Page(allow(R.ADMIN, R.REVIEWER, roles_list=PEOPLE), method="post"),
    "accounts:user_list": Page(ADMIN_ONLY),
    "accounts:user_create": Page(ADMIN_ONLY),
    "accounts:user_detail": Page(ADMIN_ONLY, kwargs=lambda w: {"pk": w.officer.pk}),
    "accounts:user_set_password": Page(ADMIN_ONLY, kwargs=lambda w: {"pk": w.officer.pk}, method="post"),
    "accounts:token_list": Page(ADMIN_ONLY),
    "accounts:lockouts": Page(ADMIN_ONLY),
    "accounts:unlock": Page(ADMIN_ONLY, method="post", data=lambda w: {"username": "nobody"}),
    "accounts:token_create": Page(ADMIN_ONLY),
    "accounts:token_revoke": Page(ADMIN_ONLY, kwargs=lambda w: {"pk": w.token.pk}, method="post"),
    "registry:enterprise_list": Page(ALL_PEOPLE),
    # The company is in zone A: the officer of zone A, the third party serving A and the company's own
    # staff see it; nobody else in a narrower scope learns it exists.
    "registry:enterprise_detail": Page(ALL_PEOPLE, kwargs=lambda w: {"pk": w.company.pk}),
    "registry:enterprise_create": Page(EDITORS),
    "registry:enterprise_edit": Page(EDITORS, kwargs=lambda w: {"pk": w.company.pk}),
    "registry:unit_change": Page(EDITORS, kwargs=lambda w: {"pk": w.company.pk, "kind": "rename"}),
    "registry:unit_change#other_zone": Page(
        allow(R.ADMIN, roles_list=PEOPLE, overrides={R.ZONE_OFFICER: 404}),
        kwargs=lambda w: {"pk": w.other_company.pk, "kind": "close"},
    ),
    "registry:enterprise_import": Page(EDITORS),
    "registry:enterprise_template": Page(EDITORS),
    "registry:zone_list": Page(ALL_PEOPLE),
    "registry:zone_create": Page(ADMIN_ONLY),
    "registry:zone_edit": Page(ADMIN_ONLY, kwargs=lambda w: {"pk": w.zone_a.pk}),
    "registry:pollutant_list": Page(ALL_PEOPLE),
    "registry:rule_list": Page(
        allow(R.ADMIN, R.REVIEWER, R.LEADER, R.ZONE_OFFICER, R.THIRD_PARTY, roles_list=PEOPLE)
    ),
    "registry:rule_create": Page(ADMIN_ONLY),
    "audit:event_list": Page(AUDITORS),
    "audit:event_detail": Page(AUDITORS, kwargs=lambda w: {"pk": w.audit_event.pk}),
    # Out-of-scope objects answer 404 to everyone whose scope excludes them.
    "registry:enterprise_detail#other_zone": Page(
        allow(
            *PEOPLE, roles_list=PEOPLE, overrides={R.ZONE_OFFICER: 404, R.THIRD_PARTY: 404, R.ENTERPRISE: 404}
        ),
        kwargs=lambda w: {"pk": w.other_company.pk},
    ),
    "registry:enterprise_edit#other_zone": Page(
        allow(R.ADMIN, roles_list=PEOPLE, overrides={R.ZONE_OFFICER: 404}),
        kwargs=lambda w: {"pk": w.other_company.pk},
    ),
}

READ_ALL = allow(*R)
API_ROUTES = {
    ("get", "/api/v1/zones"): ApiRoute(READ_ALL),
    ("get", "/api/v1/pollutants"): ApiRoute(READ_ALL),
    ("get", "/api/v1/rules"): ApiRoute(allow(R.ADMIN, R.REVIEWER, R.LEADER, R.ZONE_OFFICER, R.THIRD_PARTY)),
    ("post", "/api/v1/rules"): ApiRoute(allow(R.ADMIN), body=lambda w: {}),
    ("get", "/api/v1/enterprises"): ApiRoute(READ_ALL),
    ("get", "/api/v1/enterprises/{enterprise_id}"): ApiRoute(
        allow(*R, overrides={R.ZONE_OFFICER: 404, R.THIRD_PARTY: 404, R.ENTERPRISE: 404}),
        params=lambda w: {"enterprise_id": w.other_company.pk},
    ),
    ("post", "/api/v1/enterprises"): ApiRoute(allow(R.ADMIN, R.ZONE_OFFICER), body=lambda w: {}),
    ("patch", "/api/v1/enterprises/{enterprise_id}"): ApiRoute(
        allow(R.ADMIN, R.ZONE_OFFICER), params=lambda w: {"enterprise_id": w.company.pk}, body=lambda w: {}
    ),
    ("post", "/api/v1/enterprises/import"): ApiRoute(allow(R.ADMIN, R.ZONE_OFFICER)),
    # 单位沿革: read by whoever sees the unit, recorded by those who edit it (404 out of scope).
    ("get", "/api/v1/enterprises/{enterprise_id}/versions"): ApiRoute(
        allow(*R, overrides={R.ZONE_OFFICER: 404, R.THIRD_PARTY: 404, R.ENTERPRISE: 404}),
        params=lambda w: {"enterprise_id": w.other_company.pk},
    ),
    ("post", "/api/v1/enterprises/{enterprise_id}/changes"): ApiRoute(
        allow(R.ADMIN, R.ZONE_OFFICER), params=lambda w: {"enterprise_id": w.company.pk}, body=lambda w: {}
    ),
}

__all__ = ["OK"]
