"""Many processes at the counter and at the recording form at once: no balance or stock
below zero, no cap broken, no ledger row lost (DESIGN.md 2.5 and 6, "Integrity").

Each process has its own app on the same database (a temporary-file SQLite database,
or PostgreSQL with `--db=postgres`) and waits at a barrier, so all eight act together,
each in one unit of work as the counter's button runs it. The module's tests share one
pool of eight processes forked from the suite's forkserver (`tests.races`), made by the
first race; each process keeps its app per database, so a later race takes about a
second (its report line, `pytest -rA`, gives its figures).

What orders them: on SQLite, `BEGIN IMMEDIATE` (one writer at a time, so every check
reads what the writer before it committed); on PostgreSQL, the reward row's lock
(`shop._locked`, SELECT ... FOR UPDATE) and the household's account row's lock
(`services.lock_account`), taken before anything is checked.

"Seen failing with its lock removed": the `*_without_the_locks` tests take both locks
away in the child (the same SELECTs, without FOR UPDATE) and hold every process at a
second barrier just after its check, so all of them check before any of them writes,
as READ COMMITTED lets them when nothing locks. They assert that the race is lost (more
pass than the stock, the balance or the cap allows, and `verify()` sees the damage), so
they run on PostgreSQL only: on SQLite the write transaction alone serialises everything
(`test_sqlite_serialises_even_without_the_row_locks` shows it).
"""

from __future__ import annotations

import sys
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal import clock, create_app
from portal.actions import Refusal, unit_of_work
from portal.audit.models import ActionLog
from portal.auth.models import Role, User
from portal.extensions import db
from portal.points import services, shop
from portal.points.models import LedgerEntry, LedgerKind, PointsAccount, PointsEntry, Reward
from portal.villages.models import Household, Village
from tests import races
from tests.factories import HouseholdFactory
from tests.points.conftest import START, TODAY, award, holder, item

PROCESSES = 8
# M01 参加村民会议: 3 points, at most 12 a year, so exactly 4 of 8 recordings pass.
CAPPED = "M01"
CAPPED_ALLOWS = 4
# The second barrier of a race without locks: all have checked before any writes.
CHECKED_TIMEOUT = 20


# --- the children -----------------------------------------------------------------------


def _locked_reward_without_lock(reward: Reward) -> Reward:
    db.session.flush()
    return db.session.scalars(
        sa.select(Reward).where(Reward.id == reward.id).execution_options(populate_existing=True)
    ).one()


def _account_without_lock(village_id: int, household_id: int) -> PointsAccount:
    # The account exists before the race (an INSERT ... ON CONFLICT of a row another
    # transaction has just inserted would wait for it, and order them after all).
    return db.session.scalars(
        sa.select(PointsAccount)
        .where(PointsAccount.household_id == household_id)
        .execution_options(populate_existing=True)
    ).one()


_PATCHED = (
    (shop, "_locked"),
    (shop, "lock_account"),
    (services, "lock_account"),
    (shop, "standing"),
    (services, "_check_cap"),
    (clock, "now"),
)


def _take_the_locks_away(checked, hold: bool) -> dict:
    """The same reads without FOR UPDATE; and (`hold`) every process waits at `checked`
    just after its check (the balance read for a redemption, the cap counted for a
    recording). Returns what it replaced, to be put back."""
    kept = {(module, name): getattr(module, name) for module, name in _PATCHED}
    shop._locked = _locked_reward_without_lock
    shop.lock_account = _account_without_lock
    services.lock_account = _account_without_lock
    if hold:

        def after(original):
            def checked_then_wait(*args, **kwargs):
                found = original(*args, **kwargs)
                checked.wait(timeout=CHECKED_TIMEOUT)
                return found

            return checked_then_wait

        shop.standing = after(shop.standing)
        services._check_cap = after(services._check_cap)
    return kept


# The pool's processes: each built one app at start (importing every blueprint), so a
# race's app is made in a few milliseconds; the barriers are the pool's own.
_barriers: tuple = ()


