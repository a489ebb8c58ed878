"""公示: opening a period, objecting to it (online or on paper), answering objections.

A feature (a board entry, a nomination, a points entry) opens a period for its row
inside its own unit of work:

    with unit_of_work():
        ...the feature's own change...
        publicity.open_period(actor, village, "board_entry", entry.id, days=5)

The phase is read from `starts_at`, `ends_at` and the clock wherever it is shown: no
job moves it. Before the decision that follows 公示 (publishing the entry), the
feature asks `may_close`: the period has ended and every objection has its answer.

Objections: one per resident per period, whatever the channel (typed online by a
verified villager, or entered by a clerk from a paper form); the unique constraint on
(publicity, resident) holds it when two arrive at once, and `already_objected` is the
refusal a unit of work gives for that race. The committee and supervisors see who
objected (`objections_for`); public pages get counts only (`objection_counts`).
The caller begins the write transaction (`portal.actions.unit_of_work`) and commits.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload, load_only

from portal import clock
from portal.actions import NotFound, Refusal
from portal.audit.services import record_action
from portal.auth.access import is_verified_villager, require_committee, villager_refusal
from portal.auth.models import Role, User
from portal.extensions import db
from portal.inputs import required_text
from portal.publicity.models import ANSWER_MAX, REASON_MAX, Objection, Publicity
from portal.villages.models import Resident, Village

DAYS_MAX = 60


class PublicityError(Refusal):
    """A 公示 action the rules refuse."""


class PublicityPhase(enum.StrEnum):
    UPCOMING = "upcoming"  # opened for a start still ahead
    OPEN = "open"  # objections are taken
    ENDED = "ended"  # the period is over; objections may still be answered


# What a feature's subject is called in the console ("红黑榜条目"), declared by the
# feature with `register_subject`; a type with no entry is shown as it is stored.
_SUBJECTS: dict[str, tuple[object, Callable[[Village, int], str] | None]] = {}


def register_subject(
    subject_type: str, label, url: Callable[[Village, int], str] | None = None
) -> None:
    """Name a feature's subject type for the console, and how to link to one subject."""
    _SUBJECTS[subject_type] = (label, url)


def subject_label(subject_type: str) -> str:
    entry = _SUBJECTS.get(subject_type)
    return str(entry[0]) if entry else subject_type


def subject_url(village: Village, publicity: Publicity) -> str | None:
    entry = _SUBJECTS.get(publicity.subject_type)
    if not entry or entry[1] is None:
        return None
    return entry[1](village, publicity.subject_id)


# --- the period -----------------------------------------------------------------------


def phase(publicity: Publicity, now: datetime | None = None) -> PublicityPhase:
    """Upcoming before `starts_at`, open from it, ended from `ends_at` on."""
    now = now or clock.now()
    if now < publicity.starts_at:
        return PublicityPhase.UPCOMING
    if now < publicity.ends_at:
        return PublicityPhase.OPEN
    return PublicityPhase.ENDED


@dataclass(frozen=True)
class PeriodView:
    """What a page says of a period: its phase, its dates (local), the days left."""

    publicity: Publicity
    phase: PublicityPhase
    starts_on: date
    ends_on: date
    days_left: int

    @property
    def is_open(self) -> bool:
        return self.phase == PublicityPhase.OPEN


def describe(publicity: Publicity, now: datetime | None = None) -> PeriodView:
    now = now or clock.now()
    ends_on = clock.local_date(publicity.ends_at)
    return PeriodView(
        publicity=publicity,
        phase=phase(publicity, now),
        starts_on=clock.local_date(publicity.starts_at),
        ends_on=ends_on,
        days_left=max((ends_on - clock.local_date(now)).days, 0),
    )


def open_period(
    actor: User | None,
    village: Village,
    subject_type: str,
    subject_id: int,
    days: int,
    now: datetime | None = None,
    role: str = Role.COMMITTEE,
    starts_at: datetime | None = None,
) -> Publicity:
    """Open a 公示 of `days` days for the feature's row, from `starts_at` (default now).

    The feature decides who may open it and with what length (its village setting);
    this adds the period and its action-log row to the caller's unit of work.
    """
    if not isinstance(days, int) or not 1 <= days <= DAYS_MAX:
        raise PublicityError(
            _("公示期应为 1 到 %(max)d 天。", max=DAYS_MAX), status=422, field="days"
        )
    start = starts_at or now or clock.now()
    publicity = Publicity(
        village_id=village.id,
        subject_type=subject_type,
        subject_id=subject_id,
        starts_at=start,
        ends_at=start + timedelta(days=days),
        opened_by_id=getattr(actor, "id", None),
        created_at=now or clock.now(),
    )
    db.session.add(publicity)
    record_action(
        actor,
        role,
        "publicity.open",
        publicity,
        village=village,
        after={
            "subject": f"{subject_type}:{subject_id}",
            "starts_at": start.isoformat(),
            "ends_at": publicity.ends_at.isoformat(),
            "days": days,
        },
    )
    return publicity


