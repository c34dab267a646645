"""Template tags of technical review (TOT-3): the data of the review panel a report's page includes."""

from __future__ import annotations

from typing import Any

from django import template

from totalquota.emissions import selectors_review
from totalquota.emissions.consistency import flag_message

register = template.Library()


@register.simple_tag(takes_context=True)
def review_panel(context: template.Context, report: Any) -> selectors_review.Panel:
    """``{% review_panel report as panel %}``: the panel of ``report`` for the person viewing it."""
    return selectors_review.panel(context["request"].user, report)


@register.filter
def explained(flag: Any) -> str:
    """A flag's explanation in the page's language."""
    return flag_message(flag)
