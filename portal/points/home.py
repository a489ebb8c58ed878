"""What points show on the village home: the 积分榜, the five households with the most
points, once the village has any points account (an account is made with a household's
first entry, so a village that has not started points shows nothing)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from portal import clock
from portal.extensions import db
from portal.points import services
from portal.points.models import PointsAccount, PointsEntry
from portal.villages.models import Household, Resident, Village

HOME_LEADERS = 5


@dataclass(frozen=True)
class Leader:
    household_id: int
    head: str | None
    balance: int


def _leaders() -> sa.Select:
    """One statement, built once with bound parameters: the village's accounts by final
    balance (what the ledger says and what time has made final), each with its head's
    name (the first resident on the roster, as `services.heads` reads it), in the
    leaderboard's order (`services.leaderboard`)."""
    now = sa.bindparam("now", type_=PointsEntry.created_at.type)
    village_id = sa.bindparam("village_id", type_=sa.Integer)
    due = services.due_by_household(village_id, now)
    balance = services.final_balance(PointsAccount.balance, due)
    head = (
        sa.select(Resident.name)
        .where(Resident.household_id == PointsAccount.household_id, Resident.left_on.is_(None))
        .order_by(Resident.id)
        .limit(1)
        .correlate(PointsAccount)
        .scalar_subquery()
    )
    return (
        sa.select(PointsAccount.household_id, head.label("head"), balance.label("balance"))
        .join(Household, Household.id == PointsAccount.household_id)
        .outerjoin(due, due.c.household_id == PointsAccount.household_id)
        .where(PointsAccount.village_id == village_id)
        .order_by(balance.desc(), Household.door_number, Household.id)
        .limit(HOME_LEADERS)
    )


_LEADERS = _leaders()


def home_context(village: Village) -> dict:
    rows = db.session.execute(_LEADERS, {"village_id": village.id, "now": clock.now()})
    return {
        "points_home_leaders": [
            Leader(household_id, head, balance) for household_id, head, balance in rows
        ]
    }
