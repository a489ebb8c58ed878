"""Recording points: the grid worker's and committee member's form (the household found by
door number or name, plain and as active search), a paper declaration, a villager's own
declaration with a photo; each refusal beside its field with nothing written; the grid
rule held at POST even with a forged id; the points from the item, never the form; the
grid worker's place on the account page; and the English words."""

from __future__ import annotations

import gzip
import io
from datetime import timedelta

import pytest
from PIL import Image

from portal.audit.models import ActionLog
from portal.auth.models import Role
from portal.extensions import db
from portal.points import services
from portal.points.models import Channel, EntryState, PointsEntry
from tests.conftest import htmx_headers, login_as
from tests.factories import HouseholdFactory, ResidentFactory, VillageFactory, count, villager
from tests.points.conftest import TODAY, item, record
from tests.statements import statements

URL = "/v/hubin/points/record"
DECLARE = "/v/hubin/points/declare"


def written() -> tuple[int, int]:
    return count(PointsEntry), count(ActionLog)


def only_entry() -> PointsEntry:
    db.session.rollback()
    return db.session.scalars(db.select(PointsEntry)).one()


def form(village, home, code="J01", **values) -> dict:
    data = {
        "household": str(home.id),
        "item": str(item(village, code).id),
        "occurred_on": TODAY.isoformat(),
        "note": "",
    }
    data.update(values)
    return data


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (30, 120, 30)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def app_config(tmp_path) -> dict:
    return {"UPLOAD_DIR": str(tmp_path / "uploads")}


@pytest.fixture
def heads(households):
    """A head 户主 on each household's roster, the first with a second member."""
    names = ("李大山", "周桂英", "吴志强", "郑秀兰")
    people = [ResidentFactory(household=h, name=n) for h, n in zip(households, names, strict=True)]
    ResidentFactory(household=households[0], name="李小山")
    return people


# --- the form -------------------------------------------------------------------------


def test_a_grid_worker_sees_the_households_of_their_grid_only(client, grid_worker, heads):
    login_as(client, grid_worker)
    page = client.get(URL)
    assert page.status_code == 200
    text = page.text
    assert "东街 1 号" in text and "东街 2 号" in text
    assert "西街" not in text
    assert "李大山" in text  # the head, in full: the grid worker works for them
    assert f'value="{TODAY.isoformat()}"' in text  # the date defaults to today
    assert "纸质申报" not in text  # the committee's only
    assert "见义勇为、拾金不昧，经核实（+20 分）" in text
    assert "基础积分" in text and "贡献积分" in text  # the catalogue by category
    assert page.headers["Cache-Control"] == "no-store"


def test_the_search_works_plain_and_as_active_search(client, committee, heads):
    login_as(client, committee)
    empty = client.get(URL).text
    assert "先在上面按门牌号或姓名查找" in empty
    plain = client.get(URL, query_string={"q": "吴志"})
    assert plain.status_code == 200 and "西街 1 号" in plain.text and "东街" not in plain.text
    assert "<html" in plain.text
    hx = client.get(URL, query_string={"q": "西街"}, headers=htmx_headers("household-results"))
    assert hx.status_code == 200
    assert hx.text.strip().startswith('<div id="household-results"')
    assert "西街 1 号" in hx.text and "西街 2 号" in hx.text and "<html" not in hx.text
    assert len(hx.data) <= 4096
    none = client.get(URL, query_string={"q": "无此人"}, headers=htmx_headers("household-results"))
    assert "没有找到门牌号或姓名里有“无此人”的户" in none.text


def test_a_grid_workers_search_stays_in_their_grid(client, grid_worker, heads):
    login_as(client, grid_worker)
    text = client.get(URL, query_string={"q": "吴志强"}).text
    assert "西街 1 号" not in text and "没有找到" in text


