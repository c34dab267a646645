"""Who may read the ledger. Quota moves through the services of the apps above it (the reserve's
adjustments for zone transfers and corrections, four eyes)."""

from totalquota.accounts.permissions import register_actions
from totalquota.accounts.roles import Role as R

register_actions(
    {
        # Everyone reads within their scope: lots and zone balances by zone, allocations also by unit.
        "ledger.view": set(R),
        # The reconcile runs (台账对账): the bureau reads them; an administrator starts one.
        "ledger.reconcile_view": {R.ADMIN, R.REVIEWER, R.LEADER},
        "ledger.reconcile": {R.ADMIN},
    }
)
