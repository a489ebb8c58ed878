"""The points books in the committee console (portal/points/books.py): the catalogue
积分细则 (add, retire in place, load the common one), the ledger (keyset paging, one
household's rows, corrections 冲销 in place), the year end, and the CSV export. Who may
do what, bad input that writes nothing, the plain and htmx answer of each page, and
what each page costs in SQL as the rows grow."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from portal.actions import unit_of_work
from portal.audit.models import ActionLog
from portal.auth.models import Role
from portal.extensions import db
from portal.points import services, shop
from portal.points.models import (
    LedgerEntry,
    LedgerKind,
    PointItem,
    PointsAccount,
    PointsBook,
    YearEnd,
)
from tests.conftest import htmx_headers, login_as
from tests.factories import HouseholdFactory, ResidentFactory, VillageFactory, count
from tests.points.conftest import START, award, holder, item
from tests.statements import statements

BASE = "/v/hubin/manage/points"
CATALOGUE = f"{BASE}/catalogue"
LEDGER = f"{BASE}/ledger"
YEAR_END = f"{BASE}/year-end"
EXPORT = f"{BASE}/export.csv"
PARTIAL_MAX = 4 * 1024
ROW_IDS = re.compile(r'id="ledger-row-(\d+)"')


def writes() -> tuple[int, ...]:
    return (
        count(PointItem),
        count(LedgerEntry),
        count(ActionLog),
        count(YearEnd),
        count(PointsBook),
    )


def fresh_row(row_id: int) -> LedgerEntry:
    db.session.rollback()
    return db.session.get(LedgerEntry, row_id)


def award_row(entry) -> LedgerEntry:
    db.session.rollback()
    return db.session.scalars(sa.select(LedgerEntry).where(LedgerEntry.entry_id == entry.id)).one()


def balance(household) -> int:
    db.session.rollback()
    account = db.session.get(PointsAccount, household.id)
    return account.balance if account else 0


def openings(village, households, n: int, points: int = 1) -> None:
    """`n` ledger rows spread over `households`, quickly (opening rows need no entry)."""
    with unit_of_work():
        for i in range(n):
            household = households[i % len(households)]
            account = services.lock_account(village.id, household.id)
            services._write(account, LedgerKind.OPENING, points, now=START, actor=None)


@pytest.fixture
def heads_named(households):
    """A head 户主 on the roster of each household."""
    names = ("陈建国", "李秀英", "王大山", "赵小梅")
    return [
        ResidentFactory(household=h, name=name) for h, name in zip(households, names, strict=True)
    ]


@pytest.fixture
def awarded(committee, second_member, village, households, heads_named, now):
    """A final award of 20 points (G04) for the first household."""
    return award(committee, second_member, village, households[0])


# --- access -----------------------------------------------------------------------------


COMMITTEE_ONLY_GETS = (CATALOGUE, YEAR_END)
READER_GETS = (LEDGER, EXPORT)


@pytest.mark.parametrize("path", COMMITTEE_ONLY_GETS + READER_GETS)
def test_villagers_and_grid_workers_are_refused(client, path, resident_user, grid_worker):
    for user in (resident_user, grid_worker):
        login_as(client, user)
        assert client.get(path).status_code == 403


@pytest.mark.parametrize("path", COMMITTEE_ONLY_GETS + READER_GETS)
def test_a_visitor_is_sent_to_log_in(client, path, village):
    response = client.get(path)
    assert response.status_code in (302, 401)


@pytest.mark.parametrize("path", COMMITTEE_ONLY_GETS)
def test_supervisors_do_not_manage_the_catalogue_or_the_year_end(client, path, supervisor):
    login_as(client, supervisor)
    assert client.get(path).status_code == 403


def test_supervisors_read_the_ledger_and_export_but_write_nothing(
    client, supervisor, awarded, village
):
    login_as(client, supervisor)
    page = client.get(LEDGER)
    assert page.status_code == 200
    assert "东街 1 号" in page.text and "陈建国" in page.text
    assert "冲销这一笔" not in page.text
    assert client.get(EXPORT).status_code == 200
    row = award_row(awarded)
    before = writes()
    refused = [
        client.post(f"{LEDGER}/{row.id}/reverse", data={f"r{row.id}-reason": "错了"}),
        client.post(CATALOGUE, data={"code": "X1", "category": "basic", "points": "5"}),
        client.post(f"{CATALOGUE}/{item(village, 'J01').id}/retire"),
        client.post(f"{CATALOGUE}/seed"),
        client.post(YEAR_END, data={"year": "2026"}),
    ]
    assert [r.status_code for r in refused] == [403] * 5
    assert writes() == before


def test_another_villages_rows_are_not_found(client, committee, awarded):
    other = VillageFactory(name="别村", slug="biecun")
    household = HouseholdFactory(village=other)
    with unit_of_work():
        account = services.lock_account(other.id, household.id)
        foreign = services._write(account, LedgerKind.OPENING, 5, now=START, actor=None)
    login_as(client, committee)
    response = client.post(f"{LEDGER}/{foreign.id}/reverse", data={f"r{foreign.id}-reason": "x"})
    assert response.status_code == 404
    assert client.get(LEDGER, query_string={"household": household.id}).status_code == 404


# --- the catalogue ----------------------------------------------------------------------


def test_the_catalogue_lists_items_plain_and_htmx(client, committee, village):
    with unit_of_work():
        services.retire_item(committee, village, item(village, "K07"))
    login_as(client, committee)
    page = client.get(CATALOGUE)
    assert page.status_code == 200
    text = page.text
    assert "J01" in text and "门前三包落实" in text and "基础积分" in text
    assert "+5" in text and "-5" in text and "第五条" in text and "每月 5 分" in text
    assert "停用</span>" not in text or "已停用" not in text
    assert re.search(r'id="item-\d+" class="muted"', text)  # K07, retired, still listed
    assert page.headers["Cache-Control"] == "no-store"
    assert "载入常用积分细则" not in text
    form = client.get(CATALOGUE, headers=htmx_headers("add-item"))
    assert form.status_code == 200
    assert form.text.strip().startswith('<section class="card" id="add-item"')
    assert len(form.data) <= PARTIAL_MAX
    whole = client.get(CATALOGUE, headers=htmx_headers())
    assert whole.status_code == 200 and "J01" in whole.text


def test_add_an_item_of_the_villages_own_category(client, committee, village):
    login_as(client, committee)
    response = client.post(
        CATALOGUE,
        data={
            "code": "H01",
            "category": "_other",
            "category_other": "环境卫生",
            "description": "河道保洁，每次",
            "points": "-3",
            "rule_article": "第五条",
            "cap": "",
            "cap_period": "",
        },
    )
    assert response.status_code == 303
    added = item(village, "H01")
    assert (added.category, added.points, added.rule_article) == ("环境卫生", -3, "第五条")
    page = client.get(CATALOGUE).text
    assert "已添加积分细则 H01" in page
    assert '<option value="环境卫生">环境卫生</option>' in page  # offered next time


def test_add_an_item_with_a_cap_by_htmx_redirects(client, committee, village):
    login_as(client, committee)
    response = client.post(
        CATALOGUE,
        data={
            "code": "G11",
            "category": "contribution",
            "description": "参加村里的文艺演出",
            "points": "４",  # full-width, as a Chinese input method types it
            "cap": "12",
            "cap_period": "year",
        },
        headers=htmx_headers("add-item"),
    )
    assert response.status_code == 200 and response.headers["HX-Redirect"].endswith(CATALOGUE)
    added = item(village, "G11")
    assert (added.points, added.cap, added.cap_period.value) == (4, 12, "year")


GOOD = {
    "code": "Z01",
    "category": "basic",
    "description": "门前绿化",
    "points": "5",
    "cap": "",
    "cap_period": "",
}


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"points": "0"}, "points", "不能为 0"),
        ({"points": "1.5"}, "points", "请填写整数"),
        ({"points": "五"}, "points", "请填写整数"),
        ({"points": "1e3"}, "points", "请填写整数"),
        ({"points": ""}, "points", "请填写分值"),
        ({"points": "5000"}, "points", "-1000 到 1000 之间"),
        ({"points": "-5000"}, "points", "-1000 到 1000 之间"),
        ({"points": "99999999999999999999"}, "points", "这个数字太大了"),
        ({"code": ""}, "code", "请填写编号"),
        ({"code": "J01"}, "code", "编号 J01 已经用过了"),
        ({"code": "X" * 30}, "code", "编号太长了"),
        ({"category": ""}, "category", "请选择或填写类别"),
        ({"category": "_other", "category_other": ""}, "category_other", "请填写类别的名称"),
        ({"description": "  "}, "description", "请写明这一项做什么得分或扣分"),
        ({"cap": "10"}, "cap_period", "请选择按月还是按年"),
        ({"cap": "2", "cap_period": "month"}, "cap", "上限不能小于这一项的分值"),
        ({"cap": "abc", "cap_period": "month"}, "cap", "请填写整数"),
        ({"cap_period": "decade"}, "cap_period", "请选择"),
    ],
)
def test_bad_items_are_refused_beside_their_field_writing_nothing(
    client, committee, village, change, field, message
):
    login_as(client, committee)
    before = writes()
    plain = client.post(CATALOGUE, data={**GOOD, **change})
    assert plain.status_code in (409, 422)
    assert message in plain.text
    assert f'id="{field}-error"' in plain.text
    hx = client.post(CATALOGUE, data={**GOOD, **change}, headers=htmx_headers("add-item"))
    assert hx.status_code == plain.status_code
    assert hx.text.strip().startswith('<section class="card" id="add-item"')
    assert message in hx.text and len(hx.data) <= PARTIAL_MAX
    assert writes() == before


def test_retire_in_place_and_again_refused(client, committee, village):
    target = item(village, "J02")
    login_as(client, committee)
    row = client.post(f"{CATALOGUE}/{target.id}/retire", headers=htmx_headers(f"item-{target.id}"))
    assert row.status_code == 200
    assert row.text.strip().startswith(f'<tr id="item-{target.id}" class="muted"')
    assert "已停用" in row.text and len(row.data) <= PARTIAL_MAX
    db.session.rollback()
    assert db.session.get(PointItem, target.id).retired_at is not None
    before = writes()
    again = client.post(
        f"{CATALOGUE}/{target.id}/retire", headers=htmx_headers(f"item-{target.id}")
    )
    assert again.status_code == 409 and "这一项已经停用了" in again.text
    assert again.text.strip().startswith("<tr")
    plain = client.post(f"{CATALOGUE}/{target.id}/retire")
    assert plain.status_code == 409 and "这一项已经停用了" in plain.text
    assert writes() == before


def test_retire_plain_redirects(client, committee, village):
    target = item(village, "J03")
    login_as(client, committee)
    response = client.post(f"{CATALOGUE}/{target.id}/retire")
    assert response.status_code == 303
    assert "积分细则 J03 已停用" in client.get(CATALOGUE).text
    assert client.post(f"{CATALOGUE}/999999/retire").status_code == 404


def test_a_village_without_a_catalogue_loads_the_common_one(client, now):
    empty = VillageFactory(name="新村", slug="xincun")
    member = holder(empty, Role.COMMITTEE, name="周主任")
    login_as(client, member)
    page = client.get("/v/xincun/manage/points/catalogue")
    assert "本村还没有积分细则" in page.text and "载入常用积分细则" in page.text
    response = client.post("/v/xincun/manage/points/catalogue/seed")
    assert response.status_code == 303
    assert count(PointItem, PointItem.village_id == empty.id) == 32
    assert count(ActionLog, ActionLog.action == "points.seed_catalogue") == 1
    assert "已载入 32 项常用积分细则" in client.get("/v/xincun/manage/points/catalogue").text
    again = client.post("/v/xincun/manage/points/catalogue/seed")
    assert again.status_code == 303
    assert count(PointItem, PointItem.village_id == empty.id) == 32


def test_the_catalogue_costs_the_same_however_many_items(client, committee, village):
    login_as(client, committee)
    client.get(CATALOGUE)
    with statements() as seen:
        client.get(CATALOGUE)
    few = len(seen)
    with unit_of_work():
        for n in range(40):
            services.add_item(
                committee, village, code=f"N{n}", category="本村", description="某事", points=1
            )
    with statements() as seen:
        client.get(CATALOGUE)
    assert len(seen) == few == CATALOGUE_STATEMENTS


CATALOGUE_STATEMENTS = 4


# --- the ledger -------------------------------------------------------------------------


def test_the_ledger_shows_rows_newest_first_plain_and_htmx(
    client, committee, second_member, village, households, awarded, rice
):
    award(committee, second_member, village, households[0])
    with unit_of_work():
        shop.redeem(committee, village, households[0], rice, 1)
    login_as(client, committee)
    page = client.get(LEDGER)
    assert page.status_code == 200
    text = page.text
    ids = [int(i) for i in ROW_IDS.findall(text)]
    assert ids == sorted(ids, reverse=True) and len(ids) == 3
    assert "东街 1 号" in text and "陈建国" in text
    assert "G04" in text and "见义勇为" in text and "+20" in text
    assert "大米 × 1" in text and "-30" in text
    assert "系统（公示期满生效）" in text and "王主任" in text
    assert text.count("冲销这一笔") == 3
    assert page.headers["Cache-Control"] == "no-store"
    hx = client.get(LEDGER, headers=htmx_headers())
    assert hx.status_code == 200 and "积分台账" in hx.text


def test_the_ledger_filters_by_household(client, committee, village, households, heads_named):
    openings(village, households, 8)
    login_as(client, committee)
    page = client.get(LEDGER, query_string={"household": households[1].id})
    assert page.status_code == 200
    assert "东街 2 号的积分记录" in page.text
    assert len(ROW_IDS.findall(page.text)) == 2
    assert "李秀英" in page.text and "陈建国" not in page.text
    assert client.get(LEDGER, query_string={"household": "abc"}).status_code == 404
    assert client.get(LEDGER, query_string={"household": 10**12}).status_code == 404


def test_keyset_paging_neither_repeats_nor_skips_rows(client, committee, village, households):
    openings(village, households, 123)
    db.session.rollback()
    every = set(db.session.scalars(sa.select(LedgerEntry.id)))
    login_as(client, committee)
    seen: list[int] = []
    url, query = LEDGER, {}
    pages = 0
    while True:
        text = client.get(url, query_string=query).text
        ids = [int(i) for i in ROW_IDS.findall(text)]
        assert ids == sorted(ids, reverse=True)
        seen.extend(ids)
        pages += 1
        found = re.search(r'href="[^"]*\?before=(\d+)"[^>]*>更早的记录', text)
        if not found:
            break
        query = {"before": found.group(1)}
    assert pages == 3
    assert len(seen) == len(set(seen)) == 123
    assert set(seen) == every
    assert "回到最新" in text


def test_the_ledger_costs_the_same_as_rows_grow(client, committee, village, households):
    openings(village, households[:2], 5)
    login_as(client, committee)
    client.get(LEDGER)
    with statements() as seen:
        client.get(LEDGER)
    few = len(seen)
    openings(village, households, 200)
    for household in (HouseholdFactory(village=village) for _ in range(3)):
        ResidentFactory(household=household)
        openings(village, [household], 2)
    with statements() as seen:
        page = client.get(LEDGER)
    assert len(ROW_IDS.findall(page.text)) == 50
    assert len(seen) == few == LEDGER_STATEMENTS
    with statements() as seen:
        client.get(LEDGER, query_string={"before": 100})
    assert len(seen) == LEDGER_STATEMENTS
    # Keyset: the page starts below the cursor (SQLite's LIMIT comes with "OFFSET 0").
    assert any("points_ledger.id < " in s for s in seen)


LEDGER_STATEMENTS = 7


# --- corrections 冲销 -------------------------------------------------------------------


def test_a_reversal_in_place(client, committee, village, households, awarded):
    row = award_row(awarded)
    login_as(client, committee)
    before = count(ActionLog)
    response = client.post(
        f"{LEDGER}/{row.id}/reverse",
        data={f"r{row.id}-reason": "记错了户，应是东街 2 号。"},
        headers=htmx_headers(f"ledger-row-{row.id}"),
    )
    assert response.status_code == 200
    assert response.text.strip().startswith(f'<tr id="ledger-row-{row.id}"')
    assert "已冲销" in response.text and "冲销这一笔" not in response.text
    assert len(response.data) <= PARTIAL_MAX
    assert "points-ledger-changed" in response.headers["HX-Trigger"]
    db.session.rollback()
    reversal = db.session.scalars(
        sa.select(LedgerEntry).where(LedgerEntry.reverses_id == row.id)
    ).one()
    assert (reversal.kind, reversal.points, reversal.note) == (
        LedgerKind.REVERSAL,
        -20,
        "记错了户，应是东街 2 号。",
    )
    assert balance(households[0]) == 0
    assert count(ActionLog) == before + 1
    assert fresh_row(row.id).points == 20  # the row itself stays
    page = client.get(LEDGER).text
    assert f"冲销第 {row.id} 笔" in page


def test_a_reversal_plain_redirects(client, committee, households, awarded):
    row = award_row(awarded)
    login_as(client, committee)
    response = client.post(f"{LEDGER}/{row.id}/reverse", data={f"r{row.id}-reason": "重复记录"})
    assert response.status_code == 303 and response.headers["Location"].endswith(LEDGER)
    assert f"已冲销第 {row.id} 笔" in client.get(LEDGER).text
    assert balance(households[0]) == 0


def test_a_plain_reversal_goes_back_to_the_page_it_came_from(
    client, committee, village, households, awarded
):
    row = award_row(awarded)
    login_as(client, committee)
    here = f"{LEDGER}?household={households[0].id}"
    assert f'name="next" value="{here}"' in client.get(here).text
    response = client.post(
        f"{LEDGER}/{row.id}/reverse", data={f"r{row.id}-reason": "重复", "next": here}
    )
    assert response.status_code == 303 and response.headers["Location"].endswith(here)
    elsewhere = client.post(
        f"{LEDGER}/{row.id}/reverse", data={f"r{row.id}-reason": "x", "next": "//evil.tld"}
    )
    assert elsewhere.status_code == 409
    assert balance(households[0]) == 0


@pytest.mark.parametrize("reason", ["", "   ", "理" * 400])
def test_a_reversal_needs_a_reason(client, committee, awarded, reason):
    row = award_row(awarded)
    login_as(client, committee)
    before = writes()
    hx = client.post(
        f"{LEDGER}/{row.id}/reverse",
        data={f"r{row.id}-reason": reason},
        headers=htmx_headers(f"ledger-row-{row.id}"),
    )
    assert hx.status_code == 422
    assert "请写明冲销的理由" in hx.text or "理由写得太长了" in hx.text
    assert hx.text.strip().startswith("<tr") and " open" in hx.text
    plain = client.post(f"{LEDGER}/{row.id}/reverse", data={f"r{row.id}-reason": reason})
    assert plain.status_code == 422 and f'id="r{row.id}-reason-error"' in plain.text
    assert writes() == before


def test_a_row_is_reversed_once_and_a_reversal_never(client, committee, village, awarded):
    row = award_row(awarded)
    with unit_of_work():
        reversal = services.reverse(committee, village, row, "重复记录")
    login_as(client, committee)
    text = client.get(LEDGER).text
    assert "冲销这一笔" not in text  # neither the reversed row nor the reversal offers it
    before = writes()
    again = client.post(
        f"{LEDGER}/{row.id}/reverse",
        data={f"r{row.id}-reason": "再冲一次"},
        headers=htmx_headers(f"ledger-row-{row.id}"),
    )
    assert again.status_code == 409 and "这一笔已经冲销过了" in again.text
    of_reversal = client.post(
        f"{LEDGER}/{reversal.id}/reverse", data={f"r{reversal.id}-reason": "撤销冲销"}
    )
    assert of_reversal.status_code == 409 and "只有积分和兑换可以冲销" in of_reversal.text
    assert writes() == before


def test_last_years_rows_are_not_reversed(client, committee, village, households, awarded, at):
    row = award_row(awarded)
    at(datetime(2026, 12, 2, 2, 0, tzinfo=UTC))
    with unit_of_work():
        services.close_year(committee, village, 2026)
    login_as(client, committee)
    text = client.get(LEDGER).text
    assert "冲销这一笔" not in text
    before = writes()
    response = client.post(f"{LEDGER}/{row.id}/reverse", data={f"r{row.id}-reason": "错了"})
    assert response.status_code == 409 and "往年的账已经结算" in response.text
    assert writes() == before


# --- the year end -----------------------------------------------------------------------


def test_the_year_end_page_before_december(client, committee, village, awarded):
    login_as(client, committee)
    page = client.get(YEAR_END)
    assert page.status_code == 200
    text = page.text
    assert "2026 年的账" in text and "结转到下一年" in text
    assert "2026年12月1日 以后才能办理" in text
    assert re.search(r"有积分的户</dt><dd>1<", text) and re.search(r"共计积分</dt><dd>20<", text)
    assert "还没有办过年终结算" in text
    assert "/v/hubin/manage/settings" in text
    hx = client.get(YEAR_END, headers=htmx_headers())
    assert hx.status_code == 200 and "2026 年的账" in hx.text
    before = writes()
    refused = client.post(YEAR_END, data={"year": "2026"})
    assert refused.status_code == 409 and "12 月 1 日以后才能办理" in refused.text
    assert writes() == before


def test_the_year_end_page_writes_no_book(client, now):
    empty = VillageFactory(name="新村", slug="xincun")
    member = holder(empty, Role.COMMITTEE, name="周主任")
    login_as(client, member)
    before = writes()
    assert "2026 年的账" in client.get("/v/xincun/manage/points/year-end").text
    assert writes() == before


@pytest.mark.parametrize(
    ("typed", "status", "message"),
    [
        ("", 422, "请输入要结算的年份（2026）以确认"),
        ("二〇二六", 422, "请输入要结算的年份（2026）以确认"),
        ("2025", 409, "现在要结算的是 2026 年的账"),
        ("2027", 409, "现在要结算的是 2026 年的账"),
    ],
)
def test_the_year_end_refuses_the_wrong_year(
    client, committee, village, awarded, at, typed, status, message
):
    at(datetime(2026, 12, 2, 2, 0, tzinfo=UTC))
    login_as(client, committee)
    before = writes()
    response = client.post(YEAR_END, data={"year": typed})
    assert response.status_code == status and message in response.text
    assert 'id="year-error"' in response.text
    assert writes() == before


def test_the_year_end_after_the_first_of_december(
    client, committee, village, households, awarded, at
):
    at(datetime(2026, 12, 2, 2, 0, tzinfo=UTC))
    login_as(client, committee)
    response = client.post(YEAR_END, data={"year": "2026"})
    assert response.status_code == 303
    db.session.rollback()
    closed = db.session.scalars(sa.select(YearEnd)).one()
    assert (closed.year, closed.mode.value, closed.households, closed.points_closed) == (
        2026,
        "carry",
        1,
        20,
    )
    assert db.session.get(PointsBook, village.id).open_year == 2027
    assert balance(households[0]) == 20  # carried over
    page = client.get(YEAR_END).text
    assert "2026 年的积分已经结算：1 户，共 20 分" in page
    assert "2027 年的账" in page and "往年结算" in page and "王主任" in page
    assert client.post(YEAR_END, data={"year": "2026"}).status_code == 409


def test_the_year_end_resets_where_the_village_says(
    client, committee, village, households, awarded, at
):
    from portal.settings import registry

    registry.change_settings(committee, village, {"points.year_end": "reset"})
    at(datetime(2026, 12, 2, 2, 0, tzinfo=UTC))
    login_as(client, committee)
    assert "清零，下一年重新累计" in client.get(YEAR_END).text
    assert client.post(YEAR_END, data={"year": "2026"}).status_code == 303
    assert balance(households[0]) == 0


def test_the_year_end_page_costs_the_same_as_households_grow(
    client, committee, village, households
):
    openings(village, households, 4)
    login_as(client, committee)
    client.get(YEAR_END)
    with statements() as seen:
        client.get(YEAR_END)
    few = len(seen)
    more = [HouseholdFactory(village=village) for _ in range(20)]
    openings(village, more, 40)
    with statements() as seen:
        client.get(YEAR_END)
    assert len(seen) == few == YEAR_END_STATEMENTS


YEAR_END_STATEMENTS = 7


# --- the export -------------------------------------------------------------------------


def read_csv(response) -> list[list[str]]:
    text = response.data.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_the_export_is_a_csv_readable_in_excel(client, committee, awarded, households):
    login_as(client, committee)
    response = client.get(EXPORT, query_string={"from": "2026-06-01", "to": "2026-06-30"})
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    rows = read_csv(response)
    assert rows[0] == [
        "生效日期",
        "门牌号",
        "户主",
        "细则编号",
        "事由",
        "分值",
        "积分余额",
        "记录编号",
    ]
    assert rows[1] == [
        "2026-06-14",
        "东街 1 号",
        "陈建国",
        "G04",
        "见义勇为、拾金不昧，经核实",
        "20",
        "20",
        str(awarded.id),
    ]
    assert len(rows) == 2


HOSTILE_TEXT = ['=HYPERLINK("http://evil.tld","看")', "+1", "-1+1", "@SUM(A1:A9)", "\t=1"]


def test_the_export_neutralises_formulas_and_keeps_numbers(
    client, committee, second_member, village, grids, now
):
    households = []
    for n, text in enumerate(HOSTILE_TEXT):
        household = HouseholdFactory(village=village, grid=grids[0], door_number=text)
        ResidentFactory(household=household, name=text[:10])
        households.append(household)
        with unit_of_work():
            services.add_item(
                committee, village, code=f"=X{n}", category="basic", description=text, points=-1
            )
    for n, household in enumerate(households):
        award(committee, second_member, village, household, code="G04")
        award(committee, second_member, village, household, code=f"=X{n}")
    login_as(client, committee)
    rows = read_csv(client.get(EXPORT))[1:]
    assert len(rows) == 10
    for date_, door, head, code, description, points, after, entry_id in rows:
        assert door.startswith("'") and door[1:] in HOSTILE_TEXT
        assert head.startswith("'")
        assert re.fullmatch(r"-?\d+", points) and re.fullmatch(r"\d+", after)
        assert entry_id.isdigit() and re.fullmatch(r"\d{4}-\d{2}-\d{2}", date_)
        if code.startswith("'"):
            # The catalogue strips what is typed: "\t=1" is kept as "=1", neutralised all the same.
            assert code.startswith("'=X")
            assert description[1:] in [text.strip() for text in HOSTILE_TEXT]
            assert points == "-1" and after == "19"
        else:
            assert code == "G04" and points == "20"


def test_the_export_takes_local_dates_only(
    client, committee, second_member, village, households, heads_named, now
):
    # Final at 2026-06-14 10:00 and at 2026-06-15 01:00 Asia/Shanghai (17:00 UTC the 14th).
    first = award(committee, second_member, village, households[0])
    late = award(committee, second_member, village, households[1], now=START + timedelta(hours=15))
    login_as(client, committee)

    def ids(**query):
        return [int(row[-1]) for row in read_csv(client.get(EXPORT, query_string=query))[1:]]

    assert ids(**{"from": "2026-06-14", "to": "2026-06-14"}) == [first.id]
    assert ids(**{"from": "2026-06-15", "to": "2026-06-15"}) == [late.id]
    assert ids(**{"from": "2026-06-01", "to": "2026-06-13"}) == []
    assert ids(**{"from": "2026-06-16", "to": "2026-12-31"}) == []
    assert ids() == [first.id, late.id]  # the book year by default


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"from": "2026-13-01"}, "没有这一天"),
        ({"from": "2026-02-30"}, "没有这一天"),
        ({"from": "abc"}, "日期格式不对"),
        ({"to": "2026/06/01"}, "日期格式不对"),
        ({"from": "2026-07-01", "to": "2026-06-01"}, "开始日期不能晚于结束日期"),
        ({"from": "2024-01-01", "to": "2026-06-01"}, "一次最多导出一年"),
        ({"from": "9999-12-31", "to": "9999-12-31"}, "不在可以导出的范围里"),
    ],
)
def test_bad_dates_get_a_clear_400(client, committee, village, query, message):
    login_as(client, committee)
    response = client.get(EXPORT, query_string=query)
    assert response.status_code == 400
    assert message in response.text
    assert "text/html" in response.content_type


def test_the_export_costs_the_same_as_rows_grow(
    client, committee, second_member, village, households, heads_named, now
):
    award(committee, second_member, village, households[0])
    login_as(client, committee)
    client.get(EXPORT)
    with statements() as seen:
        client.get(EXPORT)
    few = len(seen)
    for household in households[1:]:
        award(committee, second_member, village, household)
    with statements() as seen:
        assert len(read_csv(client.get(EXPORT))) == 5
    assert len(seen) == few == EXPORT_STATEMENTS


EXPORT_STATEMENTS = 6


def test_the_ledger_offers_the_export_with_the_book_year(client, committee, village):
    login_as(client, committee)
    text = client.get(LEDGER).text
    assert 'name="from" value="2026-01-01"' in text and 'name="to" value="2026-12-31"' in text
    assert 'hx-boost="false"' in text


# --- English, and valid HTML ------------------------------------------------------------


@pytest.fixture
def books_in_use(committee, second_member, village, households, heads_named, rice, at):
    """Every kind of row the pages show: awards, a redemption, a reversal, a retired item,
    an item of the village's own category, and a past year end."""
    award(committee, second_member, village, households[0])
    award(committee, second_member, village, households[0])
    with unit_of_work():
        shop.redeem(committee, village, households[0], rice, 1)
        services.add_item(
            committee, village, code="H01", category="环境卫生", description="河道保洁", points=2
        )
        services.retire_item(committee, village, item(village, "K07"))
    first = award(committee, second_member, village, households[1])
    with unit_of_work():
        services.reverse(committee, village, award_row(first), "记错了户。")
    at(datetime(2026, 12, 2, 2, 0, tzinfo=UTC))
    with unit_of_work():
        services.close_year(committee, village, 2026)
    award(committee, second_member, village, households[2], now=datetime(2026, 12, 2, tzinfo=UTC))
    at(datetime(2026, 12, 8, 2, 0, tzinfo=UTC))


