"""`flask seed-scale`: a village, a town, a county or a city of data, deterministic and fast.

The data set is generated with plain Python (`random.Random`, seeded per village from
`--seed`) and written in bulk: PostgreSQL's COPY, or SQLite's `executemany` in one
transaction. Ids are assigned here, not by the database, and the sequences are set
after. Nothing goes through the ORM's objects or the services: a million residents and
ten million ledger rows would take hours that way. What the services would have made
is written as they make it: every CHECK constraint holds, each ledger row's
`balance_after` is its household's running balance and every `points_account` holds
the last of them (`flask points verify` passes), each vote's roll is the adults on the
roster at its opening (`portal.rules.services.roll_query`).

The same seed, preset and `--today` give the same rows, byte for byte: times are
counted from local midnight of `--today` (today by default), the password hash's salt
is derived from the seed.

Who can log in, with `--password` (default `demo-password`):

- villagers, verified, a tenth of the residents: phones 15000000000, 15000000001, …
  in village order (about half have voted online in their village's open vote);
- per village n (0-based, in id order): committee members 131nnnnnnnn and 132nnnnnnnn,
  the grid worker of the first grid 133nnnnnnnn;
- per town t: the town official 134tttttttt.

On PostgreSQL a large load (BULK_FROM rows and more) runs as pg_restore does: the
foreign keys and the indexes that back no constraint are dropped in the load's
transaction, the tables filled with COPY ... FREEZE, then the indexes rebuilt and the
foreign keys added back, which checks every row's references in one pass per key. A
small one is COPY with the keys in place, tables in the order their keys need. On
SQLite the foreign keys are off for the load and `PRAGMA foreign_key_check` checks them
before the commit.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from functools import cache

import click
import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.low_level import hash_secret

from portal import clock
from portal.extensions import db

DEFAULT_PASSWORD = "demo-password"
VILLAGES_PER_TOWN = 20
# The share of adults (20 and over) with a verified account: about a tenth of residents.
ACCOUNT_SHARE = 0.135
# The window of points history: a year, ending at the anchor.
HISTORY_DAYS = 365
NOTICES_PER_VILLAGE = 30
BOARD_ENTRIES_PER_VILLAGE = 8
NOMINATIONS_PER_VILLAGE = 4
PENDING_ENTRIES_PER_VILLAGE = 5
# Points entries wait this long between being recorded, approved and final (公示 3 days).
DECIDE_AFTER = timedelta(hours=10)
FINAL_AFTER = timedelta(days=3, hours=12)
FLUSH_ROWS = 200_000
# From this many residents and ledger rows, PostgreSQL loads with its keys set aside.
BULK_FROM = 100_000
TICK = timedelta(minutes=5)
TICKS_PER_DAY = 288


@dataclass(frozen=True)
class Sizes:
    villages: int
    households: int
    residents: int
    ledger: int
    towns: int = 0  # 0: one town per VILLAGES_PER_TOWN villages

    @property
    def town_count(self) -> int:
        return self.towns or max(1, round(self.villages / VILLAGES_PER_TOWN))


PRESETS = {
    "village": Sizes(villages=3, households=500, residents=1_650, ledger=6_000, towns=1),
    "town": Sizes(villages=20, households=20_000, residents=60_000, ledger=500_000, towns=1),
    "county": Sizes(villages=300, households=300_000, residents=1_000_000, ledger=10_000_000),
    "city": Sizes(villages=1_500, households=1_500_000, residents=5_000_000, ledger=50_000_000),
}


class ScaleError(Exception):
    """The data set cannot be built: the database is not empty, or the sizes are wrong."""


def sizes_for(preset: str, **overrides: int | None) -> Sizes:
    """The preset's sizes with the given counts put in; checked for what can be built."""
    sizes = replace(PRESETS[preset], **{k: v for k, v in overrides.items() if v is not None})
    if sizes.villages < 1 or sizes.town_count > sizes.villages:
        raise ScaleError("need at least one village, and no more towns than villages")
    if sizes.households < 5 * sizes.villages:
        raise ScaleError("need at least 5 households per village")
    if not sizes.households <= sizes.residents <= 8 * sizes.households:
        raise ScaleError("need 1 to 8 residents per household")
    if sizes.ledger < 0:
        raise ScaleError("the ledger count cannot be negative")
    return sizes


# --- names -------------------------------------------------------------------------------

TOWN_NAMES = (
    "银涂清溪白沙青石桃源柳营金塘新丰永安长乐东湖西岭南山北港龙泉凤凰福田太平"
    "双桥三河石门云台杏花梅林竹园松岗枫桥荷塘"
)
VILLAGE_FIRST = "东西南北上下前后大小新老石马柳杨桃李梅竹荷兰云山水河湖塘溪泉桥田林岭岗湾坪坝"
VILLAGE_SECOND = "溪坑头口庄岙塘桥山湾岭坪埠圩港渡沟墩畈垄冲堡营寨店铺园林田头里洋浦"
NUMERALS = "一二三四五六七八九十"


def town_name(n: int) -> str:
    first, second = TOWN_NAMES[(2 * n) % len(TOWN_NAMES)], TOWN_NAMES[(2 * n + 1) % len(TOWN_NAMES)]
    suffix = "" if n < len(TOWN_NAMES) // 2 else NUMERALS[(n // (len(TOWN_NAMES) // 2)) % 10]
    return f"{first}{second}{suffix}镇"


