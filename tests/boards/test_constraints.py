"""The safeguards the database holds whatever the code does (a direct SQL UPDATE is
refused), on SQLite and on PostgreSQL; and the expiry that the clock shows at once and
`flask tick` freezes."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from portal import tick
from portal.actions import unit_of_work
from portal.audit.models import ActionLog
from portal.boards import services
from portal.boards.models import Board, BoardEntry, EntryState
from portal.extensions import db
from tests.boards.conftest import START, category
from tests.factories import count


@pytest.fixture
def warned(seeded, committee, household, subject, now):
    with unit_of_work():
        entry = services.warn(
            committee,
            seeded,
            category_id=category(seeded, Board.BLACK, "乱堆乱放").id,
            household_id=household.id,
            resident_id=subject.id,
            description="在村道旁堆放柴草。",
        )
    return entry


@pytest.fixture
def red(seeded, committee, household, now):
    with unit_of_work():
        entry = services.commend(
            committee,
            seeded,
            category_id=category(seeded, Board.RED, "最美家庭").id,
            household_id=household.id,
            description="家庭和睦。",
        )
    return entry


def refused(statement: str, **params) -> None:
    with pytest.raises(IntegrityError):
        db.session.execute(sa.text(statement), params)
        db.session.flush()
    db.session.rollback()


def test_the_creator_cannot_be_the_approver(warned, committee, second_member):
    refused("UPDATE board_entry SET approved_by_id = created_by_id WHERE id = :id", id=warned.id)
    # The same update with a second member is accepted (the check, not the update, refuses).
    db.session.execute(
        sa.text("UPDATE board_entry SET approved_by_id = :who WHERE id = :id"),
        {"who": second_member.id, "id": warned.id},
    )
    db.session.commit()


def test_a_black_entry_is_not_in_notice_without_its_meeting(warned, second_member):
    refused(
        "UPDATE board_entry SET state = 'notice', approved_by_id = :who WHERE id = :id",
        who=second_member.id,
        id=warned.id,
    )
    refused(
        "UPDATE board_entry SET state = 'published', meeting_on = '2026-12-18' WHERE id = :id",
        id=warned.id,
    )
    refused("UPDATE board_entry SET warning_deadline = NULL WHERE id = :id", id=warned.id)
    db.session.execute(
        sa.text(
            "UPDATE board_entry SET state = 'notice', approved_by_id = :who,"
            " meeting_on = '2026-12-18' WHERE id = :id"
        ),
        {"who": second_member.id, "id": warned.id},
    )
    db.session.commit()


def test_consent_needs_a_named_person_and_who_recorded_it(red, committee, subject):
    refused(
        "UPDATE board_entry SET consented_at = created_at, consent_recorded_by_id = :who"
        " WHERE id = :id",
        who=committee.id,
        id=red.id,
    )
    refused(
        "UPDATE board_entry SET consented_at = created_at, resident_id = :resident WHERE id = :id",
        resident=subject.id,
        id=red.id,
    )
    db.session.execute(
        sa.text(
            "UPDATE board_entry SET consented_at = created_at, resident_id = :resident,"
            " consent_recorded_by_id = :who WHERE id = :id"
        ),
        {"resident": subject.id, "who": committee.id, "id": red.id},
    )
    db.session.commit()


def test_the_clock_shows_expiry_and_tick_freezes_it_once(red, committee, at):
    at(START + timedelta(days=6))
    with unit_of_work():
        services.publish(committee, red)
    expires = red.expires_at
    assert expires == START + timedelta(days=6 + 365)
    at(expires - timedelta(minutes=1))
    assert tick.run()["boards.expiry"] == 0
    assert services.is_listed(red)
    at(expires)
    logged = count(ActionLog)
    # What a page reads: off the board at once, before any tick, and nothing written.
    entry = db.session.get(BoardEntry, red.id)
    assert services.shown_state(entry) == services.Shown.EXPIRED
    assert not services.is_listed(entry)
    assert entry.state == EntryState.PUBLISHED and count(ActionLog) == logged
    assert tick.run()["boards.expiry"] == 1
    entry = db.session.get(BoardEntry, red.id)
    assert entry.state == EntryState.EXPIRED and entry.expired_at == expires
    assert count(ActionLog, ActionLog.action == "board.expire") == 1
    assert tick.run()["boards.expiry"] == 0
    assert count(ActionLog, ActionLog.action == "board.expire") == 1


def test_flask_tick_runs_the_freezer(red, committee, at, runner):
    at(START + timedelta(days=6))
    with unit_of_work():
        services.publish(committee, red)
    at(red.expires_at + timedelta(days=1))
    result = runner.invoke(args=["tick"])
    assert result.exit_code == 0, result.output
    db.session.rollback()
    assert db.session.get(BoardEntry, red.id).state == EntryState.EXPIRED
