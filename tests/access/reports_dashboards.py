"""Access table: the dashboards (看板) under /supervision/dashboards/."""

from __future__ import annotations

from totalquota.accounts.roles import Role as R

from . import Page, allow

PEOPLE = [r for r in R if r != R.SYSTEM]
PARK = allow(R.REVIEWER, R.ADMIN, R.PARTNER, roles_list=PEOPLE)
ZONE = allow(R.ZONE_OFFICER, R.REVIEWER, R.ADMIN, R.PARTNER, R.LEADER, roles_list=PEOPLE)
LEADER = allow(R.LEADER, R.REVIEWER, R.ADMIN, R.PARTNER, roles_list=PEOPLE)

PAGES = {
    # Everyone with a dashboard is sent to it; the third party has none.
    "reports:dashboard": Page(allow(*PEOPLE, roles_list=PEOPLE, overrides={R.THIRD_PARTY: 403})),
    "reports:dashboard_park": Page(PARK),
    "reports:dashboard_park#as_of_known": Page(PARK, data=lambda w: {"as_of": "2025-06-30", "view": "known"}),
    "reports:dashboard_own_zone": Page(allow(R.ZONE_OFFICER, roles_list=PEOPLE)),
    "reports:dashboard_zone": Page(ZONE, kwargs=lambda w: {"zone_id": w.zone_a.pk}),
    # Zone B is not the zone officer's: its dashboard does not exist for them.
    "reports:dashboard_zone#other_zone": Page(
        {**ZONE, R.ZONE_OFFICER: 404}, kwargs=lambda w: {"zone_id": w.zone_b.pk}
    ),
    "reports:dashboard_leader": Page(LEADER),
    "reports:dashboard_unit": Page(allow(R.ENTERPRISE, roles_list=PEOPLE)),
}