def village_name(n: int) -> str:
    first = VILLAGE_FIRST[n % len(VILLAGE_FIRST)]
    second = VILLAGE_SECOND[(n // len(VILLAGE_FIRST)) % len(VILLAGE_SECOND)]
    lap = n // (len(VILLAGE_FIRST) * len(VILLAGE_SECOND))
    return f"{first}{second}{NUMERALS[lap % 10] if lap else ''}村"


def village_slug(n: int) -> str:
    return f"v{n + 1:04d}"


def villager_phone(n: int) -> str:
    return f"15{n:09d}"


def official_phone(kind: int, n: int) -> str:
    """kind 1 and 2: the committee members, 3: the grid worker, 4: the town official."""
    return f"13{kind}{n:08d}"


# --- the writers -------------------------------------------------------------------------


def _sqlite_value(value):
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return value


class Loader:
    """Buffers rows per table and writes them in bulk; counts rows and seconds per table."""

    def __init__(self, connection: sa.Connection, *, bulk: bool = True) -> None:
        # bulk: on PostgreSQL, keys and indexes set aside for the load (worth it from some
        # hundred thousand rows; below, the set-up costs more than it saves).
        self.bulk = bulk
        self.connection = connection
        self.raw = connection.connection.driver_connection
        self.dialect = connection.dialect.name
        self.columns: dict[str, tuple[str, ...]] = {}
        self.types: dict[str, list[int]] = {}
        self.buffers: dict[str, list[tuple]] = {}
        self.rows: dict[str, int] = {}
        self.seconds: dict[str, float] = {}
        self.buffered = 0
        self.saved_foreign_keys: list[tuple[str, str, str]] = []
        self.saved_indexes: list[str] = []

    def table(self, name: str, columns: Sequence[str]) -> None:
        """Declare what `add(name, ...)` rows hold; every NOT NULL column must be there."""
        table = db.metadata.tables[name]
        missing = [
            c.name
            for c in table.columns
            if not c.nullable and c.name not in columns and c.server_default is None
        ]
        if missing:
            raise ScaleError(f"{name}: no value for NOT NULL {', '.join(missing)}")
        self.columns[name] = tuple(columns)
        self.buffers[name] = []
        self.rows[name] = 0
        self.seconds[name] = 0.0

    def add(self, name: str, row: tuple) -> None:
        self.buffers[name].append(row)
        self.buffered += 1

    def extend(self, name: str, rows: list[tuple]) -> None:
        self.buffers[name].extend(rows)
        self.buffered += len(rows)

    def flush_if_full(self) -> None:
        if self.buffered >= FLUSH_ROWS:
            self.flush()

    def flush(self) -> None:
        for name, rows in self.buffers.items():
            if not rows:
                continue
            started = time.perf_counter()
            if self.dialect == "postgresql":
                self._copy(name, rows)
            else:
                self._executemany(name, rows)
            self.seconds[name] += time.perf_counter() - started
            self.rows[name] += len(rows)
            rows.clear()
        self.buffered = 0

    def _copy(self, name: str, rows: list[tuple]) -> None:
        """COPY in the binary format, with the columns' types told: about six times as
        fast as the text format, whose values psycopg must each look up a dumper for."""
        columns = ", ".join(f'"{c}"' for c in self.columns[name])
        freeze = ", FREEZE" if self.bulk else ""
        sql = f'COPY "{name}" ({columns}) FROM STDIN WITH (FORMAT BINARY{freeze})'
        with self.raw.cursor() as cursor:
            if name not in self.types:
                found = dict(
                    cursor.execute(
                        "SELECT attname, atttypid FROM pg_attribute WHERE attrelid = %s::regclass "
                        "AND attnum > 0 AND NOT attisdropped",
                        (f'"{name}"',),
                    ).fetchall()
                )
                self.types[name] = [found[c] for c in self.columns[name]]
            with cursor.copy(sql) as copy:
                copy.set_types(self.types[name])
                for row in rows:
                    copy.write_row(row)

    def _executemany(self, name: str, rows: list[tuple]) -> None:
        columns = self.columns[name]
        sql = (
            f'INSERT INTO "{name}" ({", ".join(columns)}) '
            f"VALUES ({', '.join('?' for _ in columns)})"
        )
        self.raw.executemany(sql, [tuple(_sqlite_value(v) for v in row) for row in rows])

    # The load's frame: set up, then finish (keys and indexes back, sequences set).

    def begin(self) -> None:
        if self.dialect == "postgresql":
            self._pg_begin()
        else:
            self._sqlite_begin()

    def finish(self, progress: Callable[[str], None]) -> float:
        started = time.perf_counter()
        if self.dialect == "postgresql":
            self._pg_finish(progress)
        else:
            self._sqlite_finish()
        return time.perf_counter() - started

    def abort(self) -> None:
        self.raw.rollback()
        if self.dialect == "sqlite":
            self.raw.isolation_level = ""
            self.raw.execute("PRAGMA foreign_keys=ON")
            self.raw.execute("PRAGMA synchronous=NORMAL")

    def _pg_begin(self) -> None:
        cursor = self.raw.cursor()
        cursor.execute("SET LOCAL synchronous_commit = off")
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        if not self.bulk:
            return
        self.saved_foreign_keys = cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE contype = 'f' AND connamespace = 'public'::regnamespace "
            "ORDER BY conrelid::regclass::text, conname"
        ).fetchall()
        # The indexes that back no primary key or unique constraint.
        indexes = cursor.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND NOT EXISTS (SELECT 1 FROM pg_constraint k "
            "WHERE k.conindid = i.indexrelid AND k.contype IN ('p', 'u', 'x')) "
            "ORDER BY c.relname"
        ).fetchall()
        self.saved_indexes = [definition for _name, definition in indexes]
        for table, name, _definition in self.saved_foreign_keys:
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {name}")
        # Emptied in this transaction, so COPY may write the rows frozen (no later rewrite).
        names = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        cursor.execute(f"TRUNCATE {names}")

    def _pg_finish(self, progress: Callable[[str], None]) -> None:
        cursor = self.raw.cursor()
        if self.bulk:
            self._pg_restore_keys(cursor, progress)
        for table in db.metadata.sorted_tables:
            if "id" not in table.columns or not table.columns["id"].primary_key:
                continue
            sequence = cursor.execute(
                "SELECT pg_get_serial_sequence(%s, 'id')", (f'"{table.name}"',)
            ).fetchone()[0]
            if sequence:
                cursor.execute(
                    f'SELECT setval(%s, COALESCE((SELECT MAX(id) FROM "{table.name}"), 0) + 1, '
                    "false)",
                    (sequence,),
                )
        if self.bulk:
            started = time.perf_counter()
            cursor.execute("ANALYZE")
            progress(f"analyzed in {_since(started)}")
        self.raw.commit()

    def _pg_restore_keys(self, cursor, progress: Callable[[str], None]) -> None:
        started = time.perf_counter()
        for definition in self.saved_indexes:
            cursor.execute(definition)
        progress(f"indexes rebuilt: {len(self.saved_indexes)} in {_since(started)}")
        started = time.perf_counter()
        for table, name, definition in self.saved_foreign_keys:
            cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        progress(f"foreign keys checked: {len(self.saved_foreign_keys)} in {_since(started)}")

    def _sqlite_begin(self) -> None:
        self.raw.commit()
        self.raw.isolation_level = None
        self.raw.execute("PRAGMA foreign_keys=OFF")
        self.raw.execute("PRAGMA synchronous=OFF")
        self.raw.execute("BEGIN")

    def _sqlite_finish(self) -> None:
        broken = self.raw.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            self.raw.execute("ROLLBACK")
            raise ScaleError(f"rows naming missing rows: {broken[:5]}")
        self.raw.execute("COMMIT")
        self.raw.isolation_level = ""
        self.raw.execute("PRAGMA foreign_keys=ON")
        self.raw.execute("PRAGMA synchronous=NORMAL")


def _since(started: float) -> str:
    return f"{time.perf_counter() - started:.1f} s"


# --- the generator -----------------------------------------------------------------------


@dataclass
class Ids:
    """The next id of each table: assigned here, in generation order."""

    next: dict[str, int] = field(default_factory=dict)

    def take(self, table: str, n: int = 1) -> int:
        first = self.next.get(table, 1)
        self.next[table] = first + n
        return first


@dataclass
class Person:
    id: int
    household_index: int
    household_id: int
    name: str
    birth_year: int
    birth_date: date | None


@dataclass
class Report:
    sizes: Sizes
    seed: int
    rows: dict[str, int]
    seconds: dict[str, float]
    generate_seconds: float
    finish_seconds: float
    total_seconds: float
    villagers: int
    first_slug: str


def apportion(total: int, weights: Sequence[float]) -> list[int]:
    """`total` split in proportion to `weights`, in whole numbers that add up to it."""
    scale = total / sum(weights)
    shares = [w * scale for w in weights]
    counts = [math.floor(s) for s in shares]
    by_remainder = sorted(range(len(shares)), key=lambda i: (counts[i] - shares[i], i))
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


@cache
def password_hash(password: str, seed: int) -> str:
    """An argon2id hash as `portal.auth.passwords` makes it, with the same parameters (so
    no rehash on login), computed once; its salt comes from the seed, so the same seed
    gives the same hash."""
    hasher = PasswordHasher()
    salt = hashlib.sha256(f"shanzhi-scale-{seed}".encode()).digest()[: hasher.salt_len]
    return hash_secret(
        password.encode(),
        salt,
        time_cost=hasher.time_cost,
        memory_cost=hasher.memory_cost,
        parallelism=hasher.parallelism,
        hash_len=hasher.hash_len,
        type=hasher.type,
    ).decode()


def database_is_empty(connection: sa.Connection) -> bool:
    for table in db.metadata.sorted_tables:
        if connection.execute(sa.select(sa.literal(1)).select_from(table).limit(1)).first():
            return False
    return True


class Generator:
    """Writes the whole data set through a `Loader`, village by village."""

    def __init__(
        self,
        loader: Loader,
        sizes: Sizes,
        seed: int,
        today: date,
        password: str,
        progress: Callable[[str], None],
    ) -> None:
        from portal.demo import GIVEN, SURNAMES

        self.loader = loader
        self.sizes = sizes
        self.seed = seed
        self.today = today
        self.progress = progress
        self.surnames = SURNAMES
        self.given = GIVEN
        self.ids = Ids()
        self.villagers = 0
        self.hash = password_hash(password, seed)
        # Local midnight of `today`: every time of the data set is counted back from it.
        self.base = datetime(today.year, today.month, today.day, tzinfo=clock.LOCAL_TZ).astimezone(
            UTC
        )
        self.history_start = self.base - timedelta(days=HISTORY_DAYS)
        # The moments the points history happens at: every TICK of the year, made once.
        self.ticks = [self.history_start + TICK * m for m in range(HISTORY_DAYS * TICKS_PER_DAY)]
        self.days = [
            clock.local_date(self.history_start + timedelta(days=d))
            for d in range(HISTORY_DAYS + 1)
        ]
        # Each day's cap periods: (its year, its month), for an item capped by year or month.
        self.periods = [(d.year, d.year * 100 + d.month) for d in self.days]
        self._declare_tables()
        self._prepare_texts()

    def _declare_tables(self) -> None:
        t = self.loader.table
        t("town", ("id", "name", "slug"))
        t(
            "village",
            (
                "id", "town_id", "name", "slug", "quorum_mode", "vote_notice_days",
                "consultation_days", "board_notice_days", "nomination_notice_days", "created_at",
            ),
        )  # fmt: skip
        t("grid", ("id", "village_id", "name"))
        t("household", ("id", "village_id", "grid_id", "door_number", "created_at"))
        t(
            "resident",
            (
                "id", "village_id", "household_id", "name", "birth_year", "gender",
                "birth_date", "created_at",
            ),
        )  # fmt: skip
        t(
            "user",
            (
                "id", "phone", "password_hash", "name", "resident_id", "village_id", "status",
                "outcome_seen_at", "session_version", "disabled", "created_at",
            ),
        )  # fmt: skip
        t(
            "role_grant",
            ("id", "user_id", "role", "village_id", "grid_id", "town_id", "granted_by_id",
             "granted_at"),
        )  # fmt: skip
        t(
            "action_log",
            ("id", "at", "actor_id", "role", "village_id", "town_id", "action", "object_type",
             "object_id", "summary"),
        )  # fmt: skip
        t("rule_document", ("id", "village_id", "title", "created_by_id", "created_at"))
        t(
            "rule_version",
            (
                "id", "document_id", "village_id", "number", "state",
                "consultation_opened_at", "consultation_ends_at", "vote_announced_at",
                "vote_opens_at", "vote_closes_at", "tally_visibility", "vote_opened_at",
                "quorum_mode", "roll_eligible_count", "roll_household_count",
                "roll_year_rule_left_out", "created_by_id", "created_at", "updated_at",
            ),
        )  # fmt: skip
        t(
            "rule_article",
            ("id", "version_id", "position", "title", "body", "created_at", "updated_at"),
        )
        t("vote_eligibility", ("id", "version_id", "resident_id", "household_id"))
        t(
            "ballot",
            ("id", "version_id", "resident_id", "choice", "channel", "cast_by_id", "cast_at"),
        )
        t(
            "notice",
            (
                "id", "village_id", "category", "title", "body", "body_html", "state",
                "pinned", "read_count", "created_by_id", "published_by_id", "created_at",
                "updated_at", "published_at",
            ),
        )  # fmt: skip
        t(
            "board_category",
            ("id", "village_id", "board", "name", "description", "position", "created_at"),
        )
        t(
            "board_entry",
            (
                "id", "village_id", "board", "category_id", "household_id", "description",
                "state", "created_by_id", "created_at", "updated_at", "notice_at",
                "published_at", "published_by_id", "expires_at",
            ),
        )  # fmt: skip
        t(
            "publicity",
            ("id", "village_id", "subject_type", "subject_id", "starts_at", "ends_at",
             "opened_by_id", "created_at"),
        )  # fmt: skip
        t(
            "nomination_category",
            ("id", "village_id", "name", "official", "position", "created_at"),
        )
        t(
            "nomination",
            (
                "id", "village_id", "town_id", "category_id", "state", "nominee_household_id",
                "nominee_resident_id", "nominator_resident_id", "nominator_user_id", "story",
                "deed_on", "endorsement_count", "created_at", "updated_at",
            ),
        )  # fmt: skip
        t(
            "endorsement",
            ("id", "nomination_id", "village_id", "resident_id", "user_id", "created_at"),
        )
        t(
            "point_item",
            ("id", "village_id", "code", "category", "description", "points", "rule_article",
             "cap", "cap_period", "position", "created_at"),
        )  # fmt: skip
        t(
            "reward",
            ("id", "village_id", "name", "unit", "cost", "stock", "position", "created_at",
             "updated_at"),
        )  # fmt: skip
        t("points_book", ("village_id", "open_year"))
        t(
            "points_entry",
            (
                "id", "village_id", "household_id", "item_id", "points", "occurred_on",
                "channel", "watch", "state", "recorded_by_id", "created_at", "decided_by_id",
                "decider_household_id", "decided_at", "final_at",
            ),
        )  # fmt: skip
        t(
            "points_ledger",
            ("id", "village_id", "household_id", "kind", "points", "balance_after", "year",
             "entry_id", "reward_id", "quantity", "actor_id", "created_at"),
        )  # fmt: skip
        t("points_account", ("household_id", "village_id", "balance", "updated_at"))

    def _prepare_texts(self) -> None:
        """The notices' bodies and their HTML, rendered once and shared by every village."""
        from portal.notices.markdown import render_markdown

        self.notice_texts = [
            (category, title, body, render_markdown(body, table_label="公告中的表格"))
            for category, title, body in NOTICE_TEXTS
        ]

    # One pass: towns, then every village and everything of it.

    def run(self) -> None:
        sizes = self.sizes
        plan = random.Random(f"shanzhi-scale-{self.seed}-plan")
        weights = [plan.uniform(0.7, 1.3) for _ in range(sizes.villages)]
        households = apportion(sizes.households, weights)
        residents = apportion(sizes.residents, households)
        ledger = apportion(sizes.ledger, households) if sizes.ledger else [0] * sizes.villages
        towns = apportion(sizes.villages, [1.0] * sizes.town_count)
        self.town_officials: list[int] = []
        village_town: list[int] = []
        for t, count in enumerate(towns):
            town_id = self.ids.take("town")
            self.loader.add("town", (town_id, town_name(t), f"t{t + 1:03d}"))
            user_id = self.ids.take("user")
            self.loader.add(
                "user",
                (user_id, official_phone(4, t), self.hash, f"镇干部{t + 1}", None, None,
                 "verified", None, 1, False, self.base - timedelta(days=800)),
            )  # fmt: skip
            self._grant(user_id, "town_official", None, None, town_id, None, 800)
            self.town_officials.append(user_id)
            village_town += [town_id] * count
        started = time.perf_counter()
        for v in range(sizes.villages):
            self._village(v, village_town[v], households[v], residents[v], ledger[v])
            self.loader.flush_if_full()
            if (v + 1) % max(1, sizes.villages // 20) == 0 or v + 1 == sizes.villages:
                done = sum(self.loader.rows.values()) + self.loader.buffered
                self.progress(
                    f"villages {v + 1}/{sizes.villages}: {done:,} rows in {_since(started)}"
                )
        self.loader.flush()

    def _grant(self, user_id, role, village_id, grid_id, town_id, granted_by_id, days_ago):
        grant_id = self.ids.take("role_grant")
        self.loader.add(
            "role_grant",
            (grant_id, user_id, role, village_id, grid_id, town_id, granted_by_id,
             self.base - timedelta(days=days_ago)),
        )  # fmt: skip
        return grant_id

    def _log(self, at, actor_id, role, village_id, town_id, action, object_type, object_id, after):
        self.loader.add(
            "action_log",
            (self.ids.take("action_log"), at, actor_id, role, village_id, town_id, action,
             object_type, object_id, json.dumps({"after": after}, ensure_ascii=False)),
        )  # fmt: skip

    def _village(self, v: int, town_id: int, n_households: int, n_residents: int, n_ledger: int):
        rng = random.Random(f"shanzhi-scale-{self.seed}-village-{v}")
        add = self.loader.add
        village_id = self.ids.take("village")
        self.village_label = village_name(v)
        created = self.base - timedelta(days=800)
        add(
            "village",
            (village_id, town_id, self.village_label, village_slug(v), "persons", 10, 7, 5, 7,
             created),
        )  # fmt: skip
        grid_count = min(rng.randint(4, 8), n_households)
        grid_ids = list(range(self.ids.take("grid", grid_count), self.next_id("grid")))
        for g, grid_id in enumerate(grid_ids):
            add("grid", (grid_id, village_id, f"第{NUMERALS[g]}网格"))
        # Households in grid order, door numbers counted within each grid's group (组).
        per_grid = apportion(n_households, [1.0] * grid_count)
        first_household = self.ids.take("household", n_households)
        household_ids = list(range(first_household, first_household + n_households))
        household_grid: list[int] = []
        n = 0
        for g, count in enumerate(per_grid):
            for door in range(1, count + 1):
                add(
                    "household",
                    (household_ids[n], village_id, grid_ids[g], f"{NUMERALS[g]}组{door}号",
                     created),
                )  # fmt: skip
                household_grid.append(g)
                n += 1
        people = self._residents(rng, village_id, household_ids, n_residents, created)
        users = self._accounts(rng, v, village_id, town_id, people, grid_ids)
        self._rules(rng, village_id, household_ids, people, users)
        self._notices(village_id, users.committee)
        self._boards(rng, village_id, household_ids, users.committee)
        self._nominations(rng, village_id, town_id, users)
        self._points(rng, village_id, household_ids, household_grid, users, n_ledger)

    def next_id(self, table: str) -> int:
        return self.ids.next.get(table, 1)

    # The roster 花名册.

    def _residents(self, rng, village_id, household_ids, n_residents, created) -> list[Person]:
        sizes = rng.choices((1, 2, 3, 4, 5, 6), weights=(1, 4, 5, 5, 3, 1), k=len(household_ids))
        total = sum(sizes)
        while total != n_residents:
            i = rng.randrange(len(sizes))
            if total > n_residents and sizes[i] > 1:
                sizes[i] -= 1
                total -= 1
            elif total < n_residents and sizes[i] < 8:
                sizes[i] += 1
                total += 1
        clans = rng.sample(self.surnames, 3)
        year = self.today.year
        people: list[Person] = []
        first = self.ids.take("resident", n_residents)
        rid = first
        for h, (household_id, size) in enumerate(zip(household_ids, sizes, strict=True)):
            surname = rng.choice(clans) if rng.random() < 0.55 else rng.choice(self.surnames)
            head_year = rng.randint(1945, min(1998, year - 22))
            used: set[str] = set()
            for k in range(size):
                if k == 0:
                    born, family = head_year, surname
                    gender = "male" if rng.random() < 0.8 else "female"
                elif k == 1:
                    born, family = head_year + rng.randint(-3, 4), rng.choice(self.surnames)
                    gender = rng.choice(("male", "female"))
                elif k == 2 and size >= 5 and head_year >= 1965:
                    born, family = head_year - rng.randint(22, 30), surname
                    gender = rng.choice(("male", "female"))
                else:
                    born, family = head_year + rng.randint(22, 50), surname
                    gender = rng.choice(("male", "female"))
                born = max(1930, min(year - 1, born))
                name = family + self._given(rng, born, gender)
                while name in used:
                    name = family + self._given(rng, born, gender)
                used.add(name)
                birth_date = (
                    date(born, rng.randint(1, 12), rng.randint(1, 28))
                    if rng.random() < 0.9
                    else None
                )
                self.loader.add(
                    "resident",
                    (rid, village_id, household_id, name, born, gender, birth_date, created),
                )
                people.append(Person(rid, h, household_id, name, born, birth_date))
                rid += 1
        return people

    def _given(self, rng: random.Random, born: int, gender: str) -> str:
        from portal.villages.models import Gender

        era = "old" if born < 1965 else "mid" if born < 1995 else "new"
        first, second = self.given[(era, Gender(gender))]
        return rng.choice(first) + rng.choice(second)

    # Accounts and offices.

    def _accounts(self, rng, v, village_id, town_id, people, grid_ids) -> VillageUsers:
        year = self.today.year
        heads: dict[int, Person] = {}
        for person in people:
            heads.setdefault(person.household_index, person)
        # The officials: the heads of the first three households, all of the first grid.
        officials = [heads[0], heads[1], heads[2]]
        official_ids = {p.id for p in officials}
        holders = [
            p
            for p in people
            if p.id not in official_ids
            and p.birth_year <= year - 20
            and rng.random() < ACCOUNT_SHARE
        ]
        verified = self.base - timedelta(days=400)
        users = VillageUsers()
        for kind, person in zip((1, 2, 3), officials, strict=True):
            user_id = self.ids.take("user")
            self.loader.add(
                "user",
                (user_id, official_phone(kind, v), self.hash, person.name, person.id, village_id,
                 "verified", verified, 1, False, verified),
            )  # fmt: skip
            self._grant(user_id, "villager", village_id, None, None, None, 400)
            users.by_resident[person.id] = user_id
            users.household_of[user_id] = person.household_id
            if kind < 3:
                users.committee.append(user_id)
            else:
                users.grid_worker = user_id
        appointer = self._official_of(town_id)
        for user_id in users.committee:
            grant = self._grant(user_id, "committee", village_id, None, None, appointer, 390)
            self._log(
                self.base - timedelta(days=390), appointer, "town_official", village_id,
                town_id, "role.appoint", "rolegrant", grant,
                {"user_id": user_id, "role": "committee", "grid_id": None},
            )  # fmt: skip
        grant = self._grant(
            users.grid_worker, "grid_worker", village_id, grid_ids[0], None, users.committee[0], 380
        )
        self._log(
            self.base - timedelta(days=380), users.committee[0], "committee", village_id,
            town_id, "role.appoint", "rolegrant", grant,
            {"user_id": users.grid_worker, "role": "grid_worker", "grid_id": grid_ids[0]},
        )  # fmt: skip
        for person in holders:
            user_id = self.ids.take("user")
            self.loader.add(
                "user",
                (user_id, villager_phone(self.villagers), self.hash, person.name, person.id,
                 village_id, "verified", verified, 1, False, verified),
            )  # fmt: skip
            self.villagers += 1
            self._grant(user_id, "villager", village_id, None, None, None, 400)
            users.by_resident[person.id] = user_id
            users.household_of[user_id] = person.household_id
            users.villagers.append(user_id)
            users.villager_residents.append(person)
        return users

    def _official_of(self, town_id: int) -> int:
        return self.town_officials[town_id - 1]

    # Village rules 村规民约: a version in voting, its roll frozen, some ballots cast.

    def _rules(self, rng, village_id, household_ids, people, users: VillageUsers) -> None:
        from portal.demo import RULE_ARTICLES
        from portal.rules.services import VOTING_AGE, latest_adult_birth_date

        committee = users.committee[0]
        document_id = self.ids.take("rule_document")
        version_id = self.ids.take("rule_version")
        created = self.base - timedelta(days=30)
        opens = self.base - timedelta(days=3)
        closes = self.base + timedelta(days=4, hours=23, minutes=59)
        opening_day = clock.local_date(opens)
        latest = latest_adult_birth_date(opening_day)
        roll = [
            p
            for p in people
            if (p.birth_date is not None and p.birth_date <= latest)
            or (p.birth_date is None and p.birth_year <= opening_day.year - VOTING_AGE - 1)
        ]
        left_out = sum(
            1
            for p in people
            if p.birth_date is None and p.birth_year == opening_day.year - VOTING_AGE
        )
        title = f"{self.village_label}村规民约"
        self.loader.add("rule_document", (document_id, village_id, title, committee, created))
        self.loader.add(
            "rule_version",
            (version_id, document_id, village_id, 1, "voting", created + timedelta(days=5),
             created + timedelta(days=12), created + timedelta(days=12), opens, closes, "live",
             opens, "persons", len(roll), len(household_ids), left_out, committee, created,
             opens),
        )  # fmt: skip
        first_article = self.ids.take("rule_article", len(RULE_ARTICLES))
        for n, (title, body) in enumerate(RULE_ARTICLES):
            self.loader.add(
                "rule_article",
                (first_article + n, version_id, n + 1, title, body, created, created),
            )
        first = self.ids.take("vote_eligibility", len(roll))
        self.loader.extend(
            "vote_eligibility",
            [(first + n, version_id, p.id, p.household_id) for n, p in enumerate(roll)],
        )
        # Online: about half the account holders on the roll; on paper (entered by the
        # committee the evening of the assembly): a quarter of the others.
        window = int((self.base - opens).total_seconds())
        ballots = []
        for p in roll:
            user_id = users.by_resident.get(p.id)
            if user_id is not None and user_id in users.committee:
                continue
            if user_id is not None:
                if rng.random() >= 0.5:
                    continue
                channel, cast_by = "online", user_id
                cast_at = opens + timedelta(seconds=rng.randrange(window))
            else:
                if rng.random() >= 0.25:
                    continue
                channel, cast_by = "paper", committee
                cast_at = opens + timedelta(days=1, hours=20, seconds=len(ballots))
            choice = rng.choices(("yes", "no", "abstain"), weights=(78, 14, 8))[0]
            ballots.append((p.id, choice, channel, cast_by, cast_at))
        first = self.ids.take("ballot", len(ballots))
        self.loader.extend(
            "ballot", [(first + n, version_id, *row) for n, row in enumerate(ballots)]
        )

    # 村务公开 notices.

    def _notices(self, village_id: int, committee: list[int]) -> None:
        author = committee[0]
        first = self.ids.take("notice", NOTICES_PER_VILLAGE)
        texts = self.notice_texts
        for n in range(NOTICES_PER_VILLAGE):
            category, title, body, html = texts[n % len(texts)]
            published = self.base - timedelta(days=2 + 12 * n, hours=-9)
            issue = n // len(texts) + 1
            self.loader.add(
                "notice",
                (first + n, village_id, category, f"{title}（第{issue}期）", body, html,
                 "published", n == 0, 0, author, author, published - timedelta(hours=2),
                 published, published),
            )  # fmt: skip

    # 红黑榜: the red board's categories and its published entries, each after its 公示.

    def _boards(self, rng, village_id, household_ids, committee: list[int]) -> None:
        from portal.boards.services import RED_EXPIRY_DAYS, SEED_CATEGORIES
        from portal.boards.services import SUBJECT as BOARD_SUBJECT

        created = self.base - timedelta(days=200)
        red_ids = []
        for board, items in SEED_CATEGORIES.items():
            for position, (name, description) in enumerate(items):
                category_id = self.ids.take("board_category")
                self.loader.add(
                    "board_category",
                    (category_id, village_id, board.value, str(name), str(description),
                     position, created),
                )  # fmt: skip
                if board.value == "red":
                    red_ids.append(category_id)
        author = committee[0]
        for n in range(BOARD_ENTRIES_PER_VILLAGE):
            entry_id = self.ids.take("board_entry")
            noticed = self.base - timedelta(days=10 + 15 * n, hours=-10)
            published = noticed + timedelta(days=5, hours=1)
            category = rng.choice(red_ids)
            self.loader.add(
                "board_entry",
                (entry_id, village_id, "red", category, rng.choice(household_ids),
                 rng.choice(BOARD_TEXTS), "published", author, noticed, published, noticed,
                 published, author, published + timedelta(days=RED_EXPIRY_DAYS.default)),
            )  # fmt: skip
            self.loader.add(
                "publicity",
                (self.ids.take("publicity"), village_id, BOARD_SUBJECT, entry_id, noticed,
                 noticed + timedelta(days=5), author, noticed),
            )  # fmt: skip

    # 好人推荐: nominations open for endorsements, and their endorsements.

    def _nominations(self, rng, village_id, town_id, users: VillageUsers) -> None:
        from portal.nominations.services import OFFICIAL_CATEGORIES

        created = self.base - timedelta(days=200)
        categories = []
        for position, name in enumerate(OFFICIAL_CATEGORIES):
            category_id = self.ids.take("nomination_category")
            self.loader.add(
                "nomination_category", (category_id, village_id, name, True, position, created)
            )
            categories.append(category_id)
        endorsers = users.villager_residents
        if len(endorsers) < 2:
            return
        for n in range(NOMINATIONS_PER_VILLAGE):
            nominator = rng.choice(endorsers)
            others = [p for p in endorsers if p.household_id != nominator.household_id]
            if not others:
                return
            nominee = rng.choice(others)
            made = self.base - timedelta(days=1 + 3 * n, hours=-9)
            supporters = [
                p for p in rng.sample(endorsers, min(len(endorsers), 8)) if p.id != nominator.id
            ][: rng.randint(1, 6)]
            nomination_id = self.ids.take("nomination")
            self.loader.add(
                "nomination",
                (nomination_id, village_id, town_id, rng.choice(categories), "submitted",
                 nominee.household_id, nominee.id, nominator.id,
                 users.by_resident[nominator.id], rng.choice(NOMINATION_TEXTS),
                 clock.local_date(made) - timedelta(days=rng.randint(3, 40)), len(supporters),
                 made, made),
            )  # fmt: skip
            for k, p in enumerate(supporters):
                self.loader.add(
                    "endorsement",
                    (self.ids.take("endorsement"), nomination_id, village_id, p.id,
                     users.by_resident[p.id], made + timedelta(hours=2 + 5 * k)),
                )  # fmt: skip

    # 积分: the catalogue, the shop, a year of final entries and the ledger they make.

    def _points(self, rng, village_id, household_ids, household_grid, users, n_ledger) -> None:
        from portal.points.catalogue import COMMON_ITEMS
        from portal.points.demo import REWARDS

        add = self.loader.add
        created = self.base - timedelta(days=HISTORY_DAYS + 10)
        open_year = self.today.year
        first_item = self.ids.take("point_item", len(COMMON_ITEMS))
        for n, (code, category, description, points, article, cap, period) in enumerate(
            COMMON_ITEMS
        ):
            add(
                "point_item",
                (first_item + n, village_id, code, category, description, points, article, cap,
                 period.value if period else None, n, created),
            )  # fmt: skip
        first_reward = self.ids.take("reward", len(REWARDS))
        for n, (name, unit, cost, stock) in enumerate(REWARDS):
            add(
                "reward",
                (first_reward + n, village_id, name, unit, cost, stock + rng.randint(0, 20), n,
                 created, created),
            )  # fmt: skip
        add("points_book", (village_id, open_year))

        # (index, points, cap, cap counted by month): plain tuples, for the hot loop below.
        items = [
            (n, item[3], item[5], item[6] is not None and item[6].value == "month")
            for n, item in enumerate(COMMON_ITEMS)
        ]
        gains = [item for item in items if item[1] > 0]
        losses = [item for item in items if item[1] < 0]
        uncapped = [item for item in gains if item[2] is None]
        costs = [reward[2] for reward in REWARDS]
        committee_a, committee_b = users.committee
        household_a = users.household_of[committee_a]
        household_b = users.household_of[committee_b]
        grid_worker = users.grid_worker
        worker_household = users.household_of[grid_worker]
        cadre = {household_a, household_b, worker_household}

        # Some households far busier than others, the village's total exactly.
        counts = apportion(n_ledger, [rng.random() + 0.25 for _ in household_ids])
        first_offset = (DECIDE_AFTER + FINAL_AFTER) // TICK
        width = len(self.ticks) - first_offset
        ticks, days, periods = self.ticks, self.days, self.periods
        random_ = rng.random
        events: list[tuple] = []  # (ledger tick, household index, seq, row parts)
        balances = [0] * len(household_ids)
        last_tick = [-1] * len(household_ids)
        for h, count in enumerate(counts):
            if not count:
                continue
            slots = sorted([first_offset + int(random_() * width) for _ in range(count)])
            balance = 0
            capped: dict[tuple, int] = {}
            for seq, slot in enumerate(slots):
                if balance >= 10 and random_() < 0.12:
                    r = int(random_() * len(costs))
                    cost = costs[r]
                    quantity = 1 if balance < 2 * cost or random_() < 0.7 else 2
                    if cost * quantity <= balance:
                        balance -= cost * quantity
                        events.append(
                            (slot, h, seq, "redemption", -cost * quantity, balance, r, quantity)
                        )
                        continue
                recorded = slot - first_offset
                if balance >= 30 and losses and random_() < 0.04:
                    n, points, _cap, _monthly = losses[int(random_() * len(losses))]
                else:
                    n, points, cap, monthly = gains[int(random_() * len(gains))]
                    if cap is not None:
                        key = (n, periods[recorded // TICKS_PER_DAY][monthly])
                        total = capped.get(key, 0) + points
                        if total > cap:
                            n, points, _cap, _monthly = uncapped[int(random_() * len(uncapped))]
                        else:
                            capped[key] = total
                balance += points
                events.append((slot, h, seq, "award", points, balance, n, recorded))
            balances[h] = balance
            last_tick[h] = slots[-1]
        events.sort()

        entry_rows, ledger_rows = [], []
        first_entry = self.next_id("points_entry")
        first_ledger = self.next_id("points_ledger")
        entry_id, ledger_id = first_entry, first_ledger
        for slot, h, _seq, kind, points, balance, n, extra in events:
            household_id = household_ids[h]
            at = ticks[slot]
            if kind == "redemption":
                ledger_rows.append(
                    (ledger_id, village_id, household_id, "redemption", points, balance,
                     open_year, None, first_reward + n, extra, committee_a, at),
                )  # fmt: skip
                ledger_id += 1
                continue
            recorded = ticks[extra]
            in_first_grid = household_grid[h] == 0
            if household_id == household_a:
                recorder, channel, decider, decider_household = (
                    committee_a, "committee", committee_b, household_b
                )  # fmt: skip
            else:
                recorder = grid_worker if in_first_grid else committee_b
                channel = "grid" if in_first_grid else "committee"
                decider, decider_household = committee_a, household_a
            watch = (
                "recorder"
                if household_id == users.household_of[recorder]
                else "cadre"
                if household_id in cadre
                else None
            )
            entry_rows.append(
                (entry_id, village_id, household_id, first_item + n, points,
                 days[extra // TICKS_PER_DAY], channel, watch, "final", recorder, recorded,
                 decider, decider_household, recorded + DECIDE_AFTER, at),
            )  # fmt: skip
            ledger_rows.append(
                (ledger_id, village_id, household_id, "award", points, balance, open_year,
                 entry_id, None, None, None, at),
            )  # fmt: skip
            entry_id += 1
            ledger_id += 1
        # A few waiting for the committee's review: recorded yesterday, no ledger row yet.
        for k in range(min(PENDING_ENTRIES_PER_VILLAGE, len(household_ids))):
            h = rng.randrange(len(household_ids))
            n, points, _cap, _monthly = rng.choice(gains)
            recorder = grid_worker if household_grid[h] == 0 else committee_b
            entry_rows.append(
                (entry_id, village_id, household_ids[h], first_item + n, points,
                 clock.local_date(self.base) - timedelta(days=1),
                 "grid" if household_grid[h] == 0 else "committee", None, "pending", recorder,
                 self.base - timedelta(hours=20 - k), None, None, None, None),
            )  # fmt: skip
            entry_id += 1
        self.ids.take("points_entry", entry_id - first_entry)
        self.ids.take("points_ledger", ledger_id - first_ledger)
        self.loader.extend("points_entry", entry_rows)
        self.loader.extend("points_ledger", ledger_rows)
        self.loader.extend(
            "points_account",
            [
                (household_id, village_id, balances[h],
                 ticks[last_tick[h]] if last_tick[h] >= 0 else created)
                for h, household_id in enumerate(household_ids)
            ],
        )  # fmt: skip


@dataclass
class VillageUsers:
    committee: list[int] = field(default_factory=list)
    grid_worker: int = 0
    villagers: list[int] = field(default_factory=list)
    villager_residents: list[Person] = field(default_factory=list)
    by_resident: dict[int, int] = field(default_factory=dict)
    household_of: dict[int, int] = field(default_factory=dict)


def seed_scale(
    sizes: Sizes,
    *,
    seed: int = 1,
    today: date | None = None,
    password: str = DEFAULT_PASSWORD,
    progress: Callable[[str], None] = lambda line: None,
    bulk: bool | None = None,
) -> Report:
    """Fill the empty database with the data set of `sizes`; raises ScaleError if any
    table already has a row."""
    started = time.perf_counter()
    today = today or clock.today_local()
    db.session.remove()
    with db.engine.connect() as connection:
        try:
            empty = database_is_empty(connection)
        except sa.exc.DBAPIError as exc:
            raise ScaleError(
                "the database has not the portal's tables: run `flask db upgrade` first"
            ) from exc
        connection.rollback()
        if not empty:
            raise ScaleError("the database is not empty: seed-scale fills only an empty one")
        if bulk is None:
            bulk = sizes.residents + sizes.ledger >= BULK_FROM
        loader = Loader(connection, bulk=bulk)
        loader.begin()
        try:
            generator = Generator(loader, sizes, seed, today, password, progress)
            generator.run()
            load_seconds = time.perf_counter() - started
            finish_seconds = loader.finish(progress)
        except BaseException:
            loader.abort()
            raise
    written = sum(loader.seconds.values())
    return Report(
        sizes=sizes,
        seed=seed,
        rows=dict(loader.rows),
        seconds=dict(loader.seconds),
        generate_seconds=load_seconds - written,
        finish_seconds=finish_seconds,
        total_seconds=time.perf_counter() - started,
        villagers=generator.villagers,
        first_slug=village_slug(0),
    )


def summary_lines(report: Report) -> Iterable[str]:
    """One line per table (rows, seconds spent writing it), then the totals."""
    width = max(len(name) for name in report.rows)
    for name, rows in report.rows.items():
        yield f"  {name:<{width}}  {rows:>12,} rows  {report.seconds[name]:7.1f} s"
    yield (
        f"seed-scale: {sum(report.rows.values()):,} rows in {report.total_seconds:.1f} s "
        f"(generating {report.generate_seconds:.1f} s, writing "
        f"{sum(report.seconds.values()):.1f} s, keys and indexes {report.finish_seconds:.1f} s); "
        f"villages /v/{report.first_slug}/ …, villager logins {villager_phone(0)} … "
        f"{villager_phone(max(report.villagers - 1, 0))}, committee {official_phone(1, 0)}"
    )


# The village's own texts (its data, in its language; not words of the portal).

NOTICE_TEXTS = (
    (
        "finance",
        "村级财务收支公开",
        "现将本村本季度财务收支情况公开如下，接受全体村民监督。\n\n"
        "| 项目 | 金额（元） |\n|---|---:|\n| 上级转移支付 | 86,000.00 |\n"
        "| 集体资产租赁收入 | 42,500.00 |\n| 村干部报酬 | 54,000.00 |\n"
        "| 道路养护 | 23,600.00 |\n\n对以上账目有疑问的，请在公示期内向村务监督委员会反映。",
    ),
    (
        "announcement",
        "关于召开村民代表会议的通知",
        "村委会定于**下周三下午 2:00** 在村委会二楼会议室召开村民代表会议，议题如下：\n\n"
        "1. 审议村规民约修订草案；\n2. 通报本季度村级财务收支情况；\n3. 讨论冬季防火安排。",
    ),
    (
        "affairs",
        "村庄环境卫生整治活动安排",
        "村里将于**本周六**开展环境卫生整治活动：\n\n- 各户清理房前屋后的柴草、杂物和垃圾；\n"
        "- 各网格清理沟渠和公共场地；\n- 垃圾分类投放，不得焚烧秸秆。",
    ),
    (
        "party",
        "关于开展主题党日活动的通知",
        "全体党员：本月主题党日活动定于 **15 日上午 9:00** 在村党群服务中心举行，"
        "内容为重温入党誓词、学习有关文件、为高龄老人清扫庭院。",
    ),
    (
        "decision",
        "村民代表会议决定",
        "村民代表会议审议了村内道路硬化工程方案。\n\n| 同意 | 不同意 | 弃权 |\n|---:|---:|---:|\n"
        "| 29 | 2 | 1 |\n\n会议决定：实施村内道路硬化工程，全长 1.2 公里。",
    ),
)

BOARD_TEXTS = (
    "常年照顾同组的孤寡老人，帮忙买菜、打扫、陪同看病。",
    "房前屋后干净整洁，垃圾分类做得好，带动左邻右舍。",
    "儿子结婚只办了八桌，不收高价彩礼，带头移风易俗。",
    "每周参加村里的志愿服务，义务清理河道垃圾。",
    "一家三代和睦相处，孝敬老人，邻里称赞。",
)

NOMINATION_TEXTS = (
    "去年汛期连续几个晚上守在堤坝值班，还帮着转移了两户老人。",
    "在村口捡到装有现金和证件的钱包，一直等到失主回来取。",
    "十几年如一日照顾瘫痪在床的婆婆，从不叫苦。",
    "自己出钱修好了组里坏了多年的路灯。",
)


@click.command("seed-scale")
@click.option(
    "--preset",
    type=click.Choice(list(PRESETS)),
    default="village",
    show_default=True,
    help="village: 3 villages, 500 households; town: 20 villages; county: 300; city: 1,500.",
)
@click.option("--seed", type=int, default=1, show_default=True, help="Same seed, same rows.")
@click.option("--towns", type=int, help="Override the preset's count of towns.")
@click.option("--villages", type=int, help="Override the preset's count of villages.")
@click.option("--households", type=int, help="Override the preset's count of households.")
@click.option("--residents", type=int, help="Override the preset's count of residents.")
@click.option("--ledger", type=int, help="Override the preset's count of ledger rows.")
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="The day the data set ends on (default: today); times are counted back from it.",
)
@click.option(
    "--password",
    default=DEFAULT_PASSWORD,
    show_default=True,
    help="Every account's password (hashed once).",
)
def seed_scale_command(preset, seed, towns, villages, households, residents, ledger, today,
                       password) -> None:  # fmt: skip
    """Fill an EMPTY database (after `flask db upgrade`) with a data set of a village, a
    town, a county or a city, deterministic from --seed, in bulk."""
    try:
        sizes = sizes_for(
            preset,
            towns=towns,
            villages=villages,
            households=households,
            residents=residents,
            ledger=ledger,
        )
        click.echo(
            f"seed-scale {preset}: {sizes.town_count} towns, {sizes.villages:,} villages, "
            f"{sizes.households:,} households, {sizes.residents:,} residents, "
            f"{sizes.ledger:,} ledger rows (seed {seed})"
        )
        report = seed_scale(
            sizes,
            seed=seed,
            today=today.date() if today else None,
            password=password,
            progress=lambda line: click.echo(f"  {line}"),
        )
    except ScaleError as exc:
        click.echo(f"seed-scale: {exc}", err=True)
        raise SystemExit(1) from None
    for line in summary_lines(report):
        click.echo(line)
