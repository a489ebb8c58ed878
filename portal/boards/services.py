"""The boards' rules: categories on a legal basis, warnings, collective decisions, 公示,
listing and expiry (DESIGN.md 2.3).

Every change runs in the caller's unit of work (`portal.actions.unit_of_work`) with its
action-log row: the entry's state moves only through `ENTRY` (`portal.transitions`).

A black entry, in order: `warn` (a deadline to put things right) → `record_put_right`
(in time: never listed) or, once the deadline has passed, the committee's decision as a
body, `approve_listing` by a member who is not the entry's creator with the meeting
recorded (or `decline_listing`) → 公示 (`portal.publicity`: objections and appeals) →
`publish` once the period has ended and every objection and appeal is answered → on the
board until `expires_at`, read from the clock on every page and frozen by `flask tick`
(`expire_due`), or `withdraw` (an appeal upheld; put right after listing).
A red entry: `commend` → 公示 → `publish` → expired | withdrawn; the full name only where
the subject's consent is recorded (`record_consent`).

Time decides what a page shows (`shown_state`): a published entry whose date has come
is off the board before any tick has run, and a warning whose deadline has passed is
"due for decision" without a write.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload, selectinload

from portal import clock
from portal.actions import NotFound, Refusal
from portal.audit.services import record_action
from portal.auth.access import is_verified_villager, require_committee, roles_in_village
from portal.auth.models import Role, User
from portal.boards.models import (
    ATTENDEES_MAX,
    CATEGORY_DESCRIPTION_MAX,
    CATEGORY_NAME_MAX,
    DESCRIPTION_MAX,
    NOTE_MAX,
    AppealState,
    Board,
    BoardAppeal,
    BoardCategory,
    BoardEntry,
    EntryState,
)
from portal.extensions import db
from portal.inputs import required_text
from portal.privacy import mask_name
from portal.publicity import services as publicity
from portal.publicity.models import Publicity
from portal.rules.models import RuleArticle, RuleVersion, VersionState
from portal.settings import registry as settings
from portal.transitions import Lifecycle, Transition
from portal.uploads import Photo, UploadPolicy
from portal.villages.models import Household, Resident, Village

SUBJECT = "board_entry"  # the 公示 subject type of an entry
SECTION = _l("红黑榜")
DEADLINE_MAX_DAYS = 90
MEETING_MAX_AGE_DAYS = 60


class BoardError(Refusal):
    """A board action the rules refuse."""


class BlackDisplay(enum.StrEnum):
    MASKED = "masked"  # entries with masked names, for the village's verified villagers
    COUNTS = "counts"  # only how many entries each category has


NOTICE_DAYS = settings.register(
    settings.number(
        "boards.notice_days",
        label=_l("红黑榜公示几天"),
        hint=_l("公示期间村民可以提出异议，当事户可以申诉。"),
        section=SECTION,
        default=5,
        minimum=1,
        maximum=30,
        unit=_l("天"),
        order=300,
    )
)
WARNING_DAYS = settings.register(
    settings.number(
        "boards.warning_days",
        label=_l("黑榜提醒默认给几天整改"),
        hint=_l("提醒发出后，到期前整改好的不上黑榜。"),
        section=SECTION,
        default=15,
        minimum=1,
        maximum=DEADLINE_MAX_DAYS,
        unit=_l("天"),
        order=301,
    )
)
BLACK_EXPIRY_DAYS = settings.register(
    settings.number(
        "boards.black_expiry_days",
        label=_l("黑榜条目公布多少天后撤下"),
        section=SECTION,
        default=90,
        minimum=7,
        maximum=365,
        unit=_l("天"),
        order=302,
    )
)
RED_EXPIRY_DAYS = settings.register(
    settings.number(
        "boards.red_expiry_days",
        label=_l("红榜条目公布多少天后撤下"),
        section=SECTION,
        default=365,
        minimum=7,
        maximum=1095,
        unit=_l("天"),
        order=303,
    )
)
BLACK_DISPLAY = settings.register(
    settings.choice(
        "boards.black_display",
        label=_l("黑榜怎样显示"),
        hint=_l("无论哪种，黑榜都只给本村已核实的村民看。"),
        section=SECTION,
        default=BlackDisplay.MASKED.value,
        choices=(
            (BlackDisplay.MASKED.value, _l("逐条显示，姓名打码")),
            (BlackDisplay.COUNTS.value, _l("只显示各类别的条数")),
        ),
        order=304,
    )
)


def black_display(village: Village) -> BlackDisplay:
    return BlackDisplay(settings.setting(village, BLACK_DISPLAY.key))


# --- the lifecycle --------------------------------------------------------------------


def _snapshot(entry: BoardEntry) -> dict:
    return {"state": entry.state.value, "board": entry.board.value}


ENTRY = Lifecycle(
    "board",
    BoardEntry,
    transitions=[
        Transition(
            "put_right",
            (EntryState.WARNED,),
            EntryState.PUT_RIGHT,
            stamps=("put_right_at", "updated_at"),
            refusals={EntryState.PUT_RIGHT: lambda: _("已经记录过整改到位了。")},
        ),
        Transition(
            "approve",
            (EntryState.WARNED,),
            EntryState.NOTICE,
            stamps=("approved_at", "notice_at", "updated_at"),
            refusals={
                EntryState.PUT_RIGHT: lambda: _("这户已经按期整改，不能列入黑榜。"),
                EntryState.NOTICE: lambda: _("这一条已经决定列入，正在公示。"),
            },
        ),
        Transition(
            "decline",
            (EntryState.WARNED,),
            EntryState.DECLINED,
            stamps=("declined_at", "updated_at"),
        ),
        Transition(
            "publish",
            (EntryState.NOTICE,),
            EntryState.PUBLISHED,
            stamps=("published_at", "updated_at"),
            refusals={EntryState.PUBLISHED: lambda: _("这一条已经公布了。")},
        ),
        Transition(
            "expire",
            (EntryState.PUBLISHED,),
            EntryState.EXPIRED,
            stamps=("expired_at", "updated_at"),
        ),
        Transition(
            "withdraw",
            (EntryState.NOTICE, EntryState.PUBLISHED),
            EntryState.WITHDRAWN,
            stamps=("withdrawn_at", "updated_at"),
            refusals={EntryState.WITHDRAWN: lambda: _("这一条已经撤销了。")},
        ),
    ],
    snapshot=_snapshot,
    error=BoardError,
)


# --- what time decides ----------------------------------------------------------------


class Shown(enum.StrEnum):
    """An entry's state as a page shows it at a moment (read from the clock)."""

    WARNED = "warned"  # the deadline is still ahead (or today)
    DECISION_DUE = "decision_due"  # the deadline has passed: the committee decides
    PUT_RIGHT = "put_right"
    DECLINED = "declined"
    NOTICE = "notice"  # 公示 open (or not yet begun)
    NOTICE_ENDED = "notice_ended"  # 公示 over: waits for the committee to publish
    PUBLISHED = "published"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


