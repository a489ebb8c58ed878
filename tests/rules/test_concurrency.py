"""Many processes casting at once: exact counts and one ballot row per resident.

Each process builds its own app on the same database (a temporary-file SQLite
database, or PostgreSQL with `--db=postgres`) and waits at a barrier, so all eight
cast together. SQLite serialises writers with `BEGIN IMMEDIATE`; PostgreSQL with the
roll row's lock, and the unique constraint on (version, resident) holds either way.
"""

from __future__ import annotations

import time

import sqlalchemy as sa

from portal import create_app
from portal.auth.models import User
from portal.extensions import db
from portal.rules import services
from portal.rules.models import Ballot, BallotChoice, RuleVersion
from tests import races
from tests.factories import VillageFactory, villager
from tests.rules import factories as rf

PROCESSES = 8
CHOICES = [BallotChoice.YES, BallotChoice.NO, BallotChoice.ABSTAIN]


def _cast(url: str, version_id: int, user_id: int, choice: str, when, barrier, results) -> None:
    """One villager's browser: cast a ballot the moment the barrier opens."""
    app = create_app({"TESTING": True, "SECRET_KEY": "race", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        version = db.session.get(RuleVersion, version_id)
        user = db.session.get(User, user_id)
        user.resident  # noqa: B018  (loaded before the race, as a request's login would)
        db.session.commit()
        barrier.wait(timeout=120)
        started = time.perf_counter()
        try:
            outcome = services.cast_ballot(version, user, choice, when)
            db.session.commit()
            results.put(("changed" if outcome.changed else "new", time.perf_counter() - started))
        except services.RuleError as exc:
            db.session.rollback()
            results.put(("refused", exc.message))
        except Exception as exc:  # noqa: BLE001  (reported to the test, which fails on it)
            db.session.rollback()
            results.put(("error", repr(exc)))
        finally:
            db.engine.dispose()


def race(database_url: str, version, users, choices) -> tuple[list[tuple], float]:
    context = races.context()
    barrier = context.Barrier(len(users))
    results = context.Queue()
    when = rf.during(version)
    db.session.commit()
    workers = [
        context.Process(
            target=_cast,
            args=(database_url, version.id, user.id, str(choice), when, barrier, results),
        )
        for user, choice in zip(users, choices, strict=True)
    ]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=180) for _ in workers]
    elapsed = time.perf_counter() - started
    for worker in workers:
        worker.join(timeout=30)
        assert worker.exitcode == 0
    # End the test's own read transaction: on SQLite (WAL) it still reads the snapshot
    # taken before the workers wrote.
    db.session.commit()
    return outcomes, elapsed


def report(name: str, db_backend: str, outcomes, elapsed: float, rows: int) -> None:
    slowest = max(t for kind, t in outcomes if kind in ("new", "changed"))
    print(
        f"\n[{db_backend}] {name}: {len(outcomes)} processes, {rows} ballot row(s), "
        f"slowest cast {slowest * 1000:.0f} ms after the barrier, {elapsed:.1f} s with start-up"
    )


def test_eight_residents_at_once(app, database_url, db_backend):
    village = VillageFactory()
    users = [villager(village) for _ in range(PROCESSES)]
    version = rf.voting(village)
    choices = [CHOICES[n % 3] for n in range(PROCESSES)]
    outcomes, elapsed = race(database_url, version, users, choices)
    assert sorted(kind for kind, _ in outcomes) == ["new"] * PROCESSES, outcomes
    rows = db.session.execute(sa.select(Ballot.resident_id, Ballot.choice)).all()
    assert len(rows) == PROCESSES
    assert dict(rows) == {u.resident_id: c for u, c in zip(users, choices, strict=True)}
    tally = services.tally(version)
    assert (tally.yes, tally.no, tally.abstain) == (3, 3, 2)
    assert services.turnout(version).voted == PROCESSES
    report("8 residents", db_backend, outcomes, elapsed, len(rows))


def test_one_resident_eight_times_at_once(app, database_url, db_backend):
    village = VillageFactory()
    user = villager(village)
    version = rf.voting(village)
    choices = [CHOICES[n % 3] for n in range(PROCESSES)]
    outcomes, elapsed = race(database_url, version, [user] * PROCESSES, choices)
    kinds = sorted(kind for kind, _ in outcomes)
    assert kinds == ["changed"] * (PROCESSES - 1) + ["new"], outcomes
    rows = db.session.scalars(sa.select(Ballot)).all()
    assert len(rows) == 1
    assert rows[0].resident_id == user.resident_id and rows[0].choice in CHOICES
    assert services.turnout(version).voted == 1
    report("1 resident x 8", db_backend, outcomes, elapsed, len(rows))


def _tick_or_cast(url: str, version_id: int, user_id, when, barrier, results) -> None:
    """`flask tick` (user_id None) or a villager's first ballot, the moment the barrier opens."""
    app = create_app({"TESTING": True, "SECRET_KEY": "race", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        version = db.session.get(RuleVersion, version_id)
        user = db.session.get(User, user_id) if user_id else None
        if user is not None:
            user.resident  # noqa: B018
        db.session.commit()
        barrier.wait(timeout=120)
        try:
            if user is None:
                results.put(("tick", services.freeze_due_rolls(when)))
            else:
                services.cast_ballot(version, user, "yes", when)
                db.session.commit()
                results.put(("ballot", 1))
        except Exception as exc:  # noqa: BLE001  (reported to the test, which fails on it)
            db.session.rollback()
            results.put(("error", repr(exc)))
        finally:
            db.engine.dispose()


def freeze_race(database_url: str, version, users: list) -> list[tuple]:
    context = races.context()
    barrier = context.Barrier(len(users))
    results = context.Queue()
    when = rf.during(version)
    db.session.commit()
    workers = [
        context.Process(
            target=_tick_or_cast,
            args=(database_url, version.id, getattr(user, "id", None), when, barrier, results),
        )
        for user in users
    ]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=180) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
        assert worker.exitcode == 0
    db.session.commit()
    return outcomes


def frozen_once(version, roll_size: int) -> None:
    from portal.audit.models import ActionLog
    from portal.rules.models import VoteEligibility

    opened = db.session.scalar(
        sa.select(sa.func.count()).where(
            ActionLog.action == "rules.vote_open", ActionLog.object_id == version.id
        )
    )
    rows = db.session.scalar(
        sa.select(sa.func.count()).where(VoteEligibility.version_id == version.id)
    )
    assert (opened, rows) == (1, roll_size)


def test_eight_ticks_at_once_freeze_the_roll_once(app, database_url, db_backend):
    village = VillageFactory()
    voters = [villager(village) for _ in range(3)]
    version = rf.announced(village)
    outcomes = freeze_race(database_url, version, [None] * PROCESSES)
    assert sorted(outcomes) == [("tick", 0)] * (PROCESSES - 1) + [("tick", 1)], outcomes
    frozen_once(version, len(voters))


def test_ticks_racing_first_ballots_freeze_once(app, database_url, db_backend):
    village = VillageFactory()
    voters = [villager(village) for _ in range(PROCESSES // 2)]
    version = rf.announced(village)
    outcomes = freeze_race(database_url, version, [None] * (PROCESSES // 2) + voters)
    assert sorted(k for k, _ in outcomes) == ["ballot"] * 4 + ["tick"] * 4, outcomes
    assert sum(n for k, n in outcomes if k == "tick") <= 1
    frozen_once(version, len(voters))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ballot)) == len(voters)
