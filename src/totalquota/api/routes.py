"""The API object with every app's router mounted (``/api/v1/…``)."""

from totalquota.api import (
    accounts,
    emissions_determinations,
    emissions_listing,
    emissions_reports,
    emissions_review,
    enforcement,
    history,
    inbound,
    notifications,
    registry_admin,
    registry_rules,
    reserve_adjustments,
    reserve_data,
    reserve_upper,
    supervision,
    webhooks,
    workflow,
)
from totalquota.api.core import api
from totalquota.api.jobs import router as jobs_router
from totalquota.api.ledger import router as ledger_router
from totalquota.api.reductions import router as reductions_router
from totalquota.api.registry import router as registry_router
from totalquota.api.reserve import router as reserve_router
from totalquota.api.tokens import router as tokens_router

# People's accounts, lockouts, issuing a system token, deputies, units' accounts.
api.add_router("/", accounts.router)
api.add_router("/", registry_router)
api.add_router("/", registry_rules.router)
# Zones, permit limits and the working-day calendar (admins; permit limits also zone officers).
api.add_router("/", registry_admin.router)
api.add_router("/", reductions_router)
api.add_router("/", ledger_router)
api.add_router("/", reserve_router)
# The upper-level reserve (RES-2).
api.add_router("/", reserve_upper.router)
# The bureau's adjustments: zone transfers, corrections, upper-level deductions (four eyes).
api.add_router("/", reserve_adjustments.router)
# RES-4 candidates and cases, ambient attainment.
api.add_router("/", reserve_data.router)
api.add_router("/", jobs_router)
# Assigning who decides an open item; my assigned to-do.
api.add_router("/", workflow.router)
# 总量库: the management list, self-reports, review and consistency, determinations.
for module in (emissions_listing, emissions_reports, emissions_review, emissions_determinations):
    api.add_router("/", module.router)

# Supervision: findings and credit entries (SUP-4).
api.add_router("/", enforcement.router)

# The park's history since 2021 (SCOPE-1).
api.add_router("/", history.router)

# Dashboards, the provenance picture and bulletins.
api.add_router("/", supervision.router)

# Events posted by the approval, permit and enforcement systems (PLAT-1).
api.add_router("/", inbound.router)

# 站内信.
api.add_router("/", notifications.router)

# 外发事件订阅: webhook subscriptions and their delivery log (administrators).
api.add_router("/", webhooks.router)

# API tokens: the caller's own, and every token for an administrator.
api.add_router("/", tokens_router)

__all__ = ["api"]