SHOWN_LABELS = {
    Shown.WARNED: _l("已提醒，整改期内"),
    Shown.DECISION_DUE: _l("整改期已过，待村委会集体决定"),
    Shown.PUT_RIGHT: _l("已按期整改，不列入"),
    Shown.DECLINED: _l("村委会决定不列入"),
    Shown.NOTICE: _l("公示中"),
    Shown.NOTICE_ENDED: _l("公示期满，待公布"),
    Shown.PUBLISHED: _l("已公布"),
    Shown.EXPIRED: _l("已到期撤下"),
    Shown.WITHDRAWN: _l("已撤销"),
}

# What visitors and villagers may ever see: 公示 and published, before the expiry date.
LISTED = (EntryState.NOTICE, EntryState.PUBLISHED)


def shown_state(
    entry: BoardEntry, period: Publicity | None = None, now: datetime | None = None
) -> Shown:
    now = now or clock.now()
    state = entry.state
    if state == EntryState.WARNED:
        if entry.warning_deadline and clock.local_date(now) > entry.warning_deadline:
            return Shown.DECISION_DUE
        return Shown.WARNED
    if state == EntryState.NOTICE:
        if period is not None and publicity.phase(period, now) == publicity.PublicityPhase.ENDED:
            return Shown.NOTICE_ENDED
        return Shown.NOTICE
    if state == EntryState.PUBLISHED and is_expired(entry, now):
        return Shown.EXPIRED
    return Shown(state.value)


def is_expired(entry: BoardEntry, now: datetime | None = None) -> bool:
    now = now or clock.now()
    return entry.expires_at is not None and now >= entry.expires_at


def is_listed(entry: BoardEntry, now: datetime | None = None) -> bool:
    """Whether the entry is on its board now (公示 or published, before its date)."""
    return entry.state in LISTED and not is_expired(entry, now)


def listed_clause(now: datetime):
    """The SQL form of `is_listed`."""
    return sa.and_(
        BoardEntry.state.in_(LISTED),
        sa.or_(BoardEntry.expires_at.is_(None), BoardEntry.expires_at > now),
    )


# --- categories -----------------------------------------------------------------------

