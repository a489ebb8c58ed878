"""The tables of points 积分 and the points shop 积分超市 (DESIGN.md 2.5).

- `PointItem`: the village's catalogue 积分细则. Never deleted, only retired; an entry
  copies the item's points when it is recorded, so a later change of the catalogue
  leaves what was recorded as it was.
- `PointsEntry`: one recorded event for one household (by a grid worker, a committee
  member, a villager's own declaration, or a clerk from a paper declaration), and its
  review: pending → approved (公示, a `portal.publicity` period, subject "points_entry")
  → final, or rejected with a reason. The row's state changes; what counts is written
  to the ledger when the entry becomes final.
- `LedgerEntry`: the append-only ledger (triggers on both databases, see
  `portal.dbtriggers`): awards and deductions of final entries, redemptions, reversals
  that reference what they reverse, and the year end's closing and opening entries.
  A household's balance is the sum of its rows.
- `PointsAccount`: each household's balance, kept in the same transaction as every
  ledger row, for speed; `flask points verify` recomputes it from the ledger.
- `Reward`: what the shop offers, with a cost in points and a stock.
- `PointsBook` and `YearEnd`: a village's open book year, and each year closed (carried
  over or reset).

The database holds the rules a bug must not break: no balance or stock below zero, no
entry approved by its recorder or by someone of its own household, a rejection with
its reason, one award per entry and one reversal per ledger row.
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
from portal.villages.models import Household, Village

if TYPE_CHECKING:
    from portal.auth.models import User

CODE_MAX = 20
CATEGORY_MAX = 20
DESCRIPTION_MAX = 200
ARTICLE_MAX = 120
NOTE_MAX = 300
REASON_MAX = 300
REWARD_NAME_MAX = 40
# The most points one item (or one entry) may carry either way, and one reward's cost.
POINTS_MAX = 1000
COST_MAX = 100_000
STOCK_MAX = 100_000


class ItemCategory(enum.StrEnum):
    """The three categories every village's catalogue has; a village may add its own."""

    BASIC = "basic"  # 基础积分
    DEMOCRATIC = "democratic"  # 民主参与
    CONTRIBUTION = "contribution"  # 贡献积分


class CapPeriod(enum.StrEnum):
    MONTH = "month"
    YEAR = "year"


class EntryState(enum.StrEnum):
    PENDING = "pending"  # recorded, waiting for a committee member other than the recorder
    APPROVED = "approved"  # in 公示; final once it ends with every objection answered
    FINAL = "final"  # written to the ledger
    REJECTED = "rejected"  # with a reason


class Channel(enum.StrEnum):
    """How an entry came in."""

    GRID = "grid"  # a grid worker, for a household of their grid
    COMMITTEE = "committee"  # a committee member
    DECLARED = "declared"  # a villager's own declaration, online
    PAPER = "paper"  # a villager's declaration on paper, entered by a clerk


class Watch(enum.StrEnum):
    """Why an entry is on the supervisors' list: whose household it is for."""

    CADRE = "cadre"  # a household with a committee member, supervisor or grid worker
    RECORDER = "recorder"  # the recorder's own household


class LedgerKind(enum.StrEnum):
    AWARD = "award"  # a final entry (points positive or negative)
    REDEMPTION = "redemption"  # a reward taken at the counter
    REVERSAL = "reversal"  # a correction: the opposite of the row it references
    CLOSING = "closing"  # the year end: the balance taken out of the closing year
    OPENING = "opening"  # the year end: the balance carried into the new year


class YearEndMode(enum.StrEnum):
    CARRY = "carry"  # balances carried into the new year
    RESET = "reset"  # every balance starts the new year at zero