def _warm(barrier, checked) -> None:
    global _barriers
    _barriers = (barrier, checked)
    create_app({"TESTING": True, "SECRET_KEY": "race", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    sa.orm.configure_mappers()


_apps: dict = {}


def _app(url: str):
    """The process's app on `url` (built once: werkzeug compiling two hundred routes is
    most of an app's making; PostgreSQL's database is the same for every test)."""
    if url not in _apps:
        _apps[url] = create_app(
            {"TESTING": True, "SECRET_KEY": "race", "SQLALCHEMY_DATABASE_URI": url}
        )
    return _apps[url]


def _act(url, task, job, moment, locked, hold) -> tuple[str, str, float]:
    """One person at the counter (or the recording form): press the button the moment
    the barrier opens; what happened and how long it took after the barrier."""
    barrier, checked = _barriers
    kept = {(clock, "now"): clock.now}
    if not locked:
        kept = _take_the_locks_away(checked, hold)
    clock.now = lambda: moment
    app = _app(url)
    try:
        with app.app_context():
            actor_id, village_id, household_id, other_id = job
            actor = db.session.get(User, actor_id)
            village = db.session.get(Village, village_id)
            household = db.session.get(Household, household_id)
            actor.resident  # noqa: B018  (loaded before the race, as a request's login would)
            if task == "redeem":
                target = db.session.get(Reward, other_id)
            elif task == "reverse":
                target = db.session.get(LedgerEntry, other_id)
            else:
                target = item(village, other_id)
            db.session.commit()
            barrier.wait(timeout=60)
            started = time.perf_counter()
            try:
                with unit_of_work():
                    if task == "redeem":
                        shop.redeem(actor, village, household, target, 1, now=moment)
                    elif task == "reverse":
                        services.reverse(actor, village, target, "记错了，冲销", now=moment)
                    else:
                        services.record(actor, village, household, target, TODAY, now=moment)
                return ("done", "", time.perf_counter() - started)
            except Refusal as exc:
                return ("refused", exc.message, time.perf_counter() - started)
            except Exception as exc:  # noqa: BLE001  (reported to the test, which fails on it)
                db.session.rollback()
                return ("error", repr(exc), time.perf_counter() - started)
            finally:
                db.session.remove()
                db.engine.dispose()
    finally:
        for (module, name), original in kept.items():
            setattr(module, name, original)


# --- the race, from the test's side -------------------------------------------------------


class Race:
    def __init__(self, outcomes, elapsed):
        self.outcomes = outcomes
        self.elapsed = elapsed

    @property
    def kinds(self) -> list[str]:
        return sorted(kind for kind, _, _ in self.outcomes)

    def count(self, kind: str) -> int:
        return self.kinds.count(kind)

    def words(self) -> list[str]:
        return [words for kind, words, _ in self.outcomes if kind == "refused"]

    def report(self, name: str, backend: str) -> None:
        slowest = max(t for _, _, t in self.outcomes)
        print(
            f"\n[{backend}] {name}: {self.count('done')} passed, {self.count('refused')} "
            f"refused, {self.count('error')} errors; slowest {slowest * 1000:.0f} ms after "
            f"the barrier, {self.elapsed:.2f} s in all"
        )


_pool: dict = {}


def the_pool():
    """The module's one pool of eight processes (made by the first race that needs it),
    and its two barriers."""
    if not _pool:
        context = races.context()
        # Every module of the portal this test process has imported, preloaded by the
        # forkserver too (if this is what starts it): the eight processes then share them
        # instead of each importing every blueprint again.
        context.set_forkserver_preload(
            races.PRELOAD + sorted(name for name in sys.modules if name.startswith("portal."))
        )
        barrier, checked = context.Barrier(PROCESSES), context.Barrier(PROCESSES)
        _pool["pool"] = context.Pool(PROCESSES, initializer=_warm, initargs=(barrier, checked))
        _pool["barriers"] = (barrier, checked)
    return _pool["pool"], _pool["barriers"]


@pytest.fixture(scope="module", autouse=True)
def _close_the_pool():
    yield
    if _pool:
        _pool["pool"].terminate()
        _pool["pool"].join()
        _pool.clear()


def race(database_url, task, jobs, *, locked=True, hold=True) -> Race:
    return race_mixed(database_url, [(task, job) for job in jobs], locked=locked, hold=hold)


def race_mixed(database_url, tasks, *, locked=True, hold=True) -> Race:
    """Run `task` ("redeem" or "record") once for each of the eight jobs (actor, village,
    household, reward id or item code), all at once. `locked=False` takes the locks
    away; then `hold` keeps every process at a second barrier after its check."""
    assert len(tasks) == PROCESSES
    pool, barriers = the_pool()
    for barrier in barriers:
        barrier.reset()
    db.session.commit()
    moment = clock.now()
    started = time.perf_counter()
    # Each process waits at the barrier with its job, so the eight go to eight processes.
    waiting = [
        pool.apply_async(_act, (database_url, task, job, moment, locked, hold))
        for task, job in tasks
    ]
    outcomes = [result.get(timeout=120) for result in waiting]
    elapsed = time.perf_counter() - started
    # End the test's own read transaction: on SQLite (WAL) it still reads the snapshot
    # taken before the workers wrote.
    db.session.commit()
    return Race(outcomes, elapsed)


# --- set-up -------------------------------------------------------------------------------


def give(village, household, points: int, committee, second_member) -> None:
    """Points written to the household's ledger by final entries (G04 is 20, J01 5)."""
    left = points
    while left >= 20:
        award(committee, second_member, village, household, "G04")
        left -= 20
    while left >= 5:
        award(committee, second_member, village, household, "J01")
        left -= 5
    assert left == 0


def opened_account(village, household) -> None:
    with unit_of_work():
        services.lock_account(village.id, household.id)


def a_reward(actor, village, *, cost: int, stock: int) -> Reward:
    with unit_of_work():
        return shop.add_reward(actor, village, name="食用油", unit="1 瓶", cost=cost, stock=stock)


def stock_of(reward) -> int:
    return db.session.scalar(sa.select(Reward.stock).where(Reward.id == reward.id))


def balance_of(household) -> int:
    return db.session.scalar(
        sa.select(PointsAccount.balance).where(PointsAccount.household_id == household.id)
    )


def redemptions(household_ids) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).where(
            LedgerEntry.household_id.in_(household_ids),
            LedgerEntry.kind == LedgerKind.REDEMPTION,
        )
    )


