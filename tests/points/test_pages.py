"""积分 as villagers and visitors read it: the index (积分细则 by category, the leaderboard a
page at a time, plain and htmx, the entries in 公示 with the way to object, the links
each person has), one entry's page and its photo, the village home's 积分榜, and the
pages in English. A visitor never sees a full name or a door number."""

from __future__ import annotations

import gzip
import re
from datetime import timedelta

import pytest

from portal.actions import unit_of_work
from portal.extensions import db
from portal.points import services
from portal.points.models import PointsEntry
from portal.publicity import services as publicity
from tests.conftest import htmx_headers, login_as
from tests.factories import HouseholdFactory, ResidentFactory, VillageFactory, villager
from tests.points.conftest import START, approve, award, item, record
from tests.statements import statements
from tests.test_english import assert_reads_as_english, english

DAY = timedelta(days=1)
DOORS = ("东街", "西街")


def words(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def flat(html: str) -> str:
    """The text without tags or spaces (figures are wrapped to keep together)."""
    return re.sub(r"\s+", "", re.sub(r"<[^>]+>", "", html))


def no_door(html: str) -> bool:
    return not any(door in html for door in DOORS)


@pytest.fixture
def app_config(tmp_path) -> dict:
    return {"UPLOAD_DIR": str(tmp_path / "uploads")}


@pytest.fixture
def heads(households, resident_user):
    """A head for each household: 陈建国 (the resident user's), 周大海, 欧阳娜娜, 孙红梅."""
    for household, name in zip(households[1:], ("周大海", "欧阳娜娜", "孙红梅"), strict=True):
        ResidentFactory(household=household, name=name)
    return households


@pytest.fixture
def noticed(village, heads, committee, grid_worker):
    """The first household has 20 points; the second an entry in 公示 with a note."""
    award(grid_worker, committee, village, heads[0], "G04")
    entry = record(grid_worker, village, heads[1], "G08", note="帮周家修了屋顶")
    approve(committee, village, entry)
    return entry


# --- the index ------------------------------------------------------------------------


def test_the_index_is_public_plain_and_htmx(client, village, noticed):
    page = client.get("/v/hubin/points")
    assert page.status_code == 200
    text = page.text
    assert "积分细则" in text and "基础积分" in text and "贡献积分" in text
    assert "J01" in text and "门前三包落实" in text and "第五条" in text
    assert "每户每月最多5分" in flat(text) and "-30分" in flat(text)
    assert "陈**" in text and "周**" in text and "陈建国" not in text and "周大海" not in text
    assert no_door(text) and "帮周家修了屋顶" not in text
    assert "csrf" not in text.lower() and "Set-Cookie" not in page.headers
    assert "no-store" not in page.headers.get("Cache-Control", "")
    partial = client.get("/v/hubin/points", headers=htmx_headers("points-board"))
    assert partial.status_code == 200 and "<html" not in partial.text
    assert 'id="points-board"' in partial.text and "陈**" in partial.text
    assert "积分细则" not in partial.text and no_door(partial.text)
    assert "HX-Request" in partial.headers["Vary"]
    assert len(gzip.compress(partial.data)) <= 4096


def test_a_retired_item_is_not_listed(client, village, committee):
    with unit_of_work():
        services.retire_item(committee, village, item(village, "J01"))
    text = client.get("/v/hubin/points").text
    assert "门前三包落实" not in text and "垃圾分类投放正确" in text


def test_the_entries_in_notice_link_to_the_objection_page(client, village, noticed):
    period = publicity.period_for(services.SUBJECT, noticed.id)
    text = client.get("/v/hubin/points").text
    assert f"/v/hubin/points/entries/{noticed.id}" in text
    assert f"/v/hubin/publicity/{period.id}" in text and "提出异议" in text
    assert "公示至2026年6月13日" in flat(text)


def test_the_board_ranks_by_final_balance(client, village, noticed, heads, committee, at):
    text = words(client.get("/v/hubin/points").text)
    assert re.search(r"1 陈\*\* 20 分", text)
    # The entry in 公示 counts once its 公示 is over, before anything is written.
    at(START + 4 * DAY)
    text = words(client.get("/v/hubin/points").text)
    assert re.search(r"1 周\*\* 30 分 2 陈\*\* 20 分", text), text


def test_the_board_pages_plain_and_htmx(client, village, heads):
    for i in range(25):
        ResidentFactory(household=HouseholdFactory(village=village), name=f"吴{i}")
    first = client.get("/v/hubin/points").text
    assert 'rel="next"' in first and 'rel="prev"' not in first
    for headers in (None, htmx_headers("points-board")):
        second = client.get("/v/hubin/points?page=2", headers=headers or {})
        assert second.status_code == 200
        assert 'rel="prev"' in second.text and 'rel="next"' not in second.text
        assert "第2页，共2页" in flat(second.text) and ">21</td>" in second.text
    for bad in ("abc", "-1", "99999999999", "1'--"):
        assert client.get(f"/v/hubin/points?page={bad}").status_code == 200


def test_the_index_costs_the_same_for_few_and_many(
    client, village, noticed, committee, second_member
):
    def cost() -> int:
        client.get("/v/hubin/points")
        with statements() as seen:
            client.get("/v/hubin/points")
        return len(seen)

    few = cost()
    for _i in range(6):
        household = HouseholdFactory(village=village)
        ResidentFactory(household=household)
        approve(second_member, village, record(committee, village, household, "G04"))
    many = cost()
    print(f"points index, visitor: {few} statements")
    assert many == few == INDEX_STATEMENTS


# The village; the leaderboard and its count; the entries in 公示 (with their items and
# households); their periods and objection counts; the heads; the catalogue.
INDEX_STATEMENTS = 8


def test_each_person_has_their_links(app, client, village, heads, resident_user, committee):
    views = app.view_functions
    visitor = client.get("/v/hubin/points").text
    assert "我的积分" not in visitor and "申报积分" not in visitor and "记录积分" not in visitor
    assert ("积分超市" in visitor) == ("shop.index" in views)
    login_as(client, resident_user)
    response = client.get("/v/hubin/points")
    assert response.headers["Cache-Control"] == "no-store"  # a logged-in variant
    mine = response.text
    assert f'href="/v/hubin/points/households/{heads[0].id}">我的积分' in mine
    assert ("申报积分" in mine) == ("points_console.declare" in views)
    assert "记录积分" not in mine
    login_as(client, committee)
    clerk = client.get("/v/hubin/points").text
    assert ("记录积分" in clerk) == ("points_console.record" in views)
    assert clerk.count("我的积分") == 1  # the committee member is a villager of their own


# --- one entry ------------------------------------------------------------------------


def entry_url(entry, slug="hubin"):
    return f"/v/{slug}/points/entries/{entry.id}"


def test_an_entry_in_notice_is_public_and_masked(client, village, noticed):
    page = client.get(entry_url(noticed))
    assert page.status_code == 200
    text = page.text
    assert "周**" in text and "周大海" not in text and no_door(text)
    assert "被评为县级以上先进个人或家庭" in text and "+30 分" in words(text)
    assert "公示中" in text and "公示至 2026年6月13日" in words(text)
    assert "0条，其中0条等待答复" in flat(text)
    period = publicity.period_for(services.SUBJECT, noticed.id)
    assert f"/v/hubin/publicity/{period.id}" in text
    assert "帮周家修了屋顶" not in text and "张网格" not in text and "网格员记录" not in text
    assert "no-store" not in page.headers.get("Cache-Control", "")


def test_the_committee_sees_who_recorded_it(client, village, noticed, committee, supervisor):
    for user in (committee, supervisor):
        login_as(client, user)
        page = client.get(entry_url(noticed))
        text = page.text
        assert "张网格" in text and "网格员记录" in text and "帮周家修了屋顶" in text
        assert "王主任" in text and "周大海" in text and "东街 2 号" in text
        assert page.headers["Cache-Control"] == "no-store"


def test_a_pending_or_rejected_entry_is_for_the_household_and_committee(
    client, village, heads, resident_user, committee, second_member, grid_worker
):
    pending = record(grid_worker, village, heads[0], "G04", note="扶老人过河")
    rejected = record(grid_worker, village, heads[0], "G08")
    with unit_of_work():
        services.reject(second_member, village, rejected, "没有证明材料")
    for entry in (pending, rejected):
        assert client.get(entry_url(entry)).status_code == 404
    login_as(client, villager(village, name="李四"))
    for entry in (pending, rejected):
        assert client.get(entry_url(entry)).status_code == 404
    for user in (resident_user, committee):
        login_as(client, user)
        assert "待审核" in client.get(entry_url(pending)).text
        text = client.get(entry_url(rejected)).text
        assert "未通过" in text and "没有证明材料" in text


def test_an_entry_of_another_village_is_404(client, village, noticed):
    VillageFactory(slug="shanqian")
    assert client.get(entry_url(noticed, "shanqian")).status_code == 404
    assert client.get("/v/hubin/points/entries/999999").status_code == 404


def test_a_final_entry_says_so(client, village, noticed, at):
    period = publicity.period_for(services.SUBJECT, noticed.id)
    at(START + 4 * DAY)
    for written in (False, True):
        if written:
            with unit_of_work():
                services.post_due(household_ids=[noticed.household_id])
            assert db.session.get(PointsEntry, noticed.id).state.value == "final"
        text = client.get(entry_url(noticed)).text
        assert "已生效" in text and "公示期已经结束" in text and "公示中" not in text
        assert f"/v/hubin/publicity/{period.id}" in text and "提出异议" not in text


def test_an_entry_waiting_for_an_answer_says_so(client, village, noticed, at):
    period = publicity.period_for(services.SUBJECT, noticed.id)
    objector = villager(village, name="钱多多")
    with unit_of_work():
        publicity.object_online(objector, period, "他家那天不在村里")
    at(START + 4 * DAY)
    text = client.get(entry_url(noticed)).text
    assert "公示期满，等待答复异议" in text and "1条，其中1条等待答复" in flat(text)
    assert "钱多多" not in text and "他家那天不在村里" not in text
    index = client.get("/v/hubin/points").text
    assert f"/v/hubin/points/entries/{noticed.id}" in index  # still in 公示 until answered


def _with_photo(entry):
    entry.photo_stored_name = "0" * 32 + ".png"
    entry.photo_content_type = "image/png"
    db.session.commit()
    folder = services.ENTRY_PHOTOS.directory()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / entry.photo_stored_name).write_bytes(b"\x89PNG\r\n\x1a\nfake")


