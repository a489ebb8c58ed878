"""Appeals 申诉 against board entries, and requests to take an entry down after putting
things right, up to the town (DESIGN.md 2.3).

A member of the subject household (on its roster; online as a verified villager, or
by a paper letter a committee clerk enters) appeals while the entry is on its board
(公示 or published, before its date), or, once it is published, asks for it to be taken
down because the household has put things right. One appeal or request at a time per
entry, and one appeal to the committee per entry: the committee decides it as a body in
writing, and a second appeal would only ask the same question again.

The committee upholds (the entry is withdrawn in the same unit of work) or dismisses,
always with a written reason. After a dismissal the household may ask the town 镇街 to
review it while the entry is still on its board or within `TOWN_REVIEW_DAYS` days of the
dismissal; an official of the village's own town upholds (the entry is withdrawn) or
confirms the dismissal, again in writing. Every step moves through `APPEAL`, so each one
locks, checks the state, stamps and writes its action-log row; each runs in the caller's
unit of work (`portal.actions.unit_of_work`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from portal import clock
from portal.audit.services import record_action
from portal.auth.access import active_grants, require_committee
from portal.auth.models import Role, User
from portal.boards import services
from portal.boards.models import (
    REASON_MAX,
    AppealKind,
    AppealState,
    Board,
    BoardAppeal,
    BoardEntry,
    EntryState,
)
from portal.extensions import db
from portal.inputs import required_text
from portal.transitions import Lifecycle, Transition
from portal.villages.models import Resident

# After the committee dismisses, the household may ask the town within this many days
# (or for as long as the entry is still on its board, if that is longer).
TOWN_REVIEW_DAYS = 30

OPEN = (AppealState.PENDING, AppealState.TOWN_REVIEW)
DECIDED_BY_COMMITTEE = (
    AppealState.UPHELD,
    AppealState.DISMISSED,
    AppealState.TOWN_REVIEW,
    AppealState.TOWN_UPHELD,
    AppealState.TOWN_CONFIRMED,
)

KIND_LABELS = {
    AppealKind.APPEAL: _l("申诉"),
    AppealKind.WITHDRAWAL: _l("已整改，申请撤下"),
}

STATE_LABELS = {
    AppealState.PENDING: _l("等待村委会处理"),
    AppealState.UPHELD: _l("村委会认为理由成立，已撤下"),
    AppealState.DISMISSED: _l("村委会驳回"),
    AppealState.TOWN_REVIEW: _l("已请镇街复核，等待镇街决定"),
    AppealState.TOWN_UPHELD: _l("镇街复核认为理由成立，已撤下"),
    AppealState.TOWN_CONFIRMED: _l("镇街复核维持村委会的决定"),
}


class AppealError(services.BoardError):
    """An appeal step the rules refuse."""


def _already_decided() -> str:
    return _("这件申诉已经处理过了，请刷新页面看结果。")


def _town_decided() -> str:
    return _("镇街已经复核过这件申诉了。")


APPEAL = Lifecycle(
    "board_appeal",
    BoardAppeal,
    transitions=[
        Transition(
            "uphold",
            (AppealState.PENDING,),
            AppealState.UPHELD,
            stamps=("decided_at",),
            refusals={state: _already_decided for state in DECIDED_BY_COMMITTEE},
        ),
        Transition(
            "dismiss",
            (AppealState.PENDING,),
            AppealState.DISMISSED,
            stamps=("decided_at",),
            refusals={state: _already_decided for state in DECIDED_BY_COMMITTEE},
        ),
        Transition(
            "ask_town",
            (AppealState.DISMISSED,),
            AppealState.TOWN_REVIEW,
            stamps=("town_requested_at",),
            refusals={
                AppealState.PENDING: lambda: _(
                    "村委会还没有作出决定。村委会驳回以后，才能请镇街复核。"
                ),
                AppealState.UPHELD: lambda: _("村委会已经认为理由成立，不需要复核。"),
                AppealState.TOWN_REVIEW: lambda: _("已经请镇街复核了，请等镇街的决定。"),
                AppealState.TOWN_UPHELD: _town_decided,
                AppealState.TOWN_CONFIRMED: _town_decided,
            },
        ),
        Transition(
            "town_uphold",
            (AppealState.TOWN_REVIEW,),
            AppealState.TOWN_UPHELD,
            stamps=("town_decided_at",),
            refusals={
                AppealState.TOWN_UPHELD: _town_decided,
                AppealState.TOWN_CONFIRMED: _town_decided,
            },
        ),
        Transition(
            "town_confirm",
            (AppealState.TOWN_REVIEW,),
            AppealState.TOWN_CONFIRMED,
            stamps=("town_decided_at",),
            refusals={
                AppealState.TOWN_UPHELD: _town_decided,
                AppealState.TOWN_CONFIRMED: _town_decided,
            },
        ),
    ],
    snapshot=lambda appeal: {"state": appeal.state.value, "kind": appeal.kind.value},
    error=AppealError,
    default_refusal=lambda: _("这件申诉现在的状态不能这样办理，请刷新页面后再看。"),
)


# --- who may appeal -------------------------------------------------------------------


def _is_committee(user, village_id: int) -> bool:
    return bool(active_grants(user, [Role.COMMITTEE], village_id=village_id))


def _kind(kind) -> AppealKind:
    try:
        return AppealKind(kind)
    except ValueError:
        raise AppealError(_("请选择申诉，还是已整改申请撤下。"), status=422, field="kind") from None


def clean_reason(text: str | None, field: str = "reason") -> str:
    return required_text(
        text,
        limit=REASON_MAX,
        empty=_("请写下理由。"),
        too_long=_("理由最多 %(n)d 个字。", n=REASON_MAX),
        field=field,
        error=AppealError,
    )


def kinds_open(entry: BoardEntry, now: datetime | None = None) -> list[AppealKind]:
    """What the household may ask about the entry now, by its phase: an appeal while it is
    on its board; a request to take it down once a black entry is published."""
    now = now or clock.now()
    if not services.is_listed(entry, now):
        return []
    kinds = [AppealKind.APPEAL]
    if entry.board == Board.BLACK and entry.state == EntryState.PUBLISHED:
        kinds.append(AppealKind.WITHDRAWAL)
    return kinds


def _open_appeal(entry: BoardEntry) -> BoardAppeal | None:
    return services.pending_appeal(entry)


def _committee_decided_appeal(entry: BoardEntry) -> bool:
    return (
        db.session.scalar(
            sa.select(BoardAppeal.id)
            .where(
                BoardAppeal.entry_id == entry.id,
                BoardAppeal.kind == AppealKind.APPEAL,
                BoardAppeal.state.in_(DECIDED_BY_COMMITTEE),
            )
            .limit(1)
        )
        is not None
    )


def submit_refusal(
    entry: BoardEntry, kind: AppealKind, now: datetime | None = None
) -> AppealError | None:
    """Why the household may not ask `kind` about the entry now; None if it may."""
    now = now or clock.now()
    if kind == AppealKind.WITHDRAWAL and entry.board != Board.BLACK:
        return AppealError(_("只有黑榜条目可以申请撤下。"), status=409, field="kind")
    if not services.is_listed(entry, now):
        if entry.state == EntryState.PUBLISHED or entry.state == EntryState.EXPIRED:
            return AppealError(_("这一条已经到期撤下，不能再申诉。"), status=409)
        if entry.state == EntryState.WITHDRAWN:
            return AppealError(_("这一条已经撤销了。"), status=409)
        return AppealError(_("这一条现在不在公示或公布期内，不能申诉。"), status=409)
    if kind == AppealKind.WITHDRAWAL and entry.state != EntryState.PUBLISHED:
        return AppealError(
            _("已整改申请撤下，要在正式公布以后提出；公示期间请提出申诉。"),
            status=409,
            field="kind",
        )
    if _open_appeal(entry) is not None:
        return AppealError(_("这一条已有申诉或申请正在办理，请等办理结果。"), status=409)
    if kind == AppealKind.APPEAL and _committee_decided_appeal(entry):
        return AppealError(
            _("村委会已经对这一条的申诉作出了决定。不服的，可以请镇街复核。"), status=409
        )
    return None


def _submit(
    entry: BoardEntry,
    resident: Resident,
    reason: str,
    kind: AppealKind,
    now: datetime,
    *,
    actor: User,
    role: Role,
    action: str,
    user_id: int | None = None,
    entered_by_id: int | None = None,
) -> BoardAppeal:
    text = clean_reason(reason)
    services.ENTRY.lock(entry)
    refusal = submit_refusal(entry, kind, now)
    if refusal is not None:
        raise refusal
    appeal = BoardAppeal(
        entry_id=entry.id,
        village_id=entry.village_id,
        town_id=entry.village.town_id,
        kind=kind,
        state=AppealState.PENDING,
        resident_id=resident.id,
        user_id=user_id,
        entered_by_id=entered_by_id,
        reason=text,
        created_at=now,
    )
    db.session.add(appeal)
    after = {"state": appeal.state.value, "kind": kind.value, "entry": entry.id}
    if entered_by_id is not None:
        after["resident"] = resident.id
    record_action(actor, role, action, appeal, village=entry.village, after=after)
    return appeal


def appeal(
    user: User,
    entry: BoardEntry,
    reason: str,
    kind: AppealKind | str = AppealKind.APPEAL,
    now: datetime | None = None,
) -> BoardAppeal:
    """A household member's appeal (or request to take the entry down), online."""
    now = now or clock.now()
    resident = services.household_member(user, entry)
    if resident is None:
        raise AppealError(_("只有被登记的这一户的家庭成员可以申诉。"), status=403)
    return _submit(
        entry,
        resident,
        reason,
        _kind(kind),
        now,
        actor=user,
        role=Role.VILLAGER,
        action="board_appeal.submit",
        user_id=user.id,
    )


