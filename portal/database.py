"""Engine settings for SQLite and PostgreSQL, and the write-transaction helper."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from portal.extensions import db


def insert(target):
    """INSERT with ON CONFLICT, in the dialect of the session's database (SQLite and
    PostgreSQL both speak it): `insert(Model).values(...).on_conflict_do_nothing()`."""
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(target)


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


class TransactionAlreadyOpen(RuntimeError):
    """A write transaction was asked for while the session holds someone else's writes."""


def _install_write_tracking() -> None:
    """Remember, per session transaction, whether anything has been flushed in it."""
    from sqlalchemy.orm import Session

    @sa.event.listens_for(Session, "after_flush")
    def note_write(session, _context):
        session.info["wrote"] = True

    @sa.event.listens_for(Session, "after_transaction_end")
    def forget_write(session, transaction):
        if transaction.parent is None:
            session.info.pop("wrote", None)
            if session.info.get("write_transaction") is transaction:
                session.info.pop("write_transaction", None)


_install_write_tracking()


def has_pending_writes() -> bool:
    session = db.session()
    return bool(session.new or session.dirty or session.deleted or session.info.get("wrote"))


def in_write_transaction() -> bool:
    """Whether the session is inside the write transaction `write_transaction()` began."""
    session = db.session()
    current = session.get_transaction()
    return current is not None and session.info.get("write_transaction") is current


def write_transaction(adopt: bool = False) -> None:
    """Start the session's transaction holding the write lock.

    Call first thing in a user action that reads and then writes (balances, stock,
    caps, invite codes); `portal.actions.unit_of_work()` does. On SQLite this is
    `BEGIN IMMEDIATE`; on PostgreSQL the action locks its rows with
    `SELECT ... FOR UPDATE` as well.

    Inside the write transaction this began, it does nothing (a service called by
    another joins its transaction). A read-only transaction in progress (the page's
    lookups of the village and the user) is ended first: it holds nothing to lose.
    Anything else is refused: a transaction with writes in it is someone else's unit
    of work, and committing it here would commit it by accident.

    `adopt`: on PostgreSQL, the read-only transaction in progress becomes the write
    transaction instead of being ended, so nothing it loaded is loaded again. Only for an
    action that re-reads under its row locks everything it decides on (read committed:
    each statement sees what is committed when it runs); SQLite still needs its
    `BEGIN IMMEDIATE`.
    """
    if in_write_transaction():
        return
    session = db.session()
    if session.in_transaction():
        if has_pending_writes():
            raise TransactionAlreadyOpen(
                "write_transaction() inside a transaction that has written: commit or roll "
                "back that work first"
            )
        if adopt and session.get_bind().dialect.name != "sqlite":
            session.info["write_transaction"] = session.get_transaction()
            return
        session.rollback()
    session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
    session.info["write_transaction"] = session.get_transaction()
