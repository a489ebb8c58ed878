"""The rules of points 积分 (DESIGN.md 2.5): the catalogue, recording, four-eyes approval,
公示, the append-only ledger and its balances, corrections, the year end.

Every change runs in the caller's unit of work (`portal.actions.unit_of_work`) with its
action-log row; an entry's state moves only through `ENTRY` (`portal.transitions`).

    pending ──approve (a committee member of another household than the entry's,
       │       never its recorder) → approved: 公示 (points.notice_days) ──→ final
       └──reject (with a reason) ←──── (an objection upheld) ─┘

"Final" is read from the clock: an approved entry whose 公示 has ended with every
objection answered counts from that moment on every page. It is written to the ledger
(`post_due`) by the first write that needs it (a redemption, a correction, the year
end for that household) or by `flask tick`; pages add what is due and not yet written
to the stored balance (`Standing`).

The ledger takes nothing below zero: a deduction larger than the balance takes the
balance to zero and the row says what it took (扣完为止), and what is still waiting
to take (approved deductions in 公示) is held back from what can be redeemed.

A household's points writes are ordered by its `PointsAccount` row's lock (SELECT ...
FOR UPDATE on PostgreSQL; SQLite's write transaction holds the whole database): a cap
is counted, a balance checked and a row written under it, so two at once cannot both
pass.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from portal import clock, database
from portal.actions import NotFound, Refusal
from portal.audit.services import record_action
from portal.auth.access import active_grants, grids_of, is_verified_villager, require_committee
from portal.auth.models import Role, RoleGrant, User
from portal.extensions import db
from portal.inputs import required_text
from portal.points.models import (
    ARTICLE_MAX,
    CATEGORY_MAX,
    CODE_MAX,
    DESCRIPTION_MAX,
    NOTE_MAX,
    POINTS_MAX,
    REASON_MAX,
    CapPeriod,
    Channel,
    EntryState,
    ItemCategory,
    LedgerEntry,
    LedgerKind,
    PointItem,
    PointsAccount,
    PointsBook,
    PointsEntry,
    Watch,
    YearEnd,
    YearEndMode,
)
from portal.publicity import services as publicity
from portal.publicity.models import Objection, Publicity
from portal.settings import registry as settings
from portal.transitions import Lifecycle, Transition
from portal.uploads import UploadPolicy
from portal.villages.models import Household, Resident, Village

SUBJECT = "points_entry"  # the 公示 subject type
SECTION = _l("积分")
# How far back an event may be recorded.
RECORD_WITHIN = timedelta(days=366)
# The roles that make a household a cadre's 干部户: its entries go on the supervisors' list.
CADRE_ROLES = (Role.COMMITTEE, Role.SUPERVISOR, Role.GRID_WORKER, Role.SHOPKEEPER)
BATCH_MAX = 100


class PointsError(Refusal):
    """A points action the rules refuse."""


NOTICE_DAYS = settings.register(
    settings.number(
        "points.notice_days",
        label=_l("积分公示几天"),
        section=SECTION,
        default=3,
        minimum=1,
        maximum=30,
        unit=_l("天"),
        order=500,
    )
)
YEAR_END_MODE = settings.register(
    settings.choice(
        "points.year_end",
        label=_l("年终时积分怎么办"),
        section=SECTION,
        default=YearEndMode.CARRY.value,
        choices=(
            (YearEndMode.CARRY.value, _l("结转到下一年")),
            (YearEndMode.RESET.value, _l("清零，下一年重新累计")),
        ),
        order=501,
    )
)

CATEGORY_LABELS = {
    ItemCategory.BASIC.value: _l("基础积分"),
    ItemCategory.DEMOCRATIC.value: _l("民主参与"),
    ItemCategory.CONTRIBUTION.value: _l("贡献积分"),
}

STATE_LABELS = {
    EntryState.PENDING: _l("待审核"),
    EntryState.APPROVED: _l("公示中"),
    EntryState.FINAL: _l("已生效"),
    EntryState.REJECTED: _l("未通过审核"),
}

CHANNEL_LABELS = {
    Channel.GRID: _l("网格员记录"),
    Channel.COMMITTEE: _l("村委会记录"),
    Channel.DECLARED: _l("村民申报"),
    Channel.PAPER: _l("纸质申报"),
}

KIND_LABELS = {
    LedgerKind.AWARD: _l("积分"),
    LedgerKind.REDEMPTION: _l("兑换"),
    LedgerKind.REVERSAL: _l("冲销"),
    LedgerKind.CLOSING: _l("年终结算"),
    LedgerKind.OPENING: _l("上年结转"),
}


def category_label(category: str) -> str:
    label = CATEGORY_LABELS.get(category)
    return str(label) if label is not None else category


def _snapshot(entry: PointsEntry) -> dict:
    return {
        "state": entry.state.value,
        "household_id": entry.household_id,
        "points": entry.points,
    }


ENTRY = Lifecycle(
    "points",
    PointsEntry,
    transitions=[
        Transition(
            "approve",
            (EntryState.PENDING,),
            EntryState.APPROVED,
            stamps=("decided_at",),
            refusals={
                EntryState.APPROVED: lambda: _("这条积分已经审核通过了。"),
                EntryState.FINAL: lambda: _("这条积分已经生效了。"),
                EntryState.REJECTED: lambda: _("这条积分已经被退回了。"),
            },
        ),
        Transition(
            "reject",
            (EntryState.PENDING, EntryState.APPROVED),
            EntryState.REJECTED,
            stamps=("decided_at",),
            refusals={
                EntryState.FINAL: lambda: _("这条积分已经生效，只能用冲销更正。"),
                EntryState.REJECTED: lambda: _("这条积分已经被退回了。"),
            },
        ),
        Transition("final", (EntryState.APPROVED,), EntryState.FINAL, stamps=("final_at",)),
    ],
    snapshot=_snapshot,
    error=PointsError,
)


# --- the catalogue 积分细则 -------------------------------------------------------------


def catalogue(village: Village, *, with_retired: bool = False) -> list[PointItem]:
    query = sa.select(PointItem).where(PointItem.village_id == village.id)
    if not with_retired:
        query = query.where(PointItem.retired_at.is_(None))
    return list(db.session.scalars(query.order_by(PointItem.position, PointItem.id)))


def get_item(village: Village, item_id: int | None) -> PointItem:
    item = db.session.get(PointItem, item_id) if item_id else None
    if item is None or item.village_id != village.id:
        raise NotFound(_("积分细则里没有这一项。"), field="item")
    return item


def _points_value(value, field_name: str = "points") -> int:
    """Whole points, not zero, within the limit: what a form typed is checked here too."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise PointsError(_("分值应为整数。"), status=422, field=field_name)
    if value == 0 or not -POINTS_MAX <= value <= POINTS_MAX:
        raise PointsError(
            _("分值应在 -%(max)d 到 %(max)d 之间，且不能为 0。", max=POINTS_MAX),
            status=422,
            field=field_name,
        )
    return value


