"""One unit of work per user action, and one refusal.

A user action (a ballot, a notice published, a registration verified) runs as:

    with unit_of_work():
        services.do_the_thing(actor, ...)   # changes rows, adds its action-log row

`unit_of_work()` begins the write transaction (`BEGIN IMMEDIATE` on SQLite; the
services take row locks on PostgreSQL), commits once when the block ends, and rolls
everything back when the block raises, so a refused action leaves neither a change
nor a log row. A lost race on a unique constraint becomes a `Refusal` with a clear
message instead of a 500.

Services refuse with `Refusal(message, status, field)`: the message is for the person
who asked, in their language; the status is what the view answers (403 not theirs to
do, 404 not there, 409 the state does not allow it now, 422 bad input, 429 too many);
`field` names the form field the message belongs beside, if any. Views use the status
as it is instead of guessing one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from portal.database import in_write_transaction, write_transaction
from portal.extensions import db


class Refusal(Exception):
    """An action the rules refuse; `message` is for the user, `status` for the response."""

    status = 409

    def __init__(self, message: str, status: int | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        self.field = field


class NotFound(Refusal):
    """The object of the action is not there (or not in this village)."""

    status = 404

    def __init__(self, message: str = "", field: str | None = None):
        super().__init__(message, field=field)


def conflict_message() -> str:
    return _("刚才有人同时修改了这条记录，请刷新页面后再试。")


@contextmanager
def unit_of_work(
    conflict: Callable[[], Refusal] | None = None, keep_loaded: bool = False
) -> Iterator[None]:
    """Run one user action in one write transaction: commit at the end, or roll back whole.

    Nested use (a service that runs another service's action) joins the outer unit:
    only the outermost one commits. `conflict` builds the refusal for a lost race on a
    unique constraint where the action can say which one (it runs after the rollback).

    `keep_loaded`: for an action on the hot path (a ballot) whose service re-reads under
    its locks all it decides on. The request's reads so far join the write transaction
    (`write_transaction(adopt=True)`), and what the action loaded and wrote stays loaded
    after the commit, so the answer is rendered from the values just written instead of
    reading each row again.
    """
    if in_write_transaction():
        yield
        return
    write_transaction(adopt=keep_loaded)
    session = db.session()
    expires = session.expire_on_commit
    try:
        yield
        session.expire_on_commit = expires and not keep_loaded
        try:
            session.commit()
        finally:
            session.expire_on_commit = expires
    except IntegrityError as exc:
        db.session.rollback()
        raise (conflict() if conflict else Refusal(conflict_message())) from exc
    except BaseException:
        db.session.rollback()
        raise
