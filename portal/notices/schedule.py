"""The disclosure schedule 公开目录 / 公开时限: what a village must make public, and by when.

Each `DisclosureItem` says that notices of one category are owed once a period (month,
quarter, half-year or year, in Asia/Shanghai local dates). A period is disclosed on time
by a notice of that category published (state published or archived) within the period
or within `grace_days` after its last day; the last day of grace is the deadline.

How notices pay periods: each notice pays one period only, the oldest one still owed
that began on or before the notice's date. So a report published on 5 April pays the
first quarter (inside its grace days), and the second quarter stays owed; one notice
never stands for two quarters. A notice published after a period's deadline still pays
it, late (逾期补公开): an item stops being overdue once the committee has caught up,
instead of staying overdue for ever after one miss.

An item's status at a moment:
- `done` 已公开: nothing owed, the current period included;
- `due` 待公开: something owed whose deadline has not passed (the current period, or
  the previous one while still inside its grace days), with the nearest deadline;
- `overdue` 已逾期: a period whose deadline has passed is still owed; the oldest such
  period since the item was created is reported, with the days since its deadline.
Periods that ended before the item was created never count; the period it was created
in does.

The village's statuses cost two statements however many items and periods there are:
the items, and the publication dates of their categories since the oldest one began.
"""

from __future__ import annotations

import enum
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from portal import clock
from portal.actions import Refusal
from portal.audit.services import record_action
from portal.auth.access import require_committee
from portal.auth.models import Role, User
from portal.extensions import db
from portal.notices.models import (
    TITLE_MAX,
    DisclosureCadence,
    DisclosureItem,
    Notice,
    NoticeCategory,
    NoticeState,
)
from portal.villages.models import Village

SHANGHAI = clock.LOCAL_TZ
DEFAULT_GRACE_DAYS = 10
GRACE_DAYS_MAX = 60

MONTHS = {
    DisclosureCadence.MONTHLY: 1,
    DisclosureCadence.QUARTERLY: 3,
    DisclosureCadence.HALF_YEARLY: 6,
    DisclosureCadence.YEARLY: 12,
}
CADENCE_LABELS = {
    DisclosureCadence.MONTHLY: _l("每月"),
    DisclosureCadence.QUARTERLY: _l("每季度"),
    DisclosureCadence.HALF_YEARLY: _l("每半年"),
    DisclosureCadence.YEARLY: _l("每年"),
}
# 村务 categories an item may name; 会议决定 are posted by a closed vote, not on a timetable.
SCHEDULABLE_CATEGORIES = [c for c in NoticeCategory if c != NoticeCategory.DECISION]
# 财务: the Organic Law of Villagers' Committees (art. 30) asks at least once a quarter.
SLOWEST_FINANCE_MONTHS = MONTHS[DisclosureCadence.QUARTERLY]


# --- periods ----------------------------------------------------------------------------


