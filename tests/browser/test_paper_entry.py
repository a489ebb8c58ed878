"""Paper-ballot entry in Chromium, by keyboard alone: 30 ballots typed in (a door number or
a name, Enter, a digit, Enter), the 30 rows in the database and on the page; the page
passes axe-core at 1280 and 320 px, fits a 320 px screen and stays under the weight budget.

The vote is built in a village of its own, so the demo's 湖滨村 stays as the other
browser tests expect it.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from portal import clock, demo
from portal.auth.models import Role
from portal.extensions import db
from portal.rules.models import Ballot, BallotChannel
from portal.villages.models import Town
from tests.browser.conftest import NARROW, WIDE, axe_violations, describe_violations
from tests.factories import (
    PASSWORD,
    HouseholdFactory,
    ResidentFactory,
    RoleGrantFactory,
    TownFactory,
    UserFactory,
    VillageFactory,
)
from tests.rules import factories as rf

pytestmark = pytest.mark.browser

CLERK_PHONE = "13700000301"
SURNAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏"
BALLOTS = 30
CHOICES = {"1": ("yes", "赞成"), "2": ("no", "反对"), "3": ("abstain", "弃权")}
BUDGET = 40_000  # bytes a first visit may move, compressed (DESIGN.md 6)


@pytest.fixture(scope="module")
def paper_vote(live_app):
    """A vote under way in 纸票村: 30 residents on its roll to enter by keyboard, and two more
    (欧阳秀英, 欧阳秀兰) whom no test enters, for the checks of the page; no account among them.

    Announced 11 days ago, so it opened yesterday; the residents were on the roster
    before that, and the roll was frozen as of the opening.
    """
    with live_app.app_context():
        past = clock.now() - timedelta(days=11)
        # In the demo's own town: a second town would change the village finder that
        # the other browser tests walk through.
        town = db.session.scalar(sa.select(Town).where(Town.slug == demo.TOWN[1]))
        town = town or TownFactory(name=demo.TOWN[0], slug=demo.TOWN[1])
        village = VillageFactory(town=town, name="纸票村", slug="zhipiao")
        clerk = UserFactory(phone=CLERK_PHONE, name="录票员")
        RoleGrantFactory(user=clerk, role=Role.COMMITTEE, village=village)
        people = []
        for n in range(BALLOTS):
            household = HouseholdFactory(
                village=village, door_number=f"{101 + n}号", created_at=past
            )
            resident = ResidentFactory(
                household=household, name=f"{SURNAMES[n]}建国", created_at=past
            )
            # Even ones by door number, odd ones by name: what the clerk types.
            people.append(
                {"id": resident.id, "term": str(101 + n) if n % 2 == 0 else resident.name}
            )
        family = HouseholdFactory(village=village, door_number="201号", created_at=past)
        for name in ("欧阳秀英", "欧阳秀兰"):
            ResidentFactory(household=family, name=name, created_at=past)
        version = rf.voting(village, clerk, now=past)
        versions = f"/v/zhipiao/manage/rules/{version.document_id}/versions"
        info = {
            "path": f"{versions}/{version.number}/paper",
            "version_id": version.id,
            "clerk_id": clerk.id,
            "people": people,
        }
        db.session.remove()
    return info


def log_in(page, live_server, path: str) -> None:
    page.goto(f"/login?next={path}")
    page.get_by_label("手机号").fill(CLERK_PHONE)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_label("密码").press("Enter")
    expect(page).to_have_url(f"{live_server}{path}")
    # The login's boosted redirect reloads the entry page whole (paper.js comes with a
    # full load): keys typed before that load ends would go to the page being left.
    page.wait_for_load_state("load")
    expect(page.locator("#paper-q")).to_be_focused()


def paper_ballots(live_app, version_id: int) -> list[tuple[int, str, int]]:
    with live_app.app_context():
        rows = db.session.execute(
            sa.select(Ballot.resident_id, Ballot.choice, Ballot.cast_by_id).where(
                Ballot.version_id == version_id, Ballot.channel == BallotChannel.PAPER
            )
        ).all()
        db.session.remove()
    return [tuple(row) for row in rows]


def test_thirty_ballots_by_keyboard_alone(page, live_server, live_app, paper_vote):
    log_in(page, live_server, paper_vote["path"])
    box = page.locator("#paper-q")
    expect(box).to_be_focused()  # autofocus: the clerk starts typing at once
    count = page.locator("#paper-count")
    chosen = page.locator("#paper-results .paper-choice:focus")
    keyboard = page.keyboard
    expected = {}
    started = time.perf_counter()
    for n, person in enumerate(paper_vote["people"], start=1):
        digit = str((n - 1) % 3 + 1)
        keyboard.type(person["term"])
        keyboard.press("Enter")  # the first match; fetched now if the search is behind
        keyboard.press(digit)  # kept as the choice if the match is still on its way
        expect(chosen).to_contain_text(CHOICES[digit][1])
        keyboard.press("Enter")
        expect(count).to_contain_text(f"本次表决已录入纸质选票 {n} 张。")
        expect(box).to_be_focused()
        expect(box).to_have_value("")
        expected[person["id"]] = CHOICES[digit][0]
    elapsed = time.perf_counter() - started
    print(f"\n{BALLOTS} paper ballots by keyboard in {elapsed:.1f} s")

    expect(count).to_contain_text(f"其中您录入 {BALLOTS} 张。")
    expect(count).to_contain_text(f"参加表决 {BALLOTS} 人，有表决权 {BALLOTS + 2} 人（93%）。")
    rows = paper_ballots(live_app, paper_vote["version_id"])
    assert len(rows) == BALLOTS
    assert {resident: choice for resident, choice, _ in rows} == expected
    assert {clerk for *_, clerk in rows} == {paper_vote["clerk_id"]}

    # The last one was a slip: undone by keyboard too (Tab to the button, Enter).
    undo = page.get_by_role("button", name="撤销这一张")
    undo.focus()
    keyboard.press("Enter")
    expect(count).to_contain_text(f"本次表决已录入纸质选票 {BALLOTS - 1} 张。")
    assert len(paper_ballots(live_app, paper_vote["version_id"])) == BALLOTS - 1


@pytest.mark.parametrize("width", [WIDE, NARROW], ids=["1280px", "320px"])
def test_the_entry_page_has_no_axe_violations(page, live_server, axe_source, paper_vote, width):
    page.set_viewport_size({"width": width, "height": 800})
    log_in(page, live_server, paper_vote["path"])
    page.keyboard.type("欧阳")
    page.keyboard.press("Enter")
    expect(page.locator("#paper-results [data-match]").first).to_be_focused()
    violations = axe_violations(page, axe_source)
    assert not violations, f"axe-core at {width}px:\n" + describe_violations(violations)
    width_now = page.evaluate("() => document.documentElement.scrollWidth")
    assert width_now <= max(width, NARROW), f"the page is {width_now}px wide"
    for box in page.locator(".paper-choice, #paper-q").all():
        assert box.bounding_box()["height"] >= 44


def test_a_first_visit_to_the_entry_page_is_light(context, live_server, paper_vote):
    page = context.new_page()
    log_in(page, live_server, paper_vote["path"])
    fresh = context.browser.new_context(base_url=live_server, locale="zh-CN")
    fresh.add_cookies(context.cookies())
    visit = fresh.new_page()
    finished = []
    visit.on("requestfinished", lambda request: finished.append(request))
    visit.goto(paper_vote["path"], wait_until="networkidle")
    sizes = {
        r.url: r.sizes()["responseHeadersSize"] + r.sizes()["responseBodySize"] for r in finished
    }
    total = sum(sizes.values())
    report = "\n".join(f"  {size:>7} B  {url}" for url, size in sizes.items())
    fresh.close()
    print(f"\nfirst visit to the entry page: {total} bytes in {len(sizes)} responses\n{report}")
    assert any("/js/paper." in url for url in sizes), report
    assert total <= BUDGET, f"first visit: {total} bytes\n{report}"
