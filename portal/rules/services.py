"""The rules of 村规民约: drafting, consultation, the assembly vote, and filing with the town.

Every function here takes the acting user and the objects it works on, checks the
state machine and the actor's role, and changes the session; the caller commits,
once per user action. Every committee or town action adds its action-log row to the
same transaction. Refusals raise `RuleError` with a message for the user.

The vote follows the Organic Law of Villagers' Committees (DESIGN.md 2.1):
- announced at least `village.vote_notice_days` days ahead (Art. 21);
- when it opens, the roll is frozen (`VoteEligibility`): later registrations change
  neither who may vote nor the denominators;
- one ballot per resident whatever the channel, held by a unique constraint;
- at close the result is computed once (`VoteResult`) and never recomputed.

Phases are read from the clock (`vote_phase`): nothing is written when a vote's
opening time comes. The roll is frozen by the first write that needs it (a ballot,
a paper ballot, closing) or by `flask tick`, always as of the opening time, so who
wrote first changes nothing of who is on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal import clock, database
from portal.actions import Refusal
from portal.audit.services import record_action
from portal.auth.access import active_grants, is_verified_villager, require_committee
from portal.auth.models import RegistrationStatus, Role, User
from portal.database import write_transaction
from portal.extensions import db
from portal.i18n import format_date, format_datetime
from portal.inputs import required_text
from portal.paging import escape_like
from portal.rules.models import (
    ArticleComment,
    Ballot,
    BallotChannel,
    BallotChoice,
    FilingState,
    RuleArticle,
    RuleDocument,
    RuleFiling,
    RuleVersion,
    TallyVisibility,
    VersionState,
    VoteEligibility,
    VotePhase,
    VoteResult,
    vote_phase,
)
from portal.search.services import index_rule_document
from portal.settings import registry as settings
from portal.transitions import Lifecycle, Transition
from portal.villages.models import Household, QuorumMode, Resident, Village

LOCAL_TZ = clock.LOCAL_TZ
VOTING_AGE = 18
TITLE_MAX = 100
ARTICLE_MAX = 2000
COMMENT_MAX = 1000
# A person's comments during a consultation, like their questions on notices: a few a
# minute (a thought each, not a flood), a day's worth in a village, and the same
# comment on the same article only once.
COMMENTS_PER_MINUTE = 3
COMMENTS_PER_DAY = 20
# The village's own limits (village settings), these the defaults.
settings.register(
    settings.number(
        "rules.comments_per_minute",
        label=_l("每人每分钟最多提几条意见"),
        hint=_l("征求意见期间，一位村民一分钟内最多能提的意见条数。"),
        section=_l("村规民约"),
        default=COMMENTS_PER_MINUTE,
        minimum=1,
        maximum=20,
        unit=_l("条意见"),
        order=10,
    )
)
settings.register(
    settings.number(
        "rules.comments_per_day",
        label=_l("每人每天最多提几条意见"),
        hint=_l("一位村民 24 小时内对本村村规民约最多能提的意见条数。"),
        section=_l("村规民约"),
        default=COMMENTS_PER_DAY,
        minimum=1,
        maximum=200,
        unit=_l("条意见"),
        order=11,
    )
)
REASON_MAX = 200
FILING_REASON_MAX = 500
OPEN_STATES = (VersionState.DRAFT, VersionState.CONSULTATION, VersionState.VOTING)


class RuleError(Refusal):
    """An action the rules of 村规民约 refuse; the message is for the user.

    The committee's console shows every refusal beside its form: 422 unless the
    refusal says otherwise.
    """

    status = 422


# --- checks -----------------------------------------------------------------


def _now(now: datetime | None) -> datetime:
    return now if now is not None else clock.now()


def _require_committee(user: User, village_id: int) -> None:
    require_committee(user, village_id, RuleError)


def _require_town_official(user: User, village: Village) -> None:
    if not active_grants(user, [Role.TOWN_OFFICIAL], town_id=village.town_id):
        raise RuleError(_("只有本村所属镇街的工作人员可以办理备案。"))


def _require_state(version: RuleVersion, *states: VersionState, message: str) -> None:
    if version.state not in states:
        raise RuleError(message)


def _clean_text(value: str | None, *, limit: int, empty: str, too_long: str) -> str:
    return required_text(value, limit=limit, empty=empty, too_long=too_long, error=RuleError)


def _clean_title(title: str | None) -> str | None:
    text = (title or "").strip()
    if len(text) > TITLE_MAX:
        raise RuleError(_("标题不能超过%(n)d个字。", n=TITLE_MAX))
    return text or None


def _parse_choice(choice) -> BallotChoice:
    try:
        return BallotChoice(choice)
    except ValueError:
        raise RuleError(_("请选择赞成、反对或弃权。")) from None


def _lock_version(version: RuleVersion) -> RuleVersion:
    """Take the write lock (SQLite) or the version's row lock (PostgreSQL), and re-read it."""
    write_transaction()
    db.session.flush()
    db.session.execute(
        sa.select(RuleVersion.id).where(RuleVersion.id == version.id).with_for_update()
    )
    db.session.refresh(version)
    return version


_local_date = clock.local_date


# --- documents and drafts ------------------------------------------------------


