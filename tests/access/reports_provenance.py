"""Access table: the provenance picture (指标来源去向图) and the page of one of its bands."""

from __future__ import annotations

from django.utils import timezone

from totalquota.accounts.roles import Role as R

from . import Page, allow
from .reserve import objects

PEOPLE = [r for r in R if r != R.SYSTEM]
# The bureau, the leaders and the partners see the park, a zone officer their zone; no one else.
VIEWERS = allow(R.ADMIN, R.REVIEWER, R.LEADER, R.PARTNER, R.ZONE_OFFICER, roles_list=PEOPLE)


def band(w) -> dict[str, str]:
    """The band from zone A's reserve into the walk's approved application (zone A)."""
    line = objects(w).approved.lines.get()
    today = timezone.localdate()
    return {
        "pollutant": line.pollutant.code,
        "start": today.replace(month=1, day=1).isoformat(),
        "end": today.isoformat(),
        "from": f"zone:{w.zone_a.pk}",
        "to": f"use:{line.allocation_id}",
    }


PAGES = {
    "reports:provenance": Page(VIEWERS),
    "reports:provenance_band": Page(VIEWERS, data=band),
}
