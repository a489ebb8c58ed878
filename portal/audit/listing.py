"""Reading the action log 操作日志 of one village: filters, keyset pages, the people in it.

Every statement is scoped to one village and bounded: a page is the newest
`PER_PAGE` entries after a cursor on (at, id), walked down the index on
(village_id, at); the filter form's choices come from the village's latest
`RECENT_WINDOW` entries; the actors' names come in one statement for the page.
The IP address is never read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from portal.audit.labels import KIND_LABELS, action_kind, field_label, value_label
from portal.audit.models import ActionLog
from portal.auth.models import User
from portal.clock import LOCAL_TZ
from portal.extensions import db
from portal.i18n import format_datetime
from portal.villages.models import Village

PER_PAGE = 30
# How far back the filter form looks for the people, kinds and objects to offer.
RECENT_WINDOW = 1000
# A summary value longer than this is cut short; the log keeps it whole.
VALUE_MAX = 80

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MAX_ID = 2**63 - 1
_CURSOR = re.compile(r"(\d{1,17})-(\d{1,19})")
# Mobile numbers 手机号 inside a summary's text are masked as 139****5678.
_PHONE = re.compile(r"(?<!\d)(1\d{2})\d{4}(\d{4})(?!\d)")
_ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")

_COLUMNS = (
    ActionLog.id,
    ActionLog.at,
    ActionLog.actor_id,
    ActionLog.role,
    ActionLog.action,
    ActionLog.object_type,
    ActionLog.object_id,
    ActionLog.summary,
)


@dataclass(frozen=True)
class Cursor:
    """The last entry of a page: the next page starts just below it in (at, id) order."""

    at: datetime
    id: int

    def encode(self) -> str:
        delta = self.at - _EPOCH
        micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
        return f"{micros}-{self.id}"

    @classmethod
    def decode(cls, raw: str) -> Cursor | None:
        """The cursor a page's link carries; None for anything that is not one."""
        match = _CURSOR.fullmatch(raw)
        if not match:
            return None
        micros, entry_id = int(match[1]), int(match[2])
        if entry_id > _MAX_ID:
            return None
        try:
            return cls(_EPOCH + timedelta(microseconds=micros), entry_id)
        except OverflowError:
            return None


@dataclass(frozen=True)
class LogFilter:
    """What the reader asked to see. `actor` is a user id; `system` asks for the entries
    no person made (`flask tick`). `start` and `end` are local dates, both included."""

    actor: int | None = None
    system: bool = False
    kind: str | None = None
    object_type: str | None = None
    object_id: int | None = None
    start: date | None = None
    end: date | None = None

    @property
    def active(self) -> bool:
        return self != LogFilter()


@dataclass(frozen=True)
class Change:
    key: str
    before: str | None
    after: str | None


@dataclass(frozen=True)
class LogPage:
    entries: list
    next_cursor: Cursor | None


@dataclass(frozen=True)
class Choices:
    """What the filter form offers: the people, kinds and objects of the recent log."""

    actor_ids: set[int]
    system: bool
    kinds: list[str]
    object_types: list[str]


def local_midnight(day: date) -> datetime:
    """The start of `day` in Asia/Shanghai, as a UTC moment."""
    return datetime.combine(day, time(), tzinfo=LOCAL_TZ).astimezone(UTC)


def _where(village: Village, wanted: LogFilter) -> list[sa.ColumnElement[bool]]:
    conditions = [ActionLog.village_id == village.id]
    if wanted.system:
        conditions.append(ActionLog.actor_id.is_(None))
    elif wanted.actor is not None:
        conditions.append(ActionLog.actor_id == wanted.actor)
    if wanted.kind:
        # autoescape: the "_" of "rules_x" is a letter here, not LIKE's wildcard.
        conditions.append(
            sa.or_(
                ActionLog.action == wanted.kind,
                ActionLog.action.startswith(wanted.kind + ".", autoescape=True),
            )
        )
    if wanted.object_type:
        conditions.append(ActionLog.object_type == wanted.object_type)
    if wanted.object_id is not None:
        conditions.append(ActionLog.object_id == wanted.object_id)
    if wanted.start:
        conditions.append(ActionLog.at >= local_midnight(wanted.start))
    if wanted.end:
        conditions.append(ActionLog.at < local_midnight(wanted.end + timedelta(days=1)))
    return conditions


