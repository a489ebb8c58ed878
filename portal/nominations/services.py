"""The rules of good-neighbour nominations 好人推荐 (DESIGN.md 2.4).

Every change runs in the caller's unit of work (`portal.actions.unit_of_work`) with its
action-log row; a nomination's state moves only through `NOMINATION`
(`portal.transitions`).

    submitted ──(enough endorsements: "under review", read from the count)──┐
        │ withdraw (the nominator)        accept (committee) → 公示 ──→ commend | reject
        └──────────────── reject (committee, with a reason the nominator sees)

Nominating (online by a verified villager, or entered by a clerk from paper with whose
it is): a resident of the village on the roster, or the nominator's own household; a
deed within the village's limit of years; at most N open nominations per nominator (the
nominator's roster row is locked while counting, so two at once cannot both pass); a
commended nominee not again in the same category within a year.

Endorsing 联名 (online, or a clerk from a paper sheet): one per resident per nomination,
held by the unique constraint when two arrive at once; never the nominator; while the
nomination is open. The count on the row moves in the same transaction as the row.
"""

from __future__ import annotations

import enum
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from portal import clock
from portal.actions import NotFound, Refusal
from portal.audit.services import record_action
from portal.auth.access import (
    active_grants,
    require_committee,
    villager_refusal,
)
from portal.auth.models import Role, User
from portal.extensions import db
from portal.inputs import required_text
from portal.nominations.models import (
    CATEGORY_NAME_MAX,
    NOTE_MAX,
    REASON_MAX,
    STORY_MAX,
    Endorsement,
    Nomination,
    NominationCategory,
    NominationState,
    TownDecision,
)
from portal.privacy import mask_name
from portal.publicity import services as publicity
from portal.publicity.models import Publicity
from portal.settings import registry as settings
from portal.transitions import Lifecycle, Transition
from portal.uploads import UploadPolicy
from portal.villages.models import Household, Resident, Village

SUBJECT = "nomination"  # the 公示 subject type
SECTION = _l("好人推荐")
OPEN_STATES = (NominationState.SUBMITTED, NominationState.NOTICE)
AGAIN_AFTER = timedelta(days=365)


class NominationError(Refusal):
    """A nomination action the rules refuse."""


NOTICE_DAYS = settings.register(
    settings.number(
        "nominations.notice_days",
        label=_l("好人推荐公示几天"),
        section=SECTION,
        default=7,
        minimum=1,
        maximum=30,
        unit=_l("天"),
        order=400,
    )
)
MIN_ENDORSEMENTS = settings.register(
    settings.number(
        "nominations.min_endorsements",
        label=_l("至少几位村民联名才能评议"),
        section=SECTION,
        default=3,
        minimum=0,
        maximum=50,
        unit=_l("人"),
        order=401,
    )
)
OPEN_PER_VILLAGER = settings.register(
    settings.number(
        "nominations.open_per_villager",
        label=_l("每人同时最多有几条未办结的推荐"),
        section=SECTION,
        default=3,
        minimum=1,
        maximum=20,
        unit=_l("条"),
        order=402,
    )
)
DEED_YEARS = settings.register(
    settings.number(
        "nominations.deed_years",
        label=_l("推荐的事迹最早可以是几年前的"),
        section=SECTION,
        default=3,
        minimum=1,
        maximum=10,
        unit=_l("年"),
        order=403,
    )
)


# --- the lifecycle --------------------------------------------------------------------

