"""Who manages webhooks: the bureau's administrators only (subscriptions, the delivery log,
replays and test events). No quota moves, so no second person is needed."""

from totalquota.accounts.permissions import register_actions
from totalquota.accounts.roles import Role as R

register_actions({"webhooks.manage": {R.ADMIN}})
