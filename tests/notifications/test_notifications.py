"""站内信: events reach the right people through the real outbox delivery, once; the top bar
counts the unread ones; reading is a POST; the API shows each person only their own; mail is
queued as a task and sent through Django's mail settings; English pages are English."""

from __future__ import annotations

import re
import signal
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from tests.emissions.conftest import YEAR, as_, listed
from tests.test_english_pages import chinese_left, english_client, readable_text, typed_values
from tests.xlsx_helpers import read_export, response_bytes
from totalquota.emissions.services import listing
from totalquota.emissions.services import reports as report_services
from totalquota.notifications.models import Notification, NotificationKind
from totalquota.notifications.tasks import send_notification_mail
from totalquota.outbox import deliver_pending, emit
from totalquota.outbox.models import DeliveryState, OutboxDelivery

BADGE = re.compile(r'id="unread-count">(\d+)<')


def received(user) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user).order_by("pk"))


def recipients_of(topic_prefix: str) -> set[str]:
    return set(
        Notification.objects.filter(event__topic__startswith=topic_prefix).values_list(
            "recipient__username", flat=True
        )
    )


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def badge(client: Client) -> int:
    found = BADGE.search(client.get(reverse("home")).content.decode())
    return int(found.group(1)) if found else 0


def emit_now(topic: str, payload: dict, object_id: str = "1") -> None:
    with transaction.atomic():
        emit(topic, object_type="tests.thing", object_id=object_id, payload=payload)


def run_worker() -> None:
    """``manage.py db_worker --batch``: run the queued tasks, then stop."""
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    try:
        call_command("db_worker", batch=True, reload=False, startup_delay=False, stdout=StringIO())
    finally:
        for s, h in handlers.items():
            signal.signal(s, h)


def test_a_submitted_report_tells_the_reviewers_and_its_zones_officers_only(world, filled):
    report = filled()
    report_services.report_submit(actor=as_(world.company_user), report=report)
    assert Notification.objects.count() == 0  # nothing before the worker's pass
    deliver_pending()
    assert recipients_of("emission_report.submit") == {"reviewer", "reviewer2", "officer_a"}
    note = received(world.reviewer)[0]
    assert note.kind == NotificationKind.OTHER
    assert note.title == f"年度排放量申报 #{report.pk}：已提交，待审核"
    assert note.link == report.get_absolute_url()


def test_a_returned_report_tells_its_units_staff_with_the_comment_and_not_another_unit(world, filled):
    report = filled()
    report_services.report_submit(actor=as_(world.company_user), report=report)
    report_services.report_return(actor=as_(world.reviewer), report=report, reason="COD 与在线监测不符")
    deliver_pending()
    assert recipients_of("emission_report.return") == {"company"}
    (note,) = [n for n in received(world.company_user) if n.kind == NotificationKind.RETURN]
    assert note.body == "意见：COD 与在线监测不符"
    assert received(world.other_company_user) == []
    assert world.reviewer.pk not in {n.recipient_id for n in Notification.objects.filter(kind="return")}


def test_a_redelivered_event_adds_no_second_notification(world, filled):
    report = filled()
    report_services.report_submit(actor=as_(world.company_user), report=report)
    deliver_pending()
    before = Notification.objects.count()
    assert before == 3
    # At least once: the worker hands the same events on again (a crash after the work).
    OutboxDelivery.objects.update(state=DeliveryState.PENDING)
    assert deliver_pending() > 0
    assert Notification.objects.count() == before


def test_a_finding_tells_the_unit_and_its_answer_the_bureau_and_the_zone(world):
    emit_now(
        "enforcement.finding.notify",
        {"enterprise_id": world.company.pk, "zone_id": world.zone_a.pk, "label": "F-1"},
    )
    emit_now(
        "enforcement.finding.answer",
        {"enterprise_id": world.company.pk, "zone_id": world.zone_a.pk, "label": "F-1", "reason": "已整改"},
    )
    deliver_pending()
    assert recipients_of("enforcement.finding.notify") == {"company"}
    assert recipients_of("enforcement.finding.answer") == {"reviewer", "reviewer2", "officer_a"}
    assert {n.kind for n in Notification.objects.all()} == {NotificationKind.FINDING}
    assert received(world.company_user)[0].title == "执法发现 F-1：已告知，请在期限内答复"