def appeal_on_paper(
    clerk: User,
    entry: BoardEntry,
    resident_id: int | None,
    reason: str,
    kind: AppealKind | str = AppealKind.APPEAL,
    now: datetime | None = None,
) -> BoardAppeal:
    """A letter from a member of the household, entered by a committee clerk under the
    same rules as an online appeal."""
    now = now or clock.now()
    require_committee(clerk, entry.village_id, AppealError)
    resident = db.session.get(Resident, resident_id) if resident_id else None
    if resident is None or resident.household_id != entry.household_id or not resident.on_roster:
        raise AppealError(_("请选择这一户花名册上的家庭成员。"), status=422, field="resident_id")
    return _submit(
        entry,
        resident,
        reason,
        _kind(kind),
        now,
        actor=clerk,
        role=Role.COMMITTEE,
        action="board_appeal.submit_paper",
        entered_by_id=clerk.id,
    )


# --- the committee's decision ---------------------------------------------------------


def _require_state(name: str, appeal: BoardAppeal) -> None:
    transition = APPEAL.transitions[name]
    if appeal.state not in transition.sources:
        words = transition.refusals.get(appeal.state, APPEAL.default_refusal)
        raise AppealError(words(), status=409)


def _committee_decides(actor: User, appeal: BoardAppeal) -> None:
    require_committee(actor, appeal.village_id, AppealError)
    resident_id = getattr(actor, "resident_id", None)
    if resident_id is not None:
        own = db.session.get(Resident, resident_id)
        if own is not None and own.household_id == appeal.entry.household_id:
            raise AppealError(_("您是这一户的家庭成员，请回避，由村委会其他成员办理。"), status=403)