def log_page(
    village: Village, wanted: LogFilter, after: Cursor | None = None, per_page: int = PER_PAGE
) -> LogPage:
    """The newest `per_page` entries matching `wanted` below `after`: one statement.

    Ordered by (at, id), newest first, so entries written in the same instant keep one
    order and a page boundary between them loses or repeats none.
    """
    query = sa.select(*_COLUMNS).where(*_where(village, wanted))
    if after is not None:
        query = query.where(
            ActionLog.at <= after.at,
            sa.or_(ActionLog.at < after.at, ActionLog.id < after.id),
        )
    rows = db.session.execute(
        query.order_by(ActionLog.at.desc(), ActionLog.id.desc()).limit(per_page + 1)
    ).all()
    more = len(rows) > per_page
    rows = rows[:per_page]
    next_cursor = Cursor(rows[-1].at, rows[-1].id) if more else None
    return LogPage(rows, next_cursor)


def _kind_order(kind: str) -> tuple[int, str]:
    known = list(KIND_LABELS)
    return (known.index(kind), "") if kind in known else (len(known), kind)


def recent_choices(village: Village) -> Choices:
    """The people, kinds of action and kinds of object among the latest entries: one
    statement over at most `RECENT_WINDOW` rows of the village's index."""
    window = (
        sa.select(ActionLog.actor_id, ActionLog.action, ActionLog.object_type)
        .where(ActionLog.village_id == village.id)
        .order_by(ActionLog.at.desc(), ActionLog.id.desc())
        .limit(RECENT_WINDOW)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(window.c.actor_id, window.c.action, window.c.object_type).distinct()
    ).all()
    actors = {row.actor_id for row in rows if row.actor_id is not None}
    kinds = {action_kind(row.action) for row in rows}
    objects = {row.object_type for row in rows if row.object_type}
    return Choices(
        actor_ids=actors,
        system=any(row.actor_id is None for row in rows),
        kinds=sorted(kinds, key=_kind_order),
        object_types=sorted(objects),
    )


def actor_names(ids: Iterable[int]) -> dict[int, str]:
    """The names of the people who acted: one statement, never their phone numbers."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    return dict(db.session.execute(sa.select(User.id, User.name).where(User.id.in_(wanted))).all())


def _text(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, str):
        text = value
        if _ISO_MOMENT.match(text):
            try:
                moment = datetime.fromisoformat(text)
            except ValueError:
                moment = None
            if moment is not None and moment.tzinfo is not None:
                return format_datetime(moment)
    elif isinstance(value, int | float):
        return _PHONE.sub(r"\1****\2", str(value))
    else:
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    text = " ".join(text.split())
    if len(text) > VALUE_MAX:
        text = text[: VALUE_MAX - 1] + "…"
    return _PHONE.sub(r"\1****\2", text)


def changes(summary: dict | None, object_type: str = "") -> list[Change]:
    """The summary's before and after, key by key: unchanged keys are left out."""
    if not isinstance(summary, dict):
        return []
    before = summary.get("before") if isinstance(summary.get("before"), dict) else {}
    after = summary.get("after") if isinstance(summary.get("after"), dict) else {}
    keys = list(before) + [key for key in after if key not in before]

    def shown(key: str, value) -> str:
        if isinstance(value, str):
            label = value_label(key, value, object_type)
            if label is not None:
                return label
        return _text(value)

    found = []
    for key in keys:
        if key in before and key in after and before[key] == after[key]:
            continue
        found.append(
            Change(
                field_label(str(key)),
                shown(key, before[key]) if key in before else None,
                shown(key, after[key]) if key in after else None,
            )
        )
    return found
