"""村务公开 pages: plain and htmx requests, refusals, bad input, hostile Markdown, the feed."""

from __future__ import annotations

import re
from xml.etree import ElementTree as ET

import pytest
import sqlalchemy as sa

from portal.audit.models import ActionLog
from portal.auth.models import Role
from portal.extensions import db
from portal.notices import services
from portal.notices.models import Notice, NoticeRead, NoticeState
from tests.conftest import htmx_headers, login_as
from tests.factories import VillageFactory, official, villager
from tests.notices.conftest import make_notice
from tests.notices.html_check import elements, injected
from tests.text import unwrapped

ATOM = "{http://www.w3.org/2005/Atom}"


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


# --- the public list ----------------------------------------------------------------


def test_list_plain_page(client, notice, draft, committee, village):
    pinned = make_notice(committee, village, title="置顶的公告")
    services.set_pinned(committee, pinned, True)
    db.session.commit()
    page = client.get("/v/hubin/notices")
    assert page.status_code == 200
    assert "<html" in page.text
    assert page.text.index("置顶的公告") < page.text.index(notice.title)
    assert draft.title not in page.text
    assert "HX-Request" in page.headers["Vary"]


def test_list_filters_by_category_and_survives_hostile_arguments(client, committee, village):
    make_notice(committee, village, title="财务公开", category="finance")
    make_notice(committee, village, title="党员大会", category="party")
    page = client.get("/v/hubin/notices?category=finance")
    assert "财务公开" in page.text and "党员大会" not in page.text
    for query in (
        "category=<script>",
        "category=finance'--",
        "page=-5",
        "page=abc",
        "page=99999999",
    ):
        assert client.get(f"/v/hubin/notices?{query}").status_code == 200, query


def test_list_pages_and_loads_more_with_htmx(client, committee, village):
    for i in range(25):
        make_notice(committee, village, title=f"公告{i:02d}")
    first = client.get("/v/hubin/notices")
    assert first.text.count('class="notice-item"') == 20
    assert 'id="load-more"' in first.text
    assert 'href="/v/hubin/notices?page=2"' in first.text
    plain = client.get("/v/hubin/notices?page=2")
    assert plain.text.count('class="notice-item"') == 5
    assert "<html" in plain.text and 'rel="prev"' in plain.text
    more = client.get("/v/hubin/notices?page=2", headers=htmx_headers("load-more"))
    assert more.status_code == 200
    assert "<html" not in more.text
    assert more.text.count('class="notice-item"') == 5
    assert 'id="load-more"' not in more.text


def test_list_when_there_is_nothing(client, village):
    assert "还没有公开的内容" in client.get("/v/hubin/notices").text


def test_unknown_village_is_404(client, app):
    assert client.get("/v/nowhere/notices").status_code == 404
    assert client.get("/v/nowhere/notices.atom").status_code == 404


# --- one notice ---------------------------------------------------------------------


def test_notice_page_for_a_visitor_writes_nothing_and_counts_nobody(client, notice):
    before = count(NoticeRead)
    page = client.get(f"/v/hubin/notices/{notice.id}")
    assert page.status_code == 200
    assert notice.title in page.text
    assert "村道将于下周一开始修缮" in page.text
    assert "年" in page.text  # the portal's date format: 2026年11月26日
    assert 'class="read-marker"' not in page.text
    assert count(NoticeRead) == before


def test_notice_page_for_a_reader_asks_to_count_them_by_post(client, notice, village):
    reader = villager(village)
    login_as(client, reader)
    page = client.get(f"/v/hubin/notices/{notice.id}")
    assert count(NoticeRead) == 0
    forms = [a for tag, a in elements(page.text) if tag == "form" and a.get("hx-trigger") == "load"]
    assert forms and forms[0]["hx-post"] == f"/v/hubin/notices/{notice.id}/read"
    assert 'name="csrf_token"' in page.text

    counted = client.post(forms[0]["hx-post"], headers=htmx_headers("read-count"), csrf="header")
    assert counted.status_code == 200
    assert "<html" not in counted.text
    assert 'id="read-count"' in counted.text and "1 位村民已读" in unwrapped(counted.text)
    again = client.post(forms[0]["hx-post"], headers=htmx_headers("read-count"), csrf="header")
    assert "1 位村民已读" in unwrapped(again.text)
    db.session.refresh(notice)
    assert notice.read_count == 1
    # Once counted, the page no longer sends the request.
    assert 'class="read-marker"' not in client.get(f"/v/hubin/notices/{notice.id}").text