def _withdraw_entry(actor: User, entry: BoardEntry, reason: str, role: Role, now) -> None:
    if services.ENTRY.allows("withdraw", entry):
        services.withdraw(actor, entry, reason, role=role, now=now)


def uphold(
    actor: User, appeal: BoardAppeal, reason: str, now: datetime | None = None
) -> BoardAppeal:
    """The committee finds the appeal (or the request) well founded, in writing: the
    entry is withdrawn in the same unit of work."""
    now = now or clock.now()
    _committee_decides(actor, appeal)
    text = clean_reason(reason)
    entry = services.ENTRY.lock(appeal.entry)
    APPEAL.move(
        "uphold",
        appeal,
        actor=actor,
        role=Role.COMMITTEE,
        village=entry.village,
        now=now,
        changes={"decided_by_id": actor.id, "decision_reason": text},
    )
    _withdraw_entry(actor, entry, text, Role.COMMITTEE, now)
    return appeal


def dismiss(
    actor: User, appeal: BoardAppeal, reason: str, now: datetime | None = None
) -> BoardAppeal:
    """The committee refuses the appeal (or the request), with its written reason, which
    the household reads; it may then ask the town."""
    now = now or clock.now()
    _committee_decides(actor, appeal)
    text = clean_reason(reason)
    services.ENTRY.lock(appeal.entry)
    return APPEAL.move(
        "dismiss",
        appeal,
        actor=actor,
        role=Role.COMMITTEE,
        village=appeal.village,
        now=now,
        changes={"decided_by_id": actor.id, "decision_reason": text},
    )


