"""The rules console in Chromium: a clerk finds a villager on the roll with the active search
and enters their paper ballot in place; the console's version page passes axe-core at
1280 and 320 px and fits a 320 px screen."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from portal.auth.models import User
from portal.demo import COMMITTEE_PHONE, DEMO_PASSWORD, VILLAGER_PHONES
from portal.extensions import db
from portal.rules.models import Ballot, RuleVersion, VersionState
from portal.villages.models import Village
from tests.browser.conftest import NARROW, WIDE, axe_violations, describe_violations

pytestmark = pytest.mark.browser


@pytest.fixture
def vote(live_app):
    """The demo's vote under way in 湖滨村, and a villager on its roll who has not voted."""
    with live_app.app_context():
        version = db.session.scalar(
            sa.select(RuleVersion)
            .join(Village, Village.id == RuleVersion.village_id)
            .where(Village.slug == "hubin", RuleVersion.state == VersionState.VOTING)
        )
        voter = db.session.scalar(sa.select(User).where(User.phone == VILLAGER_PHONES[-1]))
        assert version is not None and voter is not None
        path = f"/v/hubin/manage/rules/{version.document_id}/versions/{version.number}"
        info = {"path": path, "version_id": version.id, "resident_id": voter.resident_id}
        info["name"] = voter.resident.name
        ballot = db.session.scalar(
            sa.select(Ballot).where(
                Ballot.version_id == version.id, Ballot.resident_id == voter.resident_id
            )
        )
        if ballot is not None:
            pytest.skip("the demo villager has voted already")
        db.session.remove()
    yield info
    # Leave the shared demo as the other browser tests expect it: no extra ballot.
    with live_app.app_context():
        db.session.execute(
            sa.delete(Ballot).where(
                Ballot.version_id == info["version_id"], Ballot.resident_id == info["resident_id"]
            )
        )
        db.session.commit()
        db.session.remove()


def log_in_as_clerk(page, live_server, path: str) -> None:
    page.goto(f"/login?next={path}")
    page.get_by_label("手机号").fill(COMMITTEE_PHONE)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page).to_have_url(f"{live_server}{path}")


def test_a_clerk_enters_a_paper_ballot(page, live_server, vote):
    log_in_as_clerk(page, live_server, vote["path"])
    search = page.get_by_label("姓名或门牌号")
    search.fill(vote["name"])
    ballot_form = page.locator("#roll-results form").filter(has_text=vote["name"]).first
    expect(ballot_form).to_be_visible()
    expect(page).to_have_url(f"{live_server}{vote['path']}")  # swapped in place, no page load
    ballot_form.get_by_label("赞成").check()
    ballot_form.get_by_role("button", name="录入").click()
    expect(page.locator("#paper-ballot .ok")).to_have_text(
        f"已录入{vote['name']}的纸质选票：赞成。"
    )
    expect(page.locator("#roll-results")).to_contain_text("纸质选票已录入")


@pytest.mark.parametrize("width", [WIDE, NARROW], ids=["1280px", "320px"])
def test_console_version_page_has_no_axe_violations(page, live_server, axe_source, vote, width):
    page.set_viewport_size({"width": width, "height": 800})
    log_in_as_clerk(page, live_server, vote["path"])
    page.get_by_label("姓名或门牌号").fill(vote["name"])
    expect(page.locator("#roll-results form").first).to_be_visible()
    violations = axe_violations(page, axe_source)
    assert not violations, f"axe-core at {width}px:\n" + describe_violations(violations)
    width_now = page.evaluate("() => document.documentElement.scrollWidth")
    assert width_now <= max(width, NARROW), f"the page is {width_now}px wide"