def add_item(
    actor: User,
    village: Village,
    *,
    code: str,
    category: str,
    description: str,
    points: int,
    rule_article: str | None = None,
    cap: int | None = None,
    cap_period: CapPeriod | str | None = None,
) -> PointItem:
    require_committee(actor, village.id, PointsError)
    code = required_text(
        code,
        empty=_l("请填写编号。"),
        too_long=_l("编号太长了。"),
        limit=CODE_MAX,
        field="code",
        error=PointsError,
    )
    category = required_text(
        category,
        empty=_l("请选择或填写类别。"),
        too_long=_l("类别名称太长了。"),
        limit=CATEGORY_MAX,
        field="category",
        error=PointsError,
    )
    description = required_text(
        description,
        empty=_l("请写明这一项做什么得分或扣分。"),
        too_long=_l("说明太长了。"),
        limit=DESCRIPTION_MAX,
        field="description",
        error=PointsError,
    )
    points = _points_value(points)
    article = (rule_article or "").strip() or None
    if article is not None and len(article) > ARTICLE_MAX:
        raise PointsError(_("依据的条款写得太长了。"), status=422, field="rule_article")
    period = CapPeriod(cap_period) if cap_period else None
    if cap is not None:
        if isinstance(cap, bool) or not isinstance(cap, int) or not 1 <= cap <= POINTS_MAX * 12:
            raise PointsError(_("上限应为正整数。"), status=422, field="cap")
        if period is None:
            raise PointsError(_("有上限时请选择按月还是按年。"), status=422, field="cap_period")
        if cap < abs(points):
            raise PointsError(_("上限不能小于这一项的分值。"), status=422, field="cap")
    else:
        period = None
    taken = db.session.scalar(
        sa.select(PointItem.id).where(PointItem.village_id == village.id, PointItem.code == code)
    )
    if taken is not None:
        raise PointsError(_("编号 %(code)s 已经用过了。", code=code), status=409, field="code")
    position = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.max(PointItem.position), 0)).where(
            PointItem.village_id == village.id
        )
    )
    item = PointItem(
        village_id=village.id,
        code=code,
        category=category,
        description=description,
        points=points,
        rule_article=article,
        cap=cap,
        cap_period=period,
        position=position + 1,
    )
    db.session.add(item)
    record_action(
        actor,
        Role.COMMITTEE,
        "points.item_add",
        item,
        village=village,
        after={"code": code, "points": points, "cap": cap},
    )
    return item


def retire_item(actor: User, village: Village, item: PointItem) -> PointItem:
    """Take an item out of use; entries already made with it keep it (and its points)."""
    require_committee(actor, village.id, PointsError)
    if item.village_id != village.id:
        raise NotFound()
    if item.retired_at is not None:
        raise PointsError(_("这一项已经停用了。"), status=409)
    item.retired_at = clock.now()
    record_action(
        actor,
        Role.COMMITTEE,
        "points.item_retire",
        item,
        village=village,
        after={"code": item.code},
    )
    return item


# --- who records, who approves ----------------------------------------------------------


def recording_channel(user, household: Household) -> Channel | None:
    """How `user` may record for `household`, or None: a committee member for any
    household of the village, a grid worker for the households of their own grid, a
    verified villager (a declaration) for their own household."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    village_id = household.village_id
    if _holds(user, Role.COMMITTEE, village_id):
        return Channel.COMMITTEE
    if household.grid_id is not None and household.grid_id in grids_of(user, village_id):
        return Channel.GRID
    if _own_household(user) == household.id and is_verified_villager(user, village_id):
        return Channel.DECLARED
    return None


def _holds(user: User, role: Role, village_id: int) -> bool:
    return bool(active_grants(user, [role], village_id=village_id))


def _own_household(user: User) -> int | None:
    if user.resident_id is None:
        return None
    return db.session.scalar(
        sa.select(Resident.household_id).where(Resident.id == user.resident_id)
    )


def cadre_households(village_id: int, household_ids: Iterable[int] | None = None) -> set[int]:
    """The households (of `household_ids`, or all) where someone holds an office of the
    village: a committee member, supervisor, grid worker or shopkeeper."""
    query = (
        sa.select(Resident.household_id)
        .join(User, User.resident_id == Resident.id)
        .join(RoleGrant, RoleGrant.user_id == User.id)
        .where(
            RoleGrant.village_id == village_id,
            RoleGrant.role.in_(CADRE_ROLES),
            RoleGrant.revoked_at.is_(None),
            Resident.village_id == village_id,
        )
        .distinct()
    )
    if household_ids is not None:
        query = query.where(Resident.household_id.in_(list(household_ids)))
    return set(db.session.scalars(query))


def approval_refusal(user, entry: PointsEntry) -> str | None:
    """Why `user` may not approve (or reject) `entry`, in words for them; None if they may.

    A committee member of the village; never the entry's recorder; never someone of the
    household the entry is for (an entry for a committee member's own household goes
    to a member of another household)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return _("请先登录。")
    if not _holds(user, Role.COMMITTEE, entry.village_id):
        return _("只有本村村委会成员可以审核积分。")
    if entry.recorded_by_id == user.id:
        return _("这条积分是您记录的，须由另一位村委会成员审核。")
    household_id = _own_household(user)
    if household_id is None:
        return _("您的账号没有关联本村的户，无法核对回避，不能审核积分。")
    if household_id == entry.household_id:
        return _("这条积分是您本户的，须由其他户的村委会成员审核。")
    return None


# --- recording --------------------------------------------------------------------------


@dataclass(frozen=True)
class CapUse:
    used: int
    cap: int
    period: CapPeriod
    starts_on: date


def _period_start(item: PointItem, on: date) -> date:
    if item.cap_period == CapPeriod.MONTH:
        return on.replace(day=1)
    return on.replace(month=1, day=1)


