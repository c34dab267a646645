"""Who may do what in enforcement and credit (SUP-4).

The bureau's reviewers and administrators decide; zone officers record findings and prepare
decisions for their own zone (their scope); leaders and partner departments read park-wide; a
unit's staff read their own unit's findings and credit entries and answer its notices; a system
client (the enforcement or credit system) reads. Third parties have no part in enforcement.
"""

from totalquota.accounts.permissions import register_actions
from totalquota.accounts.roles import Role as R

register_actions(
    {
        "enforcement.view": {
            R.ADMIN,
            R.REVIEWER,
            R.LEADER,
            R.PARTNER,
            R.ZONE_OFFICER,
            R.ENTERPRISE,
            R.SYSTEM,
        },
        # Registering a finding, its evidence, the notice and preparing a decision (拟办).
        "enforcement.record": {R.ADMIN, R.REVIEWER, R.ZONE_OFFICER},
        # A violation the enforcement system posts opens a finding from its event (PLAT-1).
        "enforcement.receive_event": {R.SYSTEM},
        # The unit's answer to a notice (陈述申辩), by its own staff.
        "enforcement.answer": {R.ENTERPRISE},
        # Adding a file: the bureau's evidence (officers) or the unit's answer material (its staff).
        "enforcement.add_file": {R.ADMIN, R.REVIEWER, R.ZONE_OFFICER, R.ENTERPRISE},
        # Confirming or returning a prepared decision: a bureau person other than its preparer.
        "enforcement.decide": {R.ADMIN, R.REVIEWER},
    }
)
