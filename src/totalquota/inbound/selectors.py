"""Reading inbound events (the bureau's reviewers and administrators) and who may post them."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from totalquota.accounts.permissions import Principal, access, restrict
from totalquota.inbound.models import InboundEvent, PartnerSystem

RELATED = ("client", "token", "enterprise")


def events(who: Principal | Any) -> QuerySet[InboundEvent]:
    return restrict(who, InboundEvent.objects.select_related(*RELATED), "inbound.view")


def event_for(who: Principal | Any, pk: Any) -> InboundEvent:
    return access(who, InboundEvent.objects.select_related(*RELATED), pk, "inbound.view")


def partner_source(principal: Principal) -> str | None:
    """The partner system the caller's client account speaks for, if any."""
    return PartnerSystem.objects.filter(client_id=principal.user_id).values_list("source", flat=True).first()