def test_read_counter_without_htmx_redirects_back(client, notice, village):
    login_as(client, villager(village))
    response = client.post(f"/v/hubin/notices/{notice.id}/read")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/v/hubin/notices/{notice.id}")
    db.session.refresh(notice)
    assert notice.read_count == 1


def test_the_read_figure_says_what_it_counts_and_counts_only_villagers(
    client, notice, village, committee
):
    """The figure reads "N 位村民已读", small, for everyone; only the village's verified
    villagers are asked to count (by htmx, or by a button without JavaScript) and counted."""
    visitor = unwrapped(client.get(f"/v/hubin/notices/{notice.id}").text)
    assert '<p class="notice-reads"><span id="read-count">0 位村民已读</span></p>' in visitor
    assert "阅读 0 人" not in visitor and "<dt>阅读</dt>" not in visitor
    assert "read-marker" not in visitor and "read-confirm" not in visitor
    outsider = villager(VillageFactory(slug="elsewhere"))
    for user in (committee, outsider):
        login_as(client, user)
        page = client.get(f"/v/hubin/notices/{notice.id}").text
        assert "read-marker" not in page and "read-confirm" not in page
        refused = client.post(
            f"/v/hubin/notices/{notice.id}/read", headers=htmx_headers("read-count"), csrf="header"
        )
        assert refused.status_code == 403 and "已读人数只计本村已核实的村民" in refused.text
        assert client.post(f"/v/hubin/notices/{notice.id}/read").status_code == 403
    assert count(NoticeRead) == 0
    login_as(client, villager(village))
    page = client.get(f"/v/hubin/notices/{notice.id}").text
    noscript = page.split("<noscript>")[1].split("</noscript>")[0]
    assert f'action="/v/hubin/notices/{notice.id}/read"' in noscript
    assert "我读过了" in noscript and 'name="csrf_token"' in noscript
    assert count(NoticeRead) == 0


def test_read_counter_refuses_visitors_and_drafts(client, notice, draft, village):
    response = client.post(f"/v/hubin/notices/{notice.id}/read")
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]
    login_as(client, villager(village))
    assert client.post(f"/v/hubin/notices/{draft.id}/read").status_code == 404
    assert count(NoticeRead) == 0


def test_drafts_and_other_villages_notices_are_not_public(client, draft, notice, village):
    assert client.get(f"/v/hubin/notices/{draft.id}").status_code == 404
    other = VillageFactory(slug="other")
    assert client.get(f"/v/{other.slug}/notices/{notice.id}").status_code == 404
    assert client.get("/v/hubin/notices/999999").status_code == 404


def test_archived_notice_stays_at_its_address_but_leaves_the_list(client, notice, committee):
    services.archive(committee, notice)
    db.session.commit()
    page = client.get(f"/v/hubin/notices/{notice.id}")
    assert page.status_code == 200 and "已归档" in page.text
    assert notice.title not in client.get("/v/hubin/notices").text


def test_correction_links_both_ways(client, notice, committee):
    correction = services.publish_correction(committee, notice, title="更正：村道", body="改期")
    db.session.commit()
    original = client.get(f"/v/hubin/notices/{notice.id}").text
    assert f'href="/v/hubin/notices/{correction.id}"' in original
    assert "已被更正" in original
    corrected = client.get(f"/v/hubin/notices/{correction.id}").text
    assert f'href="/v/hubin/notices/{notice.id}"' in corrected
    assert "已更正" in client.get("/v/hubin/notices").text


