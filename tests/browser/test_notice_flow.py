"""村务公开 end to end in Chromium: the committee publishes a notice with a photo; a villager
finds it (by the village search when the site has one, else on the notices list), sees
the photo, and asks a question 质询 in place. axe-core finds nothing on the list or the
notice, at 1280 and 320 px."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from playwright.sync_api import expect

from portal.demo import COMMITTEE_PHONE, DEMO_PASSWORD, VILLAGER_PHONES
from tests.browser.conftest import NARROW, WIDE, axe_violations, describe_violations

pytestmark = pytest.mark.browser

TITLE = "村口路灯维修完成的公示"
QUESTION = "路灯晚上几点开、几点关？"
CAPTION = "村口修好的路灯"


@pytest.fixture
def attachment_dir(live_app, tmp_path):
    """Uploads of this test go to a temporary directory, not the instance folder."""
    before = live_app.config.get("ATTACHMENT_DIR")
    live_app.config["ATTACHMENT_DIR"] = str(tmp_path / "attachments")
    yield tmp_path / "attachments"
    live_app.config["ATTACHMENT_DIR"] = before


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "路灯照片.png"
    image = Image.new("RGB", (640, 480), (250, 200, 40))
    for x in range(200, 440):
        for y in range(100, 140):
            image.putpixel((x, y), (30, 30, 30))
    out = io.BytesIO()
    image.save(out, format="PNG")
    path.write_bytes(out.getvalue())
    return path


def log_in(page, base: str, phone: str, next_path: str) -> None:
    page.goto(f"/login?next={next_path}")
    page.get_by_label("手机号").fill(phone)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page).to_have_url(f"{base}{next_path}")


def assert_no_violations(page, axe_source: str, what: str) -> None:
    for width in (WIDE, NARROW):
        page.set_viewport_size({"width": width, "height": 800})
        violations = axe_violations(page, axe_source)
        assert not violations, f"axe-core on {what} at {width}px:\n" + describe_violations(
            violations
        )
        scroll = page.evaluate("() => document.documentElement.scrollWidth")
        assert scroll <= max(width, NARROW), f"{what} is {scroll}px wide at {width}px"
    page.set_viewport_size({"width": WIDE, "height": 800})


def test_publish_with_a_photo_find_it_and_ask(
    browser, live_server, live_app, context, page, axe_source, attachment_dir, photo
):
    # The committee writes the notice with its photo, then publishes it.
    log_in(page, live_server, COMMITTEE_PHONE, "/v/hubin/manage/notices/new")
    page.get_by_label("类别").select_option("affairs")
    page.get_by_label("标题").fill(TITLE)
    page.get_by_label("正文").fill(
        "村口至三组的 12 盏路灯已全部修好，维修费用 3,600 元，由村集体收入支出。"
    )
    page.get_by_label("照片或 PDF 文件").first.set_input_files(str(photo))
    page.get_by_label("说明（照片必填）").first.fill(CAPTION)
    page.get_by_role("button", name="保存草稿").click()
    expect(page.get_by_role("heading", name=TITLE)).to_be_visible()
    expect(page.get_by_text("路灯照片.png").first).to_be_visible()
    # Publishing shows the notice as villagers will see it first, then takes a confirmation.
    page.get_by_role("link", name="预览并发布").click()
    expect(page.get_by_role("heading", name="发布前预览")).to_be_visible()
    expect(page.locator(".notice-preview img")).to_have_attribute("alt", CAPTION)
    page.get_by_role("button", name="确认发布").click()
    expect(page.get_by_text("公告已发布")).to_be_visible()
    # The photo, and its 480 px rendition (it is narrower than 960).
    assert len(list(attachment_dir.iterdir())) == 2

    # A villager, in a browser of their own, finds it.
    villager_context = browser.new_context(
        viewport={"width": WIDE, "height": 900}, locale="zh-CN", base_url=live_server
    )
    villager_context.set_default_timeout(10_000)
    try:
        reader = villager_context.new_page()
        log_in(reader, live_server, VILLAGER_PHONES[9], "/v/hubin/notices")
        assert_no_violations(reader, axe_source, "the notices list")
        if "search.index" in live_app.view_functions:
            reader.goto("/v/hubin/search")
            reader.get_by_label("要找的字词").press_sequentially("路灯维修", delay=50)
            found = reader.locator("#search-results").get_by_role("link", name=TITLE)
            expect(found).to_be_visible()
            assert "q=" in reader.url  # the active search pushed its address
        else:
            found = reader.get_by_role("link", name=TITLE)
        found.click()
        expect(reader.get_by_role("heading", name=TITLE, level=1)).to_be_visible()

        # The photo is there, loaded, at its stored size.
        image = reader.locator(".notice-image img")
        image.scroll_into_view_if_needed()
        expect(image).to_be_visible()
        expect(image).to_have_attribute("alt", CAPTION)
        reader.wait_for_function(
            "() => { const i = document.querySelector('.notice-image img');"
            " return i && i.complete && i.naturalWidth === 640; }"
        )

        # The question goes in place: the block is swapped, the page is not reloaded.
        reader.evaluate("() => { window.__same_page = true; }")
        reader.get_by_label("您的问题").fill(QUESTION)
        reader.get_by_role("button", name="提交问题").click()
        questions = reader.locator("#questions")
        expect(questions.get_by_text("您的问题已经提交")).to_be_visible()
        expect(questions.get_by_text(QUESTION)).to_be_visible()
        expect(questions.get_by_text("等待村委会答复。")).to_be_visible()
        assert reader.evaluate("() => window.__same_page === true")
        assert_no_violations(reader, axe_source, "the notice with its question")
    finally:
        villager_context.close()

    # The committee sees it waiting in the queue.
    page.goto("/v/hubin/manage/notices/questions")
    expect(page.get_by_text(QUESTION)).to_be_visible()