NOMINATION = Lifecycle(
    "nomination",
    Nomination,
    transitions=[
        Transition(
            "accept",
            (NominationState.SUBMITTED,),
            NominationState.NOTICE,
            stamps=("notice_at", "updated_at"),
            refusals={NominationState.NOTICE: lambda: _("这条推荐已经在公示了。")},
        ),
        Transition(
            "reject",
            (NominationState.SUBMITTED, NominationState.NOTICE),
            NominationState.REJECTED,
            stamps=("decided_at", "updated_at"),
            refusals={NominationState.REJECTED: lambda: _("这条推荐已经不予评选了。")},
        ),
        Transition(
            "commend",
            (NominationState.NOTICE,),
            NominationState.COMMENDED,
            stamps=("commended_at", "decided_at", "updated_at"),
            refusals={NominationState.COMMENDED: lambda: _("这条推荐已经评为好人了。")},
        ),
        Transition(
            "withdraw",
            (NominationState.SUBMITTED,),
            NominationState.WITHDRAWN,
            stamps=("withdrawn_at", "updated_at"),
            refusals={NominationState.NOTICE: lambda: _("已经进入公示，不能再撤回。")},
        ),
    ],
    error=NominationError,
)


class Shown(enum.StrEnum):
    """A nomination as a page shows it at a moment (read from the count and the clock)."""

    COLLECTING = "collecting"  # waiting for enough endorsements
    REVIEW = "review"  # enough endorsements: waits for the committee
    NOTICE = "notice"
    NOTICE_ENDED = "notice_ended"  # 公示 over: waits for the committee's decision
    COMMENDED = "commended"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


SHOWN_LABELS = {
    Shown.COLLECTING: _l("征集联名中"),
    Shown.REVIEW: _l("待村委会评议"),
    Shown.NOTICE: _l("公示中"),
    Shown.NOTICE_ENDED: _l("公示期满，待村委会决定"),
    Shown.COMMENDED: _l("已评为好人"),
    Shown.REJECTED: _l("未评选"),
    Shown.WITHDRAWN: _l("已撤回"),
}


def minimum(village: Village | int) -> int:
    return settings.setting(village, MIN_ENDORSEMENTS.key)


def shown_state(
    nomination: Nomination, period: Publicity | None = None, now: datetime | None = None
) -> Shown:
    state = nomination.state
    if state == NominationState.SUBMITTED:
        enough = nomination.endorsement_count >= minimum(nomination.village_id)
        return Shown.REVIEW if enough else Shown.COLLECTING
    if state == NominationState.NOTICE:
        if period is not None and publicity.phase(period, now) == publicity.PublicityPhase.ENDED:
            return Shown.NOTICE_ENDED
        return Shown.NOTICE
    return Shown(state.value)


# --- categories -----------------------------------------------------------------------

# The five official categories of the 好人 selections, seeded for every village. They
# are the village's data, in its language, not words of the portal.
OFFICIAL_CATEGORIES = ("助人为乐", "见义勇为", "诚实守信", "敬业奉献", "孝老爱亲")


def seed_categories(village: Village) -> int:
    """Add the official categories the village lacks; how many were added."""
    have = set(
        db.session.scalars(
            sa.select(NominationCategory.name).where(NominationCategory.village_id == village.id)
        )
    )
    added = 0
    for position, name in enumerate(OFFICIAL_CATEGORIES):
        if name not in have:
            db.session.add(
                NominationCategory(
                    village_id=village.id, name=name, official=True, position=position
                )
            )
            added += 1
    return added


def categories(village: Village, *, active_only: bool = True) -> list[NominationCategory]:
    query = sa.select(NominationCategory).where(NominationCategory.village_id == village.id)
    if active_only:
        query = query.where(NominationCategory.retired_at.is_(None))
    return list(
        db.session.scalars(query.order_by(NominationCategory.position, NominationCategory.id))
    )


def add_category(actor: User, village: Village, name: str) -> NominationCategory:
    """A category of the village's own, beside the official five."""
    require_committee(actor, village.id, NominationError)
    text = required_text(
        name,
        limit=CATEGORY_NAME_MAX,
        empty=_("请填写类别名称。"),
        too_long=_("类别名称最多 %(n)d 个字。", n=CATEGORY_NAME_MAX),
        field="name",
        error=NominationError,
    )
    clash = db.session.scalar(
        sa.select(NominationCategory.id).where(
            NominationCategory.village_id == village.id, NominationCategory.name == text
        )
    )
    if clash is not None:
        raise NominationError(_("已经有同名的类别了。"), status=422, field="name")
    position = db.session.scalar(
        sa.select(sa.func.count(NominationCategory.id)).where(
            NominationCategory.village_id == village.id
        )
    )
    category = NominationCategory(village_id=village.id, name=text, position=position + 10)
    db.session.add(category)
    record_action(
        actor,
        Role.COMMITTEE,
        "nomination.category_add",
        category,
        village=village,
        after={"name": text},
    )
    return category


