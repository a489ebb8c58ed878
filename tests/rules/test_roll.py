"""The assembly roll is the village's roster (Organic Law Art. 22), and the clock decides
a vote's phase: residents without accounts count and vote on paper, birth dates decide
the 18th birthday, departures are kept with their date, and no read freezes a roll."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from portal import clock
from portal.actions import Refusal, unit_of_work
from portal.audit.models import ActionLog
from portal.database import TransactionAlreadyOpen, write_transaction
from portal.extensions import db
from portal.rules import services
from portal.rules.models import Ballot, BallotChannel, VoteEligibility, VotePhase, vote_phase
from portal.rules.services import RuleError
from portal.villages.models import DepartureReason, QuorumMode
from tests.factories import HouseholdFactory, ResidentFactory, count, villager
from tests.rules import factories as rf


def opening_day(version):
    return clock.local_date(version.vote_opens_at)


def roll_of(version) -> set[int]:
    services.freeze_roll_if_due(version, version.vote_opens_at)
    db.session.commit()
    return set(
        db.session.scalars(
            sa.select(VoteEligibility.resident_id).where(VoteEligibility.version_id == version.id)
        )
    )


def test_residents_without_accounts_are_on_the_roll_and_vote_on_paper(village, clerk):
    version = rf.announced(village, clerk)
    online = villager(village)
    paper_only = ResidentFactory(household__village=village)
    assert roll_of(version) == {online.resident_id, paper_only.id}
    when = rf.during(version)
    services.enter_paper_ballot(clerk, version, paper_only, "yes", when)
    db.session.commit()
    [ballot] = db.session.scalars(sa.select(Ballot)).all()
    assert ballot.resident_id == paper_only.id and ballot.channel == BallotChannel.PAPER
    figures = services.turnout(version, when)
    assert (figures.eligible, figures.voted, figures.online_capable) == (2, 1, 1)
    assert figures.paper_only == 1


def test_a_resident_without_a_verified_account_cannot_vote_online(village, clerk):
    version = rf.voting(village, clerk)
    pending = villager(village)
    pending.status = "pending"
    db.session.commit()
    with pytest.raises(RuleError, match="已核实") as refused:
        services.cast_ballot(version, pending, "yes", rf.during(version))
    assert refused.value.status == 403
    db.session.rollback()
    assert count(Ballot) == 0


@pytest.mark.parametrize("mode", [QuorumMode.PERSONS, QuorumMode.HOUSEHOLDS])
def test_quorum_is_reached_through_paper_ballots(village, clerk, mode):
    village.quorum_mode = mode
    db.session.commit()
    households = [HouseholdFactory(village=village) for _ in range(3)]
    people = [ResidentFactory(household=h) for h in households for _ in range(2)]
    version = rf.voting(village, clerk)
    when = rf.during(version)
    # Four of six on paper, from all three households: over half, and every household.
    for resident in people[::2] + people[1:2]:
        services.enter_paper_ballot(clerk, version, resident, "yes", when)
    db.session.commit()
    result = services.close_vote(clerk, version, rf.after(version))
    db.session.commit()
    assert result.eligible_count == 6 and result.paper_count == 4 and result.online_count == 0
    assert result.quorum_met and result.passed


@pytest.mark.parametrize(
    ("birthday_offset", "on_roll"),
    [(-1, True), (0, True), (1, False)],
    ids=["18 the day before", "18 on the opening day", "18 the day after"],
)
def test_birth_date_decides_the_18th_birthday(village, clerk, birthday_offset, on_roll):
    version = rf.announced(village, clerk)
    day = opening_day(version)
    eighteenth = day + timedelta(days=birthday_offset)
    born = eighteenth.replace(year=eighteenth.year - 18)
    resident = ResidentFactory(household__village=village, birth_year=born.year, birth_date=born)
    assert (resident.id in roll_of(version)) is on_roll
    assert version.roll_year_rule_left_out == 0


def test_only_a_birth_year_keeps_the_year_rule_and_is_counted_as_left_out(village, clerk):
    version = rf.announced(village, clerk)
    year = opening_day(version).year
    ResidentFactory(household__village=village, birth_year=year - 18)
    assert roll_of(version) == set()
    assert version.roll_year_rule_left_out == 1


def test_the_latest_adult_birth_date_on_29_february():
    assert services.latest_adult_birth_date(date(2028, 2, 29)) == date(2010, 2, 28)
    assert services.adult_on(date(2010, 2, 28), 2010, date(2028, 2, 29))
    assert not services.adult_on(date(2010, 3, 1), 2010, date(2028, 2, 29))


def test_residents_who_left_before_the_opening_are_not_counted(village, clerk):
    version = rf.announced(village, clerk)
    day = opening_day(version)
    moved = ResidentFactory(
        household__village=village, left_on=day - timedelta(days=1), left_reason="moved"
    )
    died_on_the_day = ResidentFactory(household__village=village, left_on=day, left_reason="died")
    left_after = ResidentFactory(
        household__village=village, left_on=day + timedelta(days=1), left_reason="moved"
    )
    stays = ResidentFactory(household__village=village)
    roll = roll_of(version)
    assert roll == {left_after.id, stays.id}
    assert {moved.id, died_on_the_day.id}.isdisjoint(roll)
    assert moved.left_reason == DepartureReason.MOVED
    # The departed keep their rows: a roll can be recomputed as of any opening time.
    assert db.session.get(type(moved), moved.id) is not None


def test_phases_at_each_boundary_are_read_from_the_clock_without_a_write(village, clerk):
    version = rf.announced(village, clerk)
    ResidentFactory(household__village=village)
    second = timedelta(seconds=1)
    opens, closes = version.vote_opens_at, version.vote_closes_at
    assert vote_phase(version, opens - second) == VotePhase.ANNOUNCED
    assert vote_phase(version, opens) == VotePhase.OPEN
    assert vote_phase(version, closes - second) == VotePhase.OPEN
    assert vote_phase(version, closes) == VotePhase.ENDED
    # The open vote's figures come from the roster as of the opening, with nothing written.
    assert services.turnout(version, opens).eligible == 1
    db.session.rollback()
    assert version.vote_opened_at is None and count(VoteEligibility) == 0
    services.close_vote(clerk, version, closes)
    db.session.commit()
    assert vote_phase(version, closes) == VotePhase.CLOSED


def test_a_tick_freezes_once(village, clerk):
    version = rf.announced(village, clerk)
    ResidentFactory(household__village=village)
    assert services.freeze_due_rolls(version.vote_opens_at - timedelta(seconds=1)) == 0
    assert services.freeze_due_rolls(version.vote_opens_at) == 1
    assert services.freeze_due_rolls(version.vote_opens_at + timedelta(hours=1)) == 0
    assert count(VoteEligibility) == 1
    assert count(ActionLog, ActionLog.action == "rules.vote_open") == 1


def test_flask_tick_command_freezes_due_rolls(app, village, clerk, monkeypatch):
    version = rf.announced(village, clerk)
    ResidentFactory(household__village=village)
    monkeypatch.setattr(clock, "now", lambda: rf.during(version))
    result = app.test_cli_runner().invoke(args=["tick"])
    assert result.exit_code == 0 and "rules.rolls: 1" in result.output
    again = app.test_cli_runner().invoke(args=["tick"])
    assert "rules.rolls: 0" in again.output
    assert count(VoteEligibility) == 1


def test_the_one_ballot_rule_is_held_by_the_database(village, clerk):
    """Without the unique constraint a second row would go in: the row lock in the service
    would hide its absence from the race tests, so this checks the constraint itself."""
    voter = villager(village)
    version = rf.voting(village, clerk)
    row = {"version_id": version.id, "resident_id": voter.resident_id, "choice": "yes"}
    db.session.execute(sa.insert(Ballot), [{**row, "channel": "online", "cast_at": clock.now()}])
    db.session.commit()
    with pytest.raises(sa.exc.IntegrityError):
        db.session.execute(sa.insert(Ballot), [{**row, "channel": "paper", "cast_at": clock.now()}])
        db.session.commit()
    db.session.rollback()
    assert count(Ballot) == 1


def test_a_refused_action_leaves_neither_a_change_nor_a_log_row(village, clerk):
    version = rf.in_consultation(village, clerk)
    before = count(ActionLog)
    with pytest.raises(Refusal), unit_of_work():
        services.edit_article(clerk, version.articles[0], "新的条文")
    assert count(ActionLog) == before
    db.session.refresh(version.articles[0])
    assert version.articles[0].body == rf.ARTICLES[0]


def test_a_successful_action_leaves_both(village, clerk):
    version = rf.draft(village, clerk)
    before = count(ActionLog)
    with unit_of_work():
        services.edit_article(clerk, version.articles[0], "新的条文")
    assert count(ActionLog) == before + 1
    assert version.articles[0].body == "新的条文"


def test_write_transaction_will_not_commit_someone_elses_work(village):
    village.name = "改了名但没有提交"
    db.session.flush()
    with pytest.raises(TransactionAlreadyOpen):
        write_transaction()
    db.session.rollback()
    db.session.refresh(village)
    assert village.name == "湖滨村"
