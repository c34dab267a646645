"""Who may read and move quota in the ledger."""

from totalquota.accounts.permissions import register_actions
from totalquota.accounts.roles import Role as R

register_actions(
    {
        # Everyone reads within their scope: lots and zone balances by zone, allocations also by unit.
        "ledger.view": set(R),
        "ledger.zone_transfer": {R.ADMIN},
        "ledger.correct": {R.ADMIN},
        # The reconcile runs (台账对账): the bureau reads them; an administrator starts one.
        "ledger.reconcile_view": {R.ADMIN, R.REVIEWER, R.LEADER},
        "ledger.reconcile": {R.ADMIN},
    }
)
