"""What the red/black boards show on the village home and the committee console's home."""

from __future__ import annotations

import sqlalchemy as sa

from portal import clock
from portal.boards import services
from portal.boards.models import AppealState, BoardAppeal, BoardCategory, BoardEntry, EntryState
from portal.extensions import db
from portal.publicity.models import Objection, Publicity
from portal.villages.models import Village


def _figures() -> sa.Select:
    """One statement: whether the village uses the boards at all, warnings due for the
    committee's decision, 公示 that may be published, appeals waiting for the committee."""
    village_id = sa.bindparam("village_id", type_=sa.Integer)
    now = sa.bindparam("now", type_=BoardEntry.expires_at.type)
    today = sa.bindparam("today", type_=BoardEntry.warning_deadline.type)
    used = sa.or_(
        sa.exists().where(BoardCategory.village_id == village_id),
        sa.exists().where(BoardEntry.village_id == village_id),
    )
    due = (
        sa.select(sa.func.count(BoardEntry.id))
        .where(
            BoardEntry.village_id == village_id,
            BoardEntry.state == EntryState.WARNED,
            BoardEntry.warning_deadline < today,
        )
        .scalar_subquery()
    )
    ended = sa.exists().where(
        Publicity.subject_type == services.SUBJECT,
        Publicity.subject_id == BoardEntry.id,
        Publicity.ends_at <= now,
    )
    unanswered = sa.exists().where(
        Objection.publicity_id == Publicity.id,
        Objection.answered_at.is_(None),
        Publicity.subject_type == services.SUBJECT,
        Publicity.subject_id == BoardEntry.id,
    )
    waiting = sa.exists().where(
        BoardAppeal.entry_id == BoardEntry.id,
        BoardAppeal.state.in_((AppealState.PENDING, AppealState.TOWN_REVIEW)),
    )
    ready = (
        sa.select(sa.func.count(BoardEntry.id))
        .where(
            BoardEntry.village_id == village_id,
            BoardEntry.state == EntryState.NOTICE,
            ended,
            ~unanswered,
            ~waiting,
        )
        .scalar_subquery()
    )
    appeals = (
        sa.select(sa.func.count(BoardAppeal.id))
        .where(BoardAppeal.village_id == village_id, BoardAppeal.state == AppealState.PENDING)
        .scalar_subquery()
    )
    return sa.select(used.label("used"), due, ready, appeals)


_FIGURES = _figures()


def console_context(village: Village) -> dict:
    """The boards' tile, once the village has a category or an entry: a feature no one
    has set up is not advertised by an empty tile."""
    now = clock.now()
    used, due, ready, appeals = db.session.execute(
        _FIGURES, {"village_id": village.id, "now": now, "today": clock.local_date(now)}
    ).one()
    if not used:
        return {"boards_tile": None}
    return {"boards_tile": {"due": due, "ready": ready, "appeals": appeals}}


def home_context(village: Village) -> dict:
    """The village home's 红榜 section: the newest red entries (never the black board),
    shown only when there are some."""
    return {"board_home_entries": services.home_entries(village)}