# --- the town's review ----------------------------------------------------------------


def town_review_until(appeal: BoardAppeal) -> datetime | None:
    """The last moment the household may ask the town, counted from the dismissal (or
    later, for as long as the entry stays on its board)."""
    if appeal.decided_at is None:
        return None
    return appeal.decided_at + timedelta(days=TOWN_REVIEW_DAYS)


def town_refusal(appeal: BoardAppeal, now: datetime | None = None) -> AppealError | None:
    """Why the dismissed `appeal` may not go to the town now; None if it may."""
    now = now or clock.now()
    try:
        _require_state("ask_town", appeal)
    except AppealError as error:
        return error
    entry = appeal.entry
    if entry.state == EntryState.WITHDRAWN:
        return AppealError(_("这一条已经撤销了，不需要复核。"), status=409)
    until = town_review_until(appeal)
    if not services.is_listed(entry, now) and (until is None or now > until):
        return AppealError(
            _(
                "村委会驳回已超过 %(n)d 天，这一条也已不在榜上，不能再请镇街复核。",
                n=TOWN_REVIEW_DAYS,
            ),
            status=409,
        )
    other = _open_appeal(entry)
    if other is not None and other.id != appeal.id:
        return AppealError(_("这一条已有申诉或申请正在办理，请等办理结果。"), status=409)
    return None


def ask_town(
    user: User, appeal: BoardAppeal, reason: str, now: datetime | None = None
) -> BoardAppeal:
    """After a dismissal, the household asks the town to review it: a member online, or
    a committee clerk entering the household's letter."""
    now = now or clock.now()
    entry = appeal.entry
    if services.household_member(user, entry) is not None:
        role, action = Role.VILLAGER, "board_appeal.ask_town"
    elif _is_committee(user, appeal.village_id):
        role, action = Role.COMMITTEE, "board_appeal.ask_town_paper"
    else:
        raise AppealError(_("只有这一户的家庭成员可以请镇街复核。"), status=403)
    text = clean_reason(reason)
    services.ENTRY.lock(entry)
    APPEAL.lock(appeal)
    refusal = town_refusal(appeal, now)
    if refusal is not None:
        raise refusal
    return APPEAL.move(
        "ask_town",
        appeal,
        actor=user,
        role=role,
        village=appeal.village,
        now=now,
        action=action,
        changes={"town_requested_by_id": user.id, "town_request_reason": text},
    )


def town_decide(
    official: User,
    appeal: BoardAppeal,
    upheld: bool,
    reason: str,
    now: datetime | None = None,
) -> BoardAppeal:
    """An official of the village's own town reviews the dismissal, in writing: upheld,
    the entry is withdrawn (in the town's name); or the committee's decision confirmed."""
    now = now or clock.now()
    if not active_grants(official, [Role.TOWN_OFFICIAL], town_id=appeal.town_id):
        raise AppealError(_("只有本镇街的工作人员可以复核这件申诉。"), status=403)
    text = clean_reason(reason)
    entry = services.ENTRY.lock(appeal.entry)
    village = entry.village
    APPEAL.move(
        "town_uphold" if upheld else "town_confirm",
        appeal,
        actor=official,
        role=Role.TOWN_OFFICIAL,
        village=village,
        town=village.town,
        now=now,
        changes={"town_decided_by_id": official.id, "town_reason": text},
    )
    if upheld:
        _withdraw_entry(official, entry, text, Role.TOWN_OFFICIAL, now)
    return appeal


# --- queries --------------------------------------------------------------------------


def _with_context(query: sa.Select) -> sa.Select:
    return query.options(
        joinedload(BoardAppeal.entry).joinedload(BoardEntry.category),
        joinedload(BoardAppeal.entry).joinedload(BoardEntry.resident),
        joinedload(BoardAppeal.resident),
    )


