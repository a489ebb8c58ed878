"""Marking a resident as moved away 迁出 or died 去世 on the residents list, and undoing it:
plain forms and htmx, every role, bad input, the action log, and the vote's roll."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from portal import clock
from portal.audit.models import ActionLog
from portal.auth.models import RegistrationStatus, Role
from portal.extensions import db
from portal.i18n import format_date
from portal.rules import services as rules
from portal.rules.models import VoteEligibility
from portal.villages.models import DepartureReason, Resident
from tests.conftest import htmx_headers
from tests.factories import HouseholdFactory, ResidentFactory, UserFactory, official, villager
from tests.manage.conftest import as_user, log_actions
from tests.rules import factories as rf

MARK = "/v/hubin/manage/residents/departure"
UNDO = "/v/hubin/manage/residents/departure/undo"
LIST = "/v/hubin/manage/residents"


@pytest.fixture
def home(village):
    return HouseholdFactory(village=village, door_number="8号")


@pytest.fixture
def wang(home):
    """A resident with a verified account."""
    resident = ResidentFactory(household=home, name="王芳", birth_year=1950)
    UserFactory(resident=resident, village=home.village, status=RegistrationStatus.VERIFIED)
    return resident


@pytest.fixture
def li(home):
    """A resident without an account."""
    return ResidentFactory(household=home, name="李强", birth_year=1960)


def today():
    return clock.today_local()


def mark(client, resident, reason="moved", left_on=None, query="", headers=None, **extra):
    data = {"resident_id": resident.id, "left_on": (left_on or today()).isoformat(), **extra}
    if reason is not None:
        data["reason"] = reason
    return client.post(MARK + query, data=data, headers=headers or {})


def undo(client, resident, query="", headers=None):
    return client.post(UNDO + query, data={"resident_id": resident.id}, headers=headers or {})


def row_headers(resident) -> dict:
    return htmx_headers(f"resident-{resident.id}")


def reload(resident) -> Resident:
    db.session.rollback()
    return db.session.get(Resident, resident.id)


def logs() -> list[ActionLog]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(ActionLog).order_by(ActionLog.id)))


# --- marking and undoing, plain and htmx ----------------------------------------------


def test_a_plain_form_marks_and_returns_to_the_same_list(client, committee, li):
    as_user(client, committee)
    day = today()
    response = mark(client, li, "moved", day, query="?q=李&account=without&page=1")
    assert response.status_code == 303
    assert response.headers["Location"] == f"{LIST}?q={quote('李')}&account=without"
    resident = reload(li)
    assert (resident.left_on, resident.left_reason) == (day, DepartureReason.MOVED)

    page = client.get(response.headers["Location"]).text
    assert f"已迁出 {format_date(day)}" in page
    assert f"已登记：李强已迁出 {format_date(day)}。" in page  # the flash
    assert "此人的账号保留" not in page  # 李强 has no account
    assert "撤销登记" in page and "登记迁出或去世</summary>" not in page


def test_htmx_marks_in_place_and_answers_only_the_row(client, committee, wang):
    as_user(client, committee)
    response = mark(client, wang, "died", headers=row_headers(wang))
    assert response.status_code == 200
    body = response.text.strip()
    assert body.startswith(f'<tr id="resident-{wang.id}">') and body.endswith("</tr>")
    assert "<html" not in body and "<table" not in body
    assert f"已去世 {format_date(today())}" in body and "撤销登记" in body
    assert "此人的账号保留，但从这一天起开始的表决不再列入名单" in body
    assert f'hx-target="#resident-{wang.id}"' in body
    assert "HX-Request" in response.headers["Vary"]
    assert len(response.data) < 4096
    assert reload(wang).left_reason == DepartureReason.DIED


def test_the_mark_is_logged_with_before_and_after_and_no_name(client, village, committee, li):
    as_user(client, committee)
    day = today()
    mark(client, li, "died", day)
    [log] = logs()
    assert (log.action, log.actor_id, log.role, log.village_id) == (
        "roster.resident_left",
        committee.id,
        "committee",
        village.id,
    )
    assert (log.object_type, log.object_id) == ("resident", li.id)
    assert log.summary == {
        "before": {"left_on": None, "left_reason": None},
        "after": {"left_on": day.isoformat(), "left_reason": "died"},
    }
    assert "李强" not in str(log.summary)


@pytest.mark.parametrize("htmx", [False, True])
def test_undo_puts_the_resident_back_on_the_roster(client, village, committee, li, htmx):
    day = today()
    li.left_on, li.left_reason = day, DepartureReason.MOVED
    db.session.commit()
    as_user(client, committee)
    headers = row_headers(li) if htmx else None
    response = undo(client, li, query="?roster=left", headers=headers)
    if htmx:
        assert response.status_code == 200
        assert response.text.strip().startswith(f'<tr id="resident-{li.id}">')
        assert "已撤销李强的迁出或去世登记" in response.text
        assert "登记迁出或去世" in response.text  # the form is back
    else:
        assert response.status_code == 303
        assert response.headers["Location"] == f"{LIST}?roster=left"
    resident = reload(li)
    assert (resident.left_on, resident.left_reason) == (None, None)
    [log] = logs()
    assert (log.action, log.role, log.object_id) == ("roster.resident_returned", "committee", li.id)
    assert log.summary == {
        "before": {"left_on": day.isoformat(), "left_reason": "moved"},
        "after": {"left_on": None, "left_reason": None},
    }


@pytest.mark.parametrize(
    "written",
    [
        lambda d: d.isoformat(),
        lambda d: f"{d.year}/{d.month}/{d.day}",
        lambda d: f"{d.year}年{d.month}月{d.day}日",
        lambda d: d.strftime("%Y%m%d"),
    ],
)
def test_a_typed_date_is_read_as_the_roster_import_reads_it(client, committee, li, written):
    as_user(client, committee)
    day = today()
    response = client.post(
        MARK, data={"resident_id": li.id, "reason": "moved", "left_on": written(day)}
    )
    assert response.status_code == 303
    assert reload(li).left_on == day


def test_the_form_defaults_to_today_and_says_an_account_stays(client, committee, wang, li):
    as_user(client, committee)
    page = client.get(LIST).text
    iso = today().isoformat()
    assert page.count(f'name="left_on" type="date" value="{iso}" max="{iso}"') == 2
    assert page.count("此人有账号：账号会保留，但从这一天起开始的表决不再列入名单。") == 1
    assert page.count('name="reason" value="moved">') == 2  # no reason chosen for the clerk


# --- the list shows the departed, marked, and filters them ----------------------------


@pytest.fixture
def departed(home, li, wang):
    moved = ResidentFactory(household=home, name="赵迁", birth_year=1980)
    died = ResidentFactory(household=home, name="钱故", birth_year=1930)
    moved.left_on, moved.left_reason = today(), DepartureReason.MOVED
    died.left_on, died.left_reason = today(), DepartureReason.DIED
    db.session.commit()
    return moved, died


def test_the_departed_stay_in_the_list_with_their_mark(client, committee, departed):
    as_user(client, committee)
    page = client.get(LIST).text
    assert "共 4 人" in page
    assert f"已迁出 {format_date(today())}" in page and f"已去世 {format_date(today())}" in page
    assert page.count(">撤销登记<") == 2
    # Nobody sends an invite code to someone who has left.
    assert "name=%E8%B5%B5%E8%BF%81" not in page and "name=%E6%9D%8E%E5%BC%BA" in page


def test_the_console_and_the_town_count_only_residents_on_the_roster(
    client, village, committee, departed
):
    as_user(client, committee)
    console = client.get("/v/hubin/manage/").text
    assert '<span class="tile-count">2</span>' in console  # 王芳 and 李强, not the two gone
    official_user = official(Role.TOWN_OFFICIAL, town=village.town)
    as_user(client, official_user)
    town = client.get(f"/town/{village.town.slug}/").text
    assert "<td>2</td>" in town and "<td>4</td>" not in town


def test_the_roster_filter_plain_and_htmx(client, committee, departed):
    as_user(client, committee)
    current = client.get(f"{LIST}?roster=current").text
    assert "共 2 人" in current and "赵迁" not in current and "李强" in current
    left = client.get(f"{LIST}?roster=left", headers=htmx_headers("resident-results")).text
    assert "<html" not in left and "共 2 人" in left
    assert "赵迁" in left and "钱故" in left and "李强" not in left
    assert 'value="left" selected' in client.get(f"{LIST}?roster=left").text
    assert client.get(f"{LIST}?roster=x' OR 1=1").status_code == 200


def test_supervisor_sees_the_marks_but_no_controls(client, supervisor, departed):
    as_user(client, supervisor)
    page = client.get(LIST).text
    assert f"已迁出 {format_date(today())}" in page
    assert "hx-post" not in page and 'method="post" action="/v/hubin/manage' not in page
    assert "登记迁出或去世" not in page and "撤销登记" not in page


# --- who may not -----------------------------------------------------------------------


@pytest.mark.parametrize("who", ["supervisor", "grid worker", "villager", "other committee"])
def test_only_this_villages_committee_may_mark_or_undo(client, village, other_village, li, who):
    user = {
        "supervisor": lambda: official(Role.SUPERVISOR, village=village),
        "grid worker": lambda: official(Role.GRID_WORKER, village=village),
        "villager": lambda: villager(village),
        "other committee": lambda: official(Role.COMMITTEE, village=other_village),
    }[who]()
    as_user(client, user)
    assert mark(client, li).status_code == 403
    assert mark(client, li, headers=row_headers(li)).status_code == 403
    li.left_on, li.left_reason = today(), DepartureReason.MOVED
    db.session.commit()
    assert undo(client, li).status_code == 403
    assert reload(li).left_on == today()
    assert log_actions() == []


def test_a_visitor_is_sent_to_log_in(client, li):
    response = mark(client, li)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert reload(li).left_on is None


def test_a_post_without_the_csrf_token_is_refused(client, committee, li):
    as_user(client, committee)
    response = client.post(MARK, data={"resident_id": li.id, "reason": "moved"}, csrf=False)
    assert response.status_code == 400
    assert reload(li).left_on is None and log_actions() == []


def test_a_resident_of_another_village_is_not_found(client, other_village, committee):
    foreign = ResidentFactory(household=HouseholdFactory(village=other_village), name="外人")
    as_user(client, committee)
    assert mark(client, foreign).status_code == 404
    assert mark(client, foreign, headers=row_headers(foreign)).status_code == 404
    foreign.left_on, foreign.left_reason = today(), DepartureReason.MOVED
    db.session.commit()
    assert undo(client, foreign).status_code == 404
    assert reload(foreign).left_on == today() and log_actions() == []


@pytest.mark.parametrize("resident_id", ["", "abc", "0", "999999"])
def test_a_missing_or_unknown_resident_is_not_found(client, committee, resident_id):
    as_user(client, committee)
    data = {"resident_id": resident_id, "reason": "moved", "left_on": today().isoformat()}
    assert client.post(MARK, data=data).status_code == 404
    assert log_actions() == []


# --- bad input: a clear message beside its field, nothing written -------------------------


def bad_inputs():
    tomorrow = today() + timedelta(days=1)
    yesterday = today() - timedelta(days=1)
    return [
        ({"reason": None}, "请选择是迁出还是去世。"),
        ({"reason": "emigrated"}, "请选择是迁出还是去世。"),
        ({"left_on": ""}, "请填写日期。"),
        ({"left_on": "明天"}, "日期看不懂，请写成 2026-11-03 这样。"),
        ({"left_on": f"{today().year}-02-30"}, "日历上没有这一天，请核对日期。"),
        ({"left_on": tomorrow.isoformat()}, f"日期不能晚于今天（{format_date(today())}）。"),
        (
            {"left_on": yesterday.isoformat()},
            f"李强是 {format_date(today())} 登记到花名册上的，日期不能早于这一天。",
        ),
    ]


@pytest.mark.parametrize("change, message", bad_inputs())
@pytest.mark.parametrize("htmx", [False, True])
def test_bad_input_is_answered_beside_its_field_and_writes_nothing(
    client, committee, li, change, message, htmx
):
    as_user(client, committee)
    data = {"resident_id": li.id, "reason": "moved", "left_on": today().isoformat(), **change}
    data = {k: v for k, v in data.items() if v is not None}
    headers = row_headers(li) if htmx else {}
    response = client.post(MARK, data=data, headers=headers)
    assert response.status_code == 422
    assert message in response.text
    assert 'class="error"' in response.text and '<details class="refuse" open>' in response.text
    if htmx:
        assert response.text.strip().startswith(f'<tr id="resident-{li.id}">')
    else:
        assert "<html" in response.text and 'id="resident-results"' in response.text
    assert reload(li).left_on is None
    assert log_actions() == []


def test_what_was_typed_is_kept_after_a_refusal(client, committee, li):
    as_user(client, committee)
    response = client.post(
        MARK,
        data={"resident_id": li.id, "reason": "died", "left_on": "明天"},
        headers=row_headers(li),
    )
    assert 'value="died" checked' in response.text and 'value="明天"' in response.text


@pytest.mark.parametrize("htmx", [False, True])
def test_marking_twice_is_refused_and_undo_of_nobody_is_refused(client, committee, li, htmx):
    as_user(client, committee)
    headers = row_headers(li) if htmx else None
    response = undo(client, li, headers=headers)
    assert response.status_code == 409 and "李强没有登记迁出或去世，不用撤销。" in response.text
    assert mark(client, li).status_code == 303
    again = mark(client, li, "died", headers=headers)
    assert again.status_code == 409
    assert f"李强已经登记过：已迁出 {format_date(today())}。如果登记错了，请先撤销再重新登记。" in (
        again.text
    )
    assert reload(li).left_reason == DepartureReason.MOVED
    assert log_actions() == ["roster.resident_left"]


def test_a_refused_row_stays_in_view_on_a_page_without_it(client, village, committee, li):
    for n in range(25):
        ResidentFactory(household=HouseholdFactory(village=village, door_number=f"{n + 10}号"))
    li.left_on, li.left_reason = today(), DepartureReason.MOVED
    db.session.commit()
    as_user(client, committee)
    response = mark(client, li, query="?page=2")
    assert response.status_code == 409
    assert f'id="resident-{li.id}"' in response.text and "李强已经登记过" in response.text


# --- the roll -----------------------------------------------------------------------------


def roll_of(version) -> set[int]:
    rules.freeze_roll_if_due(version, version.vote_opens_at)
    db.session.commit()
    return set(
        db.session.scalars(
            sa.select(VoteEligibility.resident_id).where(VoteEligibility.version_id == version.id)
        )
    )


def test_a_resident_marked_as_left_before_the_opening_is_not_on_the_roll(
    client, village, committee, home, wang, li
):
    stays = ResidentFactory(household=home, name="张留", birth_year=1970)
    returned = ResidentFactory(household=home, name="孙回", birth_year=1970)
    version = rf.announced(village, committee)
    as_user(client, committee)
    assert mark(client, wang, "died").status_code == 303
    assert mark(client, li, "moved", headers=row_headers(li)).status_code == 200
    assert mark(client, returned, "moved").status_code == 303
    assert undo(client, returned).status_code == 303
    assert today() < clock.local_date(version.vote_opens_at)
    db.session.rollback()
    version = db.session.merge(version)
    assert roll_of(version) == {stays.id, returned.id}
    # The departed keep their rows, and the account of the one who had one.
    assert reload(wang) is not None and reload(wang).left_on == today()


def test_the_mark_and_its_messages_are_in_the_readers_language(client, committee, wang, li):
    as_user(client, committee)
    client.set_cookie("lang", "en")
    response = mark(client, wang, "died", headers=row_headers(wang))
    assert "Died " in response.text and "Their account stays" in response.text
    refused = mark(client, li, "moved", today() + timedelta(days=1), headers=row_headers(li))
    assert refused.status_code == 422 and "The date cannot be later than today" in refused.text
    assert "Mark as moved away or died" in client.get(LIST).text
