"""Home-page card of background jobs: the person's own jobs still queued or running, so that a
job left behind (an import of ten thousand rows) is found again."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from totalquota.accounts.permissions import Principal, may
from totalquota.jobs.selectors import open_jobs
from totalquota.web.home import Card, provider


@provider
def job_cards(principal: Principal) -> list[Card]:
    if not may(principal, "jobs.view"):
        return []
    jobs = open_jobs(principal)
    count = jobs.count()
    if not count:
        return []
    first = list(jobs[:3])
    url = reverse("jobs:detail", args=[first[0].pk]) if count == 1 else reverse("jobs:list")
    names = "、".join(
        f"#{j.pk} {j.kind_label}" + (f" {j.percent}%" if j.percent is not None else "") for j in first
    )
    return [Card(_("进行中的后台任务"), count, url, "info", names, 5)]
