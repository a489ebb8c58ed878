"""The boards as villagers and visitors see them: the red and black boards, filters,
paging, counts, entry pages, the home section and the household's account view."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from portal.actions import unit_of_work
from portal.boards import services
from portal.boards.models import Board, BoardEntry, EntryState
from portal.extensions import db
from portal.settings.models import VillageSetting
from tests.boards.conftest import VIEW, black_entry, category, red_entry
from tests.conftest import htmx_headers, login_as
from tests.factories import HouseholdFactory, ResidentFactory, VillageFactory, villager
from tests.statements import statements


def person(village, name):
    household = HouseholdFactory(village=village)
    return household, ResidentFactory(household=household, village=village, name=name)


@pytest.fixture
def red(seeded, committee, at):
    household, resident = person(seeded, "孙红梅")
    return red_entry(seeded, committee, at, "published", household=household, resident=resident)


@pytest.fixture
def black(seeded, committee, second_member, household, subject, at):
    return black_entry(
        seeded, committee, second_member, at, "published", household=household, resident=subject
    )


def board(client, which="red", headers=None, **params):
    return client.get(
        "/v/hubin/boards", query_string={"board": which, **params}, headers=headers or {}
    )


# --- the red board --------------------------------------------------------------------


def test_red_board_is_public_plain_and_htmx(client, red):
    page = board(client)
    assert page.status_code == 200
    assert "孙**" in page.text and "最美家庭" in page.text
    assert "<html" in page.text and 'id="board-list"' in page.text
    assert "no-store" not in page.headers.get("Cache-Control", "")
    assert "X-Robots-Tag" not in page.headers
    partial = board(client, headers=htmx_headers("board-list"))
    assert partial.status_code == 200
    assert "<html" not in partial.text and 'id="board-list"' in partial.text
    assert "孙**" in partial.text
    assert "HX-Request" in partial.headers["Vary"]


def test_the_board_is_red_unless_black_is_asked_for(client, red):
    assert "孙**" in client.get("/v/hubin/boards").text
    assert "孙**" in board(client, "purple").text


def test_an_entry_in_notice_shows_its_badge_and_end(client, seeded, committee, at):
    household, resident = person(seeded, "孙红梅")
    red_entry(seeded, committee, at, "notice", household=household, resident=resident)
    page = board(client).text
    assert "公示中" in page and "公示至" in page


def test_category_filter_plain_and_htmx(client, seeded, committee, at):
    first, one = person(seeded, "孙红梅")
    second, two = person(seeded, "钱志愿")
    red_entry(seeded, committee, at, "published", household=first, resident=one)
    red_entry(
        seeded, committee, at, "published", household=second, resident=two, category_name="志愿服务"
    )
    volunteer = category(seeded, Board.RED, "志愿服务")
    everything = board(client).text
    assert "孙**" in everything and "钱**" in everything
    page = board(client, category=volunteer.id)
    assert "钱**" in page.text and "孙**" not in page.text
    chosen = rf'<a href="/v/hubin/boards\?board=red&amp;category={volunteer.id}"[^>]*aria-current'
    assert re.search(chosen, page.text) and not re.search(chosen, everything)
    partial = board(client, category=volunteer.id, headers=htmx_headers("board-list"))
    assert "钱**" in partial.text and "孙**" not in partial.text and "<html" not in partial.text
    # The filter is a row of plain links, each enhanced with htmx.
    plain = f'href="/v/hubin/boards?board=red&amp;category={volunteer.id}"'
    assert plain in everything
    assert 'hx-target="#board-list"' in everything and 'hx-push-url="true"' in everything


@pytest.mark.parametrize("bad", ["999999", "x", "-1", str(2**70)])
def test_a_bad_or_foreign_category_shows_the_whole_board(client, red, bad):
    page = board(client, category=bad)
    assert page.status_code == 200 and "孙**" in page.text


def test_a_black_category_does_not_filter_the_red_board(client, red, seeded):
    page = board(client, category=category(seeded, Board.BLACK, "乱堆乱放").id)
    assert "孙**" in page.text


def test_paging_a_page_at_a_time(client, seeded, committee, at, monkeypatch):
    from portal.boards import views

    monkeypatch.setattr(views, "PER_PAGE", 2)
    for name in ("孙一", "钱二", "周三"):
        household, resident = person(seeded, name)
        red_entry(seeded, committee, at, "published", household=household, resident=resident)
    first = board(client)
    assert first.text.count('class="notice-item board-entry"') == 2
    assert "page=2" in first.text
    second = board(client, page=2, headers=htmx_headers("board-list"))
    assert second.text.count('class="notice-item board-entry"') == 1
    assert "<html" not in second.text and "page=1" in second.text
    assert board(client, page=99).status_code == 200
    assert board(client, page=str(2**70)).status_code == 200


# --- the black board ------------------------------------------------------------------


def test_black_board_for_a_verified_villager_plain_and_htmx(client, black, neighbour):
    login_as(client, neighbour)
    page = board(client, "black")
    assert page.status_code == 200
    assert "欧阳**" in page.text and "乱堆乱放" in page.text
    assert "欧阳建国" not in page.text and "东街 12 号" not in page.text
    assert page.headers["Cache-Control"] == "no-store"
    assert "noindex" in page.headers["X-Robots-Tag"]
    partial = board(client, "black", headers=htmx_headers("board-list"))
    assert "欧阳**" in partial.text and "<html" not in partial.text
    assert partial.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("who", ["committee", "supervisor"])
def test_the_committee_and_supervisors_read_the_black_board(client, black, request, who):
    login_as(client, request.getfixturevalue(who))
    assert "欧阳**" in board(client, "black").text


def test_a_visitor_is_refused_the_black_board_with_a_login_link(client, black):
    for headers in ({}, htmx_headers("board-list")):
        page = board(client, "black", headers=headers)
        assert page.status_code == 403
        assert "本村已核实的村民" in page.text and "/login?next=" in page.text
        assert "欧阳" not in page.text and "乱堆乱放" not in page.text
        assert page.headers["Cache-Control"] == "no-store"
        assert "noindex" in page.headers["X-Robots-Tag"]


def test_an_outsider_and_an_unverified_account_are_refused_in_words(client, black, seeded):
    from tests.factories import UserFactory

    elsewhere = villager(VillageFactory(slug="shanqian"))
    waiting = UserFactory(village=seeded)
    for user, words in ((elsewhere, "本村已核实的村民"), (waiting, "等村委会核实")):
        login_as(client, user)
        page = board(client, "black")
        assert page.status_code == 403 and words in page.text
        assert "欧阳" not in page.text and "/login?next=" not in page.text
        assert page.headers["Cache-Control"] == "no-store"


def test_counts_mode_shows_only_counts_by_category(client, black, seeded, neighbour):
    db.session.add(VillageSetting(village_id=seeded.id, key="boards.black_display", value="counts"))
    db.session.commit()
    login_as(client, neighbour)
    for headers in ({}, htmx_headers("board-list")):
        page = board(client, "black", headers=headers)
        assert page.status_code == 200
        assert "乱堆乱放" in page.text and "<td>1</td>" in page.text
        assert "欧阳" not in page.text and f"/boards/{black.id}" not in page.text
        assert page.headers["Cache-Control"] == "no-store"


# --- what leaves the board ------------------------------------------------------------


def test_an_expired_entry_leaves_with_no_tick_and_the_get_writes_nothing(
    client, black, neighbour, at
):
    login_as(client, neighbour)
    assert "欧阳**" in board(client, "black").text
    at(black.expires_at + timedelta(seconds=1))
    with statements() as seen:
        page = board(client, "black")
        entry_page = client.get(f"/v/hubin/boards/{black.id}")
    assert "欧阳" not in page.text
    assert entry_page.status_code == 404 and "欧阳" not in entry_page.text
    writes = [s for s in seen if not s.lstrip().lower().startswith("select")]
    assert writes == []
    db.session.rollback()
    assert db.session.get(BoardEntry, black.id).state == EntryState.PUBLISHED


def test_the_red_entry_expires_on_its_date(client, red, at):
    at(red.expires_at - timedelta(seconds=1))
    assert "孙**" in board(client).text
    at(red.expires_at)
    assert "孙**" not in board(client).text
    assert client.get(f"/v/hubin/boards/{red.id}").status_code == 404


def test_a_withdrawn_entry_leaves(client, black, committee, neighbour):
    with unit_of_work():
        services.withdraw(committee, black, "申诉成立。")
    login_as(client, neighbour)
    assert "欧阳" not in board(client, "black").text
    assert client.get(f"/v/hubin/boards/{black.id}").status_code == 404


@pytest.mark.parametrize("state", ["warned", "put_right", "declined", "frozen"])
def test_unlisted_black_entries_never_show(
    client, seeded, committee, second_member, household, subject, neighbour, at, state
):
    entry = black_entry(
        seeded, committee, second_member, at, state, household=household, resident=subject
    )
    for user in (neighbour, committee):
        login_as(client, user)
        assert "欧阳" not in board(client, "black").text
        page = client.get(f"/v/hubin/boards/{entry.id}")
        assert page.status_code == 404 and "欧阳" not in page.text


# --- entry pages ----------------------------------------------------------------------


def test_red_entry_page_plain_and_htmx(client, red, articles):
    page = client.get(f"/v/hubin/boards/{red.id}")
    assert page.status_code == 200
    assert "孙**" in page.text and "家庭和睦" in page.text and "最美家庭" in page.text
    assert "no-store" not in page.headers.get("Cache-Control", "")
    boosted = client.get(f"/v/hubin/boards/{red.id}", headers=htmx_headers())
    assert boosted.status_code == 200 and "孙**" in boosted.text


def test_black_entry_page_shows_its_article_period_and_objection_form(
    client, seeded, committee, second_member, household, subject, neighbour, at, articles
):
    entry = black_entry(
        seeded,
        committee,
        second_member,
        at,
        "notice",
        household=household,
        resident=subject,
        description="第一段事实。\n\n第二段事实。",
    )
    login_as(client, neighbour)
    page = client.get(f"/v/hubin/boards/{entry.id}")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert "noindex" in page.headers["X-Robots-Tag"]
    assert "欧阳**" in page.text and "欧阳建国" not in page.text and "东街" not in page.text
    assert "<p>第一段事实。</p>" in page.text and "<p>第二段事实。</p>" in page.text
    assert "环境卫生" in page.text and "/v/hubin/rules/" in page.text and "#article-1" in page.text
    assert "公示期：" in page.text
    assert 'action="/v/hubin/publicity/' in page.text
    assert f'name="next" value="/v/hubin/boards/{entry.id}"' in page.text
    htmx = client.get(f"/v/hubin/boards/{entry.id}", headers=htmx_headers())
    assert htmx.status_code == 200 and htmx.headers["Cache-Control"] == "no-store"


def test_an_objection_from_the_entry_page_returns_to_it(
    client, seeded, committee, second_member, household, subject, neighbour, at
):
    from portal.publicity import services as publicity

    entry = black_entry(
        seeded, committee, second_member, at, "notice", household=household, resident=subject
    )
    period = publicity.period_for(services.SUBJECT, entry.id)
    login_as(client, neighbour)
    answer = client.post(
        f"/v/hubin/publicity/{period.id}/objections",
        data={"reason": "这户已经清理干净了。", "next": f"/v/hubin/boards/{entry.id}"},
    )
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith(f"/v/hubin/boards/{entry.id}")
    assert "您提出的异议" in client.get(f"/v/hubin/boards/{entry.id}").text


def test_a_visitor_is_refused_a_black_entry_without_its_data(client, black):
    for headers in ({}, htmx_headers()):
        page = client.get(f"/v/hubin/boards/{black.id}", headers=headers)
        assert page.status_code == 403
        assert "欧阳" not in page.text and "柴草" not in page.text
        assert page.headers["Cache-Control"] == "no-store"
        assert "noindex" in page.headers["X-Robots-Tag"]


def test_another_villages_entry_is_404(client, red):
    VillageFactory(slug="shanqian")
    assert client.get(f"/v/shanqian/boards/{red.id}").status_code == 404
    assert client.get("/v/hubin/boards/999999").status_code == 404


def test_photo_served_with_the_entry_rule(client, black, neighbour, app):
    black.photo_stored_name = "0" * 32 + ".png"
    black.photo_content_type = "image/png"
    black.photo_caption = "村道旁的柴草"
    db.session.commit()
    folder = services.BOARD_PHOTOS.directory()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / black.photo_stored_name).write_bytes(b"\x89PNG\r\n\x1a\nfake")
    url = f"/v/hubin/boards/{black.id}/photo"
    assert client.get(url).status_code == 404
    login_as(client, neighbour)
    photo = client.get(url)
    assert photo.status_code == 200 and photo.data.startswith(b"\x89PNG")
    assert photo.headers["Cache-Control"] == "no-store"
    assert "noindex" in photo.headers["X-Robots-Tag"]
    page = client.get(f"/v/hubin/boards/{black.id}").text
    assert 'alt="村道旁的柴草"' in page and url in page


def test_an_entry_without_a_photo_has_none(client, red):
    assert client.get(f"/v/hubin/boards/{red.id}/photo").status_code == 404


# --- the village home and navigation --------------------------------------------------


def test_home_shows_the_red_board_only_when_it_has_entries(client, seeded, committee, at):
    at(VIEW)
    assert "home-boards-heading" not in client.get("/v/hubin/").text
    household, resident = person(seeded, "孙红梅")
    red_entry(seeded, committee, at, "published", household=household, resident=resident)
    home = client.get("/v/hubin/").text
    assert "home-boards-heading" in home and "孙**" in home and "/v/hubin/boards" in home


def test_home_never_shows_the_black_board(client, black, neighbour):
    for user in (None, neighbour):
        if user:
            login_as(client, user)
        home = client.get("/v/hubin/").text
        assert "欧阳" not in home and "home-boards-heading" not in home


def test_the_navigation_offers_the_boards_at_no_cost(client, seeded):
    VillageFactory(slug="bare")
    client.get("/v/bare/notices")
    with statements() as seen:
        page = client.get("/v/bare/notices").text
    assert 'href="/v/bare/boards"' in page
    assert not any("board_category" in s or "board_entry" in s for s in seen)
    assert client.get("/v/bare/boards").status_code == 200


# --- the household's account page -----------------------------------------------------


def test_household_sees_every_entry_about_it_in_every_state(
    client, seeded, committee, second_member, household, subject, subject_user, at
):
    states = ("warned", "put_right", "notice", "published", "expired", "withdrawn")
    entries = {
        state: black_entry(
            seeded,
            committee,
            second_member,
            at,
            state,
            household=household,
            resident=subject,
            description=f"事实{state}",
        )
        for state in states
    }
    login_as(client, subject_user)
    page = client.get("/account").text
    assert "红黑榜上关于我家的记录" in page
    for state in states:
        assert f"事实{state}" in page
    assert "欧阳建国" in page
    for label in (
        "已提醒，整改期内",
        "已按期整改，不列入",
        "公示中",
        "已公布",
        "已到期撤下",
        "已撤销",
    ):
        assert label in page, label
    assert f"/v/hubin/boards/{entries['warned'].id}/slip" in page
    assert "整改期限" in page and "撤下" in page
    assert f'href="/v/hubin/boards/{entries["published"].id}"' in page
    assert f'href="/v/hubin/boards/{entries["withdrawn"].id}"' not in page


def test_account_shows_nothing_of_boards_to_others(client, black, neighbour):
    login_as(client, neighbour)
    page = client.get("/account").text
    assert "红黑榜上关于我家的记录" not in page and "欧阳" not in page


def test_the_board_costs_the_same_for_few_and_many_households(client, seeded, committee, at):
    def add(n):
        for i in range(n):
            household = HouseholdFactory(village=seeded)
            ResidentFactory(household=household, name=f"孙家{i}号人")
            red_entry(seeded, committee, at, "published", household=household, resident=None)

    add(2)
    board(client)
    with statements() as few:
        board(client)
    add(8)
    with statements() as many:
        board(client)
    assert len(many) == len(few)
