"""Who may see the provenance picture: the bureau, the leaders and the partner departments see
the park; a zone officer sees the flows of their zone (scope from ``accounts.permissions``)."""

from totalquota.accounts.permissions import register_actions
from totalquota.accounts.roles import Role as R

register_actions({"reports.view_provenance": {R.ADMIN, R.REVIEWER, R.LEADER, R.PARTNER, R.ZONE_OFFICER}})
