"""The committee console on a 360 px phone: each table's rows are cards whose status and
action are in view without scrolling sideways, and the console's navigation folds into
one menu, so a page's heading is on the upper part of the first screen."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from portal import clock
from portal.auth.models import User
from portal.demo import COMMITTEE_PHONE, DEMO_PASSWORD
from portal.extensions import db
from tests.browser.conftest import axe_violations, describe_violations

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 640}
# Each console list, and the cells of a row that must be in view: its status, its action.
TABLES = {
    "/v/hubin/manage/households": ["邀请码"],
    "/v/hubin/manage/residents": ["账号", "在册情况"],
    "/v/hubin/manage/invites": ["状态", "邀请码"],
    "/v/hubin/manage/roles": ["职务", "操作"],
    "/v/hubin/manage/notices": ["类别", "状态"],
}
HEADING_TOP = 200  # px from the top of a 640 px screen


@pytest.fixture
def clerk(page, live_server, live_app):
    """The demo committee member, logged in on a phone, the note on their own
    registration already read (it is shown once, above every page)."""
    with live_app.app_context():
        user = db.session.scalar(sa.select(User).where(User.phone == COMMITTEE_PHONE))
        seen, user.outcome_seen_at = user.outcome_seen_at, clock.now()
        db.session.commit()
        db.session.remove()
    page.set_viewport_size(PHONE)
    page.goto("/login?next=/v/hubin/manage/")
    page.get_by_label("手机号").fill(COMMITTEE_PHONE)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page).to_have_url(f"{live_server}/v/hubin/manage/")
    yield page
    with live_app.app_context():
        user = db.session.scalar(sa.select(User).where(User.phone == COMMITTEE_PHONE))
        user.outcome_seen_at = seen
        db.session.commit()
        db.session.remove()


def test_console_tables_show_each_row_as_a_card_at_360_px(clerk, axe_source):
    for path, key_cells in TABLES.items():
        clerk.goto(path)
        violations = axe_violations(clerk, axe_source)
        assert not violations, f"axe-core on {path}:\n" + describe_violations(violations)
        layout = clerk.evaluate(
            """(labels) => {
                const wraps = [...document.querySelectorAll(".table-wrap")];
                const row = document.querySelector(".card-table tbody tr");
                const cells = labels.map((label) => {
                    const cell = row.querySelector(`td[data-label="${label}"]`);
                    if (!cell) return [label, "missing"];
                    const box = cell.getBoundingClientRect();
                    return [label, box.width > 0 && box.left >= 0 && box.right <= innerWidth];
                });
                return {
                    page: document.documentElement.scrollWidth,
                    sideways: wraps.filter((w) => w.scrollWidth > w.clientWidth).length,
                    cells: Object.fromEntries(cells),
                };
            }""",
            key_cells,
        )
        assert layout["page"] <= PHONE["width"], (path, layout)
        assert layout["sideways"] == 0, (path, layout)
        assert all(v is True for v in layout["cells"].values()), (path, layout)
    clerk.goto("/v/hubin/manage/verifications")  # the candidates to choose from
    clerk.locator(".console-menu summary").click()
    violations = axe_violations(clerk, axe_source)
    assert not violations, "axe-core on the queue:\n" + describe_violations(violations)
    assert clerk.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]


@pytest.mark.parametrize("language", ["zh", "en"])
def test_console_heading_is_on_the_first_screen_and_the_menu_opens(clerk, language):
    if language == "en":
        clerk.goto("/lang/en?next=/v/hubin/manage/")
    for path in ("/v/hubin/manage/", "/v/hubin/manage/households", "/v/hubin/manage/invites"):
        clerk.goto(path)
        top = clerk.evaluate("() => document.querySelector('main h1').getBoundingClientRect().top")
        assert top <= HEADING_TOP, f"{language} {path}: the heading starts at {top}px"
    menu = clerk.locator(".console-menu")
    expect(clerk.locator(".console-tabs")).to_be_hidden()
    tabs = menu.locator(".console-menu-list a")
    expect(tabs.first).to_be_hidden()
    menu.locator("summary").click()
    # The phone's menu holds every page of the console, as the desk's tabs do.
    hrefs = {tab.get_attribute("href") for tab in tabs.all()}
    for page in ("verifications", "invites", "households", "residents", "roles", "rules"):
        assert f"/v/hubin/manage/{page}" in hrefs, hrefs
    assert "/v/hubin/manage/settings" in hrefs, hrefs
    expect(tabs).to_have_count(clerk.locator(".console-tabs a").count())
    expect(tabs.first).to_be_visible()
    current = menu.locator('.console-menu-list a[aria-current="page"]')
    expect(current).to_have_count(1)
    assert current.inner_text() == menu.locator(".console-menu-current").inner_text()  # named
    labels = tabs.all_inner_texts()
    assert all(len(label.strip()) >= 2 for label in labels), labels  # no one-letter "户"
