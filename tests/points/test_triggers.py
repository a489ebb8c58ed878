"""The points ledger is append-only in the database itself (SECURITY.md, `portal.dbtriggers`):
an UPDATE or DELETE of `points_ledger` is refused whoever sends it (the portal's session,
another connection, a second engine as a shell would open), an INSERT goes in; the
triggers carry the names `portal.dbtriggers` documents, and the points migration's
downgrade takes them away and leaves the action log's."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from portal import create_app
from portal.audit.models import ActionLog
from portal.extensions import db
from portal.points.models import LedgerEntry, LedgerKind
from tests.factories import VillageFactory
from tests.points.conftest import award

LEDGER = "points_ledger"
BEFORE_POINTS = "0010_nominations"


def trigger_names(conn) -> set[str]:
    if conn.dialect.name == "postgresql":
        query = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
    else:
        query = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
    return set(conn.execute(sa.text(query)).scalars())


def expected(table: str, dialect: str) -> set[str]:
    if dialect == "postgresql":
        return {f"{table}_append_only"}
    return {f"{table}_no_update", f"{table}_no_delete"}


def refused(engine, statement: str) -> str | None:
    """The database's refusal of `statement` (rolled back either way), or None."""
    with engine.connect() as conn:
        try:
            conn.execute(sa.text(statement))
        except sa.exc.DatabaseError as exc:
            return str(exc.orig)
        finally:
            conn.rollback()
    return None


@pytest.fixture
def awarded(village, households, committee, second_member, now):
    award(committee, second_member, village, households[0])
    db.session.commit()
    return households[0]


@pytest.fixture(params=["session engine", "second engine"])
def engine(request, app, database_url):
    """The portal's engine, or a second one of its own (a shell with the password)."""
    if request.param == "session engine":
        yield db.engine
        return
    other = sa.create_engine(database_url)
    yield other
    other.dispose()


@pytest.mark.parametrize(
    "statement",
    [
        f"UPDATE {LEDGER} SET points = points + 100",
        f"UPDATE {LEDGER} SET balance_after = 0",
        f"UPDATE {LEDGER} SET note = 'edited'",
        f"DELETE FROM {LEDGER}",
    ],
)
def test_update_and_delete_are_refused(awarded, engine, statement):
    message = refused(engine, statement)
    assert message is not None and "points_ledger is append-only" in message
    db.session.rollback()
    rows = db.session.execute(sa.select(LedgerEntry.points, LedgerEntry.balance_after)).all()
    assert rows == [(20, 20)]


def test_the_session_cannot_edit_a_row_either(awarded):
    row = db.session.scalars(sa.select(LedgerEntry)).one()
    row.points = 999
    with pytest.raises(sa.exc.DatabaseError, match="append-only"):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.scalars(sa.select(LedgerEntry)).one())
    with pytest.raises(sa.exc.DatabaseError, match="append-only"):
        db.session.commit()
    db.session.rollback()
    assert db.session.scalar(sa.select(LedgerEntry.points)) == 20


def test_insert_is_allowed(awarded, engine):
    first = db.session.scalars(sa.select(LedgerEntry)).one()
    with engine.begin() as conn:
        conn.execute(
            sa.insert(LedgerEntry.__table__).values(
                village_id=first.village_id,
                household_id=first.household_id,
                kind=LedgerKind.OPENING.value,
                points=0,
                balance_after=20,
                year=2026,
                created_at=first.created_at,
            )
        )
    db.session.rollback()
    kinds = db.session.scalars(sa.select(LedgerEntry.kind).order_by(LedgerEntry.id)).all()
    assert kinds == [LedgerKind.AWARD, LedgerKind.OPENING]


def test_the_triggers_have_the_documented_names(app):
    dialect = db.engine.dialect.name
    with db.engine.connect() as conn:
        names = trigger_names(conn)
    assert expected(LEDGER, dialect) <= names
    assert expected("action_log", dialect) <= names
    if dialect == "postgresql":
        with db.engine.connect() as conn:
            function = conn.execute(
                sa.text(
                    "SELECT p.proname FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid "
                    "WHERE t.tgname = :name"
                ),
                {"name": f"{LEDGER}_append_only"},
            ).scalar_one()
        assert function == "refuse_change"


def test_the_downgrade_removes_them_and_leaves_the_logs(database_url):
    """Down to the migration before points, and up again: the ledger's triggers go with
    its table, the action log's (and on PostgreSQL their shared function) stay."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        dialect = db.engine.dialect.name
        # A row for the log's triggers to refuse to change (they fire for each row).
        village = VillageFactory()
        db.session.add(
            ActionLog(role="committee", village_id=village.id, action="test", object_type="x")
        )
        db.session.commit()
        try:
            downgrade(revision=BEFORE_POINTS)
            with db.engine.connect() as conn:
                names = trigger_names(conn)
                tables = set(sa.inspect(conn).get_table_names())
            assert LEDGER not in tables
            assert not {name for name in names if name.startswith(LEDGER)}
            assert expected("action_log", dialect) <= names
            assert refused(db.engine, "DELETE FROM action_log") is not None
            assert refused(db.engine, "UPDATE action_log SET action = 'forged'") is not None
        finally:
            upgrade()
        with db.engine.connect() as conn:
            assert expected(LEDGER, dialect) <= trigger_names(conn)
        db.engine.dispose()
