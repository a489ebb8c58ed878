"""村规民约 in the committee console: each page plain and with htmx, each action, each refusal."""

from __future__ import annotations

import gzip
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import url_for

from portal import clock
from portal.audit.models import ActionLog
from portal.auth.models import Role
from portal.extensions import db
from portal.notices.models import Notice, NoticeCategory
from portal.rules import services
from portal.rules.models import (
    ArticleComment,
    Ballot,
    BallotChannel,
    FilingState,
    RuleArticle,
    RuleDocument,
    RuleFiling,
    RuleVersion,
    TallyVisibility,
    VersionState,
    VoteEligibility,
)
from tests.conftest import htmx_headers, login_as
from tests.factories import (
    HouseholdFactory,
    ResidentFactory,
    RoleGrantFactory,
    TownFactory,
    VillageFactory,
    count,
    official,
    villager,
)
from tests.notices.html_check import elements
from tests.rules import factories as rf
from tests.statements import statements

BASE = "/v/hubin/manage/rules"


def actions(name: str | None = None) -> int:
    return count(ActionLog, *([ActionLog.action == name] if name else []))


def url_of(version: RuleVersion) -> str:
    return f"{BASE}/{version.document_id}/versions/{version.number}"


def articles_of(version: RuleVersion) -> list[RuleArticle]:
    db.session.rollback()
    return list(
        db.session.scalars(
            sa.select(RuleArticle)
            .where(RuleArticle.version_id == version.id)
            .order_by(RuleArticle.position)
        )
    )


def partial(response) -> str:
    assert response.status_code in (200, 422), response.status_code
    assert "<html" not in response.text
    return response.text


def gzipped(text: str) -> int:
    return len(gzip.compress(text.encode()))


@pytest.fixture
def as_clerk(client, clerk):
    login_as(client, clerk)
    return client


def adopted(village, clerk, voters=3):
    """A version adopted by its assembly vote: every voter said yes."""
    people = [villager(village) for _ in range(voters)]
    version = rf.voting(village, clerk)
    for person in people:
        services.cast_ballot(version, person, "yes", rf.during(version))
    db.session.commit()
    services.close_vote(clerk, version, rf.after(version))
    db.session.commit()
    return version


# --- the documents -------------------------------------------------------------------