def test_the_search_page_costs_the_same_however_many_households(client, committee, village):
    login_as(client, committee)

    def cost() -> int:
        client.get(URL, query_string={"q": "号"})
        with statements() as seen:
            assert client.get(URL, query_string={"q": "号"}).status_code == 200
        return len(seen)

    for n in range(3):
        home = HouseholdFactory(village=village, door_number=f"南街 {n} 号")
        ResidentFactory(household=home)
    few = cost()
    for n in range(3, 40):
        home = HouseholdFactory(village=village, door_number=f"南街 {n} 号")
        ResidentFactory(household=home)
    assert cost() == few
    # Access: the account, the village, the roles held (3); the matching households, their
    # rosters, the catalogue (3). A grid worker's grids would be one more.
    assert few == 6


# --- recording --------------------------------------------------------------------------


def test_a_grid_worker_records_and_comes_back_to_the_form_with_the_date(
    client, grid_worker, village, households, heads
):
    login_as(client, grid_worker)
    yesterday = TODAY - timedelta(days=1)
    response = client.post(
        URL, data=form(village, households[1], "G01", occurred_on=yesterday.isoformat())
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"{URL}?occurred_on={yesterday.isoformat()}")
    entry = only_entry()
    assert entry.channel == Channel.GRID and entry.state == EntryState.PENDING
    assert entry.household_id == households[1].id and entry.occurred_on == yesterday
    again = client.get(response.headers["Location"]).text
    assert "已为东街 2 号记录" in again and "等待村委会审核" in again
    assert f'value="{yesterday.isoformat()}"' in again


def test_recording_in_place_answers_a_fresh_form_with_the_message(
    client, grid_worker, village, households, heads
):
    login_as(client, grid_worker)
    response = client.post(
        URL, data=form(village, households[0], "G01"), headers=htmx_headers("record-panel")
    )
    assert response.status_code == 200
    text = response.text
    assert text.strip().startswith('<div id="record-panel"')
    assert '<div role="status" aria-live="polite"><p class="flash flash-success">' in text
    assert "已为东街 1 号记录“参加义务劳动（每次半天）” +2 分" in text
    assert "checked" not in text  # a fresh form: no household chosen
    assert "points-changed" in response.headers["HX-Trigger"]
    # DESIGN.md 6: an htmx partial moves at most 4 KB (compressed, as Flask-Compress sends
    # it); the whole catalogue is in it, so the next record needs no other request.
    assert len(gzip.compress(response.data)) <= 4096
    assert count(PointsEntry) == 1


def test_the_points_come_from_the_item_never_the_form(client, committee, village, households):
    login_as(client, committee)
    data = form(village, households[2], "G04", points="999")
    assert client.post(URL, data=data).status_code == 303
    entry = only_entry()
    assert entry.points == item(village, "G04").points == 20


def test_a_committee_member_enters_a_paper_declaration(
    client, committee, village, households, heads
):
    login_as(client, committee)
    page = client.get(URL, query_string={"q": "李大山"}).text
    assert "纸质申报的申报人" in page and "李小山" in page
    data = form(village, households[0], "G03", declared_by=str(heads[0].id), note="献血证已看过")
    assert client.post(URL, data=data).status_code == 303
    entry = only_entry()
    assert entry.channel == Channel.PAPER
    assert entry.declared_by_resident_id == heads[0].id and entry.note == "献血证已看过"


