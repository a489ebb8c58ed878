"""Many processes endorsing one nomination at once: an exact count, one row per person.

Each process builds its own app on the same database (a temporary-file SQLite
database, or PostgreSQL with `--db=postgres`) and waits at a barrier, so all eight
endorse together, each in one unit of work as the endorse button runs it. SQLite
serialises writers with `BEGIN IMMEDIATE`; PostgreSQL with the nomination row's lock;
and the unique constraint on (nomination, resident) holds either way: a second
endorsement by one person that got past the check is refused in words.
"""

from __future__ import annotations

import sqlalchemy as sa

from portal import create_app
from portal.actions import unit_of_work
from portal.audit.models import ActionLog
from portal.auth.models import User
from portal.extensions import db
from portal.nominations import services
from portal.nominations.models import Endorsement, Nomination
from tests import races
from tests.factories import villager
from tests.nominations.conftest import nominate

PROCESSES = 8


def _without_the_row_lock() -> None:
    """Take away the nomination row's lock, so that only the unique constraint stands
    between two endorsements by one person (a check before the lock, as any code that
    forgot it would run)."""
    services.NOMINATION.lock = lambda obj: obj


def _endorse(
    url: str, nomination_id: int, user_id: int, barrier, results, locked: bool = True
) -> None:
    """One villager's browser: press the endorse button the moment the barrier opens."""
    app = create_app({"TESTING": True, "SECRET_KEY": "race", "SQLALCHEMY_DATABASE_URI": url})
    if not locked:
        _without_the_row_lock()
    with app.app_context():
        nomination = db.session.get(Nomination, nomination_id)
        user = db.session.get(User, user_id)
        user.resident  # noqa: B018  (loaded before the race, as a request's login would)
        db.session.commit()
        barrier.wait(timeout=120)
        try:
            with unit_of_work(conflict=services.already_endorsed):
                services.endorse(user, nomination)
            results.put(("endorsed", ""))
        except services.NominationError as exc:
            results.put(("refused", exc.message))
        except Exception as exc:  # noqa: BLE001  (reported to the test, which fails on it)
            db.session.rollback()
            results.put(("error", repr(exc)))
        finally:
            db.engine.dispose()


def race(database_url: str, nomination, users, locked: bool = True) -> list[tuple[str, str]]:
    context = races.context()
    barrier = context.Barrier(len(users))
    results = context.Queue()
    db.session.commit()
    workers = [
        context.Process(
            target=_endorse,
            args=(database_url, nomination.id, user.id, barrier, results, locked),
        )
        for user in users
    ]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=180) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
        assert worker.exitcode == 0
    # End the test's own read transaction: on SQLite (WAL) it still reads the snapshot
    # taken before the workers wrote.
    db.session.commit()
    return outcomes


def written(nomination) -> tuple[int, int, int]:
    """(endorsement rows, the count on the nomination, action-log rows)."""
    rows = db.session.scalar(
        sa.select(sa.func.count()).where(Endorsement.nomination_id == nomination.id)
    )
    shown = db.session.scalar(
        sa.select(Nomination.endorsement_count).where(Nomination.id == nomination.id)
    )
    logged = db.session.scalar(
        sa.select(sa.func.count()).where(ActionLog.action == "nomination.endorse")
    )
    return rows, shown, logged


def test_eight_villagers_at_once(app, database_url, village, nominator, nominee, now):
    nomination = nominate(nominator, village, nominee)
    users = [villager(village) for _ in range(PROCESSES)]
    outcomes = race(database_url, nomination, users)
    assert [kind for kind, _ in outcomes] == ["endorsed"] * PROCESSES, outcomes
    assert written(nomination) == (PROCESSES, PROCESSES, PROCESSES)
    residents = set(
        db.session.scalars(
            sa.select(Endorsement.resident_id).where(Endorsement.nomination_id == nomination.id)
        )
    )
    assert residents == {user.resident_id for user in users}


def test_one_villager_eight_times_at_once(app, database_url, village, nominator, nominee, now):
    nomination = nominate(nominator, village, nominee)
    user = villager(village)
    outcomes = race(database_url, nomination, [user] * PROCESSES)
    kinds = sorted(kind for kind, _ in outcomes)
    assert kinds == ["endorsed"] + ["refused"] * (PROCESSES - 1), outcomes
    assert all("每人只能联名一次" in words for kind, words in outcomes if kind == "refused")
    assert written(nomination) == (1, 1, 1)


def test_the_constraint_alone_holds_one_villager(
    app, database_url, village, nominator, nominee, now
):
    """Without the row lock eight transactions all pass the check on PostgreSQL; the
    unique constraint keeps one row and refuses the rest in words."""
    nomination = nominate(nominator, village, nominee)
    user = villager(village)
    outcomes = race(database_url, nomination, [user] * PROCESSES, locked=False)
    kinds = sorted(kind for kind, _ in outcomes)
    assert kinds == ["endorsed"] + ["refused"] * (PROCESSES - 1), outcomes
    assert all("每人只能联名一次" in words for kind, words in outcomes if kind == "refused")
    assert written(nomination) == (1, 1, 1)
