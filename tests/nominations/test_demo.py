"""The demo's nominations: every state a page can show, the endorsement counts equal to
their rows, the paper one and the ones sent to the town, and no nominee commended twice
in one category within a year."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from portal import demo
from portal.audit.models import ActionLog
from portal.auth.models import User
from portal.boards import services as boards
from portal.boards.models import BoardEntry
from portal.extensions import db
from portal.nominations import services
from portal.nominations.models import (
    Endorsement,
    Nomination,
    NominationCategory,
    NominationState,
    TownDecision,
)
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


def nominations(village) -> list[Nomination]:
    return list(
        db.session.scalars(
            sa.select(Nomination).where(Nomination.village_id == village.id).order_by(Nomination.id)
        )
    )


def shown(nomination):
    return services.shown_state(nomination, publicity.period_for(services.SUBJECT, nomination.id))


def by_shown(village) -> dict:
    found: dict = {}
    for nomination in nominations(village):
        found.setdefault(shown(nomination), []).append(nomination)
    return found


@pytest.mark.demo
def test_the_demo_has_nominations_in_every_shown_state_across_the_categories(runner):
    village = seed(runner)
    found = by_shown(village)
    assert set(found) == set(services.Shown)
    assert {c.name for c in services.categories(village)} == set(services.OFFICIAL_CATEGORIES)
    used = {n.category.name for n in nominations(village)}
    assert used == set(services.OFFICIAL_CATEGORIES)

    needed = services.minimum(village)
    [collecting] = found[services.Shown.COLLECTING]
    assert 0 < collecting.endorsement_count < needed
    # The demo's usual villager login can still endorse it.
    assert services.endorsing_refusal(user(demo.VILLAGER_PHONES[0]), collecting) is None
    assert all(n.endorsement_count >= needed for n in found[services.Shown.REVIEW])
    [rejected] = found[services.Shown.REJECTED]
    assert rejected.decision_reason and rejected.decided_by_id
    [withdrawn] = found[services.Shown.WITHDRAWN]
    assert withdrawn.withdrawn_at is not None and withdrawn.notice_at is None
    [ended] = found[services.Shown.NOTICE_ENDED]
    assert publicity.may_close(publicity.period_for(services.SUBJECT, ended.id))
    assert len(found[services.Shown.COMMENDED]) == 2
    for nomination in found[services.Shown.COMMENDED]:
        period = publicity.period_for(services.SUBJECT, nomination.id)
        assert period.ends_at <= nomination.commended_at
        assert nomination.decided_by_id is not None


@pytest.mark.demo
def test_the_nomination_in_notice_has_one_objection_answered_and_one_not(runner):
    village = seed(runner)
    [nomination] = by_shown(village)[services.Shown.NOTICE]
    assert "3,000 元" in nomination.story
    period = publicity.period_for(services.SUBJECT, nomination.id)
    assert publicity.phase(period) == publicity.PublicityPhase.OPEN
    objections = publicity.objections_for(period)
    assert [o.answered_at is not None for o in objections] == [True, False]
    answered = objections[0]
    assert answered.answer and answered.created_at < answered.answered_at
    assert all(o.resident.household_id != nomination.nominee_household_id for o in objections)
    assert not publicity.may_close(period)


@pytest.mark.demo
def test_the_counts_equal_the_rows(runner):
    village = seed(runner)
    rows = dict(
        db.session.execute(
            sa.select(Endorsement.nomination_id, sa.func.count(Endorsement.id))
            .where(Endorsement.village_id == village.id)
            .group_by(Endorsement.nomination_id)
        ).all()
    )
    everything = nominations(village)
    assert sum(rows.values()) > 0
    for nomination in everything:
        assert nomination.endorsement_count == rows.get(nomination.id, 0), nomination.id
        endorsed_by = [e.resident_id for e in services.endorsers(nomination)]
        assert len(endorsed_by) == len(set(endorsed_by))
        assert nomination.nominator_resident_id not in endorsed_by
    # Each nominator within the limit of open nominations.
    limit = services.settings.setting(village, services.OPEN_PER_VILLAGER.key)
    for nomination in everything:
        assert services.open_count(nomination.nominator_resident_id) <= limit
    # The honour roll lists exactly the public ones.
    listed = {n.id for n in db.session.scalars(services.honour_roll(village))}
    assert listed == {n.id for n in everything if n.state in services.PUBLIC_STATES}


@pytest.mark.demo
def test_the_paper_nomination_and_its_paper_endorsements(runner):
    village = seed(runner)
    committee = user(demo.COMMITTEE_PHONE)
    [paper] = [n for n in nominations(village) if n.on_paper]
    assert paper.entered_by_id == committee.id and paper.nominator_user_id is None
    assert shown(paper) == services.Shown.REVIEW
    with_account = set(
        db.session.scalars(sa.select(User.resident_id).where(User.resident_id.is_not(None)))
    )
    assert paper.nominator_resident_id not in with_account
    endorsements = services.endorsers(paper)
    assert len(endorsements) >= services.minimum(village)
    for endorsement in endorsements:
        assert endorsement.entered_by_id == committee.id and endorsement.user_id is None
        assert endorsement.resident_id not in with_account
        assert endorsement.resident.on_roster
    logged = db.session.scalars(
        sa.select(ActionLog.action).where(
            ActionLog.object_type == "nomination", ActionLog.object_id == paper.id
        )
    ).all()
    assert logged.count("nomination.submit_paper") == 1
    assert logged.count("nomination.endorse_paper") == len(endorsements)


@pytest.mark.demo
def test_the_commended_go_to_the_town_and_one_to_the_red_board(runner):
    village = seed(runner)
    commended = by_shown(village)[services.Shown.COMMENDED]
    assert all(n.forwarded_at is not None for n in commended)
    decided = [n for n in commended if n.town_decision is not None]
    waiting = [n for n in commended if n.town_decision is None]
    assert len(decided) == 1 and len(waiting) == 1
    [decided] = decided
    assert decided.town_decision == TownDecision.SELECTED and decided.town_note
    assert decided.town_decided_by_id == user(demo.TOWN_OFFICIAL_PHONE).id
    assert decided.commended_at < decided.forwarded_at < decided.town_decided_at
    # One of them is on the red board too, masked: no consent was recorded.
    on_board = [n for n in commended if n.board_entry_id is not None]
    assert len(on_board) == 1
    entry = db.session.get(BoardEntry, on_board[0].board_entry_id)
    assert entry.household_id == on_board[0].nominee_household_id
    assert entry.resident_id == on_board[0].nominee_resident_id
    assert not entry.consented
    assert boards.subject_name(entry) != entry.resident.name
    assert boards.is_listed(entry)


@pytest.mark.demo
def test_nothing_is_commended_twice_in_one_category_within_a_year(runner):
    village = seed(runner)
    seen: dict = {}
    for nomination in sorted(
        (n for n in nominations(village) if n.commended_at is not None),
        key=lambda n: n.commended_at,
    ):
        key = (nomination.nominee_household_id, nomination.nominee_resident_id)
        key += (nomination.category_id,)
        if key in seen:
            assert nomination.commended_at - seen[key] >= services.AGAIN_AFTER
        seen[key] = nomination.commended_at
    # And every nominee is a resident on the roster, never the nominator.
    for nomination in nominations(village):
        assert nomination.nominee is not None and nomination.nominee.on_roster
        assert nomination.nominee_resident_id != nomination.nominator_resident_id


@pytest.mark.demo
def test_the_history_was_written_at_its_own_time(runner):
    village = seed(runner)
    for nomination in nominations(village):
        submitted = db.session.scalar(
            sa.select(ActionLog).where(
                ActionLog.object_type == "nomination",
                ActionLog.object_id == nomination.id,
                ActionLog.action.in_(("nomination.submit", "nomination.submit_paper")),
            )
        )
        assert submitted.at == nomination.created_at
        assert nomination.deed_on <= services.clock.local_date(nomination.created_at)
        if nomination.notice_at is not None:
            period = publicity.period_for(services.SUBJECT, nomination.id)
            assert period.starts_at == nomination.notice_at
    now = services.clock.now()
    assert db.session.scalar(sa.select(sa.func.max(Nomination.updated_at))) <= now
    assert db.session.scalar(sa.select(sa.func.max(Endorsement.created_at))) <= now
    latest = db.session.scalar(
        sa.select(sa.func.max(ActionLog.at)).where(ActionLog.action.like("nomination.%"))
    )
    assert latest <= now


@pytest.mark.demo
def test_seeding_again_adds_nothing(runner):
    village = seed(runner)

    def count(model):
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))

    models = (Nomination, NominationCategory, Endorsement, Publicity, Objection, ActionLog)
    before = [count(m) for m in models]
    ids = [(n.id, n.nominee_resident_id, n.state) for n in nominations(village)]
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert [count(m) for m in models] == before
    assert [(n.id, n.nominee_resident_id, n.state) for n in nominations(village)] == ids


@pytest.mark.demo
def test_the_nominations_are_the_same_on_every_build(runner, tmp_path):
    """A fixed random seed: the same households, people and facts in every build."""

    def rows():
        return db.session.execute(
            sa.select(
                Household.door_number,
                NominationCategory.name,
                Nomination.state,
                Nomination.story,
                Nomination.endorsement_count,
            )
            .join(Household, Nomination.nominee_household_id == Household.id)
            .join(NominationCategory, Nomination.category_id == NominationCategory.id)
            .order_by(Nomination.id)
        ).all()

    seed(runner)
    first = rows()
    assert len(first) >= 8
    assert seed_elsewhere(tmp_path, rows) == first
    assert {r.state for r in first} == set(NominationState)
