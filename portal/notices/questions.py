"""Villagers' questions 质询 on a notice, and the committee's public answers (DESIGN.md 2.2).

A verified villager of the notice's village asks; the committee answers once, and
question and answer stay under the notice for everyone to read. An answer is part of
the village's record, like the notice itself: it is not changed afterwards (a further
question gets a further answer). The asker is shown by a masked name (张*), whole only
to those portal/privacy.py lets see it (their household, the committee), never by
phone number.

Limits, so that a question board stays a board: a person has at most
`MAX_OPEN_PER_NOTICE` unanswered questions on one notice and asks at most
`MAX_PER_DAY` in a village in 24 hours (the defaults: each village may choose its own,
in its settings); the same open question twice is refused.
The caller begins a write transaction and commits once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload, load_only

from portal import clock
from portal.audit.services import record_action
from portal.auth.access import villager_standing
from portal.auth.models import Role, User
from portal.extensions import db
from portal.inputs import required_text
from portal.notices.models import ANSWER_MAX, QUESTION_MAX, Notice, NoticeQuestion, NoticeState
from portal.notices.services import NoticeError, _require_committee
from portal.settings import registry as settings
from portal.villages.models import Village

MAX_OPEN_PER_NOTICE = 3
MAX_PER_DAY = 10
settings.register(
    settings.number(
        "notices.open_questions_per_notice",
        label=_l("每人在一条公告下最多几个未答复的问题"),
        hint=_l("村委会答复以后，村民才能在这条公告下再问。"),
        section=_l("村务公开"),
        default=MAX_OPEN_PER_NOTICE,
        minimum=1,
        maximum=20,
        unit=_l("个问题"),
        order=20,
    )
)
settings.register(
    settings.number(
        "notices.questions_per_day",
        label=_l("每人每天最多提几个问题"),
        hint=_l("一位村民 24 小时内对本村公告最多能提的问题个数。"),
        section=_l("村务公开"),
        default=MAX_PER_DAY,
        minimum=1,
        maximum=100,
        unit=_l("个问题"),
        order=21,
    )
)
PER_PAGE = 20


def _clean(text: str | None, *, empty: str, too_long: str, limit: int, field: str) -> str:
    return required_text(
        text, limit=limit, empty=empty, too_long=too_long, field=field, error=NoticeError
    )


def asking_refusal(user: User, notice: Notice) -> str | None:
    """Why `user` may not ask on `notice`, or None if they may."""
    if notice.state == NoticeState.ARCHIVED:
        return _("这条公告已归档，不再接受提问。")
    if notice.state != NoticeState.PUBLISHED:
        return _("这条公告还没有发布，不能提问。")
    standing = villager_standing(user, notice.village_id)
    if standing == "villager":
        return None
    if standing == "unverified":
        return _("您的注册还在等村委会核实，核实以后就可以提问了。")
    return _("只有本村已核实的村民可以对本村的公告提问。")


def ask(user: User, notice: Notice, body: str, now: datetime | None = None) -> NoticeQuestion:
    """A villager's question on a published notice of their own village."""
    refusal = asking_refusal(user, notice)
    if refusal:
        raise NoticeError(refusal, status=403)
    text = _clean(
        body,
        empty=_("请写下您的问题。"),
        too_long=_("问题最多 %(max)d 个字。", max=QUESTION_MAX),
        limit=QUESTION_MAX,
        field="body",
    )
    now = now or clock.now()
    # PostgreSQL: one person's questions are counted and added one action at a time
    # (SQLite: the caller's BEGIN IMMEDIATE already serialises writers).
    db.session.execute(sa.select(User.id).where(User.id == user.id).with_for_update())
    open_here = list(
        db.session.scalars(
            sa.select(NoticeQuestion.body).where(
                NoticeQuestion.notice_id == notice.id,
                NoticeQuestion.asked_by_id == user.id,
                NoticeQuestion.answered_at.is_(None),
            )
        )
    )
    if text in open_here:
        raise NoticeError(_("这个问题您已经问过了，请等村委会答复。"), field="body", status=409)
    if len(open_here) >= settings.setting(notice.village_id, "notices.open_questions_per_notice"):
        raise NoticeError(
            _(
                "您在这条公告下已有 %(n)d 个问题还没有答复，请等村委会答复后再问。",
                n=len(open_here),
            ),
            field="body",
            status=429,
        )
    today = db.session.scalar(
        sa.select(sa.func.count(NoticeQuestion.id)).where(
            NoticeQuestion.village_id == notice.village_id,
            NoticeQuestion.asked_by_id == user.id,
            NoticeQuestion.created_at > now - timedelta(days=1),
        )
    )
    if today >= settings.setting(notice.village_id, "notices.questions_per_day"):
        raise NoticeError(
            _("您今天已经提了 %(n)d 个问题，请明天再问。", n=today), field="body", status=429
        )
    question = NoticeQuestion(
        notice_id=notice.id,
        village_id=notice.village_id,
        asked_by_id=user.id,
        body=text,
        created_at=now,
    )
    db.session.add(question)
    return question


