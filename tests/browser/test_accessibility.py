"""axe-core on the public pages, wide and at 320 px: zero WCAG 2.2 A/AA violations."""

from __future__ import annotations

import pytest

from tests.browser.conftest import NARROW, WIDE, axe_violations, describe_violations

pytestmark = pytest.mark.browser

PAGES = ["/", "/login", "/register", "/v/hubin/", "/v/hubin/notices", "/v/hubin/boards?board=red"]
PAGES += ["/v/hubin/nominations"]


@pytest.mark.parametrize("width", [WIDE, NARROW], ids=["1280px", "320px"])
@pytest.mark.parametrize("path", PAGES)
def test_no_axe_violations(page, axe_source, path, width):
    page.set_viewport_size({"width": width, "height": 800})
    response = page.goto(path)
    assert response.status == 200
    violations = axe_violations(page, axe_source)
    assert not violations, f"axe-core on {path} at {width}px:\n" + describe_violations(violations)


def test_the_scan_finds_what_it_should(page, axe_source, live_server):
    """The harness itself: on a site page (under its CSP), a broken image is reported."""
    page.goto("/")
    page.evaluate(
        """() => {
            const img = document.createElement("img");
            img.src = "/static/favicon.svg";
            document.querySelector("main").append(img);
        }"""
    )
    violations = axe_violations(page, axe_source)
    assert [v["id"] for v in violations] == ["image-alt"], describe_violations(violations)