class PointItem(db.Model):
    __table_args__ = (
        sa.UniqueConstraint("village_id", "code"),
        sa.CheckConstraint(
            f"points <> 0 AND points BETWEEN -{POINTS_MAX} AND {POINTS_MAX}", name="points_range"
        ),
        sa.CheckConstraint(
            "cap IS NULL OR (cap > 0 AND cap_period IS NOT NULL)", name="cap_with_period"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    village_id: Mapped[int] = mapped_column(sa.ForeignKey("village.id"), index=True)
    code: Mapped[str] = mapped_column(sa.String(CODE_MAX))
    # One of ItemCategory's values, or the village's own name for a category.
    category: Mapped[str] = mapped_column(sa.String(CATEGORY_MAX))
    description: Mapped[str] = mapped_column(sa.String(DESCRIPTION_MAX))
    points: Mapped[int]
    # The article of the village rules 村规民约 the item rests on ("第十二条").
    rule_article: Mapped[str | None] = mapped_column(sa.String(ARTICLE_MAX))
    # At most `cap` points (in absolute value) per household per period from this item.
    cap: Mapped[int | None]
    cap_period: Mapped[CapPeriod | None] = mapped_column(str_enum(CapPeriod, 10))
    position: Mapped[int] = mapped_column(default=0)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.default_now)

    village: Mapped[Village] = relationship()

    @property
    def retired(self) -> bool:
        return self.retired_at is not None


class PointsEntry(db.Model):
    __table_args__ = (
        sa.Index("ix_points_entry_village_state", "village_id", "state", "id"),
        sa.Index("ix_points_entry_household", "household_id", "id"),
        sa.Index("ix_points_entry_cap", "household_id", "item_id", "occurred_on"),
        sa.Index("ix_points_entry_watch", "village_id", "watch", "id"),
        # Four eyes, held by the database: never the recorder, never their household.
        sa.CheckConstraint(
            "decided_by_id IS NULL OR decided_by_id <> recorded_by_id", name="not_by_recorder"
        ),
        sa.CheckConstraint(
            "decider_household_id IS NULL OR decider_household_id <> household_id",
            name="not_by_own_household",
        ),
        sa.CheckConstraint(
            "state = 'pending' OR (decided_by_id IS NOT NULL AND decided_at IS NOT NULL)",
            name="decided_by_someone",
        ),
        sa.CheckConstraint(
            "state NOT IN ('approved', 'final') OR decider_household_id IS NOT NULL",
            name="approver_household_known",
        ),
        sa.CheckConstraint(
            "state <> 'rejected' OR reason IS NOT NULL", name="rejected_with_reason"
        ),
        sa.CheckConstraint(
            f"points <> 0 AND points BETWEEN -{POINTS_MAX} AND {POINTS_MAX}", name="points_range"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    village_id: Mapped[int] = mapped_column(sa.ForeignKey("village.id"))
    household_id: Mapped[int] = mapped_column(sa.ForeignKey("household.id"))
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("point_item.id"))
    # The item's points when recorded: a later change of the catalogue leaves it be.
    points: Mapped[int]
    occurred_on: Mapped[date] = mapped_column(sa.Date)
    note: Mapped[str | None] = mapped_column(sa.String(NOTE_MAX))
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, 10))
    watch: Mapped[Watch | None] = mapped_column(str_enum(Watch, 10))
    state: Mapped[EntryState] = mapped_column(str_enum(EntryState), default=EntryState.PENDING)
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    # A paper declaration: the resident whose form it was.
    declared_by_resident_id: Mapped[int | None] = mapped_column(sa.ForeignKey("resident.id"))
    photo_stored_name: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    photo_content_type: Mapped[str | None] = mapped_column(sa.String(50))
    photo_width: Mapped[int | None]
    photo_height: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.default_now)

    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    decider_household_id: Mapped[int | None] = mapped_column(sa.ForeignKey("household.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reason: Mapped[str | None] = mapped_column(sa.String(REASON_MAX))
    final_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    village: Mapped[Village] = relationship()
    household: Mapped[Household] = relationship(foreign_keys=[household_id])
    item: Mapped[PointItem] = relationship()
    recorded_by: Mapped[User] = relationship("User", foreign_keys=[recorded_by_id])
    decided_by: Mapped[User | None] = relationship("User", foreign_keys=[decided_by_id])


class Reward(db.Model):
    __table_args__ = (
        sa.UniqueConstraint("village_id", "name"),
        sa.CheckConstraint(f"cost > 0 AND cost <= {COST_MAX}", name="cost_range"),
        sa.CheckConstraint(f"stock >= 0 AND stock <= {STOCK_MAX}", name="stock_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    village_id: Mapped[int] = mapped_column(sa.ForeignKey("village.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(REWARD_NAME_MAX))
    # 规格: "5 斤装", "1 瓶".
    unit: Mapped[str | None] = mapped_column(sa.String(REWARD_NAME_MAX))
    cost: Mapped[int]
    stock: Mapped[int] = mapped_column(default=0)
    position: Mapped[int] = mapped_column(default=0)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.default_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.default_now)


class PointsAccount(db.Model):
    """A household's balance, kept with each ledger row; its lock orders the household's
    points writes (a cap counted, a redemption taken) on PostgreSQL."""

    __table_args__ = (sa.CheckConstraint("balance >= 0", name="balance_not_negative"),)

    household_id: Mapped[int] = mapped_column(sa.ForeignKey("household.id"), primary_key=True)
    village_id: Mapped[int] = mapped_column(sa.ForeignKey("village.id"), index=True)
    balance: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.default_now)


class LedgerEntry(db.Model):
    """One movement of a household's points. Append-only: never updated, never deleted."""

    __tablename__ = "points_ledger"
    __table_args__ = (
        sa.Index("ix_points_ledger_household", "household_id", "id"),
        sa.Index("ix_points_ledger_village", "village_id", "id"),
        sa.Index("ix_points_ledger_village_kind", "village_id", "kind", "id"),
        sa.CheckConstraint("balance_after >= 0", name="balance_after_not_negative"),
        sa.CheckConstraint("(kind = 'award') = (entry_id IS NOT NULL)", name="award_has_entry"),
        sa.CheckConstraint(
            "(kind = 'redemption') = "
            "(reward_id IS NOT NULL AND quantity IS NOT NULL AND quantity > 0)",
            name="redemption_has_reward",
        ),
        sa.CheckConstraint(
            "(kind = 'reversal') = (reverses_id IS NOT NULL)", name="reversal_has_original"
        ),
        sa.CheckConstraint("kind <> 'redemption' OR points < 0", name="redemption_takes"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    village_id: Mapped[int] = mapped_column(sa.ForeignKey("village.id"))
    household_id: Mapped[int] = mapped_column(sa.ForeignKey("household.id"))
    kind: Mapped[LedgerKind] = mapped_column(str_enum(LedgerKind, 12))
    # Signed: what this row adds to the balance.
    points: Mapped[int]
    balance_after: Mapped[int]
    # The book year the row belongs to (the village's open year when written).
    year: Mapped[int]
    entry_id: Mapped[int | None] = mapped_column(sa.ForeignKey("points_entry.id"), unique=True)
    reward_id: Mapped[int | None] = mapped_column(sa.ForeignKey("reward.id"))
    quantity: Mapped[int | None]
    reverses_id: Mapped[int | None] = mapped_column(sa.ForeignKey("points_ledger.id"), unique=True)
    note: Mapped[str | None] = mapped_column(sa.String(NOTE_MAX))
    # Who wrote it (None: `flask tick` making an entry final).
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.default_now)

    entry: Mapped[PointsEntry | None] = relationship()
    reward: Mapped[Reward | None] = relationship()
    actor: Mapped[User | None] = relationship("User")


class PointsBook(db.Model):
    """A village's open book year: the year new ledger rows belong to, until its year end."""

    village_id: Mapped[int] = mapped_column(sa.ForeignKey("village.id"), primary_key=True)
    open_year: Mapped[int]


class YearEnd(db.Model):
    __table_args__ = (sa.UniqueConstraint("village_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    village_id: Mapped[int] = mapped_column(sa.ForeignKey("village.id"))
    year: Mapped[int]
    mode: Mapped[YearEndMode] = mapped_column(str_enum(YearEndMode, 10))
    households: Mapped[int] = mapped_column(default=0)
    points_closed: Mapped[int] = mapped_column(default=0)
    done_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.default_now)
