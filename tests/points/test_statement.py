"""A household's statement /v/<village>/points/households/<id>: full (head's full name,
door number, notes, rejections) for the household's members and the committee and
supervisors, masked for anyone else with the same figures; the ledger rows of the
book year, the entries not yet final apart, the month-end chart with its table,
?year=, its htmx block, and its statement count, constant as the ledger grows."""

from __future__ import annotations

import gzip
import re
from datetime import timedelta

import pytest

from portal.actions import unit_of_work
from portal.extensions import db
from portal.points import services
from portal.points.models import LedgerEntry
from tests.conftest import htmx_headers, login_as
from tests.factories import HouseholdFactory, ResidentFactory, VillageFactory, villager
from tests.points.conftest import START, approve, award, record
from tests.statements import statements

DAY = timedelta(days=1)


def url(household, **params):
    query = "".join(f"?{k}={v}" for k, v in params.items())
    return f"/v/hubin/points/households/{household.id}{query}"


def words(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def home(households, resident_user):
    """The first household: 陈建国 (head, with an account) at 东街 1 号."""
    return households[0]


@pytest.fixture
def ledger(village, home, committee, second_member, grid_worker, at):
    """Two final awards, one entry in 公示 with a note, one pending, one rejected."""
    award(grid_worker, committee, village, home, "G04")
    award(grid_worker, committee, village, home, "G08")
    at(START + 5 * DAY)
    noted = record(
        grid_worker, village, home, "G04", on=(START + 5 * DAY).date(), note="帮邻居收麦"
    )
    approve(committee, village, noted)
    record(grid_worker, village, home, "G08", on=(START + 5 * DAY).date())
    refused = record(grid_worker, village, home, "G04", on=(START + 5 * DAY).date())
    with unit_of_work():
        services.reject(second_member, village, refused, "照片看不出是哪一户")
    return noted


def test_a_visitor_sees_the_figures_masked(client, village, home, ledger):
    page = client.get(url(home))
    assert page.status_code == 200
    text = page.text
    assert "陈**" in text and "陈建国" not in text
    assert "东街" not in text and "帮邻居收麦" not in text and "照片看不出" not in text
    standing = services.standing(home)
    assert standing.balance > 0 and standing.in_notice > 0 and standing.pending > 0
    shown = words(text)
    assert f"{standing.balance} 分" in shown
    assert f"+{standing.in_notice} 分" in shown and f"+{standing.pending} 分" in shown
    # The entry in 公示 is listed (public); the pending one only as a sum.
    assert f"/v/hubin/points/entries/{ledger.id}" in text and "公示中" in text
    assert "待审核</span>" not in text
    # Public, and cacheable like any public page.
    assert "no-store" not in page.headers.get("Cache-Control", "")
    assert "csrf" not in text.lower() and "Set-Cookie" not in page.headers


@pytest.mark.parametrize("who", ["member", "committee", "supervisor"])
def test_the_household_and_the_committee_see_it_full(
    client, village, home, ledger, resident_user, committee, supervisor, who
):
    user = {"member": resident_user, "committee": committee, "supervisor": supervisor}[who]
    login_as(client, user)
    page = client.get(url(home))
    assert page.status_code == 200
    assert "陈建国" in page.text and "东街 1 号" in page.text
    assert "帮邻居收麦" in page.text and "照片看不出是哪一户" in page.text
    assert "待审核" in page.text
    assert page.headers["Cache-Control"] == "no-store"
    assert "noindex" in page.headers["X-Robots-Tag"]


def test_another_villager_sees_it_masked(client, village, home, ledger):
    stranger = villager(village, name="李四")
    login_as(client, stranger)
    page = client.get(url(home)).text
    assert "陈**" in page and "陈建国" not in page and "东街 1 号" not in page
    assert "帮邻居收麦" not in page


def test_another_villages_household_is_404(client, village, home):
    VillageFactory(slug="shanqian")
    elsewhere = HouseholdFactory(village=VillageFactory(slug="beishan"))
    assert client.get(f"/v/shanqian/points/households/{home.id}").status_code == 404
    assert client.get(f"/v/hubin/points/households/{elsewhere.id}").status_code == 404
    assert client.get("/v/hubin/points/households/999999").status_code == 404


def test_the_rows_say_what_each_is(app, client, village, home, ledger, committee, rice, shopkeeper):
    with unit_of_work():
        from portal.points import shop

        shop.redeem(shopkeeper, village, home, rice, 1)
    first = db.session.scalars(
        db.select(LedgerEntry).filter_by(household_id=home.id).order_by(LedgerEntry.id)
    ).first()
    with unit_of_work():
        services.reverse(committee, village, first, "记错了户")
    login_as(client, committee)
    page = words(client.get(url(home)).text)
    assert "大米 × 1" in page and "兑换" in page
    assert f"冲销第 {first.id} 笔" in page and "已冲销" in page and "记错了户" in page
    for row in db.session.scalars(db.select(LedgerEntry).filter_by(household_id=home.id)):
        assert f"{row.id} " in page
    masked = words(app.test_client().get(url(home)).text)
    assert f"冲销第 {first.id} 笔" in masked and "记错了户" not in masked


def months_table(html: str) -> list[tuple[str, str]]:
    table = html.split('class="result-table points-months"')[1].split("</table>")[0]
    return re.findall(r'<th scope="row">(.*?)</th><td>(.*?)</td>', table)


def test_the_chart_table_equals_the_ledger(client, village, home, committee, grid_worker, at):
    for month in (1, 3, 4):
        at(START.replace(month=month, day=5))
        award(
            grid_worker,
            committee,
            village,
            home,
            "G04",
            now=START.replace(month=month, day=5),
            on=START.replace(month=month, day=5).date(),
        )
    at(START)
    page = client.get(url(home)).text
    found = months_table(page)
    statement = services.statement(home, 2026)
    assert len(found) == 6  # January to June, the month of the clock
    assert [m.month for m in statement.months] == [1, 2, 3, 4, 5, 6]
    for (label, figure), point in zip(found, statement.months, strict=True):
        assert label == f"{point.month}月"
        assert re.sub(r"<[^>]+>", "", figure) == f"{point.balance} 分"
    # Each month's figure is the balance after the last ledger row written by its end.
    rows = db.session.scalars(
        db.select(LedgerEntry).filter_by(household_id=home.id).order_by(LedgerEntry.id)
    ).all()
    by_month = {}
    for row in rows:
        by_month[row.created_at.astimezone(services.clock.LOCAL_TZ).month] = row.balance_after
    running = 0
    for point in statement.months:
        running = by_month.get(point.month, running)
        assert point.balance == running
    svg = page.split('<svg class="chart points-chart"')[1].split("</svg>")[0]
    assert 'role="img"' in svg and "<title" in svg and "<script" not in svg
    assert svg.count("<rect") >= 2


def test_an_earlier_year_and_its_block(client, village, home, committee, grid_worker, at):
    at(START.replace(year=2025, month=5))
    award(
        grid_worker,
        committee,
        village,
        home,
        "G04",
        now=START.replace(year=2025, month=5),
        on=START.replace(year=2025, month=5).date(),
    )
    at(START.replace(year=2025, month=12, day=2))
    with unit_of_work():
        services.close_year(committee, village, 2025)
    at(START)
    award(grid_worker, committee, village, home, "J01")
    login_as(client, committee)
    now_year = client.get(url(home)).text
    assert "2026年积分账" in now_year and "上年结转" in now_year
    earlier = client.get(url(home, year=2025))
    assert "2025年积分账" in earlier.text and "年终结算" in earlier.text
    assert len(months_table(earlier.text)) == 12
    partial = client.get(url(home, year=2025), headers=htmx_headers("points-statement"))
    assert partial.status_code == 200 and "<html" not in partial.text
    assert 'id="points-statement"' in partial.text and "年终结算" in partial.text
    # DESIGN.md 6: an htmx partial at most 4 KB, compressed (as tests/browser measures).
    assert len(gzip.compress(partial.data)) <= 4096, len(partial.data)
    assert "HX-Request" in partial.headers["Vary"]
    for bad in ("1900", "abc", "2025'--", "99999999999"):
        page = client.get(url(home, year=bad))
        assert page.status_code == 200 and "2026年积分账" in page.text, bad


def add_rows(village, home, committee, second_member, grid_worker, n):
    """`n` final awards written in the past, and `n` entries in 公示, pending, rejected."""
    for k in range(n):
        award(grid_worker, committee, village, home, "G08", now=START - (20 + k) * DAY)
    for _k in range(n):
        approve(committee, village, record(grid_worker, village, home, "G04"))
        record(grid_worker, village, home, "G04")
        refused = record(grid_worker, village, home, "G04")
        with unit_of_work():
            services.reject(second_member, village, refused, "重复记录")


def test_the_statement_count_is_pinned_and_constant(
    app, client, village, home, resident_user, committee, second_member, grid_worker
):
    add_rows(village, home, committee, second_member, grid_worker, 1)
    address = url(home)
    login_as(client, resident_user)

    def cost(who) -> int:
        who.get(address)
        with statements() as seen:
            assert who.get(address).status_code == 200
        return len(seen)

    visitor = app.test_client()
    few, visitor_few = cost(client), cost(visitor)
    add_rows(village, home, committee, second_member, grid_worker, 4)
    many, visitor_many = cost(client), cost(visitor)
    assert (
        db.session.scalar(db.select(db.func.count(LedgerEntry.id)).filter_by(household_id=home.id))
        == 5
    )
    print(f"statement page: household member {few}, visitor {visitor_few} statements")
    assert many == few == STATEMENT_STATEMENTS
    assert visitor_many == visitor_few == VISITOR_STATEMENTS


# The village; the user and their roles; the member's own household; the household; the
# book year and the years with rows; the ledger rows with their entries, items and
# rewards; the stored balance; the entries not yet written with whether each is final by
# the clock; the reversed rows; the 公示 periods and their objection counts; the rejected
# entries; the head. A visitor: no user, roles, own household or rejected entries.
STATEMENT_STATEMENTS = 15
VISITOR_STATEMENTS = 11


def test_an_unknown_head_is_a_word_not_a_gap(client, village, households):
    empty = households[3]
    page = client.get(url(empty)).text
    assert "某某" in page and "西街" not in page


def test_a_household_of_several_shows_its_head(client, village, households, at):
    household = households[2]
    ResidentFactory(household=household, name="欧阳娜娜")
    ResidentFactory(household=household, name="欧阳小明")
    page = client.get(url(household)).text
    assert "欧阳**" in page and "欧阳娜娜" not in page and "欧阳小明" not in page


def test_an_entry_final_by_the_clock_counts_everywhere_before_it_is_written(
    client, village, home, resident_user, committee, second_member, grid_worker, at
):
    """After its 公示, before `flask tick`: the balance, the rows and the month table
    agree, and the entry is no longer listed as not yet final."""
    award(grid_worker, committee, village, home, "G08", now=START - 20 * DAY)  # 30, written
    entry = record(grid_worker, village, home, "G04", note="帮五保户挑水")  # 20
    approve(second_member, village, entry)
    at(START + 4 * DAY)
    assert "帮五保户挑水" not in client.get(url(home)).text
    assert (
        db.session.scalar(db.select(db.func.count(LedgerEntry.id)).filter_by(household_id=home.id))
        == 1
    )
    login_as(client, resident_user)
    page = client.get(url(home)).text
    assert "50 分" in page and "公示期满，已生效" in page
    assert "还没有生效的积分" not in page
    assert "帮五保户挑水" in page
    assert months_table(page)[-1][-1] == "50 分"