def test_documents_list_plain_and_boosted(as_clerk, village, clerk):
    version = rf.draft(village, clerk)
    page = as_clerk.get(BASE)
    assert page.status_code == 200 and "<html" in page.text
    assert "湖滨村村规民约" in page.text and "草案" in page.text
    assert f'href="{url_of(version)}"' in page.text
    assert 'action="/v/hubin/manage/rules"' in page.text
    boosted = as_clerk.get(BASE, headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert boosted.status_code == 200 and "湖滨村村规民约" in boosted.text
    assert "HX-Request" in page.headers["Vary"]


def test_console_nav_links_the_rules(as_clerk, village):
    page = as_clerk.get("/v/hubin/manage/").text
    assert 'href="/v/hubin/manage/rules"' in page


def test_create_a_document_with_its_first_draft(as_clerk, village):
    before = actions()
    response = as_clerk.post(BASE, data={"title": "  湖滨村村规民约  "})
    assert response.status_code == 303
    document = db.session.scalar(sa.select(RuleDocument))
    assert document.title == "湖滨村村规民约"
    assert response.headers["Location"].endswith(f"{BASE}/{document.id}/versions/1")
    assert count(RuleVersion) == 1
    assert actions("rules.create") == 1 and actions() == before + 1
    page = as_clerk.get(response.headers["Location"])
    assert "第 1 版草案已经备好" in page.text


@pytest.mark.parametrize(
    "title, message",
    [("", "请填写村规民约的名称"), ("  ", "请填写"), ("村" * 101, "最多 100 个字")],
)
def test_create_refuses_bad_titles(as_clerk, village, title, message):
    response = as_clerk.post(BASE, data={"title": title})
    assert response.status_code == 422
    assert message in response.text and 'aria-invalid="true"' in response.text
    assert count(RuleDocument) == 0 and actions() == 0


def test_document_page_lists_versions_and_starts_an_amendment(as_clerk, village, clerk):
    version = adopted(village, clerk)
    path = f"{BASE}/{version.document_id}"
    page = as_clerk.get(path)
    assert page.status_code == 200 and "现行有效" in page.text
    assert "从现行版本起草新版本" in page.text
    response = as_clerk.post(f"{path}/drafts")
    assert response.status_code == 303 and response.headers["Location"].endswith("/versions/2")
    second = db.session.scalar(sa.select(RuleVersion).where(RuleVersion.number == 2))
    assert second.state == VersionState.DRAFT and second.based_on_id == version.id
    assert [a.body for a in articles_of(second)] == list(rf.ARTICLES)
    assert actions("rules.new_draft") == 1
    # A second draft while one is under way: refused, nothing written.
    again = as_clerk.post(f"{path}/drafts")
    assert again.status_code == 422 and "已有一个正在起草" in again.text
    assert count(RuleVersion) == 2 and actions("rules.new_draft") == 1
    assert "从现行版本起草新版本" not in as_clerk.get(path).text


def test_unknown_or_foreign_objects_are_404(as_clerk, village, clerk):
    elsewhere = VillageFactory()
    foreign = rf.draft(elsewhere, rf.committee(elsewhere))
    own = rf.draft(village, clerk)
    assert as_clerk.get(f"{BASE}/{foreign.document_id}").status_code == 404
    assert as_clerk.get(f"{BASE}/{foreign.document_id}/versions/1").status_code == 404
    assert as_clerk.get(f"{BASE}/{own.document_id}/versions/9").status_code == 404
    foreign_article = articles_of(foreign)[0]
    response = as_clerk.post(
        f"{url_of(own)}/articles/{foreign_article.id}", data={"edit-body": "x"}
    )
    assert response.status_code == 404
    assert articles_of(foreign)[0].body == rf.ARTICLES[0]


# --- the draft editor ---------------------------------------------------------------------


def test_draft_page_shows_the_articles_and_the_legal_reminder(as_clerk, village, clerk):
    version = rf.draft(village, clerk)
    page = as_clerk.get(url_of(version))
    assert page.status_code == 200
    assert "不得设定罚款" in page.text and "侵犯村民人身权利" in page.text
    for body in rf.ARTICLES:
        assert body in page.text
    assert 'id="article-list"' in page.text
    assert "开始征求意见" in page.text


def test_add_an_article_by_plain_form(as_clerk, village, clerk):
    version = rf.draft(village, clerk)
    response = as_clerk.post(
        f"{url_of(version)}/articles", data={"title": "邻里", "body": "邻里之间互相帮助。"}
    )
    assert response.status_code == 303
    assert response.headers["Location"].startswith(url_of(version))
    last = articles_of(version)[-1]
    assert (last.position, last.title, last.body) == (4, "邻里", "邻里之间互相帮助。")
    assert actions("rules.article_add") == 4  # three from the factory, one here
    assert "已添加第四条" in as_clerk.get(url_of(version)).text


def test_add_an_article_in_place_with_htmx(as_clerk, village, clerk):
    version = rf.draft(village, clerk)
    response = as_clerk.post(
        f"{url_of(version)}/articles",
        data={"body": "爱护公共设施。"},
        headers=htmx_headers("article-list"),
        csrf="header",
    )
    text = partial(response)
    assert response.status_code == 200
    assert "爱护公共设施。" in text and "已添加第四条" in text
    assert 'id="article-actions"' in text
    assert len(articles_of(version)) == 4


@pytest.mark.parametrize(
    "body, message",
    [("", "请填写条文内容"), ("   ", "请填写条文内容"), ("字" * 2001, "最多 2000 个字")],
)
@pytest.mark.parametrize("htmx", [False, True])
def test_add_refuses_bad_articles(as_clerk, village, clerk, body, message, htmx):
    version = rf.draft(village, clerk)
    before = actions()
    headers = htmx_headers("article-list") if htmx else {}
    response = as_clerk.post(f"{url_of(version)}/articles", data={"body": body}, headers=headers)
    assert response.status_code == 422
    assert message in response.text
    assert ("<html" in response.text) is not htmx
    assert len(articles_of(version)) == 3 and actions() == before


def test_add_refuses_an_over_long_title(as_clerk, village, clerk):
    version = rf.draft(village, clerk)
    response = as_clerk.post(
        f"{url_of(version)}/articles", data={"title": "题" * 101, "body": "正文"}
    )
    assert response.status_code == 422 and "标题最多 100 个字" in response.text
    assert len(articles_of(version)) == 3


def test_edit_form_in_place_and_plain(as_clerk, village, clerk):
    version = rf.draft(village, clerk)
    first = articles_of(version)[0]
    plain = as_clerk.get(f"{url_of(version)}?edit={first.id}")
    assert plain.status_code == 200 and "<html" in plain.text
    assert "修改第一条" in plain.text and 'name="edit-body"' in plain.text
    inline = as_clerk.get(
        f"{url_of(version)}?edit={first.id}", headers=htmx_headers("article-list")
    )
    text = partial(inline)
    assert "修改第一条" in text and rf.ARTICLES[0] in text
    # An article of no such id: the list, without an edit form.
    assert 'name="edit-body"' not in as_clerk.get(f"{url_of(version)}?edit=999999").text


@pytest.mark.parametrize("htmx", [False, True])
def test_edit_an_article(as_clerk, village, clerk, htmx):
    version = rf.draft(village, clerk)
    first = articles_of(version)[0]
    headers = htmx_headers("article-list") if htmx else {}
    response = as_clerk.post(
        f"{url_of(version)}/articles/{first.id}",
        data={"edit-title": "环境", "edit-body": "垃圾分类投放。"},
        headers=headers,
    )
    if htmx:
        assert response.status_code == 200 and "垃圾分类投放。" in partial(response)
        assert "第一条已保存" in response.text
    else:
        assert response.status_code == 303
    edited = articles_of(version)[0]
    assert (edited.title, edited.body) == ("环境", "垃圾分类投放。")
    assert actions("rules.article_edit") == 1


@pytest.mark.parametrize("body, message", [("", "请填写条文内容"), ("字" * 2001, "最多 2000 个字")])
def test_edit_refuses_bad_input(as_clerk, village, clerk, body, message):
    version = rf.draft(village, clerk)
    first = articles_of(version)[0]
    response = as_clerk.post(
        f"{url_of(version)}/articles/{first.id}",
        data={"edit-body": body},
        headers=htmx_headers("article-list"),
    )
    assert response.status_code == 422 and message in partial(response)
    assert 'name="edit-body"' in response.text  # the form stays open with the error
    assert articles_of(version)[0].body == rf.ARTICLES[0]
    assert actions("rules.article_edit") == 0


@pytest.mark.parametrize("htmx", [False, True])
def test_move_an_article_up_and_down(as_clerk, village, clerk, htmx):
    version = rf.draft(village, clerk)
    first, second, third = articles_of(version)
    headers = htmx_headers("article-list") if htmx else {}
    up = as_clerk.post(
        f"{url_of(version)}/articles/{third.id}/move", data={"position": "1"}, headers=headers
    )
    assert up.status_code == (200 if htmx else 303)
    if htmx:
        text = partial(up)
        assert text.index(rf.ARTICLES[2]) < text.index(rf.ARTICLES[0])
    assert [a.id for a in articles_of(version)] == [third.id, first.id, second.id]
    down = as_clerk.post(
        f"{url_of(version)}/articles/{third.id}/move", data={"position": "2"}, headers=headers
    )
    assert down.status_code == (200 if htmx else 303)
    assert [a.id for a in articles_of(version)] == [first.id, third.id, second.id]
    assert actions("rules.article_move") == 2


def test_move_buttons_carry_their_positions(as_clerk, village, clerk):
    version = rf.draft(village, clerk)
    first, second, _third = articles_of(version)
    page = as_clerk.get(url_of(version)).text
    buttons = {a.get("id"): a for tag, a in elements(page) if tag == "button" and a.get("id")}
    assert f"up-{first.id}" not in buttons  # the first article cannot move up
    up = buttons[f"up-{second.id}"]
    assert up["value"] == "1" and up["name"] == "position"
    assert up["formaction"] == up["hx-post"] == f"{url_of(version)}/articles/{second.id}/move"
    assert up["form"] == "article-actions"


@pytest.mark.parametrize("position", ["0", "4", "-1", "abc", ""])
def test_move_refuses_a_forged_position(as_clerk, village, clerk, position):
    version = rf.draft(village, clerk)
    first = articles_of(version)[0]
    response = as_clerk.post(
        f"{url_of(version)}/articles/{first.id}/move",
        data={"position": position},
        headers=htmx_headers("article-list"),
    )
    assert response.status_code == 422 and "条文位置无效" in partial(response)
    assert [a.body for a in articles_of(version)] == list(rf.ARTICLES)
    assert actions("rules.article_move") == 0


def test_remove_an_article_in_place_once_the_browser_asked(as_clerk, village, clerk):
    """The page's 删除 button asks in the browser (hx-confirm) and sends its `confirm`."""
    version = rf.draft(village, clerk)
    first = articles_of(version)[0]
    remove = f"{url_of(version)}/articles/{first.id}/remove"
    buttons = [a for tag, a in elements(as_clerk.get(url_of(version)).text) if tag == "button"]
    button = next(a for a in buttons if a.get("hx-post") == remove)
    assert "hx-confirm" in button and button["hx-vals"] == '{"confirm": "1"}'
    assert button["formaction"] == remove and "name" not in button  # plain: no confirm sent
    response = as_clerk.post(remove, data={"confirm": "1"}, headers=htmx_headers("article-list"))
    assert response.status_code == 200
    assert rf.ARTICLES[0] not in partial(response) and "已删除原第一条" in response.text
    rest = articles_of(version)
    assert [(a.position, a.body) for a in rest] == [(1, rf.ARTICLES[1]), (2, rf.ARTICLES[2])]
    assert actions("rules.article_remove") == 1


def test_remove_an_article_without_javascript_asks_on_a_page_first(as_clerk, village, clerk):
    version = rf.draft(village, clerk)
    second = articles_of(version)[1]
    remove = f"{url_of(version)}/articles/{second.id}/remove"
    # The plain form sends no `confirm`: nothing is removed, the clerk is asked first.
    asked = as_clerk.post(remove)
    assert asked.status_code == 303 and asked.headers["Location"].endswith(remove)
    assert len(articles_of(version)) == 3 and actions("rules.article_remove") == 0
    page = as_clerk.get(remove)
    assert page.status_code == 200 and "<html" in page.text
    assert "确定删除第二条吗？" in page.text and rf.ARTICLES[1] in page.text
    forms = [a for tag, a in elements(page.text) if tag == "form" and a.get("method") == "post"]
    assert [f["action"] for f in forms if f["action"] != "/logout"] == [remove]
    assert 'name="confirm" value="1"' in page.text
    assert f'href="{url_of(version)}#article-{second.id}"' in page.text  # 不删除，返回
    assert len(articles_of(version)) == 3  # the page itself removed nothing
    done = as_clerk.post(remove, data={"confirm": "1"})
    assert done.status_code == 303 and done.headers["Location"].endswith(url_of(version))
    assert [a.body for a in articles_of(version)] == [rf.ARTICLES[0], rf.ARTICLES[2]]
    assert "已删除原第二条" in as_clerk.get(done.headers["Location"]).text
    assert actions("rules.article_remove") == 1
    # An htmx request without the confirmation is sent to the same page, not obeyed.
    third = articles_of(version)[1]
    unconfirmed = as_clerk.post(
        f"{url_of(version)}/articles/{third.id}/remove", headers=htmx_headers("article-list")
    )
    assert unconfirmed.headers["HX-Redirect"].endswith(f"/articles/{third.id}/remove")
    assert len(articles_of(version)) == 2


def test_the_removal_page_is_for_a_draft_and_for_the_committee(client, village, clerk):
    version = rf.in_consultation(village, clerk)
    first = articles_of(version)[0]
    remove = f"{url_of(version)}/articles/{first.id}/remove"
    login_as(client, clerk)
    page = client.get(remove)
    assert page.status_code == 422 and "征求意见开始后条文不能再改" in page.text
    assert 'name="confirm"' not in page.text
    assert client.get(f"{url_of(version)}/articles/99999/remove").status_code == 404
    login_as(client, official(Role.SUPERVISOR, village=village))
    assert client.get(remove).status_code == 403


def test_articles_cannot_change_after_the_draft(as_clerk, village, clerk):
    version = rf.in_consultation(village, clerk)
    first = articles_of(version)[0]
    before = actions()
    for path, data in (
        ("articles", {"body": "新条文"}),
        (f"articles/{first.id}", {"edit-body": "改过的"}),
        (f"articles/{first.id}/move", {"position": "2"}),
        (f"articles/{first.id}/remove", {}),
        (f"articles/{first.id}/remove", {"confirm": "1"}),
    ):
        response = as_clerk.post(f"{url_of(version)}/{path}", data=data)
        assert response.status_code == 422, path
        assert "征求意见开始后条文不能再改" in response.text, path
    assert [a.body for a in articles_of(version)] == list(rf.ARTICLES)
    assert actions() == before


def test_article_list_partial_stays_small(as_clerk, village, clerk):
    """Eleven articles of ordinary length, as the demo village's rules: under 4 KB gzipped."""
    body = "村民应当遵守国家法律法规，爱护公共设施和生态环境，共同维护本村的公共秩序和良好风气。"
    version = rf.draft(village, clerk, articles=[body] * 11)
    response = as_clerk.get(url_of(version), headers=htmx_headers("article-list"))
    text = partial(response)
    assert text.count('class="article-item"') == 11
    assert gzipped(text) < 4096, gzipped(text)


# --- consultation 征求意见 --------------------------------------------------------------


def test_open_consultation_with_the_default_end(as_clerk, village, clerk, at):
    version = rf.draft(village, clerk)
    page = as_clerk.get(url_of(version)).text
    default = (clock.today_local() + timedelta(days=7)).isoformat()
    assert f'value="{default}"' in page
    response = as_clerk.post(f"{url_of(version)}/consultation", data={"ends_on": default})
    assert response.status_code == 303
    db.session.refresh(version)
    assert version.state == VersionState.CONSULTATION
    ends = version.consultation_ends_at.astimezone(services.LOCAL_TZ)
    assert (ends.date().isoformat(), ends.hour, ends.minute) == (default, 23, 59)
    assert actions("rules.consultation_open") == 1
    assert "征求意见" in as_clerk.get(url_of(version)).text


@pytest.mark.parametrize(
    "ends_on, message",
    [
        ("", "请填写截止日期"),
        ("2026-13-40", "日期格式不对"),
        ("next week", "日期格式不对"),
        ("today", "截止日期要在今天之后"),
        ("yesterday", "截止日期要在今天之后"),
    ],
)
def test_open_consultation_refuses_bad_dates(as_clerk, village, clerk, ends_on, message):
    version = rf.draft(village, clerk)
    today = clock.today_local()
    ends_on = {"today": today, "yesterday": today - timedelta(days=1)}.get(ends_on, ends_on)
    response = as_clerk.post(f"{url_of(version)}/consultation", data={"ends_on": str(ends_on)})
    assert response.status_code == 422 and message in response.text
    db.session.refresh(version)
    assert version.state == VersionState.DRAFT and actions("rules.consultation_open") == 0


def test_an_empty_draft_cannot_go_to_consultation(as_clerk, village, clerk):
    version = rf.draft(village, clerk, articles=())
    ends = (clock.today_local() + timedelta(days=7)).isoformat()
    response = as_clerk.post(f"{url_of(version)}/consultation", data={"ends_on": ends})
    assert response.status_code == 422 and "草案还没有条文" in response.text
    db.session.refresh(version)
    assert version.state == VersionState.DRAFT


@pytest.fixture
def commented(village, clerk):
    version = rf.in_consultation(village, clerk)
    first = articles_of(version)[0]
    author = villager(village, name="李四")
    comment = services.add_comment(author, first, "建议写明垃圾投放的时间。")
    db.session.commit()
    return version, comment


def test_consultation_page_shows_comments_per_article(as_clerk, commented):
    version, comment = commented
    page = as_clerk.get(url_of(version))
    assert page.status_code == 200
    assert "建议写明垃圾投放的时间。" in page.text and "李四" in page.text
    assert f'id="comment-{comment.id}"' in page.text
    assert "隐藏这条意见" in page.text and "公告村民会议表决" in page.text


@pytest.mark.parametrize("htmx", [False, True])
def test_hide_a_comment_with_a_reason(as_clerk, commented, htmx):
    version, comment = commented
    headers = htmx_headers(f"comment-{comment.id}") if htmx else {}
    response = as_clerk.post(
        f"{url_of(version)}/comments/{comment.id}/hide",
        data={"reason": "含有他人电话号码"},
        headers=headers,
    )
    if htmx:
        text = partial(response)
        assert response.status_code == 200
        assert text.strip().startswith(
            f'<li class="comment comment-is-hidden" id="comment-{comment.id}"'
        )
        assert "含有他人电话号码" in text and "已隐藏" in text
    else:
        assert response.status_code == 303
    kept = db.session.get(ArticleComment, comment.id)
    assert kept is not None and kept.hidden and kept.hidden_reason == "含有他人电话号码"
    assert actions("rules.comment_hide") == 1
    page = as_clerk.get(url_of(version)).text
    assert "建议写明垃圾投放的时间。" in page and "含有他人电话号码" in page


@pytest.mark.parametrize(
    "reason, message", [("", "请写明隐藏这条意见的理由"), ("理" * 201, "最多 200 个字")]
)
def test_hiding_needs_a_reason(as_clerk, commented, reason, message):
    version, comment = commented
    response = as_clerk.post(
        f"{url_of(version)}/comments/{comment.id}/hide",
        data={"reason": reason},
        headers=htmx_headers(f"comment-{comment.id}"),
    )
    assert response.status_code == 422 and message in partial(response)
    assert f'id="comment-{comment.id}"' in response.text
    assert not db.session.get(ArticleComment, comment.id).hidden
    assert actions("rules.comment_hide") == 0


def test_hiding_twice_is_refused(as_clerk, commented):
    version, comment = commented
    path = f"{url_of(version)}/comments/{comment.id}/hide"
    assert as_clerk.post(path, data={"reason": "广告"}).status_code == 303
    again = as_clerk.post(path, data={"reason": "又一次"})
    assert again.status_code == 422 and "已经隐藏了" in again.text
    assert db.session.get(ArticleComment, comment.id).hidden_reason == "广告"


# --- announcing the vote -------------------------------------------------------------------


def announce_data(opens, closes, tally="live"):
    return {"opens_on": str(opens), "closes_on": str(closes), "tally_visibility": tally}


def test_announce_form_defaults_to_the_notice_period(as_clerk, village, clerk):
    version = rf.in_consultation(village, clerk)
    page = as_clerk.get(url_of(version)).text
    opens = clock.today_local() + timedelta(days=village.vote_notice_days)
    assert f'value="{opens.isoformat()}"' in page
    assert "公告后不能再更改" in page


@pytest.mark.parametrize("tally", ["live", "hidden"])
def test_announce_the_vote(as_clerk, village, clerk, tally):
    version = rf.in_consultation(village, clerk)
    opens = clock.today_local() + timedelta(days=10)
    response = as_clerk.post(
        f"{url_of(version)}/vote", data=announce_data(opens, opens + timedelta(days=3), tally)
    )
    assert response.status_code == 303
    db.session.refresh(version)
    assert version.vote_announced and version.tally_visibility == TallyVisibility(tally)
    opens_at = version.vote_opens_at.astimezone(services.LOCAL_TZ)
    assert (opens_at.date(), opens_at.hour) == (opens, 0)
    assert actions("rules.vote_announce") == 1
    page = as_clerk.get(url_of(version)).text
    assert "表决已公告" in page and "不能更改" in page
    assert 'action="' + url_of(version) + '/vote"' not in page  # no second announcement


@pytest.mark.parametrize(
    "case, message",
    [
        ("too soon", "至少要在10天之后"),
        ("closes before opening", "结束日期不能早于开始日期"),
        ("bad date", "日期格式不对"),
        ("no opening", "请填写表决开始日期"),
        ("forged tally", "请选择表决期间是否公开计票"),
        ("no tally", "请选择表决期间是否公开计票"),
    ],
)
def test_announce_refuses_bad_input(as_clerk, village, clerk, case, message):
    version = rf.in_consultation(village, clerk)
    opens = clock.today_local() + timedelta(days=10)
    data = announce_data(opens, opens + timedelta(days=3))
    if case == "too soon":
        data = announce_data(opens - timedelta(days=1), opens + timedelta(days=3))
    elif case == "closes before opening":
        data["closes_on"] = str(opens - timedelta(days=1))
    elif case == "bad date":
        data["opens_on"] = "10/12/2026"
    elif case == "no opening":
        data["opens_on"] = ""
    elif case == "forged tally":
        data["tally_visibility"] = "sometimes"
    elif case == "no tally":
        del data["tally_visibility"]
    response = as_clerk.post(f"{url_of(version)}/vote", data=data)
    assert response.status_code == 422, case
    assert message in response.text, case
    db.session.refresh(version)
    assert not version.vote_announced and actions("rules.vote_announce") == 0


def test_a_draft_cannot_be_announced(as_clerk, village, clerk):
    version = rf.draft(village, clerk)
    opens = clock.today_local() + timedelta(days=10)
    response = as_clerk.post(
        f"{url_of(version)}/vote", data=announce_data(opens, opens + timedelta(days=2))
    )
    assert response.status_code == 422 and "只有征求意见中的版本可以公告表决" in response.text


# --- the vote, paper ballots and closing ---------------------------------------------------


@pytest.fixture
def roll(village):
    """Four villagers, on the roll of any vote opened from now on."""
    names = ["王大明", "王小红", "张三", "李四"]
    return {name: villager(village, name=name) for name in names}


@pytest.fixture
def open_vote(village, clerk, roll, at):
    version = rf.voting(village, clerk)
    at(rf.during(version))
    return version


def test_announced_vote_page_before_it_opens(as_clerk, village, clerk, roll):
    version = rf.announced(village, clerk)
    page = as_clerk.get(url_of(version)).text
    assert "表决还没有开始" in page and "录入纸质选票" not in page
    db.session.refresh(version)
    assert version.state == VersionState.CONSULTATION


def test_the_vote_page_shows_a_due_vote_open_and_writes_nothing(as_clerk, village, clerk, roll, at):
    """The clock opens the vote; the page only reads it. The first ballot freezes the roll."""
    version = rf.announced(village, clerk)
    at(rf.during(version))
    page = as_clerk.get(url_of(version)).text
    db.session.refresh(version)
    assert version.state == VersionState.CONSULTATION and version.vote_opened_at is None
    assert "有表决权的村民 4 人，已投票 0 人" in page and "录入纸质选票" in page
    services.cast_ballot(version, roll["张三"], "yes", rf.during(version))
    db.session.commit()
    assert version.state == VersionState.VOTING and version.roll_eligible_count == 4


def test_voting_page_shows_turnout_and_the_live_tally(as_clerk, open_vote, roll):
    services.cast_ballot(open_vote, roll["张三"], "no", rf.during(open_vote))
    db.session.commit()
    page = as_clerk.get(url_of(open_vote))
    assert page.status_code == 200
    assert "有表决权的村民 4 人，已投票 1 人（25%）" in page.text
    assert "赞成 0 票，反对 1 票" in page.text


def test_hidden_tally_stays_hidden_in_the_console(as_clerk, village, clerk, roll, at):
    version = rf.voting(village, clerk, visibility=TallyVisibility.HIDDEN)
    at(rf.during(version))
    services.cast_ballot(version, roll["张三"], "no", rf.during(version))
    db.session.commit()
    page = as_clerk.get(url_of(version)).text
    assert "已投票 1 人" in page and "票数在表决结束后公布" in page and "反对 1 票" not in page


def test_roll_search_plain_and_active(as_clerk, open_vote, roll):
    services.cast_ballot(open_vote, roll["王小红"], "yes", rf.during(open_vote))
    db.session.commit()
    plain = as_clerk.get(f"{url_of(open_vote)}?q=王")
    assert plain.status_code == 200 and "<html" in plain.text
    assert "王大明" in plain.text and "王小红" in plain.text and "张三" not in plain.text
    assert "已在网上投票" in plain.text  # 王小红: no ballot form for her
    assert plain.text.count('name="resident_id"') == 1
    active = as_clerk.get(f"{url_of(open_vote)}?q=王", headers=htmx_headers("roll-results"))
    text = partial(active)
    assert "王大明" in text and "录入纸质选票" not in text
    assert gzipped(text) < 4096
    door = roll["张三"].resident.household.door_number
    by_door = as_clerk.get(f"{url_of(open_vote)}?q={door}", headers=htmx_headers("roll-results"))
    assert "张三" in by_door.text
    nobody = as_clerk.get(f"{url_of(open_vote)}?q=赵", headers=htmx_headers("roll-results"))
    assert "名单上没有找到“赵”" in nobody.text


def ballot_data(user, choice="yes", q="王"):
    return {"resident_id": str(user.resident_id), "choice": choice, "q": q}


def test_enter_a_paper_ballot_by_plain_form(as_clerk, open_vote, roll, clerk):
    response = as_clerk.post(f"{url_of(open_vote)}/paper-ballots", data=ballot_data(roll["王大明"]))
    assert response.status_code == 303
    assert "q=" in response.headers["Location"]
    ballot = db.session.scalar(sa.select(Ballot))
    assert (ballot.resident_id, ballot.choice, ballot.channel, ballot.cast_by_id) == (
        roll["王大明"].resident_id,
        "yes",
        BallotChannel.PAPER,
        clerk.id,
    )
    assert actions("rules.paper_ballot") == 1
    page = as_clerk.get(response.headers["Location"]).text
    assert "已录入王大明的纸质选票：赞成" in page and "纸质选票已录入" in page


def test_enter_a_paper_ballot_in_place(as_clerk, open_vote, roll):
    response = as_clerk.post(
        f"{url_of(open_vote)}/paper-ballots",
        data=ballot_data(roll["王大明"], "abstain"),
        headers=htmx_headers("paper-ballot"),
        csrf="header",
    )
    text = partial(response)
    assert response.status_code == 200
    assert "已录入王大明的纸质选票：弃权" in text
    assert "已投票 1 人" in text  # the turnout in the same panel
    assert "纸质选票已录入" in text  # the search results, still for 王
    assert gzipped(text) < 4096
    assert count(Ballot) == 1


@pytest.mark.parametrize(
    "case, message",
    [
        ("voted online", "王大明已经在网上投过票，不能再录入纸质选票"),
        ("twice", "王大明的纸质选票已经录入过了"),
        ("not on the roll", "不在本次表决的名单上"),
        ("other village", "名单上没有这个人"),
        ("forged choice", "请选择赞成、反对或弃权"),
        ("no choice", "请选择赞成、反对或弃权"),
        ("no resident", "请先查找并选定一位村民"),
    ],
)
@pytest.mark.parametrize("htmx", [False, True])
def test_paper_ballot_refusals(as_clerk, village, open_vote, roll, case, message, htmx):
    wang = roll["王大明"]
    data = ballot_data(wang)
    if case == "voted online":
        services.cast_ballot(open_vote, wang, "no", rf.during(open_vote))
        db.session.commit()
    elif case == "twice":
        assert as_clerk.post(f"{url_of(open_vote)}/paper-ballots", data=data).status_code == 303
    elif case == "not on the roll":
        late = ResidentFactory(household=HouseholdFactory(village=village), name="赵六")
        data["resident_id"] = str(late.id)
    elif case == "other village":
        data["resident_id"] = str(ResidentFactory().id)
    elif case == "forged choice":
        data["choice"] = "maybe"
    elif case == "no choice":
        del data["choice"]
    elif case == "no resident":
        data["resident_id"] = "abc"
    before_ballots, before_log = count(Ballot), actions()
    headers = htmx_headers("paper-ballot") if htmx else {}
    response = as_clerk.post(f"{url_of(open_vote)}/paper-ballots", data=data, headers=headers)
    assert response.status_code == 422, case
    assert message in response.text, case
    assert ("<html" in response.text) is not htmx
    assert count(Ballot) == before_ballots and actions() == before_log
    if case == "voted online":
        assert db.session.scalar(sa.select(Ballot)).channel == BallotChannel.ONLINE


def test_paper_ballots_only_while_voting(as_clerk, village, clerk, roll):
    version = rf.announced(village, clerk)
    response = as_clerk.post(f"{url_of(version)}/paper-ballots", data=ballot_data(roll["张三"]))
    assert response.status_code == 422 and "现在不能录入纸质选票" in response.text
    assert count(Ballot) == 0


def close_button(page: str) -> dict[str, str]:
    """The attributes of the button in the form that closes the vote."""
    tags = [(tag, a) for tag, a in elements(page) if tag in ("form", "button")]
    form = next(i for i, (tag, a) in enumerate(tags) if a.get("action", "").endswith("/close"))
    tag, button = tags[form + 1]
    assert tag == "button"
    return button


def test_the_vote_comes_before_the_articles(as_clerk, village, clerk, roll, at):
    """The clerk's tasks of the vote open the page; the articles and comments follow."""
    announced = rf.announced(village, clerk)
    page = as_clerk.get(url_of(announced)).text
    assert page.index('id="vote-heading"') < page.index('id="articles-heading"')
    assert page.index("表决还没有开始") < page.index(rf.ARTICLES[0])
    voting = rf.voting(village, clerk)
    at(rf.during(voting))
    page = as_clerk.get(url_of(voting)).text
    articles = page.index('id="articles-heading"')
    for task in ('id="vote-heading"', "录入纸质选票", f'href="{url_of(voting)}/paper"', "/close"):
        assert page.index(task) < articles, task
    assert page.index(rf.ARTICLES[0]) > articles


def test_close_is_shown_unavailable_until_the_window_ends(as_clerk, open_vote, roll, at):
    page = as_clerk.get(url_of(open_vote)).text
    button = close_button(page)
    ends = open_vote.vote_closes_at.astimezone(clock.LOCAL_TZ)
    when = f"{ends.year}年{ends.month}月{ends.day}日 {ends:%H:%M}"
    assert "disabled" in button and button["aria-describedby"] == "close-hint"
    assert f"表决 {when} 结束后才能结束表决" in page
    assert "结束表决并公布结果" not in page
    at(rf.after(open_vote))
    page = as_clerk.get(url_of(open_vote)).text
    button = close_button(page)
    assert "disabled" not in button and button["class"] == "button-primary"
    assert "结束表决并公布结果" in page and "结束后才能结束表决" not in page
    assert page.index("结束表决并公布结果") < page.index('id="articles-heading"')


def test_close_is_refused_before_the_window_ends(as_clerk, open_vote):
    response = as_clerk.post(f"{url_of(open_vote)}/close")
    assert response.status_code == 422 and "表决时间还没有结束，不能提前结束表决" in response.text
    db.session.refresh(open_vote)
    assert open_vote.state == VersionState.VOTING and open_vote.result is None
    assert actions("rules.vote_close") == 0


def test_close_after_the_window_adopts_and_posts_the_decision(as_clerk, open_vote, roll, at):
    for name in ("王大明", "王小红", "张三"):
        services.cast_ballot(open_vote, roll[name], "yes", rf.during(open_vote))
    db.session.commit()
    at(rf.after(open_vote))
    as_clerk.post(f"{url_of(open_vote)}/paper-ballots", data=ballot_data(roll["李四"], "no"))
    response = as_clerk.post(f"{url_of(open_vote)}/close")
    assert response.status_code == 303
    db.session.refresh(open_vote)
    assert open_vote.state == VersionState.ADOPTED
    assert (open_vote.result.yes_count, open_vote.result.no_count) == (3, 1)
    assert open_vote.result.paper_count == 1
    assert count(Notice, Notice.category == NoticeCategory.DECISION) == 1
    page = as_clerk.get(url_of(open_vote)).text
    assert "表决结果：通过" in page and "报镇街备案" in page
    assert "表决已结束：通过" in page
    # The result and the filing to do next open the page, before the articles.
    articles = page.index('id="articles-heading"')
    assert page.index('id="result-heading"') < articles
    assert page.index('id="filing-heading"') < articles
    again = as_clerk.post(f"{url_of(open_vote)}/close")
    assert again.status_code == 422 and "已经结束" in again.text
    assert actions("rules.vote_close") == 1


def test_a_rejected_vote_offers_a_new_draft(as_clerk, open_vote, roll, at):
    at(rf.after(open_vote))
    assert as_clerk.post(f"{url_of(open_vote)}/close").status_code == 303  # nobody voted
    db.session.refresh(open_vote)
    assert open_vote.state == VersionState.REJECTED
    page = as_clerk.get(url_of(open_vote)).text
    assert "表决结果：未通过" in page and "起草新版本" in page
    assert "报镇街备案" not in page


# --- filing 备案 ------------------------------------------------------------------------


def test_send_to_the_town_and_see_the_filing_state(as_clerk, village, clerk):
    version = adopted(village, clerk)
    response = as_clerk.post(f"{url_of(version)}/filing")
    assert response.status_code == 303
    filing = db.session.scalar(sa.select(RuleFiling))
    assert filing.state == FilingState.PENDING and filing.town_id == village.town_id
    assert actions("rules.filing_submit") == 1
    page = as_clerk.get(url_of(version)).text
    assert "已报镇街，等待备案" in page
    again = as_clerk.post(f"{url_of(version)}/filing")
    assert again.status_code == 422 and "已经报送镇街备案了" in again.text
    assert count(RuleFiling) == 1


def test_a_returned_filing_shows_the_reason_and_a_new_draft(as_clerk, village, clerk):
    version = adopted(village, clerk)
    filing = services.submit_filing(clerk, version)
    db.session.commit()
    services.return_for_correction(
        official(Role.TOWN_OFFICIAL, village=village), filing, "第三条设定了罚款。"
    )
    db.session.commit()
    page = as_clerk.get(url_of(version)).text
    assert "镇街退回修改" in page and "第三条设定了罚款。" in page
    assert f'action="{BASE}/{version.document_id}/drafts"' in page
    response = as_clerk.post(f"{BASE}/{version.document_id}/drafts")
    assert response.status_code == 303 and count(RuleVersion) == 2
    page = as_clerk.get(url_of(version)).text
    assert "第 2 版正在进行" in page


def test_only_an_adopted_version_is_filed(as_clerk, village, clerk):
    version = rf.draft(village, clerk)
    response = as_clerk.post(f"{url_of(version)}/filing")
    assert response.status_code == 422 and "只有现行有效的版本可以报镇街备案" in response.text
    assert count(RuleFiling) == 0


def test_result_links_to_the_public_page_when_there_is_one(as_clerk, village, clerk, app):
    version = adopted(village, clerk)
    page = as_clerk.get(url_of(version)).text
    if "rules.version" in app.view_functions:
        with app.test_request_context():
            public = url_for(
                "rules.version", village="hubin", document_id=version.document_id, number=1
            )
        assert f'href="{public}"' in page
    assert "表决结果：通过" in page


# --- who may do what ---------------------------------------------------------------------


@pytest.fixture
def objects(village, clerk):
    version = rf.in_consultation(village, clerk)
    article = articles_of(version)[0]
    comment = services.add_comment(villager(village), article, "意见")
    db.session.commit()
    return {
        "document_id": version.document_id,
        "number": version.number,
        "article_id": article.id,
        "comment_id": comment.id,
    }


def rules_routes(app, objects, village="hubin") -> list[tuple[str, str]]:
    routes = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if not rule.endpoint.startswith("rules_manage."):
                continue
            args = {name: objects[name] for name in rule.arguments if name != "village"}
            url = url_for(rule.endpoint, village=village, **args)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                routes.append((method, url))
    return routes


def test_every_rules_route_is_covered(app, objects):
    routes = rules_routes(app, objects)
    # index, document, version, the paper-ballot entry page (portal/rules/paper.py) and
    # the page that asks before an article is removed
    assert len([r for r in routes if r[0] == "GET"]) == 5
    assert len([r for r in routes if r[0] == "POST"]) >= 14


def test_visitor_is_sent_to_login(app, client, objects):
    for method, url in rules_routes(app, objects):
        response = client.open(url, method=method)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url


@pytest.mark.parametrize("who", ["villager", "other committee", "town official", "grid worker"])
def test_others_are_refused_everywhere(app, client, village, objects, who):
    user = {
        "villager": lambda: villager(village),
        "other committee": lambda: rf.committee(VillageFactory(town=village.town)),
        "town official": lambda: official(Role.TOWN_OFFICIAL, village=village),
        "grid worker": lambda: official(Role.GRID_WORKER, village=village),
    }[who]()
    login_as(client, user)
    before = actions()
    for method, url in rules_routes(app, objects):
        assert client.open(url, method=method).status_code == 403, (who, method, url)
    assert actions() == before


def test_supervisor_reads_everything_and_changes_nothing(app, client, village, objects):
    login_as(client, official(Role.SUPERVISOR, village=village))
    before = (actions(), count(RuleVersion), count(RuleArticle), count(ArticleComment))
    for method, url in rules_routes(app, objects):
        response = client.open(url, method=method, data={"reason": "x", "body": "x"})
        # Reading pages are open to them; the page asking to remove an article is a step
        # of an action, so it is not.
        reads = method == "GET" and not url.endswith("/remove")
        assert response.status_code == (200 if reads else 403), (method, url)
    assert (actions(), count(RuleVersion), count(RuleArticle), count(ArticleComment)) == before
    assert not db.session.get(ArticleComment, objects["comment_id"]).hidden


def test_supervisor_sees_no_action_controls(client, village, clerk, roll, at):
    draft = rf.draft(village, clerk)
    voting = rf.voting(village, clerk)
    at(rf.during(voting))
    login_as(client, official(Role.SUPERVISOR, village=village))
    for path in (BASE, f"{BASE}/{draft.document_id}", url_of(draft), f"{url_of(voting)}?q=王"):
        page = client.get(path).text
        assert 'method="post" action="/v/hubin/manage' not in page, path
        assert "hx-post" not in page and 'name="resident_id"' not in page, path
        assert "不能修改" in page
    assert "王大明" in client.get(f"{url_of(voting)}?q=王").text


def test_a_committee_member_who_is_also_a_villager(client, village, objects):
    member = villager(village)
    RoleGrantFactory(user=member, role=Role.COMMITTEE, village=village)
    login_as(client, member)
    assert client.get(f"{BASE}/{objects['document_id']}").status_code == 200


def test_other_town_cannot_reach_by_slug(client, objects):
    login_as(client, official(Role.TOWN_OFFICIAL, town=TownFactory()))
    assert client.get(BASE).status_code == 403


# --- cost -------------------------------------------------------------------------------


def statements_for(client, path: str, headers=None) -> int:
    client.get(path, headers=headers)
    with statements() as seen:
        response = client.get(path, headers=headers)
    assert response.status_code == 200, path
    return len(seen)


def add_documents(village, clerk, n: int, start: int) -> None:
    """`n` documents, every other one with a version in force (filed) and an amendment."""
    for i in range(start, start + n):
        document = services.create_document(clerk, village, f"村规民约{i}")
        db.session.flush()
        if i % 2:
            first = document.versions[0]
            first.state = VersionState.ADOPTED
            db.session.add(
                RuleFiling(
                    version=first, village_id=village.id, town_id=village.town_id, state="filed"
                )
            )
            db.session.add(
                RuleVersion(document=document, village_id=village.id, number=2, state="draft")
            )
    db.session.commit()


def test_documents_list_costs_the_same_for_a_full_page(as_clerk, village, clerk):
    add_documents(village, clerk, 2, 0)
    few = statements_for(as_clerk, BASE)
    add_documents(village, clerk, 30, 2)
    many = statements_for(as_clerk, BASE)
    assert many == few, (few, many)
    assert many <= 8, many
    page = as_clerk.get(BASE).text
    assert page.count('class="cell-link"') == 20 and "第 1 页，共 2 页" in page


def test_roll_search_costs_the_same_for_many_matches(as_clerk, village, open_vote, roll):
    headers = htmx_headers("roll-results")
    few = statements_for(as_clerk, f"{url_of(open_vote)}?q=王", headers)
    plain_few = statements_for(as_clerk, f"{url_of(open_vote)}?q=王")
    # More residents named 王 on the roll, in households of their own, some having voted.
    for i in range(15):
        resident = ResidentFactory(household=HouseholdFactory(village=village), name=f"王{i}")
        db.session.add(
            VoteEligibility(
                version_id=open_vote.id, resident_id=resident.id, household_id=resident.household_id
            )
        )
        if i % 3 == 0:
            db.session.add(
                Ballot(
                    version_id=open_vote.id,
                    resident_id=resident.id,
                    choice="yes",
                    channel=BallotChannel.ONLINE,
                )
            )
    db.session.commit()
    many = statements_for(as_clerk, f"{url_of(open_vote)}?q=王", headers)
    plain_many = statements_for(as_clerk, f"{url_of(open_vote)}?q=王")
    assert (many, plain_many) == (few, plain_few)
    text = as_clerk.get(f"{url_of(open_vote)}?q=王", headers=headers).text
    assert text.count('class="roll-item"') == 17