def retire_category(actor: User, category: NominationCategory, now: datetime | None = None):
    """Take a village's own category off the form; the official five stay."""
    require_committee(actor, category.village_id, NominationError)
    if category.official:
        raise NominationError(_("五个官方类别不能停用。"), status=409)
    if category.retired_at is not None:
        raise NominationError(_("这个类别已经停用了。"), status=409)
    category.retired_at = now or clock.now()
    village = db.session.get(Village, category.village_id)
    record_action(actor, Role.COMMITTEE, "nomination.category_retire", category, village=village)


# --- nominating -----------------------------------------------------------------------


def clean_story(text: str | None) -> str:
    return required_text(
        text,
        limit=STORY_MAX,
        empty=_("请写下事迹：什么时间、什么地方、做了什么事。"),
        too_long=_("事迹最多 %(n)d 个字。", n=STORY_MAX),
        field="story",
        error=NominationError,
    )


def _check_deed(village: Village, deed_on: date | None, today: date) -> date:
    if deed_on is None:
        raise NominationError(_("请填写事情发生的日期。"), status=422, field="deed_on")
    if deed_on > today:
        raise NominationError(_("事情发生的日期不能在今天以后。"), status=422, field="deed_on")
    years = settings.setting(village, DEED_YEARS.key)
    try:
        earliest = today.replace(year=today.year - years)
    except ValueError:  # 2月29日
        earliest = today.replace(year=today.year - years, day=28)
    if deed_on < earliest:
        raise NominationError(
            _(
                "本村只评 %(years)d 年以内的事迹（%(day)s 以后）；更早的事迹请口头向村委会反映。",
                years=years,
                day=earliest.isoformat(),
            ),
            status=422,
            field="deed_on",
        )
    return deed_on


def _category(village: Village, category_id) -> NominationCategory:
    category = db.session.get(NominationCategory, category_id) if category_id else None
    if category is None or category.village_id != village.id or category.retired_at:
        raise NominationError(_("请选择一个类别。"), status=422, field="category_id")
    return category


def _roster_resident(village: Village, resident_id, field: str, words) -> Resident:
    resident = db.session.get(Resident, resident_id) if resident_id else None
    if resident is None or resident.village_id != village.id:
        raise NominationError(words(), status=422, field=field)
    if not resident.on_roster:
        raise NominationError(
            _("%(name)s 已不在本村花名册上。", name=resident.name), status=422, field=field
        )
    return resident


def _lock_resident(resident: Resident) -> None:
    """Hold the nominator's roster row while their open nominations are counted."""
    db.session.flush()
    db.session.execute(sa.select(Resident.id).where(Resident.id == resident.id).with_for_update())


def open_count(resident_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(Nomination.id)).where(
            Nomination.nominator_resident_id == resident_id, Nomination.state.in_(OPEN_STATES)
        )
    )


def _commended_recently(category: NominationCategory, household_id, resident_id, now):
    """A commended nomination of the same nominee in the same category within a year."""
    query = sa.select(Nomination.commended_at).where(
        Nomination.category_id == category.id,
        Nomination.state == NominationState.COMMENDED,
        Nomination.commended_at > now - AGAIN_AFTER,
    )
    if resident_id is not None:
        query = query.where(Nomination.nominee_resident_id == resident_id)
    else:
        query = query.where(
            Nomination.nominee_household_id == household_id,
            Nomination.nominee_resident_id.is_(None),
        )
    return db.session.scalar(query.order_by(Nomination.commended_at.desc()).limit(1))