# Typical items of village lists, seeded for a new village; the committee links each to
# its article and may add, rename or retire them. They are the village's own data, in
# its language, like the names it gives its categories later: not words of the portal.
SEED_CATEGORIES = {
    Board.RED: (
        ("最美家庭", "家庭和睦、邻里和谐、家风良好的家庭"),
        ("孝老爱亲", "孝敬老人、关爱家人，事迹突出"),
        ("志愿服务", "长期参加村里志愿服务、公益劳动"),
        ("环境整洁户", "房前屋后干净整洁，垃圾分类做得好"),
        ("移风易俗", "婚事新办、丧事简办，带头抵制陈规陋习"),
    ),
    Board.BLACK: (
        ("乱堆乱放", "在公共道路、沟渠旁长期堆放杂物、柴草、建筑垃圾"),
        ("大操大办", "婚丧喜庆超出村规民约规定的规模和标准"),
        ("不赡养老人", "子女不履行赡养义务，经调解仍不改正"),
        ("乱倒垃圾", "向河道、沟渠、路边倾倒垃圾污水"),
        ("违规焚烧秸秆", "在禁烧区域焚烧秸秆、垃圾"),
    ),
}


def _clean(text, *, limit, empty, too_long, field):
    return required_text(
        text, limit=limit, empty=empty, too_long=too_long, field=field, error=BoardError
    )


def seed_categories(village: Village, actor: User | None = None) -> int:
    """Add the typical categories the village lacks (by name); how many were added.
    Runs in the caller's unit of work; black ones wait for their article."""
    existing = set(
        db.session.execute(
            sa.select(BoardCategory.board, BoardCategory.name).where(
                BoardCategory.village_id == village.id
            )
        ).all()
    )
    added = 0
    for board, items in SEED_CATEGORIES.items():
        for position, (name, description) in enumerate(items):
            if (board, str(name)) in existing:
                continue
            db.session.add(
                BoardCategory(
                    village_id=village.id,
                    board=board,
                    name=name,
                    description=description,
                    position=position,
                    created_by_id=getattr(actor, "id", None),
                )
            )
            added += 1
    if added and actor is not None:
        record_action(
            actor,
            Role.COMMITTEE,
            "board.seed_categories",
            village,
            village=village,
            after={"added": added},
        )
    return added


def adopted_articles(village: Village) -> list[RuleArticle]:
    """The articles of the village's rules in force: what a category may rest on."""
    return list(
        db.session.scalars(
            sa.select(RuleArticle)
            .join(RuleVersion, RuleArticle.version_id == RuleVersion.id)
            .where(
                RuleVersion.village_id == village.id,
                RuleVersion.state == VersionState.ADOPTED,
            )
            .options(joinedload(RuleArticle.version))
            .order_by(RuleVersion.document_id, RuleArticle.position)
        )
    )


def article_in_force(article: RuleArticle | None, village: Village) -> bool:
    return (
        article is not None
        and article.version.village_id == village.id
        and article.version.state == VersionState.ADOPTED
    )


def legal_basis(category: BoardCategory) -> RuleArticle | None:
    """The article in force the category rests on, or None (no legal basis)."""
    article = category.article
    return article if article_in_force(article, category.village) else None


def usable(category: BoardCategory) -> bool:
    """May the category take a new entry? Not retired, and a black one only on a legal
    basis (an article of the adopted rules)."""
    if category.retired_at is not None:
        return False
    return category.board == Board.RED or legal_basis(category) is not None


def categories(village: Village, board: Board | None = None, *, active_only=False):
    query = (
        sa.select(BoardCategory)
        .where(BoardCategory.village_id == village.id)
        .options(joinedload(BoardCategory.article).joinedload(RuleArticle.version))
        .order_by(BoardCategory.board, BoardCategory.position, BoardCategory.id)
    )
    if board is not None:
        query = query.where(BoardCategory.board == board)
    if active_only:
        query = query.where(BoardCategory.retired_at.is_(None))
    return list(db.session.scalars(query))


def get_category(village: Village, category_id: int | None) -> BoardCategory | None:
    category = db.session.get(BoardCategory, category_id) if category_id else None
    if category is None or category.village_id != village.id:
        return None
    return category


def _article_for(village: Village, article_id: int | None, board: Board) -> RuleArticle | None:
    if not article_id:
        if board == Board.BLACK:
            raise BoardError(
                _("黑榜类别必须写明依据的村规民约条款：没有依据，不能上黑榜。"),
                status=422,
                field="article_id",
            )
        return None
    article = db.session.get(RuleArticle, article_id)
    if not article_in_force(article, village):
        raise BoardError(_("请选择本村现行村规民约中的一条。"), status=422, field="article_id")
    return article


