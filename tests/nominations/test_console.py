"""The nominations console: the queue working in place, a nomination's page, the
committee's decisions (accept for 公示, reject with a reason, commend with an optional
red-board entry, forward to the town), categories, and the console home's tile. Who may
do what, bad input that writes nothing, the plain and htmx answer of each page, and what
the queue costs in SQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal.actions import unit_of_work
from portal.audit.models import ActionLog
from portal.auth.models import Role
from portal.boards import services as boards
from portal.boards.models import Board, BoardCategory, BoardEntry
from portal.extensions import db
from portal.nominations import services
from portal.nominations.models import Nomination, NominationCategory, NominationState
from portal.publicity import services as publicity
from portal.publicity.models import Objection, Publicity
from tests.conftest import htmx_headers, login_as
from tests.factories import VillageFactory, count, official, villager
from tests.nominations.conftest import START, category, nominate
from tests.statements import statements

Q = "/v/hubin/manage/nominations"
AFTER_NOTICE = START + timedelta(days=8)


def writes() -> tuple[int, ...]:
    return (
        count(Nomination),
        count(NominationCategory),
        count(ActionLog),
        count(Publicity),
        count(BoardEntry),
    )


def endorse_all(nomination, users):
    for user in users:
        with unit_of_work():
            services.endorse(user, nomination)


def reviewable(village, nominator, nominee, endorsers, **kwargs):
    nomination = nominate(nominator, village, nominee, **kwargs)
    endorse_all(nomination, endorsers[:3])
    return nomination


def in_notice(village, nominator, nominee, endorsers, committee, **kwargs):
    nomination = reviewable(village, nominator, nominee, endorsers, **kwargs)
    with unit_of_work():
        services.accept(committee, nomination)
    return nomination


def fresh(nomination_id: int) -> Nomination:
    db.session.rollback()
    return db.session.get(Nomination, nomination_id)


def red_category(village, committee, name="孝老爱亲") -> BoardCategory:
    with unit_of_work():
        boards.seed_categories(village, committee)
    return db.session.scalars(
        sa.select(BoardCategory).filter_by(village_id=village.id, board=Board.RED, name=name)
    ).one()


@pytest.fixture
def collecting(village, nominator, nominee, now):
    return nominate(nominator, village, nominee)


@pytest.fixture
def review(village, nominator, nominee, endorsers, now):
    return reviewable(village, nominator, nominee, endorsers)


@pytest.fixture
def noticed(village, nominator, nominee, endorsers, committee, now):
    return in_notice(village, nominator, nominee, endorsers, committee)


@pytest.fixture
def ended(noticed, at):
    at(AFTER_NOTICE)
    return noticed


@pytest.fixture
def commended(ended, committee):
    with unit_of_work():
        services.commend(committee, ended)
    return ended


# --- the queue ------------------------------------------------------------------------


def test_the_queue_shows_each_section_plain_and_htmx(client, committee, review, nominator, now):
    login_as(client, committee)
    page = client.get(Q)
    assert page.status_code == 200
    text = page.text
    for title in ("待评议", "征集联名中", "公示中", "公示期满", "已评为好人"):
        assert title in text
    assert f'id="nomination-{review.id}"' in text
    assert "欧阳娜娜" in text and "陈建国" in text  # full names, for the committee
    assert "同意，进入公示" in text and "不予评选" in text
    assert "待办 1 件" in text
    assert page.headers["Cache-Control"] == "no-store"
    assert "noindex" in page.headers["X-Robots-Tag"]
    hx = client.get(Q, headers=htmx_headers())
    assert hx.status_code == 200 and "待评议" in hx.text
    counter = client.get(Q, headers=htmx_headers("nominations-waiting"))
    assert counter.status_code == 200
    assert counter.text.strip().startswith('<span id="nominations-waiting"')
    assert "待评议" not in counter.text


def test_a_nomination_short_of_endorsements_is_collecting(client, committee, collecting):
    login_as(client, committee)
    text = client.get(Q).text
    row = text[text.index(f'id="nomination-{collecting.id}"') :]
    assert "还差 3 位村民联名才能评议" in row[:3000]
    assert "同意，进入公示" not in row[:3000]
    assert f"/{collecting.id}/reject" in row[:3000]


def test_the_notice_section_counts_objections_and_links_the_period(
    client, committee, noticed, village, endorsers
):
    period = publicity.period_for(services.SUBJECT, noticed.id)
    with unit_of_work():
        publicity.object_online(endorsers[3], period, "他那天不在村里。")
    login_as(client, committee)
    text = client.get(Q).text
    assert "异议：1 条，待答复 1 条" in text
    assert f"/v/hubin/manage/publicity/{period.id}" in text


def test_accept_in_place_answers_the_row_and_refreshes_the_counter(client, committee, review):
    login_as(client, committee)
    before = count(ActionLog)
    response = client.post(
        f"{Q}/{review.id}/accept", headers=htmx_headers(f"nomination-{review.id}")
    )
    assert response.status_code == 200
    assert response.text.strip().startswith(
        f'<li class="card board-row" id="nomination-{review.id}"'
    )
    assert "公示中" in response.text
    assert "nominations-changed" in response.headers["HX-Trigger"]
    assert fresh(review.id).state == NominationState.NOTICE
    assert publicity.period_for(services.SUBJECT, review.id) is not None
    assert count(ActionLog) == before + 2  # the acceptance and the 公示 it opens


def test_accept_plain_redirects_to_next(client, committee, review):
    login_as(client, committee)
    response = client.post(f"{Q}/{review.id}/accept", data={"next": Q})
    assert response.status_code == 303 and response.headers["Location"].endswith(Q)
    assert fresh(review.id).state == NominationState.NOTICE
    assert "已同意进入公示" in client.get(Q).text


def test_accept_short_of_endorsements_is_refused_in_place_writing_nothing(
    client, committee, collecting
):
    login_as(client, committee)
    before = writes()
    row = client.post(
        f"{Q}/{collecting.id}/accept", headers=htmx_headers(f"nomination-{collecting.id}")
    )
    assert row.status_code == 409 and "还差 3 位村民联名" in row.text
    assert row.text.strip().startswith("<li")
    page = client.post(f"{Q}/{collecting.id}/accept")
    assert page.status_code == 409 and "还差 3 位村民联名" in page.text
    assert writes() == before
    assert fresh(collecting.id).state == NominationState.SUBMITTED


def test_reject_needs_a_reason_the_nominator_then_sees(client, committee, review):
    login_as(client, committee)
    before = writes()
    field = f"n{review.id}-reason"
    empty = client.post(
        f"{Q}/{review.id}/reject",
        data={field: "  "},
        headers=htmx_headers(f"nomination-{review.id}"),
    )
    assert empty.status_code == 422 and "请写下不予评选的理由" in empty.text
    assert writes() == before
    done = client.post(f"{Q}/{review.id}/reject", data={field: "事迹与实际不符。"})
    assert done.status_code == 303
    rejected = fresh(review.id)
    assert rejected.state == NominationState.REJECTED
    assert rejected.decision_reason == "事迹与实际不符。"
    assert count(ActionLog, ActionLog.action == "nomination.reject") == 1


def test_commend_waits_for_the_end_of_the_notice_and_every_answer(
    client, committee, noticed, endorsers, at
):
    login_as(client, committee)
    text = client.get(f"{Q}/{noticed.id}").text
    assert "评为好人" not in text.split('id="nomination-actions"')[1]
    before = writes()
    early = client.post(f"{Q}/{noticed.id}/commend")
    assert early.status_code == 409 and "公示期还没有结束" in early.text
    period = publicity.period_for(services.SUBJECT, noticed.id)
    with unit_of_work():
        publicity.object_online(endorsers[3], period, "他那天不在村里。")
    at(AFTER_NOTICE)
    before = writes()
    text = client.get(Q).text
    assert "还有异议没有答复" in text
    unanswered = client.post(f"{Q}/{noticed.id}/commend")
    assert unanswered.status_code == 409 and "还有异议没有答复" in unanswered.text
    assert writes() == before
    objection = db.session.scalars(sa.select(Objection)).one()
    with unit_of_work():
        publicity.answer(committee, objection, "经核实，他那天在村里。")
    assert client.post(f"{Q}/{noticed.id}/commend").status_code == 303
    assert fresh(noticed.id).state == NominationState.COMMENDED


def test_commend_with_a_red_board_entry_and_consent(client, committee, ended, village):
    red = red_category(village, committee)
    login_as(client, committee)
    page = client.get(f"{Q}/{ended.id}").text
    assert f'<option value="{red.id}">孝老爱亲</option>' in page
    assert "本人同意公开姓名" in page
    response = client.post(
        f"{Q}/{ended.id}/commend",
        data={f"n{ended.id}-red_category_id": str(red.id), f"n{ended.id}-consented": "y"},
        headers=htmx_headers("nomination-actions"),
    )
    assert response.status_code == 200 and "已评为好人" in response.text
    nomination = fresh(ended.id)
    assert nomination.state == NominationState.COMMENDED
    entry = db.session.get(BoardEntry, nomination.board_entry_id)
    assert entry.board == Board.RED and entry.category_id == red.id
    assert entry.resident_id == nomination.nominee_resident_id
    assert entry.consented_at is not None and entry.consent_recorded_by_id == committee.id
    assert count(ActionLog, ActionLog.action == "board.commend") == 1


def test_commend_with_a_red_entry_without_consent_records_none(client, committee, ended, village):
    red = red_category(village, committee)
    login_as(client, committee)
    response = client.post(f"{Q}/{ended.id}/commend", data={f"n{ended.id}-red_category_id": red.id})
    assert response.status_code == 303
    entry = db.session.get(BoardEntry, fresh(ended.id).board_entry_id)
    assert entry is not None and entry.consented_at is None


def test_commend_without_a_red_category_makes_no_board_entry(client, committee, ended):
    login_as(client, committee)
    assert client.post(f"{Q}/{ended.id}/commend").status_code == 303
    assert fresh(ended.id).board_entry_id is None and count(BoardEntry) == 0


def test_commend_with_another_villages_red_category_writes_nothing(client, committee, ended):
    other = VillageFactory()
    other_red = red_category(other, official(Role.COMMITTEE, other))
    login_as(client, committee)
    before = writes()
    response = client.post(
        f"{Q}/{ended.id}/commend", data={f"n{ended.id}-red_category_id": other_red.id}
    )
    assert response.status_code in (409, 422)
    assert writes() == before
    assert fresh(ended.id).state == NominationState.NOTICE


def test_forward_to_the_town_once(client, committee, commended):
    login_as(client, committee)
    row = client.post(
        f"{Q}/{commended.id}/forward", headers=htmx_headers(f"nomination-{commended.id}")
    )
    assert row.status_code == 200 and "已报送镇街" in row.text
    assert fresh(commended.id).forwarded_at is not None
    before = writes()
    again = client.post(f"{Q}/{commended.id}/forward")
    assert again.status_code == 409 and "已经报送镇街了" in again.text
    assert writes() == before


# --- who may do what -----------------------------------------------------------------------


ACTIONS = ("accept", "reject", "commend", "forward")


def test_a_supervisor_reads_everything_and_changes_nothing(
    client, supervisor, review, village, nominee
):
    login_as(client, supervisor)
    assert client.get(Q).status_code == 200
    page = client.get(f"{Q}/{review.id}")
    assert page.status_code == 200 and "欧阳娜娜" in page.text
    assert "同意，进入公示" not in page.text
    assert client.get(f"{Q}/categories").status_code == 200
    assert client.get(f"{Q}/{review.id}/endorsements").status_code == 200
    before = writes()
    for action in ACTIONS:
        response = client.post(f"{Q}/{review.id}/{action}", data={f"n{review.id}-reason": "x"})
        assert response.status_code == 403, action
    assert client.post(f"{Q}/categories", data={"name": "乐于助人"}).status_code == 403
    assert writes() == before


@pytest.mark.parametrize("who", ["villager", "other_committee"])
def test_villagers_and_other_villages_are_refused(client, who, review, village, endorsers):
    if who == "villager":
        user = endorsers[0]
    else:
        user = official(Role.COMMITTEE, VillageFactory())
    login_as(client, user)
    before = writes()
    for path in (Q, f"{Q}/{review.id}", f"{Q}/categories", f"{Q}/paper"):
        assert client.get(path).status_code == 403, path
    for action in ACTIONS:
        assert client.post(f"{Q}/{review.id}/{action}").status_code == 403, action
    assert writes() == before


def test_a_nomination_of_another_village_is_not_found(client, committee, review):
    other = VillageFactory(slug="other")
    login_as(client, official(Role.COMMITTEE, other))
    assert client.get(f"/v/other/manage/nominations/{review.id}").status_code == 404
    assert client.post(f"/v/other/manage/nominations/{review.id}/accept").status_code == 404


def test_a_post_without_the_csrf_token_is_refused(client, committee, review):
    login_as(client, committee)
    assert client.post(f"{Q}/{review.id}/accept", csrf=False).status_code == 400
    assert fresh(review.id).state == NominationState.SUBMITTED


# --- one nomination -------------------------------------------------------------------------


def test_the_nomination_page_has_everything_for_the_committee(
    client, committee, noticed, endorsers
):
    period = publicity.period_for(services.SUBJECT, noticed.id)
    with unit_of_work():
        publicity.object_online(endorsers[3], period, "他那天不在村里。")
    login_as(client, committee)
    page = client.get(f"{Q}/{noticed.id}")
    assert page.status_code == 200
    text = page.text
    assert "欧阳娜娜" in text and "陈建国" in text and "网上推荐" in text
    for endorser in endorsers[:3]:
        assert endorser.name in text
    assert "钱七" in text and "他那天不在村里。" in text  # the objection, with its name
    assert f"/v/hubin/manage/publicity/{period.id}" in text
    assert "同意好人推荐进入公示" in text  # the action log
    assert page.headers["Cache-Control"] == "no-store"
    hx = client.get(f"{Q}/{noticed.id}", headers=htmx_headers("nomination-actions"))
    assert hx.status_code == 200
    assert hx.text.strip().startswith('<section id="nomination-actions"')


def test_reject_from_the_nomination_page_in_place(client, committee, review):
    login_as(client, committee)
    bad = client.post(f"{Q}/{review.id}/reject", headers=htmx_headers("nomination-actions"))
    assert bad.status_code == 422 and "请写下不予评选的理由" in bad.text
    assert bad.text.strip().startswith('<section id="nomination-actions"')
    ok = client.post(
        f"{Q}/{review.id}/reject",
        data={f"n{review.id}-reason": "重复推荐。"},
        headers=htmx_headers("nomination-actions"),
    )
    assert ok.status_code == 200 and "推荐人会看到理由" in ok.text
    assert fresh(review.id).state == NominationState.REJECTED


def test_an_unknown_nomination_is_not_found(client, committee):
    login_as(client, committee)
    assert client.get(f"{Q}/999").status_code == 404
    assert client.post(f"{Q}/999/accept").status_code == 404


# --- categories -----------------------------------------------------------------------------


def own_category(village, committee, name="乐于助人"):
    with unit_of_work():
        return services.add_category(committee, village, name)


def test_the_categories_page_lists_official_and_own(client, committee, village):
    own_category(village, committee)
    login_as(client, committee)
    page = client.get(f"{Q}/categories")
    assert page.status_code == 200
    for name in services.OFFICIAL_CATEGORIES:
        assert name in page.text
    assert "乐于助人" in page.text and "停用" in page.text
    hx = client.get(f"{Q}/categories", headers=htmx_headers())
    assert hx.status_code == 200 and "乐于助人" in hx.text


def test_add_a_category(client, committee, village):
    login_as(client, committee)
    response = client.post(f"{Q}/categories", data={"name": "乐于助人"})
    assert response.status_code == 303
    assert "乐于助人" in [c.name for c in services.categories(village)]
    assert count(ActionLog, ActionLog.action == "nomination.category_add") == 1


@pytest.mark.parametrize(
    ("name", "words"),
    [("", "请填写类别名称"), ("助人为乐", "已经有同名的类别了"), ("长" * 41, "最多 40 个字")],
)
def test_a_bad_category_name_writes_nothing(client, committee, village, name, words):
    login_as(client, committee)
    before = writes()
    response = client.post(f"{Q}/categories", data={"name": name})
    assert response.status_code == 422 and words in response.text
    assert writes() == before


def test_retire_a_category_after_confirming(client, committee, village):
    own = own_category(village, committee)
    login_as(client, committee)
    before = writes()
    unconfirmed = client.post(f"{Q}/categories/{own.id}/retire")
    assert unconfirmed.status_code == 422 and "请勾选确认后再停用" in unconfirmed.text
    assert writes() == before
    done = client.post(f"{Q}/categories/{own.id}/retire", data={f"c{own.id}-confirm": "y"})
    assert done.status_code == 303
    db.session.rollback()
    assert db.session.get(NominationCategory, own.id).retired_at is not None
    assert "乐于助人" not in [c.name for c in services.categories(village)]


def test_an_official_category_cannot_be_retired(client, committee, village):
    official_one = category(village, "见义勇为")
    login_as(client, committee)
    before = writes()
    response = client.post(
        f"{Q}/categories/{official_one.id}/retire", data={f"c{official_one.id}-confirm": "y"}
    )
    assert response.status_code == 409 and "五个官方类别不能停用" in response.text
    assert writes() == before
    assert f"/categories/{official_one.id}/retire" not in client.get(f"{Q}/categories").text


# --- the console home ---------------------------------------------------------------------


def tile(client) -> str:
    home = client.get("/v/hubin/manage/").text
    return home[home.index('<ul class="console-tiles">') :]


def test_the_console_home_tile_appears_once_there_is_a_nomination(
    client, committee, village, nominator, nominee, endorsers, now
):
    login_as(client, committee)
    assert "好人推荐待办" not in tile(client)
    nomination = reviewable(village, nominator, nominee, endorsers)
    text = tile(client)
    assert "好人推荐待办" in text and "待评议 1，公示期满 0" in text
    with unit_of_work():
        services.accept(committee, nomination)
    assert "待评议 0，公示期满 0" not in tile(client)  # nothing waits: no flag
    assert "好人推荐待办" in tile(client)


def test_the_tile_counts_ended_notices_and_reads_the_minimum(
    client, committee, village, noticed, at
):
    at(AFTER_NOTICE)
    login_as(client, committee)
    assert "待评议 0，公示期满 1" in tile(client)


# --- what the queue costs -----------------------------------------------------------------


def cost(client, path: str) -> int:
    client.get(path)
    with statements() as seen:
        assert client.get(path).status_code == 200
    return len(seen)


def fill(village, committee, n: int) -> None:
    """`n` nominations in every section of the queue."""
    for i in range(n):
        nominator = villager(village, name=f"推荐人{i}")
        nominees = [villager(village, name=f"被推荐{i}-{k}") for k in range(4)]
        helpers = [villager(village, name=f"联名{i}-{k}") for k in range(3)]
        nominate(nominator, village, nominees[0].resident)
        reviewable(village, nominator, nominees[1].resident, helpers)
        in_notice(village, nominator, nominees[2].resident, helpers, committee)


def test_the_queue_and_a_nomination_cost_the_same_for_few_and_many(
    client, committee, village, noticed
):
    login_as(client, committee)
    fill(village, committee, 1)
    few = cost(client, Q)
    one = cost(client, f"{Q}/{noticed.id}")
    fill(village, committee, 4)
    assert cost(client, Q) == few
    assert cost(client, f"{Q}/{noticed.id}") == one


def test_commend_in_place_leaves_the_row_ready_to_forward(client, committee, ended):
    login_as(client, committee)
    text = client.get(Q).text
    row = text[text.index(f'id="nomination-{ended.id}"') :]
    assert f'name="n{ended.id}-red_category_id"' in row and "评为好人" in row
    response = client.post(
        f"{Q}/{ended.id}/commend", headers=htmx_headers(f"nomination-{ended.id}")
    )
    assert response.status_code == 200
    assert response.text.strip().startswith(
        f'<li class="card board-row" id="nomination-{ended.id}"'
    )
    assert "已评为好人" in response.text and "报送镇街评选" in response.text
    assert "nominations-changed" in response.headers["HX-Trigger"]
    assert fresh(ended.id).state == NominationState.COMMENDED


def test_commend_with_points_records_a_pending_entry_for_the_household(
    client, committee, ended, village
):
    from portal.points.catalogue import seed_catalogue
    from portal.points.models import EntryState, PointItem, PointsEntry

    with unit_of_work():
        seed_catalogue(village)
    item = db.session.scalars(sa.select(PointItem).filter_by(village_id=village.id, code="G09"))
    item = item.one()
    login_as(client, committee)
    page = client.get(f"{Q}/{ended.id}").text
    assert f'<option value="{item.id}">G09 ' in page and "K01" not in page
    response = client.post(
        f"{Q}/{ended.id}/commend", data={f"n{ended.id}-points_item_id": str(item.id)}
    )
    assert response.status_code == 303
    entry = db.session.scalars(sa.select(PointsEntry)).one()
    assert entry.household_id == ended.nominee_household_id and entry.item_id == item.id
    assert entry.state == EntryState.PENDING and entry.recorded_by_id == committee.id
    assert f"第 {ended.id} 号" in entry.note
    assert fresh(ended.id).state == NominationState.COMMENDED


def test_commend_with_another_villages_points_item_writes_nothing(client, committee, ended):
    from portal.points.catalogue import seed_catalogue
    from portal.points.models import PointItem

    other = VillageFactory()
    with unit_of_work():
        seed_catalogue(other)
    foreign = db.session.scalars(sa.select(PointItem).filter_by(village_id=other.id)).first()
    login_as(client, committee)
    before = writes()
    response = client.post(
        f"{Q}/{ended.id}/commend", data={f"n{ended.id}-points_item_id": str(foreign.id)}
    )
    assert response.status_code == 404
    assert writes() == before
    assert fresh(ended.id).state == NominationState.NOTICE
