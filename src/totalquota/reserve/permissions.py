"""Who may do what in the quota reserve."""

from totalquota.accounts.permissions import register_actions
from totalquota.accounts.roles import Role as R

register_actions(
    {
        "reserve.view": set(R),
        "reserve.apply": {R.ENTERPRISE, R.ZONE_OFFICER},
        "reserve.precheck": {R.THIRD_PARTY},
        "reserve.decide": {R.REVIEWER},
        # Adjusting an application's balance plan (holding again): the bureau's reviewers and its
        # administrators, who also obtain the zone transfers and upper-level grants it needs.
        "reserve.plan": {R.REVIEWER, R.ADMIN},
        "reserve.intake": {R.ADMIN},
        # Intake runs are read by the bureau and confirmed by a person other than their preparer
        # (four eyes, RES-1 Decision): another administrator or a reviewer.
        "reserve.intake_view": {R.ADMIN, R.REVIEWER},
        "reserve.intake_confirm": {R.ADMIN, R.REVIEWER},
        "reserve.upper_level": {R.ADMIN},
        # The upper level's answer is recorded by a person other than the requester (four eyes).
        "reserve.upper_grant": {R.ADMIN, R.REVIEWER},
        # Adjustments of the reserve (zone transfers, corrections, upper-level deductions): an
        # administrator proposes, another administrator or a reviewer confirms (four eyes).
        "reserve.adjust": {R.ADMIN},
        "reserve.adjust_confirm": {R.ADMIN, R.REVIEWER},
        "reserve.adjust_view": {R.ADMIN, R.REVIEWER, R.LEADER},
        "reserve.recover": {R.REVIEWER, R.ADMIN},
        "reserve.record_data": {R.ADMIN, R.REVIEWER},
        # The unit told of a proposed RES-4 recovery answers it (once, within the answer period).
        "reserve.recovery_answer": {R.ENTERPRISE},
        "reserve.mark_operating": {R.ENTERPRISE, R.ZONE_OFFICER, R.ADMIN},
        "reserve.view_warnings": {
            R.ADMIN,
            R.REVIEWER,
            R.LEADER,
            R.ZONE_OFFICER,
            R.THIRD_PARTY,
            R.PARTNER,
            R.SYSTEM,
        },
    }
)