def save_category(
    actor: User,
    village: Village,
    *,
    board: Board | str,
    name: str,
    description: str | None,
    article_id: int | None,
    category: BoardCategory | None = None,
) -> BoardCategory:
    """Add a category, or change one (`category`): a name, a note, and its article."""
    require_committee(actor, village.id, BoardError)
    try:
        board = Board(board)
    except ValueError:
        raise BoardError(_("请选择红榜或黑榜。"), status=422, field="board") from None
    clean_name = _clean(
        name,
        limit=CATEGORY_NAME_MAX,
        empty=_("请填写类别名称。"),
        too_long=_("类别名称最多 %(n)d 个字。", n=CATEGORY_NAME_MAX),
        field="name",
    )
    note = (description or "").strip()
    if note:
        note = _clean(
            note,
            limit=CATEGORY_DESCRIPTION_MAX,
            empty="",
            too_long=_("说明最多 %(n)d 个字。", n=CATEGORY_DESCRIPTION_MAX),
            field="description",
        )
    article = _article_for(village, article_id, board)
    clash = db.session.scalar(
        sa.select(BoardCategory.id).where(
            BoardCategory.village_id == village.id,
            BoardCategory.board == board,
            BoardCategory.name == clean_name,
        )
    )
    if clash is not None and (category is None or clash != category.id):
        raise BoardError(_("已经有同名的类别了。"), status=422, field="name")
    before = None
    if category is None:
        position = db.session.scalar(
            sa.select(sa.func.count(BoardCategory.id)).where(
                BoardCategory.village_id == village.id, BoardCategory.board == board
            )
        )
        category = BoardCategory(
            village_id=village.id, board=board, position=position, created_by_id=actor.id
        )
        db.session.add(category)
        action = "board.category_add"
    else:
        before = {"name": category.name, "article": category.article_id}
        if category.board != board:
            raise BoardError(_("类别不能在红榜和黑榜之间移动。"), status=422, field="board")
        action = "board.category_edit"
    category.name = clean_name
    category.description = note or None
    category.article_id = article.id if article else None
    category.article = article
    record_action(
        actor,
        Role.COMMITTEE,
        action,
        category,
        village=village,
        before=before,
        after={"board": board.value, "name": clean_name, "article": category.article_id},
    )
    return category


def retire_category(actor: User, category: BoardCategory, now: datetime | None = None) -> None:
    """Take a category off the list for new entries; its entries keep it."""
    require_committee(actor, category.village_id, BoardError)
    if category.retired_at is not None:
        raise BoardError(_("这个类别已经停用了。"), status=409)
    category.retired_at = now or clock.now()
    record_action(
        actor, Role.COMMITTEE, "board.category_retire", category, village=category.village
    )


# --- entries --------------------------------------------------------------------------


def _subject(village: Village, household_id, resident_id) -> tuple[Household, Resident | None]:
    household = db.session.get(Household, household_id) if household_id else None
    if household is None or household.village_id != village.id:
        raise BoardError(_("请选择本村的一户。"), status=422, field="household_id")
    resident = None
    if resident_id:
        resident = db.session.get(Resident, resident_id)
        if resident is None or resident.household_id != household.id:
            raise BoardError(_("所选的人不是这一户的成员。"), status=422, field="resident_id")
        if not resident.on_roster:
            raise BoardError(
                _("%(name)s 已不在本村花名册上。", name=resident.name),
                status=422,
                field="resident_id",
            )
    return household, resident


def clean_description(text: str | None) -> str:
    return _clean(
        text,
        limit=DESCRIPTION_MAX,
        empty=_("请写下事实经过：什么时间、什么地方、什么事。"),
        too_long=_("事实经过最多 %(n)d 个字。", n=DESCRIPTION_MAX),
        field="description",
    )


def _entry_category(village: Village, category_id, board: Board) -> BoardCategory:
    category = get_category(village, category_id)
    if category is None or category.board != board:
        raise BoardError(_("请选择一个类别。"), status=422, field="category_id")
    if category.retired_at is not None:
        raise BoardError(_("这个类别已经停用了。"), status=422, field="category_id")
    if board == Board.BLACK and legal_basis(category) is None:
        raise BoardError(
            _("“%(name)s”还没有写明依据的村规民约条款，不能据此上黑榜。", name=category.name),
            status=422,
            field="category_id",
        )
    return category


def default_deadline(village: Village, now: datetime | None = None) -> date:
    today = clock.local_date(now or clock.now())
    return today + timedelta(days=settings.setting(village, WARNING_DAYS.key))