def test_the_photo_is_for_the_household_and_committee(client, village, noticed, committee):
    _with_photo(noticed)
    photo = f"{entry_url(noticed)}/photo"
    assert client.get(photo).status_code == 404
    assert photo not in client.get(entry_url(noticed)).text
    household_member = villager(village, household=noticed.household, name="周小海")
    for user in (committee, household_member):
        login_as(client, user)
        assert photo in client.get(entry_url(noticed)).text
        found = client.get(photo)
        assert found.status_code == 200 and found.data.startswith(b"\x89PNG")
        assert found.headers["Cache-Control"] == "no-store"
    login_as(client, villager(village, name="李四"))
    assert client.get(photo).status_code == 404


def test_no_photo_is_404(client, village, noticed, committee):
    login_as(client, committee)
    assert client.get(f"{entry_url(noticed)}/photo").status_code == 404


# --- the village home -----------------------------------------------------------------


def test_home_shows_the_leaders_once_there_are_accounts(
    client, village, heads, committee, grid_worker
):
    assert "home-points-heading" not in client.get("/v/hubin/").text
    award(grid_worker, committee, village, heads[0], "G04")
    home = client.get("/v/hubin/").text
    assert "home-points-heading" in home and "陈**" in home and "20分" in flat(home)
    assert "陈建国" not in home and no_door(home)
    assert f"/v/hubin/points/households/{heads[0].id}" in home and "/v/hubin/points" in home


