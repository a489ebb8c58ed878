"""好人推荐 end to end in Chromium, with the server's clock moved between the steps.

A villager nominates a neighbour found by name on the roster; three villagers endorse
(one with JavaScript off); the committee accepts it for 公示; a villager objects and the
committee answers; the 公示 ends and the committee commends; the nominee, masked, is on
the village home. axe-core finds nothing at 320 px on the honour roll, a nomination
page, the nominate form and the console's queue.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from portal import clock
from portal.auth.models import User
from portal.demo import COMMITTEE_PHONE, VILLAGER_PHONES
from portal.extensions import db
from portal.nominations import services
from portal.nominations.models import Nomination, NominationState
from portal.privacy import mask_name
from portal.villages.models import Resident, Village
from tests.browser import test_boards
from tests.browser.conftest import NARROW
from tests.browser.test_boards import assert_no_violations, log_in, read

pytestmark = pytest.mark.browser

# The server's clock moved between the steps, as in the boards' journey.
moved_clock = test_boards.moved_clock

VILLAGE = "/v/hubin"
NOMINATOR = VILLAGER_PHONES[6]
ENDORSERS = (VILLAGER_PHONES[1], VILLAGER_PHONES[3])
ENDORSER_WITHOUT_JS = VILLAGER_PHONES[4]
OBJECTOR = VILLAGER_PHONES[9]
STORY = (
    "上个月村里停水三天，他每天开着自家的三轮车去镇上拉水，"
    "挨家挨户给二组的六户独居老人送去，一分钱没收。"
)
OBJECTION = "停水那几天送水的是村里安排的志愿者，不只是他一个人，请核实一下。"
ANSWER = "村委会向二组的老人一一核实：这三天的水都是他一个人自费拉来送上门的，事迹属实。"


def neighbour(live_app) -> tuple[int, str]:
    """An adult on the roster, without an account, of a household no one has nominated,
    with a name no one else on the roster has (so the search finds one person)."""

    def find():
        village = db.session.scalar(sa.select(Village).where(Village.slug == "hubin"))
        year = clock.today_local().year
        accounts = sa.select(User.resident_id).where(User.resident_id.is_not(None))
        nominated = sa.select(Nomination.nominee_household_id)
        names = (
            sa.select(Resident.name)
            .where(Resident.village_id == village.id)
            .group_by(Resident.name)
            .having(sa.func.count() == 1)
        )
        return db.session.execute(
            sa.select(Resident.id, Resident.name)
            .where(
                Resident.village_id == village.id,
                Resident.left_on.is_(None),
                Resident.birth_year <= year - 30,
                Resident.id.not_in(accounts),
                Resident.household_id.not_in(nominated),
                Resident.name.in_(names),
            )
            .order_by(Resident.id)
            .limit(1)
        ).one()

    return tuple(read(live_app, find))


def latest_nomination(live_app) -> Nomination:
    return read(
        live_app,
        lambda: db.session.scalar(sa.select(Nomination).order_by(Nomination.id.desc()).limit(1)),
    )


def nomination_state(live_app, nomination_id: int) -> NominationState:
    return read(live_app, lambda: db.session.get(Nomination, nomination_id).state)


def test_nominate_endorse_accept_object_and_commend(browser, live_server, live_app, moved_clock):
    resident_id, name = neighbour(live_app)
    deed = (clock.today_local() - timedelta(days=20)).isoformat()

    # A villager nominates a neighbour, found by name on the roster.
    nominator, page = log_in(browser, live_server, NOMINATOR, f"{VILLAGE}/nominations/new")
    page.get_by_label("按姓名查找村民").fill(name)
    page.get_by_role("button", name="查找").click()
    page.locator(f'input[name="nominee"][value="resident:{resident_id}"]').check()
    page.get_by_label("类别").select_option(label="助人为乐")
    page.get_by_label("事迹").fill(STORY)
    page.get_by_label("事情发生的日期").fill(deed)
    page.get_by_role("button", name="提交推荐").click()
    expect(page.get_by_text("推荐已提交")).to_be_visible()
    nomination = latest_nomination(live_app)
    assert nomination.nominee_resident_id == resident_id and nomination.story == STORY
    path = f"{VILLAGE}/nominations/{nomination.id}"
    expect(page).to_have_url(f"{live_server}{path}")
    # The page names the nominee masked; the nominator may not endorse their own.
    expect(page.get_by_role("heading", level=1)).to_have_text(mask_name(name))
    expect(page.locator("main")).not_to_contain_text(name)
    expect(page.locator(f"#endorse-{nomination.id}")).to_contain_text("不能再联名")
    nominator.close()

    # Two villagers endorse with htmx: the box is swapped in place.
    for n, phone in enumerate(ENDORSERS, start=1):
        context, vpage = log_in(browser, live_server, phone, path)
        box = vpage.locator(f"#endorse-{nomination.id}")
        box.get_by_role("button", name="我也联名").click()
        expect(box).to_contain_text("谢谢您的联名")
        expect(box).to_contain_text(f"已有 {n} 位村民联名")
        context.close()
    # The third with JavaScript off: a plain form, post/redirect/get.
    context, vpage = log_in(browser, live_server, ENDORSER_WITHOUT_JS, path, javascript=False)
    vpage.get_by_role("button", name="我也联名").click()
    expect(vpage).to_have_url(f"{live_server}{path}")
    expect(vpage.get_by_text("谢谢您的联名")).to_be_visible()
    expect(vpage.locator(f"#endorse-{nomination.id}")).to_contain_text("您已联名这条推荐")
    context.close()
    assert read(live_app, lambda: db.session.get(Nomination, nomination.id).endorsement_count) == 3

    # The committee accepts it for 公示, from the queue.
    committee, page = log_in(browser, live_server, COMMITTEE_PHONE, f"{VILLAGE}/manage/nominations")
    row = page.locator(f"#nomination-{nomination.id}")
    expect(row).to_contain_text(name)
    row.get_by_role("button", name="同意，进入公示").click()
    expect(row).to_contain_text("公示中")
    assert nomination_state(live_app, nomination.id) == NominationState.NOTICE

    # A villager objects, with the shared objection form.
    villager, vpage = log_in(browser, live_server, OBJECTOR, path)
    vpage.get_by_label("异议的理由").fill(OBJECTION)
    vpage.get_by_role("button", name="提出异议").click()
    expect(vpage.get_by_text("您的异议已提交")).to_be_visible()
    villager.close()

    # The committee answers it in writing.
    page.goto(f"{VILLAGE}/manage/publicity/objections")
    objection = page.locator(".objection-row").filter(has_text=OBJECTION)
    objection.get_by_label("书面答复").fill(ANSWER)
    objection.get_by_role("button", name="书面答复").click()
    expect(page.locator(".objection-row").filter(has_text=ANSWER)).to_be_visible()

    # The 公示 is over: the committee commends.
    moved_clock(services.NOTICE_DAYS.default + 1)
    page.goto(f"{VILLAGE}/manage/nominations/{nomination.id}")
    actions = page.locator("#nomination-actions")
    actions.get_by_role("button", name="评为好人").click()
    expect(actions).to_contain_text("已评为好人，登上光荣榜")
    assert nomination_state(live_app, nomination.id) == NominationState.COMMENDED

    # The nominee, masked, is on the village home's honour roll.
    page.goto(f"{VILLAGE}/")
    section = page.locator("section").filter(has=page.get_by_role("heading", name="好人榜"))
    expect(section.get_by_role("link", name=mask_name(name))).to_have_attribute(
        "href", f"{VILLAGE}/nominations/{nomination.id}"
    )
    expect(section).not_to_contain_text(name)
    committee.close()


def demo_nomination(live_app) -> int:
    """A nomination of the demo in 公示."""

    def find():
        return db.session.scalar(
            sa.select(Nomination.id)
            .where(Nomination.state == NominationState.NOTICE)
            .order_by(Nomination.id)
            .limit(1)
        )

    return read(live_app, find)


def test_nomination_pages_have_no_axe_violations_at_320px(
    browser, live_server, live_app, axe_source
):
    in_notice = demo_nomination(live_app)
    context = browser.new_context(
        viewport={"width": NARROW, "height": 800}, locale="zh-CN", base_url=live_server
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    for path in (f"{VILLAGE}/nominations", f"{VILLAGE}/nominations/{in_notice}"):
        assert page.goto(path).status == 200
        assert_no_violations(page, axe_source, path)
    context.close()

    context, page = log_in(browser, live_server, VILLAGER_PHONES[0], f"{VILLAGE}/nominations/new")
    page.set_viewport_size({"width": NARROW, "height": 800})
    page.goto(f"{VILLAGE}/nominations/new?q=陈")
    assert_no_violations(page, axe_source, "the nominate form")
    context.close()

    context, page = log_in(browser, live_server, COMMITTEE_PHONE, f"{VILLAGE}/manage/nominations")
    page.set_viewport_size({"width": NARROW, "height": 800})
    assert_no_violations(page, axe_source, "the console queue")
    context.close()
