"""积分 end to end in Chromium, with the server's clock moved between the steps.

A grid worker records an event for a household of their grid (found by door number);
a committee member of another household approves it in place in the queue (htmx: the
row changes, the page stays); the 公示 ends; the household's villager reads the new
balance on their statement, with the chart and its table; the shopkeeper scans the
household's card (types its address into the counter's search, as a scanner does, and
presses Enter), and redeems a reward it can afford: the balance drops by the cost, the
stock by one. axe-core finds nothing at 320 px on the points pages, the shop's, the
console's and the card; with JavaScript off the index, its pager and a statement work.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from portal import clock
from portal.auth.access import grids_of, is_verified_villager
from portal.auth.models import User
from portal.demo import (
    COMMITTEE_PHONE,
    GRID_WORKER_PHONE,
    SECOND_COMMITTEE_PHONE,
    SHOPKEEPER_PHONE,
    SUPERVISOR_PHONE,
    VILLAGER_PHONES,
)
from portal.extensions import db
from portal.points import services
from portal.points.models import EntryState, PointsEntry, Reward
from portal.villages.models import Household, Village
from tests.browser import test_boards
from tests.browser.conftest import NARROW
from tests.browser.test_boards import assert_no_violations, log_in, read

pytestmark = pytest.mark.browser

# The server's clock moved between the steps, as in the boards' journey.
moved_clock = test_boards.moved_clock

VILLAGE = "/v/hubin"
ITEM_CODE = "G04"  # 见义勇为、拾金不昧: +20, no cap
COMMITTEE = (COMMITTEE_PHONE, SECOND_COMMITTEE_PHONE)
NOTE = "在村口拾到一个装有身份证和银行卡的钱包，当天交还失主。"


def _village() -> Village:
    return db.session.scalar(sa.select(Village).where(Village.slug == "hubin"))


def _user(phone: str) -> User:
    return db.session.scalar(sa.select(User).where(User.phone == phone))


def journey_household(live_app) -> dict:
    """A household of the grid worker's grid with a verified villager among the demo
    logins (the twenty villagers first; the demo puts none of them in the first grid,
    so then a cadre's, whose villager is also a verified resident: never the grid
    worker's own) and no other entry pending or in 公示, the committee member who may
    approve its entry (of another household), and the item to record (its cap, if any,
    leaves room)."""

    def find():
        village = _village()
        grids = grids_of(_user(GRID_WORKER_PHONE), village.id)
        members = {phone: _user(phone).resident.household_id for phone in COMMITTEE}
        [item] = [i for i in services.catalogue(village) if i.code == ITEM_CODE]
        today = clock.today_local()
        for phone in (*VILLAGER_PHONES, *COMMITTEE, SUPERVISOR_PHONE, SHOPKEEPER_PHONE):
            user = _user(phone)
            if user.resident is None or not is_verified_villager(user, village.id):
                continue
            household = user.resident.household
            if household.grid_id not in grids:
                continue
            use = services.cap_use(item, household.id, today)
            if use is not None and use.used + item.points > use.cap:
                continue
            # Nothing else of its own open: the new balance is the old one and the entry.
            open_now = services.standing(household)
            if open_now.in_notice or open_now.pending:
                continue
            approver = next(p for p in COMMITTEE if members[p] != household.id)
            return {
                "villager": phone,
                "approver": approver,
                "household_id": household.id,
                "door": household.door_number,
                "item_id": item.id,
                "points": item.points,
            }
        raise AssertionError("no demo login lives in the grid worker's grid")

    return read(live_app, find)


def standing_of(live_app, household_id: int) -> services.Standing:
    return read(live_app, lambda: services.standing(db.session.get(Household, household_id)))


def latest_entry(live_app) -> PointsEntry:
    return read(
        live_app,
        lambda: db.session.scalar(sa.select(PointsEntry).order_by(PointsEntry.id.desc()).limit(1)),
    )


def figure(text: str) -> int:
    """The number in a figure such as "120 分"."""
    found = re.search(r"-?\d+", text)
    assert found, f"no number in {text!r}"
    return int(found.group())


def test_record_approve_notice_statement_and_redeem(browser, live_server, live_app, moved_clock):
    chosen = journey_household(live_app)
    household_id = chosen["household_id"]
    before = standing_of(live_app, household_id)

    # The grid worker finds the household by its door number and records the event.
    worker, page = log_in(browser, live_server, GRID_WORKER_PHONE, f"{VILLAGE}/points/record")
    page.get_by_label("按门牌号或姓名查找这一户").fill(chosen["door"])
    page.get_by_role("button", name="查找").click()
    # The search answers as it is typed too: let every answer land before choosing.
    page.wait_for_load_state("networkidle")
    chosen_radio = page.locator(f'input[name="household"][value="{household_id}"]')
    chosen_radio.check()
    page.wait_for_load_state("networkidle")
    expect(chosen_radio).to_be_checked()
    page.get_by_label("积分细则").select_option(value=str(chosen["item_id"]))
    page.get_by_label("说明（可不填）").fill(NOTE)
    page.get_by_role("button", name="记录", exact=True).click()
    done = page.locator("#record-panel [role=status]")
    expect(done).to_contain_text("等待村委会审核")
    expect(done).to_contain_text(chosen["door"])
    entry = latest_entry(live_app)
    assert entry.household_id == household_id and entry.state == EntryState.PENDING
    assert entry.points == chosen["points"] and entry.note == NOTE
    worker.close()

    # A committee member of another household approves the row in place.
    queue = f"{VILLAGE}/manage/points"
    committee, page = log_in(browser, live_server, chosen["approver"], queue)
    page.evaluate("() => { window.stillThisPage = true; }")
    row = page.locator(f"#entry-{entry.id}")
    expect(row).to_contain_text(NOTE)
    row.get_by_role("button", name="审核通过", exact=True).click()
    expect(row).to_contain_text("已审核通过，正在公示。")
    expect(row.get_by_role("button", name="审核通过", exact=True)).to_have_count(0)
    expect(page).to_have_url(f"{live_server}{queue}")
    assert page.evaluate("() => window.stillThisPage === true"), "the queue page was reloaded"
    assert read(live_app, lambda: db.session.get(PointsEntry, entry.id).state) == (
        EntryState.APPROVED
    )
    committee.close()

    # The 公示 is over: the household's villager reads the new balance.
    moved_clock(services.NOTICE_DAYS.default + 1)
    after = standing_of(live_app, household_id)
    assert after.balance == before.balance + chosen["points"]
    statement = f"{VILLAGE}/points/households/{household_id}"
    villager, page = log_in(browser, live_server, chosen["villager"], statement)
    balance = page.locator("section[aria-labelledby=balance-heading] .verdict")
    assert figure(balance.inner_text()) == after.balance
    expect(page.locator("main")).to_contain_text(NOTE)
    expect(page.locator("#points-chart")).to_be_visible()
    months = page.locator("table.points-months tbody tr")
    expect(months.first).to_be_visible()
    assert months.count() == clock.today_local().month
    villager.close()

    # The shopkeeper scans the household's card at the counter and redeems a reward.
    shopkeeper, page = log_in(browser, live_server, SHOPKEEPER_PHONE, f"{VILLAGE}/shop/counter")
    search = page.get_by_label("找一户：门牌号、姓名，或扫积分卡")
    search.press_sequentially(f"{live_server}{statement}")
    search.press("Enter")
    panel = page.locator("#counter-household")
    expect(panel.get_by_role("heading", level=2)).to_contain_text(chosen["door"])
    available = figure(panel.locator("dl.facts dd").first.inner_text())
    assert available == after.available
    card = panel.locator("li.card").first
    reward_name = card.locator("strong").inner_text()
    reward = read(
        live_app,
        lambda: db.session.scalar(
            sa.select(Reward).where(Reward.name == reward_name, Reward.retired_at.is_(None))
        ),
    )
    assert 0 < reward.cost <= available and reward.stock > 0
    card.get_by_role("button", name="兑换").click()
    expect(panel.locator("[role=status]")).to_contain_text("已兑换")
    expect(panel.locator("dl.facts dd").first).to_contain_text(str(available - reward.cost))
    assert standing_of(live_app, household_id).available == available - reward.cost
    stock = read(live_app, lambda: db.session.get(Reward, reward.id).stock)
    assert stock == reward.stock - 1
    shopkeeper.close()


def _demo_entry_in_notice(live_app) -> int:
    def find():
        village = _village()
        return db.session.scalars(services.in_notice(village, clock.now())).first().id

    return read(live_app, find)


def _villager_home(live_app, phone: str) -> int:
    return read(live_app, lambda: _user(phone).resident.household_id)


def _narrow(page) -> None:
    page.set_viewport_size({"width": NARROW, "height": 800})


def test_points_pages_have_no_axe_violations_at_320px(browser, live_server, live_app, axe_source):
    entry_id = _demo_entry_in_notice(live_app)
    context = browser.new_context(
        viewport={"width": NARROW, "height": 800}, locale="zh-CN", base_url=live_server
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    for path in (f"{VILLAGE}/points", f"{VILLAGE}/points/entries/{entry_id}", f"{VILLAGE}/shop"):
        assert page.goto(path).status == 200
        assert_no_violations(page, axe_source, path)
    context.close()

    # The household's own member: the full statement and the QR card.
    home = _villager_home(live_app, VILLAGER_PHONES[0])
    statement = f"{VILLAGE}/points/households/{home}"
    context, page = log_in(browser, live_server, VILLAGER_PHONES[0], statement)
    _narrow(page)
    for path in (statement, f"{statement}/card"):
        assert page.goto(path).status == 200
        assert_no_violations(page, axe_source, path)
    context.close()

    context, page = log_in(browser, live_server, SHOPKEEPER_PHONE, f"{VILLAGE}/shop/counter")
    _narrow(page)
    for path in (f"{VILLAGE}/shop/counter", f"{VILLAGE}/shop/counter?household={home}"):
        assert page.goto(path).status == 200
        assert_no_violations(page, axe_source, path)
    context.close()

    context, page = log_in(browser, live_server, GRID_WORKER_PHONE, f"{VILLAGE}/points/record")
    _narrow(page)
    assert_no_violations(page, axe_source, "the record page")
    context.close()

    context, page = log_in(browser, live_server, COMMITTEE_PHONE, f"{VILLAGE}/manage/points")
    _narrow(page)
    assert_no_violations(page, axe_source, "the approval queue")
    for path in ("catalogue", "ledger", "year-end"):
        assert page.goto(f"{VILLAGE}/manage/points/{path}").status == 200
        assert_no_violations(page, axe_source, f"/manage/points/{path}")
    context.close()


def test_points_index_pager_and_statement_without_javascript(browser, live_server, live_app):
    context = browser.new_context(
        viewport={"width": NARROW, "height": 800},
        locale="zh-CN",
        base_url=live_server,
        java_script_enabled=False,
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    assert page.goto(f"{VILLAGE}/points").status == 200
    board = page.locator("#points-board")
    rows = board.locator("tbody tr")
    expect(rows.first).to_be_visible()
    assert rows.count() == 20
    first_rank = figure(rows.first.locator("td").first.inner_text())
    assert first_rank == 1
    # The next page of the leaderboard, as a plain link.
    board.get_by_role("link", name="下一页").click()
    expect(page).to_have_url(re.compile(r"/v/hubin/points\?page=2$"))
    expect(page.locator("#points-board tbody tr").first.locator("td").first).to_have_text("21")
    expect(page.locator("#points-board")).to_contain_text(re.compile(r"第\s*2\s*页"))
    # A household's statement from the board: its balance, as anyone reads it.
    link = page.locator("#points-board tbody tr").first.get_by_role("link")
    link.click()
    expect(page).to_have_url(re.compile(r"/v/hubin/points/households/\d+$"))
    household_id = int(page.url.rsplit("/", 1)[1])
    balance = page.locator("section[aria-labelledby=balance-heading] .verdict")
    assert figure(balance.inner_text()) == standing_of(live_app, household_id).balance
    context.close()

    # The household's own member, JavaScript off: the full statement and its balance.
    home = _villager_home(live_app, VILLAGER_PHONES[0])
    statement = f"{VILLAGE}/points/households/{home}"
    context, page = log_in(browser, live_server, VILLAGER_PHONES[0], statement, javascript=False)
    expect(page.get_by_text("这是本户的完整积分账")).to_be_visible()
    balance = page.locator("section[aria-labelledby=balance-heading] .verdict")
    assert figure(balance.inner_text()) == standing_of(live_app, home).balance
    expect(page.locator("table.points-months")).to_be_visible()
    context.close()
