"""Text follows the reader's font setting: with the browser's default font doubled,
every text on the public pages is twice its size, body, headings and hints alike."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.rules.models import RuleDocument
from portal.villages.models import Village

pytestmark = pytest.mark.browser

SIZES = """() => {
    const sizes = {};
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    let index = 0;
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const element = node.parentElement;
        if (!node.textContent.trim() || element.closest("svg")) continue;
        const tag = element.tagName.toLowerCase() + "." + element.className;
        sizes[index++ + " " + tag] = parseFloat(getComputedStyle(element).fontSize);
    }
    return {
        root: parseFloat(getComputedStyle(document.documentElement).fontSize),
        body: parseFloat(getComputedStyle(document.body).fontSize),
        sizes,
    };
}"""


def measure(page, path: str) -> dict:
    assert page.goto(path).status == 200
    return page.evaluate(SIZES)


def test_every_text_grows_with_the_browsers_default_font(page, live_app):
    with live_app.app_context():
        document_id = db.session.scalar(
            sa.select(RuleDocument.id).join(Village).where(Village.slug == "hubin")
        )
        db.session.remove()
    paths = ["/v/hubin/", "/v/hubin/notices", f"/v/hubin/rules/{document_id}/versions/2", "/login"]
    default = {path: measure(page, path) for path in paths}
    page.context.new_cdp_session(page).send(
        "Page.setFontSizes", {"fontSizes": {"standard": 32, "fixed": 26}}
    )
    for path in paths:
        before, after = default[path], measure(page, path)
        assert before["root"] == 18 and before["body"] == 18, path
        assert after["root"] == 36 and after["body"] == 36, path
        assert before["sizes"].keys() == after["sizes"].keys(), path
        fixed = {
            text: (size, after["sizes"][text])
            for text, size in before["sizes"].items()
            if abs(after["sizes"][text] - 2 * size) > 0.5
        }
        assert not fixed, f"on {path} these texts kept their size: {fixed}"