def _period_end(item: PointItem, on: date) -> date:
    start = _period_start(item, on)
    if item.cap_period == CapPeriod.MONTH:
        return (start + timedelta(days=32)).replace(day=1)
    return start.replace(year=start.year + 1)


def cap_use(item: PointItem, household_id: int, on: date) -> CapUse | None:
    """What `household_id` has had of `item` in the cap period containing `on`: every
    entry not rejected counts (pending, in 公示, final and not reversed), so the cap holds
    at recording."""
    if item.cap is None:
        return None
    start, end = _period_start(item, on), _period_end(item, on)
    original = sa.orm.aliased(LedgerEntry)
    # An entry corrected by a reversal no longer counts against the cap.
    reversed_entries = (
        sa.select(original.entry_id)
        .join(LedgerEntry, LedgerEntry.reverses_id == original.id)
        .where(original.household_id == household_id, original.entry_id.is_not(None))
    )
    used = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(sa.func.abs(PointsEntry.points)), 0)).where(
            PointsEntry.household_id == household_id,
            PointsEntry.item_id == item.id,
            PointsEntry.occurred_on >= start,
            PointsEntry.occurred_on < end,
            PointsEntry.state != EntryState.REJECTED,
            PointsEntry.id.not_in(reversed_entries),
        )
    )
    return CapUse(int(used), item.cap, item.cap_period, start)


def _check_cap(item: PointItem, household_id: int, on: date, points: int) -> None:
    use = cap_use(item, household_id, on)
    if use is None or use.used + abs(points) <= use.cap:
        return
    if use.period == CapPeriod.MONTH:
        message = _(
            "“%(item)s”每户每月最多 %(cap)d 分，这一户本月已有 %(used)d 分，不能再记。",
            item=item.description,
            cap=use.cap,
            used=use.used,
        )
    else:
        message = _(
            "“%(item)s”每户每年最多 %(cap)d 分，这一户今年已有 %(used)d 分，不能再记。",
            item=item.description,
            cap=use.cap,
            used=use.used,
        )
    raise PointsError(message, status=409, field="item")


def record(
    actor: User,
    village: Village,
    household: Household,
    item: PointItem,
    occurred_on: date,
    *,
    note: str | None = None,
    declared_by: Resident | None = None,
    photo=None,
    now: datetime | None = None,
) -> PointsEntry:
    """Record one event for `household`: pending until approved.

    `declared_by`: a paper declaration entered by a committee clerk, the resident whose
    form it was (of that household). `photo`: a `portal.uploads.Photo` already stored in
    this unit of work (a villager's declaration may carry one)."""
    now = now or clock.now()
    if household.village_id != village.id:
        raise NotFound(_("本村没有这一户。"), field="household")
    channel = recording_channel(actor, household)
    if channel is None:
        raise PointsError(_recording_refusal(actor, household), status=403, field="household")
    if declared_by is not None:
        if channel != Channel.COMMITTEE:
            raise PointsError(_("纸质申报由村委会录入。"), status=403)
        if declared_by.household_id != household.id or not declared_by.on_roster:
            raise PointsError(_("申报人应是这一户在册的村民。"), status=422, field="declared_by")
        channel = Channel.PAPER
    if item.village_id != village.id:
        raise NotFound(_("积分细则里没有这一项。"), field="item")
    if item.retired_at is not None:
        raise PointsError(_("这一项已经停用，不能再记。"), status=409, field="item")
    today = clock.local_date(now)
    if occurred_on > today:
        raise PointsError(_("日期不能晚于今天。"), status=422, field="occurred_on")
    if occurred_on < today - RECORD_WITHIN:
        raise PointsError(_("只能记一年以内的事。"), status=422, field="occurred_on")
    note = (note or "").strip() or None
    if note is not None and len(note) > NOTE_MAX:
        raise PointsError(_("说明最多 %(max)d 个字。", max=NOTE_MAX), status=422, field="note")
    lock_account(village.id, household.id)
    _check_cap(item, household.id, occurred_on, item.points)
    watch = None
    if household.id in cadre_households(village.id, [household.id]):
        watch = Watch.CADRE
    elif channel in (Channel.COMMITTEE, Channel.GRID) and _own_household(actor) == household.id:
        watch = Watch.RECORDER
    entry = PointsEntry(
        village_id=village.id,
        household_id=household.id,
        item_id=item.id,
        points=item.points,
        occurred_on=occurred_on,
        note=note,
        channel=channel,
        watch=watch,
        recorded_by_id=actor.id,
        declared_by_resident_id=getattr(declared_by, "id", None),
        created_at=now,
    )
    if photo is not None:
        entry.photo_stored_name = photo.stored_name
        entry.photo_content_type = photo.content_type
        entry.photo_width = photo.width
        entry.photo_height = photo.height
    db.session.add(entry)
    record_action(
        actor,
        _channel_role(channel),
        "points.record",
        entry,
        village=village,
        after={
            "household_id": household.id,
            "item": item.code,
            "points": item.points,
            "channel": channel.value,
            "watch": watch.value if watch else None,
        },
    )
    return entry


def _channel_role(channel: Channel) -> Role:
    return {
        Channel.GRID: Role.GRID_WORKER,
        Channel.DECLARED: Role.VILLAGER,
    }.get(channel, Role.COMMITTEE)


def _recording_refusal(user, household: Household) -> str:
    if user is None or not getattr(user, "is_authenticated", False):
        return _("请先登录。")
    if grids_of(user, household.village_id):
        return _("网格员只能为本网格的农户记录积分。")
    return _(
        "您不能为这一户记录积分：村委会成员可以为本村各户记录，网格员为本网格，村民为本户申报。"
    )


# --- approval and 公示 ------------------------------------------------------------------


def approve(actor: User, village: Village, entry: PointsEntry, now: datetime | None = None):
    """Approve one pending entry and open its 公示."""
    now = now or clock.now()
    if entry.village_id != village.id:
        raise NotFound()
    ENTRY.lock(entry)
    refusal = approval_refusal(actor, entry)
    if refusal is not None:
        raise PointsError(refusal, status=403)
    ENTRY.move(
        "approve",
        entry,
        actor=actor,
        role=Role.COMMITTEE,
        village=village,
        now=now,
        changes={"decided_by_id": actor.id, "decider_household_id": _own_household(actor)},
    )
    publicity.open_period(
        actor, village, SUBJECT, entry.id, days=settings.setting(village, NOTICE_DAYS.key), now=now
    )
    return entry


