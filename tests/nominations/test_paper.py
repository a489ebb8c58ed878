"""The paper path: a nomination that came on paper (nominator and nominee picked from the
roster), and a paper sheet of endorsements entered one click a person, with the
one-per-person refusals in words and a fixed cost per entry."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image

from portal.actions import unit_of_work
from portal.audit.models import ActionLog
from portal.auth.models import Role
from portal.extensions import db
from portal.nominations import services
from portal.nominations.models import Endorsement, Nomination
from portal.villages.models import Gender, Household, Resident
from tests.conftest import htmx_headers, login_as
from tests.factories import VillageFactory, count, official
from tests.nominations.conftest import DEED, STORY, category, nominate
from tests.statements import statements

Q = "/v/hubin/manage/nominations"
PAPER = f"{Q}/paper"


@pytest.fixture
def app_config(tmp_path):
    return {"UPLOAD_DIR": str(tmp_path / "uploads")}


def writes() -> tuple[int, ...]:
    return (count(Nomination), count(Endorsement), count(ActionLog))


def png_bytes(size=(40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (30, 160, 30)).save(out, format="PNG")
    return out.getvalue()


def paper_data(village, nominator, person, **extra) -> dict:
    return {
        "nominator_resident_id": str(nominator.resident_id),
        "nominee": f"resident:{person.id}",
        "category_id": str(category(village, "助人为乐").id),
        "story": STORY,
        "deed_on": DEED.isoformat(),
        **extra,
    }


# --- a paper nomination -------------------------------------------------------------------


def test_the_paper_form_searches_the_roster_plain_and_htmx(client, committee, nominator, now):
    login_as(client, committee)
    page = client.get(PAPER)
    assert page.status_code == 200
    assert 'name="nq"' in page.text and 'name="eq"' in page.text
    found = client.get(PAPER, query_string={"nq": "陈建"})
    assert found.status_code == 200
    assert f'value="{nominator.resident_id}"' in found.text and "陈建国" in found.text
    hx = client.get(PAPER, query_string={"nq": "陈建"}, headers=htmx_headers("nominator-results"))
    assert hx.status_code == 200
    assert hx.text.strip().startswith('<div id="nominator-results">')
    assert "陈建国" in hx.text and "<form" not in hx.text
    none = client.get(
        PAPER, query_string={"eq": "没有这人"}, headers=htmx_headers("nominee-results")
    )
    assert "花名册上没有找到这个名字" in none.text


def test_a_paper_nomination_is_entered_with_whose_it_is(
    client, committee, village, nominator, nominee, now
):
    login_as(client, committee)
    response = client.post(PAPER, data=paper_data(village, nominator, nominee))
    assert response.status_code == 303
    nomination = db.session.scalars(sa.select(Nomination)).one()
    assert response.headers["Location"].endswith(f"{Q}/{nomination.id}/endorsements")
    assert nomination.entered_by_id == committee.id and nomination.nominator_user_id is None
    assert nomination.nominator_resident_id == nominator.resident_id
    assert nomination.nominee_resident_id == nominee.id
    assert count(ActionLog, ActionLog.action == "nomination.submit_paper") == 1
    page = client.get(f"{Q}/{nomination.id}").text
    assert "纸质推荐" in page and "王主任录入" in page


def test_a_paper_nomination_of_the_nominators_own_household(
    client, committee, village, nominator, nominee, now
):
    login_as(client, committee)
    data = paper_data(village, nominator, nominee, nominee="household")
    assert client.post(PAPER, data=data).status_code == 303
    nomination = db.session.scalars(sa.select(Nomination)).one()
    assert nomination.nominee_resident_id is None
    assert nomination.nominee_household_id == nominator.resident.household_id


def test_a_paper_nomination_with_a_photo(client, app, committee, village, nominator, nominee, now):
    login_as(client, committee)
    data = paper_data(village, nominator, nominee, caption="雨夜")
    data["photo"] = (io.BytesIO(png_bytes()), "deed.png")
    response = client.post(PAPER, data=data, content_type="multipart/form-data")
    assert response.status_code == 303
    nomination = db.session.scalars(sa.select(Nomination)).one()
    assert nomination.photo_stored_name and nomination.photo_caption == "雨夜"
    folder = Path(app.config["UPLOAD_DIR"]) / "photos" / "nominations"
    assert (folder / nomination.photo_stored_name).exists()
    photo = client.get(f"{Q}/{nomination.id}/photo")
    assert photo.status_code == 200 and photo.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"nominator_resident_id": ""}, "请从本村花名册中选定推荐人"),
        ({"nominee": ""}, "请从本村花名册中搜索并选定被推荐的人"),
        ({"category_id": ""}, "请选择一个类别"),
        ({"story": " "}, "请写下事迹"),
        ({"deed_on": ""}, "请填写事情发生的日期"),
        ({"deed_on": "2027-01-01"}, "不能在今天以后"),
        ({"deed_on": "12/01"}, "日期格式不对"),
    ],
    ids=["nominator", "nominee", "category", "story", "no-date", "future", "bad-date"],
)
def test_bad_paper_nominations_write_nothing(
    client, committee, village, nominator, nominee, now, change, words
):
    login_as(client, committee)
    before = writes()
    data = paper_data(village, nominator, nominee, **change)
    response = client.post(PAPER, data=data)
    assert response.status_code in (409, 422)
    assert words in response.text
    assert writes() == before


def test_a_bad_photo_writes_nothing(client, app, committee, village, nominator, nominee, now):
    login_as(client, committee)
    before = writes()
    data = paper_data(village, nominator, nominee)
    data["photo"] = (io.BytesIO(b"<html>not an image</html>"), "deed.jpg")
    response = client.post(PAPER, data=data, content_type="multipart/form-data")
    assert response.status_code in (400, 415, 422)
    assert writes() == before
    folder = Path(app.config["UPLOAD_DIR"]) / "photos" / "nominations"
    assert not folder.exists() or not any(folder.iterdir())


def test_a_resident_of_another_village_cannot_be_picked(
    client, committee, village, nominator, nominee, now
):
    from tests.factories import ResidentFactory

    stranger = ResidentFactory(village=VillageFactory())
    login_as(client, committee)
    before = writes()
    data = paper_data(village, nominator, nominee, nominee=f"resident:{stranger.id}")
    response = client.post(PAPER, data=data)
    assert response.status_code == 422 and "请从本村花名册中搜索并选定被推荐的人" in response.text
    assert writes() == before


def test_the_supervisor_may_not_enter_paper(client, supervisor, village, nominator, nominee, now):
    login_as(client, supervisor)
    before = writes()
    assert client.get(PAPER).status_code == 403
    assert client.post(PAPER, data=paper_data(village, nominator, nominee)).status_code == 403
    assert writes() == before


# --- a paper sheet of endorsements ------------------------------------------------------------


@pytest.fixture
def nomination(village, nominator, nominee, now):
    return nominate(nominator, village, nominee)


def sheet(nomination) -> str:
    return f"{Q}/{nomination.id}/endorsements"


def test_the_sheet_searches_plain_and_htmx(client, committee, nomination, endorsers):
    login_as(client, committee)
    page = client.get(sheet(nomination))
    assert page.status_code == 200 and "autofocus" in page.text and "已联名 0 位" in page.text
    found = client.get(sheet(nomination), query_string={"q": "李四"})
    assert found.status_code == 200 and "录入" in found.text
    assert f'value="{endorsers[0].resident_id}"' in found.text
    hx = client.get(
        sheet(nomination), query_string={"q": "李四"}, headers=htmx_headers("paper-results")
    )
    assert hx.status_code == 200
    assert hx.text.strip().startswith('<div class="paper-matches">')
    assert "李四" in hx.text and "已联名" not in hx.text


def test_an_entry_answers_the_panel_with_the_search_cleared_and_focused(
    client, committee, nomination, endorsers
):
    login_as(client, committee)
    response = client.post(
        sheet(nomination),
        data={"resident_id": endorsers[0].resident_id, "q": "李四"},
        headers=htmx_headers("paper-entry"),
    )
    assert response.status_code == 200
    text = response.text
    assert "已录入李四的联名，现在共 1 位" in text
    assert 'value=""' in text and "autofocus" in text  # an empty search box, focused
    assert "已联名 1 位" in text and "<li>李四 · 纸质</li>" in text
    endorsement = db.session.scalars(sa.select(Endorsement)).one()
    assert endorsement.entered_by_id == committee.id and endorsement.user_id is None
    assert count(ActionLog, ActionLog.action == "nomination.endorse_paper") == 1


def test_an_entry_plain_redirects_back_to_the_sheet(client, committee, nomination, endorsers):
    login_as(client, committee)
    response = client.post(sheet(nomination), data={"resident_id": endorsers[1].resident_id})
    assert response.status_code == 303 and response.headers["Location"].endswith(sheet(nomination))
    assert "已录入王五的联名" in client.get(sheet(nomination)).text


def test_one_per_person_refusals_in_words(client, committee, nomination, endorsers, nominator):
    with unit_of_work():
        services.endorse(endorsers[0], nomination)
    login_as(client, committee)
    found = client.get(sheet(nomination), query_string={"q": "李四"}).text
    assert "已在网上联名过" in found
    before = writes()
    online = client.post(
        sheet(nomination),
        data={"resident_id": endorsers[0].resident_id, "q": "李四"},
        headers=htmx_headers("paper-entry"),
    )
    assert online.status_code == 409 and "李四 已在网上联名过" in online.text
    assert 'value="李四"' in online.text  # the search is kept
    assert writes() == before
    client.post(sheet(nomination), data={"resident_id": endorsers[1].resident_id})
    before = writes()
    twice = client.post(sheet(nomination), data={"resident_id": endorsers[1].resident_id})
    assert twice.status_code == 409 and "王五 已经录入过" in twice.text
    own = client.post(sheet(nomination), data={"resident_id": nominator.resident_id})
    assert own.status_code == 422 and "推荐人不能为自己的推荐联名" in own.text
    nobody = client.post(sheet(nomination), data={"resident_id": "x"})
    assert nobody.status_code == 422 and "请先查找并选定一位村民" in nobody.text
    assert writes() == before


def test_a_sheet_of_a_nomination_no_longer_collecting(client, committee, nomination, endorsers):
    login_as(client, committee)
    for user in endorsers[:3]:
        client.post(sheet(nomination), data={"resident_id": user.resident_id})
    with unit_of_work():
        services.accept(committee, nomination)
    page = client.get(sheet(nomination))
    assert "这条推荐已经不再征集联名了" in page.text and 'name="q"' not in page.text
    before = writes()
    late = client.post(sheet(nomination), data={"resident_id": endorsers[3].resident_id})
    assert late.status_code == 409 and writes() == before


def test_the_supervisor_reads_the_sheet_and_enters_nothing(
    client, supervisor, nomination, endorsers
):
    login_as(client, supervisor)
    page = client.get(sheet(nomination))
    assert page.status_code == 200 and 'name="q"' not in page.text
    before = writes()
    response = client.post(sheet(nomination), data={"resident_id": endorsers[0].resident_id})
    assert response.status_code == 403 and writes() == before


def test_another_villages_committee_is_refused(client, nomination, endorsers):
    login_as(client, official(Role.COMMITTEE, VillageFactory()))
    before = writes()
    assert client.get(sheet(nomination)).status_code == 403
    response = client.post(sheet(nomination), data={"resident_id": endorsers[0].resident_id})
    assert response.status_code == 403 and writes() == before


def roster(village, n: int) -> list[int]:
    """`n` residents on the roster, one household each, written in bulk."""
    households = [Household(village_id=village.id, door_number=f"东街 {i} 号") for i in range(n)]
    db.session.add_all(households)
    db.session.flush()
    residents = [
        Resident(
            village_id=village.id,
            household_id=h.id,
            name=f"村民{i:03d}",
            birth_year=1970,
            gender=Gender.FEMALE,
        )
        for i, h in enumerate(households)
    ]
    db.session.add_all(residents)
    db.session.commit()
    return [r.id for r in residents]


def entry_cost(client, nomination, resident_id) -> int:
    url = sheet(nomination)
    with statements() as seen:
        response = client.post(
            url, data={"resident_id": resident_id}, headers=htmx_headers("paper-entry")
        )
        assert response.status_code == 200, response.text
    return len(seen)


def test_an_entry_costs_the_same_for_the_first_and_the_300th(
    client, committee, village, nomination
):
    people = roster(village, 300)
    login_as(client, committee)
    first = entry_cost(client, nomination, people[0])
    db.session.add_all(
        Endorsement(
            nomination_id=nomination.id,
            village_id=village.id,
            resident_id=resident_id,
            entered_by_id=committee.id,
        )
        for resident_id in people[1:299]
    )
    db.session.execute(
        sa.update(Nomination).where(Nomination.id == nomination.id).values(endorsement_count=299)
    )
    db.session.commit()
    last = entry_cost(client, nomination, people[299])
    assert count(Endorsement) == 300
    assert last == first
    # Access and the session (reloaded after the commit), the checks and the writes of
    # the entry with its log row, and the panel: the endorsers so far in one statement.
    assert first <= 23
