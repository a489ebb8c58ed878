"""The tables of good-neighbour nominations 好人推荐: categories, nominations, and the
endorsements 联名 that open their review (DESIGN.md 2.4).

A nomination names a household of the village and, usually, one person of it; it is
made by a verified villager online or entered by a clerk from paper (who made it is kept
either way). Endorsements are one per resident per nomination (a unique constraint),
online or from a paper sheet; `endorsement_count` is kept in the same transaction as
each endorsement row. The 公示 is a `portal.publicity` period (subject "nomination").
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
from portal.villages.models import Household, Resident, Village

if TYPE_CHECKING:
    from portal.auth.models import User

CATEGORY_NAME_MAX = 40
STORY_MAX = 2000
REASON_MAX = 500
CAPTION_MAX = 120
NOTE_MAX = 500


class NominationState(enum.StrEnum):
    SUBMITTED = "submitted"  # open for endorsements; "under review" once it has enough
    NOTICE = "notice"  # 公示: accepted by the committee, open for objections
    COMMENDED = "commended"  # on the honour roll
    REJECTED = "rejected"  # with a reason the nominator sees
    WITHDRAWN = "withdrawn"  # taken back by the nominator before review


class TownDecision(enum.StrEnum):
    SELECTED = "selected"  # chosen in the town's own selection
    NOT_SELECTED = "not_selected"


class NominationCategory(db.Model):
    """One of a village's categories: the five official ones, seeded, and its own."""

    __table_args__ = (sa.UniqueConstraint("village_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    village_id: Mapped[int] = mapped_column(sa.ForeignKey("village.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(CATEGORY_NAME_MAX))
    official: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(default=0)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.default_now)


class Nomination(db.Model):
    __table_args__ = (
        sa.Index("ix_nomination_village_state", "village_id", "state"),
        sa.Index("ix_nomination_nominator_state", "nominator_resident_id", "state"),
        sa.Index("ix_nomination_nominee", "nominee_household_id"),
        sa.Index("ix_nomination_town_forwarded", "town_id", "forwarded_at"),
        sa.CheckConstraint(
            "nominator_user_id IS NOT NULL OR entered_by_id IS NOT NULL",
            name="made_by_someone",
        ),
        sa.CheckConstraint(
            "state <> 'rejected' OR decision_reason IS NOT NULL", name="rejected_with_reason"
        ),
        sa.CheckConstraint("endorsement_count >= 0", name="endorsements_not_negative"),
        sa.CheckConstraint(
            "forwarded_at IS NULL OR state = 'commended'", name="forwarded_when_commended"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    village_id: Mapped[int] = mapped_column(sa.ForeignKey("village.id"))
    town_id: Mapped[int] = mapped_column(sa.ForeignKey("town.id"))
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("nomination_category.id"), index=True)
    state: Mapped[NominationState] = mapped_column(
        str_enum(NominationState), default=NominationState.SUBMITTED
    )
    # The nominee: a household of the village, and usually one person of it.
    nominee_household_id: Mapped[int] = mapped_column(sa.ForeignKey("household.id"))
    nominee_resident_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("resident.id"), index=True
    )
    # Whose nomination it is: a resident of the village, by account or on paper.
    nominator_resident_id: Mapped[int] = mapped_column(sa.ForeignKey("resident.id"))
    nominator_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    entered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    story: Mapped[str] = mapped_column(sa.String(STORY_MAX))
    deed_on: Mapped[date] = mapped_column(sa.Date)
    photo_stored_name: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    photo_content_type: Mapped[str | None] = mapped_column(sa.String(50))
    photo_width: Mapped[int | None]
    photo_height: Mapped[int | None]
    photo_caption: Mapped[str | None] = mapped_column(sa.String(CAPTION_MAX))
    endorsement_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.default_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.default_now)

    accepted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    notice_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_reason: Mapped[str | None] = mapped_column(sa.String(REASON_MAX))
    commended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The red-board entry made on commending, if the committee made one.
    board_entry_id: Mapped[int | None] = mapped_column(sa.ForeignKey("board_entry.id"))

    # Forwarded to the town's own selection, and what the town decided.
    forwarded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    forwarded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    town_decision: Mapped[TownDecision | None] = mapped_column(str_enum(TownDecision))
    town_decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    town_decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    town_note: Mapped[str | None] = mapped_column(sa.String(NOTE_MAX))

    village: Mapped[Village] = relationship()
    category: Mapped[NominationCategory] = relationship()
    nominee_household: Mapped[Household] = relationship(foreign_keys=[nominee_household_id])
    nominee: Mapped[Resident | None] = relationship(foreign_keys=[nominee_resident_id])
    nominator: Mapped[Resident] = relationship(foreign_keys=[nominator_resident_id])
    nominator_user: Mapped[User | None] = relationship("User", foreign_keys=[nominator_user_id])
    entered_by: Mapped[User | None] = relationship("User", foreign_keys=[entered_by_id])

    @property
    def on_paper(self) -> bool:
        return self.entered_by_id is not None


class Endorsement(db.Model):
    """One resident's endorsement 联名 of one nomination: online by their account, or
    entered by a clerk from a paper sheet. One per person (the unique constraint)."""

    __table_args__ = (
        sa.UniqueConstraint("nomination_id", "resident_id"),
        sa.CheckConstraint(
            "user_id IS NOT NULL OR entered_by_id IS NOT NULL", name="made_by_someone"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    nomination_id: Mapped[int] = mapped_column(sa.ForeignKey("nomination.id"))
    village_id: Mapped[int] = mapped_column(sa.ForeignKey("village.id"))
    resident_id: Mapped[int] = mapped_column(sa.ForeignKey("resident.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    entered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.default_now)

    nomination: Mapped[Nomination] = relationship()
    resident: Mapped[Resident] = relationship()
