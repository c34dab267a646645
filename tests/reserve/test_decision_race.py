"""An approval and a withdrawal of one quota application at the same moment, through the API on
real PostgreSQL: the kernel's row lock queues them, one wins, the other is a 409; one decision is
written, the hold is posted or released, never left open, and the ledger reconciles."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from tests.reserve.conftest import T, line
from tests.thread_helpers import run_at_once
from tests.workflow.test_races import TIMEOUT, signed_in
from totalquota.reserve import services as reserve
from totalquota.reserve.models import ApplicationStatus

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def test_an_approval_and_a_withdrawal_of_one_application_at_once_leave_no_hold_open(world, p, stock, draft):
    stock(world.zone_a, "VOCS", 5 * T)
    app = draft([line(p["VOCS"], project_env=2 * T)])
    reserve.application_submit(actor=world.company_user.principal, application=app)
    reserve.application_propose(actor=world.reviewer.principal, application=app, proposal="拟同意")
    clients = [signed_in(world.reviewer2), signed_in(world.company_user)]
    verbs = ["approve", "withdraw"]

    def act(n: int) -> int:
        url = f"/api/v1/reserve/applications/{app.pk}/{verbs[n]}"
        return clients[n].post(url, {"reason": "同时操作"}, content_type="application/json").status_code

    assert sorted(run_at_once(act, 2, timeout=TIMEOUT)) == [200, 409]
    app.refresh_from_db()
    assert app.status in (ApplicationStatus.APPROVED, ApplicationStatus.WITHDRAWN)
    assert app.transitions.filter(action__in=verbs).count() == 1
    assert reserve.line_hold_state(app.lines.get()) in ("posted", "voided")
    call_command("ledger_reconcile")  # exits non-zero (raises) when anything is off
