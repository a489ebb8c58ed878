"""Posters in Chromium: every published notice of the demo and its open vote print to
exactly one A4 page, and the poster pages pass axe-core at 1280 and 320 px."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.notices.models import Notice, NoticeState
from portal.rules.models import RuleVersion, VersionState
from portal.villages.models import Village
from tests.browser.conftest import ARTIFACTS, NARROW, WIDE, axe_violations, describe_violations

pytestmark = pytest.mark.browser

PAGE_OBJECT = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")


@pytest.fixture(scope="module")
def poster_paths(live_app) -> list[str]:
    with live_app.app_context():
        village = db.session.scalar(sa.select(Village).where(Village.slug == "hubin"))
        notices = db.session.scalars(
            sa.select(Notice.id)
            .where(Notice.village_id == village.id, Notice.state == NoticeState.PUBLISHED)
            .order_by(Notice.id)
        ).all()
        votes = db.session.execute(
            sa.select(RuleVersion.document_id, RuleVersion.number).where(
                RuleVersion.village_id == village.id, RuleVersion.state == VersionState.VOTING
            )
        ).all()
        db.session.remove()
    assert notices and votes, "the demo has published notices and an open vote"
    return [f"/v/hubin/notices/{n}/poster" for n in notices] + [
        f"/v/hubin/rules/{d}/versions/{n}/poster" for d, n in votes
    ]


def test_every_poster_prints_on_one_a4_page(page, poster_paths):
    ARTIFACTS.mkdir(exist_ok=True)
    for path in poster_paths:
        assert page.goto(path).status == 200
        pdf = page.pdf(format="A4")
        pages = len(PAGE_OBJECT.findall(pdf))
        if pages != 1:
            (ARTIFACTS / (path.strip("/").replace("/", "_") + ".pdf")).write_bytes(pdf)
        assert pages == 1, f"{path} prints on {pages} pages"
        assert page.locator("svg.poster-qr").is_visible()


@pytest.mark.parametrize("width", [WIDE, NARROW], ids=["1280px", "320px"])
def test_posters_have_no_axe_violations(page, axe_source, poster_paths, width):
    page.set_viewport_size({"width": width, "height": 800})
    for path in (poster_paths[0], poster_paths[-1]):
        page.goto(path)
        violations = axe_violations(page, axe_source)
        assert not violations, f"axe-core on {path} at {width}px:\n" + describe_violations(
            violations
        )
        scroll = page.evaluate("() => document.documentElement.scrollWidth")
        assert scroll <= width, f"{path} is {scroll}px wide at {width}px"
