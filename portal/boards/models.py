"""The tables of the red/black boards 红黑榜: categories, entries, and appeals.

DESIGN.md 2.3. A category rests on an article of the village's adopted 村规民约 (a black
category cannot be used without one). An entry names a household (and optionally one
person of it); a black entry begins as a warning with a deadline, and is listed only by
a decision of the committee as a body, recorded with its meeting and approved by a
second member, never its creator (a check in the database). Every listing goes
through 公示 (`portal.publicity`), and ends: expired on its date, or withdrawn.
An appeal (or a request to withdraw after putting things right) is made by a member
of the subject household; the committee decides it, and a dismissal may go to the town.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import clock
from portal.coltypes import UTCDateTime, str_enum
from portal.extensions import db
from portal.rules.models import RuleArticle
from portal.villages.models import Household, Resident, Village

if TYPE_CHECKING:
    from portal.auth.models import User

CATEGORY_NAME_MAX = 40
CATEGORY_DESCRIPTION_MAX = 200
DESCRIPTION_MAX = 1000
CAPTION_MAX = 120
NOTE_MAX = 500
ATTENDEES_MAX = 300
REASON_MAX = 1000


class Board(enum.StrEnum):
    RED = "red"  # 红榜: commendation
    BLACK = "black"  # 黑榜: criticism, only after a warning and a collective decision


class EntryState(enum.StrEnum):
    WARNED = "warned"  # black: the household was warned, with a deadline to put it right
    PUT_RIGHT = "put_right"  # black: put right in time; never listed
    DECLINED = "declined"  # black: the committee decided not to list it
    NOTICE = "notice"  # 公示: the listing is up for objections and appeals
    PUBLISHED = "published"  # on the board until its expiry date
    EXPIRED = "expired"  # off the board on its date (frozen by `flask tick`)
    WITHDRAWN = "withdrawn"  # off the board: an appeal upheld, or put right after listing


class AppealKind(enum.StrEnum):
    APPEAL = "appeal"  # 申诉: the household disputes the entry
    WITHDRAWAL = "withdrawal"  # the household has put it right and asks to be taken off


class AppealState(enum.StrEnum):
    PENDING = "pending"  # waits for the committee
    UPHELD = "upheld"  # the committee agreed: the entry is withdrawn
    DISMISSED = "dismissed"  # the committee refused, with a written reason
    TOWN_REVIEW = "town_review"  # the household asked the town to review the dismissal
    TOWN_UPHELD = "town_upheld"  # the town agreed with the household: the entry is withdrawn
    TOWN_CONFIRMED = "town_confirmed"  # the town confirmed the committee's dismissal


class BoardCategory(db.Model):
    """One item of a village's positive (red) or negative (black) list, resting on an
    article of its rules. Never deleted once used: retired instead."""

    __table_args__ = (
        sa.UniqueConstraint("village_id", "board", "name"),
        sa.Index("ix_board_category_village_board", "village_id", "board"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    village_id: Mapped[int] = mapped_column(sa.ForeignKey("village.id"))
    board: Mapped[Board] = mapped_column(str_enum(Board, 10))
    name: Mapped[str] = mapped_column(sa.String(CATEGORY_NAME_MAX))
    description: Mapped[str | None] = mapped_column(sa.String(CATEGORY_DESCRIPTION_MAX))
    # The article of the adopted 村规民约 the category rests on; a black category
    # without one (or with one no longer in force) takes no entries.
    article_id: Mapped[int | None] = mapped_column(sa.ForeignKey("rule_article.id"))
    position: Mapped[int] = mapped_column(default=0)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.default_now)

    village: Mapped[Village] = relationship()
    article: Mapped[RuleArticle | None] = relationship()


class BoardEntry(db.Model):
    """One entry on a board: its subject, its category, the facts, and its course.

    The checks hold the safeguards whatever the code does: a black entry is listed
    only with a warning deadline, a meeting record and an approver who is not its
    creator; a red entry shows a full name only with a recorded consent.
    """

    __table_args__ = (
        sa.Index("ix_board_entry_village_board_state", "village_id", "board", "state"),
        sa.Index("ix_board_entry_household", "household_id"),
        sa.CheckConstraint(
            "approved_by_id IS NULL OR approved_by_id <> created_by_id",
            name="second_member",
        ),
        sa.CheckConstraint(
            "board <> 'black' OR warning_deadline IS NOT NULL",
            name="black_warned",
        ),
        sa.CheckConstraint(
            "board <> 'black' OR state NOT IN ('notice', 'published', 'expired')"
            " OR (approved_by_id IS NOT NULL AND meeting_on IS NOT NULL)",
            name="black_decided",
        ),
        sa.CheckConstraint(
            "consented_at IS NULL OR (resident_id IS NOT NULL AND consent_recorded_by_id"
            " IS NOT NULL)",
            name="consent_recorded",
        ),
        sa.CheckConstraint("board <> 'black' OR consented_at IS NULL", name="black_never_named"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    village_id: Mapped[int] = mapped_column(sa.ForeignKey("village.id"))
    board: Mapped[Board] = mapped_column(str_enum(Board, 10))
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("board_category.id"), index=True)
    # The article the category rested on when the entry was made, kept as it was.
    article_id: Mapped[int | None] = mapped_column(sa.ForeignKey("rule_article.id"))
    household_id: Mapped[int] = mapped_column(sa.ForeignKey("household.id"))
    resident_id: Mapped[int | None] = mapped_column(sa.ForeignKey("resident.id"))
    description: Mapped[str] = mapped_column(sa.String(DESCRIPTION_MAX))
    state: Mapped[EntryState] = mapped_column(str_enum(EntryState))
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.default_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.default_now)

    # The photo, through `portal.uploads` (kept outside static/, served by a view with
    # the entry's own access rule).
    photo_stored_name: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    photo_content_type: Mapped[str | None] = mapped_column(sa.String(50))
    photo_width: Mapped[int | None]
    photo_height: Mapped[int | None]
    photo_caption: Mapped[str | None] = mapped_column(sa.String(CAPTION_MAX))

    # Black: the warning and its deadline (a local date, the last day to put it right).
    warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    warning_deadline: Mapped[date | None] = mapped_column(sa.Date)
    put_right_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    put_right_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    put_right_note: Mapped[str | None] = mapped_column(sa.String(NOTE_MAX))

    # Black: the committee's decision, with the meeting that deliberated it.
    meeting_on: Mapped[date | None] = mapped_column(sa.Date)
    meeting_attendees: Mapped[str | None] = mapped_column(sa.String(ATTENDEES_MAX))
    meeting_votes_for: Mapped[int | None]
    meeting_votes_against: Mapped[int | None]
    approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    declined_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    declined_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    decline_reason: Mapped[str | None] = mapped_column(sa.String(NOTE_MAX))

    # Red: the subject's consent to be named in full (who recorded it, and when).
    consented_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consent_recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    # The listing: 公示 (a `Publicity` row), then on the board until `expires_at`.
    notice_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    withdrawn_reason: Mapped[str | None] = mapped_column(sa.String(NOTE_MAX))

    village: Mapped[Village] = relationship()
    category: Mapped[BoardCategory] = relationship()
    article: Mapped[RuleArticle | None] = relationship()
    household: Mapped[Household] = relationship()
    resident: Mapped[Resident | None] = relationship()
    created_by: Mapped[User] = relationship("User", foreign_keys=[created_by_id])
    approved_by: Mapped[User | None] = relationship("User", foreign_keys=[approved_by_id])

    @property
    def consented(self) -> bool:
        return self.consented_at is not None


class BoardAppeal(db.Model):
    """An appeal 申诉 against an entry, or a request to withdraw it after putting things
    right: by a member of the subject household (online, or entered by a clerk from a
    paper letter), decided by the committee in writing, and a dismissal reviewed by the
    town if the household asks."""

    __table_args__ = (
        sa.Index("ix_board_appeal_village_state", "village_id", "state"),
        sa.Index("ix_board_appeal_town_state", "town_id", "state"),
        sa.CheckConstraint(
            "state NOT IN ('upheld', 'dismissed', 'town_review', 'town_upheld',"
            " 'town_confirmed') OR (decided_by_id IS NOT NULL AND decision_reason IS NOT NULL)",
            name="decided_in_writing",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("board_entry.id"), index=True)
    village_id: Mapped[int] = mapped_column(sa.ForeignKey("village.id"))
    town_id: Mapped[int] = mapped_column(sa.ForeignKey("town.id"))
    kind: Mapped[AppealKind] = mapped_column(str_enum(AppealKind, 12))
    state: Mapped[AppealState] = mapped_column(str_enum(AppealState), default=AppealState.PENDING)
    # Who asks: a member of the subject household, by account or on paper.
    resident_id: Mapped[int] = mapped_column(sa.ForeignKey("resident.id"))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    entered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    reason: Mapped[str] = mapped_column(sa.String(REASON_MAX))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.default_now)

    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_reason: Mapped[str | None] = mapped_column(sa.String(REASON_MAX))

    town_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    town_requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    town_request_reason: Mapped[str | None] = mapped_column(sa.String(REASON_MAX))
    town_decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    town_decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    town_reason: Mapped[str | None] = mapped_column(sa.String(REASON_MAX))

    entry: Mapped[BoardEntry] = relationship()
    village: Mapped[Village] = relationship()
    resident: Mapped[Resident] = relationship()
    user: Mapped[User | None] = relationship("User", foreign_keys=[user_id])
    decided_by: Mapped[User | None] = relationship("User", foreign_keys=[decided_by_id])
    town_decided_by: Mapped[User | None] = relationship("User", foreign_keys=[town_decided_by_id])
