"""Nominations as villagers and visitors read them: the honour roll with its tabs,
filters and pages, a nomination's page (the count, never who endorsed; the reason only
for the nominator's household and the committee; 公示 with the objection form; the
photo), the village home's section and the account page's."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from portal.actions import unit_of_work
from portal.extensions import db
from portal.nominations import services, views
from portal.nominations.models import Nomination
from portal.publicity import services as publicity
from tests.conftest import htmx_headers, login_as
from tests.factories import HouseholdFactory, ResidentFactory, VillageFactory, villager
from tests.nominations.conftest import START, category, nominate
from tests.statements import statements

DAY = timedelta(days=1)


def touches_nominations(statement: str) -> bool:
    return re.search(r"(?<![\w.])nomination\.\w", statement) is not None


def words(html: str) -> str:
    """A page's text without its tags (counts and dates are wrapped to keep together)."""
    return re.sub(r"<[^>]+>", "", html)


def endorse_all(nomination, users):
    for user in users:
        with unit_of_work():
            services.endorse(user, nomination)


def in_notice(nomination, endorsers, committee):
    endorse_all(nomination, endorsers[:3])
    with unit_of_work():
        services.accept(committee, nomination)
    return nomination


def commended(nomination, endorsers, committee, at):
    in_notice(nomination, endorsers, committee)
    at(START + 8 * DAY)
    with unit_of_work():
        services.commend(committee, nomination)
    return nomination


def person(village, name):
    household = HouseholdFactory(village=village, door_number=f"{name}门牌 9 号")
    return ResidentFactory(household=household, village=village, name=name)


@pytest.fixture
def app_config(tmp_path) -> dict:
    return {"UPLOAD_DIR": str(tmp_path / "uploads")}


@pytest.fixture
def nomination(village, nominator, nominee, now):
    return nominate(nominator, village, nominee)


def roll(client, headers=None, **params):
    return client.get("/v/hubin/nominations", query_string=params, headers=headers or {})


# --- the honour roll ------------------------------------------------------------------


def test_the_roll_is_public_plain_and_htmx(client, nomination):
    page = roll(client)
    assert page.status_code == 200
    assert "<html" in page.text and 'id="nomination-list"' in page.text
    assert "欧阳**" in page.text and "欧阳娜娜" not in page.text
    assert "西街 8 号" not in page.text
    assert "助人为乐" in page.text and "冒雨" in page.text
    assert "0 位村民联名" in words(page.text) and "征集联名中" in page.text
    assert "2026年11月20日" in words(page.text)
    assert 'href="/v/hubin/nominations/new"' in page.text and "我要推荐" in page.text
    # A visitor's page mints no token and starts no session: cacheable.
    assert "csrf" not in page.text.lower() and "Set-Cookie" not in page.headers
    assert "no-store" not in page.headers.get("Cache-Control", "")
    partial = roll(client, htmx_headers("nomination-list"))
    assert partial.status_code == 200
    assert "<html" not in partial.text and 'id="nomination-list"' in partial.text
    assert "欧阳**" in partial.text
    assert "HX-Request" in partial.headers["Vary"]


def test_tabs_show_open_notice_and_commended(
    client, village, nominator, nominee, endorsers, committee, now, at
):
    waiting = nominate(nominator, village, nominee, story="等联名的事迹。")
    second = person(village, "孙红梅")
    in_notice(nominate(nominator, village, second, story="公示的事迹。"), endorsers, committee)
    third = person(village, "周大海")
    commended(nominate(nominator, village, third, story="评上的事迹。"), endorsers, committee, at)
    assert waiting.state.value == "submitted"
    page = roll(client).text
    assert all(s in page for s in ("等联名的事迹", "公示的事迹", "评上的事迹"))
    for tab, shown, hidden in (
        ("open", "等联名的事迹", ("公示的事迹", "评上的事迹")),
        ("notice", "公示的事迹", ("等联名的事迹", "评上的事迹")),
        ("commended", "评上的事迹", ("等联名的事迹", "公示的事迹")),
    ):
        for headers in (None, htmx_headers("nomination-list")):
            text = roll(client, headers, state=tab).text
            assert shown in text and not any(h in text for h in hidden), tab
            assert 'aria-current="page"' in text
    assert "已评为好人" in roll(client, state="commended").text
    assert "公示中" in roll(client, state="notice").text


