"""Input nobody types but anyone can send: it is answered with a refusal or a page,
never a 500, and whatever is stored is what a feed and a page can show.

- integers past what a column holds, in a path (404), a query string or a form (the
  view's own default or a 422);
- htmx requests for a region the object's state does not show: the whole page;
- dates far beyond any plan; the village finder's pages with one town; an
  HX-Redirect to an address with Chinese in it;
- C0 control characters in any submitted text (dropped, so the Atom feed stays XML);
- comments on a rule article as fast as a script can send them (limited per person).
"""

from __future__ import annotations

import re
from datetime import timedelta
from xml.etree import ElementTree as ET

import pytest
import sqlalchemy as sa

from portal import clock
from portal.extensions import db
from portal.inputs import MAX_INTEGER, IntegerConverter, clean_text
from portal.notices import services as notices
from portal.notices.models import Notice
from portal.rules import services as rules
from portal.rules.models import ArticleComment, Ballot, RuleVersion, VersionState
from tests.conftest import htmx_headers, login_as
from tests.factories import TownFactory, VillageFactory, count, villager
from tests.rules import factories as rf

HUGE = (2**63, MAX_INTEGER + 1, 10**30)


@pytest.fixture
def village(app):
    return VillageFactory(name="湖滨村", slug="hubin")


@pytest.fixture
def clerk(village):
    return rf.committee(village)


@pytest.fixture
def as_clerk(client, clerk):
    login_as(client, clerk)
    return client


def console_url(version: RuleVersion) -> str:
    return f"/v/hubin/manage/rules/{version.document_id}/versions/{version.number}"


def public_url(version: RuleVersion) -> str:
    return f"/v/hubin/rules/{version.document_id}/versions/{version.number}"


# --- integers ---------------------------------------------------------------------------


def int_paths(app, number: int) -> list[tuple[str, str]]:
    """Every route with a number in its path, with `number` there, and its method."""
    paths = []
    for rule in app.url_map.iter_rules():
        if "<int:" not in rule.rule:
            continue
        path = re.sub(r"<int:[a-z_]+>", str(number), rule.rule)
        method = "GET" if "GET" in rule.methods else sorted(rule.methods - {"OPTIONS"})[0]
        paths.append((method, re.sub(r"<[a-z_]+>", "hubin", path)))
    return paths


def test_every_number_in_a_path_is_bounded(app):
    int_rules = [r for r in app.url_map.iter_rules() if "int" in str(r.rule)]
    assert int_rules
    for rule in int_rules:
        for name, converter in rule._converters.items():
            if "<int:" + name + ">" in rule.rule:
                assert isinstance(converter, IntegerConverter), (rule.rule, name)
                assert converter.max == MAX_INTEGER, (rule.rule, name)


@pytest.mark.parametrize("number", HUGE)
def test_a_number_past_a_column_in_a_path_is_404(app, client, village, clerk, number):
    login_as(client, clerk)
    paths = int_paths(app, number)
    assert len(paths) > 20
    for method, path in paths:
        assert client.open(path, method=method).status_code == 404, (method, path)


def test_a_number_past_a_column_in_a_query_or_a_form_is_refused(as_clerk, village, clerk):
    draft = rf.draft(village, clerk)
    huge = str(2**63)
    # In a query string it counts as no number: the page as without it.
    assert as_clerk.get(f"{console_url(draft)}?edit={huge}").status_code == 200
    assert as_clerk.get(f"/v/hubin/manage/residents?page={huge}").status_code == 200
    assert as_clerk.get(f"/v/hubin/notices?page={huge}").status_code == 200
    # In a form: refused, nothing written.
    article = rules._articles(draft)[0]
    moved = as_clerk.post(
        f"{console_url(draft)}/articles/{article.id}/move", data={"position": huge}
    )
    assert moved.status_code == 422 and "条文位置无效" in moved.text
    assert [a.id for a in rules._articles(draft)][0] == article.id
    gone = as_clerk.post("/v/hubin/manage/residents/departure", data={"resident_id": huge})
    assert gone.status_code == 404


def test_a_number_past_a_column_in_a_ballot_form_is_refused(as_clerk, village, clerk):
    voting = rf.voting(village, clerk)
    huge = str(2**63)
    base = console_url(voting)
    ballot = as_clerk.post(f"{base}/paper-ballots", data={"resident_id": huge, "choice": "yes"})
    assert ballot.status_code == 422
    entry = as_clerk.post(f"{base}/paper", data={"resident_id": huge, "choice": "yes"})
    assert entry.status_code == 422
    undo = as_clerk.post(f"{base}/paper/undo", data={"ballot_id": huge})
    assert undo.status_code == 422
    assert count(Ballot) == 0


