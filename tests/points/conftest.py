"""Fixtures the points tests share: 湖滨村 with the common catalogue, two grids, households
in each, two committee members of different households, a grid worker of the first
grid, a supervisor, a shopkeeper, villagers, and the clock at 2026-06-10 10:00
(Asia/Shanghai)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from portal.actions import unit_of_work
from portal.auth.models import Role
from portal.extensions import db
from portal.points import services, shop
from portal.points.catalogue import seed_catalogue
from portal.points.models import PointItem
from tests.factories import (
    GridFactory,
    HouseholdFactory,
    RoleGrantFactory,
    VillageFactory,
    villager,
)

# 2026-06-10 10:00 in Asia/Shanghai.
START = datetime(2026, 6, 10, 2, 0, tzinfo=UTC)
TODAY = date(2026, 6, 10)


def item(village, code: str) -> PointItem:
    return db.session.scalars(
        db.select(PointItem).filter_by(village_id=village.id, code=code)
    ).one()


def holder(village, role: Role, grid=None, **kwargs):
    """A verified villager of `village` (in a household of their own) holding `role`."""
    user = villager(village, **kwargs)
    RoleGrantFactory(user=user, role=role, village=village, grid=grid)
    return user


def record(actor, village, household, code="J01", on=TODAY, **kwargs):
    with unit_of_work():
        return services.record(actor, village, household, item(village, code), on, **kwargs)


def approve(actor, village, entry, now=None):
    with unit_of_work():
        return services.approve(actor, village, entry, now=now)


def award(recorder, approver, village, household, code="G04", now=None, on=TODAY):
    """An entry recorded, approved, and (its 公示 over) written to the ledger."""
    entry = record(recorder, village, household, code, on=on)
    approve(approver, village, entry, now=now)
    later = (now or START) + timedelta(days=4)
    with unit_of_work():
        services.post_due(later, household_ids=[household.id])
    return entry


@pytest.fixture
def now(at):
    return at(START)


@pytest.fixture
def village(app, now):
    found = VillageFactory(name="湖滨村", slug="hubin")
    with unit_of_work():
        seed_catalogue(found)
    return found


@pytest.fixture
def grids(village):
    return GridFactory(village=village, name="第一网格"), GridFactory(
        village=village, name="第二网格"
    )


@pytest.fixture
def households(village, grids):
    """Four households: two in each grid."""
    first, second = grids
    return [
        HouseholdFactory(village=village, grid=first, door_number="东街 1 号"),
        HouseholdFactory(village=village, grid=first, door_number="东街 2 号"),
        HouseholdFactory(village=village, grid=second, door_number="西街 1 号"),
        HouseholdFactory(village=village, grid=second, door_number="西街 2 号"),
    ]


@pytest.fixture
def committee(village):
    return holder(village, Role.COMMITTEE, name="王主任")


@pytest.fixture
def second_member(village):
    return holder(village, Role.COMMITTEE, name="刘委员")


@pytest.fixture
def grid_worker(village, grids):
    return holder(village, Role.GRID_WORKER, grid=grids[0], name="张网格")


@pytest.fixture
def supervisor(village):
    return holder(village, Role.SUPERVISOR, name="赵监督")


@pytest.fixture
def shopkeeper(village):
    return holder(village, Role.SHOPKEEPER, name="孙店长")


@pytest.fixture
def resident_user(village, households):
    """A verified villager of the first household."""
    return villager(village, household=households[0], name="陈建国")


@pytest.fixture
def rice(village, committee):
    with unit_of_work():
        return shop.add_reward(committee, village, name="大米", unit="5 斤装", cost=30, stock=10)