def test_category_and_year_filters_plain_and_htmx(client, village, nominator, nominee, now):
    nominate(nominator, village, nominee, story="帮人的事。")
    other = person(village, "孙红梅")
    nominate(nominator, village, other, "孝老爱亲", story="孝敬老人。", deed_on=date(2025, 3, 1))
    filial = category(village, "孝老爱亲").id
    for headers in (None, htmx_headers("nomination-list")):
        text = roll(client, headers, category=filial).text
        assert "孝敬老人" in text and "帮人的事" not in text
        text = roll(client, headers, year=2025).text
        assert "孝敬老人" in text and "帮人的事" not in text
        text = roll(client, headers, year=2026, category=filial).text
        assert "这里现在没有推荐" in text


@pytest.mark.parametrize("bad", ["abc", "99999", "-1", "1' or '1'='1", "1900"])
def test_bad_filters_show_the_whole_roll(client, nomination, bad):
    for key in ("state", "category", "year", "page"):
        page = roll(client, **{key: bad})
        assert page.status_code == 200, (key, bad)
        if key != "page":
            assert "欧阳**" in page.text


def test_another_villages_category_does_not_filter(client, nomination):
    elsewhere = VillageFactory(slug="shanqian")
    with unit_of_work():
        services.seed_categories(elsewhere)
    page = roll(client, category=category(elsewhere, "助人为乐").id)
    assert "欧阳**" in page.text


def test_paging_a_page_at_a_time(client, village, nominator, monkeypatch, now):
    monkeypatch.setattr(views, "PER_PAGE", 2)
    for i in range(3):
        nominate(villager(village), village, person(village, f"孙家{i}"), story=f"第{i}件事。")
    first = roll(client).text
    assert 'rel="next"' in first and "第 1 页，共 2 页" in words(first)
    second = roll(client, htmx_headers("nomination-list"), page=2)
    assert "<html" not in second.text and 'rel="prev"' in second.text
    assert "第0件事" in second.text and "第2件事" not in second.text


def test_the_roll_costs_the_same_for_few_and_many(client, village, now):
    def add(n, start):
        for i in range(start, start + n):
            user = villager(village)
            if i % 2:
                nominate(user, village, None, own_household=True, story=f"全户的事{i}。")
            else:
                nominate(user, village, person(village, f"孙家{i}"), story=f"事{i}。")

    add(2, 0)
    roll(client)
    with statements() as few:
        roll(client)
    add(8, 2)
    with statements() as many:
        page = roll(client)
    assert len(many) == len(few)
    assert "全户的事" in page.text and "家</a>" in page.text


# --- a nomination's page --------------------------------------------------------------


def show(client, nomination, headers=None):
    return client.get(f"/v/hubin/nominations/{nomination.id}", headers=headers or {})


def test_the_page_is_public_plain_and_htmx(client, nomination):
    nomination.story = "第一段。\n\n第二段。"
    db.session.commit()
    page = show(client, nomination)
    assert page.status_code == 200
    assert "<p>第一段。</p>" in page.text and "<p>第二段。</p>" in page.text
    assert "欧阳**" in page.text and "欧阳娜娜" not in page.text and "西街" not in page.text
    assert "陈某" in page.text and "陈建国" not in page.text
    assert "助人为乐" in page.text and "2026年11月20日" in words(page.text)
    assert "登录后可以联名" in page.text and "csrf" not in page.text.lower()
    assert "no-store" not in page.headers.get("Cache-Control", "")
    block = show(client, nomination, htmx_headers(f"endorse-{nomination.id}"))
    assert "<html" not in block.text and f'id="endorse-{nomination.id}"' in block.text
    assert "还差 3 位" in words(block.text)
    count = show(client, nomination, htmx_headers(f"endorsement-count-{nomination.id}"))
    assert "<html" not in count.text and "0 位村民联名" in words(count.text)
    assert 'hx-trigger="endorsements-changed from:body"' in count.text


