"""Access table: the registry's permit limits and working-day calendar."""

from totalquota.accounts.roles import Role as R
from totalquota.registry.models import CalendarDay

from . import ApiRoute, Page, allow

PEOPLE = [r for r in R if r != R.SYSTEM]
ALL_PEOPLE = allow(*PEOPLE, roles_list=PEOPLE)
ADMIN_ONLY = allow(R.ADMIN, roles_list=PEOPLE)
RECORDERS = allow(R.ADMIN, R.ZONE_OFFICER, roles_list=PEOPLE)


def _a_calendar_day(w) -> dict:
    return {"pk": CalendarDay.objects.order_by("date").first().pk}


PAGES = {
    "registry:permit_limit_list": Page(ALL_PEOPLE),
    # The company is in zone A: its officer records its limits; the officer of zone B learns nothing.
    "registry:permit_limit_create": Page(RECORDERS, kwargs=lambda w: {"pk": w.company.pk}),
    "registry:permit_limit_create#other_zone": Page(
        allow(R.ADMIN, roles_list=PEOPLE, overrides={R.ZONE_OFFICER: 404}),
        kwargs=lambda w: {"pk": w.other_company.pk},
    ),
    "registry:permit_limit_import": Page(RECORDERS),
    "registry:permit_limit_template": Page(RECORDERS),
    "registry:calendar_list": Page(ADMIN_ONLY),
    "registry:calendar_create": Page(ADMIN_ONLY),
    "registry:calendar_delete": Page(ADMIN_ONLY, kwargs=_a_calendar_day, method="post"),
}


API_ROUTES = {
    ("post", "/api/v1/zones"): ApiRoute(allow(R.ADMIN), body=lambda w: {}),
    ("patch", "/api/v1/zones/{zone_id}"): ApiRoute(
        allow(R.ADMIN), params=lambda w: {"zone_id": w.zone_a.pk}, body=lambda w: {}
    ),
    ("get", "/api/v1/permit-limits"): ApiRoute(allow(*R)),
    ("post", "/api/v1/enterprises/{enterprise_id}/permit-limits"): ApiRoute(
        allow(R.ADMIN, R.ZONE_OFFICER), params=lambda w: {"enterprise_id": w.company.pk}, body=lambda w: {}
    ),
    ("post", "/api/v1/permit-limits/import"): ApiRoute(allow(R.ADMIN, R.ZONE_OFFICER)),
    ("get", "/api/v1/calendar"): ApiRoute(allow(R.ADMIN)),
    ("post", "/api/v1/calendar"): ApiRoute(allow(R.ADMIN), body=lambda w: {}),
    ("delete", "/api/v1/calendar/{day_id}"): ApiRoute(
        allow(R.ADMIN), params=lambda w: {"day_id": _a_calendar_day(w)["pk"]}
    ),
}