def logged(action: str) -> int:
    return db.session.scalar(sa.select(sa.func.count()).where(ActionLog.action == action))


@pytest.fixture
def counter(village, committee, second_member, shopkeeper):
    """Who stands at the counter: the shopkeeper, both committee members, and a second
    shopkeeper, taking turns (one person may also be at two tills at once)."""
    other = holder(village, Role.SHOPKEEPER, name="钱店员")
    return [shopkeeper, committee, second_member, other]


@pytest.fixture
def one_household(village, households, committee, second_member):
    """A household with 45 points: enough for two of a 20-point reward, not three."""
    household = households[0]
    give(village, household, 45, committee, second_member)
    return household


@pytest.fixture
def eight_households(village, committee, second_member):
    """Eight households with 20 points each: enough for one each of a 20-point reward."""
    found = [HouseholdFactory(village=village) for _ in range(PROCESSES)]
    for household in found:
        give(village, household, 20, committee, second_member)
    return found


def redeem_jobs(village, counter, households, reward) -> list[tuple]:
    return [
        (counter[n % len(counter)].id, village.id, households[n % len(households)].id, reward.id)
        for n in range(PROCESSES)
    ]


@pytest.fixture
def sqlite_only(db_backend):
    if db_backend != "sqlite":
        pytest.skip("SQLite only: on PostgreSQL the row locks are what orders the writes")


# --- with the locks: exact outcomes on both databases ------------------------------------


def test_eight_redemptions_for_one_household(
    app, database_url, db_backend, village, counter, one_household, now
):
    reward = a_reward(counter[0], village, cost=20, stock=3)
    outcome = race(database_url, "redeem", redeem_jobs(village, counter, [one_household], reward))
    outcome.report("8 redemptions, 1 household (45 points, cost 20, stock 3)", db_backend)
    assert outcome.kinds == ["done"] * 2 + ["refused"] * 6, outcome.outcomes
    assert all("可用的积分是 5 分" in words and "不够" in words for words in outcome.words())
    assert stock_of(reward) == 1
    assert balance_of(one_household) == 45 - 2 * 20
    assert redemptions([one_household.id]) == 2
    assert logged("shop.redeem") == 2
    assert services.verify() == []


def test_eight_households_for_a_stock_of_three(
    app, database_url, db_backend, village, counter, eight_households, now
):
    reward = a_reward(counter[0], village, cost=20, stock=3)
    outcome = race(database_url, "redeem", redeem_jobs(village, counter, eight_households, reward))
    outcome.report("8 households, stock 3", db_backend)
    assert outcome.kinds == ["done"] * 3 + ["refused"] * 5, outcome.outcomes
    assert all("只剩 0 件" in words for words in outcome.words())
    assert stock_of(reward) == 0
    assert redemptions([h.id for h in eight_households]) == 3
    balances = sorted(balance_of(h) for h in eight_households)
    assert balances == [0] * 3 + [20] * 5
    assert services.verify() == []


def test_eight_recordings_of_a_capped_item(
    app, database_url, db_backend, village, households, committee, second_member, grid_worker
):
    household = households[0]  # of the first grid: the grid worker may record for it
    opened_account(village, household)
    recorders = [committee, second_member, grid_worker]
    jobs = [(recorders[n % 3].id, village.id, household.id, CAPPED) for n in range(PROCESSES)]
    outcome = race(database_url, "record", jobs)
    outcome.report(f"8 recordings of {CAPPED} (cap 12, 3 each)", db_backend)
    assert outcome.kinds == ["done"] * CAPPED_ALLOWS + ["refused"] * 4, outcome.outcomes
    assert all("最多 12 分" in words and "已有 12 分" in words for words in outcome.words())
    entries = db.session.scalars(
        sa.select(PointsEntry.points).where(PointsEntry.household_id == household.id)
    ).all()
    assert len(entries) == CAPPED_ALLOWS and sum(entries) == 12
    assert services.cap_use(item(village, CAPPED), household.id, TODAY).used == 12
    assert logged("points.record") == CAPPED_ALLOWS