def test_a_paper_nomination_says_only_villager(client, village, committee, nominee, now):
    paper_nominator = ResidentFactory(village=village, name="刘纸条")
    with unit_of_work():
        found = services.nominate_on_paper(
            committee,
            village,
            nominator_resident_id=paper_nominator.id,
            category_id=category(village, "助人为乐").id,
            nominee_resident_id=nominee.id,
            story="纸上的推荐。",
            deed_on=date(2026, 11, 1),
        )
    page = show(client, found).text
    assert "村民推荐" in page and "刘" not in page


def test_endorsers_are_never_named_in_public(client, nomination, endorsers, nominator):
    endorse_all(nomination, endorsers[:2])
    names = [e.name for e in endorsers[:2]] + ["李*", "王*", "李某", "王某"]
    for user in (None, nominator, endorsers[3]):
        if user is not None:
            login_as(client, user)
        for text in (show(client, nomination).text, roll(client).text):
            assert "2 位村民联名" in words(text)
            assert not any(name in text for name in names), user


def test_withdrawn_is_404_except_for_the_nominator_and_committee(
    client, nomination, nominator, committee, endorsers
):
    with unit_of_work():
        services.withdraw(nominator, nomination)
    assert show(client, nomination).status_code == 404
    login_as(client, endorsers[0])
    assert show(client, nomination).status_code == 404
    assert "欧阳**" not in roll(client).text
    for user in (nominator, committee):
        login_as(client, user)
        page = show(client, nomination)
        assert page.status_code == 200 and "已撤回" in page.text
        assert page.headers["Cache-Control"] == "no-store"


def test_the_reason_is_for_the_nominators_household_and_the_committee(
    client, village, nomination, nominator, committee, supervisor, endorsers
):
    with unit_of_work():
        services.reject(committee, nomination, "事迹与类别不符，建议改报其他类别。")
    spouse = villager(village, household=nominator.resident.household, name="陈妻")
    for user in (None, endorsers[0]):
        if user is not None:
            login_as(client, user)
        page = show(client, nomination)
        assert page.status_code == 200 and "未评选" in page.text
        assert "事迹与类别不符" not in page.text
    for user in (nominator, spouse, committee, supervisor):
        login_as(client, user)
        page = show(client, nomination)
        assert "事迹与类别不符" in page.text, user
        assert "noindex" in page.headers["X-Robots-Tag"]


def test_in_notice_the_period_and_objection_form(client, nomination, endorsers, committee):
    in_notice(nomination, endorsers, committee)
    page = show(client, nomination).text
    assert "公示期：" in words(page) and "登录后可以提出异议" in page
    assert "这条推荐已经不再征集联名" in page
    login_as(client, endorsers[3])
    page = show(client, nomination).text
    period = publicity.period_for(services.SUBJECT, nomination.id)
    assert f"/v/hubin/publicity/{period.id}/objections" in page
    assert f'name="next" value="/v/hubin/nominations/{nomination.id}"' in page


def test_another_villages_nomination_is_404(client, nomination):
    VillageFactory(slug="shanqian")
    assert client.get(f"/v/shanqian/nominations/{nomination.id}").status_code == 404
    assert client.get("/v/hubin/nominations/999999").status_code == 404
    assert client.get(f"/v/shanqian/nominations/{nomination.id}/photo").status_code == 404


def _with_photo(app, nomination):
    nomination.photo_stored_name = "0" * 32 + ".png"
    nomination.photo_content_type = "image/png"
    nomination.photo_caption = "雨夜背老人"
    db.session.commit()
    folder = services.NOMINATION_PHOTOS.directory()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / nomination.photo_stored_name).write_bytes(b"\x89PNG\r\n\x1a\nfake")


def test_photo_public_while_the_nomination_is(client, app, nomination, committee, nominator):
    _with_photo(app, nomination)
    url = f"/v/hubin/nominations/{nomination.id}/photo"
    photo = client.get(url)
    assert photo.status_code == 200 and photo.data.startswith(b"\x89PNG")
    page = show(client, nomination).text
    assert 'alt="雨夜背老人"' in page and url in page
    with unit_of_work():
        services.reject(committee, nomination, "不符合。")
    assert client.get(url).status_code == 404
    assert url not in show(client, nomination).text
    login_as(client, nominator)
    private = client.get(url)
    assert private.status_code == 200 and private.headers["Cache-Control"] == "no-store"