def test_the_books_read_as_english(client, committee, books_in_use):
    from tests.test_english import assert_reads_as_english, english

    login_as(client, committee)
    for path in (CATALOGUE, LEDGER, YEAR_END):
        assert_reads_as_english(english(client, path), path)


def test_the_books_are_valid_html(client, committee, books_in_use, tmp_path):
    from tests.test_markup import PARTIAL, VNU, nu_errors

    if not VNU.exists():
        pytest.skip("the HTML checker is not installed (npm ci)")
    login_as(client, committee)
    row = db.session.scalars(
        sa.select(LedgerEntry).where(LedgerEntry.kind == LedgerKind.AWARD, LedgerEntry.year == 2027)
    ).first()
    target = item(db.session.get(PointItem, row.entry.item_id).village, "J01")
    pages = {
        "catalogue": client.get(CATALOGUE).text,
        "ledger": client.get(LEDGER).text,
        "year-end": client.get(YEAR_END).text,
        "bad-item": client.post(CATALOGUE, data={**GOOD, "points": "1.5"}).text,
        "bad-year": client.post(YEAR_END, data={"year": "x"}).text,
        "form-block": PARTIAL.format(
            client.post(
                CATALOGUE, data={**GOOD, "points": "0"}, headers=htmx_headers("add-item")
            ).text
        ),
        "row-block": PARTIAL.format(
            "<table><tbody>"
            + client.post(
                f"{LEDGER}/{row.id}/reverse",
                data={f"r{row.id}-reason": ""},
                headers=htmx_headers(f"ledger-row-{row.id}"),
            ).text
            + "</tbody></table>"
        ),
        "item-block": PARTIAL.format(
            "<table><tbody>"
            + client.post(
                f"{CATALOGUE}/{target.id}/retire", headers=htmx_headers(f"item-{target.id}")
            ).text
            + "</tbody></table>"
        ),
    }
    files = []
    for name, html in pages.items():
        file = tmp_path / f"{name}.html"
        file.write_text(html, encoding="utf-8")
        files.append(file)
    assert nu_errors(files) == []