# --- htmx regions the state does not show ---------------------------------------------------


def test_a_region_the_state_does_not_show_gets_the_whole_page(as_clerk, village, clerk):
    """The draft's article list after consultation opened, the paper-ballot panel before
    the vote opens: the whole page, retargeted at <body>, plain and as htmx."""
    version = rf.in_consultation(village, clerk)
    for target in ("article-list", "paper-ballot", "roll-results", "comment-1"):
        response = as_clerk.get(console_url(version), headers=htmx_headers(target))
        assert response.status_code == 200, target
        assert "<html" in response.text and response.headers["HX-Retarget"] == "body"
        assert response.headers["HX-Reswap"] == "innerHTML"
    plain = as_clerk.get(console_url(version))
    assert plain.status_code == 200 and "HX-Retarget" not in plain.headers


def test_a_stale_pages_article_buttons_get_the_refusal_on_the_whole_page(as_clerk, village, clerk):
    """The draft's page was open when consultation began: its move, remove, save and add
    buttons get the refusal on the page as it now is."""
    version = rf.draft(village, clerk)
    article = rules._articles(version)[0]
    rules.open_consultation(clerk, version)
    db.session.commit()
    articles = f"{console_url(version)}/articles"
    for url, data in (
        (f"{articles}/{article.id}/move", {"position": "2"}),
        (f"{articles}/{article.id}/remove", {}),
        (f"{articles}/{article.id}", {"edit-title": "", "edit-body": "改过的条文"}),
        (articles, {"body": "新的一条"}),
    ):
        for headers in (htmx_headers("article-list"), None):
            response = as_clerk.post(url, data=data, headers=headers)
            assert response.status_code in (409, 422), (url, headers, response.status_code)
            assert "<html" in response.text and 'role="alert"' in response.text
            assert ("HX-Retarget" in response.headers) is (headers is not None)
    assert [a.body for a in rules._articles(version)] == list(rf.ARTICLES)
    db.session.refresh(version)
    assert version.state == VersionState.CONSULTATION


def test_the_paper_ballot_panel_of_an_announced_vote_is_the_whole_page(as_clerk, village, clerk):
    version = rf.announced(village, clerk)
    response = as_clerk.get(console_url(version), headers=htmx_headers("paper-ballot"))
    assert response.status_code == 200 and "<html" in response.text
    entered = as_clerk.post(
        f"{console_url(version)}/paper-ballots",
        data={"resident_id": "1", "choice": "yes"},
        headers=htmx_headers("paper-ballot"),
    )
    assert entered.status_code in (409, 422) and "<html" in entered.text


# --- dates, the finder's pages, redirects ----------------------------------------------------


@pytest.mark.parametrize("far", ["9999-12-31", "far-ahead"])
def test_a_consultation_end_beyond_a_year_is_refused(as_clerk, village, clerk, far):
    version = rf.draft(village, clerk)
    ends = (clock.today_local() + timedelta(days=400)).isoformat() if far == "far-ahead" else far
    response = as_clerk.post(f"{console_url(version)}/consultation", data={"ends_on": ends})
    assert response.status_code == 422 and "日期太远了" in response.text
    db.session.refresh(version)
    assert version.state == VersionState.DRAFT
    assert as_clerk.get(console_url(version)).status_code == 200


def test_vote_dates_beyond_the_horizon_are_refused(as_clerk, village, clerk):
    version = rf.in_consultation(village, clerk)
    soon = (clock.today_local() + timedelta(days=30)).isoformat()
    for opens, closes in (("9999-12-24", "9999-12-31"), (soon, "9999-12-31")):
        data = {"opens_on": opens, "closes_on": closes, "tally_visibility": "live"}
        response = as_clerk.post(f"{console_url(version)}/vote", data=data)
        assert response.status_code == 422 and "日期太远了" in response.text
    db.session.refresh(version)
    assert not version.vote_announced
    assert as_clerk.get(console_url(version)).status_code == 200


def test_the_finder_with_one_town_answers_every_page(client, village):
    for page in ("1", "2", "99", str(2**63), "-3"):
        response = client.get(f"/?page={page}")
        assert response.status_code == 200, page
        assert "湖滨村" in response.text
    TownFactory(name="第二镇", slug="second")
    assert client.get("/?page=2").status_code == 200


def test_an_htmx_redirect_to_an_address_with_chinese_is_percent_encoded(client, village):
    person = villager(village)
    target = "/v/hubin/notices?q=修路 进度"
    response = client.post(
        "/login?next=" + target,
        data={"phone": person.phone, "password": "correct-horse-9"},
        headers=htmx_headers(),
    )
    assert response.status_code == 200
    location = response.headers["HX-Redirect"]
    assert location.isascii() and location.startswith("/v/hubin/notices?q=%E4%BF%AE")
    plain = client.post(
        "/login?next=" + target, data={"phone": person.phone, "password": "correct-horse-9"}
    )
    assert plain.headers["Location"] == location


