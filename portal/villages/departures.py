"""Departures from the roster 花名册: a resident who moved away 迁出 or died 去世.

The committee marks the day, and can clear a mark made by mistake. The resident's row
is never deleted and their account (if any) is untouched: a vote's roll counts those
on the roster at its opening (`portal.rules.services._roll_where`), so a mark dated on
or before a vote's opening day keeps the resident off that roll, and any roll can be
recomputed as of its own opening time.

Each action is one unit of work with its action-log row (DESIGN.md 2.6); a refusal
names the form field it belongs beside and writes nothing.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _

from portal import clock
from portal.actions import NotFound, Refusal, unit_of_work
from portal.audit.services import record_action
from portal.auth.models import Role
from portal.extensions import db
from portal.i18n import format_date
from portal.villages.models import DepartureReason, Resident, Village

ACTOR_ROLE = Role.COMMITTEE


def _locked_resident(village: Village, resident_id: int) -> Resident:
    """The resident, locked against a second clerk's mark at the same moment (PostgreSQL;
    on SQLite the unit of work's BEGIN IMMEDIATE already serialises writers)."""
    resident = db.session.scalar(
        sa.select(Resident)
        .where(Resident.id == resident_id, Resident.village_id == village.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if resident is None:
        raise NotFound()
    return resident


def _mark(resident: Resident) -> dict:
    """What the action log keeps of a mark: the day and the reason, never the name."""
    return {
        "left_on": resident.left_on.isoformat() if resident.left_on else None,
        "left_reason": resident.left_reason.value if resident.left_reason else None,
    }


def entered_on(resident: Resident) -> date:
    """The local day the resident was entered on the roster: a departure cannot be earlier."""
    return clock.local_date(resident.created_at)


def mark_departure(
    actor,
    village: Village,
    resident_id: int,
    reason: DepartureReason | str | None,
    left_on: date | None,
    today: date | None = None,
) -> Resident:
    """Mark a resident of `village` as moved away or died on `left_on` (a local date)."""
    try:
        reason = DepartureReason(reason)
    except ValueError:
        raise Refusal(_("请选择是迁出还是去世。"), status=422, field="reason") from None
    if left_on is None:
        raise Refusal(_("请填写日期。"), status=422, field="left_on")
    today = today or clock.today_local()
    if left_on > today:
        raise Refusal(
            _("日期不能晚于今天（%(today)s）。", today=format_date(today)),
            status=422,
            field="left_on",
        )
    with unit_of_work():
        resident = _locked_resident(village, resident_id)
        if resident.left_on is not None:
            raise Refusal(
                _(
                    "%(name)s已经登记过：%(mark)s。如果登记错了，请先撤销再重新登记。",
                    name=resident.name,
                    mark=describe_mark(resident.left_reason, resident.left_on),
                )
            )
        entered = entered_on(resident)
        if left_on < entered:
            raise Refusal(
                _(
                    "%(name)s是 %(entered)s 登记到花名册上的，日期不能早于这一天。",
                    name=resident.name,
                    entered=format_date(entered),
                ),
                status=422,
                field="left_on",
            )
        before = _mark(resident)
        resident.left_on = left_on
        resident.left_reason = reason
        record_action(
            actor,
            ACTOR_ROLE,
            "roster.resident_left",
            resident,
            village=village,
            before=before,
            after=_mark(resident),
        )
    return resident


def clear_departure(actor, village: Village, resident_id: int) -> Resident:
    """Clear a departure marked by mistake: the resident is on the roster again, as if
    the mark had never been made (a roll frozen meanwhile keeps what it froze)."""
    with unit_of_work():
        resident = _locked_resident(village, resident_id)
        if resident.left_on is None:
            raise Refusal(_("%(name)s没有登记迁出或去世，不用撤销。", name=resident.name))
        before = _mark(resident)
        resident.left_on = None
        resident.left_reason = None
        record_action(
            actor,
            ACTOR_ROLE,
            "roster.resident_returned",
            resident,
            village=village,
            before=before,
            after=_mark(resident),
        )
    return resident


def describe_mark(reason: DepartureReason | str, left_on: date) -> str:
    """ "已迁出 2026年11月3日" / "已去世 2026年11月3日", in the reader's language."""
    if DepartureReason(reason) == DepartureReason.DIED:
        return _("已去世 %(date)s", date=format_date(left_on))
    return _("已迁出 %(date)s", date=format_date(left_on))