def test_reversals_racing_redemptions(
    app, database_url, db_backend, village, counter, households, committee, second_member, now
):
    """Four redemptions reversed while four more are made, at once, for one household and
    one reward: each takes the reward's lock before the account's (a reversal of a
    redemption puts the goods back), so none waits for the other in a circle."""
    household = households[0]
    give(village, household, 100, committee, second_member)
    reward = a_reward(counter[0], village, cost=10, stock=10)
    earlier = []
    for _ in range(4):
        with unit_of_work():
            earlier.append(shop.redeem(counter[0], village, household, reward).id)
    tasks = [("reverse", (committee.id, village.id, household.id, row)) for row in earlier]
    tasks += [("redeem", (counter[n].id, village.id, household.id, reward.id)) for n in range(4)]
    outcome = race_mixed(database_url, tasks)
    outcome.report("4 reversals and 4 redemptions, 1 household, 1 reward", db_backend)
    assert outcome.kinds == ["done"] * PROCESSES, outcome.outcomes
    assert stock_of(reward) == 6
    assert balance_of(household) == 60
    assert redemptions([household.id]) == 8
    assert services.verify() == []


def test_sqlite_serialises_even_without_the_row_locks(
    sqlite_only, app, database_url, db_backend, village, counter, one_household, now
):
    """SQLite's `BEGIN IMMEDIATE` lets one writer in at a time: with the row locks taken
    away (and no second barrier, which would wait for ever) the outcome is exact still."""
    reward = a_reward(counter[0], village, cost=20, stock=3)
    jobs = redeem_jobs(village, counter, [one_household], reward)
    outcome = race(database_url, "redeem", jobs, locked=False, hold=False)
    outcome.report("8 redemptions, no row locks, SQLite", db_backend)
    assert outcome.kinds == ["done"] * 2 + ["refused"] * 6, outcome.outcomes
    assert stock_of(reward) == 1 and balance_of(one_household) == 5
    assert services.verify() == []


# --- without the locks: the race is lost (PostgreSQL, READ COMMITTED) ---------------------


@pytest.fixture
def postgres_only(db_backend):
    if db_backend != "postgres":
        pytest.skip("PostgreSQL only: SQLite's write transaction serialises without the locks")


def test_one_household_without_the_locks_loses_the_race(
    postgres_only, app, database_url, db_backend, village, counter, one_household, now
):
    """The lost race: every process reads 45 points and stock 3, all eight pass, and each
    writes the balance and stock it computed (lost updates); the ledger has eight rows
    whose balance after is 25 each, and `verify()` reports the household."""
    reward = a_reward(counter[0], village, cost=20, stock=3)
    jobs = redeem_jobs(village, counter, [one_household], reward)
    outcome = race(database_url, "redeem", jobs, locked=False)
    outcome.report("LOST RACE: 8 redemptions, 1 household, no locks", db_backend)
    assert outcome.count("done") > 2, outcome.outcomes
    assert redemptions([one_household.id]) > 2
    assert stock_of(reward) > 3 - outcome.count("done")
    assert [d.household_id for d in services.verify()] == [one_household.id] * 2


def test_eight_households_without_the_locks_lose_the_race(
    postgres_only, app, database_url, db_backend, village, counter, eight_households, now
):
    reward = a_reward(counter[0], village, cost=20, stock=3)
    jobs = redeem_jobs(village, counter, eight_households, reward)
    outcome = race(database_url, "redeem", jobs, locked=False)
    outcome.report("LOST RACE: 8 households, stock 3, no locks", db_backend)
    assert outcome.count("done") > 3, outcome.outcomes
    assert redemptions([h.id for h in eight_households]) > 3
    # Each wrote the stock it read less one: more goods handed out than the stock had.
    assert stock_of(reward) == 2


def test_recordings_without_the_lock_break_the_cap(
    postgres_only, app, database_url, db_backend, village, households, committee, second_member
):
    household = households[0]
    opened_account(village, household)
    jobs = [
        ((committee, second_member)[n % 2].id, village.id, household.id, CAPPED)
        for n in range(PROCESSES)
    ]
    outcome = race(database_url, "record", jobs, locked=False)
    outcome.report(f"LOST RACE: 8 recordings of {CAPPED}, no lock", db_backend)
    assert outcome.count("done") > CAPPED_ALLOWS, outcome.outcomes
    assert services.cap_use(item(village, CAPPED), household.id, TODAY).used > 12


def test_the_fixtures_leave_no_due_entry(village, one_household, now):
    """What the races start from: every award written, nothing due later in the race."""
    later = START + timedelta(days=30)
    assert services.standing(one_household, later).balance == 45
    with unit_of_work():
        assert services.post_due(later) == 0
