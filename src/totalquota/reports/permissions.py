"""Who may do what with bulletins (RED-5, RES-3, SUP-4): the bureau issues, re-issues, revokes
and publishes; leaders and partners read every bulletin; zone officers read their zone's (scope:
``BulletinSeries.scope_fields``); units and third parties see only the public page."""

from totalquota.accounts.permissions import BUREAU, register_actions
from totalquota.accounts.roles import Role as R

register_actions(
    {
        "reports.view_bulletins": BUREAU | {R.LEADER, R.PARTNER, R.ZONE_OFFICER, R.SYSTEM},
        "reports.issue_bulletin": BUREAU,
        # Publishing an issued document (a bulletin, or a unit's document the bureau chooses to).
        "reports.publish": BUREAU,
    }
)
