"""The 320 px layout of the first pages a villager meets (the weight of every page, and
where its requests go, is tests/browser/test_weight.py's)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import ARTIFACTS, NARROW

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(
    "path, name", [("/", "finder"), ("/v/hubin/", "village-home"), ("/register", "register")]
)
def test_pages_fit_320_px(page, path, name):
    """One column at 320 px: nothing wider than the screen. Screenshots for a human eye."""
    page.set_viewport_size({"width": NARROW, "height": 640})
    page.goto(path)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}-320.png"), full_page=True)
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= NARROW, f"{path} is {width}px wide at {NARROW}px"
    too_small = page.evaluate(
        """() => [...document.querySelectorAll("a, button, input, select, textarea")]
            .filter((el) => el.offsetParent !== null && !el.closest(".skip-link"))
            .filter((el) => !(el.closest("p, li") && el.tagName === "A" && !el.className))
            .map((el) => [el, el.getBoundingClientRect()])
            .filter(([el, r]) => r.height < 44 && !["checkbox", "radio"].includes(el.type))
            .map(([el, r]) => `${el.tagName} "${el.textContent.trim()}" ${r.height}px`)"""
    )
    assert not too_small, f"touch targets under 44px on {path}: {too_small}"
