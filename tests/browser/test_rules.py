"""村规民约 in Chromium, on the demo: axe-core on the rules pages at 1280 and 320 px, a
villager casts then changes a ballot in place with htmx, another does the same with
JavaScript off, and the weight of the version page and of the ballot partial."""

from __future__ import annotations

import gzip
import http.client
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from portal.auth.models import User
from portal.demo import DEMO_PASSWORD, VILLAGER_PHONES
from portal.extensions import db
from portal.rules.models import Ballot, RuleDocument, RuleVersion, VoteEligibility
from portal.villages.models import Village
from tests.browser.conftest import ARTIFACTS, NARROW, WIDE, axe_violations, describe_violations

pytestmark = pytest.mark.browser

PARTIAL_BUDGET = 4096  # bytes compressed: DESIGN.md 6, an htmx partial at most 4 KB
DEMO_VOTER = "13800000010"  # on the roll of the demo's open vote, has not voted
PHONE = {"width": 360, "height": 640}


@pytest.fixture(scope="module")
def demo_document(live_app) -> int:
    with live_app.app_context():
        document_id = db.session.scalar(
            sa.select(RuleDocument.id).join(Village).where(Village.slug == "hubin")
        )
        db.session.remove()
    return document_id


def version_path(document_id: int, number: int, tail: str = "") -> str:
    return f"/v/hubin/rules/{document_id}/versions/{number}{tail}"


def rules_pages(document_id: int) -> dict[str, str]:
    return {
        "rules list": "/v/hubin/rules",
        "document": f"/v/hubin/rules/{document_id}",
        "version": version_path(document_id, 2),
        "comments": version_path(document_id, 2, "/articles/4/comments"),
        "diff": f"/v/hubin/rules/{document_id}/diff?from=1&to=2",
        "result": version_path(document_id, 1, "/result"),
    }


@pytest.mark.parametrize("width", [WIDE, NARROW], ids=["1280px", "320px"])
def test_rules_pages_have_no_axe_violations_and_fit_the_screen(
    page, axe_source, demo_document, width
):
    page.set_viewport_size({"width": width, "height": 800})
    ARTIFACTS.mkdir(exist_ok=True)
    for name, path in rules_pages(demo_document).items():
        response = page.goto(path)
        assert response.status == 200, f"{name}: {response.status}"
        violations = axe_violations(page, axe_source)
        assert not violations, f"axe-core on {name} at {width}px:\n" + describe_violations(
            violations
        )
        scroll_width = page.evaluate("() => document.documentElement.scrollWidth")
        assert scroll_width <= width, f"{name} is {scroll_width}px wide at {width}px"
        if width == NARROW:
            page.screenshot(
                path=str(ARTIFACTS / f"rules-{name.replace(' ', '-')}-320.png"), full_page=True
            )


def test_a_comment_thread_loads_in_place(page, demo_document):
    page.goto(version_path(demo_document, 2))
    thread = page.locator("#comments-4")
    thread.get_by_role("link").click()
    expect(page.locator("#comments-4 .comment").first).to_be_visible()
    expect(page.locator("#comments-4 h4")).to_contain_text("第四条的意见")
    assert page.url.endswith(version_path(demo_document, 2))


def log_in(page, phone: str, next_path: str) -> None:
    page.goto(f"/login?next={next_path}")
    page.get_by_label("手机号").fill(phone)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_url(lambda url: "/login" not in url and url.endswith(next_path))


def ballot_count(live_app, phone: str, number: int = 2) -> int:
    with live_app.app_context():
        count = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Ballot)
            .join(User, User.resident_id == Ballot.resident_id)
            .join(RuleVersion, RuleVersion.id == Ballot.version_id)
            .where(User.phone == phone, RuleVersion.number == number)
        )
        db.session.remove()
    return count


def remove_ballot(live_app, phone: str, number: int = 2) -> None:
    """Leave the shared demo as the other browser tests expect it: no extra ballot."""
    with live_app.app_context():
        resident_id = db.session.scalar(sa.select(User.resident_id).where(User.phone == phone))
        version_ids = sa.select(RuleVersion.id).where(RuleVersion.number == number)
        db.session.execute(
            sa.delete(Ballot).where(
                Ballot.resident_id == resident_id, Ballot.version_id.in_(version_ids)
            )
        )
        db.session.commit()
        db.session.remove()


@pytest.fixture
def demo_voter(live_app):
    assert ballot_count(live_app, DEMO_VOTER) == 0, "the demo voter has a ballot already"
    yield DEMO_VOTER
    remove_ballot(live_app, DEMO_VOTER)


def cast_in_place(page, choice: str, button: str):
    """Pick `choice` and press `button`; returns the htmx POST's response."""
    panel = page.locator("#vote")
    panel.get_by_label(choice, exact=True).check()
    with page.expect_response(
        lambda r: r.request.method == "POST" and r.url.endswith("/vote")
    ) as answer:
        panel.get_by_role("button", name=button).click()
    response = answer.value
    expect(page.locator("#vote .my-ballot")).to_have_text(f"您已投票：{choice}")
    return response


