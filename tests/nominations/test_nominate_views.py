"""The nomination form: the roster search (plain and htmx, never a door number), the
nominee picked from it or the nominator's own household, a photo, and every refusal
beside its field with nothing written (no row, no action-log row, no file)."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from PIL import Image

from portal.audit.models import ActionLog
from portal.extensions import db
from portal.nominations import services
from portal.nominations.models import Nomination, NominationState
from tests.conftest import htmx_headers, login_as
from tests.factories import (
    HouseholdFactory,
    ResidentFactory,
    UserFactory,
    VillageFactory,
    count,
    villager,
)
from tests.nominations.conftest import DEED, STORY, category, nominate

URL = "/v/hubin/nominations/new"


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


def form(village, nominee=None, **values):
    data = {
        "category_id": str(category(village, "助人为乐").id),
        "nominee": nominee if isinstance(nominee, str) else f"resident:{nominee.id}",
        "story": STORY,
        "deed_on": DEED.isoformat(),
        "caption": "",
    }
    data.update(values)
    return data


def stored_files(app) -> list:
    folder = services.NOMINATION_PHOTOS.directory()
    return sorted(folder.iterdir()) if folder.exists() else []


def written():
    return count(Nomination), count(ActionLog)


@pytest.fixture
def app_config(tmp_path) -> dict:
    return {"UPLOAD_DIR": str(tmp_path / "uploads")}


@pytest.fixture
def signed_in(client, nominator, now):
    login_as(client, nominator)
    return client


# --- the form and the roster search ---------------------------------------------------


def test_the_form_plain_and_htmx_search(signed_in, village, nominee, nominator):
    page = signed_in.get(URL)
    assert page.status_code == 200 and "<html" in page.text
    for label in ("类别", "事迹", "事情发生的日期", "照片（可不传）", "推荐我家"):
        assert label in page.text
    assert 'type="date"' in page.text and 'maxlength="2000"' in page.text
    assert "最多 2000 个字" in page.text
    assert page.headers["Cache-Control"] == "no-store"
    found = signed_in.get(URL, query_string={"q": "欧阳"})
    assert "欧阳娜娜" in found.text and f'value="resident:{nominee.id}"' in found.text
    assert "西街" not in found.text
    partial = signed_in.get(
        URL, query_string={"q": "欧阳"}, headers=htmx_headers("nominee-results")
    )
    assert "<html" not in partial.text and 'id="nominee-results"' in partial.text
    assert "欧阳娜娜" in partial.text and "西街" not in partial.text
    own = signed_in.get(URL, query_string={"q": "陈建国"})
    assert f"resident:{nominator.resident_id}" not in own.text
    none = signed_in.get(URL, query_string={"q": "没有这个人"})
    assert "花名册上没有找到这个名字" in none.text


def test_the_search_never_lists_another_village(signed_in, village):
    elsewhere = VillageFactory(slug="shanqian")
    ResidentFactory(household=HouseholdFactory(village=elsewhere), name="外村欧阳")
    assert "外村欧阳" not in signed_in.get(URL, query_string={"q": "欧阳"}).text


def test_visitors_log_in_and_others_are_refused_in_words(client, village, now):
    page = client.get(URL)
    assert page.status_code == 302 and "/login" in page.headers["Location"]
    htmx = client.get(URL, headers=htmx_headers())
    assert "/login" in htmx.headers["HX-Redirect"]
    elsewhere = villager(VillageFactory(slug="shanqian"))
    waiting = UserFactory(village=village)
    for user, words in ((elsewhere, "本村已核实的村民"), (waiting, "等村委会核实")):
        login_as(client, user)
        for method in (client.get, client.post):
            answer = method(URL)
            assert answer.status_code == 403 and words in answer.text
    assert count(Nomination) == 0


# --- nominating -----------------------------------------------------------------------


def test_a_nomination_plain(signed_in, village, nominee, nominator):
    answer = signed_in.post(URL, data=form(village, nominee))
    assert answer.status_code == 303
    found = Nomination.query.one()
    assert answer.headers["Location"].endswith(f"/v/hubin/nominations/{found.id}")
    assert found.nominee_resident_id == nominee.id and found.nominator_user_id == nominator.id
    assert found.state == NominationState.SUBMITTED and found.deed_on == DEED
    assert count(ActionLog, ActionLog.action == "nomination.submit") == 1
    page = signed_in.get(answer.headers["Location"])
    assert "推荐已提交" in page.text and "撤回这条推荐" in page.text


def test_a_nomination_htmx_redirects(signed_in, village, nominee):
    answer = signed_in.post(URL, data=form(village, nominee), headers=htmx_headers())
    assert answer.status_code == 200
    assert re.search(r"/v/hubin/nominations/\d+$", answer.headers["HX-Redirect"])
    assert count(Nomination) == 1


def test_own_household(signed_in, village, nominator):
    assert signed_in.post(URL, data=form(village, nominee="own")).status_code == 303
    found = Nomination.query.one()
    assert found.nominee_resident_id is None
    assert found.nominee_household_id == nominator.resident.household_id


def test_with_a_photo(signed_in, village, nominee, app):
    data = form(village, nominee, caption="雨夜背老人")
    data["photo"] = (io.BytesIO(png()), "rain.png")
    answer = signed_in.post(URL, data=data, content_type="multipart/form-data")
    assert answer.status_code == 303
    found = Nomination.query.one()
    assert found.photo_stored_name and found.photo_caption == "雨夜背老人"
    assert len(stored_files(app)) == 1
    photo = signed_in.get(f"/v/hubin/nominations/{found.id}/photo")
    assert photo.status_code == 200 and photo.mimetype.startswith("image/")


# --- refusals: beside their field, nothing written ------------------------------------


def refused(client, app, data, field: str | None, words: str, headers=None, **kwargs):
    before = written()
    files = stored_files(app)
    answer = client.post(URL, data=data, headers=headers or {}, **kwargs)
    assert answer.status_code in (403, 409, 413, 422), answer.status_code
    text = answer.text
    if field is not None:
        error = re.search(rf'id="{field}-error">([^<]*)<', text)
        assert error and words in error.group(1), (field, text[-3000:])
    else:
        assert words in text
    assert written() == before
    assert stored_files(app) == files
    return answer


def test_another_villages_resident(signed_in, village, app):
    stranger = ResidentFactory(household=HouseholdFactory(village=VillageFactory()), name="外人")
    refused(signed_in, app, form(village, stranger), "nominee", "请从本村花名册中搜索并选定")


def test_a_resident_not_on_the_roster(signed_in, village, nominee, app):
    nominee.left_on = date(2026, 6, 1)
    nominee.left_reason = "moved"
    db.session.commit()
    refused(signed_in, app, form(village, nominee), "nominee", "已不在本村花名册上")


@pytest.mark.parametrize(
    "value",
    [
        "",
        "resident:",
        "resident:abc",
        "household:1",
        "西街 8 号",
        "resident:" + "9" * 30,
        "resident:１２",
    ],
)
def test_no_nominee_or_a_typed_one(signed_in, village, app, value):
    refused(signed_in, app, form(village, nominee=value), "nominee", "请从本村花名册中搜索并选定")


def test_oneself(signed_in, village, nominator, app):
    refused(signed_in, app, form(village, nominator.resident), "nominee", "不能推荐自己")


def test_deed_too_old_in_the_future_or_missing(signed_in, village, nominee, app):
    refused(signed_in, app, form(village, nominee, deed_on="2020-01-01"), "deed_on", "年以内的事迹")
    refused(signed_in, app, form(village, nominee, deed_on="2027-01-01"), "deed_on", "今天以后")
    refused(signed_in, app, form(village, nominee, deed_on=""), "deed_on", "请填写事情发生的日期")
    refused(signed_in, app, form(village, nominee, deed_on="去年"), "deed_on", "日期格式不对")


def test_too_many_open(signed_in, village, nominator, nominee, app):
    for _ in range(3):
        nominate(nominator, village, nominee)
    refused(signed_in, app, form(village, nominee), None, "最多有 3 条未办结的推荐")


@pytest.mark.parametrize(
    ("story", "words"), [("", "请写下事迹"), ("   ", "请写下事迹"), ("好" * 2001, "最多 2000")]
)
def test_empty_or_long_story(signed_in, village, nominee, app, story, words):
    refused(signed_in, app, form(village, nominee, story=story), "story", words)


def test_no_or_another_villages_category(signed_in, village, nominee, app):
    refused(signed_in, app, form(village, nominee, category_id=""), "category_id", "请选择一个类别")
    elsewhere = VillageFactory(slug="shanqian")
    from portal.actions import unit_of_work

    with unit_of_work():
        services.seed_categories(elsewhere)
    foreign = category(elsewhere, "助人为乐").id
    refused(signed_in, app, form(village, nominee, category_id=foreign), "category_id", "类别")


def test_a_text_file_as_photo(signed_in, village, nominee, app):
    data = form(village, nominee)
    data["photo"] = (io.BytesIO(b"<html><script>alert(1)</script></html>"), "photo.jpg")
    refused(signed_in, app, data, "photo", "图片", content_type="multipart/form-data")


def test_a_good_photo_is_not_kept_when_the_form_is_refused(signed_in, village, nominee, app):
    data = form(village, nominee, story="")
    data["photo"] = (io.BytesIO(png()), "rain.png")
    refused(signed_in, app, data, "story", "请写下事迹", content_type="multipart/form-data")


def test_refusals_htmx_answer_the_form(signed_in, village, nominee, app):
    answer = refused(
        signed_in, app, form(village, nominee, story=""), "story", "请写下事迹", htmx_headers()
    )
    assert 'id="story-error"' in answer.text
    assert answer.headers["Cache-Control"] == "no-store"


def test_the_refused_form_keeps_what_was_typed(signed_in, village, nominee, app):
    answer = refused(
        signed_in, app, form(village, nominee, deed_on="2020-01-01"), "deed_on", "年以内"
    )
    assert STORY in answer.text
    assert f'value="resident:{nominee.id}" checked' in answer.text and "欧阳娜娜" in answer.text
    assert "西街" not in answer.text