def test_a_reserve_warning_tells_the_bureau_and_that_zones_officers(world, p):
    emit_now(
        "reserve.warning.raised",
        {"zone_id": world.zone_b.pk, "pollutant_id": p["COD"].pk, "level": "warning", "months_of_cover": 2.5},
    )
    deliver_pending()
    assert recipients_of("reserve.warning") == {"reviewer", "reviewer2", "admin", "officer_b"}
    note = received(world.admin)[0]
    assert note.kind == NotificationKind.WARNING
    assert note.title == f"储备预警：{world.zone_b.name} {p['COD'].name}"
    assert note.body == "预警级别：预警；可用储备约 2.5 个月（RES-3）"


def test_a_reminder_reaches_the_units_staff_as_a_deadline_notification(world):
    entry = listed(world)
    listing.reminders_send(actor=as_(world.officer), year=YEAR, entries=[entry], message="请尽快报送")
    deliver_pending()
    (note,) = received(world.company_user)
    assert note.kind == NotificationKind.DEADLINE
    assert (note.title, note.body) == (f"{YEAR} 年度排放量申报催报", "请尽快报送")
    assert note.link == reverse("emissions:reminders")
    assert received(world.other_company_user) == [] and received(world.officer) == []


def test_the_daily_reminders_reach_the_units_staff_too(world, today):
    listed(world)
    created = listing.reminders_daily(today=today.replace(year=YEAR + 1, month=12, day=31), year=YEAR)
    deliver_pending()
    assert created == 1
    (note,) = received(world.company_user)
    assert note.message == "reminder_overdue" and note.title == f"{YEAR} 年度排放量申报逾期提醒"


def test_the_top_bar_counts_unread_notifications_and_only_a_post_reads_one(world):
    for n in range(2):
        emit_now(
            "enforcement.finding.confirm", {"enterprise_id": world.company.pk, "label": f"F-{n}"}, str(n)
        )
    deliver_pending()
    client = signed_in(world.company_user)
    assert badge(client) == 2
    first = received(world.company_user)[0]
    detail = client.get(reverse("notifications:detail", args=[first.pk]))
    assert detail.status_code == 200 and first.title in detail.content.decode()
    listed_page = client.get(reverse("notifications:list"), {"state": "unread"})
    assert listed_page.status_code == 200
    assert badge(client) == 2  # looking is not reading
    opened = client.post(reverse("notifications:open", args=[first.pk]))
    assert opened.status_code == 302
    assert badge(client) == 1
    first.refresh_from_db()
    assert first.read_at is not None
    assert client.get(reverse("notifications:open", args=[first.pk])).status_code == 405
    client.post(reverse("notifications:read_all"))
    assert badge(client) == 0
    assert not Notification.objects.filter(recipient=world.company_user, read_at=None).exists()
    assert badge(signed_in(world.other_company_user)) == 0


def test_another_persons_notification_is_not_found_on_the_page_or_the_api(world):
    emit_now("enforcement.finding.notify", {"enterprise_id": world.company.pk, "label": "F-9"})
    deliver_pending()
    note = received(world.company_user)[0]
    other = signed_in(world.other_company_user)
    assert other.get(reverse("notifications:detail", args=[note.pk])).status_code == 404
    assert other.post(reverse("notifications:open", args=[note.pk])).status_code == 404
    assert other.post(f"/api/v1/notifications/{note.pk}/read").status_code == 404
    assert other.get("/api/v1/notifications").json()["count"] == 0
    note.refresh_from_db()
    assert note.read_at is None


def test_the_api_lists_my_notifications_filters_unread_and_marks_them_read(world):
    for n in range(3):
        emit_now(
            "enforcement.finding.dismiss", {"enterprise_id": world.company.pk, "label": f"F-{n}"}, str(n)
        )
    deliver_pending()
    api = signed_in(world.company_user)
    listing_ = api.get("/api/v1/notifications").json()
    assert listing_["count"] == 3 and {i["topic"] for i in listing_["items"]} == {
        "enforcement.finding.dismiss"
    }
    first = listing_["items"][0]["id"]
    read = api.post(f"/api/v1/notifications/{first}/read")
    assert read.status_code == 200 and read.json()["unread"] is False
    assert api.get("/api/v1/notifications", {"unread": "true"}).json()["count"] == 2
    assert api.post("/api/v1/notifications/read-all").json() == {"read": 2}
    assert api.get("/api/v1/notifications", {"unread": "true"}).json()["count"] == 0


