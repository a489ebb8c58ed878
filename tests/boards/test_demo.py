"""The demo's red and black boards: every state a page can show, every black listing
decided by the committee as a body, and the boards showing what they should."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from portal import demo
from portal.audit.models import ActionLog
from portal.auth.models import Role, User
from portal.boards import services
from portal.boards.demo import ARTICLE_OF
from portal.boards.models import Board, BoardCategory, BoardEntry, EntryState
from portal.extensions import db
from portal.privacy import mask_name
from portal.publicity import services as publicity
from portal.publicity.models import Objection, Publicity
from portal.villages.models import Household, Village
from tests.test_cli import seed_elsewhere


def seed(runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    return db.session.scalar(sa.select(Village).where(Village.slug == demo.DEMO_VILLAGE))


def user(phone: str) -> User:
    return db.session.scalar(sa.select(User).where(User.phone == phone))


def entries(village) -> list[BoardEntry]:
    return list(
        db.session.scalars(
            sa.select(BoardEntry).where(BoardEntry.village_id == village.id).order_by(BoardEntry.id)
        )
    )


def shown(entry):
    return services.shown_state(entry, publicity.period_for(services.SUBJECT, entry.id))


@pytest.mark.demo
def test_the_demo_has_entries_in_every_state(runner):
    village = seed(runner)
    by_shown: dict = {}
    for entry in entries(village):
        by_shown.setdefault((entry.board, shown(entry)), []).append(entry)
    black = {s for board, s in by_shown if board == Board.BLACK}
    assert black == set(services.Shown)
    red = {s for board, s in by_shown if board == Board.RED}
    assert {services.Shown.NOTICE, services.Shown.PUBLISHED} <= red

    published_red = by_shown[(Board.RED, services.Shown.PUBLISHED)]
    consented = [e for e in published_red if e.consented]
    masked = [e for e in published_red if not e.consented]
    assert consented and masked
    assert all(e.resident is not None for e in consented)
    assert services.subject_name(consented[0]) == consented[0].resident.name
    assert services.subject_name(masked[0]) == mask_name(masked[0].resident.name)
    assert services.subject_name(masked[0]) != masked[0].resident.name

    # The expired one was published long ago; its date has passed and the tick froze it.
    [expired] = by_shown[(Board.BLACK, services.Shown.EXPIRED)]
    assert expired.state == EntryState.EXPIRED
    assert expired.published_at < expired.expires_at < expired.expired_at
    # The warned one still has its deadline ahead; the due one's has passed.
    today = services.clock.today_local()
    [warned] = by_shown[(Board.BLACK, services.Shown.WARNED)]
    assert warned.warning_deadline > today
    [due] = by_shown[(Board.BLACK, services.Shown.DECISION_DUE)]
    assert due.warning_deadline < today
    [put_right] = by_shown[(Board.BLACK, services.Shown.PUT_RIGHT)]
    assert put_right.put_right_at.date() <= put_right.warning_deadline
    [declined] = by_shown[(Board.BLACK, services.Shown.DECLINED)]
    assert declined.decline_reason


@pytest.mark.demo
def test_the_black_entry_in_notice_has_one_objection_answered_and_one_not(runner):
    village = seed(runner)
    [entry] = [
        e for e in entries(village) if e.board == Board.BLACK and shown(e) == services.Shown.NOTICE
    ]
    period = publicity.period_for(services.SUBJECT, entry.id)
    assert publicity.phase(period) == publicity.PublicityPhase.OPEN
    objections = publicity.objections_for(period)
    assert len(objections) == 2
    assert [o.answered_at is not None for o in objections] == [True, False]
    answered = objections[0]
    assert answered.answered_by_id is not None and answered.answer
    assert answered.created_at < answered.answered_at
    # Objectors are villagers of the village, never of the household named.
    for objection in objections:
        assert objection.resident.household_id != entry.household_id
    # And it cannot be published while one waits.
    assert not publicity.may_close(period)


@pytest.mark.demo
def test_every_black_listing_was_decided_by_a_second_member_at_a_meeting(runner):
    village = seed(runner)
    first, second = user(demo.COMMITTEE_PHONE), user(demo.SECOND_COMMITTEE_PHONE)
    decided = [
        e
        for e in entries(village)
        if e.board == Board.BLACK
        and e.state
        in (EntryState.NOTICE, EntryState.PUBLISHED, EntryState.EXPIRED, EntryState.WITHDRAWN)
    ]
    assert len(decided) >= 5
    for entry in decided:
        assert entry.approved_by_id is not None
        assert entry.approved_by_id != entry.created_by_id
        assert entry.meeting_on is not None and entry.meeting_attendees
        assert entry.meeting_votes_for > entry.meeting_votes_against
        assert entry.meeting_on <= services.clock.local_date(entry.approved_at)
        assert entry.warning_deadline < services.clock.local_date(entry.approved_at)
        assert first.name in entry.meeting_attendees and second.name in entry.meeting_attendees
    # Both members make entries, and both approve the other's.
    assert {e.created_by_id for e in decided} == {first.id, second.id}
    assert {e.approved_by_id for e in decided} == {first.id, second.id}


@pytest.mark.demo
def test_the_second_committee_member_is_a_demo_login(runner):
    seed(runner)
    first, second = user(demo.COMMITTEE_PHONE), user(demo.SECOND_COMMITTEE_PHONE)
    assert second is not None and second.is_verified
    grants = {(g.role, g.village_id) for g in second.grants if g.revoked_at is None}
    assert (Role.COMMITTEE, first.village_id) in grants
    assert second.resident_id != first.resident_id
    assert second.resident.household_id != first.resident.household_id
    assert second.password_hash == first.password_hash
    assert demo.SECOND_COMMITTEE_PHONE in {login.phone for login in demo.DEMO_LOGINS}
    result = runner.invoke(args=["demo-logins"])
    assert demo.SECOND_COMMITTEE_PHONE in result.output


@pytest.mark.demo
def test_every_category_rests_on_the_fitting_article_in_force(runner):
    village = seed(runner)
    cats = services.categories(village)
    assert {(c.board, c.name) for c in cats} == set(ARTICLE_OF)
    for category in cats:
        article = services.legal_basis(category)
        assert article is not None, category.name
        assert article.title == ARTICLE_OF[(category.board, category.name)]
        assert services.usable(category)
    # Each entry keeps the article its category rested on.
    for entry in entries(village):
        assert entry.article_id == entry.category.article_id


@pytest.mark.demo
def test_listed_is_what_the_boards_show(runner):
    village = seed(runner)
    everything = entries(village)
    for board in Board:
        shown_ids = [e.id for e in db.session.scalars(services.listed(village, board))]
        expected = [e for e in everything if e.board == board and services.is_listed(e)]
        assert sorted(shown_ids) == sorted(e.id for e in expected)
        assert shown_ids
        states = {shown(e) for e in everything if e.id in shown_ids}
        assert states <= {
            services.Shown.NOTICE,
            services.Shown.NOTICE_ENDED,
            services.Shown.PUBLISHED,
        }
    black_ids = {e.id for e in db.session.scalars(services.listed(village, Board.BLACK))}
    for entry in everything:
        if entry.board == Board.BLACK and shown(entry) in (
            services.Shown.WARNED,
            services.Shown.DECISION_DUE,
            services.Shown.PUT_RIGHT,
            services.Shown.DECLINED,
            services.Shown.EXPIRED,
            services.Shown.WITHDRAWN,
        ):
            assert entry.id not in black_ids
    counts = dict(services.counts_by_category(village, Board.BLACK))
    assert sum(counts.values()) == len(black_ids)
    # A visitor reads the red board, never the black one; the demo villager reads both.
    assert not services.may_read_black(None, village)
    assert services.may_read_black(user(demo.VILLAGER_PHONES[0]), village)


@pytest.mark.demo
def test_the_history_was_written_at_its_own_time(runner):
    village = seed(runner)
    for entry in entries(village):
        warn_or_commend = db.session.scalar(
            sa.select(ActionLog).where(
                ActionLog.object_type == "boardentry",
                ActionLog.object_id == entry.id,
                ActionLog.action.in_(("board.warn", "board.commend")),
            )
        )
        assert warn_or_commend.at == entry.created_at
        assert warn_or_commend.actor_id == entry.created_by_id
        period = publicity.period_for(services.SUBJECT, entry.id)
        if entry.notice_at is not None:
            assert period.starts_at == entry.notice_at
    # Nothing of the demo lies in the future.
    now = services.clock.now()
    assert db.session.scalar(sa.select(sa.func.max(BoardEntry.updated_at))) <= now
    assert db.session.scalar(sa.select(sa.func.max(Objection.created_at))) <= now
    latest = db.session.scalar(
        sa.select(sa.func.max(ActionLog.at)).where(ActionLog.action.like("board.%"))
    )
    assert latest <= now


@pytest.mark.demo
def test_seeding_again_adds_nothing(runner):
    village = seed(runner)

    def count(model):
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))

    before = [count(m) for m in (BoardEntry, BoardCategory, Publicity, Objection, ActionLog)]
    ids = [(e.id, e.household_id, e.state) for e in entries(village)]
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "nothing to add" in result.output
    after = [count(m) for m in (BoardEntry, BoardCategory, Publicity, Objection, ActionLog)]
    assert after == before
    assert [(e.id, e.household_id, e.state) for e in entries(village)] == ids


@pytest.mark.demo
def test_the_boards_are_the_same_on_every_build(runner, tmp_path):
    """A fixed random seed: the same households, people and facts in every build."""

    def boards():
        return db.session.execute(
            sa.select(
                Household.door_number,
                BoardCategory.name,
                BoardEntry.state,
                BoardEntry.description,
                BoardEntry.resident_id.is_(None),
            )
            .join(Household, BoardEntry.household_id == Household.id)
            .join(BoardCategory, BoardEntry.category_id == BoardCategory.id)
            .order_by(BoardEntry.id)
        ).all()

    seed(runner)
    first = boards()
    assert len(first) >= 12
    assert seed_elsewhere(tmp_path, boards) == first