def approve_many(
    actor: User, village: Village, entry_ids: Sequence[int], now: datetime | None = None
) -> list[PointsEntry]:
    """Approve a selection as one action: every one of them, or (if any may not be
    approved by this person, or is no longer pending) none, with the reason."""
    ids = sorted({int(i) for i in entry_ids})
    if not ids:
        raise PointsError(_("请先勾选要审核通过的积分。"), status=422, field="entries")
    if len(ids) > BATCH_MAX:
        raise PointsError(
            _("一次最多审核 %(max)d 条。", max=BATCH_MAX), status=422, field="entries"
        )
    entries = list(
        db.session.scalars(
            sa.select(PointsEntry)
            .where(PointsEntry.id.in_(ids), PointsEntry.village_id == village.id)
            .order_by(PointsEntry.id)
        )
    )
    if len(entries) != len(ids):
        raise NotFound(_("勾选的积分有的不在本村。"), field="entries")
    done = []
    for entry in entries:
        try:
            done.append(approve(actor, village, entry, now=now))
        except PointsError as error:
            raise PointsError(
                _(
                    "第 %(id)d 条：%(reason)s 这次勾选的都没有审核，请去掉这一条再试。",
                    id=entry.id,
                    reason=error.message,
                ),
                status=error.status,
                field="entries",
            ) from error
    return done


def clean_reason(text: str | None) -> str:
    return required_text(
        text,
        empty=_l("请写明退回的理由，记录人和这一户会看到。"),
        too_long=_l("理由写得太长了。"),
        limit=REASON_MAX,
        field="reason",
        error=PointsError,
    )


def reject(actor: User, village: Village, entry: PointsEntry, reason: str, now=None):
    """Reject a pending entry, or one in 公示 (an objection upheld), with its reason."""
    now = now or clock.now()
    if entry.village_id != village.id:
        raise NotFound()
    reason = clean_reason(reason)
    ENTRY.lock(entry)
    refusal = approval_refusal(actor, entry)
    if refusal is not None:
        raise PointsError(refusal, status=403)
    if entry.state == EntryState.APPROVED and is_due(entry, now):
        raise PointsError(_("这条积分的公示已经结束，已经生效，只能用冲销更正。"), status=409)
    ENTRY.move(
        "reject",
        entry,
        actor=actor,
        role=Role.COMMITTEE,
        village=village,
        now=now,
        changes={
            "decided_by_id": actor.id,
            "decider_household_id": _own_household(actor),
            "reason": reason,
        },
    )
    return entry


def _due_condition(now: datetime):
    """The SQL of "approved, its latest 公示 ended, no objection to it unanswered"."""
    latest = (
        sa.select(Publicity.id)
        .where(Publicity.subject_type == SUBJECT, Publicity.subject_id == PointsEntry.id)
        .order_by(Publicity.starts_at.desc(), Publicity.id.desc())
        .limit(1)
        .correlate(PointsEntry)
        .scalar_subquery()
    )
    ended = sa.select(Publicity.id).where(Publicity.id == latest, Publicity.ends_at <= now).exists()
    unanswered = (
        sa.select(Objection.id)
        .where(Objection.publicity_id == latest, Objection.answered_at.is_(None))
        .exists()
    )
    return sa.and_(PointsEntry.state == EntryState.APPROVED, ended, ~unanswered)


def is_due(entry: PointsEntry, now: datetime | None = None) -> bool:
    """Whether an approved entry counts now (its 公示 over, every objection answered)."""
    if entry.state != EntryState.APPROVED:
        return False
    period = publicity.period_for(SUBJECT, entry.id)
    return period is not None and publicity.may_close(period, now)


def post_due(
    now: datetime | None = None,
    *,
    village_id: int | None = None,
    household_ids: Iterable[int] | None = None,
) -> int:
    """Write to the ledger every entry that time has made final (of the village, or of
    `household_ids`), in the caller's unit of work; how many it wrote. Idempotent: an
    entry is moved from approved to final under its lock, and one award per entry is a
    unique constraint."""
    now = now or clock.now()
    query = sa.select(PointsEntry).where(_due_condition(now))
    if village_id is not None:
        query = query.where(PointsEntry.village_id == village_id)
    if household_ids is not None:
        query = query.where(PointsEntry.household_id.in_(list(household_ids)))
    written = 0
    for entry in db.session.scalars(query.order_by(PointsEntry.household_id, PointsEntry.id)).all():
        account = lock_account(entry.village_id, entry.household_id)
        ENTRY.lock(entry)
        if entry.state != EntryState.APPROVED:
            continue
        taken = max(entry.points, -account.balance)
        _write(
            account,
            LedgerKind.AWARD,
            taken,
            now=now,
            actor=None,
            entry_id=entry.id,
            note=None if taken == entry.points else _("余额不足，扣完为止"),
        )
        ENTRY.move(
            "final",
            entry,
            actor=None,
            role="system",
            village=entry.village,
            now=now,
            after={"ledger_points": taken},
        )
        written += 1
    return written


def post_all_due(now: datetime | None = None) -> int:
    """`flask tick`: write every due entry, one household per unit of work."""
    from portal.actions import unit_of_work

    now = now or clock.now()
    households = db.session.scalars(
        sa.select(PointsEntry.household_id).where(_due_condition(now)).distinct()
    ).all()
    db.session.rollback()
    written = 0
    for household_id in households:
        with unit_of_work():
            written += post_due(now, household_ids=[household_id])
    return written


# --- the ledger -------------------------------------------------------------------------