def _new_entry(
    actor: User,
    village: Village,
    board: Board,
    *,
    category_id,
    household_id,
    resident_id,
    description,
    photo: Photo | None,
    now: datetime,
) -> BoardEntry:
    require_committee(actor, village.id, BoardError)
    category = _entry_category(village, category_id, board)
    household, resident = _subject(village, household_id, resident_id)
    entry = BoardEntry(
        village_id=village.id,
        board=board,
        category_id=category.id,
        article_id=category.article_id,
        household_id=household.id,
        resident_id=resident.id if resident else None,
        description=clean_description(description),
        created_by_id=actor.id,
        created_at=now,
        updated_at=now,
    )
    if photo is not None:
        entry.photo_stored_name = photo.stored_name
        entry.photo_content_type = photo.content_type
        entry.photo_width = photo.width
        entry.photo_height = photo.height
        entry.photo_caption = (photo.caption or "").strip()[:120] or None
    return entry


def warn(
    actor: User,
    village: Village,
    *,
    category_id,
    household_id,
    resident_id=None,
    description,
    deadline: date | None = None,
    photo: Photo | None = None,
    now: datetime | None = None,
) -> BoardEntry:
    """The first step of a black entry: a warning to the household, with the last day to
    put things right. Nothing is listed; only the household and the committee see it."""
    now = now or clock.now()
    entry = _new_entry(
        actor,
        village,
        Board.BLACK,
        category_id=category_id,
        household_id=household_id,
        resident_id=resident_id,
        description=description,
        photo=photo,
        now=now,
    )
    today = clock.local_date(now)
    deadline = deadline or default_deadline(village, now)
    if deadline <= today:
        raise BoardError(
            _("整改期限应在今天以后，给这户留出整改的时间。"), status=422, field="deadline"
        )
    if deadline > today + timedelta(days=DEADLINE_MAX_DAYS):
        raise BoardError(
            _("整改期限最长 %(n)d 天。", n=DEADLINE_MAX_DAYS), status=422, field="deadline"
        )
    entry.state = EntryState.WARNED
    entry.warned_at = now
    entry.warning_deadline = deadline
    db.session.add(entry)
    record_action(
        actor,
        Role.COMMITTEE,
        "board.warn",
        entry,
        village=village,
        after={"state": entry.state.value, "deadline": deadline.isoformat()},
    )
    return entry


def commend(
    actor: User,
    village: Village,
    *,
    category_id,
    household_id,
    resident_id=None,
    description,
    consented: bool = False,
    photo: Photo | None = None,
    now: datetime | None = None,
) -> BoardEntry:
    """A red entry, straight into 公示; `consented`: the subject agreed to be named in
    full (recorded with who recorded it and when)."""
    now = now or clock.now()
    entry = _new_entry(
        actor,
        village,
        Board.RED,
        category_id=category_id,
        household_id=household_id,
        resident_id=resident_id,
        description=description,
        photo=photo,
        now=now,
    )
    if consented:
        _consent(actor, entry, now)
    entry.state = EntryState.NOTICE
    entry.notice_at = now
    db.session.add(entry)
    record_action(
        actor,
        Role.COMMITTEE,
        "board.commend",
        entry,
        village=village,
        after={"state": entry.state.value, "consented": entry.consented},
    )
    _open_notice(actor, village, entry, now)
    return entry


def _consent(actor: User, entry: BoardEntry, now: datetime) -> None:
    if entry.resident_id is None:
        raise BoardError(
            _("请先选定被表彰的人，才能记录本人同意公开姓名。"),
            status=422,
            field="consented",
        )
    entry.consented_at = now
    entry.consent_recorded_by_id = actor.id


def record_consent(actor: User, entry: BoardEntry, now: datetime | None = None) -> BoardEntry:
    """The subject of a red entry agreed to be named in full: who recorded it, and when."""
    now = now or clock.now()
    require_committee(actor, entry.village_id, BoardError)
    ENTRY.lock(entry)
    if entry.board != Board.RED:
        raise BoardError(_("黑榜一律不公开全名。"), status=409)
    if entry.consented:
        raise BoardError(_("已经记录过本人同意了。"), status=409)
    _consent(actor, entry, now)
    entry.updated_at = now
    record_action(actor, Role.COMMITTEE, "board.consent", entry, village=entry.village)
    return entry


def _open_notice(actor: User, village: Village, entry: BoardEntry, now: datetime) -> Publicity:
    db.session.flush()
    return publicity.open_period(
        actor, village, SUBJECT, entry.id, days=settings.setting(village, NOTICE_DAYS.key), now=now
    )


