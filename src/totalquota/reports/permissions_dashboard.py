"""Who may open which dashboard (看板); the records on each are scoped as everywhere else."""

from totalquota.accounts.permissions import register_actions
from totalquota.accounts.roles import Role as R

register_actions(
    {
        # The park dashboard: the bureau and the partner departments (park-wide readers).
        "reports.dashboard_park": {R.REVIEWER, R.ADMIN, R.PARTNER},
        # A zone's dashboard: its zone officer (own zone only) and the park-wide readers.
        "reports.dashboard_zone": {R.ZONE_OFFICER, R.REVIEWER, R.ADMIN, R.PARTNER, R.LEADER},
        # The zone officer's own entry in the menu.
        "reports.dashboard_own_zone": {R.ZONE_OFFICER},
        # The leading group's one-page overview (the bureau sees what the leaders see).
        "reports.dashboard_leader": {R.LEADER, R.REVIEWER, R.ADMIN, R.PARTNER},
        # A unit's own dashboard.
        "reports.dashboard_unit": {R.ENTERPRISE},
    }
)
