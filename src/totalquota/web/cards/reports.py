"""Home-page card of the dashboards: each role is offered its own dashboard (看板)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from totalquota.accounts.permissions import Principal, may
from totalquota.web.home import Card, provider

# The first dashboard a role may open, in this order, with the card's title.
DASHBOARDS = [
    ("reports.dashboard_unit", "reports:dashboard_unit", _l("本单位看板")),
    ("reports.dashboard_own_zone", "reports:dashboard_own_zone", _l("功能区看板")),
    ("reports.dashboard_park", "reports:dashboard_park", _l("园区看板")),
    ("reports.dashboard_leader", "reports:dashboard_leader", _l("领导总览")),
]


@provider
def dashboard_card(principal: Principal) -> list[Card]:
    for action, name, title in DASHBOARDS:
        if may(principal, action):
            return [Card(_("看板"), title, reverse(name), "info", _("储备、收支、预警和期限一览"), 1)]
    return []
