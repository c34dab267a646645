"""Who sees notifications (everyone, their own), and who is told of what.

The ``notifications.receive_*`` entries are not actions a person takes: they say which roles the
outbox handler (``notifications.handlers``) addresses, so that the table stays the one place
roles are named. A zone officer is told only of their own zone, a unit's staff only of their own
unit; park-wide roles of the whole park."""

from totalquota.accounts.permissions import EVERYONE, register_actions
from totalquota.accounts.roles import Role as R

register_actions(
    {
        # Everyone signed in (and a system client, through its token) reads their own notifications.
        "notifications.view": EVERYONE,
        # Told when a record of their unit is returned or decided, a deadline nears, a finding is made.
        "notifications.receive_unit": {R.ENTERPRISE},
        # Told when something is submitted for the bureau's review (a zone officer: in their zone).
        "notifications.receive_review": {R.REVIEWER, R.ZONE_OFFICER},
        # Told of the bureau's own steps (a proposal awaiting a second reviewer, an intake run to
        # confirm or confirmed): the reviewers, and the administrators who assign the open items.
        "notifications.receive_bureau": {R.REVIEWER, R.ADMIN},
        # Told when a zone hands a unit's project on (the zone's officers).
        "notifications.receive_zone": {R.ZONE_OFFICER},
        # Told of reserve warnings (RES-3): the bureau and the zone's officers.
        "notifications.receive_warning": {R.REVIEWER, R.ADMIN, R.ZONE_OFFICER},
        # Told when a reconcile of the ledger finds a discrepancy or cannot finish: the administrators.
        "notifications.receive_ledger": {R.ADMIN},
    }
)