def test_notice_page_with_htmx_request_for_the_read_count_block(client, notice):
    page = client.get(f"/v/hubin/notices/{notice.id}", headers=htmx_headers("read-count"))
    assert page.status_code == 200
    assert page.text.strip().startswith('<span id="read-count"')
    boosted = client.get(f"/v/hubin/notices/{notice.id}", headers=htmx_headers(HX_Boosted="true"))
    assert "<html" in boosted.text


# --- the village home and the feed -------------------------------------------------


def test_village_home_shows_pinned_notices_first(client, committee, village, notice):
    pinned = make_notice(committee, village, title="春节值班安排")
    services.set_pinned(committee, pinned, True)
    db.session.commit()
    home = client.get("/v/hubin/").text
    assert "春节值班安排" in home
    assert home.index("春节值班安排") < home.index(notice.title)
    assert 'href="/v/hubin/notices"' in home


def test_atom_feed_is_valid_with_absolute_urls(client, committee, village, draft):
    for i in range(55):
        make_notice(committee, village, title=f"公告{i}")
    response = client.get("/v/hubin/notices.atom")
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    root = ET.fromstring(response.data)
    assert root.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated", "author"):
        assert root.find(f"{ATOM}{required}") is not None, required
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 50
    titles = [e.findtext(f"{ATOM}title") for e in entries]
    assert titles[0] == "公告54" and draft.title not in titles
    for entry in entries:
        assert entry.findtext(f"{ATOM}id").startswith("http://localhost/v/hubin/notices/")
        assert entry.find(f"{ATOM}link").get("href").startswith("http://")
        assert entry.findtext(f"{ATOM}updated")
        assert entry.find(f"{ATOM}content").get("type") == "html"
    self_link = [lk for lk in root.findall(f"{ATOM}link") if lk.get("rel") == "self"][0]
    assert self_link.get("href") == "http://localhost/v/hubin/notices.atom"


def test_atom_feed_of_a_village_without_notices(client, village):
    root = ET.fromstring(client.get("/v/hubin/notices.atom").data)
    assert root.findall(f"{ATOM}entry") == []
    assert root.findtext(f"{ATOM}updated")


# --- the committee's pages ---------------------------------------------------------

MANAGE = "/v/hubin/manage/notices"


def test_console_list_shows_drafts_plain_and_htmx(client, committee, notice, draft):
    login_as(client, committee)
    page = client.get(MANAGE)
    assert page.status_code == 200
    assert draft.title in page.text and notice.title in page.text
    assert "写一条新公告" in page.text
    assert draft.title not in client.get(f"{MANAGE}?state=published").text
    htmx = client.get(MANAGE, headers=htmx_headers())
    assert htmx.status_code == 200 and draft.title in htmx.text


def test_supervisor_reads_drafts_but_changes_nothing(client, village, draft):
    supervisor = official(Role.SUPERVISOR, village=village)
    login_as(client, supervisor)
    assert draft.title in client.get(MANAGE).text
    shown = client.get(f"{MANAGE}/{draft.id}")
    assert shown.status_code == 200 and draft.title in shown.text
    assert f"{MANAGE}/{draft.id}/publish" not in shown.text
    for url in (f"{MANAGE}/new", f"{MANAGE}/{draft.id}/edit"):
        assert client.get(url).status_code == 403
    assert client.post(f"{MANAGE}/{draft.id}/publish").status_code == 403
    db.session.refresh(draft)
    assert draft.state == NoticeState.DRAFT


