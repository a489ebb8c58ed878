"""The boards' console: the queue working in place, categories, new entries with their
photo, an entry's steps (put right, the collective decision, 公示, publish, consent),
the warning slip, and the console home's tile. Who may do what, bad input that writes
nothing, and the plain and htmx answer of each page."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image

from portal.actions import unit_of_work
from portal.audit.models import ActionLog
from portal.auth.models import Role
from portal.boards import services
from portal.boards.models import Board, BoardCategory, BoardEntry, EntryState
from portal.extensions import db
from portal.publicity import services as publicity
from portal.publicity.models import Objection, Publicity
from portal.rules.models import RuleVersion, VersionState
from tests.boards.conftest import START, adopt_rules, category
from tests.conftest import htmx_headers, login_as
from tests.factories import (
    HouseholdFactory,
    ResidentFactory,
    TownFactory,
    VillageFactory,
    count,
    official,
)

Q = "/v/hubin/manage/boards"
DEADLINE = START + timedelta(days=15)  # the default warning deadline: 12月17日
AFTER_DEADLINE = START + timedelta(days=16)


@pytest.fixture
def app_config(tmp_path):
    return {"UPLOAD_DIR": str(tmp_path / "uploads")}


@pytest.fixture
def photo_dir(app):
    return Path(app.config["UPLOAD_DIR"]) / "photos" / "boards"


def writes() -> tuple[int, ...]:
    return (
        count(BoardEntry),
        count(BoardCategory),
        count(ActionLog),
        count(Publicity),
        count(Objection),
    )


def warn(village, committee, household, resident=None, name="乱堆乱放"):
    with unit_of_work():
        entry = services.warn(
            committee,
            village,
            category_id=category(village, Board.BLACK, name).id,
            household_id=household.id,
            resident_id=resident.id if resident else None,
            description="在村道旁堆放柴草，影响通行。",
        )
    return entry


def meeting_data(day="2026-12-18", **extra):
    return {
        "meeting_on": day,
        "attendees": "王主任、赵委员、钱委员",
        "votes_for": "3",
        "votes_against": "0",
        **extra,
    }


@pytest.fixture
def warned(seeded, committee, household, subject, now):
    return warn(seeded, committee, household, subject)


@pytest.fixture
def in_notice(warned, second_member, at):
    at(AFTER_DEADLINE)
    meeting = services.Meeting(START.date() + timedelta(days=16), "王主任、赵委员", 2, 0)
    with unit_of_work():
        services.approve_listing(second_member, warned, meeting)
    return warned


def png_bytes(size=(40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


# --- the queue ------------------------------------------------------------------------


def test_the_queue_lists_a_warning_with_its_deadline_plain_and_htmx(client, committee, warned, at):
    login_as(client, committee)
    before = writes()
    page = client.get(Q)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "整改期内的提醒" in text and "待集体决定" in text and "公示中" in text
    assert "申诉待处理" in text and "已公布" in text
    assert f'id="entry-{warned.id}"' in text and "欧阳建国" in text
    assert "12月17日" in text and "还有 15 天" in text and "记录已整改" in text
    assert f"{Q}/archive" in text and f"{Q}/appeals" in text
    assert page.headers["Cache-Control"] == "no-store"
    assert "noindex" in page.headers["X-Robots-Tag"]
    hx = client.get(Q, headers=htmx_headers())
    assert hx.status_code == 200 and "整改期内的提醒" in hx.get_data(as_text=True)
    at(AFTER_DEADLINE)
    due = client.get(Q).get_data(as_text=True)
    assert "整改期限 2026年12月17日 已过" in due and "记录已整改" not in due
    assert writes() == before


def test_put_right_from_the_queue_answers_the_row_in_place(client, committee, warned):
    login_as(client, committee)
    response = client.post(f"{Q}/{warned.id}/put-right", headers=htmx_headers(f"entry-{warned.id}"))
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith("<li") and f'id="entry-{warned.id}"' in body
    assert "已记录按期整改到位" in body and "<html" not in body
    db.session.refresh(warned)
    assert warned.state == EntryState.PUT_RIGHT
    assert count(ActionLog, ActionLog.action == "board.put_right") == 1


def test_put_right_as_a_plain_form_redirects_to_next(client, committee, warned):
    login_as(client, committee)
    response = client.post(f"{Q}/{warned.id}/put-right", data={"note": "已清理", "next": Q})
    assert response.status_code == 303 and response.headers["Location"].endswith(Q)
    db.session.refresh(warned)
    assert warned.state == EntryState.PUT_RIGHT and warned.put_right_note == "已清理"
    archive = client.get(f"{Q}/archive").get_data(as_text=True)
    assert "已按期整改，不列入" in archive and "欧阳建国" in archive
    hx = client.get(f"{Q}/archive", headers=htmx_headers())
    assert hx.status_code == 200


def test_the_archive_pages(client, committee, seeded, household, at):
    login_as(client, committee)
    for _ in range(23):
        entry = warn(seeded, committee, household)
        with unit_of_work():
            services.record_put_right(committee, entry)
    first = client.get(f"{Q}/archive").get_data(as_text=True)
    assert first.count('class="candidate"') == 20 and "page=2" in first
    more = client.get(f"{Q}/archive?page=2", headers=htmx_headers("archive-more"))
    body = more.get_data(as_text=True)
    assert body.count('class="candidate"') == 3 and "<html" not in body
    assert client.get(f"{Q}/archive?page=999999999999").status_code == 200


# --- who may ----------------------------------------------------------------------------


def test_a_supervisor_reads_everything_and_changes_nothing(client, supervisor, warned, seeded, at):
    login_as(client, supervisor)
    cat = category(seeded, Board.BLACK, "乱堆乱放")
    for url in (
        Q,
        f"{Q}/archive",
        f"{Q}/categories",
        f"{Q}/categories/{cat.id}",
        f"{Q}/{warned.id}",
    ):
        assert client.get(url).status_code == 200, url
    page = client.get(f"{Q}/{warned.id}").get_data(as_text=True)
    assert "欧阳建国" in page and "记录已整改" not in page
    assert client.get(f"{Q}/new?board=black").status_code == 403
    before = writes()
    at(AFTER_DEADLINE)
    posts = {
        f"{Q}/{warned.id}/put-right": {},
        f"{Q}/{warned.id}/approve": meeting_data(),
        f"{Q}/{warned.id}/decline": {"reason": "理由"},
        f"{Q}/{warned.id}/publish": {},
        f"{Q}/{warned.id}/consent": {},
        f"{Q}/categories": {"board": "red", "name": "新类别"},
        f"{Q}/categories/seed": {},
        f"{Q}/categories/{cat.id}": {"name": "改名"},
        f"{Q}/categories/{cat.id}/retire": {"confirm": "y"},
        f"{Q}/new?board=red": {"description": "x"},
    }
    for url, data in posts.items():
        response = client.post(url, data=data)
        assert response.status_code == 403, url
        assert "不能修改" in response.get_data(as_text=True)
    assert writes() == before


def test_a_villager_and_another_villages_committee_are_refused(client, warned, neighbour):
    login_as(client, neighbour)
    assert client.get(Q).status_code == 403
    assert client.get(f"{Q}/{warned.id}").status_code == 403
    assert client.post(f"{Q}/{warned.id}/put-right").status_code == 403
    other = VillageFactory(name="河西村", slug="hexi")
    outsider = official(Role.COMMITTEE, other)
    login_as(client, outsider)
    before = writes()
    assert client.get(Q).status_code == 403
    assert client.get(f"{Q}/{warned.id}").status_code == 403
    assert client.post(f"{Q}/{warned.id}/put-right").status_code == 403
    # Through its own village's address, the entry is not there.
    assert client.get(f"/v/hexi/manage/boards/{warned.id}").status_code == 404
    assert client.post(f"/v/hexi/manage/boards/{warned.id}/put-right").status_code == 404
    assert writes() == before


def test_a_visitor_is_sent_to_log_in(client, warned):
    for url in (Q, f"{Q}/{warned.id}", f"/v/hubin/boards/{warned.id}/slip"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- categories -------------------------------------------------------------------------


def test_the_categories_say_which_black_ones_have_no_basis(client, committee, seeded):
    login_as(client, committee)
    with unit_of_work():
        services.save_category(
            committee, seeded, board="red", name="热心公益", description=None, article_id=None
        )
    cat = category(seeded, Board.BLACK, "乱堆乱放")
    cat.article_id = None
    db.session.commit()
    page = client.get(f"{Q}/categories")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "红榜类别" in text and "黑榜类别" in text
    assert "没有依据，不能用于黑榜" in text and "《村规民约》第1版 第1条 环境卫生" in text
    assert "载入常用类别" not in text
    hx = client.get(f"{Q}/categories", headers=htmx_headers("category-form"))
    assert hx.status_code == 200 and 'id="category-form"' in hx.get_data(as_text=True)


def test_a_category_is_added(client, committee, seeded, articles):
    login_as(client, committee)
    response = client.post(
        f"{Q}/categories",
        data={
            "board": "black",
            "name": "私搭乱建",
            "description": "",
            "article_id": articles[0].id,
        },
    )
    assert response.status_code == 303
    added = category(seeded, Board.BLACK, "私搭乱建")
    assert added.article_id == articles[0].id and services.usable(added)
    assert count(ActionLog, ActionLog.action == "board.category_add") == 1


@pytest.fixture
def foreign_article(app):
    other = VillageFactory(name="河西村", slug="hexi")
    return adopt_rules(other, ("别村的条款",))[0]


@pytest.fixture
def superseded_article(village, articles):
    version = db.session.get(RuleVersion, articles[0].version_id)
    version.state = VersionState.SUPERSEDED
    db.session.commit()
    return articles[0]


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({"board": "red", "name": ""}, "name", "请填写类别名称"),
        ({"board": "red", "name": "长" * 41}, "name", "类别名称最多 40 个字"),
        ({"board": "black", "name": "乱堆乱放", "article_id": "ART"}, "name", "已经有同名的类别"),
        ({"board": "black", "name": "新的黑榜类别"}, "article_id", "必须写明依据"),
        ({"board": "black", "name": "新的黑榜类别", "article_id": "FOREIGN"}, "article_id", "现行"),
        ({"board": "black", "name": "新的黑榜类别", "article_id": "OLD"}, "article_id", "现行"),
        ({"board": "grey", "name": "新的类别"}, "board", "请选择红榜或黑榜"),
    ],
)
def test_bad_category_input_writes_nothing(
    client, committee, seeded, articles, foreign_article, data, field, message
):
    login_as(client, committee)
    ids = {"ART": articles[1].id, "FOREIGN": foreign_article.id}
    if data.get("article_id") == "OLD":
        version = db.session.get(RuleVersion, articles[2].version_id)
        version.state = VersionState.SUPERSEDED
        db.session.commit()
        data = {**data, "article_id": articles[2].id}
    data = {**data, "article_id": ids.get(data.get("article_id"), data.get("article_id", ""))}
    before = writes()
    response = client.post(f"{Q}/categories", data=data)
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    field_html = text[text.index(f'id="{field}-field"') :]
    assert message in field_html[: field_html.index("</div>")]
    assert writes() == before


def test_seeding_and_retiring(client, committee, village, articles):
    login_as(client, committee)
    page = client.get(f"{Q}/categories").get_data(as_text=True)
    assert "载入常用类别" in page and "没有类别" in page
    response = client.post(f"{Q}/categories/seed")
    assert response.status_code == 303
    assert count(BoardCategory) == 10
    assert count(ActionLog, ActionLog.action == "board.seed_categories") == 1
    page = client.get(f"{Q}/categories").get_data(as_text=True)
    assert page.count("没有依据，不能用于黑榜") == 5
    cat = category(village, Board.RED, "最美家庭")
    before = writes()
    refused = client.post(f"{Q}/categories/{cat.id}/retire", data={})
    assert refused.status_code == 422 and "请勾选确认" in refused.get_data(as_text=True)
    assert writes() == before
    assert client.post(f"{Q}/categories/{cat.id}/retire", data={"confirm": "y"}).status_code == 303
    db.session.refresh(cat)
    assert cat.retired_at is not None
    assert "已停用" in client.get(f"{Q}/categories").get_data(as_text=True)


def test_editing_a_category(client, committee, seeded, articles):
    login_as(client, committee)
    cat = category(seeded, Board.BLACK, "大操大办")
    edit = client.get(f"{Q}/categories/{cat.id}").get_data(as_text=True)
    assert 'value="大操大办"' in edit and "停用这个类别" in edit
    before = writes()
    bad = client.post(f"{Q}/categories/{cat.id}", data={"name": "大操大办", "article_id": ""})
    assert bad.status_code == 422 and "必须写明依据" in bad.get_data(as_text=True)
    assert writes() == before
    good = client.post(
        f"{Q}/categories/{cat.id}", data={"name": "婚丧大操大办", "article_id": articles[1].id}
    )
    assert good.status_code == 303
    db.session.refresh(cat)
    assert cat.name == "婚丧大操大办"
    assert client.get(f"{Q}/categories/99999").status_code == 404


# --- a new entry ------------------------------------------------------------------------


def test_the_new_entry_form_searches_the_roster_plain_and_htmx(
    client, committee, seeded, household, subject
):
    login_as(client, committee)
    cat = category(seeded, Board.BLACK, "乱堆乱放")
    cat_no_basis = category(seeded, Board.BLACK, "乱倒垃圾")
    cat_no_basis.article_id = None
    db.session.commit()
    page = client.get(f"{Q}/new?board=black").get_data(as_text=True)
    assert "先在上面按姓名查找" in page and 'value="2026-12-17"' in page
    assert f'<option value="{cat.id}">乱堆乱放</option>' in page
    assert f'disabled value="{cat_no_basis.id}"' in page or (
        f'value="{cat_no_basis.id}" disabled' in page
    )
    assert "乱倒垃圾（没有依据，不能用于黑榜）" in page
    found = client.get(f"{Q}/new?board=black&q=欧阳").get_data(as_text=True)
    assert (
        f'value="resident:{subject.id}"' in found and f'value="household:{household.id}"' in found
    )
    assert "东街 12 号" in found
    hx = client.get(f"{Q}/new?board=black&q=欧阳", headers=htmx_headers("subject-results"))
    body = hx.get_data(as_text=True)
    assert hx.status_code == 200 and body.lstrip().startswith('<div id="subject-results">')
    assert f'value="resident:{subject.id}"' in body and "<form" not in body
    none = client.get(f"{Q}/new?board=red&q=没有这个人").get_data(as_text=True)
    assert "花名册上没有找到这个名字" in none and "本人同意公开姓名" in none


def test_a_warning_is_made_and_its_page_links_the_slip(client, committee, seeded, subject):
    login_as(client, committee)
    cat = category(seeded, Board.BLACK, "乱堆乱放")
    response = client.post(
        f"{Q}/new?board=black",
        data={
            "category_id": cat.id,
            "subject": f"resident:{subject.id}",
            "description": "在村道旁堆放柴草。",
            "deadline": "2026-12-20",
        },
    )
    assert response.status_code == 303
    entry = db.session.scalars(db.select(BoardEntry)).one()
    assert response.headers["Location"].endswith(f"{Q}/{entry.id}")
    assert entry.state == EntryState.WARNED and entry.resident_id == subject.id
    assert entry.warning_deadline.isoformat() == "2026-12-20"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"/v/hubin/boards/{entry.id}/slip" in page and "已登记整改提醒" in page
    assert "《村规民约》第1版 第1条 环境卫生" in page and "发出整改提醒" in page


def test_a_red_entry_with_consent_and_for_a_whole_household(
    client, committee, seeded, household, subject
):
    login_as(client, committee)
    cat = category(seeded, Board.RED, "最美家庭")
    client.post(
        f"{Q}/new?board=red",
        data={
            "category_id": cat.id,
            "subject": f"resident:{subject.id}",
            "description": "照顾老人十年。",
            "consented": "y",
        },
    )
    client.post(
        f"{Q}/new?board=red",
        data={"category_id": cat.id, "subject": f"household:{household.id}", "description": "和睦"},
    )
    one, whole = db.session.scalars(db.select(BoardEntry).order_by(BoardEntry.id)).all()
    assert one.state == EntryState.NOTICE and one.consented and one.consent_recorded_by_id
    assert whole.resident_id is None and whole.household_id == household.id
    assert not whole.consented
    assert count(Publicity) == 2


@pytest.fixture
def foreign_resident(app):
    other = VillageFactory(name="河西村", slug="hexi")
    home = HouseholdFactory(village=other)
    return ResidentFactory(household=home, village=other, name="外村人")


@pytest.mark.parametrize(
    "board, change, field, message",
    [
        ("black", {"subject": ""}, "subject", "请选择本村的一户"),
        ("black", {"subject": "household:999999"}, "subject", "请选择本村的一户"),
        ("black", {"subject": "FOREIGN"}, "subject", "请选择本村的一户"),
        ("black", {"category_id": ""}, "category_id", "请选择一个类别"),
        ("black", {"category_id": "NOBASIS"}, "category_id", "没有写明依据"),
        ("black", {"category_id": "RED"}, "category_id", "请选择一个类别"),
        ("black", {"description": "  "}, "description", "请写下事实经过"),
        ("black", {"description": "长" * 1001}, "description", "最多 1000 个字"),
        ("black", {"deadline": "2026-12-01"}, "deadline", "整改期限应在今天以后"),
        ("black", {"deadline": "2027-12-01"}, "deadline", "整改期限最长 90 天"),
        ("black", {"deadline": "明天"}, "deadline", "日期格式不对"),
        ("red", {"subject": "HOUSEHOLD", "consented": "y"}, "consented", "请先选定被表彰的人"),
    ],
)
def test_bad_entry_input_writes_nothing(
    client,
    committee,
    seeded,
    household,
    subject,
    foreign_resident,
    photo_dir,
    board,
    change,
    field,
    message,
):
    login_as(client, committee)
    black = category(seeded, Board.BLACK, "乱堆乱放")
    red = category(seeded, Board.RED, "最美家庭")
    nobasis = category(seeded, Board.BLACK, "乱倒垃圾")
    nobasis.article_id = None
    db.session.commit()
    data = {
        "category_id": (black if board == "black" else red).id,
        "subject": f"resident:{subject.id}",
        "description": "在村道旁堆放柴草。",
        **change,
    }
    data = {
        key: {
            "FOREIGN": f"resident:{foreign_resident.id}",
            "NOBASIS": nobasis.id,
            "RED": red.id,
            "HOUSEHOLD": f"household:{household.id}",
        }.get(value, value)
        for key, value in data.items()
    }
    data["photo"] = (io.BytesIO(png_bytes()), "site.png")
    before = writes()
    response = client.post(f"{Q}/new?board={board}", data=data, content_type="multipart/form-data")
    assert response.status_code == 422, response.get_data(as_text=True)[:2000]
    text = response.get_data(as_text=True)
    assert message in text[text.index(f'id="{field}') :]
    assert writes() == before
    assert not photo_dir.exists() or list(photo_dir.iterdir()) == []


def test_a_photo_is_kept_and_served_only_to_the_console(
    client, committee, supervisor, neighbour, seeded, subject, photo_dir
):
    login_as(client, committee)
    cat = category(seeded, Board.BLACK, "乱堆乱放")
    response = client.post(
        f"{Q}/new?board=black",
        data={
            "category_id": cat.id,
            "subject": f"resident:{subject.id}",
            "description": "柴草堆在路中间。",
            "caption": "12月1日拍的",
            "photo": (io.BytesIO(png_bytes()), "现场.png"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    entry = db.session.scalars(db.select(BoardEntry)).one()
    assert entry.photo_content_type == "image/png" and entry.photo_caption == "12月1日拍的"
    assert (entry.photo_width, entry.photo_height) == (40, 30)
    assert [p.name for p in photo_dir.iterdir()] == [entry.photo_stored_name]
    page = client.get(f"{Q}/{entry.id}").get_data(as_text=True)
    assert f"{Q}/{entry.id}/photo" in page and "12月1日拍的" in page
    served = client.get(f"{Q}/{entry.id}/photo")
    assert served.status_code == 200 and served.mimetype == "image/png"
    assert served.data.startswith(b"\x89PNG") and served.headers["Cache-Control"] == "no-store"
    login_as(client, supervisor)
    assert client.get(f"{Q}/{entry.id}/photo").status_code == 200
    login_as(client, neighbour)
    assert client.get(f"{Q}/{entry.id}/photo").status_code == 403


def test_a_text_file_named_jpg_is_refused_and_leaves_no_file(
    client, committee, seeded, subject, photo_dir
):
    login_as(client, committee)
    cat = category(seeded, Board.BLACK, "乱堆乱放")
    before = writes()
    response = client.post(
        f"{Q}/new?board=black",
        data={
            "category_id": cat.id,
            "subject": f"resident:{subject.id}",
            "description": "柴草堆在路中间。",
            "photo": (io.BytesIO(b"<html><script>alert(1)</script></html>"), "photo.jpg"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "只能上传图片" in text[text.index('id="photo-field"') :]
    assert writes() == before
    assert not photo_dir.exists() or list(photo_dir.iterdir()) == []


# --- an entry's steps -------------------------------------------------------------------


def test_the_entry_page_plain_and_htmx(client, committee, warned):
    login_as(client, committee)
    page = client.get(f"{Q}/{warned.id}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "欧阳建国" in text and "东街 12 号" in text
    assert "在村道旁堆放柴草" in text and "第1条 环境卫生" in text
    assert "发出整改提醒" in text and page.headers["Cache-Control"] == "no-store"
    hx = client.get(f"{Q}/{warned.id}", headers=htmx_headers("entry-actions"))
    body = hx.get_data(as_text=True)
    assert body.lstrip().startswith('<section id="entry-actions"') and "记录已整改" in body
    assert client.get(f"{Q}/999999").status_code == 404


def test_approving_before_the_deadline_is_refused(client, second_member, warned, at):
    login_as(client, second_member)
    at(START + timedelta(days=5))
    before = writes()
    response = client.post(f"{Q}/{warned.id}/approve", data=meeting_data("2026-12-06"))
    assert response.status_code == 409
    assert "还没有过，期满未整改才能决定列入" in response.get_data(as_text=True)
    assert writes() == before


def test_the_creator_cannot_approve_a_listing(client, committee, warned, at):
    login_as(client, committee)
    at(AFTER_DEADLINE)
    page = client.get(f"{Q}/{warned.id}").get_data(as_text=True)
    assert "登记人不能自己批准" in page and "集体决定列入，开始公示" not in page
    before = writes()
    response = client.post(f"{Q}/{warned.id}/approve", data=meeting_data())
    assert response.status_code == 403
    assert "不能由登记人自己批准" in response.get_data(as_text=True)
    assert writes() == before


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"meeting_on": ""}, "meeting_on", "请填写开会的日期"),
        ({"meeting_on": "2026-12-30"}, "meeting_on", "不能在今天以后"),
        ({"attendees": ""}, "attendees", "请写下参加会议的人"),
        ({"votes_for": ""}, "votes_for", "请填写同意的人数"),
        ({"votes_for": "1", "votes_against": "2"}, "votes_for", "没有过半"),
    ],
)
def test_bad_meeting_input_writes_nothing(
    client, second_member, warned, at, change, field, message
):
    login_as(client, second_member)
    at(AFTER_DEADLINE)
    before = writes()
    response = client.post(f"{Q}/{warned.id}/approve", data=meeting_data(**change))
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert message in text[text.index(f'id="{field}-field"') :]
    assert writes() == before


def test_the_second_member_approves_in_place(client, second_member, warned, at):
    login_as(client, second_member)
    at(AFTER_DEADLINE)
    response = client.post(
        f"{Q}/{warned.id}/approve", data=meeting_data(), headers=htmx_headers("entry-actions")
    )
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<section id="entry-actions"') and "已记录集体决定" in body
    db.session.refresh(warned)
    assert warned.state == EntryState.NOTICE and warned.approved_by_id == second_member.id
    assert warned.meeting_votes_for == 3 and count(Publicity) == 1
    page = client.get(f"{Q}/{warned.id}").get_data(as_text=True)
    assert "公示期：" in page and "王主任、赵委员、钱委员" in page and "公示与异议" in page


def test_declining(client, committee, warned, at):
    login_as(client, committee)
    at(AFTER_DEADLINE)
    before = writes()
    bad = client.post(f"{Q}/{warned.id}/decline", data={"reason": " "})
    assert bad.status_code == 422 and "请写下不列入的理由" in bad.get_data(as_text=True)
    assert writes() == before
    good = client.post(f"{Q}/{warned.id}/decline", data={"reason": "已主动清理。"})
    assert good.status_code == 303
    db.session.refresh(warned)
    assert warned.state == EntryState.DECLINED and warned.decline_reason == "已主动清理。"


def test_publishing_waits_for_the_period_and_the_answers(
    client, committee, in_notice, neighbour, at
):
    login_as(client, committee)
    period = publicity.period_for(services.SUBJECT, in_notice.id)
    before = writes()
    early = client.post(f"{Q}/{in_notice.id}/publish")
    assert early.status_code == 409 and "公示期还没有结束" in early.get_data(as_text=True)
    assert writes() == before
    at(AFTER_DEADLINE + timedelta(hours=1))
    with unit_of_work():
        objection = publicity.object_online(neighbour, period, "柴草已经搬走了。")
    at(period.ends_at + timedelta(hours=1))
    queue = client.get(Q).get_data(as_text=True)
    assert "异议：1 条，待答复 1 条" in queue
    assert f"{Q}/{in_notice.id}/publish" not in queue
    before = writes()
    refused = client.post(
        f"{Q}/{in_notice.id}/publish", headers=htmx_headers(f"entry-{in_notice.id}")
    )
    assert refused.status_code == 409 and "还有异议没有答复" in refused.get_data(as_text=True)
    assert writes() == before
    with unit_of_work():
        publicity.answer(committee, db.session.get(Objection, objection.id), "已核实，仍未清理。")
    queue = client.get(Q).get_data(as_text=True)
    assert f"{Q}/{in_notice.id}/publish" in queue
    done = client.post(f"{Q}/{in_notice.id}/publish", headers=htmx_headers(f"entry-{in_notice.id}"))
    assert done.status_code == 200 and "已公布" in done.get_data(as_text=True)
    db.session.refresh(in_notice)
    assert in_notice.state == EntryState.PUBLISHED and in_notice.expires_at is not None
    assert "到期撤下" in client.get(Q).get_data(as_text=True)


def test_recording_consent(client, committee, seeded, household, subject):
    login_as(client, committee)
    with unit_of_work():
        entry = services.commend(
            committee,
            seeded,
            category_id=category(seeded, Board.RED, "最美家庭").id,
            household_id=household.id,
            resident_id=subject.id,
            description="照顾老人十年。",
        )
    page = client.get(f"{Q}/{entry.id}").get_data(as_text=True)
    assert "记录本人同意公开姓名" in page
    response = client.post(f"{Q}/{entry.id}/consent")
    assert response.status_code == 303
    db.session.refresh(entry)
    assert entry.consented and entry.consent_recorded_by_id == committee.id
    again = client.post(f"{Q}/{entry.id}/consent")
    assert again.status_code == 409 and "已经记录过本人同意" in again.get_data(as_text=True)


# --- the warning slip -------------------------------------------------------------------


def test_the_slip_is_for_the_household_and_the_committee(
    client, committee, supervisor, subject_user, neighbour, warned
):
    url = f"/v/hubin/boards/{warned.id}/slip"
    login_as(client, subject_user)
    page = client.get(url)
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "整改提醒通知书" in text and "欧阳建国" in text
    assert "第1条 环境卫生" in text and "环境卫生的规定" in text
    assert "2026年12月17日" in text and "湖滨村村民委员会" in text
    assert "集体决定" in text and "申诉" in text and "用浏览器的打印功能" in text
    assert "css/poster." in text and "onclick" not in text and "<script>" not in text
    assert page.headers["Cache-Control"] == "no-store" and "noindex" in page.headers["X-Robots-Tag"]
    login_as(client, committee)
    assert client.get(url).status_code == 200
    for outsider in (neighbour, supervisor):
        login_as(client, outsider)
        refused = client.get(url)
        assert refused.status_code == 403 and "欧阳建国" not in refused.get_data(as_text=True)
    login_as(client, committee)
    assert client.get("/v/hubin/boards/999999/slip").status_code == 404


# --- the console home -------------------------------------------------------------------


def test_the_console_home_tile_appears_once_the_boards_are_used(
    client, committee, second_member, village, articles, household, at
):
    login_as(client, committee)
    assert "红黑榜待办" not in client.get("/v/hubin/manage/").get_data(as_text=True)
    with unit_of_work():
        services.seed_categories(village, committee)
    category(village, Board.BLACK, "乱堆乱放").article_id = articles[0].id
    db.session.commit()
    home = client.get("/v/hubin/manage/").get_data(as_text=True)
    assert "红黑榜待办" in home and f'href="{Q}"' in home
    at(START)
    warn(village, committee, household)
    at(AFTER_DEADLINE)
    home = client.get("/v/hubin/manage/").get_data(as_text=True)
    assert "待集体决定 1，可公布 0，申诉 0" in home


# --- what the queue costs ---------------------------------------------------------------


def queue_statements(client) -> int:
    from tests.statements import statements

    client.get(Q)
    with statements() as seen:
        assert client.get(Q).status_code == 200
    return len(seen)


def test_the_queue_costs_the_same_with_2_and_8_entries_in_every_section(
    client, committee, second_member, seeded, at
):
    login_as(client, committee)

    def fill(n):
        for _ in range(n):
            at(START)
            home = HouseholdFactory(village=seeded)
            person = ResidentFactory(household=home, village=seeded)
            warn(seeded, committee, home, person)
            late = warn(seeded, committee, home)
            at(AFTER_DEADLINE)
            meeting = services.Meeting(AFTER_DEADLINE.date(), "王主任、赵委员", 2, 0)
            with unit_of_work():
                services.approve_listing(second_member, late, meeting)
        at(START + timedelta(days=10))

    fill(2)
    few = queue_statements(client)
    fill(6)
    many = queue_statements(client)
    assert few == many
    assert "公示期：" in client.get(Q).get_data(as_text=True)


def test_the_town_reads_the_archive_and_an_entry_but_acts_on_nothing(client, seeded, warned):
    entry = warned
    town = official(Role.TOWN_OFFICIAL, seeded)
    other_town = official(Role.TOWN_OFFICIAL, town=TownFactory())
    login_as(client, town)
    assert client.get("/v/hubin/manage/boards/archive").status_code == 200
    page = client.get(f"/v/hubin/manage/boards/{entry.id}")
    assert page.status_code == 200 and "欧阳建国" in page.text
    assert page.headers["Cache-Control"] == "no-store"
    assert client.get("/v/hubin/manage/boards").status_code == 403
    response = client.post(f"/v/hubin/manage/boards/{entry.id}/put-right", data={})
    assert response.status_code in (400, 403)
    login_as(client, other_town)
    assert client.get(f"/v/hubin/manage/boards/{entry.id}").status_code == 403
    assert client.get("/v/hubin/manage/boards/archive").status_code == 403
