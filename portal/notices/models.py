"""Notices 村务公开: what the committee makes public, and who has read it.

A notice moves draft → published → archived. Nothing published is ever deleted or
edited (village records are kept): a correction is a new notice whose `corrects_id`
points at the one it corrects, and both pages show the link.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from markupsafe import Markup
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import clock
from portal.coltypes import UTCDateTime, str_enum
from portal.extensions import db
from portal.villages.models import Village

if TYPE_CHECKING:
    from portal.auth.models import User

TITLE_MAX = 100
BODY_MAX = 20_000


class NoticeCategory(enum.StrEnum):
    AFFAIRS = "affairs"  # 村务 village affairs
    FINANCE = "finance"  # 财务 finances
    PARTY = "party"  # 党务 Party affairs
    ANNOUNCEMENT = "announcement"  # 通知 announcements
    DECISION = "decision"  # 会议决定 assembly decisions, posted when a rule vote closes


class NoticeState(enum.StrEnum):
    DRAFT = "draft"  # 草稿: only the committee and supervisors see it
    PUBLISHED = "published"  # 已发布
    ARCHIVED = "archived"  # 已归档: off the list, still at its address


class Notice(db.Model):
    __table_args__ = (
        # The public list and the village home: published, pinned first, newest first.
        sa.Index(
            "ix_notice_village_state_pinned_published",
            "village_id",
            "state",
            "pinned",
            "published_at",
        ),
        # The same list filtered by category.
        sa.Index(
            "ix_notice_village_category_state_pinned_published",
            "village_id",
            "category",
            "state",
            "pinned",
            "published_at",
        ),
        # The committee's list, drafts included, newest first.
        sa.Index("ix_notice_village_created", "village_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    village_id: Mapped[int] = mapped_column(sa.ForeignKey("village.id"))
    category: Mapped[NoticeCategory] = mapped_column(str_enum(NoticeCategory))
    title: Mapped[str] = mapped_column(sa.String(TITLE_MAX))
    # Markdown as the committee wrote it, and the sanitized HTML rendered from it when
    # it was saved (portal/notices/markdown.py), so a page view does no rendering.
    body: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str] = mapped_column(sa.Text)
    state: Mapped[NoticeState] = mapped_column(str_enum(NoticeState), default=NoticeState.DRAFT)
    pinned: Mapped[bool] = mapped_column(default=False)
    corrects_id: Mapped[int | None] = mapped_column(sa.ForeignKey("notice.id"), index=True)
    read_count: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    published_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.default_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.default_now)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    village: Mapped[Village] = relationship()
    corrects: Mapped[Notice | None] = relationship(remote_side=[id])
    created_by: Mapped[User | None] = relationship("User", foreign_keys=[created_by_id])
    published_by: Mapped[User | None] = relationship("User", foreign_keys=[published_by_id])

    @property
    def is_draft(self) -> bool:
        return self.state == NoticeState.DRAFT

    @property
    def is_public(self) -> bool:
        """Published or archived: readable by anyone at its address."""
        return self.state in (NoticeState.PUBLISHED, NoticeState.ARCHIVED)

    @property
    def body_markup(self) -> Markup:
        """The stored HTML, already sanitized by an allowlist when it was saved."""
        return Markup(self.body_html)

    def __str__(self) -> str:
        return self.title


class NoticeRead(db.Model):
    """A logged-in reader of a notice, counted once: the database holds the rule."""

    __table_args__ = (sa.UniqueConstraint("notice_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(sa.ForeignKey("notice.id"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    read_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.default_now)


CAPTION_MAX = 100


class AttachmentKind(enum.StrEnum):
    IMAGE = "image"  # re-encoded by Pillow, metadata stripped
    PDF = "pdf"


class NoticeAttachment(db.Model):
    """An image or PDF attached to a notice while it is a draft.

    The file lives outside static/ under a random name (`stored_name`); the name the
    committee uploaded is kept only for display and the download's file name.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(sa.ForeignKey("notice.id"), index=True)
    village_id: Mapped[int] = mapped_column(sa.ForeignKey("village.id"))
    kind: Mapped[AttachmentKind] = mapped_column(str_enum(AttachmentKind, 10))
    content_type: Mapped[str] = mapped_column(sa.String(50))
    stored_name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    original_name: Mapped[str] = mapped_column(sa.String(120))
    # What the photo shows, in the committee's words: its caption and its alt text.
    caption: Mapped[str | None] = mapped_column(sa.String(CAPTION_MAX))
    size_bytes: Mapped[int]
    width: Mapped[int | None]
    height: Mapped[int | None]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.default_now)

    notice: Mapped[Notice] = relationship()


QUESTION_MAX = 500
ANSWER_MAX = 2000


class NoticeQuestion(db.Model):
    """A villager's question 质询 on a notice, and the committee's public answer."""

    __table_args__ = (
        # The console's queue: a village's unanswered questions, oldest first.
        sa.Index(
            "ix_notice_question_village_answered_created", "village_id", "answered_at", "created_at"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(sa.ForeignKey("notice.id"), index=True)
    village_id: Mapped[int] = mapped_column(sa.ForeignKey("village.id"))
    asked_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    body: Mapped[str] = mapped_column(sa.String(QUESTION_MAX))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.default_now)
    answer: Mapped[str | None] = mapped_column(sa.String(ANSWER_MAX))
    answered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    notice: Mapped[Notice] = relationship()
    asked_by: Mapped[User] = relationship("User", foreign_keys=[asked_by_id])
    answered_by: Mapped[User | None] = relationship("User", foreign_keys=[answered_by_id])


class DisclosureCadence(enum.StrEnum):
    MONTHLY = "monthly"  # 每月
    QUARTERLY = "quarterly"  # 每季度
    HALF_YEARLY = "half_yearly"  # 每半年
    YEARLY = "yearly"  # 每年


class DisclosureItem(db.Model):
    """One line of a village's disclosure schedule: what must be made public, how often.

    A period's item is satisfied by a notice of `category` published within the period
    or within `grace_days` after it ends; after that it is overdue.
    """

    __table_args__ = (sa.UniqueConstraint("village_id", "title"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    village_id: Mapped[int] = mapped_column(sa.ForeignKey("village.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(TITLE_MAX))
    category: Mapped[NoticeCategory] = mapped_column(str_enum(NoticeCategory))
    cadence: Mapped[DisclosureCadence] = mapped_column(str_enum(DisclosureCadence))
    grace_days: Mapped[int] = mapped_column(default=10)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.default_now)


class DisclosureCoverage(db.Model):
    """The committee's word that a notice covers one period of a schedule item: one notice
    may catch up several missed periods, or count for an item of another category."""

    __table_args__ = (sa.UniqueConstraint("notice_id", "item_id", "period_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(sa.ForeignKey("notice.id"), index=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("disclosure_item.id"), index=True)
    period_start: Mapped[date] = mapped_column(sa.Date)

    notice: Mapped[Notice] = relationship()
    item: Mapped[DisclosureItem] = relationship()
