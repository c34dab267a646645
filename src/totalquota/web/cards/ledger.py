"""Home-page cards from the ledger: reserves running low, holds about to expire."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from totalquota.accounts.permissions import Principal, in_zones, may, restrict
from totalquota.ledger import selectors
from totalquota.ledger.models import Phase, Transfer, ZoneBalance
from totalquota.lib.units import grams_to_decimal
from totalquota.registry.models import Pollutant, Zone
from totalquota.web.home import Card, Chart, bar_option, chart_provider, provider


@provider
def ledger_cards(principal: Principal) -> list[Card]:
    if not may(principal, "ledger.view") or principal.enterprise_id is not None:
        return []
    cards = []
    rows = restrict(principal, ZoneBalance.objects.select_related("zone", "pollutant"), "ledger.view")
    empty = [r for r in rows if r.credits_posted and r.available <= 0]
    if empty:
        cards.append(
            Card(
                _("储备已用尽的功能区因子"),
                len(empty),
                reverse("ledger:overview"),
                "warning",
                "、".join(f"{r.zone.name}{r.pollutant.display_name}" for r in empty[:4]),
                25,
            )
        )
    soon = timezone.now() + dt.timedelta(days=7)
    holds = in_zones(
        principal,
        Transfer.objects.filter(phase=Phase.PENDING, resolution__isnull=True, timeout_at__lte=soon),
        "debit__zone_id",
    )
    count = holds.values("posting_id").distinct().count()
    if count:
        cards.append(
            Card(
                _("7 日内到期的指标预留"),
                count,
                reverse("ledger:transfer_list") + "?phase=pending",
                "warning",
                _("到期未处理将自动释放"),
                26,
            )
        )
    return cards


@chart_provider
def reserve_chart(principal: Principal) -> list[Chart]:
    """Available reserve per zone for the pollutants most applied for."""
    if not may(principal, "ledger.view") or principal.enterprise_id is not None:
        return []
    matrix = selectors.balance_matrix(
        in_zones(principal, Zone.objects.filter(is_active=True)),
        Pollutant.objects.filter(code__in=["VOCS", "NOX", "COD", "NH3N"]),
    )
    zones = [row.zone.name for row in matrix.rows]
    series = {
        p.name: [float(grams_to_decimal(c.available or 0)) for c in matrix.column(p)]
        for p in matrix.pollutants
    }
    return [Chart(_("各功能区可用储备（t/a）"), bar_option(zones, series, unit="t/a"), 40)]