def period_for(subject_type: str, subject_id: int) -> Publicity | None:
    """The latest 公示 of one subject (a decision may be put up again)."""
    return db.session.scalar(
        sa.select(Publicity)
        .where(Publicity.subject_type == subject_type, Publicity.subject_id == subject_id)
        .order_by(Publicity.starts_at.desc(), Publicity.id.desc())
        .limit(1)
    )


def periods_for(subject_type: str, ids: Iterable[int]) -> dict[int, Publicity]:
    """The latest 公示 of each of `ids`, in one statement, for a list page."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = db.session.scalars(
        sa.select(Publicity)
        .where(Publicity.subject_type == subject_type, Publicity.subject_id.in_(wanted))
        .order_by(Publicity.subject_id, Publicity.starts_at.desc(), Publicity.id.desc())
    )
    found: dict[int, Publicity] = {}
    for row in rows:
        found.setdefault(row.subject_id, row)
    return found


def get_period(village: Village, publicity_id: int) -> Publicity | None:
    publicity = db.session.get(Publicity, publicity_id)
    if publicity is None or publicity.village_id != village.id:
        return None
    return publicity


def console_figures(village: Village) -> tuple[bool, int]:
    """Whether the village has had a 公示 at all, and its unanswered objections: one
    statement, for the console home's tile."""
    row = db.session.execute(
        sa.select(
            sa.select(Publicity.id).where(Publicity.village_id == village.id).exists(),
            sa.select(sa.func.count(Objection.id))
            .where(Objection.village_id == village.id, Objection.answered_at.is_(None))
            .scalar_subquery(),
        )
    ).one()
    return bool(row[0]), row[1] or 0


def has_periods(village: Village) -> bool:
    return (
        db.session.scalar(
            sa.select(Publicity.id).where(Publicity.village_id == village.id).limit(1)
        )
        is not None
    )


# --- objections -----------------------------------------------------------------------


def already_objected() -> PublicityError:
    """The refusal for a second objection by one person (also the lost race's)."""
    return PublicityError(_("这位村民已经对这次公示提出过异议，每人只能提一次。"), status=409)


def _clean(text: str | None, *, empty, too_long, limit: int, field: str) -> str:
    return required_text(
        text, limit=limit, empty=empty, too_long=too_long, field=field, error=PublicityError
    )


def clean_reason(text: str | None) -> str:
    return _clean(
        text,
        empty=_("请写下异议的理由。"),
        too_long=_("理由最多 %(max)d 个字。", max=REASON_MAX),
        limit=REASON_MAX,
        field="reason",
    )


def _require_open(publicity: Publicity, now: datetime) -> None:
    current = phase(publicity, now)
    if current == PublicityPhase.UPCOMING:
        raise PublicityError(_("公示还没有开始，开始以后才能提出异议。"), status=409)
    if current == PublicityPhase.ENDED:
        raise PublicityError(_("公示期已经结束，不能再提出异议。"), status=409)


def _objection_of(publicity: Publicity, resident_id: int) -> Objection | None:
    return db.session.scalar(
        sa.select(Objection).where(
            Objection.publicity_id == publicity.id, Objection.resident_id == resident_id
        )
    )


def own_objection(user, publicity: Publicity) -> Objection | None:
    """The objection `user`'s resident has raised in this period, if any."""
    resident_id = getattr(user, "resident_id", None)
    if resident_id is None or not getattr(user, "is_authenticated", False):
        return None
    return _objection_of(publicity, resident_id)


def objecting_refusal(user, publicity: Publicity) -> str | None:
    """Why `user` may not object online to this period (in their words), or None."""
    if not is_verified_villager(user, publicity.village_id):
        return villager_refusal(user, publicity.village_id)
    resident = user.resident
    if resident is None or resident.village_id != publicity.village_id or not resident.on_roster:
        return _("只有本村花名册上的村民可以提出异议。")
    return None


def object_online(
    user: User, publicity: Publicity, reason: str, now: datetime | None = None
) -> Objection:
    """A verified villager's objection, while the period is open; one per person."""
    now = now or clock.now()
    refusal = objecting_refusal(user, publicity)
    if refusal:
        raise PublicityError(refusal, status=403)
    return _add_objection(
        publicity,
        user.resident_id,
        reason,
        now,
        actor=user,
        role=Role.VILLAGER,
        action="publicity.object",
        user_id=user.id,
    )


def object_on_paper(
    clerk: User,
    publicity: Publicity,
    resident_id: int | None,
    reason: str,
    now: datetime | None = None,
) -> Objection:
    """A paper objection a committee clerk enters for a resident on the village's roster,
    under the same one-per-person rule as online ones, while the period is open."""
    now = now or clock.now()
    require_committee(clerk, publicity.village_id, PublicityError)
    resident = db.session.get(Resident, resident_id) if resident_id else None
    if resident is None or resident.village_id != publicity.village_id:
        raise PublicityError(_("请选择本村花名册上的村民。"), status=422, field="resident_id")
    if not resident.on_roster:
        raise PublicityError(
            _("%(name)s 已不在本村花名册上。", name=resident.name),
            status=422,
            field="resident_id",
        )
    return _add_objection(
        publicity,
        resident.id,
        reason,
        now,
        actor=clerk,
        role=Role.COMMITTEE,
        action="publicity.object_paper",
        entered_by_id=clerk.id,
    )