def pending_for_village(village) -> sa.Select:
    """The appeals and requests waiting for the village's committee, oldest first."""
    return _with_context(
        sa.select(BoardAppeal)
        .where(BoardAppeal.village_id == village.id, BoardAppeal.state == AppealState.PENDING)
        .order_by(BoardAppeal.created_at, BoardAppeal.id)
    )


def pending_for_town(town) -> sa.Select:
    """The dismissals the town's villages' households sent up for review, oldest first."""
    return _with_context(
        sa.select(BoardAppeal)
        .where(BoardAppeal.town_id == town.id, BoardAppeal.state == AppealState.TOWN_REVIEW)
        .order_by(BoardAppeal.town_requested_at, BoardAppeal.id)
    ).options(joinedload(BoardAppeal.village))


def pending_count(village) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(BoardAppeal)
        .where(BoardAppeal.village_id == village.id, BoardAppeal.state == AppealState.PENDING)
    )


def town_pending_count(town) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(BoardAppeal)
        .where(BoardAppeal.town_id == town.id, BoardAppeal.state == AppealState.TOWN_REVIEW)
    )


def entry_appeals(entry: BoardEntry) -> list[BoardAppeal]:
    """Every appeal and request on the entry, oldest first."""
    return list(
        db.session.scalars(
            sa.select(BoardAppeal)
            .where(BoardAppeal.entry_id == entry.id)
            .options(joinedload(BoardAppeal.resident))
            .order_by(BoardAppeal.created_at, BoardAppeal.id)
        )
    )


def household_appeals(household_id: int) -> list[BoardAppeal]:
    """Every appeal and request about the household's entries, newest first."""
    return list(
        db.session.scalars(
            _with_context(
                sa.select(BoardAppeal)
                .join(BoardEntry, BoardEntry.id == BoardAppeal.entry_id)
                .where(BoardEntry.household_id == household_id)
                .order_by(BoardAppeal.created_at.desc(), BoardAppeal.id.desc())
            )
        )
    )


def get_appeal(village, appeal_id: int) -> BoardAppeal | None:
    appeal = db.session.get(BoardAppeal, appeal_id)
    if appeal is None or appeal.village_id != village.id:
        return None
    return appeal


def get_town_appeal(town, appeal_id: int) -> BoardAppeal | None:
    appeal = db.session.get(BoardAppeal, appeal_id)
    if appeal is None or appeal.town_id != town.id:
        return None
    return appeal


# --- the household's box on the entry page --------------------------------------------


def appeal_context(
    entry: BoardEntry,
    user,
    *,
    values: dict | None = None,
    errors: dict | None = None,
    message: str | None = None,
    done: str | None = None,
    town_values: dict | None = None,
    town_errors: dict | None = None,
    now: datetime | None = None,
) -> dict:
    """What `boards/_appeal_box.html` shows: for a member of the subject household, its
    appeals on the entry with their states and reasons, the form to appeal (or to ask for
    the entry to be taken down) when it may, and for a dismissal the form to ask the
    town; for anyone else, nothing (`appeal_box` false).

    `values`/`errors` are the new appeal's form as sent and its field errors; `town_values`
    and `town_errors` the same for the town forms, by appeal id."""
    now = now or clock.now()
    if services.household_member(user, entry) is None:
        return {"appeal_box": False}
    rows = entry_appeals(entry)
    candidates = kinds_open(entry, now)
    kinds = [kind for kind in candidates if submit_refusal(entry, kind, now) is None]
    refusal = None
    if not kinds:
        first = submit_refusal(entry, candidates[0] if candidates else AppealKind.APPEAL, now)
        refusal = first.message if first is not None else None
    town_open = {row.id: town_refusal(row, now) is None for row in rows}
    return {
        "appeal_box": True,
        "appeal_entry": entry,
        "appeal_rows": rows,
        "appeal_kinds": kinds,
        "appeal_kind_labels": KIND_LABELS,
        "appeal_state_labels": STATE_LABELS,
        "appeal_refusal": refusal,
        "appeal_values": dict(values or {}),
        "appeal_errors": dict(errors or {}),
        "appeal_message": message,
        "appeal_done": done,
        "appeal_town_open": town_open,
        "appeal_town_until": {row.id: town_review_until(row) for row in rows},
        "appeal_town_values": dict(town_values or {}),
        "appeal_town_errors": dict(town_errors or {}),
        "appeal_town_days": TOWN_REVIEW_DAYS,
    }