def record_put_right(
    actor: User, entry: BoardEntry, note: str | None = None, now: datetime | None = None
) -> BoardEntry:
    """The household put things right by the deadline: the entry is closed, never listed."""
    now = now or clock.now()
    require_committee(actor, entry.village_id, BoardError)
    ENTRY.lock(entry)
    if entry.state == EntryState.WARNED and clock.local_date(now) > entry.warning_deadline:
        raise BoardError(
            _("整改期限已过。若已整改，请在集体决定时决定不列入，并写明理由。"), status=409
        )
    text = (note or "").strip()
    if text:
        text = _clean(
            text,
            limit=NOTE_MAX,
            empty="",
            too_long=_("说明最多 %(n)d 个字。", n=NOTE_MAX),
            field="note",
        )
    return ENTRY.move(
        "put_right",
        entry,
        actor=actor,
        role=Role.COMMITTEE,
        village=entry.village,
        now=now,
        changes={"put_right_by_id": actor.id, "put_right_note": text or None},
    )


@dataclass(frozen=True)
class Meeting:
    """The committee meeting that deliberated a listing."""

    held_on: date | None
    attendees: str | None
    votes_for: int | None
    votes_against: int | None


def _clean_meeting(meeting: Meeting, today: date) -> Meeting:
    if meeting.held_on is None:
        raise BoardError(_("请填写开会的日期。"), status=422, field="meeting_on")
    if meeting.held_on > today:
        raise BoardError(_("开会日期不能在今天以后。"), status=422, field="meeting_on")
    if meeting.held_on < today - timedelta(days=MEETING_MAX_AGE_DAYS):
        raise BoardError(
            _("开会日期不能早于 %(n)d 天以前。", n=MEETING_MAX_AGE_DAYS),
            status=422,
            field="meeting_on",
        )
    attendees = _clean(
        meeting.attendees,
        limit=ATTENDEES_MAX,
        empty=_("请写下参加会议的人。"),
        too_long=_("参会人员最多 %(n)d 个字。", n=ATTENDEES_MAX),
        field="attendees",
    )
    votes_for, votes_against = meeting.votes_for, meeting.votes_against
    if votes_for is None or votes_for < 1 or votes_for > 99:
        raise BoardError(_("请填写同意的人数。"), status=422, field="votes_for")
    if votes_against is None or votes_against < 0 or votes_against > 99:
        raise BoardError(_("请填写不同意的人数，没有就填 0。"), status=422, field="votes_against")
    if votes_for <= votes_against:
        raise BoardError(_("同意的人数没有过半，不能列入黑榜。"), status=422, field="votes_for")
    return Meeting(meeting.held_on, attendees, votes_for, votes_against)


def approve_listing(
    actor: User, entry: BoardEntry, meeting: Meeting, now: datetime | None = None
) -> BoardEntry:
    """The committee's decision as a body to list a black entry, once its deadline has
    passed: approved by a member who did not create it, with the meeting recorded;
    the entry goes to 公示."""
    now = now or clock.now()
    require_committee(actor, entry.village_id, BoardError)
    ENTRY.lock(entry)
    if entry.board != Board.BLACK:
        raise BoardError(_("只有黑榜条目需要集体决定。"), status=409)
    if actor.id == entry.created_by_id:
        raise BoardError(_("列入黑榜须由另一位村委会成员批准，不能由登记人自己批准。"), status=403)
    today = clock.local_date(now)
    if entry.state == EntryState.WARNED and today <= entry.warning_deadline:
        raise BoardError(
            _(
                "整改期限 %(day)s 还没有过，期满未整改才能决定列入。",
                day=entry.warning_deadline.isoformat(),
            ),
            status=409,
        )
    if entry.state == EntryState.WARNED and legal_basis(entry.category) is None:
        raise BoardError(_("这个类别依据的条款已不在现行村规民约中，不能列入。"), status=409)
    decided = _clean_meeting(meeting, today)
    ENTRY.move(
        "approve",
        entry,
        actor=actor,
        role=Role.COMMITTEE,
        village=entry.village,
        now=now,
        changes={
            "approved_by_id": actor.id,
            "meeting_on": decided.held_on,
            "meeting_attendees": decided.attendees,
            "meeting_votes_for": decided.votes_for,
            "meeting_votes_against": decided.votes_against,
        },
        after={
            "meeting_on": decided.held_on.isoformat(),
            "votes_for": decided.votes_for,
            "votes_against": decided.votes_against,
        },
    )
    _open_notice(actor, entry.village, entry, now)
    return entry