def _nominate(
    village: Village,
    nominator: Resident,
    *,
    category_id,
    nominee_resident_id,
    own_household: bool,
    story,
    deed_on,
    photo,
    now: datetime,
    actor: User,
    role: Role,
    action: str,
    nominator_user_id: int | None = None,
    entered_by_id: int | None = None,
) -> Nomination:
    category = _category(village, category_id)
    if own_household:
        household_id, nominee = nominator.household_id, None
    else:
        nominee = _roster_resident(
            village,
            nominee_resident_id,
            "nominee_resident_id",
            lambda: _("请从本村花名册中搜索并选定被推荐的人。"),
        )
        if nominee.id == nominator.id:
            raise NominationError(
                _("不能推荐自己；可以推荐自己这一户。"), status=422, field="nominee_resident_id"
            )
        household_id = nominee.household_id
    text = clean_story(story)
    deed = _check_deed(village, deed_on, clock.local_date(now))
    last = _commended_recently(category, household_id, nominee.id if nominee else None, now)
    if last is not None:
        again = clock.local_date(last + AGAIN_AFTER)
        raise NominationError(
            _(
                "这位已在%(day)s评为“%(category)s”，一年内同一类别不再推荐（%(again)s 以后可以）。",
                day=clock.local_date(last).isoformat(),
                category=category.name,
                again=again.isoformat(),
            ),
            status=409,
            field="category_id",
        )
    _lock_resident(nominator)
    limit = settings.setting(village, OPEN_PER_VILLAGER.key)
    if open_count(nominator.id) >= limit:
        raise NominationError(
            _(
                "每人同时最多有 %(n)d 条未办结的推荐，等其中一条办结后再推荐。",
                n=limit,
            ),
            status=409,
        )
    nomination = Nomination(
        village_id=village.id,
        town_id=village.town_id,
        category_id=category.id,
        nominee_household_id=household_id,
        nominee_resident_id=nominee.id if nominee else None,
        nominator_resident_id=nominator.id,
        nominator_user_id=nominator_user_id,
        entered_by_id=entered_by_id,
        story=text,
        deed_on=deed,
        created_at=now,
        updated_at=now,
    )
    if photo is not None:
        nomination.photo_stored_name = photo.stored_name
        nomination.photo_content_type = photo.content_type
        nomination.photo_width = photo.width
        nomination.photo_height = photo.height
        nomination.photo_caption = (photo.caption or "").strip()[:120] or None
    db.session.add(nomination)
    record_action(
        actor,
        role,
        action,
        nomination,
        village=village,
        after={"category": category.name, "deed_on": deed.isoformat()},
    )
    return nomination


def nominate(
    user: User,
    village: Village,
    *,
    category_id,
    nominee_resident_id=None,
    own_household: bool = False,
    story,
    deed_on: date | None,
    photo=None,
    now: datetime | None = None,
) -> Nomination:
    """A verified villager's nomination of a resident of the village, or of their own
    household. `photo`: a `portal.uploads.Photo` already stored in this unit of work."""
    now = now or clock.now()
    refusal = villager_refusal(user, village.id)
    if refusal:
        raise NominationError(refusal, status=403)
    nominator = _roster_resident(
        village,
        user.resident_id,
        "nominee_resident_id",
        lambda: _("只有本村花名册上的村民可以推荐。"),
    )
    return _nominate(
        village,
        nominator,
        category_id=category_id,
        nominee_resident_id=nominee_resident_id,
        own_household=own_household,
        story=story,
        deed_on=deed_on,
        photo=photo,
        now=now,
        actor=user,
        role=Role.VILLAGER,
        action="nomination.submit",
        nominator_user_id=user.id,
    )