@pytest.mark.parametrize(
    ("change", "status", "words", "field"),
    [
        ({"household": ""}, 422, "请先选定要记录的那一户", "household"),
        ({"item": ""}, 422, "请选择积分细则里的一项", "item"),
        ({"occurred_on": ""}, 422, "请填写事情发生的日期", "occurred_on"),
        ({"occurred_on": "2026-13-01"}, 422, "日期格式不对", "occurred_on"),
        (
            {"occurred_on": (TODAY + timedelta(days=1)).isoformat()},
            422,
            "日期不能晚于今天",
            "occurred_on",
        ),
        ({"note": "长" * 301}, 422, "说明最多 300 个字", "note"),
    ],
)
def test_bad_input_is_answered_beside_its_field_writing_nothing(
    client, committee, village, households, change, status, words, field
):
    login_as(client, committee)
    before = written()
    response = client.post(URL, data=form(village, households[0], **change))
    assert response.status_code == status
    text = response.text
    assert f'id="{field}-error"' in text and words in text
    assert written() == before
    hx = client.post(
        URL, data=form(village, households[0], **change), headers=htmx_headers("record-panel")
    )
    assert hx.status_code == status and words in hx.text
    assert hx.text.strip().startswith('<div id="record-panel"')
    assert written() == before


def test_an_item_of_another_village_is_refused(client, committee, village, households):
    from portal.actions import unit_of_work
    from portal.points.catalogue import seed_catalogue

    other = VillageFactory()
    with unit_of_work():
        seed_catalogue(other)
    login_as(client, committee)
    before = written()
    data = form(village, households[0], item=str(item(other, "J01").id))
    response = client.post(URL, data=data)
    assert response.status_code == 404
    assert 'id="item-error"' in response.text and "积分细则里没有这一项" in response.text
    assert written() == before


def test_a_household_of_another_village_is_refused(client, committee, village):
    elsewhere = HouseholdFactory(village=VillageFactory(), door_number="外村 9 号")
    login_as(client, committee)
    before = written()
    response = client.post(URL, data=form(village, elsewhere))
    assert response.status_code == 404
    assert 'id="household-error"' in response.text and "本村没有这一户" in response.text
    assert "外村 9 号" not in response.text
    assert written() == before


def test_another_grids_household_is_refused_even_with_a_forged_id(
    client, grid_worker, village, households, heads
):
    login_as(client, grid_worker)
    before = written()
    response = client.post(URL, data=form(village, households[2]))
    assert response.status_code == 403
    assert 'id="household-error"' in response.text
    assert "网格员只能为本网格的农户记录积分" in response.text
    assert "西街 1 号" not in response.text and "吴志强" not in response.text
    assert written() == before


def test_a_grid_worker_cannot_enter_a_paper_declaration(
    client, grid_worker, village, households, heads
):
    login_as(client, grid_worker)
    before = written()
    data = form(village, households[0], declared_by=str(heads[0].id))
    response = client.post(URL, data=data)
    assert response.status_code == 403 and "纸质申报由村委会录入" in response.text
    assert written() == before


def test_a_declarant_of_another_household_is_refused(client, committee, village, households, heads):
    login_as(client, committee)
    before = written()
    data = form(village, households[0], declared_by=str(heads[1].id))
    response = client.post(URL, data=data)
    assert response.status_code == 422
    assert (
        'id="declared_by-error"' in response.text and "申报人应是这一户在册的村民" in response.text
    )
    assert written() == before


def test_over_the_cap_is_refused_beside_the_item(client, committee, village, households):
    record(committee, village, households[0], "J01")
    login_as(client, committee)
    before = written()
    response = client.post(URL, data=form(village, households[0], "J01"))
    assert response.status_code == 409
    assert 'id="item-error"' in response.text and "每户每月最多 5 分" in response.text
    assert written() == before


@pytest.mark.parametrize("who", ["visitor", "villager", "supervisor", "other_committee"])
def test_who_may_not_record(client, who, village, households, resident_user, supervisor):
    from tests.factories import official

    if who == "villager":
        login_as(client, resident_user)
    elif who == "supervisor":
        login_as(client, supervisor)
    elif who == "other_committee":
        login_as(client, official(Role.COMMITTEE, VillageFactory()))
    before = written()
    page = client.get(URL)
    posted = client.post(URL, data=form(village, households[0]))
    if who == "visitor":
        assert page.status_code == 302 and "/login" in page.headers["Location"]
        assert posted.status_code == 302
    else:
        assert page.status_code == 403 and posted.status_code == 403
    assert written() == before


