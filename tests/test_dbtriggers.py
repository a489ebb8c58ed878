"""Append-only triggers as migrations make them (portal.dbtriggers), on both databases.

The action log's triggers keep the names the first migration gave them, which existing
databases hold; a later table made append-only refuses changes the same way, and
undoing it leaves the earlier tables' triggers whole (on PostgreSQL they share one
function).
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import Operations

from portal.audit.models import ActionLog
from portal.dbtriggers import append_only, drop_append_only
from portal.extensions import db
from tests.factories import VillageFactory

SCRATCH = "scratch_ledger"


def trigger_names(conn) -> set[str]:
    if conn.dialect.name == "postgresql":
        query = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
    else:
        query = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
    return set(conn.execute(sa.text(query)).scalars())


def refuses(statement: str) -> bool:
    with db.engine.connect() as conn:
        try:
            conn.execute(sa.text(statement))
        except sa.exc.DatabaseError:
            return True
        finally:
            conn.rollback()
    return False


@pytest.fixture
def scratch_table(app):
    """A table of the test's own, dropped afterwards whatever happens."""

    def drop():
        with db.engine.begin() as conn:
            conn.execute(sa.text(f"DROP TABLE IF EXISTS {SCRATCH}"))

    drop()
    with db.engine.begin() as conn:
        conn.execute(sa.text(f"CREATE TABLE {SCRATCH} (id INTEGER PRIMARY KEY, amount INTEGER)"))
        conn.execute(sa.text(f"INSERT INTO {SCRATCH} (id, amount) VALUES (1, 5)"))
    yield SCRATCH
    drop()


def migrate(action, table: str) -> None:
    with db.engine.begin() as conn:
        action(Operations(MigrationContext.configure(conn)), table)


def test_the_action_log_keeps_its_trigger_names(app):
    expected = (
        {"action_log_append_only"}
        if db.engine.dialect.name == "postgresql"
        else {"action_log_no_update", "action_log_no_delete"}
    )
    with db.engine.connect() as conn:
        assert expected <= trigger_names(conn)


def test_a_later_table_is_append_only_and_undoing_it_spares_the_log(scratch_table):
    village = VillageFactory()
    db.session.add(
        ActionLog(role="committee", village_id=village.id, action="test", object_type="village")
    )
    db.session.commit()
    migrate(append_only, scratch_table)
    assert refuses(f"UPDATE {scratch_table} SET amount = 6")
    assert refuses(f"DELETE FROM {scratch_table}")

    migrate(drop_append_only, scratch_table)
    assert not refuses(f"UPDATE {scratch_table} SET amount = 6")
    # The log's triggers, and on PostgreSQL the function they share, are still there.
    assert refuses("UPDATE action_log SET action = 'forged'")
    assert refuses("DELETE FROM action_log")
    with db.engine.connect() as conn:
        assert not {n for n in trigger_names(conn) if n.startswith(scratch_table)}
