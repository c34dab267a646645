"""The quota application's action table: what the kernel records for each action, the page's
handler and warnings, and the one reading of typed lines."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.reserve.conftest import T, line
from totalquota.audit.models import AuditEvent
from totalquota.lib.errors import ValidationFailed
from totalquota.outbox.models import OutboxEvent
from totalquota.reserve import services
from totalquota.reserve.lines import read_line
from totalquota.reserve.models import ApplicationStatus
from totalquota.reserve.workflow import APPLICATION_ACTIONS

pytestmark = pytest.mark.django_db


def test_the_table_lists_every_decision_once_with_its_audit_name():
    assert [a.name for a in APPLICATION_ACTIONS.actions] == [
        "submit",
        "withdraw",
        "propose",
        "approve",
        "reject",
        "rehold",
    ]
    assert APPLICATION_ACTIONS.audit_prefix == "reserve.application_"
    assert APPLICATION_ACTIONS["rehold"].to is None and APPLICATION_ACTIONS["approve"].four_eyes


def test_each_transition_records_its_action_and_the_role_that_took_it(world, p, stock, draft):
    stock(world.zone_a, "VOCS", 5 * T)
    app = draft([line(p["VOCS"], project_env=2 * T)])
    services.application_submit(actor=world.company_user.principal, application=app)
    services.application_propose(actor=world.reviewer.principal, application=app, proposal="拟同意")
    services.application_approve(actor=world.reviewer2.principal, application=app, reason="同意")
    rows = list(app.transitions.values_list("from_status", "to_status", "action", "role"))
    assert rows == [
        ("", "draft", "create", "enterprise"),
        ("draft", "submitted", "submit", "enterprise"),
        ("submitted", "proposed", "propose", "reviewer"),
        ("proposed", "approved", "approve", "reviewer"),
    ]
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "reserve.application_submit",
        "reserve.application_propose",
        "reserve.application_approve",
    } <= actions


def test_a_rehold_keeps_the_status_and_writes_no_transition(world, p, stock, draft):
    stock(world.zone_a, "VOCS", 300_000)
    app = services.application_submit(
        actor=world.company_user.principal, application=draft([line(p["VOCS"], project_env=800_000)])
    )
    count = app.transitions.count()
    short = services.application_rehold(actor=world.admin.principal, application=app)
    assert len(short) == 1  # still short: the zone holds too little
    app.refresh_from_db()
    assert app.status == ApplicationStatus.SUBMITTED and app.transitions.count() == count
    assert AuditEvent.objects.filter(action="reserve.application_rehold").exists()
    event = OutboxEvent.objects.get(topic="reserve.application.rehold")  # no transition, still an event
    assert event.payload["from"] == event.payload["to"] == ApplicationStatus.SUBMITTED
    assert event.payload["transition_id"] is None


def test_the_page_warns_when_a_rehold_is_still_short(client, world, p, stock, draft):
    stock(world.zone_a, "VOCS", 300_000)
    app = services.application_submit(
        actor=world.company_user.principal, application=draft([line(p["VOCS"], project_env=800_000)])
    )
    client.force_login(world.admin)
    response = client.post(reverse("reserve:application_action", args=[app.pk, "rehold"]), follow=True)
    assert "仍不足" in response.content.decode()


def test_one_reading_of_a_line_refuses_a_missing_figure_and_defaults_the_sewer_ones(p):
    values, errors = read_line(
        p["VOCS"],
        {"project_env_grams": "0.8", "plant_env_grams": None, "new_discharge_grams": "0.7"},
    )
    assert set(errors) == {"plant_env_grams"} and "全厂许可量" in errors["plant_env_grams"]
    assert values["project_sewer_grams"] == 0 and values["plant_sewer_grams"] == 0
    assert values["project_env_grams"] == 800_000


def test_the_form_refuses_a_blank_plant_quantity_as_the_api_does(client, world):
    client.force_login(world.company_user)
    data = {
        "enterprise": world.company.pk,
        "project_name": "扩建项目",
        "location": "星湖街 1 号",
        "eia_reference": "苏园环建〔2026〕5号",
        "VOCS__project_env_grams": "0.8",
        "VOCS__new_discharge_grams": "0.7",
    }
    response = client.post(reverse("reserve:application_create"), data)
    assert "VOCS__plant_env_grams" in response.context["lines"].errors


def test_an_application_audit_event_shows_the_application_with_its_lines_before_and_after(
    world, p, stock, draft
):
    stock(world.zone_a, "VOCS", 5 * T)
    app = draft([line(p["VOCS"], project_env=2 * T)])
    services.application_submit(actor=world.company_user.principal, application=app)
    event = AuditEvent.objects.get(action="reserve.application_submit")
    assert [ln["pollutant"] for ln in event.before["lines"]] == ["VOCS"]
    assert event.before["status"] == ApplicationStatus.DRAFT
    assert event.after["status"] == ApplicationStatus.SUBMITTED
    assert event.after["shortfalls"] == [] and event.after["lines"][0]["deduction"] > 0


def test_the_api_keeps_the_operation_ids_integrators_generated_clients_from(client):
    ids = {
        op["operationId"]
        for item in client.get("/api/v1/openapi.json").json()["paths"].values()
        for op in item.values()
    }
    for verb in ("submit", "withdraw", "propose", "approve", "reject"):
        assert f"totalquota_api_reserve_{verb}_application" in ids
    assert "totalquota_api_reductions_project_send_back" in ids


def test_an_admin_sees_the_rehold_and_lot_controls_and_may_use_them(client, world, p, stock, draft):
    stock(world.zone_a, "VOCS", 300_000)
    app = services.application_submit(
        actor=world.company_user.principal, application=draft([line(p["VOCS"], project_env=800_000)])
    )
    client.force_login(world.admin)
    page = client.get(app.get_absolute_url()).content.decode()
    assert "重新预留" in page and "指定扣减批次" in page
    plan = reverse("reserve:line_plan", args=[app.lines.get().pk])
    response = client.post(plan, {"lot_abc": "1", "lot_": "2"}, follow=True)
    assert response.status_code == 200
    text = response.content.decode()
    assert "invalid literal" not in text and "所选批次合计应等于削减替代量" in text


def test_odd_record_numbers_in_a_url_or_form_are_not_found_not_a_crash(client, world, p, stock, draft):
    client.force_login(world.admin)
    assert client.get(reverse("reserve:upper_create") + "?application=abc").status_code == 404
    stock(world.zone_a, "VOCS", 300_000)
    app = services.application_submit(
        actor=world.company_user.principal, application=draft([line(p["VOCS"], project_env=800_000)])
    )
    plan = reverse("reserve:line_plan", args=[app.lines.get().pk])
    assert client.post(plan, {"lot_²": "1"}).status_code == 302


def test_a_bad_figure_or_year_is_refused_as_bad_not_as_entered_already(world, p):
    from totalquota.emissions.services import verified_emission_record

    with pytest.raises(ValidationFailed, match="不小于零"):
        verified_emission_record(
            actor=world.reviewer.principal,
            enterprise=world.company,
            pollutant=p["VOCS"],
            year=2024,
            actual_grams=-5,
            source="执行报告",
            evidence=None,
        )
    with pytest.raises(ValidationFailed, match="SCOPE-1"):
        services.attainment_record(
            actor=world.admin.principal, year=-3, indicator="O3", attained=True, source="公报"
        )


def test_an_edit_cannot_blank_what_a_new_application_must_have(world, p, draft):
    app = draft([line(p["VOCS"], project_env=800_000)])
    with pytest.raises(ValidationFailed, match="建设项目名称"):
        services.application_update(actor=world.company_user.principal, application=app, project_name="  ")
    app.refresh_from_db()
    assert app.project_name.strip()
