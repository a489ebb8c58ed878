"""`flask points verify`: every balance recomputed from the ledger, row by row.

Clean books: exit 0 and the one line saying so. A stored balance changed behind the
portal's back (SQL on `points_account`): exit 1 and a line naming the household with
both figures. A row whose balance after is not the one before plus its points (one
INSERT, as SQL: the ledger takes inserts, never edits): reported as a broken chain."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.points import services
from portal.points.models import LedgerEntry, LedgerKind
from tests.points.conftest import award

CLEAN = "points verify: every balance is what its ledger says"


@pytest.fixture
def books(village, households, committee, second_member, now):
    """Two households with points: 20 and 40."""
    award(committee, second_member, village, households[0])
    award(committee, second_member, village, households[1])
    award(committee, second_member, village, households[1])
    db.session.commit()
    return households


def verify(runner):
    db.session.commit()
    return runner.invoke(args=["points", "verify"])


def tamper(household, balance: int) -> None:
    db.session.execute(
        sa.text("UPDATE points_account SET balance = :balance WHERE household_id = :id"),
        {"balance": balance, "id": household.id},
    )
    db.session.commit()


def test_clean_books_exit_0(runner, books):
    result = verify(runner)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == CLEAN


def test_empty_books_are_clean(runner, app):
    result = verify(runner)
    assert result.exit_code == 0, result.output
    assert CLEAN in result.output


def test_a_tampered_balance_exits_1_naming_the_household(runner, books):
    tamper(books[1], 47)
    result = verify(runner)
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert lines == [f"household {books[1].id}: stored balance 47, ledger says 40"]
    assert CLEAN not in result.output


def test_two_tampered_households_both_reported(runner, books):
    tamper(books[0], 0)
    tamper(books[1], 100)
    result = verify(runner)
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"household {books[0].id}: stored balance 0, ledger says 20",
        f"household {books[1].id}: stored balance 100, ledger says 40",
    ]


def test_a_broken_chain_is_reported(runner, books):
    """A row of 0 points that says the balance is 25 after it: the sum (and so the stored
    balance) is still right, the chain is not."""
    first = db.session.scalars(
        sa.select(LedgerEntry).where(LedgerEntry.household_id == books[0].id)
    ).one()
    db.session.execute(
        sa.insert(LedgerEntry).values(
            village_id=first.village_id,
            household_id=books[0].id,
            kind=LedgerKind.CLOSING,
            points=0,
            balance_after=25,
            year=2026,
            created_at=first.created_at,
        )
    )
    db.session.commit()
    result = verify(runner)
    assert result.exit_code == 1, result.output
    assert result.output.strip().splitlines() == [
        f"household {books[0].id}: a ledger row says 25 after it, the rows before it add up to 20"
    ]
    assert services.verify() == [services.Difference(books[0].id, 25, 20, "chain")]


def test_a_row_inserted_behind_the_account_is_both(runner, books):
    """A row of 5 points inserted by SQL with a right chain but no account update: the
    stored balance no longer matches its ledger."""
    first = db.session.scalars(
        sa.select(LedgerEntry).where(LedgerEntry.household_id == books[0].id)
    ).one()
    db.session.execute(
        sa.insert(LedgerEntry).values(
            village_id=first.village_id,
            household_id=books[0].id,
            kind=LedgerKind.OPENING,
            points=5,
            balance_after=25,
            year=2026,
            created_at=first.created_at,
        )
    )
    db.session.commit()
    result = verify(runner)
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"household {books[0].id}: stored balance 20, ledger says 25"
    ]
