"""Counting the SQL statements a request runs, for the tests that pin a page's cost."""

from __future__ import annotations

from contextlib import contextmanager

import sqlalchemy as sa

from portal.extensions import db

DATA_VERBS = ("select", "insert", "update", "delete", "with")


@contextmanager
def statements():
    """Record the SQL statements run (not BEGIN/COMMIT, which only SQLite sends as SQL)."""
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().lower().startswith(DATA_VERBS):
            seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