@pytest.mark.parametrize("who", ["villager", "foreign_committee"])
def test_villagers_and_other_villages_committees_are_refused(client, village, draft, notice, who):
    user = (
        villager(village)
        if who == "villager"
        else official(Role.COMMITTEE, village=VillageFactory(slug="other"))
    )
    login_as(client, user)
    for url in (MANAGE, f"{MANAGE}/new", f"{MANAGE}/{draft.id}", f"{MANAGE}/{draft.id}/edit"):
        assert client.get(url).status_code == 403, url
    for url, data in (
        (f"{MANAGE}/new", {"category": "affairs", "title": "t", "body": "b"}),
        (f"{MANAGE}/{draft.id}/edit", {"category": "affairs", "title": "t", "body": "b"}),
        (f"{MANAGE}/{draft.id}/publish", {}),
        (f"{MANAGE}/{notice.id}/archive", {}),
        (f"{MANAGE}/{notice.id}/pin", {"pinned": "1"}),
        (f"{MANAGE}/{notice.id}/correct", {"category": "affairs", "title": "t", "body": "b"}),
    ):
        assert client.post(url, data=data).status_code == 403, url
    assert count(Notice) == 2
    assert count(ActionLog) == 3  # the fixtures' create, create, publish


def test_another_villages_notice_is_404_in_the_console(client, committee):
    other = VillageFactory(slug="other")
    foreign = make_notice(official(Role.COMMITTEE, village=other), other)
    login_as(client, committee)
    assert client.get(f"{MANAGE}/{foreign.id}").status_code == 404
    assert client.post(f"{MANAGE}/{foreign.id}/archive").status_code == 404
    db.session.refresh(foreign)
    assert foreign.state == NoticeState.PUBLISHED


def test_new_notice_form_plain_and_htmx(client, committee):
    login_as(client, committee)
    page = client.get(f"{MANAGE}/new")
    assert page.status_code == 200 and 'name="csrf_token"' in page.text
    assert client.get(f"{MANAGE}/new", headers=htmx_headers()).status_code == 200


def test_new_notice_form_takes_a_category_from_the_link(client, committee):
    """The disclosure schedule links here with ?category=; 会议决定 and nonsense are ignored."""
    login_as(client, committee)

    def selected(query):
        page = client.get(f"{MANAGE}/new{query}")
        assert page.status_code == 200
        options = re.findall(r"<option[^>]*>", page.text)
        return [re.search(r'value="(\w+)"', o)[1] for o in options if "selected" in o]

    assert selected("?category=finance") == ["finance"]
    assert selected("?category=party") == ["party"]
    for ignored in ("?category=decision", "?category=nonsense", ""):
        assert selected(ignored) in ([], ["affairs"])


def test_create_a_draft_plain_and_htmx(client, committee, village):
    login_as(client, committee)
    data = {
        "category": "finance",
        "title": "第三季度财务公开",
        "body": "| 项目 | 金额 |\n|---|---|",
    }
    response = client.post(f"{MANAGE}/new", data=data)
    assert response.status_code == 303
    notice = db.session.scalar(sa.select(Notice))
    assert response.headers["Location"].endswith(f"{MANAGE}/{notice.id}")
    assert notice.state == NoticeState.DRAFT and notice.created_by_id == committee.id
    htmx = client.post(f"{MANAGE}/new", data={**data, "title": "第二条"}, headers=htmx_headers())
    assert htmx.status_code == 200 and htmx.headers["HX-Redirect"].startswith(MANAGE)
    assert count(Notice) == 2
    assert db.session.scalars(sa.select(ActionLog.action)).all() == ["notice.create"] * 2


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"category": "affairs", "title": "", "body": "正文"}, "请填写标题。"),
        ({"category": "affairs", "title": "   ", "body": "正文"}, "请填写标题。"),
        ({"category": "affairs", "title": "标" * 101, "body": "正文"}, "标题最多 100 个字。"),
        ({"category": "affairs", "title": "标题", "body": ""}, "请填写正文。"),
        ({"category": "affairs", "title": "标题", "body": "字" * 20_001}, "正文最多 20000 个字。"),
        ({"category": "decision", "title": "标题", "body": "正文"}, "请选择公开的类别。"),
        ({"category": "<script>", "title": "标题", "body": "正文"}, "请选择公开的类别。"),
    ],
)
def test_bad_input_is_answered_422_in_chinese_and_nothing_written(client, committee, data, message):
    login_as(client, committee)
    for headers in (None, htmx_headers()):
        response = client.post(f"{MANAGE}/new", data=data, headers=headers)
        assert response.status_code == 422
        assert message in response.text
        assert 'aria-invalid="true"' in response.text
    assert count(Notice) == 0
    assert count(ActionLog) == 0