def nominate_on_paper(
    clerk: User,
    village: Village,
    *,
    nominator_resident_id,
    category_id,
    nominee_resident_id=None,
    own_household: bool = False,
    story,
    deed_on: date | None,
    photo=None,
    now: datetime | None = None,
) -> Nomination:
    """A nomination that reached the committee on paper, entered by a clerk with whose it
    is (a resident on the roster), under the same rules as one made online."""
    now = now or clock.now()
    require_committee(clerk, village.id, NominationError)
    nominator = _roster_resident(
        village,
        nominator_resident_id,
        "nominator_resident_id",
        lambda: _("请从本村花名册中选定推荐人。"),
    )
    return _nominate(
        village,
        nominator,
        category_id=category_id,
        nominee_resident_id=nominee_resident_id,
        own_household=own_household,
        story=story,
        deed_on=deed_on,
        photo=photo,
        now=now,
        actor=clerk,
        role=Role.COMMITTEE,
        action="nomination.submit_paper",
        entered_by_id=clerk.id,
    )


def withdraw(user: User, nomination: Nomination, now: datetime | None = None) -> Nomination:
    """The nominator takes back a nomination not yet accepted for 公示."""
    if getattr(user, "resident_id", None) != nomination.nominator_resident_id:
        raise NominationError(_("只有推荐人本人可以撤回。"), status=403)
    return NOMINATION.move(
        "withdraw", nomination, actor=user, role=Role.VILLAGER, village=nomination.village, now=now
    )


# --- endorsing ------------------------------------------------------------------------


def already_endorsed() -> NominationError:
    """The refusal for a second endorsement by one person (also the lost race's)."""
    return NominationError(_("这位村民已经联名过这条推荐，每人只能联名一次。"), status=409)


def endorsement_of(nomination: Nomination, resident_id: int | None) -> Endorsement | None:
    if resident_id is None:
        return None
    return db.session.scalar(
        sa.select(Endorsement).where(
            Endorsement.nomination_id == nomination.id, Endorsement.resident_id == resident_id
        )
    )


def endorsing_refusal(user, nomination: Nomination) -> str | None:
    """Why `user` may not endorse online (in their words), or None."""
    refusal = villager_refusal(user, nomination.village_id)
    if refusal:
        return refusal
    if user.resident_id == nomination.nominator_resident_id:
        return _("这是您自己的推荐，不能再联名。")
    if nomination.state != NominationState.SUBMITTED:
        return _("这条推荐已经不再征集联名了。")
    return None


def _add_endorsement(nomination: Nomination, resident_id: int, now: datetime, **who) -> Endorsement:
    NOMINATION.lock(nomination)
    if nomination.state != NominationState.SUBMITTED:
        raise NominationError(_("这条推荐已经不再征集联名了。"), status=409)
    if resident_id == nomination.nominator_resident_id:
        raise NominationError(_("推荐人不能为自己的推荐联名。"), status=422, field="resident_id")
    if endorsement_of(nomination, resident_id) is not None:
        raise already_endorsed()
    endorsement = Endorsement(
        nomination_id=nomination.id,
        village_id=nomination.village_id,
        resident_id=resident_id,
        created_at=now,
        **who,
    )
    db.session.add(endorsement)
    db.session.flush()
    db.session.execute(
        sa.update(Nomination)
        .where(Nomination.id == nomination.id)
        .values(endorsement_count=Nomination.endorsement_count + 1)
    )
    db.session.refresh(nomination, ["endorsement_count"])
    return endorsement


def endorse(user: User, nomination: Nomination, now: datetime | None = None) -> Endorsement:
    """A verified villager's endorsement, once, never of their own nomination."""
    now = now or clock.now()
    refusal = endorsing_refusal(user, nomination)
    if refusal:
        raise NominationError(
            refusal, status=403 if villager_refusal(user, nomination.village_id) else 409
        )
    endorsement = _add_endorsement(nomination, user.resident_id, now, user_id=user.id)
    record_action(
        user,
        Role.VILLAGER,
        "nomination.endorse",
        nomination,
        village=nomination.village,
        after={"endorsements": nomination.endorsement_count},
    )
    return endorsement