def local_date(moment: datetime) -> date:
    """The Asia/Shanghai calendar date of a moment (naive moments are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(SHANGHAI).date()


def local_midnight(day: date) -> datetime:
    """The moment (UTC) at which `day` begins in Asia/Shanghai."""
    return datetime.combine(day, time(), SHANGHAI).astimezone(UTC)


def _add_months(day: date, months: int) -> date:
    years, month = divmod(day.month - 1 + months, 12)
    return date(day.year + years, month + 1, 1)


@dataclass(frozen=True, order=True)
class Period:
    """A calendar month, quarter, half-year or year: its first day and its length."""

    start: date
    months: int

    @property
    def next_start(self) -> date:
        return _add_months(self.start, self.months)

    @property
    def end(self) -> date:
        """The period's last day."""
        return self.next_start - timedelta(days=1)

    def following(self) -> Period:
        return Period(self.next_start, self.months)

    def preceding(self) -> Period:
        return Period(_add_months(self.start, -self.months), self.months)

    def contains(self, day: date) -> bool:
        return self.start <= day < self.next_start

    def deadline(self, grace_days: int) -> date:
        """The last day a disclosure of this period is on time."""
        return self.end + timedelta(days=grace_days)

    @property
    def label(self) -> str:
        year, month = self.start.year, self.start.month
        if self.months == 1:
            return _("%(year)d年%(month)d月", year=year, month=month)
        if self.months == 3:
            return (
                _("%(year)d年第一季度", year=year),
                _("%(year)d年第二季度", year=year),
                _("%(year)d年第三季度", year=year),
                _("%(year)d年第四季度", year=year),
            )[(month - 1) // 3]
        if self.months == 6:
            return (
                _("%(year)d年上半年", year=year) if month == 1 else _("%(year)d年下半年", year=year)
            )
        return _("%(year)d年", year=year)


def period_containing(cadence: DisclosureCadence, day: date) -> Period:
    """The month, quarter (Q1 = January to March), half-year or year that holds `day`."""
    months = MONTHS[DisclosureCadence(cadence)]
    first_month = (day.month - 1) // months * months + 1
    return Period(date(day.year, first_month, 1), months)


def current_period(cadence: DisclosureCadence, now: datetime) -> Period:
    return period_containing(cadence, local_date(now))


def first_period(item: DisclosureItem) -> Period:
    """The period the item was created in: the first one it counts."""
    return period_containing(item.cadence, local_date(item.created_at))


# --- statuses ---------------------------------------------------------------------------


class Status(enum.StrEnum):
    DONE = "done"  # 已公开
    DUE = "due"  # 待公开
    OVERDUE = "overdue"  # 已逾期
    INACTIVE = "inactive"  # 已停用


@dataclass(frozen=True)
class ItemStatus:
    """Where one item stands. `period` is what the status is about: for `overdue` the
    oldest period past its deadline, for `due` the oldest period owed, for `done` the
    current one. `owed` counts the periods still owed; `missed` those past their deadline."""

    item: DisclosureItem
    status: Status
    period: Period | None = None
    deadline: date | None = None
    days_overdue: int = 0
    owed: int = 0
    missed: int = 0
    next_deadline: date | None = None


def item_status(item: DisclosureItem, published: Sequence[date], today: date) -> ItemStatus:
    """The item's status on `today`, from the local dates its category was published on
    (sorted, oldest first). A pure function: the rules without the database."""
    if not item.active:
        return ItemStatus(item, Status.INACTIVE)
    period = first_period(item)
    current = period_containing(item.cadence, today)
    owed: deque[Period] = deque()
    dates = iter(d for d in published if period.start <= d <= today)
    pending = next(dates, None)
    while period <= current:
        owed.append(period)
        # Each disclosure dated within this period pays the oldest period still owed:
        # the previous one while inside its grace days, or late, else this one.
        while pending is not None and pending < period.next_start:
            if owed:
                owed.popleft()
            pending = next(dates, None)
        period = period.following()
    grace = item.grace_days
    missed = [p for p in owed if p.deadline(grace) < today]
    if missed:
        oldest = missed[0]
        return ItemStatus(
            item,
            Status.OVERDUE,
            period=oldest,
            deadline=oldest.deadline(grace),
            days_overdue=(today - oldest.deadline(grace)).days,
            owed=len(owed),
            missed=len(missed),
        )
    if owed:
        return ItemStatus(
            item, Status.DUE, period=owed[0], deadline=owed[0].deadline(grace), owed=len(owed)
        )
    return ItemStatus(
        item, Status.DONE, period=current, next_deadline=current.following().deadline(grace)
    )


def village_items(village: Village) -> list[DisclosureItem]:
    """The schedule's items, active first, in the order they were added."""
    return list(
        db.session.scalars(
            sa.select(DisclosureItem)
            .where(DisclosureItem.village_id == village.id)
            .order_by(DisclosureItem.active.desc(), DisclosureItem.id)
        )
    )


def publication_dates(
    village_id: int, items: Iterable[DisclosureItem], now: datetime
) -> dict[NoticeCategory, list[date]]:
    """The local dates on which the items' categories were published, per category, from
    the start of the oldest item's first period up to `now`: one statement."""
    active = [i for i in items if i.active]
    if not active:
        return {}
    since = local_midnight(min(first_period(i).start for i in active))
    rows = db.session.execute(
        sa.select(Notice.category, Notice.published_at)
        .where(
            Notice.village_id == village_id,
            Notice.category.in_(sorted({i.category for i in active})),
            Notice.state.in_([NoticeState.PUBLISHED, NoticeState.ARCHIVED]),
            Notice.published_at >= since,
            Notice.published_at <= now,
        )
        .order_by(Notice.published_at)
    )
    found: dict[NoticeCategory, list[date]] = {}
    for category, published_at in rows:
        found.setdefault(NoticeCategory(category), []).append(local_date(published_at))
    return found


def statuses_of(
    village_id: int, items: Sequence[DisclosureItem], now: datetime | None = None
) -> list[ItemStatus]:
    now = now if now is not None else clock.now()
    today = local_date(now)
    dates = publication_dates(village_id, items, now)
    return [item_status(item, dates.get(item.category, []), today) for item in items]


def village_statuses(village: Village, now: datetime | None = None) -> list[ItemStatus]:
    """Every item of the village's schedule with its status: two statements in all."""
    return statuses_of(village.id, village_items(village), now)


def overdue_count(village: Village, now: datetime | None = None) -> int:
    """How many active items are overdue, for the console home."""
    return sum(s.status == Status.OVERDUE for s in village_statuses(village, now))


# --- the committee's actions ------------------------------------------------------------


class ScheduleError(Refusal):
    """A refused change; `field` names the form field the message belongs to, if any."""


def _require_committee(user: User, village_id: int) -> None:
    require_committee(user, village_id, ScheduleError)


def _clean_title(title: str | None) -> str:
    text = (title or "").strip()
    if not text:
        raise ScheduleError(_("请填写公开事项的名称。"), field="title", status=422)
    if len(text) > TITLE_MAX:
        raise ScheduleError(_("名称最多 %(max)d 个字。", max=TITLE_MAX), field="title", status=422)
    return text


def _clean_category(category) -> NoticeCategory:
    try:
        value = NoticeCategory(category)
    except ValueError:
        value = None
    if value not in SCHEDULABLE_CATEGORIES:
        raise ScheduleError(_("请选择公开的类别。"), field="category", status=422)
    return value


def _clean_cadence(cadence, category: NoticeCategory) -> DisclosureCadence:
    try:
        value = DisclosureCadence(cadence)
    except ValueError:
        raise ScheduleError(_("请选择多久公开一次。"), field="cadence", status=422) from None
    if category == NoticeCategory.FINANCE and MONTHS[value] > SLOWEST_FINANCE_MONTHS:
        raise ScheduleError(
            _("财务至少每季度公开一次，请选择“每季度”或“每月”。"), field="cadence", status=422
        )
    return value


def _clean_grace(grace_days) -> int:
    try:
        value = int(grace_days)
    except (TypeError, ValueError):
        value = -1
    if not 0 <= value <= GRACE_DAYS_MAX:
        raise ScheduleError(
            _("宽限天数应在 0 到 %(max)d 天之间。", max=GRACE_DAYS_MAX),
            field="grace_days",
            status=422,
        )
    return value


def _title_taken(village_id: int, title: str) -> bool:
    return (
        db.session.scalar(
            sa.select(DisclosureItem.id).where(
                DisclosureItem.village_id == village_id, DisclosureItem.title == title
            )
        )
        is not None
    )


def _snapshot(item: DisclosureItem) -> dict:
    return {
        "title": item.title,
        "category": item.category.value,
        "cadence": item.cadence.value,
        "grace_days": item.grace_days,
        "active": item.active,
    }


def add_item(
    actor: User,
    village: Village,
    *,
    title: str,
    category,
    cadence,
    grace_days=DEFAULT_GRACE_DAYS,
    now: datetime | None = None,
) -> DisclosureItem:
    """Add one line to the schedule. The caller commits (and began a write transaction)."""
    _require_committee(actor, village.id)
    clean_title = _clean_title(title)
    clean_category = _clean_category(category)
    item = DisclosureItem(
        village_id=village.id,
        title=clean_title,
        category=clean_category,
        cadence=_clean_cadence(cadence, clean_category),
        grace_days=_clean_grace(grace_days),
        active=True,
        created_at=now if now is not None else clock.now(),
    )
    if _title_taken(village.id, clean_title):
        raise ScheduleError(_("已经有同名的公开事项了，请换一个名称。"), field="title", status=422)
    try:
        # A lost race on (village, title) becomes the same refusal.
        with db.session.begin_nested():
            db.session.add(item)
    except IntegrityError:
        raise ScheduleError(
            _("已经有同名的公开事项了，请换一个名称。"), field="title", status=422
        ) from None
    record_action(
        actor, Role.COMMITTEE, "disclosure.add", item, village=village, after=_snapshot(item)
    )
    return item


def set_active(actor: User, village: Village, item: DisclosureItem, active: bool) -> DisclosureItem:
    """Stop or resume an item. A resumed item keeps its history: the periods it was
    stopped for are owed too, so stopping an item cannot wipe out an overdue one."""
    _require_committee(actor, item.village_id)
    db.session.execute(
        sa.select(DisclosureItem.id).where(DisclosureItem.id == item.id).with_for_update()
    )
    db.session.refresh(item)
    if item.active == active:
        return item
    item.active = active
    record_action(
        actor,
        Role.COMMITTEE,
        "disclosure.activate" if active else "disclosure.deactivate",
        item,
        village=village,
        before={"active": not active},
        after={"active": active},
    )
    return item


def standard_items(monthly_finance: bool = False) -> list[dict]:
    """The standard schedule 标准公开目录, after the Organic Law of Villagers' Committees
    (《村民委员会组织法》 art. 30: 一般事项至少每季度公布一次；集体财务往来较多的，财务收支
    情况应当每月公布一次；涉及村民利益的重大事项应当随时公布):

    - 财务收支 finances: quarterly, or monthly for a village with many transactions;
    - 村务 general village affairs: quarterly;
    - 党务 Party affairs: quarterly, the same rhythm as the village's other affairs.

    Each with 10 days' grace, the usual "by the 10th of the following month". Major
    matters 重大事项 are disclosed at once, as they arise: no timetable can owe them, so
    they are not on the schedule. 会议决定 are posted by the vote itself.
    """
    finance = DisclosureCadence.MONTHLY if monthly_finance else DisclosureCadence.QUARTERLY
    quarterly = DisclosureCadence.QUARTERLY
    items = [
        {"title": _("财务收支"), "category": NoticeCategory.FINANCE, "cadence": finance},
        {"title": _("村务（一般事项）"), "category": NoticeCategory.AFFAIRS, "cadence": quarterly},
        {"title": _("党务"), "category": NoticeCategory.PARTY, "cadence": quarterly},
    ]
    return [{**spec, "grace_days": DEFAULT_GRACE_DAYS} for spec in items]


def has_schedule(village: Village) -> bool:
    return (
        db.session.scalar(
            sa.select(DisclosureItem.id).where(DisclosureItem.village_id == village.id).limit(1)
        )
        is not None
    )


def adopt_standard_schedule(
    actor: User, village: Village, *, monthly_finance: bool = False, now: datetime | None = None
) -> list[DisclosureItem]:
    """Create the standard schedule for a village that has none yet."""
    _require_committee(actor, village.id)
    if has_schedule(village):
        raise ScheduleError(_("本村已经有公开目录了，可以逐项添加或停用。"))
    return [add_item(actor, village, now=now, **spec) for spec in standard_items(monthly_finance)]