def test_no_photo_is_404(client, nomination):
    assert client.get(f"/v/hubin/nominations/{nomination.id}/photo").status_code == 404


# --- the village home -----------------------------------------------------------------


def test_home_shows_commended_nominees_only_when_there_are_some(
    client, village, nomination, endorsers, committee, at
):
    assert "home-nominations-heading" not in client.get("/v/hubin/").text
    commended(nomination, endorsers, committee, at)
    home = client.get("/v/hubin/").text
    assert "home-nominations-heading" in home and "欧阳**" in home
    assert f"/v/hubin/nominations/{nomination.id}" in home and "欧阳娜娜" not in home


def test_home_section_costs_one_statement_whatever_the_rows(
    client, village, nominator, endorsers, committee, at, now
):
    client.get("/v/hubin/")
    with statements() as none:
        client.get("/v/hubin/")
    commended(nominate(nominator, village, person(village, "孙一")), endorsers, committee, at)
    with statements() as one:
        client.get("/v/hubin/")
    for i in range(3):
        at(START)
        found = nominate(villager(village), village, None, own_household=True, story=f"事{i}")
        commended(found, endorsers, committee, at)
    with statements() as many:
        home = client.get("/v/hubin/").text
    assert len(none) == len(one) == len(many)
    assert sum(touches_nominations(s) for s in many) == 1
    assert "家</a>" in home


# --- the account page -----------------------------------------------------------------


def test_account_shows_the_households_nominations_and_the_users_own(
    client, village, nomination, nominator, nominee, committee
):
    nominee_user = villager(village, household=nominee.household, name="欧阳大伯")
    own = nominate(nominator, village, None, own_household=True, story="自家的事。")
    with unit_of_work():
        services.reject(committee, own, "不够具体。")
    login_as(client, nominator)
    page = client.get("/account").text
    assert "我推荐的" in page and "不够具体" in page and "未评选" in page
    assert "征集联名中" in page and f"/v/hubin/nominations/{nomination.id}" in page
    login_as(client, nominee_user)
    page = client.get("/account").text
    assert "推荐我家的" in page and "欧阳**" in page
    assert "我推荐的" not in page and "不够具体" not in page


def test_account_costs_one_statement_and_nothing_without_a_resident(
    client, village, nominator, committee, now
):
    login_as(client, committee)
    client.get("/account")
    with statements() as seen:
        page = client.get("/account").text
    assert not any(touches_nominations(s) for s in seen) and "推荐我家的" not in page
    login_as(client, nominator)
    nominate(nominator, village, person(village, "孙家"))
    client.get("/account")
    with statements() as few:
        client.get("/account")
    for i in range(2):
        nominate(nominator, village, person(village, f"孙家{i}"))
    with statements() as many:
        page = client.get("/account").text
    assert len(few) == len(many) and "孙家1" not in page
    assert sum(touches_nominations(s) for s in many) == 1


def test_the_navigation_costs_nothing(client, village):
    client.get("/v/hubin/notices")
    with statements() as seen:
        page = client.get("/v/hubin/notices").text
    assert 'href="/v/hubin/nominations"' in page
    assert not any(touches_nominations(s) for s in seen)


def test_a_get_writes_nothing(client, nomination, nominator):
    before = db.session.scalar(db.select(db.func.count()).select_from(Nomination))
    login_as(client, nominator)
    for url in (
        "/v/hubin/nominations",
        f"/v/hubin/nominations/{nomination.id}",
        "/v/hubin/nominations/new?q=欧阳",
        "/account",
    ):
        with statements() as seen:
            assert client.get(url).status_code == 200
        assert not any(s.lstrip().lower().startswith(("insert", "update", "delete")) for s in seen)
    assert db.session.scalar(db.select(db.func.count()).select_from(Nomination)) == before