def test_home_shows_five_at_most_in_one_statement(client, village, committee, second_member):
    def touches_points(statement: str) -> bool:
        return "points_account" in statement

    client.get("/v/hubin/")
    with statements() as none:
        client.get("/v/hubin/")
    for i in range(7):
        household = HouseholdFactory(village=village)
        ResidentFactory(household=household, name=f"吴{i}")
        entry = record(committee, village, household, "G04")
        approve(second_member, village, entry, now=START - 5 * DAY)
        with unit_of_work():
            services.post_due(household_ids=[household.id])
    with statements() as many:
        home = client.get("/v/hubin/").text
    assert len(none) == len(many)
    assert sum(touches_points(s) for s in many) == 1
    section = home.split('id="home-points-heading"')[1].split("</section>")[0]
    assert section.count("<li") == 5


# --- English --------------------------------------------------------------------------


def test_the_points_pages_read_as_english(app, client, village, noticed, heads, committee):
    paths = (
        "/v/hubin/points",
        f"/v/hubin/points/households/{heads[0].id}",
        f"/v/hubin/points/entries/{noticed.id}",
        "/v/hubin/",
    )
    for path in paths:
        assert_reads_as_english(english(client, path), path)
    login_as(client, committee)
    for path in (*paths, f"/v/hubin/points/households/{heads[0].id}/card"):
        assert_reads_as_english(english(client, path), path)


def test_a_get_writes_nothing(client, village, noticed, heads, resident_user):
    before = db.session.scalar(db.select(db.func.count()).select_from(PointsEntry))
    login_as(client, resident_user)
    for path in (
        "/v/hubin/points",
        f"/v/hubin/points/households/{heads[0].id}",
        f"/v/hubin/points/households/{heads[0].id}/card",
        f"/v/hubin/points/entries/{noticed.id}",
    ):
        with statements() as seen:
            assert client.get(path).status_code == 200, path
        assert not any(s.lstrip().lower().startswith(("insert", "update", "delete")) for s in seen)
    assert db.session.scalar(db.select(db.func.count()).select_from(PointsEntry)) == before


def test_the_entry_page_costs_the_same_for_few_and_many(
    app, client, village, noticed, heads, committee, second_member
):
    address = entry_url(noticed)
    login_as(client, committee)
    visitor = app.test_client()

    def cost(who) -> int:
        who.get(address)
        with statements() as seen:
            assert who.get(address).status_code == 200
        return len(seen)

    few = (cost(visitor), cost(client))
    for _i in range(4):
        approve(second_member, village, record(committee, village, heads[1], "G04"))
    for _i in range(3):
        villager(village, household=heads[1])
    assert (cost(visitor), cost(client)) == few == ENTRY_STATEMENTS
    print(f"points entry page: visitor {few[0]}, committee {few[1]} statements")


# A visitor: the village; the entry with its item and household; its 公示 and that
# period's objection counts; the head. The committee: and the user, their roles and the
# recorder (the approver is the committee member themselves here).
ENTRY_STATEMENTS = (5, 8)