def test_edit_a_draft(client, committee, draft):
    login_as(client, committee)
    form = client.get(f"{MANAGE}/{draft.id}/edit")
    assert form.status_code == 200 and draft.title in form.text
    response = client.post(
        f"{MANAGE}/{draft.id}/edit", data={"category": "party", "title": "改后", "body": "改后正文"}
    )
    assert response.status_code == 303
    db.session.refresh(draft)
    assert draft.title == "改后"
    bad = client.post(
        f"{MANAGE}/{draft.id}/edit", data={"category": "party", "title": "", "body": "x"}
    )
    assert bad.status_code == 422 and "请填写标题。" in bad.text
    db.session.refresh(draft)
    assert draft.title == "改后"


def test_editing_a_published_notice_is_refused(client, committee, notice):
    login_as(client, committee)
    form = client.get(f"{MANAGE}/{notice.id}/edit")
    assert form.status_code == 409 and "已发布的公告不能修改" in form.text
    assert f"{MANAGE}/{notice.id}/correct" in form.text
    for headers in (None, htmx_headers()):
        response = client.post(
            f"{MANAGE}/{notice.id}/edit",
            data={"category": "affairs", "title": "偷改", "body": "偷改"},
            headers=headers,
        )
        assert response.status_code == 409 and "更正" in response.text
    db.session.refresh(notice)
    assert notice.title == "关于修缮村道的通知"


def test_publish_pin_unpin_archive_plain(client, committee, draft):
    login_as(client, committee)
    shown = client.get(f"{MANAGE}/{draft.id}")
    assert shown.status_code == 200 and "修改草稿" in shown.text
    confirmed = {"confirm": "1"}
    assert client.post(f"{MANAGE}/{draft.id}/publish", data=confirmed).status_code == 303
    db.session.refresh(draft)
    assert draft.state == NoticeState.PUBLISHED
    again = client.post(f"{MANAGE}/{draft.id}/publish", data=confirmed)
    assert again.status_code == 409 and "已经发布" in again.text
    preview = client.get(f"{MANAGE}/{draft.id}/publish")
    assert preview.status_code == 409 and "已经发布" in preview.text
    assert client.post(f"{MANAGE}/{draft.id}/pin", data={"pinned": "1"}).status_code == 303
    db.session.refresh(draft)
    assert draft.pinned
    assert client.post(f"{MANAGE}/{draft.id}/pin", data={"pinned": "0"}).status_code == 303
    db.session.refresh(draft)
    assert not draft.pinned
    assert client.post(f"{MANAGE}/{draft.id}/archive").status_code == 303
    db.session.refresh(draft)
    assert draft.state == NoticeState.ARCHIVED
    assert db.session.scalars(sa.select(ActionLog.action).order_by(ActionLog.id)).all()[-4:] == [
        "notice.publish",
        "notice.pin",
        "notice.unpin",
        "notice.archive",
    ]


def test_publish_and_archive_with_htmx(client, committee, draft):
    login_as(client, committee)
    response = client.post(
        f"{MANAGE}/{draft.id}/publish",
        data={"confirm": "1"},
        headers=htmx_headers(),
        csrf="header",
    )
    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == f"{MANAGE}/{draft.id}"
    response = client.post(f"{MANAGE}/{draft.id}/archive", headers=htmx_headers(), csrf="header")
    assert response.headers["HX-Redirect"] == f"{MANAGE}/{draft.id}"
    db.session.refresh(draft)
    assert draft.state == NoticeState.ARCHIVED