def endorse_on_paper(
    clerk: User, nomination: Nomination, resident_id, now: datetime | None = None
) -> Endorsement:
    """An endorsement from a paper sheet, entered by a clerk against a resident on the
    roster, under the same one-per-person rule as online ones."""
    now = now or clock.now()
    require_committee(clerk, nomination.village_id, NominationError)
    resident = _roster_resident(
        nomination.village, resident_id, "resident_id", lambda: _("请选择本村花名册上的村民。")
    )
    existing = endorsement_of(nomination, resident.id)
    if existing is not None:
        how = _("已在网上联名过") if existing.user_id else _("已经录入过")
        raise NominationError(
            _("%(name)s %(how)s，每人只能联名一次。", name=resident.name, how=how),
            status=409,
            field="resident_id",
        )
    endorsement = _add_endorsement(nomination, resident.id, now, entered_by_id=clerk.id)
    record_action(
        clerk,
        Role.COMMITTEE,
        "nomination.endorse_paper",
        nomination,
        village=nomination.village,
        after={"endorsements": nomination.endorsement_count, "resident": resident.id},
    )
    return endorsement


def endorsers(nomination: Nomination) -> list[Endorsement]:
    """Who endorsed, oldest first, with names: for the committee and supervisors only."""
    return list(
        db.session.scalars(
            sa.select(Endorsement)
            .where(Endorsement.nomination_id == nomination.id)
            .options(joinedload(Endorsement.resident))
            .order_by(Endorsement.created_at, Endorsement.id)
        )
    )


# --- review, 公示 and the decision -----------------------------------------------------


def _reason(text: str | None, empty) -> str:
    return required_text(
        text,
        limit=REASON_MAX,
        empty=empty,
        too_long=_("理由最多 %(n)d 个字。", n=REASON_MAX),
        field="reason",
        error=NominationError,
    )


def accept(actor: User, nomination: Nomination, now: datetime | None = None) -> Nomination:
    """The committee accepts a nomination with enough endorsements for 公示."""
    now = now or clock.now()
    require_committee(actor, nomination.village_id, NominationError)
    NOMINATION.lock(nomination)
    needed = minimum(nomination.village_id)
    if nomination.state == NominationState.SUBMITTED and nomination.endorsement_count < needed:
        raise NominationError(
            _(
                "还差 %(n)d 位村民联名（至少 %(min)d 位），够了才能评议。",
                n=needed - nomination.endorsement_count,
                min=needed,
            ),
            status=409,
        )
    NOMINATION.move(
        "accept",
        nomination,
        actor=actor,
        role=Role.COMMITTEE,
        village=nomination.village,
        now=now,
        changes={"accepted_by_id": actor.id},
    )
    publicity.open_period(
        actor,
        nomination.village,
        SUBJECT,
        nomination.id,
        days=settings.setting(nomination.village, NOTICE_DAYS.key),
        now=now,
    )
    return nomination


def _require_closed(nomination: Nomination, now: datetime) -> None:
    period = publicity.period_for(SUBJECT, nomination.id)
    if period is None or publicity.phase(period, now) != publicity.PublicityPhase.ENDED:
        raise NominationError(_("公示期还没有结束，期满后才能决定。"), status=409)
    if not publicity.may_close(period, now):
        raise NominationError(_("还有异议没有答复，请先逐条书面答复。"), status=409)


def reject(
    actor: User, nomination: Nomination, reason: str, now: datetime | None = None
) -> Nomination:
    """Not commended, with a reason the nominator sees: at review, or after 公示."""
    now = now or clock.now()
    require_committee(actor, nomination.village_id, NominationError)
    text = _reason(reason, _("请写下不予评选的理由，推荐人会看到。"))
    NOMINATION.lock(nomination)
    if nomination.state == NominationState.NOTICE:
        _require_closed(nomination, now)
    return NOMINATION.move(
        "reject",
        nomination,
        actor=actor,
        role=Role.COMMITTEE,
        village=nomination.village,
        now=now,
        changes={"decided_by_id": actor.id, "decision_reason": text},
    )