def lock_account(village_id: int, household_id: int) -> PointsAccount:
    """The household's account, made if it has none, locked for this unit of work."""
    table = PointsAccount.__table__
    values = {
        "household_id": household_id,
        "village_id": village_id,
        "balance": 0,
        "updated_at": clock.now(),
    }
    db.session.execute(database.insert(table).values(**values).on_conflict_do_nothing())
    return db.session.scalars(
        sa.select(PointsAccount)
        .where(PointsAccount.household_id == household_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def open_year(village_id: int, now: datetime | None = None, *, lock: bool = False) -> int:
    """The village's open book year (made, as this year, with its first ledger row)."""
    query = sa.select(PointsBook).where(PointsBook.village_id == village_id)
    if lock:
        query = query.with_for_update()
    book = db.session.scalars(query.execution_options(populate_existing=True)).first()
    if book is None:
        year = clock.local_date(now or clock.now()).year
        db.session.execute(
            database.insert(PointsBook.__table__)
            .values(village_id=village_id, open_year=year)
            .on_conflict_do_nothing()
        )
        return open_year(village_id, now, lock=lock)
    return book.open_year


def _write(
    account: PointsAccount,
    kind: LedgerKind,
    points: int,
    *,
    now: datetime,
    actor: User | None,
    year: int | None = None,
    **columns,
) -> LedgerEntry:
    """Add one ledger row and move the (locked) account's balance with it."""
    balance = account.balance + points
    if balance < 0:
        raise PointsError(_("这一户的积分不够。"), status=409)
    row = LedgerEntry(
        village_id=account.village_id,
        household_id=account.household_id,
        kind=kind,
        points=points,
        balance_after=balance,
        year=year if year is not None else open_year(account.village_id, now),
        actor_id=getattr(actor, "id", None),
        created_at=now,
        **columns,
    )
    db.session.add(row)
    account.balance = balance
    account.updated_at = now
    return row


def get_ledger_row(village: Village, row_id: int) -> LedgerEntry:
    row = db.session.get(LedgerEntry, row_id)
    if row is None or row.village_id != village.id:
        raise NotFound()
    return row


def reverse(actor: User, village: Village, row: LedgerEntry, reason: str, now=None):
    """Correct a ledger row (an award or a redemption) by its opposite, which references
    it; the row itself stays as it is. A reversed redemption puts the goods back."""
    from portal.points.models import Reward

    now = now or clock.now()
    require_committee(actor, village.id, PointsError)
    if row.village_id != village.id:
        raise NotFound()
    reason = required_text(
        reason,
        empty=_l("请写明冲销的理由。"),
        too_long=_l("理由写得太长了。"),
        limit=NOTE_MAX,
        field="reason",
        error=PointsError,
    )
    if row.kind not in (LedgerKind.AWARD, LedgerKind.REDEMPTION):
        raise PointsError(_("只有积分和兑换可以冲销。"), status=409)
    reward = None
    if row.kind == LedgerKind.REDEMPTION and row.reward_id is not None:
        # The reward's lock before the account's, the order `shop.redeem` takes them in:
        # the other way round, a reversal and a redemption at once wait for each other.
        reward = db.session.scalars(
            sa.select(Reward)
            .where(Reward.id == row.reward_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one()
    account = lock_account(village.id, row.household_id)
    already = db.session.scalar(sa.select(LedgerEntry.id).where(LedgerEntry.reverses_id == row.id))
    if already is not None:
        raise PointsError(_("这一笔已经冲销过了。"), status=409)
    if row.year != open_year(village.id, now):
        raise PointsError(_("往年的账已经结算，不能再冲销。"), status=409)
    if account.balance - row.points < 0:
        raise PointsError(
            _(
                "这一户现在只有 %(balance)d 分，不够冲销这一笔 %(points)d 分。",
                balance=account.balance,
                points=row.points,
            ),
            status=409,
        )
    if reward is not None:
        reward.stock = reward.stock + (row.quantity or 0)
        reward.updated_at = now
    reversal = _write(
        account,
        LedgerKind.REVERSAL,
        -row.points,
        now=now,
        actor=actor,
        reverses_id=row.id,
        note=reason,
    )
    record_action(
        actor,
        Role.COMMITTEE,
        "points.reverse",
        reversal,
        village=village,
        after={"reverses": row.id, "points": -row.points, "reason": reason},
    )
    return reversal


# --- what a household stands at ---------------------------------------------------------


@dataclass
class Standing:
    """A household's points as pages show them: `balance` is final (what the ledger says,
    and what time has made final and is not yet written); the rest is apart."""

    balance: int = 0
    in_notice: int = 0  # approved, in 公示 (or waiting for an objection's answer)
    pending: int = 0  # recorded, waiting for approval
    held: int = 0  # deductions in 公示, held back from what can be redeemed

    @property
    def available(self) -> int:
        return max(self.balance - self.held, 0)


def standings(household_ids: Iterable[int], now: datetime | None = None) -> dict[int, Standing]:
    """The standing of each household, in two statements."""
    now = now or clock.now()
    ids = sorted(set(household_ids))
    found = {household_id: Standing() for household_id in ids}
    if not ids:
        return found
    for household_id, balance in db.session.execute(
        sa.select(PointsAccount.household_id, PointsAccount.balance).where(
            PointsAccount.household_id.in_(ids)
        )
    ):
        found[household_id].balance = balance
    due = _due_condition(now)
    rows = db.session.execute(
        sa.select(PointsEntry.household_id, PointsEntry.state, PointsEntry.points, due.label("due"))
        .where(
            PointsEntry.household_id.in_(ids),
            PointsEntry.state.in_([EntryState.PENDING, EntryState.APPROVED]),
        )
        .order_by(PointsEntry.household_id, PointsEntry.id)
    )
    for household_id, state, points, is_due_now in rows:
        standing = found[household_id]
        if state == EntryState.PENDING:
            standing.pending += points
        elif is_due_now:
            standing.balance = max(standing.balance + points, 0)
        else:
            standing.in_notice += points
            if points < 0:
                standing.held += -points
    return found


def standing(household: Household, now: datetime | None = None) -> Standing:
    return standings([household.id], now)[household.id]


# --- checking the books -----------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    household_id: int
    stored: int | None
    computed: int
    problem: str = "balance"


def verify() -> list[Difference]:
    """Every household whose stored balance is not the sum of its ledger rows, or whose
    rows do not add up row by row (each row's balance after is the one before plus its
    points); an empty list when the books are right."""
    sums = dict(
        db.session.execute(
            sa.select(LedgerEntry.household_id, sa.func.sum(LedgerEntry.points)).group_by(
                LedgerEntry.household_id
            )
        ).all()
    )
    stored = dict(
        db.session.execute(sa.select(PointsAccount.household_id, PointsAccount.balance)).all()
    )
    differences = []
    for household_id in sorted(set(sums) | set(stored)):
        computed = int(sums.get(household_id) or 0)
        if stored.get(household_id, 0) != computed:
            differences.append(Difference(household_id, stored.get(household_id), computed))
    running: dict[int, int] = {}
    broken: set[int] = set()
    for household_id, points, after in db.session.execute(
        sa.select(LedgerEntry.household_id, LedgerEntry.points, LedgerEntry.balance_after)
        .order_by(LedgerEntry.household_id, LedgerEntry.id)
        .execution_options(yield_per=10_000)
    ):
        running[household_id] = running.get(household_id, 0) + points
        if running[household_id] != after and household_id not in broken:
            broken.add(household_id)
            differences.append(Difference(household_id, after, running[household_id], "chain"))
    return differences


# --- the year end -----------------------------------------------------------------------


class YearEndPhase(enum.StrEnum):
    NOT_YET = "not_yet"
    DUE = "due"


def year_end_opens(year: int) -> date:
    """The year end of `year` may be done from 1 December of that year."""
    return date(year, 12, 1)


def close_year(
    actor: User, village: Village, year: int, mode: YearEndMode | str | None = None, now=None
) -> YearEnd:
    """Close the book year `year`: every household's balance taken out by a closing row,
    and (carry-over) put into the new year by an opening row; reset leaves it at zero.
    Nothing is deleted; one year end per village and year (a unique constraint)."""
    now = now or clock.now()
    require_committee(actor, village.id, PointsError)
    mode = YearEndMode(mode or settings.setting(village, YEAR_END_MODE.key))
    current = open_year(village.id, now, lock=True)
    if year != current:
        raise PointsError(
            _("现在要结算的是 %(year)d 年的账。", year=current), status=409, field="year"
        )
    if clock.local_date(now) < year_end_opens(year):
        raise PointsError(
            _("%(year)d 年的年终结算要到 12 月 1 日以后才能办理。", year=year), status=409
        )
    post_due(now, village_id=village.id)
    accounts = list(
        db.session.scalars(
            sa.select(PointsAccount)
            .where(PointsAccount.village_id == village.id, PointsAccount.balance > 0)
            .order_by(PointsAccount.household_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    )
    total = 0
    for account in accounts:
        balance = account.balance
        total += balance
        _write(account, LedgerKind.CLOSING, -balance, now=now, actor=actor, year=year)
        if mode == YearEndMode.CARRY:
            _write(account, LedgerKind.OPENING, balance, now=now, actor=actor, year=year + 1)
    db.session.execute(
        sa.update(PointsBook).where(PointsBook.village_id == village.id).values(open_year=year + 1)
    )
    closed = YearEnd(
        village_id=village.id,
        year=year,
        mode=mode,
        households=len(accounts),
        points_closed=total,
        done_by_id=actor.id,
        created_at=now,
    )
    db.session.add(closed)
    record_action(
        actor,
        Role.COMMITTEE,
        "points.year_end",
        closed,
        village=village,
        after={"year": year, "mode": mode.value, "households": len(accounts), "points": total},
    )
    return closed


# --- lists for pages --------------------------------------------------------------------


def pending_entries(village: Village) -> sa.Select:
    """The approval queue: pending entries, oldest first."""
    return (
        sa.select(PointsEntry)
        .options(joinedload(PointsEntry.item), joinedload(PointsEntry.household))
        .where(PointsEntry.village_id == village.id, PointsEntry.state == EntryState.PENDING)
        .order_by(PointsEntry.id)
    )


def watched_entries(village: Village) -> sa.Select:
    """The supervisors' list: entries for cadres' households or the recorder's own."""
    return (
        sa.select(PointsEntry)
        .options(joinedload(PointsEntry.item), joinedload(PointsEntry.household))
        .where(PointsEntry.village_id == village.id, PointsEntry.watch.is_not(None))
        .order_by(PointsEntry.id.desc())
    )


def in_notice(village: Village, now: datetime | None = None) -> sa.Select:
    """Approved entries not yet final (in 公示, or waiting for an objection's answer),
    newest first, for the public page."""
    now = now or clock.now()
    return (
        sa.select(PointsEntry)
        .options(joinedload(PointsEntry.item), joinedload(PointsEntry.household))
        .where(
            PointsEntry.village_id == village.id,
            PointsEntry.state == EntryState.APPROVED,
            ~_due_condition(now),
        )
        .order_by(PointsEntry.decided_at.desc(), PointsEntry.id.desc())
    )


def heads(household_ids: Iterable[int]) -> dict[int, Resident]:
    """Each household's head 户主: the first of its residents on the roster (the roster
    lists the head first)."""
    ids = sorted(set(household_ids))
    if not ids:
        return {}
    first = (
        sa.select(sa.func.min(Resident.id))
        .where(Resident.household_id.in_(ids), Resident.left_on.is_(None))
        .group_by(Resident.household_id)
    )
    return {
        resident.household_id: resident
        for resident in db.session.scalars(sa.select(Resident).where(Resident.id.in_(first)))
    }


def due_by_household(village_id, now) -> sa.Subquery:
    """(household_id, points) of the village's entries final by the clock and not yet in
    the ledger, summed per household. Only approved entries are looked at (the index on
    village and state finds them), so its cost follows the entries in 公示, not the years
    of entries a household has; `village_id` and `now` may be bound parameters."""
    return (
        sa.select(PointsEntry.household_id, sa.func.sum(PointsEntry.points).label("points"))
        .where(
            PointsEntry.village_id == village_id,
            PointsEntry.state == EntryState.APPROVED,
            _due_condition(now),
        )
        .group_by(PointsEntry.household_id)
        .subquery("due")
    )


def final_balance(stored, due: sa.Subquery) -> sa.ColumnElement[int]:
    """A household's balance as it stands by the clock: the ledger's, with what is due,
    never below zero (扣完为止)."""
    total = sa.func.coalesce(stored, 0) + sa.func.coalesce(due.c.points, 0)
    return sa.case((total < 0, 0), else_=total)


def leaderboard(village: Village, now: datetime | None = None) -> sa.Select:
    """Households by final balance, highest first (then door number), with the balance."""
    now = now or clock.now()
    due = due_by_household(village.id, now)
    balance = final_balance(PointsAccount.balance, due).label("balance")
    return (
        sa.select(Household, balance)
        .outerjoin(PointsAccount, PointsAccount.household_id == Household.id)
        .outerjoin(due, due.c.household_id == Household.id)
        .where(Household.village_id == village.id)
        .order_by(balance.desc(), Household.door_number, Household.id)
    )


def household_entries(household: Household) -> sa.Select:
    return (
        sa.select(PointsEntry)
        .options(joinedload(PointsEntry.item))
        .where(PointsEntry.household_id == household.id)
        .order_by(PointsEntry.id.desc())
    )


def ledger_rows(household: Household, year: int) -> list[LedgerEntry]:
    return list(
        db.session.scalars(
            sa.select(LedgerEntry)
            .options(joinedload(LedgerEntry.entry).joinedload(PointsEntry.item))
            .options(joinedload(LedgerEntry.reward))
            .where(LedgerEntry.household_id == household.id, LedgerEntry.year == year)
            .order_by(LedgerEntry.id)
        ).unique()
    )


@dataclass
class MonthPoint:
    month: int
    balance: int


@dataclass
class Statement:
    household: Household
    year: int
    standing: Standing
    rows: list[LedgerEntry]
    open_entries: list[PointsEntry]
    months: list[MonthPoint] = field(default_factory=list)
    reversed_ids: set[int] = field(default_factory=set)
    # Entries final by the clock and not yet written to the ledger (`flask tick` or the
    # household's next write does it): shown after the ledger's rows, counted the same.
    due: list[DueRow] = field(default_factory=list)


@dataclass(frozen=True)
class DueRow:
    entry: PointsEntry
    points: int  # what it takes or adds: a deduction takes the balance no lower than zero
    balance_after: int


def statement(
    household: Household, year: int | None = None, now=None, current: int | None = None
) -> Statement:
    """A household's statement for a book year: its ledger rows, the entries final by the
    clock and not yet written, its entries not yet final, and the balance at the end of
    each month so far (for the chart and its table), all agreeing with its standing."""
    now = now or clock.now()
    if current is None:
        current = book_year(household.village_id, now)
    year = year or current
    rows = ledger_rows(household, year)
    stored = (
        db.session.scalar(
            sa.select(PointsAccount.balance).where(PointsAccount.household_id == household.id)
        )
        or 0
    )
    found = db.session.execute(
        household_entries(household)
        .add_columns(_due_condition(now).label("due"))
        .where(PointsEntry.state.in_([EntryState.PENDING, EntryState.APPROVED]))
    ).all()
    shown = Standing(balance=stored)
    open_entries, due = [], []
    running = stored
    for entry, is_due_now in sorted(found, key=lambda pair: pair[0].id):
        if entry.state == EntryState.PENDING:
            shown.pending += entry.points
        elif is_due_now:
            taken = max(entry.points, -running)
            running += taken
            due.append(DueRow(entry, taken, running))
            continue
        else:
            shown.in_notice += entry.points
            if entry.points < 0:
                shown.held += -entry.points
        open_entries.append(entry)
    shown.balance = running
    open_entries.sort(key=lambda entry: entry.id, reverse=True)
    reversed_ids = set(
        db.session.scalars(
            sa.select(LedgerEntry.reverses_id).where(
                LedgerEntry.household_id == household.id, LedgerEntry.reverses_id.is_not(None)
            )
        )
    )
    months = []
    today = clock.local_date(now)
    last_month = 12 if today.year > year else today.month if today.year == year else 0
    balance = 0
    by_row = iter(rows)
    pending_row = next(by_row, None)
    for month in range(1, last_month + 1):
        while pending_row is not None and _row_month(pending_row, year) <= month:
            balance = pending_row.balance_after
            pending_row = next(by_row, None)
        months.append(MonthPoint(month, balance))
    if year != current:
        due = []
    elif due and months:
        months[-1] = MonthPoint(months[-1].month, running)
    return Statement(
        household=household,
        year=year,
        standing=shown,
        rows=rows,
        open_entries=open_entries,
        months=months,
        reversed_ids=reversed_ids,
        due=due,
    )


def _row_month(row: LedgerEntry, year: int) -> int:
    on = clock.local_date(row.created_at)
    if on.year < year:
        return 1
    if on.year > year:
        return 12
    return on.month


def get_entry(village: Village, entry_id: int) -> PointsEntry:
    entry = db.session.get(PointsEntry, entry_id)
    if entry is None or entry.village_id != village.id:
        raise NotFound()
    return entry


def get_household(village: Village, household_id: int | None) -> Household:
    household = db.session.get(Household, household_id) if household_id else None
    if household is None or household.village_id != village.id:
        raise NotFound(_("本村没有这一户。"), field="household")
    return household


# A declaration's photo: checked and re-encoded by `portal.uploads`, kept outside static/.
ENTRY_PHOTOS = UploadPolicy(field="photo", folder="photos/points")


# --- for the recording form and the approval queue (portal/points/console.py) ----------

RECORDABLE_MAX = 30


def recordable_households(
    village: Village, grid_ids: Iterable[int] | None, q: str = "", limit: int = RECORDABLE_MAX
) -> list[Household]:
    """Households `village`'s recorder may pick: all of the village (`grid_ids` None, a
    committee member) or those of `grid_ids` (a grid worker's grids), whose door number
    or the name of someone on their roster contains `q` (every one without `q`), by door
    number, at most `limit`. One statement."""
    from portal.paging import contains_pattern

    query = sa.select(Household).where(Household.village_id == village.id)
    if grid_ids is not None:
        query = query.where(Household.grid_id.in_(sorted(grid_ids)))
    if q:
        pattern = contains_pattern(q)
        by_name = sa.select(Resident.household_id).where(
            Resident.village_id == village.id,
            Resident.left_on.is_(None),
            Resident.name.like(pattern, escape="\\"),
        )
        query = query.where(
            sa.or_(Household.door_number.like(pattern, escape="\\"), Household.id.in_(by_name))
        )
    return list(
        db.session.scalars(query.order_by(Household.door_number, Household.id).limit(limit))
    )


def roster_of(household_ids: Iterable[int]) -> dict[int, list[Resident]]:
    """The residents on the roster of each household, head 户主 first: one statement."""
    ids = sorted(set(household_ids))
    found: dict[int, list[Resident]] = {household_id: [] for household_id in ids}
    if not ids:
        return found
    for resident in db.session.scalars(
        sa.select(Resident)
        .where(Resident.household_id.in_(ids), Resident.left_on.is_(None))
        .order_by(Resident.household_id, Resident.id)
    ):
        found[resident.household_id].append(resident)
    return found


def approval_refusals(user, entries: Sequence[PointsEntry]) -> dict[int, str | None]:
    """`approval_refusal` for each of `entries` (of one village), in two statements
    however many there are: the queue's rows. The same rules, in the same words."""
    if not entries:
        return {}
    if user is None or not getattr(user, "is_authenticated", False):
        return {entry.id: _("请先登录。") for entry in entries}
    village_id = entries[0].village_id
    member = _holds(user, Role.COMMITTEE, village_id)
    household_id = _own_household(user) if member else None
    refusals: dict[int, str | None] = {}
    for entry in entries:
        if not member or entry.village_id != village_id:
            refusals[entry.id] = _("只有本村村委会成员可以审核积分。")
        elif entry.recorded_by_id == user.id:
            refusals[entry.id] = _("这条积分是您记录的，须由另一位村委会成员审核。")
        elif household_id is None:
            refusals[entry.id] = _("您的账号没有关联本村的户，无法核对回避，不能审核积分。")
        elif household_id == entry.household_id:
            refusals[entry.id] = _("这条积分是您本户的，须由其他户的村委会成员审核。")
        else:
            refusals[entry.id] = None
    return refusals


_CONSOLE_FIGURES = sa.select(
    sa.func.count(PointsEntry.id),
    sa.func.count(PointsEntry.id).filter(PointsEntry.state == EntryState.PENDING),
    sa.func.count(PointsEntry.id).filter(PointsEntry.watch.is_not(None)),
).where(PointsEntry.village_id == sa.bindparam("village_id", type_=sa.Integer))


def console_figures(village: Village) -> tuple[int, int, int]:
    """(entries ever, pending, on the supervisors' list) of the village: one statement."""
    made, pending, watched = db.session.execute(_CONSOLE_FIGURES, {"village_id": village.id}).one()
    return int(made), int(pending), int(watched)


def book_year(village_id: int, now: datetime | None = None) -> int:
    """The village's open book year as a page reads it: like `open_year`, but a read
    (a village without a book yet is in this year's, and none is made)."""
    year = db.session.scalar(
        sa.select(PointsBook.open_year).where(PointsBook.village_id == village_id)
    )
    return year if year is not None else clock.local_date(now or clock.now()).year


def statement_years(household: Household, current: int) -> list[int]:
    """The book years a household's statement may show, newest first: `current` and
    every year it has ledger rows in."""
    years = set(
        db.session.scalars(
            sa.select(LedgerEntry.year).where(LedgerEntry.household_id == household.id).distinct()
        )
    )
    years.add(current)
    return sorted(years, reverse=True)


# --- the books: what the committee's ledger, year-end and export pages read -----------


@dataclass
class LedgerPage:
    """One page of the village's ledger, newest first: (row, household) pairs, whether
    there is an older page, which rows have been reversed, and each household's head."""

    rows: list[tuple[LedgerEntry, Household]]
    older: int | None
    reversed_ids: set[int]
    heads: dict[int, Resident]


def ledger_page(
    village: Village,
    *,
    before: int | None = None,
    household_id: int | None = None,
    per_page: int = 50,
) -> LedgerPage:
    """Keyset paging (`id < before`, never OFFSET): the cost of a page does not grow with
    the ledger; three statements, however many rows the village holds."""
    query = (
        sa.select(LedgerEntry, Household)
        .join(Household, Household.id == LedgerEntry.household_id)
        .options(
            joinedload(LedgerEntry.entry).joinedload(PointsEntry.item),
            joinedload(LedgerEntry.reward),
            joinedload(LedgerEntry.actor),
        )
        .where(LedgerEntry.village_id == village.id)
    )
    if household_id is not None:
        query = query.where(LedgerEntry.household_id == household_id)
    if before is not None:
        query = query.where(LedgerEntry.id < before)
    found = list(db.session.execute(query.order_by(LedgerEntry.id.desc()).limit(per_page + 1)))
    rows = [(row, household) for row, household in found[:per_page]]
    older = rows[-1][0].id if len(found) > per_page else None
    ids = [row.id for row, _household in rows]
    reversed_ids = (
        set(
            db.session.scalars(
                sa.select(LedgerEntry.reverses_id).where(LedgerEntry.reverses_id.in_(ids))
            )
        )
        if ids
        else set()
    )
    return LedgerPage(
        rows=rows,
        older=older,
        reversed_ids=reversed_ids,
        heads=heads(household.id for _row, household in rows),
    )


def reversible(row: LedgerEntry, year: int, reversed_ids: set[int]) -> bool:
    """Whether the ledger offers to correct `row`: an award or a redemption of the open
    book year, not reversed yet (`reverse` checks it all again under the lock)."""
    return (
        row.kind in (LedgerKind.AWARD, LedgerKind.REDEMPTION)
        and row.year == year
        and row.id not in reversed_ids
    )


@dataclass(frozen=True)
class YearEndPreview:
    households: int
    points: int


def year_end_preview(village: Village, now: datetime | None = None) -> YearEndPreview:
    """How many households and points the year end would close now: each household's
    final balance (the ledger's and what time has made final), in one statement."""
    balances = leaderboard(village, now).subquery()
    households, points = db.session.execute(
        sa.select(
            sa.func.count().filter(balances.c.balance > 0),
            sa.func.coalesce(sa.func.sum(balances.c.balance), 0),
        )
    ).one()
    return YearEndPreview(int(households), int(points))


def year_ends(village: Village) -> list[tuple[YearEnd, User]]:
    """The village's past year ends, newest first, with who did each."""
    return list(
        db.session.execute(
            sa.select(YearEnd, User)
            .join(User, User.id == YearEnd.done_by_id)
            .where(YearEnd.village_id == village.id)
            .order_by(YearEnd.year.desc())
        )
    )


def local_day_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """The UTC moments from the start of `first` to the end of `last`, local dates
    (Asia/Shanghai): the half-open range [start, end)."""
    start = datetime.combine(first, datetime.min.time(), tzinfo=clock.LOCAL_TZ)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=clock.LOCAL_TZ)
    return start, end


def awards_between(
    village: Village, first: date, last: date
) -> list[tuple[LedgerEntry, Household]]:
    """The village's final entries written to the ledger between two local dates (both
    included), oldest first, with their entry, item and household: one statement."""
    start, end = local_day_bounds(first, last)
    return list(
        db.session.execute(
            sa.select(LedgerEntry, Household)
            .join(Household, Household.id == LedgerEntry.household_id)
            .options(joinedload(LedgerEntry.entry).joinedload(PointsEntry.item))
            .where(
                LedgerEntry.village_id == village.id,
                LedgerEntry.kind == LedgerKind.AWARD,
                LedgerEntry.created_at >= start,
                LedgerEntry.created_at < end,
            )
            .order_by(LedgerEntry.id)
        )
    )


def final_by_time(now) -> sa.ColumnElement[bool]:
    """The SQL of "approved, its 公示 over with every objection answered" (what
    `standings` and `leaderboard` count as final), for a page's own statement; `now` may
    be a bound parameter, so a statement built once serves every request."""
    return _due_condition(now)