def decline_listing(
    actor: User, entry: BoardEntry, reason: str, now: datetime | None = None
) -> BoardEntry:
    """The committee decides not to list a warned entry, with its reason."""
    now = now or clock.now()
    require_committee(actor, entry.village_id, BoardError)
    text = _clean(
        reason,
        limit=NOTE_MAX,
        empty=_("请写下不列入的理由。"),
        too_long=_("理由最多 %(n)d 个字。", n=NOTE_MAX),
        field="reason",
    )
    return ENTRY.move(
        "decline",
        entry,
        actor=actor,
        role=Role.COMMITTEE,
        village=entry.village,
        now=now,
        changes={"declined_by_id": actor.id, "decline_reason": text},
    )


def pending_appeal(entry: BoardEntry) -> BoardAppeal | None:
    """An appeal or request on the entry that waits for a decision (committee or town)."""
    return db.session.scalar(
        sa.select(BoardAppeal)
        .where(
            BoardAppeal.entry_id == entry.id,
            BoardAppeal.state.in_((AppealState.PENDING, AppealState.TOWN_REVIEW)),
        )
        .limit(1)
    )


def publish(actor: User, entry: BoardEntry, now: datetime | None = None) -> BoardEntry:
    """After 公示: on the board until its expiry date. Only once the period has ended,
    every objection is answered and no appeal waits."""
    now = now or clock.now()
    require_committee(actor, entry.village_id, BoardError)
    ENTRY.lock(entry)
    period = publicity.period_for(SUBJECT, entry.id)
    if entry.state == EntryState.NOTICE:
        if period is None or publicity.phase(period, now) != publicity.PublicityPhase.ENDED:
            raise BoardError(_("公示期还没有结束，期满后才能公布。"), status=409)
        if not publicity.may_close(period, now):
            raise BoardError(_("还有异议没有答复，请先逐条书面答复。"), status=409)
        if pending_appeal(entry) is not None:
            raise BoardError(_("当事户的申诉还没有处理完，处理完才能公布。"), status=409)
    key = BLACK_EXPIRY_DAYS.key if entry.board == Board.BLACK else RED_EXPIRY_DAYS.key
    days = settings.setting(entry.village, key)
    return ENTRY.move(
        "publish",
        entry,
        actor=actor,
        role=Role.COMMITTEE,
        village=entry.village,
        now=now,
        changes={"published_by_id": actor.id, "expires_at": now + timedelta(days=days)},
        after={"expires_at": (now + timedelta(days=days)).isoformat()},
    )


def withdraw(
    actor: User,
    entry: BoardEntry,
    reason: str,
    *,
    role: Role = Role.COMMITTEE,
    now: datetime | None = None,
) -> BoardEntry:
    """Off the board for good (an appeal upheld, or put right after listing); the entry
    stays in the archive for the committee, supervisors and town."""
    now = now or clock.now()
    return ENTRY.move(
        "withdraw",
        entry,
        actor=actor,
        role=role,
        village=entry.village,
        now=now,
        changes={"withdrawn_by_id": actor.id, "withdrawn_reason": (reason or "")[:NOTE_MAX]},
    )


def expire_due(now: datetime | None = None) -> int:
    """`flask tick`: freeze as expired every published entry whose date has come (pages
    already read it from the clock). Each in its own unit of work; idempotent."""
    from portal.actions import unit_of_work

    now = now or clock.now()
    due = db.session.scalars(
        sa.select(BoardEntry.id).where(
            BoardEntry.state == EntryState.PUBLISHED, BoardEntry.expires_at <= now
        )
    ).all()
    db.session.rollback()
    frozen = 0
    for entry_id in due:
        with unit_of_work():
            entry = db.session.get(BoardEntry, entry_id)
            ENTRY.lock(entry)
            if entry.state != EntryState.PUBLISHED:
                continue
            ENTRY.move("expire", entry, actor=None, role="system", village=entry.village, now=now)
            frozen += 1
    return frozen


def get_entry(village: Village, entry_id: int) -> BoardEntry:
    entry = db.session.get(BoardEntry, entry_id)
    if entry is None or entry.village_id != village.id:
        raise NotFound()
    return entry


# --- who sees what --------------------------------------------------------------------


