"""The park's history since 2021 (SCOPE-1): a bureau administrator uploads the filled-in template,
the whole file is checked and simulated in date order, another administrator confirms it and the
ledger then reproduces the past balances."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory
from tests.xlsx_helpers import BILLION_LAUGHS, hostile_xlsx, read_xlsx, response_bytes
from totalquota.accounts.roles import Role
from totalquota.history.models import HistoryEntry, HistoryImport, ImportStatus
from totalquota.ledger.models import Account, AccountKind, Posting, Transfer
from totalquota.ledger.reconcile import reconcile
from totalquota.ledger.selectors import account_balance_as_of, zone_balance_as_of
from totalquota.registry.models import Pollutant

from .helpers import allocation, history_xlsx, lot, recovery, upload

T = 1_000_000  # grams in a tonne


@pytest.fixture
def admin2(db):
    return UserFactory(username="admin2", role=Role.ADMIN)


def client_of(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def good_file(world) -> bytes:
    uscc = world.company.uscc
    return history_xlsx(
        # Listed out of date order on purpose: the simulation orders by date.
        lots=[lot("L2", "1", "2021-06-01"), lot("L1", "2", "2021-03-01")],
        allocations=[
            allocation("P1", uscc, "1.5", "2021-04-01"),  # FIFO: all from L1
            allocation("P2", uscc, "1", "2021-07-01", lots="L2=0.5；L1=0.5"),
            # FIFO after the recoveries: L1 0.5, L2 1, then the recovered lot's 0.5.
            allocation("P3", uscc, "2", "2022-03-01"),
        ],
        recoveries=[
            recovery("P1", "0.5", "2022-01-10", "2"),  # a new lot of 0.5 t
            recovery("P2", "", "2022-02-01", "1"),  # all of P2 back to L2 and L1
        ],
    )


EXPECTED = {
    dt.date(2021, 2, 28): 0,
    dt.date(2021, 3, 1): 2 * T,
    dt.date(2021, 4, 1): T // 2,
    dt.date(2021, 6, 1): 3 * T // 2,
    dt.date(2021, 7, 1): T // 2,
    dt.date(2022, 1, 10): T,
    dt.date(2022, 2, 1): 2 * T,
    dt.date(2022, 3, 1): 0,
    dt.date(2026, 1, 1): 0,
}


def counts() -> dict[str, int]:
    return {
        "imports": HistoryImport.objects.count(),
        "entries": HistoryEntry.objects.count(),
        "postings": Posting.objects.count(),
        "transfers": Transfer.objects.count(),
        "accounts": Account.objects.count(),
    }


def prepare(world, content: bytes, *, name: str = "园区历史数据.xlsx"):
    return client_of(world.admin).post(reverse("history:upload"), {"file": upload(content, name)})


def test_a_good_file_is_prepared_without_posting_then_confirmed_by_another_admin_with_original_dates(
    world, admin2
):
    before = counts()
    response = prepare(world, good_file(world))
    assert response.status_code == 302
    history = HistoryImport.objects.get()
    assert history.status == ImportStatus.PREPARED
    assert (history.lot_rows, history.allocation_rows, history.recovery_rows) == (2, 3, 2)
    assert counts() == {**before, "imports": 1}, "nothing is posted at preparation"
    page = client_of(admin2).get(history.get_absolute_url())
    assert page.status_code == 200
    assert "L1" in page.content.decode() and 'id="confirm-import"' in page.content.decode()

    response = client_of(admin2).post(reverse("history:confirm", args=[history.pk]))
    assert response.status_code == 302
    history.refresh_from_db()
    assert history.status == ImportStatus.CONFIRMED and history.decided_by == admin2

    cod = Pollutant.objects.get(code="COD")
    for day, grams in EXPECTED.items():
        assert zone_balance_as_of(world.zone_a, day, cod).get(cod.pk, 0) == grams, day
    # The simulation the admins read is what the ledger now says, day by day.
    for zone_id, pollutant_id, day, grams in history.timeline:
        assert (zone_id, pollutant_id) == (world.zone_a.pk, cod.pk)
        assert zone_balance_as_of(world.zone_a, dt.date.fromisoformat(day), cod)[cod.pk] == grams
    p1 = Account.objects.get(kind=AccountKind.ALLOCATION, label="建设项目 P1（XM-P1）")
    assert p1.holder_enterprise == world.company
    assert account_balance_as_of(p1, dt.date(2021, 12, 31)) == 3 * T // 2
    assert account_balance_as_of(p1, dt.date(2022, 1, 10)) == T

    entries = list(HistoryEntry.objects.select_related("posting"))
    assert len(entries) == 7
    for entry in entries:
        reason = entry.posting.reason
        assert "历史数据导入" in reason and history.file_sha256 in reason and "园区历史数据.xlsx" in reason
        assert "经办 admin" in reason and "复核 admin2" in reason
        assert entry.posting.actor == admin2
    assert sorted(e.posting.effective_date.isoformat() for e in entries) == [
        "2021-03-01",
        "2021-04-01",
        "2021-06-01",
        "2021-07-01",
        "2022-01-10",
        "2022-02-01",
        "2022-03-01",
    ]
    p3 = Account.objects.get(kind=AccountKind.ALLOCATION, label="建设项目 P3（XM-P3）")
    recovered_lot = Account.objects.get(kind=AccountKind.LOT, source_ref=f"ledger.account:{p1.pk}")
    assert Transfer.objects.filter(debit=recovered_lot, credit=p3).get().amount_grams == T // 2
    assert reconcile().ok, reconcile().problems


def test_the_preparer_cannot_confirm_and_nothing_is_posted(world):
    prepare(world, good_file(world))
    history = HistoryImport.objects.get()
    before = counts()
    page = client_of(world.admin).get(history.get_absolute_url())
    assert 'id="confirm-import"' not in page.content.decode()
    response = client_of(world.admin).post(
        f"/api/v1/history/imports/{history.pk}/confirm", content_type="application/json"
    )
    assert response.status_code == 403
    assert "四眼原则" in response.json()["detail"]
    assert counts() == before
    history.refresh_from_db()
    assert history.status == ImportStatus.PREPARED


BAD_ROWS = [
    # (what is wrong, the file, the sheet and row the report names, the column)
    (
        "a lot before 2021",
        lambda u: history_xlsx(lots=[lot("L1", "2", "2020-12-31")]),
        "减排量入库",
        3,
        "入库日期",
    ),
    (
        "an unknown zone",
        lambda u: history_xlsx(lots=[lot("L1", "2", "2021-03-01", zone="Z")]),
        "减排量入库",
        3,
        "功能区",
    ),
    (
        "an amount finer than a gram",
        lambda u: history_xlsx(lots=[lot("L1", "2", "2021-03-01"), lot("L2", "0.0000001", "2021-03-01")]),
        "减排量入库",
        4,
        "入库数量",
    ),
    (
        "a pollutant outside POLL-1",
        lambda u: history_xlsx(lots=[lot("L1", "2", "2021-03-01", pollutant="CO2")]),
        "减排量入库",
        3,
        "污染物",
    ),
    (
        "an unregistered unit",
        lambda u: history_xlsx(
            lots=[lot("L1", "2", "2021-03-01")],
            allocations=[allocation("P1", "91320594MA1XXXXXXX", "1", "2021-04-01")],
        ),
        "配额分配",
        3,
        "统一社会信用代码",
    ),
    (
        "a lot that does not exist",
        lambda u: history_xlsx(
            lots=[lot("L1", "2", "2021-03-01")],
            allocations=[allocation("P1", u, "1", "2021-04-01", lots="L9")],
        ),
        "配额分配",
        3,
        "所用批次",
    ),
    (
        "a lot drawn before it was banked",
        lambda u: history_xlsx(
            lots=[lot("L1", "2", "2021-03-01")],
            allocations=[allocation("P1", u, "1", "2021-02-01", lots="L1")],
        ),
        "配额分配",
        3,
        "所用批次",
    ),
    (
        "a recovery of an allocation not in the file",
        lambda u: history_xlsx(
            lots=[lot("L1", "2", "2021-03-01")], recoveries=[recovery("P9", "1", "2021-05-01", "2")]
        ),
        "收回",
        3,
        "分配编号",
    ),
    (
        "a recovery of more than the allocation holds",
        lambda u: history_xlsx(
            lots=[lot("L1", "2", "2021-03-01")],
            allocations=[allocation("P1", u, "1", "2021-04-01")],
            recoveries=[recovery("P1", "1.5", "2021-05-01", "2")],
        ),
        "收回",
        3,
        "收回数量",
    ),
    (
        "a recovery without a RES-4 ground",
        lambda u: history_xlsx(
            lots=[lot("L1", "2", "2021-03-01")],
            allocations=[allocation("P1", u, "1", "2021-04-01")],
            recoveries=[recovery("P1", "0.5", "2021-05-01", "9")],
        ),
        "收回",
        3,
        "收回情形",
    ),
]


@pytest.mark.parametrize(("what", "build", "sheet", "row", "column"), BAD_ROWS, ids=[b[0] for b in BAD_ROWS])
def test_a_bad_row_refuses_the_whole_file_naming_the_row_and_writes_nothing(
    world, what, build, sheet, row, column
):
    before = counts()
    response = prepare(world, build(world.company.uscc))
    assert response.status_code == 422
    problems = response.context["problems"]
    assert any((p["sheet"], p["row"], p["column"]) == (sheet, row, column) for p in problems), problems
    assert all(p["message"] and p["message_en"] for p in problems)
    assert counts() == before


def test_a_file_that_overdraws_a_lot_on_a_past_day_is_refused_even_if_the_final_balance_is_good(world):
    uscc = world.company.uscc
    content = history_xlsx(
        lots=[lot("L2", "1", "2021-03-01"), lot("L1", "1", "2021-01-10")],
        allocations=[allocation("P1", uscc, "1.5", "2021-02-01")],  # 2 t banked in all, 1 t on that day
    )
    before = counts()
    response = client_of(world.admin).post("/api/v1/history/imports", {"file": upload(content)})
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert [(e["sheet"], e["row"]) for e in errors] == [("配额分配", 3)]
    assert "2021-02-01" in errors[0]["message"] and "RES-2" in errors[0]["message"]
    assert counts() == before


def test_a_named_lot_overdrawn_on_a_past_day_is_refused(world):
    uscc = world.company.uscc
    content = history_xlsx(
        lots=[lot("L1", "1", "2021-01-10")],
        allocations=[
            allocation("P1", uscc, "0.8", "2021-02-01", lots="L1"),
            allocation("P2", uscc, "0.5", "2021-03-01", lots="L1"),
        ],
        recoveries=[recovery("P1", "", "2021-04-01", "1")],  # L1 would be fine again afterwards
    )
    response = prepare(world, content)
    assert response.status_code == 422
    assert [(p["sheet"], p["row"], p["column"]) for p in response.context["problems"]] == [
        ("配额分配", 4, "所用批次")
    ]
    assert HistoryImport.objects.count() == 0


def test_the_same_file_twice_changes_nothing(world, admin2):
    content = good_file(world)
    prepare(world, content)
    history = HistoryImport.objects.get()
    client_of(admin2).post(reverse("history:confirm", args=[history.pk]))
    before = counts()
    again = prepare(world, content)
    assert again.status_code == 409
    assert counts() == before
    api = client_of(admin2).post("/api/v1/history/imports", {"file": upload(content)})
    assert api.status_code == 409
    # A confirmed import is not confirmed twice either.
    assert client_of(admin2).post(f"/api/v1/history/imports/{history.pk}/confirm").status_code == 409
    assert counts() == before


def test_rows_already_imported_from_another_file_are_refused_by_row_key(world, admin2):
    prepare(world, history_xlsx(lots=[lot("L1", "2", "2021-03-01")]))
    client_of(admin2).post(reverse("history:confirm", args=[HistoryImport.objects.get().pk]))
    before = counts()
    other = history_xlsx(lots=[lot("L9", "1", "2021-05-01"), lot("L1", "2", "2021-03-01")])
    response = prepare(world, other, name="另一个文件.xlsx")
    assert response.status_code == 422
    assert [(p["sheet"], p["row"]) for p in response.context["problems"]] == [("减排量入库", 4)]
    assert counts() == before


@pytest.mark.parametrize(
    "content",
    [
        b"not a workbook at all",
        b"PK\x03\x04broken",
        hostile_xlsx(["批次编号"], [["L1"]], BILLION_LAUGHS, "&lol9;"),
        history_xlsx()[:0] + b"",
    ],
    ids=["text", "broken zip", "billion laughs", "empty"],
)
def test_a_malformed_file_is_a_4xx_and_nothing_is_kept(world, content):
    response = prepare(world, content)
    assert 400 <= response.status_code < 500
    api = client_of(world.admin).post("/api/v1/history/imports", {"file": upload(content or b"x")})
    assert api.status_code == 422
    assert HistoryImport.objects.count() == 0


def test_a_workbook_without_the_template_sheets_is_refused(world):
    from tests.xlsx_helpers import xlsx_bytes

    response = prepare(world, xlsx_bytes(["a"], [["b"]]))
    assert response.status_code == 422
    assert "缺少工作表" in response.content.decode()


def test_discarding_a_prepared_import_posts_nothing_and_frees_the_file(world, admin2):
    content = good_file(world)
    prepare(world, content)
    history = HistoryImport.objects.get()
    response = client_of(admin2).post(f"/api/v1/history/imports/{history.pk}/discard")
    assert response.status_code == 200 and response.json()["status"] == "discarded"
    assert Posting.objects.count() == 0
    assert prepare(world, content).status_code == 302


def test_the_api_uploads_reports_and_confirms(world, admin2):
    response = client_of(world.admin).post("/api/v1/history/imports", {"file": upload(good_file(world))})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "prepared" and len(body["report"]) == 7
    assert body["report"][0]["sheet"] == "减排量入库" and body["report"][0]["message_en"]
    got = client_of(admin2).get(f"/api/v1/history/imports/{body['id']}")
    assert got.status_code == 200
    confirmed = client_of(admin2).post(f"/api/v1/history/imports/{body['id']}/confirm")
    assert confirmed.status_code == 200, confirmed.content
    assert confirmed.json()["status"] == "confirmed" and len(confirmed.json()["postings"]) == 7
    listed = client_of(admin2).get("/api/v1/history/imports")
    assert listed.status_code == 200 and listed.json()["items"][0]["id"] == body["id"]


def test_the_template_and_the_report_download_as_xlsx(world):
    response = client_of(world.admin).get(reverse("history:template"))
    assert response.status_code == 200
    rows = read_xlsx(response_bytes(response), 0)
    assert rows[0][:2] == ("批次编号", "功能区") and rows[1][:2] == ("Lot ref", "Zone")
    prepare(world, good_file(world))
    history = HistoryImport.objects.get()
    report = client_of(world.admin).get(reverse("history:report", args=[history.pk]))
    assert report.status_code == 200
    lines = read_xlsx(response_bytes(report))
    assert any("L1" in str(cell) for line in lines for cell in line)


def test_the_list_is_searchable_and_exports(world):
    prepare(world, good_file(world))
    listing = client_of(world.admin).get(reverse("history:list"), {"q": "园区历史"})
    assert listing.status_code == 200 and "园区历史数据.xlsx" in listing.content.decode()
    export = client_of(world.admin).get(reverse("history:list"), {"q": "园区历史", "export": "xlsx"})
    assert export.status_code == 200
    assert any("园区历史数据.xlsx" in str(c) for row in read_xlsx(response_bytes(export)) for c in row)


def test_people_other_than_bureau_admins_cannot_upload(world):
    response = client_of(world.reviewer).post(reverse("history:upload"), {"file": upload(good_file(world))})
    assert response.status_code == 403
    assert HistoryImport.objects.count() == 0


def test_a_refusal_in_english_still_reports_every_problem_in_chinese_and_english(world):
    content = history_xlsx(lots=[lot("L1", "0.0000001", "2021-03-01"), lot("L2", "1", "2019-05-01")])
    response = client_of(world.admin).post(
        "/api/v1/history/imports", {"file": upload(content)}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 422
    errors = {(e["row"], e["column"]): e for e in response.json()["errors"]}
    finer = errors[(3, "入库数量")]
    assert "精度过高" in finer["message"] and "precise" in finer["message_en"].lower()
    early = errors[(4, "入库日期")]
    assert "SCOPE-1" in early["message"] and "2021-01-01" in early["message_en"]
    assert HistoryImport.objects.count() == 0
