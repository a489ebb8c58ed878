"""The rules of 村务公开: drafting, publishing, archiving, pinning, corrections, readers.

Every function changes the session and the caller commits, once per user action, so
an assembly decision can be posted in the same transaction as the vote that made it.
Every committee action adds its action-log row to that transaction (DESIGN.md 2.6).
Refusals raise `NoticeError` with a message for the person who asked.

Nothing published is deleted or edited: a correction is a new published notice that
points at the one it corrects (`publish_correction`).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import defer

from portal import clock
from portal.actions import Refusal
from portal.audit.services import record_action
from portal.auth.access import require_committee
from portal.auth.models import Role, User
from portal.extensions import db
from portal.notices import schedule
from portal.notices.markdown import render_markdown
from portal.notices.models import (
    BODY_MAX,
    TITLE_MAX,
    DisclosureItem,
    Notice,
    NoticeCategory,
    NoticeRead,
    NoticeState,
)
from portal.search.services import index_notice
from portal.transitions import Lifecycle, Transition
from portal.villages.models import Village

PER_PAGE = 20
HOME_LIMIT = 5
FEED_LIMIT = 50


class NoticeError(Refusal):
    """An action on a notice refused; `field` names the form field the message belongs to."""


# --- checks -----------------------------------------------------------------------


def _now(now: datetime | None) -> datetime:
    return now if now is not None else clock.now()


def _require_committee(user: User, village_id: int) -> None:
    require_committee(user, village_id, NoticeError)


def _clean_title(title: str | None) -> str:
    text = (title or "").strip()
    if not text:
        raise NoticeError(_("请填写标题。"), field="title", status=422)
    if len(text) > TITLE_MAX:
        raise NoticeError(_("标题最多 %(max)d 个字。", max=TITLE_MAX), field="title", status=422)
    return text


def _clean_body(body: str | None) -> str:
    text = (body or "").replace("\r\n", "\n").strip()
    if not text:
        raise NoticeError(_("请填写正文。"), field="body", status=422)
    if len(text) > BODY_MAX:
        raise NoticeError(_("正文最多 %(max)d 个字。", max=BODY_MAX), field="body", status=422)
    return text


def _clean_category(category) -> NoticeCategory:
    try:
        return NoticeCategory(category)
    except ValueError:
        raise NoticeError(_("请选择公开的类别。"), field="category", status=422) from None


def _lock(notice: Notice) -> Notice:
    """Lock the notice's row (PostgreSQL; on SQLite the write transaction holds the
    database) and re-read it, so two committee members cannot both move it."""
    return NOTICE_LIFECYCLE.lock(notice)


def _render(body: str) -> str:
    return render_markdown(body, table_label=_("公告中的表格"))


def _snapshot(notice: Notice) -> dict:
    return {
        "state": notice.state.value,
        "category": notice.category.value,
        "title": notice.title,
        "pinned": notice.pinned,
    }


# 村务公开's lifecycle: draft → published → archived; nothing published is deleted.
NOTICE_LIFECYCLE = Lifecycle(
    "notice",
    Notice,
    transitions=[
        Transition(
            "publish",
            (NoticeState.DRAFT,),
            NoticeState.PUBLISHED,
            stamps=("published_at", "updated_at"),
            refusals={
                NoticeState.PUBLISHED: lambda: _("这条公告已经发布了。"),
                NoticeState.ARCHIVED: lambda: _(
                    "已归档的公告不能再发布；如需重新公开，请发布一条新公告。"
                ),
            },
        ),
        Transition(
            "archive",
            (NoticeState.PUBLISHED,),
            NoticeState.ARCHIVED,
            stamps=("archived_at", "updated_at"),
            refusals={
                NoticeState.DRAFT: lambda: _("只有已发布的公告可以归档。"),
                NoticeState.ARCHIVED: lambda: _("只有已发布的公告可以归档。"),
            },
        ),
    ],
    snapshot=lambda notice: _snapshot(notice),
    error=NoticeError,
)


# --- the committee's actions --------------------------------------------------------


def _clean_covers(village_id: int, covers, now: datetime) -> list:
    """The schedule periods a draft is marked as making public (see portal/notices/schedule.py)."""
    if not covers:
        return []
    items = list(
        db.session.scalars(sa.select(DisclosureItem).where(DisclosureItem.village_id == village_id))
    )
    return schedule.clean_covers(items, covers, schedule.local_date(now))


def create_draft(
    actor: User,
    village: Village,
    *,
    category,
    title: str,
    body: str,
    covers=None,
    now: datetime | None = None,
) -> Notice:
    """A new draft; `covers` names the schedule periods it makes public, if the committee
    says so (else it counts by its category and date once published)."""
    _require_committee(actor, village.id)
    now = _now(now)
    text = _clean_body(body)
    marks = _clean_covers(village.id, covers, now)
    notice = Notice(
        village=village,
        category=_clean_category(category),
        title=_clean_title(title),
        body=text,
        body_html=_render(text),
        state=NoticeState.DRAFT,
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    db.session.add(notice)
    after = _snapshot(notice)
    if marks:
        after["covers"] = schedule.mark_notice(notice, marks)
    record_action(actor, Role.COMMITTEE, "notice.create", notice, village=village, after=after)
    return notice


def edit_draft(
    actor: User,
    notice: Notice,
    *,
    category,
    title: str,
    body: str,
    covers=None,
    now: datetime | None = None,
) -> Notice:
    """Change a draft. A published notice is never edited: publish a correction.
    `covers`, when given, replaces the schedule periods the draft is marked for."""
    _require_committee(actor, notice.village_id)
    _lock(notice)
    if not notice.is_draft:
        raise NoticeError(_("已发布的公告不能修改；如有错误，请发布更正公告。"))
    now = _now(now)
    before = _snapshot(notice)
    if covers is not None:
        marks = _clean_covers(notice.village_id, covers, now)
        before["covers"] = [schedule.cover_value(*mark) for mark in schedule.marks_of(notice)]
    text = _clean_body(body)
    notice.category = _clean_category(category)
    notice.title = _clean_title(title)
    if text != notice.body:
        notice.body = text
        notice.body_html = _render(text)
    notice.updated_at = now
    after = _snapshot(notice)
    if covers is not None:
        after["covers"] = schedule.mark_notice(notice, marks)
    record_action(
        actor,
        Role.COMMITTEE,
        "notice.edit",
        notice,
        village=notice.village,
        before=before,
        after=after,
    )
    return notice


def publish(actor: User, notice: Notice, now: datetime | None = None) -> Notice:
    """Draft → published."""
    _require_committee(actor, notice.village_id)
    now = _now(now)
    NOTICE_LIFECYCLE.move(
        "publish",
        notice,
        actor=actor,
        role=Role.COMMITTEE,
        village=notice.village,
        now=now,
        changes={"published_by": actor},
    )
    index_notice(notice)
    return notice


def _publish(notice: Notice, actor: User | None, now: datetime) -> None:
    """A notice published the moment it is made (a correction, an assembly decision)."""
    notice.state = NoticeState.PUBLISHED
    notice.published_at = now
    notice.published_by = actor
    notice.updated_at = now


def archive(actor: User, notice: Notice, now: datetime | None = None) -> Notice:
    """Published → archived: off the lists, still readable at its address. Unpins it."""
    _require_committee(actor, notice.village_id)
    NOTICE_LIFECYCLE.move(
        "archive",
        notice,
        actor=actor,
        role=Role.COMMITTEE,
        village=notice.village,
        now=_now(now),
        changes={"pinned": False},
    )
    index_notice(notice)
    return notice


def set_pinned(actor: User, notice: Notice, pinned: bool, now: datetime | None = None) -> Notice:
    """Pin a published notice to the top of the list and the village home, or unpin it."""
    _require_committee(actor, notice.village_id)
    _lock(notice)
    if pinned and notice.state != NoticeState.PUBLISHED:
        raise NoticeError(_("只有已发布的公告可以置顶。"))
    if notice.pinned == pinned:
        return notice
    notice.pinned = pinned
    notice.updated_at = _now(now)
    record_action(
        actor,
        Role.COMMITTEE,
        "notice.pin" if pinned else "notice.unpin",
        notice,
        village=notice.village,
        before={"pinned": not pinned},
        after={"pinned": pinned},
    )
    return notice


def publish_correction(
    actor: User,
    original: Notice,
    *,
    title: str,
    body: str,
    category=None,
    now: datetime | None = None,
) -> Notice:
    """更正: publish a new notice that corrects `original`; the original stays as it was,
    and both pages link to each other. A pinned original hands its pin to the correction."""
    _require_committee(actor, original.village_id)
    _lock(original)
    if not original.is_public:
        raise NoticeError(_("草稿不需要更正，直接修改即可。"))
    now = _now(now)
    text = _clean_body(body)
    correction = Notice(
        village_id=original.village_id,
        category=_clean_category(category if category is not None else original.category),
        title=_clean_title(title),
        body=text,
        body_html=_render(text),
        corrects=original,
        created_by=actor,
        created_at=now,
        pinned=original.pinned and original.state == NoticeState.PUBLISHED,
    )
    _publish(correction, actor, now)
    db.session.add(correction)
    index_notice(correction)
    if original.pinned:
        original.pinned = False
        original.updated_at = now
    record_action(
        actor,
        Role.COMMITTEE,
        "notice.correct",
        correction,
        village=original.village,
        after={**_snapshot(correction), "corrects": original.id},
    )
    return correction


def post_assembly_decision(
    village: Village,
    title: str,
    body: str,
    *,
    actor: User | None = None,
    now: datetime | None = None,
) -> Notice:
    """会议决定: publish an assembly decision at once (called when a rule vote closes).

    Runs inside the caller's transaction, so the decision and the vote's result are
    written together or not at all. The title and body are cut to the notice limits
    rather than refused: a closed vote must always get its notice.
    """
    now = _now(now)
    text = (body or "").strip()[:BODY_MAX] or (title or "").strip()[:BODY_MAX]
    notice = Notice(
        village=village,
        category=NoticeCategory.DECISION,
        title=(title or "").strip()[:TITLE_MAX] or _("会议决定"),
        body=text,
        body_html=_render(text),
        created_by=actor,
        created_at=now,
    )
    _publish(notice, actor, now)
    db.session.add(notice)
    index_notice(notice)
    record_action(
        actor,
        Role.COMMITTEE,
        "notice.post_decision",
        notice,
        village=village,
        after=_snapshot(notice),
    )
    return notice


# --- readers ------------------------------------------------------------------------


def mark_read(notice: Notice, user: User, now: datetime | None = None) -> bool:
    """Count `user` as a reader of a published notice, once. True if counted just now.

    The unique (notice, user) constraint decides, not a read beforehand, so a second
    visit or two tabs opened at once count one reader: the later insert fails inside a
    savepoint and the count is left alone.
    """
    if notice.state != NoticeState.PUBLISHED:
        return False
    try:
        with db.session.begin_nested():
            db.session.add(NoticeRead(notice_id=notice.id, user_id=user.id, read_at=_now(now)))
    except sa.exc.IntegrityError:
        return False
    db.session.execute(
        sa.update(Notice)
        .where(Notice.id == notice.id)
        .values(read_count=Notice.read_count + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(notice, ["read_count"])
    return True


def has_read(notice: Notice, user: User) -> bool:
    return (
        db.session.scalar(
            sa.select(NoticeRead.id).where(
                NoticeRead.notice_id == notice.id, NoticeRead.user_id == user.id
            )
        )
        is not None
    )


# --- what the pages show ------------------------------------------------------------


def published_notices(village: Village, category: NoticeCategory | None = None) -> sa.Select:
    """The public list: pinned first, then newest first (the bodies are not read)."""
    query = (
        sa.select(Notice)
        .options(defer(Notice.body), defer(Notice.body_html))
        .where(Notice.village_id == village.id, Notice.state == NoticeState.PUBLISHED)
    )
    if category is not None:
        query = query.where(Notice.category == category)
    return query.order_by(Notice.pinned.desc(), Notice.published_at.desc(), Notice.id.desc())


# The village home's notices, built once (every page view of every village runs it).
_HOME_NOTICES = (
    sa.select(Notice)
    .options(defer(Notice.body), defer(Notice.body_html))  # a list shows no body
    .where(
        Notice.village_id == sa.bindparam("village_id", type_=sa.Integer),
        Notice.state == NoticeState.PUBLISHED,
    )
    .order_by(Notice.pinned.desc(), Notice.published_at.desc(), Notice.id.desc())
    .limit(sa.bindparam("limit", type_=sa.Integer))
)


def home_notices(village: Village, limit: int = HOME_LIMIT) -> list[Notice]:
    """For the village home: the pinned notices, then the newest, `limit` in all."""
    return list(db.session.scalars(_HOME_NOTICES, {"village_id": village.id, "limit": limit}))


def feed_notices(village: Village, limit: int = FEED_LIMIT) -> list[Notice]:
    """For the Atom feed: the newest published notices, pinned or not."""
    return list(
        db.session.scalars(
            sa.select(Notice)
            .where(Notice.village_id == village.id, Notice.state == NoticeState.PUBLISHED)
            .order_by(Notice.published_at.desc(), Notice.id.desc())
            .limit(limit)
        )
    )


def committee_notices(village: Village, state: NoticeState | None = None) -> sa.Select:
    """The console's list, drafts included, newest first."""
    query = sa.select(Notice).where(Notice.village_id == village.id)
    if state is not None:
        query = query.where(Notice.state == state)
    return query.order_by(Notice.created_at.desc(), Notice.id.desc())


def get_notice(village: Village, notice_id: int) -> Notice | None:
    """A notice of this village, in any state; None for another village's."""
    notice = db.session.get(Notice, notice_id)
    if notice is None or notice.village_id != village.id:
        return None
    return notice


def corrections_of(notice: Notice) -> list[Notice]:
    """The published or archived corrections of `notice`, newest first."""
    return list(
        db.session.scalars(
            sa.select(Notice)
            .where(
                Notice.corrects_id == notice.id,
                Notice.state.in_([NoticeState.PUBLISHED, NoticeState.ARCHIVED]),
            )
            .order_by(Notice.published_at.desc(), Notice.id.desc())
        )
    )


def corrected_ids(notices: list[Notice]) -> set[int]:
    """Which of `notices` have been corrected, in one query, for a list's 已更正 tags."""
    ids = [n.id for n in notices]
    if not ids:
        return set()
    return set(
        db.session.scalars(
            sa.select(Notice.corrects_id).where(
                Notice.corrects_id.in_(ids),
                Notice.state.in_([NoticeState.PUBLISHED, NoticeState.ARCHIVED]),
            )
        )
    )