def test_villager_casts_then_changes_a_ballot_in_place(
    page, live_app, live_server, axe_source, demo_document, demo_voter
):
    path = version_path(demo_document, 2)
    log_in(page, demo_voter, path)
    panel = page.locator("#vote")
    expect(panel.get_by_role("button", name="投票", exact=True)).to_be_visible()
    assert not axe_violations(page, axe_source)
    page.evaluate("() => { window.__notReloaded = true; }")

    first = cast_in_place(page, "赞成", "投票")
    assert first.request.headers.get("hx-request") == "true"
    assert first.request.headers.get("hx-target") == "vote"
    assert "<html" not in first.text()
    expect(page.locator("#vote .vote-done")).to_have_text("您的投票已记录：赞成。")
    expect(page.locator("#vote-live .turnout")).to_contain_text("已投票")
    expect(panel.get_by_role("button", name="更改我的投票")).to_be_hidden()
    panel.get_by_text("想更改投票？").click()
    expect(panel.get_by_role("button", name="更改我的投票")).to_be_visible()

    second = cast_in_place(page, "反对", "更改我的投票")
    expect(page.locator("#vote .vote-done")).to_have_text("您的投票已更改为：反对。")
    assert page.evaluate("() => window.__notReloaded") is True
    assert "再投" not in panel.inner_text()
    assert ballot_count(live_app, demo_voter) == 1
    violations = axe_violations(page, axe_source)
    assert not violations, describe_violations(violations)

    sent = second.request.sizes()["responseBodySize"]
    encoding = second.headers.get("content-encoding", "identity")
    body = second.body()
    compressed = len(gzip.compress(body))
    print(
        f"ballot partial: {len(body)} bytes, {compressed} bytes gzip, "
        f"{sent} bytes sent ({encoding})"
    )
    assert compressed < PARTIAL_BUDGET and sent < PARTIAL_BUDGET


def test_on_a_phone_the_ballot_and_then_its_confirmation_are_on_the_first_screen(
    page, demo_document, demo_voter
):
    page.set_viewport_size(PHONE)
    log_in(page, demo_voter, version_path(demo_document, 2))
    choices = page.locator("#vote .choice")
    page.reload()
    expect(choices).to_have_count(3)
    for index in range(3):
        box = choices.nth(index).bounding_box()
        assert box["y"] + box["height"] <= PHONE["height"], f"choice {index} at {box}"
    cast_in_place(page, "赞成", "投票")
    box = page.locator("#vote .vote-confirmed").bounding_box()
    assert box["y"] + box["height"] <= PHONE["height"], f"the confirmation is at {box}"


def voter_without_ballot(live_app) -> str:
    """A demo villager on the open vote's roll who has not voted: not DEMO_VOTER, nor the
    last demo villager, whose paper ballot the console's browser test enters."""
    with live_app.app_context():
        version_id = db.session.scalar(
            sa.select(RuleVersion.id)
            .join(Village, Village.id == RuleVersion.village_id)
            .where(Village.slug == "hubin", RuleVersion.number == 2)
        )
        voted = sa.select(Ballot.resident_id).where(Ballot.version_id == version_id)
        phone = db.session.scalar(
            sa.select(User.phone)
            .join(VoteEligibility, VoteEligibility.resident_id == User.resident_id)
            .where(
                VoteEligibility.version_id == version_id,
                User.phone.like("138000000%"),
                User.phone.not_in([DEMO_VOTER, VILLAGER_PHONES[-1]]),
                User.resident_id.not_in(voted),
            )
            .order_by(User.phone)
            .limit(1)
        )
        db.session.remove()
    assert phone, "the demo has no villager left who has not voted"
    return phone


def test_ballot_cast_and_changed_without_javascript(browser, live_server, live_app, demo_document):
    phone = voter_without_ballot(live_app)
    context = browser.new_context(
        viewport={"width": NARROW, "height": 800},
        locale="zh-CN",
        base_url=live_server,
        java_script_enabled=False,
    )
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        path = version_path(demo_document, 2)
        log_in(page, phone, path)
        panel = page.locator("#vote")
        panel.get_by_label("弃权", exact=True).check()
        panel.get_by_role("button", name="投票", exact=True).click()
        page.wait_for_url(f"**{path}#vote")
        expect(page.locator(".flash")).to_contain_text("您的投票已记录：弃权。")
        expect(page.locator("#vote .my-ballot")).to_have_text("您已投票：弃权")
        panel.get_by_text("想更改投票？").click()
        panel.get_by_label("赞成", exact=True).check()
        panel.get_by_role("button", name="更改我的投票").click()
        page.wait_for_url(f"**{path}#vote")
        expect(page.locator(".flash")).to_contain_text("您的投票已更改为：赞成。")
        expect(page.locator("#vote .my-ballot")).to_have_text("您已投票：赞成")
        assert ballot_count(live_app, phone) == 1
    finally:
        context.close()
        remove_ballot(live_app, phone)


def compressed_size(base: str, path: str) -> tuple[int, int]:
    """(raw, gzip) bytes of a visitor's GET of `path`, as the server sends it."""
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request("GET", path, headers={"Accept-Encoding": "gzip"})
        response = conn.getresponse()
        body = response.read()
        assert response.status == 200, path
        assert response.getheader("Content-Encoding") == "gzip", path
        return len(gzip.decompress(body)), len(body)
    finally:
        conn.close()


def test_version_page_weight(page, live_server, demo_document):
    """The HTML alone (gzip), and a first visit with everything it loads, as sent."""
    path = version_path(demo_document, 2)
    raw, sent = compressed_size(live_server, path)
    finished = []
    page.on("requestfinished", lambda request: finished.append(request))
    page.goto(path, wait_until="networkidle")
    lines, total = [], 0
    for request in finished:
        sizes = request.sizes()
        size = sizes["responseHeadersSize"] + sizes["responseBodySize"]
        total += size
        lines.append(f"  {size:>7} B  {urlsplit(request.url).path}")
    print(f"version page (visitor): {raw} bytes of HTML, {sent} bytes gzip")
    print(f"first visit to {path}: {total} bytes in {len(finished)} responses")
    print("\n".join(lines))
    assert total <= 40_000
