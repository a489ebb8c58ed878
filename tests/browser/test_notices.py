"""村务公开 in Chromium: the list and a notice with a table pass axe-core at 1280 and 320 px,
fit a 320 px screen, and a logged-in reader is counted by the page's htmx request."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from portal.demo import DEMO_PASSWORD
from tests.browser.conftest import NARROW, WIDE, axe_violations, describe_violations

pytestmark = pytest.mark.browser


def open_finance_notice(page) -> None:
    page.goto("/v/hubin/notices?category=finance")
    page.locator(".notice-link").first.click()
    expect(page.locator(".notice-body table").first).to_be_visible()


@pytest.mark.parametrize("width", [WIDE, NARROW], ids=["1280px", "320px"])
def test_notice_list_and_notice_have_no_axe_violations(page, axe_source, width):
    page.set_viewport_size({"width": width, "height": 800})
    for step in ("list", "notice"):
        if step == "list":
            page.goto("/v/hubin/notices")
        else:
            open_finance_notice(page)
        violations = axe_violations(page, axe_source)
        assert not violations, f"axe-core on {step} at {width}px:\n" + describe_violations(
            violations
        )
        width_now = page.evaluate("() => document.documentElement.scrollWidth")
        assert width_now <= max(width, NARROW), f"{step} is {width_now}px wide"


def test_a_logged_in_reader_is_counted_once(page, live_server):
    page.goto("/login?next=/v/hubin/notices")
    page.get_by_label("手机号").fill("13800000012")
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page).to_have_url(f"{live_server}/v/hubin/notices")
    page.locator(".notice-link").first.click()
    count = page.locator("#read-count")
    expect(count).to_have_text("1 位村民已读")
    page.reload()
    expect(count).to_have_text("1 位村民已读")