def create_document(
    actor: User, village: Village, title: str, now: datetime | None = None
) -> RuleDocument:
    """A new rule document, with an empty first draft."""
    now = _now(now)
    _require_committee(actor, village.id)
    title = _clean_text(
        title,
        limit=TITLE_MAX,
        empty=_("请填写村规民约的名称。"),
        too_long=_("名称不能超过%(n)d个字。", n=TITLE_MAX),
    )
    document = RuleDocument(village=village, title=title, created_by=actor, created_at=now)
    version = RuleVersion(
        document=document,
        village=village,
        number=1,
        state=VersionState.DRAFT,
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    db.session.add_all([document, version])
    record_action(
        actor, Role.COMMITTEE, "rules.create", document, village=village, after={"title": title}
    )
    return document


def current_adopted(document: RuleDocument) -> RuleVersion | None:
    """The version in force, if any."""
    return db.session.scalar(
        sa.select(RuleVersion).where(
            RuleVersion.document_id == document.id, RuleVersion.state == VersionState.ADOPTED
        )
    )


def version_in_progress(document: RuleDocument) -> RuleVersion | None:
    """The draft, consultation or vote under way, if any (at most one at a time)."""
    return db.session.scalar(
        sa.select(RuleVersion)
        .where(RuleVersion.document_id == document.id, RuleVersion.state.in_(OPEN_STATES))
        .order_by(RuleVersion.number.desc())
        .limit(1)
    )


def new_draft(actor: User, document: RuleDocument, now: datetime | None = None) -> RuleVersion:
    """Start an amendment: a new draft holding a copy of the adopted version's articles.

    Only one version of a document is under way at a time, so two drafts cannot
    compete for the same vote.
    """
    now = _now(now)
    _require_committee(actor, document.village_id)
    write_transaction()
    if version_in_progress(document) is not None:
        raise RuleError(_("这份村规民约已有一个正在起草、征求意见或表决的版本。"))
    base = current_adopted(document)
    number = (
        db.session.scalar(
            sa.select(sa.func.max(RuleVersion.number)).where(RuleVersion.document_id == document.id)
        )
        or 0
    ) + 1
    version = RuleVersion(
        document=document,
        village_id=document.village_id,
        number=number,
        state=VersionState.DRAFT,
        based_on=base,
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    db.session.add(version)
    if base is not None:
        for article in base.articles:
            db.session.add(
                RuleArticle(
                    version=version,
                    position=article.position,
                    title=article.title,
                    body=article.body,
                    copied_from_id=article.id,
                    created_at=now,
                    updated_at=now,
                )
            )
    record_action(
        actor,
        Role.COMMITTEE,
        "rules.new_draft",
        version,
        village=document.village,
        after={"number": number, "based_on": getattr(base, "number", None)},
    )
    return version


# --- articles (draft only) ---------------------------------------------------------


def _require_draft(version: RuleVersion) -> None:
    _require_state(
        version,
        VersionState.DRAFT,
        message=_("只有草案可以修改条文；征求意见开始后条文不能再改。"),
    )


def _article_body(body: str | None) -> str:
    return _clean_text(
        body,
        limit=ARTICLE_MAX,
        empty=_("请填写条文内容。"),
        too_long=_("一条条文不能超过%(n)d个字。", n=ARTICLE_MAX),
    )


def _articles(version: RuleVersion) -> list[RuleArticle]:
    return list(
        db.session.scalars(
            sa.select(RuleArticle)
            .where(RuleArticle.version_id == version.id)
            .order_by(RuleArticle.position, RuleArticle.id)
        )
    )


def _renumber(articles: list[RuleArticle], now: datetime) -> None:
    for position, article in enumerate(articles, start=1):
        if article.position != position:
            article.position = position
            article.updated_at = now


def add_article(
    actor: User,
    version: RuleVersion,
    body: str,
    title: str | None = None,
    position: int | None = None,
    now: datetime | None = None,
) -> RuleArticle:
    """Add an article at `position` (1-based; at the end by default)."""
    now = _now(now)
    _require_committee(actor, version.village_id)
    _lock_version(version)
    _require_draft(version)
    body = _article_body(body)
    title = _clean_title(title)
    articles = _articles(version)
    if position is None:
        position = len(articles) + 1
    if not 1 <= position <= len(articles) + 1:
        raise RuleError(_("条文位置无效。"))
    article = RuleArticle(
        version=version, position=position, title=title, body=body, created_at=now, updated_at=now
    )
    articles.insert(position - 1, article)
    db.session.add(article)
    _renumber(articles, now)
    version.updated_at = now
    record_action(
        actor,
        Role.COMMITTEE,
        "rules.article_add",
        article,
        village=version.village,
        after={"version_id": version.id, "position": position, "title": title, "body": body},
    )
    return article


def edit_article(
    actor: User,
    article: RuleArticle,
    body: str,
    title: str | None = None,
    now: datetime | None = None,
) -> RuleArticle:
    now = _now(now)
    version = article.version
    _require_committee(actor, version.village_id)
    _lock_version(version)
    _require_draft(version)
    body = _article_body(body)
    title = _clean_title(title)
    before = {"title": article.title, "body": article.body}
    article.body, article.title, article.updated_at = body, title, now
    version.updated_at = now
    record_action(
        actor,
        Role.COMMITTEE,
        "rules.article_edit",
        article,
        village=version.village,
        before=before,
        after={"title": title, "body": body},
    )
    return article


def move_article(
    actor: User, article: RuleArticle, position: int, now: datetime | None = None
) -> RuleArticle:
    """Move an article to `position` (1-based); the others close up around it."""
    now = _now(now)
    version = article.version
    _require_committee(actor, version.village_id)
    _lock_version(version)
    _require_draft(version)
    articles = _articles(version)
    if not 1 <= position <= len(articles):
        raise RuleError(_("条文位置无效。"))
    before = article.position
    articles.remove(article)
    articles.insert(position - 1, article)
    _renumber(articles, now)
    version.updated_at = now
    record_action(
        actor,
        Role.COMMITTEE,
        "rules.article_move",
        article,
        village=version.village,
        before={"position": before},
        after={"position": position},
    )
    return article


def remove_article(actor: User, article: RuleArticle, now: datetime | None = None) -> None:
    """Delete an article of a draft: nobody has seen or commented on it yet."""
    now = _now(now)
    version = article.version
    _require_committee(actor, version.village_id)
    _lock_version(version)
    _require_draft(version)
    record_action(
        actor,
        Role.COMMITTEE,
        "rules.article_remove",
        article,
        village=version.village,
        before={"position": article.position, "title": article.title, "body": article.body},
    )
    articles = [a for a in _articles(version) if a.id != article.id]
    db.session.delete(article)
    db.session.flush()
    _renumber(articles, now)
    version.updated_at = now


# --- consultation 征求意见 -------------------------------------------------------


def open_consultation(
    actor: User,
    version: RuleVersion,
    ends_at: datetime | None = None,
    now: datetime | None = None,
) -> RuleVersion:
    """Open the draft for comments, until `ends_at` (default: the village's consultation days)."""
    now = _now(now)
    _require_committee(actor, version.village_id)
    _lock_version(version)
    _require_state(
        version, VersionState.DRAFT, message=_("只有草案可以开始征求意见，这一版本已经开始过了。")
    )
    if not _articles(version):
        raise RuleError(_("草案还没有条文，不能征求意见。"))
    if ends_at is None:
        ends_at = now + timedelta(days=version.village.consultation_days)
    if ends_at <= now:
        raise RuleError(_("征求意见的截止时间必须在现在之后。"))
    version.state = VersionState.CONSULTATION
    version.consultation_opened_at = now
    version.consultation_ends_at = ends_at
    version.updated_at = now
    index_rule_document(version.document)
    record_action(
        actor,
        Role.COMMITTEE,
        "rules.consultation_open",
        version,
        village=version.village,
        before={"state": VersionState.DRAFT.value},
        after={"state": version.state.value, "ends_at": ends_at.isoformat()},
    )
    return version


def consultation_is_open(version: RuleVersion, now: datetime | None = None) -> bool:
    now = _now(now)
    return (
        version.state == VersionState.CONSULTATION
        and version.consultation_ends_at is not None
        and now < version.consultation_ends_at
    )


def add_comment(
    user: User, article: RuleArticle, body: str, now: datetime | None = None
) -> ArticleComment:
    """A verified villager of the village comments on an article during consultation."""
    now = _now(now)
    version = article.version
    if not is_verified_villager(user, version.village_id):
        raise RuleError(_("只有本村已核实的村民可以提意见。"), status=403)
    if not consultation_is_open(version, now):
        raise RuleError(_("这一版本现在不在征求意见期内。"), status=409)
    body = _clean_text(
        body,
        limit=COMMENT_MAX,
        empty=_("请填写意见内容。"),
        too_long=_("意见不能超过%(n)d个字。", n=COMMENT_MAX),
    )
    _check_comment_limits(user, article, body, now)
    comment = ArticleComment(
        article=article, version=version, author=user, body=body, created_at=now
    )
    db.session.add(comment)
    return comment


def _check_comment_limits(user: User, article: RuleArticle, body: str, now: datetime) -> None:
    """Refuse (429) a comment past the person's limits, or the same one again (409)."""
    # PostgreSQL: one person's comments are counted and added one action at a time
    # (SQLite: the caller's BEGIN IMMEDIATE already serialises writers).
    db.session.execute(sa.select(User.id).where(User.id == user.id).with_for_update())
    mine = sa.select(sa.func.count(ArticleComment.id)).where(ArticleComment.author_id == user.id)
    same = db.session.scalar(
        mine.where(ArticleComment.article_id == article.id, ArticleComment.body == body)
    )
    if same:
        raise RuleError(_("这条意见您已经提过了。"), status=409)
    village_id = article.version.village_id
    minute = db.session.scalar(mine.where(ArticleComment.created_at > now - timedelta(minutes=1)))
    if minute >= settings.setting(village_id, "rules.comments_per_minute"):
        raise RuleError(_("您提意见太快了，请过一分钟再提。"), status=429)
    today = db.session.scalar(mine.where(ArticleComment.created_at > now - timedelta(days=1)))
    if today >= settings.setting(village_id, "rules.comments_per_day"):
        raise RuleError(_("您今天已经提了 %(n)d 条意见，请明天再提。", n=today), status=429)


def hide_comment(
    actor: User, comment: ArticleComment, reason: str, now: datetime | None = None
) -> ArticleComment:
    """Hide a comment with a reason; it is kept, never deleted."""
    now = _now(now)
    version = comment.version
    _require_committee(actor, version.village_id)
    reason = _clean_text(
        reason,
        limit=REASON_MAX,
        empty=_("请写明隐藏这条意见的理由。"),
        too_long=_("理由不能超过%(n)d个字。", n=REASON_MAX),
    )
    if comment.hidden_at is not None:
        raise RuleError(_("这条意见已经隐藏了。"))
    comment.hidden_at, comment.hidden_by, comment.hidden_reason = now, actor, reason
    record_action(
        actor,
        Role.COMMITTEE,
        "rules.comment_hide",
        comment,
        village=version.village,
        after={"reason": reason, "article_id": comment.article_id},
    )
    return comment


# --- the assembly vote 村民会议表决 ------------------------------------------------


def announce_vote(
    actor: User,
    version: RuleVersion,
    opens_at: datetime,
    closes_at: datetime,
    tally_visibility: TallyVisibility | str,
    now: datetime | None = None,
) -> RuleVersion:
    """Announce the assembly vote on a version under consultation.

    The opening day must be at least `village.vote_notice_days` calendar days after
    today (Asia/Shanghai), after the notice period of Art. 21, and not before the
    consultation ends. Whether the tally shows while voting is chosen here and is
    fixed from then on. The version stays in consultation until the vote opens.
    """
    now = _now(now)
    _require_committee(actor, version.village_id)
    _lock_version(version)
    _require_state(
        version, VersionState.CONSULTATION, message=_("只有征求意见中的版本可以公告表决。")
    )
    if version.vote_announced_at is not None:
        raise RuleError(_("这一版本的表决已经公告了。"))
    try:
        visibility = TallyVisibility(tally_visibility)
    except ValueError:
        raise RuleError(_("请选择表决期间是否公开计票。")) from None
    notice_days = version.village.vote_notice_days
    if (_local_date(opens_at) - _local_date(now)).days < notice_days:
        raise RuleError(_("表决开始日期至少要在%(n)d天之后（会前公告期）。", n=notice_days))
    if version.consultation_ends_at is not None and opens_at < version.consultation_ends_at:
        raise RuleError(_("表决不能在征求意见结束之前开始。"))
    if closes_at <= opens_at:
        raise RuleError(_("表决结束时间必须晚于开始时间。"))
    version.vote_announced_at = now
    version.vote_opens_at = opens_at
    version.vote_closes_at = closes_at
    version.tally_visibility = visibility
    version.updated_at = now
    record_action(
        actor,
        Role.COMMITTEE,
        "rules.vote_announce",
        version,
        village=version.village,
        after={
            "opens_at": opens_at.isoformat(),
            "closes_at": closes_at.isoformat(),
            "tally_visibility": visibility.value,
        },
    )
    return version


def is_of_voting_age(birth_year: int, opening_year: int) -> bool:
    """Whether someone known only by `birth_year` is certainly 18 or over in `opening_year`.

    Someone born in `opening_year - 18` turns 18 at some day of the opening year,
    perhaps after the vote, so they are not counted: only those whose 18th birthday
    fell in an earlier year are. This never lets a minor vote, at the cost of leaving
    out that one year's cohort; the roll says how many it left out. Where the roster
    has the full birth date, `adult_on` decides instead.
    """
    return birth_year + VOTING_AGE < opening_year


def latest_adult_birth_date(day: date) -> date:
    """The latest birth date of someone who is 18 on `day` (29 February: the 28th)."""
    try:
        return day.replace(year=day.year - VOTING_AGE)
    except ValueError:
        return day.replace(year=day.year - VOTING_AGE, day=28)


def adult_on(birth_date: date | None, birth_year: int, day: date) -> bool:
    """18 or over on `day`: by the birth date where known, else by the year rule."""
    if birth_date is not None:
        return birth_date <= latest_adult_birth_date(day)
    return is_of_voting_age(birth_year, day.year)


def _on_roster_at(opens_at: datetime):
    """Residents on the roster at `opens_at`: entered by then and not gone by that day."""
    opening_day = _local_date(opens_at)
    return sa.and_(
        Resident.created_at <= opens_at,
        sa.or_(Resident.left_on.is_(None), Resident.left_on > opening_day),
    )


def _roll_where(village_id, opens_at: datetime) -> list:
    """Who is on the roll (Organic Law Art. 22): every resident of the village on the
    roster at the opening time and 18 or over on the opening day, account or not."""
    opening_day = _local_date(opens_at)
    return [
        Resident.village_id == village_id,
        _on_roster_at(opens_at),
        sa.or_(
            sa.and_(
                Resident.birth_date.is_not(None),
                Resident.birth_date <= latest_adult_birth_date(opening_day),
            ),
            sa.and_(
                Resident.birth_date.is_(None),
                Resident.birth_year <= opening_day.year - VOTING_AGE - 1,
            ),
        ),
    ]


def roll_query(version: RuleVersion) -> sa.Select:
    """(resident id, household id) of everyone on the roll of `version`'s vote."""
    return (
        sa.select(Resident.id, Resident.household_id)
        .where(*_roll_where(version.village_id, version.vote_opens_at))
        .order_by(Resident.id)
    )


@dataclass(frozen=True)
class RollSize:
    eligible: int
    households: int
    year_rule_left_out: int


def roll_size_at_opening(version: RuleVersion) -> RollSize:
    """The roll's sizes as of the opening time, computed from the roster (no write).

    The households are those with anyone on the roster at the opening time (Art. 22
    counts the village's households, not only those with a voter).
    """
    opens_at = version.vote_opens_at
    opening_day = _local_date(opens_at)
    roll = roll_query(version).order_by(None).subquery()
    eligible = db.session.scalar(sa.select(sa.func.count()).select_from(roll))
    households = db.session.scalar(
        sa.select(sa.func.count(sa.distinct(Resident.household_id))).where(
            Resident.village_id == version.village_id, _on_roster_at(opens_at)
        )
    )
    left_out = db.session.scalar(
        sa.select(sa.func.count()).where(
            Resident.village_id == version.village_id,
            _on_roster_at(opens_at),
            Resident.birth_date.is_(None),
            Resident.birth_year == opening_day.year - VOTING_AGE,
        )
    )
    return RollSize(eligible, households, left_out)


def roll_size(version: RuleVersion) -> RollSize | None:
    """The roll's sizes: as frozen, or (before the first write) as the roster gives them."""
    if version.vote_opens_at is None:
        return None
    if version.roll_frozen:
        return RollSize(
            version.roll_eligible_count or 0,
            version.roll_household_count or 0,
            version.roll_year_rule_left_out or 0,
        )
    return roll_size_at_opening(version)


def online_voters(version: RuleVersion) -> int:
    """How many on the roll have a verified account and so may vote online."""
    if version.vote_opens_at is None:
        return 0
    if version.roll_frozen:
        on_roll = sa.select(VoteEligibility.resident_id).where(
            VoteEligibility.version_id == version.id
        )
    else:
        on_roll = roll_query(version).with_only_columns(Resident.id).order_by(None)
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(User)
        .where(User.status == RegistrationStatus.VERIFIED, User.resident_id.in_(on_roll))
    )


def freeze_roll_if_due(version: RuleVersion, now: datetime | None = None) -> bool:
    """Freeze the roll of a vote whose opening time has come; True if this call froze it.

    Called by the first write that needs the roll (a ballot, a paper ballot, closing)
    and by `flask tick`; never by a page view. The roll (`VoteEligibility`) is built as
    of the opening time, whenever the freeze happens, so its content does not depend on
    who wrote first. The household count and the quorum mode are fixed with it. Safe to
    call concurrently: the version's row lock (PostgreSQL) or the write lock (SQLite)
    lets one caller freeze it, and the others see it frozen.
    """
    now = _now(now)
    if (
        version.roll_frozen
        or version.state != VersionState.CONSULTATION
        or version.vote_opens_at is None
        or now < version.vote_opens_at
    ):
        return False
    _lock_version(version)
    if version.state != VersionState.CONSULTATION or version.roll_frozen:
        return False
    size = roll_size_at_opening(version)
    db.session.execute(
        sa.insert(VoteEligibility).from_select(
            ["version_id", "resident_id", "household_id"],
            sa.select(sa.literal(version.id, sa.Integer), Resident.id, Resident.household_id).where(
                *_roll_where(version.village_id, version.vote_opens_at)
            ),
        )
    )
    version.state = VersionState.VOTING
    version.vote_opened_at = now
    version.quorum_mode = version.village.quorum_mode
    version.roll_eligible_count = size.eligible
    version.roll_household_count = size.households
    version.roll_year_rule_left_out = size.year_rule_left_out
    version.updated_at = now
    record_action(
        None,
        "system",
        "rules.vote_open",
        version,
        village=version.village,
        after={
            "eligible": size.eligible,
            "households": size.households,
            "year_rule_left_out": size.year_rule_left_out,
            "quorum_mode": version.quorum_mode.value,
        },
    )
    return True


def freeze_due_rolls(now: datetime | None = None) -> int:
    """`flask tick`: freeze the roll of every vote whose opening time has come.

    Each vote is its own unit of work, so one village's vote does not wait for
    another's. Idempotent: a roll already frozen is left alone.
    """
    from portal.actions import unit_of_work

    now = _now(now)
    due = db.session.scalars(
        sa.select(RuleVersion.id).where(
            RuleVersion.state == VersionState.CONSULTATION,
            RuleVersion.vote_opened_at.is_(None),
            RuleVersion.vote_opens_at.is_not(None),
            RuleVersion.vote_opens_at <= now,
        )
    ).all()
    db.session.rollback()
    frozen = 0
    for version_id in due:
        with unit_of_work():
            version = db.session.get(RuleVersion, version_id)
            if version is not None and freeze_roll_if_due(version, now):
                frozen += 1
    return frozen


def vote_is_open(version: RuleVersion, now: datetime | None = None) -> bool:
    """Whether villagers may cast or change a ballot now."""
    return vote_phase(version, _now(now)) == VotePhase.OPEN


_RESIDENT_ID = sa.bindparam("resident_id", type_=sa.Integer)
_ELIGIBILITY = sa.select(VoteEligibility).where(
    VoteEligibility.version_id == sa.bindparam("version_id", type_=sa.Integer),
    VoteEligibility.resident_id == _RESIDENT_ID,
)
_BALLOT_OF = sa.select(Ballot).where(
    Ballot.version_id == sa.bindparam("version_id", type_=sa.Integer),
    Ballot.resident_id == _RESIDENT_ID,
)


def eligibility(version: RuleVersion, resident_id: int) -> VoteEligibility | None:
    return db.session.scalar(_ELIGIBILITY, {"version_id": version.id, "resident_id": resident_id})


def on_roll(version: RuleVersion, resident_id: int) -> bool:
    """Whether a resident is on the roll: the frozen row, or the roster as of opening."""
    if version.vote_opens_at is None:
        return False
    if version.roll_frozen:
        return eligibility(version, resident_id) is not None
    query = roll_query(version).where(Resident.id == resident_id).order_by(None)
    return db.session.execute(query.limit(1)).first() is not None


def ballot_of(version: RuleVersion, resident_id: int) -> Ballot | None:
    return db.session.scalar(_BALLOT_OF, {"version_id": version.id, "resident_id": resident_id})


# The resident's roll row and their ballot, if any, in one statement; the roll row locked.
_ROLL_ROW_AND_BALLOT = (
    sa.select(VoteEligibility, Ballot)
    .outerjoin(
        Ballot,
        sa.and_(
            Ballot.version_id == VoteEligibility.version_id,
            Ballot.resident_id == VoteEligibility.resident_id,
        ),
    )
    .where(
        VoteEligibility.version_id == sa.bindparam("version_id", type_=sa.Integer),
        VoteEligibility.resident_id == _RESIDENT_ID,
    )
    .with_for_update(of=VoteEligibility)
    .execution_options(populate_existing=True)
)


def _lock_roll_row(
    version: RuleVersion, resident_id: int
) -> tuple[VoteEligibility | None, Ballot | None]:
    """The resident's roll row, locked so one resident's ballots are written one at a time,
    and their ballot as it stands under that lock (None for either that is not there)."""
    row = db.session.execute(
        _ROLL_ROW_AND_BALLOT, {"version_id": version.id, "resident_id": resident_id}
    ).first()
    return (row[0], row[1]) if row else (None, None)


_VERSION_COLUMNS = [column.key for column in sa.inspect(RuleVersion).column_attrs]


def _ready_to_take_ballots(version: RuleVersion, now: datetime) -> None:
    """The start of every ballot: the write transaction, the roll frozen if due, and the
    version re-read as it now stands."""
    write_transaction()
    if not freeze_roll_if_due(version, now):
        db.session.flush()
        # Its own columns only: the document and village it hangs on stay as loaded.
        db.session.refresh(version, _VERSION_COLUMNS)


def not_on_roll_message(version: RuleVersion, resident: Resident | None = None) -> str:
    """Why `resident` is not on the roll of `version`'s vote, in words for them.

    The real reason where the roster tells it: under 18 on the opening day (by the birth
    date, or only the birth year known), or put on the roster after the roll was fixed
    (a villager verified since the vote opened). Each names its day.
    """
    opens_at = version.vote_opens_at
    opening_day = _local_date(opens_at)
    day = format_date(opening_day)
    if resident is not None:
        if resident.created_at > opens_at:
            return _(
                "您不在本次表决的名单上：名单在表决开始时（%(time)s）就确定了，"
                "您是在那以后才登记为本村村民的。以后的表决，名单按那时的花名册确定。",
                time=format_datetime(opens_at),
            )
        if not adult_on(resident.birth_date, resident.birth_year, opening_day):
            if resident.birth_date is None and (
                resident.birth_year == opening_day.year - VOTING_AGE
            ):
                return _(
                    "您不在本次表决的名单上：名单只含表决开始那天（%(date)s）年满十八周岁的村民。"
                    "花名册上只有您的出生年份，看不出您那天是否已满十八周岁；"
                    "请村委会补登您的出生日期，以后的表决就不会漏掉您。",
                    date=day,
                )
            return _(
                "您不在本次表决的名单上：名单只含表决开始那天（%(date)s）年满十八周岁的村民，"
                "您那天还不满十八周岁。",
                date=day,
            )
    return _(
        "您不在本次表决的名单上：名单在表决开始时（%(time)s）确定，"
        "只含当时在本村花名册上、那天（%(date)s）年满十八周岁的村民。",
        time=format_datetime(opens_at),
        date=day,
    )


@dataclass(frozen=True)
class CastOutcome:
    ballot: Ballot
    changed: bool  # True when an earlier ballot was changed, False for a first ballot


def cast_ballot(
    version: RuleVersion, user: User, choice, now: datetime | None = None
) -> CastOutcome:
    """Cast, or change, a villager's online ballot while the vote is open.

    Online voting needs a verified account linked to a resident on the roll. A second
    cast changes the first ballot in place ("change my vote"): there is never a second
    row. Two casts at once for one resident meet at the roll row's lock (PostgreSQL) or
    the write lock (SQLite), and the unique constraint stands behind them.
    """
    now = _now(now)
    choice = _parse_choice(choice)
    if not is_verified_villager(user, version.village_id):
        raise RuleError(_("只有本村已核实的村民可以投票。"), status=403)
    _ready_to_take_ballots(version, now)
    if not vote_is_open(version, now):
        raise RuleError(_("现在不在表决时间内。"), status=409)
    resident_id = user.resident_id
    on_the_roll, existing = _lock_roll_row(version, resident_id)
    if on_the_roll is None:
        raise RuleError(not_on_roll_message(version, user.resident), status=403)
    if existing is None:
        # The roll row's lock lets one of this resident's casts through at a time, but
        # the ballot read with it is as of the statement's start: one cast that waited
        # for the lock may not see the ballot the cast before it wrote. The insert gives
        # way to that ballot, and this cast changes it instead.
        values = {
            "version_id": version.id,
            "resident_id": resident_id,
            "choice": choice,
            "channel": BallotChannel.ONLINE,
            "cast_by_id": user.id,
            "cast_at": now,
        }
        ballot = db.session.scalars(
            database.insert(Ballot)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["version_id", "resident_id"])
            .returning(Ballot)
        ).first()
        if ballot is not None:
            return CastOutcome(ballot, changed=False)
        existing = ballot_of(version, resident_id)
    if existing.channel == BallotChannel.PAPER:
        raise RuleError(_("你的纸质选票已由村委会录入，不能在网上更改。"), status=403)
    existing.choice = choice
    existing.changed_at = now
    existing.cast_by_id = user.id
    return CastOutcome(existing, changed=True)


