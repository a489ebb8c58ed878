"""Towns 镇街, villages 行政村, grids 网格, households 户 and residents 村民."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import clock
from portal.coltypes import UTCDateTime, str_enum
from portal.extensions import db

if TYPE_CHECKING:
    from portal.auth.models import User


class QuorumMode(enum.StrEnum):
    """How a villagers' assembly 村民会议 reaches quorum (Organic Law Art. 22)."""

    PERSONS = "persons"  # more than half of eligible villagers aged 18+
    HOUSEHOLDS = "households"  # at least two thirds of households represented


class Gender(enum.StrEnum):
    MALE = "male"
    FEMALE = "female"


class DepartureReason(enum.StrEnum):
    """Why a resident left the roster 花名册; the row stays, with the date."""

    MOVED = "moved"  # 迁出
    DIED = "died"  # 去世


class Town(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(60))
    slug: Mapped[str] = mapped_column(sa.String(60), unique=True)

    villages: Mapped[list[Village]] = relationship(back_populates="town", order_by="Village.name")


class Village(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    town_id: Mapped[int] = mapped_column(sa.ForeignKey("town.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(60), index=True)
    slug: Mapped[str] = mapped_column(sa.String(60), unique=True)
    quorum_mode: Mapped[QuorumMode] = mapped_column(
        str_enum(QuorumMode), default=QuorumMode.PERSONS
    )
    # Days between announcing an assembly vote and opening it (Art. 21 notice period).
    vote_notice_days: Mapped[int] = mapped_column(default=10)
    # 征求意见 consultation period for draft rules, in days.
    consultation_days: Mapped[int] = mapped_column(default=7)
    # 公示 public notice periods, in days.
    board_notice_days: Mapped[int] = mapped_column(default=5)
    nomination_notice_days: Mapped[int] = mapped_column(default=7)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.default_now)

    town: Mapped[Town] = relationship(back_populates="villages")

    def __str__(self) -> str:
        return self.name


class Grid(db.Model):
    """A 网格: a group of households looked after by a grid worker."""

    __table_args__ = (sa.UniqueConstraint("village_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    village_id: Mapped[int] = mapped_column(sa.ForeignKey("village.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(60))

    village: Mapped[Village] = relationship()

    def __str__(self) -> str:
        return self.name


class Household(db.Model):
    __table_args__ = (sa.UniqueConstraint("village_id", "door_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    village_id: Mapped[int] = mapped_column(sa.ForeignKey("village.id"), index=True)
    grid_id: Mapped[int | None] = mapped_column(sa.ForeignKey("grid.id"), index=True)
    # 门牌号: the door number, unique within the village.
    door_number: Mapped[str] = mapped_column(sa.String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.default_now)

    village: Mapped[Village] = relationship()
    grid: Mapped[Grid | None] = relationship()
    residents: Mapped[list[Resident]] = relationship(
        back_populates="household", order_by="Resident.id"
    )


class Resident(db.Model):
    """A person on the village roster 花名册. No ID-card numbers are kept."""

    __table_args__ = (sa.Index("ix_resident_village_name", "village_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The village is kept on the row too, so every roster query is scoped by one index.
    village_id: Mapped[int] = mapped_column(sa.ForeignKey("village.id"))
    household_id: Mapped[int] = mapped_column(sa.ForeignKey("household.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(40))
    birth_year: Mapped[int]
    gender: Mapped[Gender] = mapped_column(str_enum(Gender, 10))
    # 出生日期, where the household register gives it: it decides who is 18 on a day.
    birth_date: Mapped[date | None] = mapped_column(sa.Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.default_now)
    # Moved away 迁出 or died 去世 on this (local) date: never deleted, so a vote's roll
    # can be recomputed as of any opening time.
    left_on: Mapped[date | None] = mapped_column(sa.Date)
    left_reason: Mapped[DepartureReason | None] = mapped_column(str_enum(DepartureReason, 10))

    household: Mapped[Household] = relationship(back_populates="residents")
    village: Mapped[Village] = relationship()

    def age_on(self, year: int) -> int:
        return year - self.birth_year

    @property
    def on_roster(self) -> bool:
        return self.left_on is None


class RosterImportStatus(enum.StrEnum):
    QUEUED = "queued"  # uploaded, not started
    CHECKING = "checking"  # reading and checking every row; nothing written yet
    WRITING = "writing"  # writing households and residents, in one transaction
    DONE = "done"
    REJECTED = "rejected"  # the file has bad rows: nothing imported
    FAILED = "failed"  # an unexpected error: nothing imported


class RosterImport(db.Model):
    """One upload of the household roster 花名册, and its progress.

    The import runs in the background and reports progress on this row through its
    own short transactions, so the job page can show it while the import works.
    `errors` holds the bad rows as codes and values ({"line", "code", "params"}),
    turned into sentences in the reader's language when shown; `result` holds the
    counts of what was written.
    """

    __table_args__ = (sa.Index("ix_roster_import_village_created", "village_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    village_id: Mapped[int] = mapped_column(sa.ForeignKey("village.id"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    filename: Mapped[str] = mapped_column(sa.String(200))
    file_format: Mapped[str] = mapped_column(sa.String(10))
    status: Mapped[RosterImportStatus] = mapped_column(
        str_enum(RosterImportStatus), default=RosterImportStatus.QUEUED
    )
    total_rows: Mapped[int] = mapped_column(default=0)
    checked_rows: Mapped[int] = mapped_column(default=0)
    written_rows: Mapped[int] = mapped_column(default=0)
    error_count: Mapped[int] = mapped_column(default=0)
    errors: Mapped[list | None] = mapped_column(sa.JSON)
    result: Mapped[dict | None] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.default_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.default_now)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    village: Mapped[Village] = relationship()
    created_by: Mapped[User | None] = relationship("User")

    @property
    def finished(self) -> bool:
        return self.status in (
            RosterImportStatus.DONE,
            RosterImportStatus.REJECTED,
            RosterImportStatus.FAILED,
        )

    @property
    def percent(self) -> int:
        """Checking is the first half of the work, writing the second."""
        if self.status == RosterImportStatus.DONE:
            return 100
        if not self.total_rows:
            return 0
        done = self.checked_rows + self.written_rows
        return min(99, done * 50 // self.total_rows)
