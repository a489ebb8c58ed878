"""The disclosure schedule 公开目录 / 公开时限: what a village must make public, and by when.

Each `DisclosureItem` says that notices of one category are owed once a period (month,
quarter, half-year or year, in Asia/Shanghai local dates), each period by its deadline:
its last day plus `grace_days`.

Which notice counts for which period of an item (the rule the console page states):
1. The committee's word first. A notice may be marked, while it is a draft, as making
   public given periods of given items (`DisclosureCoverage`): one notice can catch up
   several missed periods, or count for an item of another category. Once published it
   counts for exactly those periods of those items, and not by its date for them.
2. Otherwise by date: a published (or archived) notice of the item's category counts
   for the period its local publication date falls in; published within the grace days
   of the period before, while that one is still owed, it counts for that one instead
   (a quarter's report on 5 April is the first quarter's, on time). One notice counts
   for one period of an item this way, never two.
3. A period whose deadline has passed stays owed until a notice is marked for it: a
   later notice of the category counts for its own period, so the same notice counts
   for the same period of every item of its category, monthly or quarterly alike.

An item's status at a moment:
- `done` 已公开: nothing owed, the current period included;
- `due` 待公开: something owed whose deadline has not passed (the current period, or
  the previous one while still inside its grace days), with the nearest deadline;
- `overdue` 已逾期: a period whose deadline has passed is still owed; the oldest such
  period since the item was created is reported, with the days since its deadline.
Periods that ended before the item was created never count; the period it was created
in does.

The village's statuses cost two statements however many items, periods and marks there
are: the items, and the notices that count (of their categories since the oldest one
began, or marked for one of them), each with its marks.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
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
    DisclosureCoverage,
    DisclosureItem,
    Notice,
    NoticeCategory,
    NoticeState,
)
from portal.settings import registry as settings
from portal.villages.models import Village

SHANGHAI = clock.LOCAL_TZ
DEFAULT_GRACE_DAYS = 10
GRACE_DAYS_MAX = 60
settings.register(
    settings.number(
        "disclosure.grace_days",
        label=_l("公开事项的默认宽限天数"),
        hint=_l(
            "新的公开事项（和标准公开目录的各项）每期结束后还可以补发的天数；每个事项也可以另定。"
        ),
        section=_l("村务公开"),
        default=DEFAULT_GRACE_DAYS,
        minimum=0,
        maximum=GRACE_DAYS_MAX,
        unit=_l("天"),
        order=25,
    )
)

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
class Disclosure:
    """A published notice as the schedule counts it: its local publication date, and which
    notice it is (none for the pure rules, which need only the date)."""

    day: date
    notice_id: int | None = None
    title: str | None = None


@dataclass(frozen=True)
class ItemStatus:
    """Where one item stands. `period` is what the status is about: for `overdue` the
    oldest period past its deadline, for `due` the oldest period owed, for `done` the
    current one. `owed` counts the periods still owed; `missed` those past their deadline.
    `met` says which notice made each period public; `owed_periods` lists the rest."""

    item: DisclosureItem
    status: Status
    period: Period | None = None
    deadline: date | None = None
    days_overdue: int = 0
    owed: int = 0
    missed: int = 0
    next_deadline: date | None = None
    met: Mapping[Period, Disclosure] = field(default_factory=dict)
    owed_periods: tuple[Period, ...] = ()

    @property
    def met_by(self) -> Disclosure | None:
        """The notice that made the period this status is about public, if one did."""
        return self.met.get(self.period) if self.period is not None else None


def _as_disclosure(value: date | Disclosure) -> Disclosure:
    return value if isinstance(value, Disclosure) else Disclosure(value)


def _periods(item: DisclosureItem, today: date) -> list[Period]:
    """The item's periods from the one it was created in to the one holding `today`."""
    period, current = first_period(item), period_containing(item.cadence, today)
    found = []
    while period <= current:
        found.append(period)
        period = period.following()
    return found


