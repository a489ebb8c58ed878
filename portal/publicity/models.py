"""The tables of 公示: a period per decision, and the objections to it."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import clock
from portal.coltypes import UTCDateTime
from portal.extensions import db
from portal.villages.models import Resident, Village

if TYPE_CHECKING:
    from portal.auth.models import User

REASON_MAX = 1000
ANSWER_MAX = 1000


class Publicity(db.Model):
    """One 公示 period of one decision: `subject_type` names the feature's table
    ("board_entry", "nomination", "points_entry"), `subject_id` its row. The phase
    (not yet, open, ended) is read from `starts_at` and `ends_at` and the clock."""

    __table_args__ = (sa.Index("ix_publicity_subject", "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    village_id: Mapped[int] = mapped_column(sa.ForeignKey("village.id"), index=True)
    subject_type: Mapped[str] = mapped_column(sa.String(30))
    subject_id: Mapped[int]
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    opened_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.default_now)

    village: Mapped[Village] = relationship()


class Objection(db.Model):
    """An objection raised during a 公示, by one resident (the unique constraint: one
    per person per period), typed online by their account or entered by a clerk from
    a paper form; answered by the committee in writing. Never shown publicly with
    the objector's name."""

    __table_args__ = (sa.UniqueConstraint("publicity_id", "resident_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    publicity_id: Mapped[int] = mapped_column(sa.ForeignKey("publicity.id"), index=True)
    village_id: Mapped[int] = mapped_column(sa.ForeignKey("village.id"), index=True)
    resident_id: Mapped[int] = mapped_column(sa.ForeignKey("resident.id"))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    entered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    reason: Mapped[str] = mapped_column(sa.String(REASON_MAX))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.default_now)
    answer: Mapped[str | None] = mapped_column(sa.String(ANSWER_MAX))
    answered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    publicity: Mapped[Publicity] = relationship()
    resident: Mapped[Resident] = relationship()
    user: Mapped[User | None] = relationship("User", foreign_keys=[user_id])
    entered_by: Mapped[User | None] = relationship("User", foreign_keys=[entered_by_id])
    answered_by: Mapped[User | None] = relationship("User", foreign_keys=[answered_by_id])