def _add_objection(
    publicity: Publicity,
    resident_id: int,
    reason: str,
    now: datetime,
    *,
    actor: User,
    role: Role,
    action: str,
    user_id: int | None = None,
    entered_by_id: int | None = None,
) -> Objection:
    """The one-per-person objection, online (`user_id`) or from paper (`entered_by_id`),
    with its log row: while the period is open, with a reason, if the resident has none."""
    _require_open(publicity, now)
    text = clean_reason(reason)
    if _objection_of(publicity, resident_id) is not None:
        raise already_objected()
    objection = Objection(
        publicity_id=publicity.id,
        village_id=publicity.village_id,
        resident_id=resident_id,
        user_id=user_id,
        entered_by_id=entered_by_id,
        reason=text,
        created_at=now,
    )
    db.session.add(objection)
    after = {
        "publicity": publicity.id,
        "subject": f"{publicity.subject_type}:{publicity.subject_id}",
        "reason": text[:200],
    }
    if entered_by_id is not None:
        after["resident"] = resident_id
    record_action(actor, role, action, objection, village=publicity.village, after=after)
    return objection


def answer(actor: User, objection: Objection, text: str, now: datetime | None = None) -> Objection:
    """The committee's written answer, once, during the period or after it."""
    require_committee(actor, objection.village_id, PublicityError)
    locked = db.session.scalar(
        sa.select(Objection)
        .where(Objection.id == objection.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if locked is None:
        raise NotFound(_("找不到这条异议。"))
    if locked.answered_at is not None:
        raise PublicityError(_("这条异议已经答复过了，答复后不能再改。"), status=409)
    reply = _clean(
        text,
        empty=_("请写下答复。"),
        too_long=_("答复最多 %(max)d 个字。", max=ANSWER_MAX),
        limit=ANSWER_MAX,
        field="answer",
    )
    locked.answer = reply
    locked.answered_by_id = actor.id
    locked.answered_at = now or clock.now()
    record_action(
        actor,
        Role.COMMITTEE,
        "publicity.answer",
        locked,
        village=locked.publicity.village,
        after={"publicity": locked.publicity_id, "answer": reply[:200]},
    )
    return locked


def get_objection(village: Village, objection_id: int) -> Objection | None:
    objection = db.session.get(Objection, objection_id)
    if objection is None or objection.village_id != village.id:
        return None
    return objection


# --- what the pages show --------------------------------------------------------------


def _with_people(select: sa.Select) -> sa.Select:
    return select.options(
        joinedload(Objection.resident).options(load_only(Resident.id, Resident.name)),
        joinedload(Objection.publicity),
    )


def objections_for(publicity: Publicity) -> list[Objection]:
    """A period's objections, oldest first, with the objector's name: for the committee
    and supervisors only (the caller decides who sees this)."""
    return list(
        db.session.scalars(
            _with_people(sa.select(Objection))
            .where(Objection.publicity_id == publicity.id)
            .order_by(Objection.created_at, Objection.id)
        )
    )


@dataclass(frozen=True)
class ObjectionCount:
    total: int = 0
    unanswered: int = 0


def objection_counts(publicity_ids: Iterable[int]) -> dict[int, ObjectionCount]:
    """How many objections each period has, and how many wait for an answer: counts
    only, never who, for public pages. One statement; a period without any is absent
    (read it with `.get(id, ObjectionCount())`)."""
    wanted = sorted(set(publicity_ids))
    if not wanted:
        return {}
    rows = db.session.execute(
        sa.select(
            Objection.publicity_id,
            sa.func.count(Objection.id),
            sa.func.count(Objection.id).filter(Objection.answered_at.is_(None)),
        )
        .where(Objection.publicity_id.in_(wanted))
        .group_by(Objection.publicity_id)
    )
    return {pid: ObjectionCount(total, open_) for pid, total, open_ in rows}


def unanswered(village: Village) -> sa.Select:
    """The console's queue: the village's unanswered objections, oldest first."""
    return (
        _with_people(sa.select(Objection))
        .where(Objection.village_id == village.id, Objection.answered_at.is_(None))
        .order_by(Objection.created_at, Objection.id)
    )


def unanswered_count(village: Village) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(Objection.id)).where(
            Objection.village_id == village.id, Objection.answered_at.is_(None)
        )
    )


def may_close(publicity: Publicity, now: datetime | None = None) -> bool:
    """Whether the decision after 公示 may be taken: the period has ended and every
    objection to it has its written answer."""
    if phase(publicity, now) != PublicityPhase.ENDED:
        return False
    counts = objection_counts([publicity.id]).get(publicity.id, ObjectionCount())
    return counts.unanswered == 0


PHASE_LABELS = {
    PublicityPhase.UPCOMING: _l("公示未开始"),
    PublicityPhase.OPEN: _l("公示中"),
    PublicityPhase.ENDED: _l("公示已结束"),
}