def answer(
    actor: User, village: Village, question_id: int, text: str, now: datetime | None = None
) -> NoticeQuestion:
    """The committee's public answer. Given once: a question already answered is refused."""
    _require_committee(actor, village.id)
    question = db.session.scalar(
        sa.select(NoticeQuestion)
        .where(NoticeQuestion.id == question_id, NoticeQuestion.village_id == village.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if question is None:
        raise NoticeError(_("找不到这个问题。"), status=404)
    if question.answered_at is not None:
        raise NoticeError(_("这个问题已经答复过了；答复公开后不能再改。"), status=409)
    reply = _clean(
        text,
        empty=_("请写下答复。"),
        too_long=_("答复最多 %(max)d 个字。", max=ANSWER_MAX),
        limit=ANSWER_MAX,
        field="answer",
    )
    question.answer = reply
    question.answered_by_id = actor.id
    question.answered_at = now or clock.now()
    record_action(
        actor,
        Role.COMMITTEE,
        "notice.answer_question",
        question,
        village=village,
        after={"notice": question.notice_id, "answer": reply[:200]},
    )
    return question


# --- what the pages show ------------------------------------------------------------


def questions_on(notice: Notice) -> sa.Select:
    """A notice's questions, newest first, each with its answer right below it.

    Newest first, answered or not: someone who has just asked sees their question at
    the top, and a question waiting for an answer is not pushed out of sight by the
    answered ones. The asker's name only: the phone is never loaded for a public page.
    """
    return (
        sa.select(NoticeQuestion)
        .where(NoticeQuestion.notice_id == notice.id)
        .options(joinedload(NoticeQuestion.asked_by).options(load_only(User.id, User.name)))
        .order_by(NoticeQuestion.created_at.desc(), NoticeQuestion.id.desc())
    )


def unanswered(village: Village) -> sa.Select:
    """The console's queue: the village's unanswered questions, oldest first."""
    return (
        sa.select(NoticeQuestion)
        .where(NoticeQuestion.village_id == village.id, NoticeQuestion.answered_at.is_(None))
        .options(
            joinedload(NoticeQuestion.asked_by).options(load_only(User.id, User.name)),
            joinedload(NoticeQuestion.notice).options(
                load_only(Notice.id, Notice.title, Notice.village_id)
            ),
        )
        .order_by(NoticeQuestion.created_at, NoticeQuestion.id)
    )


def unanswered_count(village: Village) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(NoticeQuestion.id)).where(
            NoticeQuestion.village_id == village.id, NoticeQuestion.answered_at.is_(None)
        )
    )


def get_question(village: Village, question_id: int) -> NoticeQuestion | None:
    question = db.session.get(NoticeQuestion, question_id)
    if question is None or question.village_id != village.id:
        return None
    return question
