"""Home-page cards from the registry."""

from __future__ import annotations

from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext as _

from totalquota.accounts.permissions import Principal, may, restrict
from totalquota.registry.models import Enterprise, ManagementCategory
from totalquota.registry.selectors import active_zones
from totalquota.web.home import Card, Chart, bar_option, chart_provider, provider


@provider
def registry_cards(principal: Principal) -> list[Card]:
    units = restrict(principal, Enterprise.objects.filter(is_active=True), "registry.view")
    url = reverse("registry:enterprise_list")
    if may(principal, "registry.own_unit"):
        unit = units.select_related("zone").first()
        if unit is None:
            return []
        cards = [
            Card(
                _("本单位"), unit.name, unit.get_absolute_url(), "secondary", f"{unit.zone} · {unit.uscc}", 90
            )
        ]
        if not unit.contact_phone or not unit.contact_name:
            cards.append(
                Card(
                    _("本单位联系人信息不完整"),
                    _("待补全"),
                    unit.get_absolute_url(),
                    "warning",
                    _("请联系功能区补全联系人和电话"),
                    20,
                )
            )
        return cards
    cards = [Card(_("在册排污单位"), units.count(), url, "secondary", order=90)]
    if may(principal, "registry.chase_contacts"):
        incomplete = units.filter(Q(contact_phone="") | Q(contact_name=""))
        count = incomplete.count()
        if count:
            cards.append(
                Card(
                    _("联系人信息待补全的排污单位"), count, url, "warning", _("补全后便于通知申报与核查"), 30
                )
            )
    return cards


@chart_provider
def enterprises_chart(principal: Principal) -> list[Chart]:
    """Registered units per zone and management category (for people who see several zones)."""
    if not principal.sees_several_zones:
        return []
    units = restrict(principal, Enterprise.objects.filter(is_active=True), "registry.view")
    counts = {
        (z, c): n
        for z, c, n in units.values("zone", "management_category")
        .annotate(n=Count("id"))
        .values_list("zone", "management_category", "n")
    }
    zones = list(active_zones(principal))
    series = {
        str(label): [counts.get((z.pk, value), 0) for z in zones]
        for value, label in ManagementCategory.choices
    }
    return [
        Chart(
            _("各功能区在册排污单位（按管理类别）"),
            bar_option([z.name for z in zones], series, stack=True),
            50,
        )
    ]
