"""红黑榜 end to end in Chromium, with the server's clock moved between the steps.

A committee member warns a household (the console's new-entry form, finding the person
by name on the roster); the deadline passes; a second member approves it with the
meeting recorded, and 公示 opens; a villager objects and the committee answers; the
公示 ends and the committee publishes; the household appeals (with JavaScript off);
the committee dismisses it in writing; the household asks the town, and the town
official decides. axe-core finds nothing at 320 px on the red board, the black board
(as a verified villager), an entry page, the console queue and the new-entry form.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from portal import clock
from portal.auth.models import User
from portal.boards import services
from portal.boards.models import AppealState, Board, BoardAppeal, BoardEntry, EntryState
from portal.demo import (
    COMMITTEE_PHONE,
    DEMO_PASSWORD,
    SECOND_COMMITTEE_PHONE,
    TOWN_OFFICIAL_PHONE,
    VILLAGER_PHONES,
)
from portal.extensions import db
from portal.privacy import mask_name
from portal.villages.models import Village
from tests.browser.conftest import NARROW, axe_violations, describe_violations

pytestmark = pytest.mark.browser

VILLAGE = "/v/hubin"
# The household the journey warns: a demo villager's own (none of the demo's entries).
SUBJECT = VILLAGER_PHONES[17]
OBJECTOR = VILLAGER_PHONES[8]
FACTS = "在村西水塘边的公共道路上堆放废旧轮胎和泡沫箱，占了大半条路，电动车过不去。"
OBJECTION = "那些轮胎是修路队留下的，不是这一户堆的，请村里再核实一下。"
ANSWER = "网格员查看了修路队的清单，修路队没有留下轮胎；户主本人也承认轮胎是他家的。"
APPEAL = "轮胎已经卖给废品站拉走了，泡沫箱也清理了，请村里来看看。"
DISMISSAL = "公示期内复查时轮胎和泡沫箱仍在路上，整改期限内没有清理，维持列入的决定。"
TOWN_ASK = "我们现在已经全部清理干净，村委会没有再来复查，请镇里看一下。"
TOWN_REASON = "镇综治办现场复查：道路已清理畅通。申诉理由成立，撤下这一条。"


@pytest.fixture
def moved_clock(monkeypatch):
    """`move(days)`: the portal's clock (the live server's too, in this process) runs on
    from the real time plus `days`."""

    def move(days: float) -> None:
        offset = timedelta(days=days)
        monkeypatch.setattr(clock, "now", lambda: datetime.now(UTC) + offset)

    return move


def log_in(browser, live_server, phone: str, next_path: str, *, javascript=True):
    context = browser.new_context(
        viewport={"width": 1280, "height": 900},
        locale="zh-CN",
        base_url=live_server,
        java_script_enabled=javascript,
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(f"/login?next={next_path}")
    page.get_by_label("手机号").fill(phone)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page).to_have_url(f"{live_server}{next_path}")
    return context, page


def read(live_app, fn):
    with live_app.app_context():
        try:
            return fn()
        finally:
            db.session.remove()


def subject_person(live_app) -> tuple[int, str]:
    def find():
        user = db.session.scalar(sa.select(User).where(User.phone == SUBJECT))
        return user.resident_id, user.resident.name

    return read(live_app, find)


def latest_entry(live_app) -> BoardEntry:
    def find():
        return db.session.scalar(sa.select(BoardEntry).order_by(BoardEntry.id.desc()).limit(1))

    return read(live_app, find)


def entry_state(live_app, entry_id: int) -> EntryState:
    return read(live_app, lambda: db.session.get(BoardEntry, entry_id).state)


def test_warn_decide_object_publish_appeal_and_the_town(
    browser, live_server, live_app, moved_clock
):
    resident_id, name = subject_person(live_app)

    # A committee member warns the household, finding the person on the roster by name.
    first, page = log_in(
        browser, live_server, COMMITTEE_PHONE, f"{VILLAGE}/manage/boards/new?board=black"
    )
    page.get_by_label("按姓名查找村民").fill(name)
    page.get_by_role("button", name="查找").click()
    page.locator(f'input[name="subject"][value="resident:{resident_id}"]').check()
    page.get_by_label("类别").select_option(label="乱堆乱放")
    page.get_by_label("事实经过").fill(FACTS)
    page.get_by_role("button", name="发出整改提醒").click()
    expect(page.get_by_text("已登记整改提醒")).to_be_visible()
    entry = latest_entry(live_app)
    assert entry.board == Board.BLACK and entry.resident_id == resident_id
    assert entry.state == EntryState.WARNED
    console_url = f"{VILLAGE}/manage/boards/{entry.id}"
    # The one who made it cannot approve it, even after the deadline.
    moved_clock(16)
    page.goto(console_url)
    expect(page.get_by_text("登记人不能自己批准")).to_be_visible()
    first.close()

    # The deadline has passed: a second member approves, with the meeting recorded.
    second, page = log_in(browser, live_server, SECOND_COMMITTEE_PHONE, console_url)
    actions = page.locator("#entry-actions")
    actions.get_by_label("参加会议的人").fill("村委会全体成员五人")
    actions.get_by_label("同意列入的人数").fill("5")
    actions.get_by_label("不同意的人数").fill("0")
    actions.get_by_role("button", name="集体决定列入，开始公示").click()
    expect(page.locator("#entry-actions").get_by_text("才能公布")).to_be_visible()
    assert entry_state(live_app, entry.id) == EntryState.NOTICE

    # 公示: a villager objects, with the shared objection form.
    villager, vpage = log_in(browser, live_server, OBJECTOR, f"{VILLAGE}/boards/{entry.id}")
    # The black board names the person masked, never in full.
    expect(vpage.get_by_role("heading", level=1)).to_have_text(mask_name(name))
    expect(vpage.locator("main")).not_to_contain_text(name)
    vpage.get_by_label("异议的理由").fill(OBJECTION)
    vpage.get_by_role("button", name="提出异议").click()
    expect(vpage.get_by_text("您的异议已提交")).to_be_visible()
    villager.close()

    # The committee answers it in writing.
    page.goto(f"{VILLAGE}/manage/publicity/objections")
    row = page.locator(".objection-row").filter(has_text=OBJECTION)
    row.get_by_label("书面答复").fill(ANSWER)
    row.get_by_role("button", name="书面答复").click()
    expect(page.locator(".objection-row").filter(has_text=ANSWER)).to_be_visible()

    # The 公示 is over: the committee publishes.
    moved_clock(16 + 6)
    page.goto(console_url)
    page.locator("#entry-actions").get_by_role("button", name="公布").click()
    expect(page.locator("#entry-actions")).to_contain_text("已公布")
    assert entry_state(live_app, entry.id) == EntryState.PUBLISHED

    # The household appeals, with JavaScript off: a plain form, post/redirect/get.
    household, hpage = log_in(
        browser, live_server, SUBJECT, f"{VILLAGE}/boards/{entry.id}/appeal", javascript=False
    )
    box = hpage.locator("#appeal-box")
    box.get_by_label("申诉").check()
    box.get_by_label("理由").fill(APPEAL)
    box.get_by_role("button", name="提交").click()
    expect(hpage.get_by_text("您的申诉已提交")).to_be_visible()
    expect(hpage.locator("#appeal-box")).to_contain_text(APPEAL)

    # The committee dismisses it, with its reason.
    page.goto(f"{VILLAGE}/manage/boards/appeals")
    row = page.locator(".appeal-row").filter(has_text=APPEAL)
    row.get_by_label("驳回").check()
    row.get_by_label("书面理由（当事户会看到）").fill(DISMISSAL)
    row.get_by_role("button", name="作出决定").click()
    expect(page.locator(".appeal-row").filter(has_text=DISMISSAL)).to_be_visible()
    second.close()

    # The household reads the reason and asks the town.
    hpage.goto(f"{VILLAGE}/boards/{entry.id}/appeal")
    box = hpage.locator("#appeal-box")
    expect(box).to_contain_text(DISMISSAL)
    box.get_by_label("不服驳回，请镇街复核的理由").fill(TOWN_ASK)
    box.get_by_role("button", name="请镇街复核").click()
    expect(hpage.get_by_text("已请镇街复核，镇街将书面答复")).to_be_visible()

    # The town official upholds the household: the entry is withdrawn.
    town, tpage = log_in(browser, live_server, TOWN_OFFICIAL_PHONE, "/town/yintu/boards/appeals")
    row = tpage.locator("article").filter(has_text=TOWN_ASK)
    row.get_by_label("申诉理由成立，撤下这一条").check()
    row.get_by_label("书面理由（村委会和当事户会看到）").fill(TOWN_REASON)
    row.get_by_role("button", name="作出复核意见").click()
    expect(tpage.get_by_text("已撤下").first).to_be_visible()
    town.close()
    assert entry_state(live_app, entry.id) == EntryState.WITHDRAWN
    appeal = read(
        live_app,
        lambda: db.session.scalar(sa.select(BoardAppeal).where(BoardAppeal.entry_id == entry.id)),
    )
    assert appeal.state == AppealState.TOWN_UPHELD
    # Withdrawn: off every villager-facing page; the household still reads its appeal.
    assert hpage.goto(f"{VILLAGE}/boards/{entry.id}").status == 404
    hpage.goto(f"{VILLAGE}/boards/{entry.id}/appeal")
    expect(hpage.locator("#appeal-box")).to_contain_text(TOWN_REASON)
    household.close()


def demo_entry(live_app, board: Board) -> int:
    """A listed entry of the demo's `board`."""

    def find():
        village = db.session.scalar(sa.select(Village).where(Village.slug == "hubin"))
        return db.session.scalars(services.listed(village, board)).first().id

    return read(live_app, find)


