"""English on a 360 px phone, in Chromium: the result charts' captions stay inside their
chart, and the "keep me logged in" checkbox keeps its size beside its long label."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.rules.models import RuleDocument
from portal.villages.models import Village

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}


@pytest.fixture
def english_phone(browser, live_server):
    ctx = browser.new_context(viewport=PHONE, locale="en-GB", base_url=live_server)
    ctx.set_default_timeout(10_000)
    ctx.add_cookies([{"name": "lang", "value": "en", "url": live_server}])
    yield ctx.new_page()
    ctx.close()


def test_result_chart_captions_fit_their_chart(english_phone, live_app):
    with live_app.app_context():
        document_id = db.session.scalar(
            sa.select(RuleDocument.id).join(Village).where(Village.slug == "hubin")
        )
        db.session.remove()
    page = english_phone
    page.goto(f"/v/hubin/rules/{document_id}/versions/1/result")
    overflow = page.evaluate(
        """() => [...document.querySelectorAll("svg.chart text")].map((text) => {
            const box = text.getBBox();
            const width = text.ownerSVGElement.viewBox.baseVal.width;
            return {text: text.textContent, right: box.x + box.width, width};
        }).filter((t) => t.right > t.width)"""
    )
    assert page.locator("svg.chart text").count() >= 7
    assert overflow == []


def test_the_keep_me_logged_in_checkbox_keeps_its_size_and_hint(english_phone):
    page = english_phone
    page.goto("/login")
    box = page.locator("#remember").bounding_box()
    rem = page.evaluate("() => parseFloat(getComputedStyle(document.documentElement).fontSize)")
    assert box["width"] >= 1.3 * rem and box["height"] >= 1.3 * rem, (box, rem)
    hint = page.locator("#remember-hint")
    assert hint.is_visible() and "shared phone" in hint.inner_text()