# --- control characters ---------------------------------------------------------------------


def test_clean_text_drops_c0_controls_but_keeps_tabs_and_lines():
    assert clean_text("a\x00b\x0bc\x1bd\x7f\ufffe") == "abcd\x7f"
    assert clean_text("一\r\n二\r三\t四\n") == "一\n二\n三\t四\n"


def test_control_characters_in_a_notice_title_never_reach_the_feed(as_clerk, village, clerk):
    title = "停水\x00通知\x0b（\x1b[31m周三）"
    response = as_clerk.post(
        "/v/hubin/manage/notices/new",
        data={"category": "announcement", "title": title, "body": "周三\r\n停水\x07一天。\t全村"},
    )
    assert response.status_code == 303, response.status_code
    notice = db.session.scalar(sa.select(Notice))
    assert notice.title == "停水通知（[31m周三）"
    assert notice.body == "周三\n停水一天。\t全村"
    notices.publish(clerk, notice)
    db.session.commit()
    feed = as_clerk.get("/v/hubin/notices.atom")
    assert feed.status_code == 200
    root = ET.fromstring(feed.data)
    titles = [e.text for e in root.iter("{http://www.w3.org/2005/Atom}title")]
    assert "停水通知（[31m周三）" in titles


@pytest.mark.parametrize("path", ["/v/hub%00in/", "/v/hubin%1b/notices", "/town/x%0b/"])
def test_a_control_character_in_a_path_matches_nothing(client, village, path):
    assert client.get(path).status_code == 404


def test_control_characters_in_a_search_are_dropped(client, village):
    response = client.get("/v/hubin/search?q=%00%1b修路%0b")
    assert response.status_code == 200 and "\x1b" not in response.text


# --- comments ---------------------------------------------------------------------------------


def comment_url(version: RuleVersion, position: int = 1) -> str:
    return f"{public_url(version)}/articles/{position}/comments"


@pytest.mark.parametrize("headers", [None, htmx_headers("comments-1")])
def test_comments_are_limited_per_person(client, village, clerk, at, headers):
    version = rf.in_consultation(village, clerk)
    author = villager(village)
    login_as(client, author)
    start = at(clock.now() + timedelta(hours=1))
    for n in range(rules.COMMENTS_PER_MINUTE):
        response = client.post(comment_url(version), data={"body": f"第{n}条意见"}, headers=headers)
        assert response.status_code in (200, 303), n
    too_fast = client.post(comment_url(version), data={"body": "再来一条"}, headers=headers)
    assert too_fast.status_code == 429 and "请过一分钟再提" in too_fast.text
    assert count(ArticleComment) == rules.COMMENTS_PER_MINUTE
    at(start + timedelta(minutes=2))
    again = client.post(comment_url(version), data={"body": "第0条意见"}, headers=headers)
    assert again.status_code == 409 and "已经提过了" in again.text
    assert count(ArticleComment) == rules.COMMENTS_PER_MINUTE


def test_comments_are_limited_per_day(client, village, clerk, at):
    version = rf.in_consultation(village, clerk)
    login_as(client, villager(village))
    start = clock.now()
    for n in range(rules.COMMENTS_PER_DAY):
        at(start + timedelta(minutes=n))
        position = 1 + n % 3
        response = client.post(comment_url(version, position), data={"body": f"意见{n}"})
        assert response.status_code == 303, n
    at(start + timedelta(hours=2))
    refused = client.post(comment_url(version), data={"body": "还有一条"})
    assert refused.status_code == 429 and "请明天再提" in refused.text
    at(start + timedelta(days=1, minutes=30))
    assert client.post(comment_url(version), data={"body": "第二天"}).status_code == 303
    assert count(ArticleComment) == rules.COMMENTS_PER_DAY + 1


@pytest.mark.parametrize(
    ("value", "found"),
    [
        ("resident:12", ("resident", 12)),
        ("household:7", ("household", 7)),
        ("resident:" + "9" * 30, (None, None)),
        ("resident:１２", (None, None)),
        ("resident:-3", (None, None)),
        ("person:12", (None, None)),
        ("12", (None, None)),
        (None, (None, None)),
    ],
)
def test_a_chosen_row_is_a_known_kind_and_a_number_a_column_holds(value, found):
    from portal.inputs import tagged_id

    assert tagged_id(value, ("resident", "household")) == found