def assert_no_violations(page, axe_source, what: str) -> None:
    violations = axe_violations(page, axe_source)
    assert not violations, f"axe-core on {what} at 320px:\n" + describe_violations(violations)
    scroll = page.evaluate("() => document.documentElement.scrollWidth")
    assert scroll <= NARROW, f"{what} is {scroll}px wide at 320px"


def test_board_pages_have_no_axe_violations_at_320px(browser, live_server, live_app, axe_source):
    red = demo_entry(live_app, Board.RED)
    black = demo_entry(live_app, Board.BLACK)
    context = browser.new_context(
        viewport={"width": NARROW, "height": 800}, locale="zh-CN", base_url=live_server
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    for path in (f"{VILLAGE}/boards?board=red", f"{VILLAGE}/boards/{red}"):
        assert page.goto(path).status == 200
        assert_no_violations(page, axe_source, path)
    # A visitor is told in words that the black board is not for them; nothing of it.
    response = page.goto(f"{VILLAGE}/boards?board=black")
    assert response.status == 403 and "no-store" in response.headers["cache-control"]
    expect(page.locator("main")).to_contain_text("本村村民请先登录")
    assert page.goto(f"{VILLAGE}/boards/{black}").status == 403
    context.close()

    context, page = log_in(
        browser, live_server, VILLAGER_PHONES[2], f"{VILLAGE}/boards?board=black"
    )
    page.set_viewport_size({"width": NARROW, "height": 800})
    for path in (f"{VILLAGE}/boards?board=black", f"{VILLAGE}/boards/{black}"):
        assert page.goto(path).status == 200
        expect(page.locator("main")).to_contain_text("黑榜")
        assert_no_violations(page, axe_source, path)
    context.close()

    context, page = log_in(browser, live_server, COMMITTEE_PHONE, f"{VILLAGE}/manage/boards")
    page.set_viewport_size({"width": NARROW, "height": 800})
    for path in (f"{VILLAGE}/manage/boards", f"{VILLAGE}/manage/boards/new?board=black"):
        assert page.goto(path).status == 200
        assert_no_violations(page, axe_source, path)
    context.close()
