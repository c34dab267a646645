"""The ANNEX-1 workbook writes what applicants typed as text, never as a live formula."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tests.reserve.conftest import T, line
from tests.xlsx_helpers import response_bytes
from totalquota.reserve import services

pytestmark = pytest.mark.django_db


def test_a_formula_like_project_name_and_enterprise_name_stay_text_in_the_annex(
    client, world, p, stock, draft
):
    world.company.name = '=HYPERLINK("http://evil.invalid","甲")'
    world.company.save()
    stock(world.zone_a, "VOCS", 5 * T)
    app = services.application_submit(
        actor=world.company_user.principal,
        application=draft(
            [line(p["VOCS"], project_env=2 * T, plant_env=3 * T, new=1_500_000, project_sewer=0)],
            name="@SUM(1+1)",
        ),
    )
    services.application_propose(actor=world.reviewer.principal, application=app, proposal="拟同意")
    services.application_approve(actor=world.reviewer2.principal, application=app, reason="同意")
    client.force_login(world.company_user)
    content = response_bytes(client.get(reverse("reserve:annex", args=[app.pk, "xlsx"])))
    cells = {
        c.value: c.data_type for row in load_workbook(io.BytesIO(content)).active.iter_rows() for c in row
    }
    assert cells[world.company.name] == "s"
    assert cells["@SUM(1+1)"] == "s"
    assert not [value for value, kind in cells.items() if kind == "f"]