def test_publishing_shows_the_notice_as_villagers_will_see_it_first(
    client, committee, draft, village
):
    """The draft page links to a preview (the notice page's own markup); publishing takes
    the preview's confirmation, and a POST without it only leads to the preview."""
    login_as(client, committee)
    preview_url = f"{MANAGE}/{draft.id}/publish"
    shown = client.get(f"{MANAGE}/{draft.id}").text
    assert f'href="{preview_url}"' in shown and "预览并发布" in shown
    assert f'action="{preview_url}"' not in shown  # no one-tap publish beside 修改草稿
    before = count(ActionLog)
    for headers in (None, htmx_headers()):
        unconfirmed = client.post(preview_url, headers=headers)
        if headers:
            assert unconfirmed.headers["HX-Redirect"] == preview_url
        else:
            assert unconfirmed.status_code == 303
            assert unconfirmed.headers["Location"].endswith(preview_url)
    db.session.refresh(draft)
    assert draft.state == NoticeState.DRAFT and count(ActionLog) == before
    preview = client.get(preview_url)
    assert preview.status_code == 200 and "<html" in preview.text
    text = preview.text
    assert "发布前预览" in text and draft.title in text and "发布后正文和附件都不能再改" in text
    body = [a for tag, a in elements(text) if tag == "div" and a.get("class") == "notice-body"]
    assert body and "hx-disable" in body[0]  # the public page's own block, as it renders
    assert "<li>请绕行</li>" in text
    forms = [a for tag, a in elements(text) if tag == "form" and a.get("action") == preview_url]
    assert len(forms) == 1 and forms[0]["method"] == "post"
    assert 'name="confirm" value="1"' in text and "确认发布" in text
    assert f'href="{MANAGE}/{draft.id}/edit"' in text  # 返回修改
    db.session.refresh(draft)
    assert draft.state == NoticeState.DRAFT and count(ActionLog) == before  # a GET writes nothing
    done = client.post(preview_url, data={"confirm": "1"})
    assert done.status_code == 303 and done.headers["Location"].endswith(f"{MANAGE}/{draft.id}")
    db.session.refresh(draft)
    assert draft.state == NoticeState.PUBLISHED
    assert db.session.scalars(sa.select(ActionLog.action)).all()[-1] == "notice.publish"
    # The preview is the committee's step: the supervisors and villagers do not get it.
    other = make_notice(committee, village, publish=False, title="另一条草稿")
    for user in (official(Role.SUPERVISOR, village=village), villager(village)):
        login_as(client, user)
        assert client.get(f"{MANAGE}/{other.id}/publish").status_code == 403
        assert client.post(f"{MANAGE}/{other.id}/publish", data={"confirm": "1"}).status_code == 403
    db.session.refresh(other)
    assert other.state == NoticeState.DRAFT


def test_archiving_a_draft_is_refused(client, committee, draft):
    login_as(client, committee)
    response = client.post(f"{MANAGE}/{draft.id}/archive")
    assert response.status_code == 409 and "只有已发布的公告可以归档" in response.text


def test_publish_a_correction(client, committee, notice):
    login_as(client, committee)
    form = client.get(f"{MANAGE}/{notice.id}/correct")
    assert form.status_code == 200 and "更正：" in form.text and "下周一" in form.text
    assert client.get(f"{MANAGE}/{notice.id}/correct", headers=htmx_headers()).status_code == 200
    bad = client.post(
        f"{MANAGE}/{notice.id}/correct", data={"category": "affairs", "title": "", "body": ""}
    )
    assert bad.status_code == 422 and "请填写标题。" in bad.text and "请填写正文。" in bad.text
    assert count(Notice) == 1
    response = client.post(
        f"{MANAGE}/{notice.id}/correct",
        data={"category": "affairs", "title": "更正：村道修缮改期", "body": "改为下周三。"},
    )
    assert response.status_code == 303
    correction = db.session.scalar(sa.select(Notice).where(Notice.corrects_id == notice.id))
    assert correction.state == NoticeState.PUBLISHED
    assert f"{MANAGE}/{notice.id}" in client.get(f"{MANAGE}/{correction.id}").text


def test_a_draft_is_not_corrected(client, committee, draft):
    login_as(client, committee)
    assert client.get(f"{MANAGE}/{draft.id}/correct").status_code == 409
    response = client.post(
        f"{MANAGE}/{draft.id}/correct", data={"category": "affairs", "title": "t", "body": "b"}
    )
    assert response.status_code == 409
    assert count(Notice) == 1