def find_roll_residents(version: RuleVersion, query: str, limit: int = 20) -> list[Resident]:
    """Residents on the roll whose name or door number contains `query`, for paper entry."""
    text = (query or "").strip()
    if not text or version.vote_opens_at is None:
        return []
    pattern = f"%{escape_like(text)}%"
    select = sa.select(Resident).join(Household, Household.id == Resident.household_id)
    if version.roll_frozen:
        select = select.join(VoteEligibility, VoteEligibility.resident_id == Resident.id).where(
            VoteEligibility.version_id == version.id
        )
    else:
        select = select.where(*_roll_where(version.village_id, version.vote_opens_at))
    return list(
        db.session.scalars(
            select.where(
                Household.village_id == version.village_id,
                sa.or_(
                    Resident.name.like(pattern, escape="\\"),
                    Household.door_number.like(pattern, escape="\\"),
                ),
            )
            .order_by(sa.func.length(Household.door_number), Household.door_number, Resident.id)
            .limit(limit)
        )
    )


def enter_paper_ballot(
    clerk: User, version: RuleVersion, resident: Resident, choice, now: datetime | None = None
) -> Ballot:
    """A committee clerk enters a paper ballot of the assembly.

    Accepted from the opening of the vote until it is closed (after `closes_at` too,
    since the assembly's ballots are entered after the assembly). Refused if the
    resident is not on the roll or already has a ballot, online or on paper.
    """
    now = _now(now)
    choice = _parse_choice(choice)
    _require_committee(clerk, version.village_id)
    _ready_to_take_ballots(version, now)
    if vote_phase(version, now) not in (VotePhase.OPEN, VotePhase.ENDED):
        raise RuleError(_("这次表决现在不能录入纸质选票。"))
    on_the_roll, existing = (
        _lock_roll_row(version, resident.id)
        if resident.village_id == version.village_id
        else (None, None)
    )
    if on_the_roll is None:
        raise RuleError(_("%(name)s不在本次表决的名单上，不能录入选票。", name=resident.name))
    if existing is not None:
        raise _already_voted(resident, existing)
    ballot = Ballot(
        version_id=version.id,
        resident_id=resident.id,
        choice=choice,
        channel=BallotChannel.PAPER,
        cast_by_id=clerk.id,
        cast_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(ballot)
    except sa.exc.IntegrityError:
        raise _already_voted(resident, ballot_of(version, resident.id)) from None
    record_action(
        clerk,
        Role.COMMITTEE,
        "rules.paper_ballot",
        ballot,
        village=version.village,
        after={"version_id": version.id, "resident_id": resident.id, "choice": choice.value},
    )
    return ballot


def _already_voted(resident: Resident, ballot: Ballot | None) -> RuleError:
    if ballot is not None and ballot.channel == BallotChannel.ONLINE:
        return RuleError(_("%(name)s已经在网上投过票，不能再录入纸质选票。", name=resident.name))
    return RuleError(_("%(name)s的纸质选票已经录入过了。", name=resident.name))


@dataclass(frozen=True)
class Turnout:
    eligible: int
    voted: int
    households: int
    households_represented: int
    # Of the eligible, how many have a verified account and may vote online; the rest
    # vote on paper at the assembly.
    online_capable: int = 0
    # Residents known only by a birth year who may have turned 18 after the opening day.
    year_rule_left_out: int = 0

    @property
    def percent(self) -> int:
        return self.voted * 100 // self.eligible if self.eligible else 0

    @property
    def paper_only(self) -> int:
        return max(self.eligible - self.online_capable, 0)


@dataclass(frozen=True)
class Tally:
    yes: int
    no: int
    abstain: int
    online: int
    paper: int

    @property
    def turnout(self) -> int:
        return self.yes + self.no + self.abstain


# The live counts, built once: every view of an open vote (and its 30-second poll) runs
# them, and building a statement costs more than counting one village's ballots.
_VERSION_ID = sa.bindparam("version_id", type_=sa.Integer)
_BALLOTS_CAST = (
    sa.select(sa.func.count()).select_from(Ballot).where(Ballot.version_id == _VERSION_ID)
)
_HOUSEHOLDS_REPRESENTED = (
    sa.select(sa.func.count(sa.distinct(VoteEligibility.household_id)))
    .select_from(VoteEligibility)
    .join(
        Ballot,
        sa.and_(
            Ballot.version_id == VoteEligibility.version_id,
            Ballot.resident_id == VoteEligibility.resident_id,
        ),
    )
    .where(VoteEligibility.version_id == _VERSION_ID)
)
_BALLOTS_BY_CHOICE_AND_CHANNEL = (
    sa.select(Ballot.choice, Ballot.channel, sa.func.count())
    .where(Ballot.version_id == _VERSION_ID)
    .group_by(Ballot.choice, Ballot.channel)
)


_ONLINE_CAPABLE = (
    sa.select(sa.func.count())
    .select_from(VoteEligibility)
    .join(User, User.resident_id == VoteEligibility.resident_id)
    .where(VoteEligibility.version_id == _VERSION_ID, User.status == RegistrationStatus.VERIFIED)
    .scalar_subquery()
)
# Ballots cast, households represented and online-capable voters of a frozen roll: one
# statement for every view of an open vote.
_LIVE_COUNTS = sa.select(
    _BALLOTS_CAST.scalar_subquery(), _HOUSEHOLDS_REPRESENTED.scalar_subquery(), _ONLINE_CAPABLE
)


def _counted(*where) -> sa.Label:
    return sa.func.count().filter(*where)


_BY_CHOICE_AND_CHANNEL = (
    sa.select(
        sa.func.count().label("cast"),
        _counted(Ballot.choice == BallotChoice.YES).label("yes"),
        _counted(Ballot.choice == BallotChoice.NO).label("no"),
        _counted(Ballot.choice == BallotChoice.ABSTAIN).label("abstain"),
        _counted(Ballot.channel == BallotChannel.ONLINE).label("online"),
        _counted(Ballot.channel == BallotChannel.PAPER).label("paper"),
    )
    .where(Ballot.version_id == _VERSION_ID)
    .subquery()
)
# The live counts and the tally by choice and channel of a frozen roll, in one statement:
# what a ballot's answer shows (the tally is only shown where it is live).
_LIVE_COUNTS_AND_TALLY = sa.select(
    *_BY_CHOICE_AND_CHANNEL.c,
    _HOUSEHOLDS_REPRESENTED.scalar_subquery(),
    _ONLINE_CAPABLE,
)


def turnout(version: RuleVersion, now: datetime | None = None) -> Turnout:
    """Who has taken part so far: always public. Before the vote opens, all zero.

    Between the opening time and the roll's freeze (no ballot yet), the roll's sizes
    come from the roster as of the opening time, which is what the freeze will write.
    """
    if version.result is not None:
        r = version.result
        return Turnout(
            r.eligible_count,
            r.turnout,
            r.household_count,
            r.households_represented,
            year_rule_left_out=version.roll_year_rule_left_out or 0,
        )
    if not version.roll_frozen:
        if vote_phase(version, _now(now)) in (VotePhase.NONE, VotePhase.ANNOUNCED):
            return Turnout(0, 0, 0, 0)
        size = roll_size_at_opening(version)
        return Turnout(
            size.eligible,
            0,
            size.households,
            0,
            online_capable=online_voters(version),
            year_rule_left_out=size.year_rule_left_out,
        )
    voted, represented, online = db.session.execute(_LIVE_COUNTS, {"version_id": version.id}).one()
    return _frozen_roll_turnout(version, voted, represented, online)


def _frozen_roll_turnout(
    version: RuleVersion, voted: int, represented: int, online: int
) -> Turnout:
    """The turnout of a live vote: the frozen roll's sizes and what has been counted."""
    return Turnout(
        version.roll_eligible_count or 0,
        voted,
        version.roll_household_count or 0,
        represented,
        online_capable=online,
        year_rule_left_out=version.roll_year_rule_left_out or 0,
    )


def counts(version: RuleVersion, now: datetime | None = None) -> tuple[Turnout, Tally | None]:
    """`turnout` and `tally` together; one statement while the vote is live."""
    if version.result is not None or not version.roll_frozen:
        return turnout(version, now), tally(version)
    row = db.session.execute(_LIVE_COUNTS_AND_TALLY, {"version_id": version.id}).one()
    cast, yes, no, abstain, online, paper, represented, online_capable = row
    return (
        _frozen_roll_turnout(version, cast, represented, online_capable),
        Tally(yes, no, abstain, online, paper) if tally_is_visible(version) else None,
    )


def _households_represented(version: RuleVersion) -> int:
    """Households with at least one member on the roll who has cast a ballot."""
    return db.session.scalar(_HOUSEHOLDS_REPRESENTED, {"version_id": version.id})


def tally_is_visible(version: RuleVersion) -> bool:
    return version.result is not None or version.tally_visibility == TallyVisibility.LIVE


def tally(version: RuleVersion) -> Tally | None:
    """Yes / no / abstain and by channel: only if the tally is live, or the vote has closed."""
    if version.result is not None:
        r = version.result
        return Tally(r.yes_count, r.no_count, r.abstain_count, r.online_count, r.paper_count)
    if not tally_is_visible(version):
        return None
    if not version.roll_frozen:
        opened = vote_phase(version, clock.now()) in (VotePhase.OPEN, VotePhase.ENDED)
        return Tally(0, 0, 0, 0, 0) if opened else None
    return _count(version)


def _count(version: RuleVersion) -> Tally:
    rows = db.session.execute(_BALLOTS_BY_CHOICE_AND_CHANNEL, {"version_id": version.id}).all()
    by_choice = {c: 0 for c in BallotChoice}
    by_channel = {c: 0 for c in BallotChannel}
    for choice, channel, n in rows:
        by_choice[choice] += n
        by_channel[channel] += n
    return Tally(
        by_choice[BallotChoice.YES],
        by_choice[BallotChoice.NO],
        by_choice[BallotChoice.ABSTAIN],
        by_channel[BallotChannel.ONLINE],
        by_channel[BallotChannel.PAPER],
    )


def quorum_met(
    mode: QuorumMode, *, eligible: int, turnout: int, households: int, represented: int
) -> bool:
    """Organic Law Art. 22: over half of the villagers aged 18+, or two thirds of households."""
    if mode == QuorumMode.HOUSEHOLDS:
        return households > 0 and represented * 3 >= households * 2
    return turnout * 2 > eligible


def passes(*, yes: int, turnout: int) -> bool:
    """More than half of those taking part vote yes; an abstention takes part but is not yes."""
    return yes * 2 > turnout


def close_vote(actor: User, version: RuleVersion, now: datetime | None = None) -> VoteResult:
    """Close the vote after its window, computing and freezing the result once.

    Adopted: the previous adopted version of the document becomes superseded.
    Rejected: the rules in force stay as they are.
    """
    now = _now(now)
    _require_committee(actor, version.village_id)
    write_transaction()
    freeze_roll_if_due(version, now)
    _lock_version(version)
    if version.result is not None:
        raise RuleError(_("这次表决已经结束，结果已经公布。"))
    _require_state(version, VersionState.VOTING, message=_("这一版本没有正在进行的表决。"))
    if now < version.vote_closes_at:
        raise RuleError(_("表决时间还没有结束，不能提前结束表决。"))
    counted = _count(version)
    represented = _households_represented(version)
    eligible = version.roll_eligible_count or 0
    households = version.roll_household_count or 0
    met = quorum_met(
        version.quorum_mode,
        eligible=eligible,
        turnout=counted.turnout,
        households=households,
        represented=represented,
    )
    passed = met and passes(yes=counted.yes, turnout=counted.turnout)
    result = VoteResult(
        version=version,
        quorum_mode=version.quorum_mode,
        eligible_count=eligible,
        household_count=households,
        households_represented=represented,
        yes_count=counted.yes,
        no_count=counted.no,
        abstain_count=counted.abstain,
        online_count=counted.online,
        paper_count=counted.paper,
        quorum_met=met,
        passed=passed,
        closed_at=now,
        closed_by=actor,
    )
    db.session.add(result)
    if passed:
        previous = db.session.scalars(
            sa.select(RuleVersion).where(
                RuleVersion.document_id == version.document_id,
                RuleVersion.state == VersionState.ADOPTED,
                RuleVersion.id != version.id,
            )
        ).all()
        for old in previous:
            old.state = VersionState.SUPERSEDED
            old.superseded_at = now
            old.updated_at = now
        version.state = VersionState.ADOPTED
        version.adopted_at = now
    else:
        version.state = VersionState.REJECTED
    version.updated_at = now
    record_action(
        actor,
        Role.COMMITTEE,
        "rules.vote_close",
        version,
        village=version.village,
        before={"state": VersionState.VOTING.value},
        after={
            "state": version.state.value,
            "eligible": eligible,
            "turnout": counted.turnout,
            "yes": counted.yes,
            "quorum_met": met,
            "passed": passed,
        },
    )
    index_rule_document(version.document)
    post_decision_notice(actor, result, now)
    return result


def post_decision_notice(actor: User, result: VoteResult, now: datetime) -> None:
    """Post the result as an assembly-decision notice 会议决定, in the closing transaction."""
    from portal.notices.services import post_assembly_decision

    figures = assembly_decision_summary(result)
    verdict = _("通过") if figures["passed"] else _("未通过")
    quorum = _("达到") if figures["quorum_met"] else _("未达到")
    title = _(
        "村民会议表决结果：%(title)s（第 %(number)s 版）%(verdict)s",
        title=figures["document_title"],
        number=figures["version_number"],
        verdict=verdict,
    )
    body = "\n\n".join(
        [
            _(
                "《%(title)s》第 %(number)s 版的表决已于 %(closed)s 结束，结果%(verdict)s。",
                title=figures["document_title"],
                number=figures["version_number"],
                closed=format_datetime(figures["closed_at"]),
                verdict=verdict,
            ),
            _(
                "有表决权的村民 %(eligible)s 人，参加表决 %(turnout)s 人；全村 %(households)s 户，"
                "有 %(represented)s 户参加。到会人数%(quorum)s法定要求。",
                eligible=figures["eligible"],
                turnout=figures["turnout"],
                households=figures["households"],
                represented=figures["households_represented"],
                quorum=quorum,
            ),
            _(
                "赞成 %(yes)s 票，反对 %(no)s 票，弃权 %(abstain)s 票；其中网上投票 %(online)s 票，"
                "纸质选票 %(paper)s 票。",
                yes=figures["yes"],
                no=figures["no"],
                abstain=figures["abstain"],
                online=figures["online"],
                paper=figures["paper"],
            ),
        ]
    )
    post_assembly_decision(result.version.village, title, body, actor=actor, now=now)


def assembly_decision_summary(result: VoteResult) -> dict:
    """The figures of a closed vote, as the assembly-decision notice 会议决定 posts them."""
    version = result.version
    return {
        "village_id": version.village_id,
        "document_id": version.document_id,
        "document_title": version.document.title,
        "version_id": version.id,
        "version_number": version.number,
        "opens_at": version.vote_opens_at,
        "closes_at": version.vote_closes_at,
        "closed_at": result.closed_at,
        "quorum_mode": result.quorum_mode,
        "eligible": result.eligible_count,
        "households": result.household_count,
        "households_represented": result.households_represented,
        "turnout": result.turnout,
        "yes": result.yes_count,
        "no": result.no_count,
        "abstain": result.abstain_count,
        "online": result.online_count,
        "paper": result.paper_count,
        "quorum_met": result.quorum_met,
        "passed": result.passed,
    }


# --- filing 备案 with the town ------------------------------------------------------


def submit_filing(actor: User, version: RuleVersion, now: datetime | None = None) -> RuleFiling:
    """Send the adopted version to the town for filing; once per version."""
    now = _now(now)
    _require_committee(actor, version.village_id)
    _lock_version(version)
    _require_state(version, VersionState.ADOPTED, message=_("只有现行有效的版本可以报镇街备案。"))
    existing = db.session.scalar(sa.select(RuleFiling).where(RuleFiling.version_id == version.id))
    if existing is not None:
        if existing.state == FilingState.RETURNED:
            raise RuleError(_("这一版本已被镇街退回修改，请起草修订版本，表决通过后再报备案。"))
        raise RuleError(_("这一版本已经报送镇街备案了。"))
    filing = RuleFiling(
        version=version,
        village_id=version.village_id,
        town_id=version.village.town_id,
        state=FilingState.PENDING,
        submitted_by=actor,
        submitted_at=now,
    )
    db.session.add(filing)
    record_action(
        actor,
        Role.COMMITTEE,
        "rules.filing_submit",
        filing,
        village=version.village,
        after={"version_id": version.id, "state": FilingState.PENDING.value},
    )
    return filing


# 备案 filing with the town: pending → filed | returned for correction.
FILING_LIFECYCLE = Lifecycle(
    "rules",
    RuleFiling,
    transitions=[
        Transition("filing_filed", (FilingState.PENDING,), FilingState.FILED, ("decided_at",)),
        Transition(
            "filing_returned", (FilingState.PENDING,), FilingState.RETURNED, ("decided_at",)
        ),
    ],
    snapshot=lambda filing: {"state": filing.state.value},
    default_refusal=lambda: _("这份备案已经办理过了。"),
    refusal_status=422,
    error=RuleError,
)


def _decide_filing(
    official: User, filing: RuleFiling, state: FilingState, reason: str | None, now: datetime
) -> RuleFiling:
    village = filing.village
    _require_town_official(official, village)
    return FILING_LIFECYCLE.move(
        f"filing_{state.value}",
        filing,
        actor=official,
        role=Role.TOWN_OFFICIAL,
        village=village,
        now=now,
        changes={"reason": reason, "decided_by": official},
        after={"reason": reason},
    )


def file_rule(official: User, filing: RuleFiling, now: datetime | None = None) -> RuleFiling:
    """The town records the rule as filed 已备案."""
    return _decide_filing(official, filing, FilingState.FILED, None, _now(now))


def return_for_correction(
    official: User, filing: RuleFiling, reason: str, now: datetime | None = None
) -> RuleFiling:
    """The town returns the rule for correction, saying why (e.g. a fine, or a right infringed)."""
    reason = _clean_text(
        reason,
        limit=FILING_REASON_MAX,
        empty=_("请写明退回修改的理由。"),
        too_long=_("理由不能超过%(n)d个字。", n=FILING_REASON_MAX),
    )
    return _decide_filing(official, filing, FilingState.RETURNED, reason, _now(now))