def commend(
    actor: User,
    nomination: Nomination,
    *,
    red_category_id: int | None = None,
    consented: bool = False,
    points_item_id: int | None = None,
    now: datetime | None = None,
) -> Nomination:
    """After 公示, every objection answered: on the honour roll. With `red_category_id`,
    also a red-board entry through the boards' own service (its consent rule holds); with
    `points_item_id`, also a points entry for the nominee's household through the points'
    own service: pending, for another committee member to approve, then its 公示."""
    now = now or clock.now()
    require_committee(actor, nomination.village_id, NominationError)
    NOMINATION.lock(nomination)
    if nomination.state == NominationState.NOTICE:
        _require_closed(nomination, now)
    NOMINATION.move(
        "commend",
        nomination,
        actor=actor,
        role=Role.COMMITTEE,
        village=nomination.village,
        now=now,
        changes={"decided_by_id": actor.id},
    )
    if red_category_id:
        from portal.boards import services as boards

        entry = boards.commend(
            actor,
            nomination.village,
            category_id=red_category_id,
            household_id=nomination.nominee_household_id,
            resident_id=nomination.nominee_resident_id,
            description=nomination.story[: boards.DESCRIPTION_MAX],
            consented=consented,
            now=now,
        )
        db.session.flush()
        nomination.board_entry_id = entry.id
    if points_item_id:
        _record_points(actor, nomination, points_item_id, now)
    return nomination


def _record_points(actor: User, nomination: Nomination, item_id: int, now: datetime) -> None:
    from portal.points import services as points

    village = nomination.village
    try:
        points.record(
            actor,
            village,
            nomination.nominee_household,
            points.get_item(village, item_id),
            clock.local_date(now),
            # The village's own record, in its language, like what people type.
            note=f"好人推荐第 {nomination.id} 号：评为好人",
            now=now,
        )
    except Refusal as refused:
        raise NominationError(
            refused.message, status=refused.status, field="points_item_id"
        ) from refused


# --- the town's selection -------------------------------------------------------------


def forward(actor: User, nomination: Nomination, now: datetime | None = None) -> Nomination:
    """The committee sends a commended nominee to the town's own selection."""
    now = now or clock.now()
    require_committee(actor, nomination.village_id, NominationError)
    NOMINATION.lock(nomination)
    if nomination.state != NominationState.COMMENDED:
        raise NominationError(_("只有评为好人的推荐可以报送镇街。"), status=409)
    if nomination.forwarded_at is not None:
        raise NominationError(_("这条推荐已经报送镇街了。"), status=409)
    nomination.forwarded_at = now
    nomination.forwarded_by_id = actor.id
    nomination.updated_at = now
    record_action(
        actor, Role.COMMITTEE, "nomination.forward", nomination, village=nomination.village
    )
    return nomination


def town_decide(
    official: User,
    nomination: Nomination,
    selected: bool,
    note: str | None,
    now: datetime | None = None,
) -> Nomination:
    """The town office marks a forwarded nominee selected or not, with a note."""
    now = now or clock.now()
    if not active_grants(official, [Role.TOWN_OFFICIAL], town_id=nomination.town_id):
        raise NominationError(_("只有本镇街的工作人员可以办理。"), status=403)
    NOMINATION.lock(nomination)
    if nomination.forwarded_at is None:
        raise NominationError(_("这条推荐没有报送镇街。"), status=409)
    if nomination.town_decision is not None:
        raise NominationError(_("镇街已经办理过这条推荐了。"), status=409)
    text = (note or "").strip()
    if len(text) > NOTE_MAX:
        raise NominationError(_("说明最多 %(n)d 个字。", n=NOTE_MAX), status=422, field="note")
    if not selected and not text:
        raise NominationError(_("未入选时请写一句说明。"), status=422, field="note")
    nomination.town_decision = TownDecision.SELECTED if selected else TownDecision.NOT_SELECTED
    nomination.town_decided_at = now
    nomination.town_decided_by_id = official.id
    nomination.town_note = text or None
    record_action(
        official,
        Role.TOWN_OFFICIAL,
        "nomination.town_decide",
        nomination,
        village=nomination.village,
        after={"decision": nomination.town_decision.value},
    )
    return nomination


