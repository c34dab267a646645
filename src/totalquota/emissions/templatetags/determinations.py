"""``{% determination_after report as d %}``: the determination that a report's year leads to."""

from __future__ import annotations

from typing import Any

from django import template

from totalquota.accounts.permissions import restrict
from totalquota.emissions.models import Determination

register = template.Library()


@register.simple_tag(takes_context=True)
def determination_after(context: Any, report: Any) -> Determination | None:
    """The unit's determination of the year after ``report``'s emission year, if the person sees it."""
    request = context.get("request")
    if report is None or request is None:
        return None
    return (
        restrict(request.user, Determination.objects.select_related("document"), "emissions.view")
        .filter(enterprise_id=report.enterprise_id, year=report.year + 1)
        .first()
    )