def _period_by_date(
    item: DisclosureItem, day: date, met: Mapping[Period, Disclosure]
) -> Period | None:
    """The period a notice of the item's category published on `day` counts for, by its
    date (rule 2 above), given the periods already made public; None if it adds none."""
    own = period_containing(item.cadence, day)
    if own < first_period(item):
        return None
    previous = own.preceding()
    if (
        previous >= first_period(item)
        and previous not in met
        and day <= previous.deadline(item.grace_days)
    ):
        return previous
    return own if own not in met else None


def _met_periods(
    item: DisclosureItem,
    published: Iterable[date | Disclosure],
    today: date,
    covered: Iterable[tuple[date, date | Disclosure]] = (),
) -> dict[Period, Disclosure]:
    """Which notice made each of the item's periods public, up to `today`: the marked
    periods first (rule 1), then the notices of its category by date (rule 2)."""
    periods = set(_periods(item, today))
    months = MONTHS[DisclosureCadence(item.cadence)]
    met: dict[Period, Disclosure] = {}
    for start, value in covered:
        disclosure = _as_disclosure(value)
        period = Period(start, months)
        if period in periods and disclosure.day <= today:
            met.setdefault(period, disclosure)
    for disclosure in sorted(map(_as_disclosure, published), key=lambda d: d.day):
        if disclosure.day > today:
            continue
        period = _period_by_date(item, disclosure.day, met)
        if period is not None:
            met[period] = disclosure
    return met


def item_status(
    item: DisclosureItem,
    published: Sequence[date | Disclosure],
    today: date,
    covered: Iterable[tuple[date, date | Disclosure]] = (),
) -> ItemStatus:
    """The item's status on `today`, from the local dates its category was published on
    (notices marked for this item left out: they count only as marked) and the periods
    the committee marked notices for, as (first day of the period, notice). A pure
    function: the rules without the database."""
    if not item.active:
        return ItemStatus(item, Status.INACTIVE)
    met = _met_periods(item, published, today, covered)
    current = period_containing(item.cadence, today)
    owed = [p for p in _periods(item, today) if p not in met]
    grace = item.grace_days
    missed = [p for p in owed if p.deadline(grace) < today]
    shared = {"met": met, "owed_periods": tuple(owed), "owed": len(owed)}
    if missed:
        oldest = missed[0]
        return ItemStatus(
            item,
            Status.OVERDUE,
            period=oldest,
            deadline=oldest.deadline(grace),
            days_overdue=(today - oldest.deadline(grace)).days,
            missed=len(missed),
            **shared,
        )
    if owed:
        return ItemStatus(
            item, Status.DUE, period=owed[0], deadline=owed[0].deadline(grace), **shared
        )
    return ItemStatus(
        item,
        Status.DONE,
        period=current,
        next_deadline=current.following().deadline(grace),
        **shared,
    )


def period_if_published(status: ItemStatus, today: date) -> Period | None:
    """The period a notice of the item's category, published `today` and marked for
    nothing, would count for; None if it would add none (that period is public already)."""
    if status.status == Status.INACTIVE:
        return None
    return _period_by_date(status.item, today, status.met)


def village_items(village: Village) -> list[DisclosureItem]:
    """The schedule's items, active first, in the order they were added."""
    return list(
        db.session.scalars(
            sa.select(DisclosureItem)
            .where(DisclosureItem.village_id == village.id)
            .order_by(DisclosureItem.active.desc(), DisclosureItem.id)
        )
    )


@dataclass
class _Counted:
    """A notice that may count for the schedule, and the periods it is marked for."""

    disclosure: Disclosure
    category: NoticeCategory
    marks: dict[int, list[date]] = field(default_factory=dict)