def test_no_token_no_record(client, committee, village, households):
    login_as(client, committee)
    response = client.post(URL, data=form(village, households[0]), csrf=False)
    assert response.status_code == 400
    assert count(PointsEntry) == 0


# --- a villager's declaration -------------------------------------------------------------


def test_a_villager_declares_with_a_photo_and_is_told_it_waits(
    client, resident_user, village, households
):
    login_as(client, resident_user)
    page = client.get(DECLARE)
    assert page.status_code == 200
    assert "等村委会审核" in page.text and "东街 1 号" in page.text
    assert "乱扔垃圾" not in page.text  # a deduction is not declared
    data = form(village, households[0], "G03", note="5 月 20 日在县血站献血")
    del data["household"]
    data["photo"] = (io.BytesIO(png()), "blood.png")
    response = client.post(DECLARE, data=data, content_type="multipart/form-data")
    assert response.status_code == 303
    entry = only_entry()
    assert entry.channel == Channel.DECLARED and entry.household_id == households[0].id
    assert entry.photo_stored_name and entry.photo_content_type.startswith("image/")
    assert services.ENTRY_PHOTOS.path(entry.photo_stored_name).exists()
    assert "申报已提交，等待村委会审核" in client.get(DECLARE).text


def test_a_declaration_with_bad_input_writes_nothing_and_keeps_no_file(
    client, resident_user, village, households
):
    login_as(client, resident_user)
    before = written()
    folder = services.ENTRY_PHOTOS.directory()
    data = {"item": "", "occurred_on": TODAY.isoformat()}
    data["photo"] = (io.BytesIO(png()), "x.png")
    response = client.post(DECLARE, data=data, content_type="multipart/form-data")
    assert response.status_code == 422 and "请选择申报的事项" in response.text
    late = {"item": str(item(village, "G03").id), "occurred_on": "2027-01-01"}
    late["photo"] = (io.BytesIO(png()), "x.png")
    response = client.post(DECLARE, data=late, content_type="multipart/form-data")
    assert response.status_code == 422 and "日期不能晚于今天" in response.text
    fake = {"item": str(item(village, "G03").id), "occurred_on": TODAY.isoformat()}
    fake["photo"] = (io.BytesIO(b"<html>not a picture</html>"), "x.jpg")
    response = client.post(DECLARE, data=fake, content_type="multipart/form-data")
    assert response.status_code == 422 and 'id="photo-error"' in response.text
    minus = {"item": str(item(village, "K01").id), "occurred_on": TODAY.isoformat()}
    assert client.post(DECLARE, data=minus).status_code == 422
    assert written() == before
    assert not folder.exists() or not any(folder.iterdir())


def test_only_a_verified_villager_declares(client, village, committee):
    from tests.factories import UserFactory

    assert client.get(DECLARE).status_code == 302
    login_as(client, UserFactory(village=village))  # registered, not yet verified
    response = client.get(DECLARE)
    assert response.status_code == 403 and "等村委会核实" in response.text
    outsider = villager(VillageFactory())
    login_as(client, outsider)
    assert client.get(DECLARE).status_code == 403
    assert count(PointsEntry) == 0


# --- the grid worker's place, and English -----------------------------------------------


def test_the_account_page_links_the_grid_workers_recording(client, grid_worker):
    login_as(client, grid_worker)
    page = client.get("/account").text
    assert 'href="/v/hubin/points/record"' in page and "湖滨村记录积分" in page


def test_the_pages_read_as_english(client, committee, grid_worker, resident_user, heads):
    client.set_cookie("lang", "en")
    login_as(client, grid_worker)
    page = client.get(URL).text
    assert '<html lang="en">' in page
    assert "Record points" in page and "Search" in page
    login_as(client, resident_user)
    page = client.get(DECLARE).text
    assert "Declare points" in page and "committee" in page