@pytest.mark.django_db(transaction=True)  # the worker opens and closes its own connections
def test_mail_is_queued_as_a_task_and_sent_by_the_worker(world, settings):
    settings.NOTIFICATIONS_EMAIL = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    world.company_user.email = "staff@example.com"
    world.company_user.save()
    emit_now("enforcement.finding.notify", {"enterprise_id": world.company.pk, "label": "F-3", "url": "/x/"})
    deliver_pending()
    assert mail.outbox == []  # never sent inside the handler
    assert DBTaskResult.objects.filter(task_path=send_notification_mail.module_path).count() == 1
    run_worker()
    (sent,) = mail.outbox
    assert sent.to == ["staff@example.com"]
    assert sent.subject == "执法发现 F-3：已告知，请在期限内答复"
    assert "/x/" in sent.body


def test_no_mail_is_queued_when_mail_is_off_or_the_person_has_no_address(world, settings):
    settings.NOTIFICATIONS_EMAIL = False
    world.company_user.email = "staff@example.com"
    world.company_user.save()
    emit_now("enforcement.finding.notify", {"enterprise_id": world.company.pk, "label": "F-4"}, "4")
    settings.NOTIFICATIONS_EMAIL = True
    world.company_user.email = ""
    world.company_user.save()
    emit_now("enforcement.finding.notify", {"enterprise_id": world.company.pk, "label": "F-5"}, "5")
    settings.NOTIFICATIONS_EMAIL = False
    deliver_pending()
    assert Notification.objects.filter(recipient=world.company_user).count() == 2
    assert not DBTaskResult.objects.filter(task_path=send_notification_mail.module_path).exists()


def test_the_notification_pages_are_english_in_english(world, filled, p):
    report = filled()
    report_services.report_submit(actor=as_(world.company_user), report=report)
    report_services.report_return(actor=as_(world.reviewer), report=report, reason="请更正")
    emit_now(
        "reserve.warning.raised",
        {"zone_id": world.zone_a.pk, "pollutant_id": p["COD"].pk, "level": "attention", "months_of_cover": 5},
    )
    listing.reminders_daily(today=dt_last_day(), year=YEAR)
    deliver_pending()
    for user in (world.company_user, world.officer):
        client = english_client(user)
        pages = [reverse("notifications:list")]
        pages += [reverse("notifications:detail", args=[n.pk]) for n in received(user)]
        assert len(pages) > 1
        typed = typed_values()
        for url in pages:
            text = readable_text(client.get(url).content.decode())
            assert chinese_left(text, typed) == [], url
    api = english_client(world.company_user).get("/api/v1/notifications").json()
    titles = {i["title"] for i in api["items"]}
    assert f"Emission report #{report.pk}: Returned for correction" in titles


def dt_last_day():
    import datetime as dt

    return dt.date(YEAR + 1, 12, 31)


def test_the_list_filters_by_state_and_kind_searches_and_exports_what_it_shows(world, p):
    emit_now("enforcement.finding.notify", {"enterprise_id": world.company.pk, "label": "F-77"}, "77")
    emit_now("enforcement.finding.dismiss", {"enterprise_id": world.company.pk, "label": "F-78"}, "78")
    entry = listed(world)
    listing.reminders_send(actor=as_(world.officer), year=YEAR, entries=[entry], message="请尽快报送")
    deliver_pending()
    client = signed_in(world.company_user)
    dismissed = Notification.objects.get(recipient=world.company_user, params__label="F-78")
    client.post(reverse("notifications:open", args=[dismissed.pk]))

    def titles(**query) -> set[str]:
        response = client.get(reverse("notifications:list"), query)
        assert response.status_code == 200
        rows = response.context["object_list"]
        return {n.title for n in rows}

    assert titles(state="unread") == {"执法发现 F-77：已告知，请在期限内答复", f"{YEAR} 年度排放量申报催报"}
    assert titles(state="read") == {"执法发现 F-78：已撤销"}
    assert titles(kind="deadline") == {f"{YEAR} 年度排放量申报催报"}
    assert titles(q="F-77") == {"执法发现 F-77：已告知，请在期限内答复"}
    exported = client.get(reverse("notifications:list"), {"kind": "finding", "export": "xlsx"})
    rows = read_export(response_bytes(exported))
    assert rows[0][:4] == ("标题", "类别", "正文", "阅读状态")
    assert sorted((r[0], r[3]) for r in rows[1:]) == [
        ("执法发现 F-77：已告知，请在期限内答复", "未读"),
        ("执法发现 F-78：已撤销", "已读"),
    ]
    assert titles(state="unread", kind="finding") == {"执法发现 F-77：已告知，请在期限内答复"}
