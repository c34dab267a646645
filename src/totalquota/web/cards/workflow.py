"""Home-page card of the workflow kernel: the open items assigned to the person (or to someone
they stand in for as deputy)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from totalquota.accounts.permissions import Principal
from totalquota.web.home import Card, provider
from totalquota.workflow.services import assigned_to


@provider
def workflow_cards(principal: Principal) -> list[Card]:
    items = assigned_to(principal.user_id)
    if not items:
        return []
    names = "、".join(str(a.item) for a in items[:3])
    return [Card(_("指派给我的待办"), len(items), reverse("workflow:assigned"), "warning", names, 3)]
