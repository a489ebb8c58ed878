"""A boosted navigation opens the next page at its top, as a plain one does, and going
back returns to where the reader was: for a visitor (htmx's history cache) and for a
logged-in villager (no cache: the page is fetched again)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from portal.demo import DEMO_PASSWORD
from portal.extensions import db
from portal.rules.models import RuleDocument
from portal.villages.models import Village

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 640}
READER = "13800000013"


def scroll_y(page) -> float:
    return page.evaluate("() => window.scrollY")


def tap_low_link_then_back(page, start: str, link, heading: str | None = None) -> None:
    """From `start`, scroll `link` into view low on the screen, tap it, check the next page
    opens at its top with its heading (by default the link's text) in sight, then go back
    to the same position."""
    page.goto(start)
    link = link(page)
    heading = heading or link.inner_text().strip()
    link.scroll_into_view_if_needed()
    page.evaluate("() => window.scrollBy(0, -200)")
    before = scroll_y(page)
    assert before > 300, f"{start} is too short to test scrolling ({before}px)"
    url = page.url
    link.click()
    expect(page).not_to_have_url(url)
    expect(page.locator("h1")).to_contain_text(heading)
    page.wait_for_function("() => window.scrollY === 0", timeout=3000)
    top = page.locator("h1").bounding_box()["y"]
    assert 0 <= top < PHONE["height"] / 2, f"the heading is at {top}px"
    page.go_back()
    expect(page).to_have_url(url)
    page.wait_for_function(f"() => Math.abs(window.scrollY - {before}) < 5", timeout=3000)


@pytest.fixture
def demo_result(live_app) -> str:
    with live_app.app_context():
        document_id = db.session.scalar(
            sa.select(RuleDocument.id).join(Village).where(Village.slug == "hubin")
        )
        db.session.remove()
    return f"/v/hubin/rules/{document_id}/versions/1/result"


@pytest.mark.parametrize("who", ["visitor", "villager"])
def test_a_tapped_link_opens_the_next_page_at_its_top_and_back_returns(
    page, live_server, demo_result, who
):
    page.set_viewport_size(PHONE)
    if who == "villager":
        page.goto("/login")
        page.get_by_label("手机号").fill(READER)
        page.get_by_label("密码").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="登录", exact=True).click()
        page.wait_for_url("**/v/hubin/")
    tap_low_link_then_back(
        page,
        demo_result,
        lambda p: p.get_by_role("link", name="阅读第 1 版条文"),
        "第 1 版",
    )
    tap_low_link_then_back(
        page,
        "/v/hubin/notices",
        lambda p: p.locator(".notice-link").last,
    )