def counted_notices(
    village_id: int, items: Iterable[DisclosureItem], now: datetime
) -> list[_Counted]:
    """The notices that may count for the active items, oldest first, published up to
    `now`: those of the items' categories since the oldest item's first period began,
    and those marked for one of the items, each with its marks. One statement."""
    active = [i for i in items if i.active]
    if not active:
        return []
    since = local_midnight(min(first_period(i).start for i in active))
    ids = [i.id for i in active]
    rows = db.session.execute(
        sa.select(
            Notice.id,
            Notice.title,
            Notice.category,
            Notice.published_at,
            DisclosureCoverage.item_id,
            DisclosureCoverage.period_start,
        )
        .outerjoin(
            DisclosureCoverage,
            sa.and_(DisclosureCoverage.notice_id == Notice.id, DisclosureCoverage.item_id.in_(ids)),
        )
        .where(
            Notice.village_id == village_id,
            Notice.state.in_([NoticeState.PUBLISHED, NoticeState.ARCHIVED]),
            Notice.published_at <= now,
            sa.or_(
                sa.and_(
                    Notice.category.in_(sorted({i.category for i in active})),
                    Notice.published_at >= since,
                ),
                DisclosureCoverage.id.is_not(None),
            ),
        )
        .order_by(Notice.published_at, Notice.id)
    )
    found: dict[int, _Counted] = {}
    for notice_id, title, category, published_at, item_id, period_start in rows:
        counted = found.get(notice_id)
        if counted is None:
            disclosure = Disclosure(local_date(published_at), notice_id, title)
            counted = found[notice_id] = _Counted(disclosure, NoticeCategory(category))
        if item_id is not None:
            counted.marks.setdefault(item_id, []).append(period_start)
    return list(found.values())


def status_from(item: DisclosureItem, counted: Sequence[_Counted], today: date) -> ItemStatus:
    """The item's status from the village's counted notices (`counted_notices`)."""
    published = [
        c.disclosure for c in counted if c.category == item.category and item.id not in c.marks
    ]
    covered = [(start, c.disclosure) for c in counted for start in c.marks.get(item.id, ())]
    return item_status(item, published, today, covered)


def statuses_of(
    village_id: int, items: Sequence[DisclosureItem], now: datetime | None = None
) -> list[ItemStatus]:
    now = now if now is not None else clock.now()
    today = local_date(now)
    counted = counted_notices(village_id, items, now)
    return [status_from(item, counted, today) for item in items]


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


# --- the committee's word: which periods a notice makes public ---------------------------

# The most periods of one item the notice form offers: the latest still owed.
COVER_CHOICES_MAX = 24


def cover_value(item_id: int, start: date) -> str:
    """How a period of an item is named in the notice form: "<item id>:<first day>"."""
    return f"{item_id}:{start.isoformat()}"


@dataclass(frozen=True)
class CoverChoice:
    value: str
    period: Period
    deadline: date
    overdue: bool


@dataclass(frozen=True)
class CoverGroup:
    """One item on the notice form: the periods a notice may be marked for (those still
    owed, and those the draft is marked for already), and the period a notice of the
    item's category published today would count for by its date."""

    status: ItemStatus
    choices: list[CoverChoice]
    by_date: Period | None


def cover_groups(
    statuses: Sequence[ItemStatus], today: date, marked: Iterable[tuple[int, date]] = ()
) -> list[CoverGroup]:
    chosen: dict[int, set[date]] = {}
    for item_id, start in marked:
        chosen.setdefault(item_id, set()).add(start)
    groups = []
    for status in statuses:
        item = status.item
        if status.status == Status.INACTIVE:
            continue
        months = MONTHS[DisclosureCadence(item.cadence)]
        periods = set(status.owed_periods[-COVER_CHOICES_MAX:])
        periods |= {Period(start, months) for start in chosen.get(item.id, ())}
        choices = [
            CoverChoice(
                cover_value(item.id, p.start),
                p,
                p.deadline(item.grace_days),
                p.deadline(item.grace_days) < today,
            )
            for p in sorted(periods)
        ]
        groups.append(CoverGroup(status, choices, period_if_published(status, today)))
    return groups