# --- hostile Markdown and titles, full page and partial ---------------------------

HOSTILE_BODY = "\n\n".join(
    [
        "<script>alert('evil')</script>",
        '<img src="x" onerror="alert(\'evil\')">',
        '<div hx-get="/evil" hx-trigger="load">载入</div>',
        "[点我](javascript:alert('evil'))",
        "<a href=\"javascript:alert('evil')\">链接</a>",
        '<p data-hx-post="/evil" data-hx-trigger="load">数据</p>',
        '<a hx-post="/evil" hx-trigger="load" href="https://example.com">外链</a>',
    ]
)
HOSTILE_TITLE = '<a hx-get="/evil" onclick="evil()">标题</a><script>evil()</script>'


def test_hostile_markdown_and_title_never_reach_a_page(client, committee, village):
    login_as(client, committee)
    response = client.post(
        f"{MANAGE}/new", data={"category": "affairs", "title": HOSTILE_TITLE, "body": HOSTILE_BODY}
    )
    assert response.status_code == 303
    notice = db.session.scalar(sa.select(Notice))
    client.post(f"{MANAGE}/{notice.id}/publish", data={"confirm": "1"})
    for i in range(20):
        make_notice(committee, village, title=f"填充{i}")
    pages = {
        "console page": client.get(f"{MANAGE}/{notice.id}"),
        "console list": client.get(MANAGE),
        "edit form": client.get(f"{MANAGE}/{notice.id}/correct"),
        "notice page": client.get(f"/v/hubin/notices/{notice.id}"),
        "list page 2 partial": client.get(
            "/v/hubin/notices?page=2", headers=htmx_headers("load-more")
        ),
        "village home": client.get("/v/hubin/"),
        "bad-input page": client.post(
            f"{MANAGE}/new", data={"category": "affairs", "title": HOSTILE_TITLE, "body": ""}
        ),
    }
    login_as(client, villager(village))
    pages["read count partial"] = client.post(
        f"/v/hubin/notices/{notice.id}/read", headers=htmx_headers("read-count"), csrf="header"
    )
    client.get("/logout")
    pages["visitor's notice page"] = client.get(f"/v/hubin/notices/{notice.id}")
    for name, page in pages.items():
        assert page.status_code in (200, 422), name
        assert injected(page.text) == [], name
    assert "标题" in pages["list page 2 partial"].text
    body = pages["notice page"].text
    wrapper = [a for tag, a in elements(body) if tag == "div" and a.get("class") == "notice-body"]
    assert wrapper and "hx-disable" in wrapper[0]
    feed = client.get("/v/hubin/notices.atom")
    content = ET.fromstring(feed.data).find(f"{ATOM}entry/{ATOM}content").text
    assert injected(content) == []


def test_every_notice_page_get_changes_no_rows(client, committee, notice, draft):
    login_as(client, committee)
    before = (count(Notice), count(NoticeRead), count(ActionLog))
    for url in (
        "/v/hubin/notices",
        f"/v/hubin/notices/{notice.id}",
        "/v/hubin/notices.atom",
        MANAGE,
        f"{MANAGE}/{draft.id}",
        f"{MANAGE}/{draft.id}/edit",
        f"{MANAGE}/{notice.id}/correct",
        f"{MANAGE}/new",
    ):
        assert client.get(url).status_code == 200, url
    assert (count(Notice), count(NoticeRead), count(ActionLog)) == before


def test_the_feed_link_says_what_it_is_for(client, notice):
    """Not "订阅村务公开（Atom）": what a villager gets from it, in words."""
    page = client.get("/v/hubin/notices").text
    link = re.search(r'<a href="/v/hubin/notices.atom">([^<]+)</a>', page)
    assert link and link.group(1) == "用新闻阅读软件关注本村村务公开"
    assert "新闻阅读软件" in page and "（Atom）" not in page