def may_read_black(user, village: Village) -> bool:
    """The black board is for the village's verified villagers, its committee and its
    supervisors: never a visitor, a search engine or another village."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if is_verified_villager(user, village.id):
        return True
    return bool(roles_in_village(user, village) & {Role.COMMITTEE, Role.SUPERVISOR})


def may_read_entry(user, entry: BoardEntry, now: datetime | None = None) -> bool:
    """Whether a villager-facing page may show the entry to `user`: listed now (公示 or
    published, before its date), and a black one only to those who may read the board."""
    if not is_listed(entry, now):
        return False
    return entry.board == Board.RED or may_read_black(user, entry.village)


def household_member(user, entry: BoardEntry) -> Resident | None:
    """The resident `user` is, if a verified villager of the entry's village on the roster
    of its subject household; None for anyone else. The one test of who speaks for the
    household: its warning slip, its appeals."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if not getattr(user, "resident_id", None):
        return None
    if not is_verified_villager(user, entry.village_id):
        return None
    resident = db.session.get(Resident, user.resident_id)
    if resident is None or resident.household_id != entry.household_id or not resident.on_roster:
        return None
    return resident


def household_label(household: Household) -> str:
    """A household as the boards name it: its first resident on the roster, masked
    (张*家); never a door number."""
    first = next((r for r in household.residents if r.on_roster), None)
    if first is None:
        first = household.residents[0] if household.residents else None
    return _("%(name)s家", name=mask_name(first.name if first else None))


def subject_name(entry: BoardEntry) -> str:
    """The subject as every public or villager page shows it: the person masked (or in
    full for a red entry with recorded consent), else the household (张*家)."""
    if entry.resident is not None:
        return mask_name(
            entry.resident.name, consented=entry.board == Board.RED and entry.consented
        )
    return household_label(entry.household)


def listed(
    village: Village,
    board: Board,
    *,
    category_id: int | None = None,
    now: datetime | None = None,
) -> sa.Select:
    """The entries on a board now, newest first, with what a list shows of each."""
    now = now or clock.now()
    query = (
        sa.select(BoardEntry)
        .where(BoardEntry.village_id == village.id, BoardEntry.board == board, listed_clause(now))
        .options(
            joinedload(BoardEntry.category).load_only(BoardCategory.id, BoardCategory.name),
            joinedload(BoardEntry.resident).load_only(Resident.id, Resident.name),
            # The household's residents, for an entry that names no one (张*家): one
            # statement for the page, whatever its length.
            selectinload(BoardEntry.household)
            .load_only(Household.id)
            .selectinload(Household.residents)
            .load_only(Resident.id, Resident.name, Resident.left_on),
        )
        .order_by(
            sa.func.coalesce(BoardEntry.published_at, BoardEntry.notice_at).desc(),
            BoardEntry.id.desc(),
        )
    )
    if category_id:
        query = query.where(BoardEntry.category_id == category_id)
    return query


def counts_by_category(village: Village, board: Board, now: datetime | None = None):
    """[(category name, entries on the board)] in the list's order: the black board's
    display when the village shows counts only."""
    now = now or clock.now()
    rows = db.session.execute(
        sa.select(BoardCategory.id, BoardCategory.name, sa.func.count(BoardEntry.id))
        .outerjoin(
            BoardEntry,
            sa.and_(BoardEntry.category_id == BoardCategory.id, listed_clause(now)),
        )
        .where(BoardCategory.village_id == village.id, BoardCategory.board == board)
        .group_by(BoardCategory.id, BoardCategory.name, BoardCategory.position)
        .order_by(BoardCategory.position, BoardCategory.id)
    ).all()
    return [(name, count) for _id, name, count in rows if count]


# --- the boards as villagers and visitors see them ------------------------------------

# The board's photos: checked and re-encoded by `portal.uploads`, kept outside static/
# and served by the entry's own page rule.
BOARD_PHOTOS = UploadPolicy(field="photo", folder="photos/boards")

HOME_ENTRIES = 3


def home_entries(village: Village, now: datetime | None = None) -> list[BoardEntry]:
    """The newest entries on the red board, for the village home (never the black one)."""
    return list(db.session.scalars(listed(village, Board.RED, now=now).limit(HOME_ENTRIES)))


def entries_of_residents_household(resident_id: int) -> list[BoardEntry]:
    """Everything about a resident's household, in every state (its own account page),
    found from the resident's id in the same statement."""
    household = sa.select(Resident.household_id).where(Resident.id == resident_id).scalar_subquery()
    return list(
        db.session.scalars(
            sa.select(BoardEntry)
            .where(BoardEntry.household_id == household)
            .options(
                joinedload(BoardEntry.category).load_only(BoardCategory.id, BoardCategory.name),
                joinedload(BoardEntry.resident).load_only(Resident.id, Resident.name),
                joinedload(BoardEntry.village).load_only(Village.id, Village.slug),
            )
            .order_by(BoardEntry.created_at.desc(), BoardEntry.id.desc())
        )
    )