def clean_covers(
    items: Sequence[DisclosureItem], values: Iterable[str] | None, today: date
) -> list[tuple[DisclosureItem, Period]]:
    """The (item, period) pairs named in the form, each an active item of the village and
    one of its periods from the first up to today's; anything else is refused."""
    by_id = {i.id: i for i in items if i.active}
    found: list[tuple[DisclosureItem, Period]] = []
    refused = ScheduleError(
        _("勾选的期数不在本村的公开目录里，请重新勾选。"), field="covers", status=422
    )
    for value in values or ():
        try:
            item_id, start = str(value).split(":")
            item = by_id[int(item_id)]
            day = date.fromisoformat(start)
        except (ValueError, KeyError):
            raise refused from None
        period = period_containing(item.cadence, day)
        if period.start != day or not (
            first_period(item) <= period <= period_containing(item.cadence, today)
        ):
            raise refused
        if (item, period) not in found:
            found.append((item, period))
    return found


def marks_of(notice: Notice) -> list[tuple[int, date]]:
    """The (item id, first day of the period) pairs a notice is marked for."""
    if notice.id is None:
        return []
    return [
        (item_id, start)
        for item_id, start in db.session.execute(
            sa.select(DisclosureCoverage.item_id, DisclosureCoverage.period_start)
            .where(DisclosureCoverage.notice_id == notice.id)
            .order_by(DisclosureCoverage.item_id, DisclosureCoverage.period_start)
        )
    ]


def mark_notice(notice: Notice, pairs: Sequence[tuple[DisclosureItem, Period]]) -> list[str]:
    """Make `pairs` the periods the notice is marked for (its draft is being saved, in the
    caller's transaction and its action-log row); returns them as the form names them."""
    db.session.flush()
    db.session.execute(
        sa.delete(DisclosureCoverage).where(DisclosureCoverage.notice_id == notice.id)
    )
    for item, period in pairs:
        db.session.add(
            DisclosureCoverage(notice_id=notice.id, item_id=item.id, period_start=period.start)
        )
    return [cover_value(item.id, period.start) for item, period in pairs]


@dataclass(frozen=True)
class NoticeCount:
    """An item a notice counts for, the periods, and whether by the committee's mark."""

    item: DisclosureItem
    periods: list[Period]
    marked: bool


def counts_for(
    notice: Notice, statuses: Sequence[ItemStatus], today: date, marks: Sequence[tuple[int, date]]
) -> list[NoticeCount]:
    """What a notice counts for in the schedule: a draft, if published `today` (its marks,
    else by its category and date); a published notice, what it did count for."""
    marked = {item_id for item_id, _start in marks}
    found = []
    for status in statuses:
        item = status.item
        if status.status == Status.INACTIVE:
            continue
        months = MONTHS[DisclosureCadence(item.cadence)]
        if not notice.is_draft:
            periods = sorted(p for p, d in status.met.items() if d.notice_id == notice.id)
            if periods:
                found.append(NoticeCount(item, periods, item.id in marked))
        elif item.id in marked:
            periods = sorted(Period(start, months) for i, start in marks if i == item.id)
            found.append(NoticeCount(item, periods, True))
        elif item.category == notice.category:
            period = period_if_published(status, today)
            found.append(NoticeCount(item, [period] if period else [], False))
    return found


def standard_items(
    monthly_finance: bool = False, grace_days: int = DEFAULT_GRACE_DAYS
) -> list[dict]:
    """The standard schedule 标准公开目录, after the Organic Law of Villagers' Committees
    (《村民委员会组织法》 art. 30: 一般事项至少每季度公布一次；集体财务往来较多的，财务收支
    情况应当每月公布一次；涉及村民利益的重大事项应当随时公布):

    - 财务收支 finances: quarterly, or monthly for a village with many transactions;
    - 村务 general village affairs: quarterly;
    - 党务 Party affairs: quarterly, the same rhythm as the village's other affairs.

    Each with `grace_days` of grace: by default 10, the usual "by the 10th of the following
    month", or the village's own default grace (its settings). Major
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
    return [{**spec, "grace_days": grace_days} for spec in items]


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
    grace_days = settings.setting(village, "disclosure.grace_days")
    specs = standard_items(monthly_finance, grace_days)
    return [add_item(actor, village, now=now, **spec) for spec in specs]
