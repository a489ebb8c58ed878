"""Active search in Chromium: typing asks for the results block alone and pushes the URL;
the page passes axe-core with results shown."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import NARROW, WIDE, axe_violations, describe_violations

pytestmark = pytest.mark.browser


def test_typing_searches_in_place(page, live_server):
    page.goto("/v/hubin/notices")
    page.get_by_label("查找公告和村规民约").fill("垃圾分类")
    page.get_by_label("查找公告和村规民约").press("Enter")
    expect(page).to_have_url(f"{live_server}/v/hubin/search?q=%E5%9E%83%E5%9C%BE%E5%88%86%E7%B1%BB")
    expect(page.locator("#search-results mark").first).to_have_text("垃圾分类")
    page.evaluate("() => { window.stillHere = true; }")
    box = page.get_by_label("要找的字词")
    box.fill("彩礼")
    expect(page.locator("#search-results mark").first).to_have_text("彩礼")
    expect(page).to_have_url(f"{live_server}/v/hubin/search?q=%E5%BD%A9%E7%A4%BC")
    assert page.evaluate("() => window.stillHere === true"), "the page was reloaded"


@pytest.mark.parametrize("width", [WIDE, NARROW], ids=["1280px", "320px"])
def test_search_page_has_no_axe_violations(page, axe_source, width):
    page.set_viewport_size({"width": width, "height": 800})
    page.goto("/v/hubin/search?q=垃圾")
    expect(page.locator("#search-results mark").first).to_be_visible()
    violations = axe_violations(page, axe_source)
    assert not violations, describe_violations(violations)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
