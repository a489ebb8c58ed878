"""Engine settings for SQLite and PostgreSQL, and the write-transaction helper."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from portal.extensions import db


def configure(app: Flask) -> None:
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)


def _configure_sqlite(engine: sa.Engine) -> None:
    """WAL, a busy timeout, foreign keys, and transactions we begin ourselves.

    pysqlite's own transaction handling defers BEGIN and cannot take the write lock
    up front; `write_transaction()` needs `BEGIN IMMEDIATE` so a read-then-write
    cannot lose an update.
    """

    @sa.event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def on_begin(connection):
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


def write_transaction() -> None:
    """Start the session's transaction holding the write lock.

    Call first thing in a user action that reads and then writes (balances, stock,
    caps, invite codes). On SQLite this is `BEGIN IMMEDIATE`; on PostgreSQL the
    action locks its rows with `SELECT ... FOR UPDATE` as well.
    """
    if db.session().in_transaction():
        db.session.commit()
    db.session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
