"""The committee's approval queue: each pending entry a row with the household in full,
approved or rejected in place (htmx) or as a plain form (redirect); four eyes in the
views (the recorder and the household's own member see the reason, not the buttons,
and a forged request is refused 403); a selection approved all or none; the console
home's tile; who may see the queue; and what the page costs in SQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal.audit.models import ActionLog
from portal.auth.models import Role
from portal.extensions import db
from portal.points.models import EntryState, PointsEntry, Watch
from portal.publicity.models import Publicity
from tests.conftest import htmx_headers, login_as
from tests.factories import ResidentFactory, VillageFactory, count, official
from tests.points.conftest import holder, record
from tests.statements import statements

Q = "/v/hubin/manage/points"


def writes() -> tuple[int, ...]:
    return (
        count(PointsEntry, PointsEntry.state != EntryState.PENDING),
        count(ActionLog),
        count(Publicity),
    )


def state_of(entry_id: int) -> EntryState:
    db.session.rollback()
    return db.session.get(PointsEntry, entry_id).state


@pytest.fixture
def heads(households):
    return [
        ResidentFactory(household=h, name=n)
        for h, n in zip(households, ("李大山", "周桂英", "吴志强", "郑秀兰"), strict=True)
    ]


@pytest.fixture
def pending(village, households, grid_worker, heads, now):
    """Two entries the grid worker recorded for households of their grid."""
    return [
        record(grid_worker, village, households[0], "G01", note="清理河道"),
        record(grid_worker, village, households[1], "M01"),
    ]


# --- the page -------------------------------------------------------------------------


def test_the_queue_shows_each_row_in_full_plain_and_htmx(client, committee, pending):
    login_as(client, committee)
    page = client.get(Q)
    assert page.status_code == 200
    text = page.text
    for entry in pending:
        assert f'id="entry-{entry.id}"' in text
    assert "李大山家（东街 1 号）" in text and "周桂英家（东街 2 号）" in text
    assert "参加义务劳动（每次半天）" in text and "+2 分" in text
    assert "记录人：张网格" in text and "网格员记录" in text and "清理河道" in text
    assert "待审核 2 条" in text
    assert "审核通过所选" in text and 'form="approve-selected"' in text
    assert page.headers["Cache-Control"] == "no-store"
    counter = client.get(Q, headers=htmx_headers("points-waiting"))
    assert counter.status_code == 200
    assert counter.text.strip().startswith('<span id="points-waiting"')
    assert "李大山" not in counter.text


def test_an_empty_queue_says_so(client, committee):
    login_as(client, committee)
    text = client.get(Q).text
    assert "没有等待审核的积分" in text and "待审核 0 条" in text


def test_the_photo_is_linked_only_when_its_page_exists(client, app, committee, pending):
    entry = db.session.get(PointsEntry, pending[0].id)
    entry.photo_stored_name = "a" * 32 + ".jpg"
    entry.photo_content_type = "image/jpeg"
    db.session.commit()
    login_as(client, committee)
    text = client.get(Q).text
    if "points.entry_photo" in app.view_functions:
        assert "查看照片" in text
    else:
        assert "查看照片" not in text


# --- approve and reject -----------------------------------------------------------------


def test_approve_in_place_answers_the_row_and_refreshes_the_counter(client, committee, pending):
    entry = pending[0]
    login_as(client, committee)
    response = client.post(f"{Q}/{entry.id}/approve", headers=htmx_headers(f"entry-{entry.id}"))
    assert response.status_code == 200
    assert response.text.strip().startswith(f'<li class="card board-row" id="entry-{entry.id}"')
    assert "已审核通过，正在公示" in response.text and "公示中" in response.text
    assert "points-changed" in response.headers["HX-Trigger"]
    assert len(response.data) <= 4096
    assert state_of(entry.id) == EntryState.APPROVED
    assert count(Publicity) == 1
    assert "待审核 1 条" in client.get(Q, headers=htmx_headers("points-waiting")).text


def test_approve_plain_redirects_to_the_queue(client, committee, pending):
    login_as(client, committee)
    response = client.post(f"{Q}/{pending[0].id}/approve")
    assert response.status_code == 303 and response.headers["Location"].endswith(Q)
    assert state_of(pending[0].id) == EntryState.APPROVED
    assert "已审核通过，进入公示" in client.get(Q).text


def test_reject_needs_a_reason_then_answers_in_place(client, committee, pending):
    entry = pending[1]
    login_as(client, committee)
    before = writes()
    field = f"e{entry.id}-reason"
    empty = client.post(
        f"{Q}/{entry.id}/reject", data={field: "  "}, headers=htmx_headers(f"entry-{entry.id}")
    )
    assert empty.status_code == 422 and "请写明退回的理由" in empty.text
    assert empty.text.strip().startswith("<li")
    assert f'id="{field}-error"' in empty.text
    assert writes() == before
    plain_empty = client.post(f"{Q}/{entry.id}/reject", data={field: ""})
    assert plain_empty.status_code == 422 and "<html" in plain_empty.text
    assert writes() == before
    done = client.post(
        f"{Q}/{entry.id}/reject",
        data={field: "那天没有开会。"},
        headers=htmx_headers(f"entry-{entry.id}"),
    )
    assert done.status_code == 200 and "已退回：那天没有开会。" in done.text
    assert "points-changed" in done.headers["HX-Trigger"]
    db.session.rollback()
    rejected = db.session.get(PointsEntry, entry.id)
    assert rejected.state == EntryState.REJECTED and rejected.reason == "那天没有开会。"


def test_reject_plain_redirects(client, committee, pending):
    entry = pending[1]
    login_as(client, committee)
    response = client.post(f"{Q}/{entry.id}/reject", data={f"e{entry.id}-reason": "重复记录"})
    assert response.status_code == 303 and response.headers["Location"].endswith(Q)
    assert state_of(entry.id) == EntryState.REJECTED


def test_deciding_twice_is_refused_in_place(client, committee, second_member, pending):
    entry = pending[0]
    login_as(client, committee)
    assert client.post(f"{Q}/{entry.id}/approve").status_code == 303
    login_as(client, second_member)
    before = writes()
    again = client.post(f"{Q}/{entry.id}/approve", headers=htmx_headers(f"entry-{entry.id}"))
    assert again.status_code == 409 and "已经审核通过了" in again.text
    assert writes() == before


def test_an_entry_of_another_village_is_404(client, committee, pending):
    other = VillageFactory(slug="elsewhere")
    outsider = official(Role.COMMITTEE, other)
    login_as(client, outsider)
    assert client.post(f"/v/elsewhere/manage/points/{pending[0].id}/approve").status_code == 404
    assert state_of(pending[0].id) == EntryState.PENDING


# --- four eyes in the views ---------------------------------------------------------------


def test_the_recorder_sees_the_reason_and_a_forged_approval_is_refused(
    client, committee, village, households, heads
):
    entry = record(committee, village, households[2], "G01")
    login_as(client, committee)
    text = client.get(Q).text
    row = text[text.index(f'id="entry-{entry.id}"') :]
    row = row[: row.index("</li>")]
    assert "这条积分是您记录的，须由另一位村委会成员审核" in row
    assert "/approve" not in row and 'name="entries"' not in row
    before = writes()
    forged = client.post(f"{Q}/{entry.id}/approve")
    assert forged.status_code == 403 and "须由另一位村委会成员审核" in forged.text
    hx = client.post(
        f"{Q}/{entry.id}/reject",
        data={f"e{entry.id}-reason": "x"},
        headers=htmx_headers(f"entry-{entry.id}"),
    )
    assert hx.status_code == 403
    assert writes() == before
    assert state_of(entry.id) == EntryState.PENDING


def test_a_member_of_the_households_own_is_refused(client, village, households, grid_worker):
    member = holder(village, Role.COMMITTEE, name="钱委员", household=households[0])
    entry = record(grid_worker, village, households[0], "G01")
    assert entry.watch == Watch.CADRE
    login_as(client, member)
    text = client.get(Q).text
    assert "这条积分是您本户的，须由其他户的村委会成员审核" in text
    assert "干部户" in text
    before = writes()
    assert client.post(f"{Q}/{entry.id}/approve").status_code == 403
    assert client.post(f"{Q}/approve", data={"entries": str(entry.id)}).status_code == 403
    assert writes() == before


# --- a selection at once ------------------------------------------------------------------


def test_approve_selected_plain(client, second_member, pending):
    login_as(client, second_member)
    ids = [str(e.id) for e in pending]
    response = client.post(f"{Q}/approve", data={"entries": ids})
    assert response.status_code == 303 and response.headers["Location"].endswith(Q)
    assert all(state_of(e.id) == EntryState.APPROVED for e in pending)
    assert "已审核通过 2 条" in client.get(Q).text


def test_approve_selected_in_place_swaps_the_list_and_refreshes_the_counter(
    client, committee, pending
):
    login_as(client, committee)
    response = client.post(
        f"{Q}/approve", data={"entries": [str(pending[0].id)]}, headers=htmx_headers("points-queue")
    )
    assert response.status_code == 200
    assert response.text.strip().startswith('<div id="points-queue"')
    assert "已审核通过 1 条" in response.text
    assert f'id="entry-{pending[0].id}"' not in response.text
    assert f'id="entry-{pending[1].id}"' in response.text
    assert "points-changed" in response.headers["HX-Trigger"]
    assert len(response.data) <= 4096


def test_approve_selected_is_all_or_none(client, committee, village, households, pending):
    own = record(committee, village, households[3], "G01")
    login_as(client, committee)
    before = writes()
    ids = [str(pending[0].id), str(own.id), str(pending[1].id)]
    hx = client.post(f"{Q}/approve", data={"entries": ids}, headers=htmx_headers("points-queue"))
    assert hx.status_code == 403
    assert hx.text.strip().startswith('<div id="points-queue"')
    assert f"第 {own.id} 条" in hx.text and "这次勾选的都没有审核" in hx.text
    plain = client.post(f"{Q}/approve", data={"entries": ids})
    assert plain.status_code == 403 and "<html" in plain.text
    assert writes() == before
    assert all(state_of(e.id) == EntryState.PENDING for e in (*pending, own))


def test_approve_selected_with_nothing_chosen(client, committee, pending):
    login_as(client, committee)
    before = writes()
    response = client.post(f"{Q}/approve", data={"entries": ["", "x"]})
    assert response.status_code == 422 and "请先勾选要审核通过的积分" in response.text
    assert writes() == before


# --- who may see it -------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["visitor", "villager", "grid_worker", "supervisor", "outsider"])
def test_only_the_committee_reaches_the_queue(
    client, who, pending, resident_user, grid_worker, supervisor
):
    users = {
        "villager": resident_user,
        "grid_worker": grid_worker,
        "supervisor": supervisor,
        "outsider": official(Role.COMMITTEE, VillageFactory()),
    }
    if who in users:
        login_as(client, users[who])
    before = writes()
    page = client.get(Q)
    actions = [
        client.post(f"{Q}/{pending[0].id}/approve"),
        client.post(f"{Q}/{pending[0].id}/reject", data={f"e{pending[0].id}-reason": "x"}),
        client.post(f"{Q}/approve", data={"entries": [str(pending[0].id)]}),
    ]
    expected = 302 if who == "visitor" else 403
    assert page.status_code == expected
    assert all(a.status_code == expected for a in actions)
    assert writes() == before


def test_no_token_no_approval(client, committee, pending):
    login_as(client, committee)
    assert client.post(f"{Q}/{pending[0].id}/approve", csrf=False).status_code == 400
    assert (
        client.post(f"{Q}/approve", data={"entries": [str(pending[0].id)]}, csrf=False).status_code
        == 400
    )
    assert state_of(pending[0].id) == EntryState.PENDING


# --- the console home -------------------------------------------------------------------


def test_the_console_tile_appears_with_the_first_entry(
    client, committee, supervisor, village, households, grid_worker
):
    login_as(client, committee)
    assert "积分待审核" not in client.get("/v/hubin/manage/").text
    record(grid_worker, village, households[0], "G01")
    text = client.get("/v/hubin/manage/").text
    assert "积分待审核" in text and 'href="/v/hubin/manage/points"' in text
    # The tile: the list item around its label (the console's tabs link there too).
    tile = text[: text.index("积分待审核")].rsplit("<li", 1)[1]
    assert 'class="tile-urgent"' in tile and 'href="/v/hubin/manage/points"' in tile
    assert "干部户积分监督" not in text
    login_as(client, supervisor)
    text = client.get("/v/hubin/manage/").text
    assert "干部户积分监督" in text and 'href="/v/hubin/manage/points/watch"' in text
    assert "积分待审核" not in text


# --- the cost ---------------------------------------------------------------------------


def queue_statements(client) -> int:
    client.get(Q)
    with statements() as seen:
        assert client.get(Q).status_code == 200
    return len(seen)


# Access: the account, the village, the roles held there (3). The page: the rows (each
# with its item, household and recorder joined) and their count (2), the heads 户主 (1),
# the member's grant and household for four eyes (2), the village's settings (1).
QUEUE_STATEMENTS = 9


def test_the_queue_costs_the_same_however_many_rows(
    client, second_member, village, households, grid_worker, committee, heads
):
    login_as(client, second_member)
    for n in range(2):
        record(grid_worker, village, households[n % 2], "G07", on=date_minus(n))
    few = queue_statements(client)
    for n in range(2, 30):
        record(committee, village, households[n % 4], "G07", on=date_minus(n))
    many = queue_statements(client)
    assert many == few == QUEUE_STATEMENTS


def date_minus(days: int):
    from tests.points.conftest import TODAY

    return TODAY - timedelta(days=days)


def test_english_words(client, committee, pending):
    client.set_cookie("lang", "en")
    login_as(client, committee)
    text = client.get(Q).text
    assert '<html lang="en">' in text
    assert "Approve selected" in text and "Send back" in text