# --- what the pages read ---------------------------------------------------------------


def get_nomination(village: Village, nomination_id: int) -> Nomination:
    nomination = db.session.get(Nomination, nomination_id)
    if nomination is None or nomination.village_id != village.id:
        raise NotFound()
    return nomination


PUBLIC_STATES = (NominationState.SUBMITTED, NominationState.NOTICE, NominationState.COMMENDED)


def nominee_name(nomination: Nomination) -> str:
    """The nominee as public pages show them: masked (陈**), or the household (陈**家)."""
    if nomination.nominee is not None:
        return mask_name(nomination.nominee.name)
    from portal.boards.services import household_label

    return household_label(nomination.nominee_household)


def honour_roll(
    village: Village,
    *,
    state: NominationState | None = None,
    category_id: int | None = None,
    year: int | None = None,
) -> sa.Select:
    """The public list: open nominations, those in 公示 and the commended, newest first."""
    query = (
        sa.select(Nomination)
        .where(Nomination.village_id == village.id, Nomination.state.in_(PUBLIC_STATES))
        .options(
            joinedload(Nomination.category),
            joinedload(Nomination.nominee),
        )
        .order_by(Nomination.updated_at.desc(), Nomination.id.desc())
    )
    if state is not None:
        query = query.where(Nomination.state == state)
    if category_id:
        query = query.where(Nomination.category_id == category_id)
    if year:
        start = datetime(year, 1, 1, tzinfo=clock.LOCAL_TZ)
        end = datetime(year + 1, 1, 1, tzinfo=clock.LOCAL_TZ)
        query = query.where(Nomination.deed_on >= start.date(), Nomination.deed_on < end.date())
    return query


# --- the villagers' pages (portal/nominations/views.py) --------------------------------

# A nomination's photo: checked and re-encoded by `portal.uploads`, kept outside static/
# and served under the nomination page's own rule.
NOMINATION_PHOTOS = UploadPolicy(field="photo", folder="photos/nominations")

HOME_COMMENDED = 3


def _with_nominee(query: sa.Select) -> sa.Select:
    """`query` with everything `nominee_name` reads, in the same statement."""
    return query.options(
        joinedload(Nomination.village),
        joinedload(Nomination.category),
        joinedload(Nomination.nominee),
        joinedload(Nomination.nominee_household).joinedload(Household.residents),
    )


def home_commended(village: Village) -> list[Nomination]:
    """The latest commended nominees, for the village home (one statement)."""
    query = (
        sa.select(Nomination)
        .where(
            Nomination.village_id == village.id,
            Nomination.state == NominationState.COMMENDED,
        )
        .order_by(Nomination.commended_at.desc(), Nomination.id.desc())
        .limit(HOME_COMMENDED)
    )
    return list(db.session.scalars(_with_nominee(query)).unique())


ACCOUNT_ROWS = 20


def for_account(resident_id: int) -> tuple[list[Nomination], list[Nomination]]:
    """(nominations naming the resident's household, in the states the public sees; the
    nominations the resident made, in every state), newest first: one statement."""
    household_id = (
        sa.select(Resident.household_id).where(Resident.id == resident_id).scalar_subquery()
    )
    naming = sa.and_(
        Nomination.nominee_household_id == household_id, Nomination.state.in_(PUBLIC_STATES)
    )
    mine = Nomination.nominator_resident_id == resident_id
    query = (
        sa.select(Nomination, naming.label("names_us"))
        .where(sa.or_(naming, mine))
        .order_by(Nomination.created_at.desc(), Nomination.id.desc())
        .limit(2 * ACCOUNT_ROWS)
    )
    rows = db.session.execute(_with_nominee(query)).unique().all()
    ours = [nomination for nomination, names_us in rows if names_us]
    made = [
        nomination
        for nomination, _names_us in rows
        if nomination.nominator_resident_id == resident_id
    ]
    return ours[:ACCOUNT_ROWS], made[:ACCOUNT_ROWS]
