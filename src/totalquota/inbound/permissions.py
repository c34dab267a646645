"""Who may post and read inbound events.

A partner system posts with a system token of its client account, and only the events of its own
source (``PartnerSystem``); the bureau's reviewers and administrators read what came in and what
it did."""

from totalquota.accounts.permissions import BUREAU, register_actions
from totalquota.accounts.roles import Role as R

register_actions(
    {
        # Posting an event: system clients; which source each may post is PartnerSystem's.
        "inbound.post": {R.SYSTEM},
        "inbound.view": BUREAU,
    }
)
