"""Fixtures the nomination tests share: 湖滨村 with its official categories, its
committee and supervisor, a nominator, a nominee, endorsers, and the clock at
2026-12-02 10:00 (Asia/Shanghai)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from portal.actions import unit_of_work
from portal.auth.models import Role
from portal.extensions import db
from portal.nominations import services
from portal.nominations.models import NominationCategory
from tests.factories import HouseholdFactory, ResidentFactory, VillageFactory, official, villager

# 2026-12-02 10:00 in Asia/Shanghai.
START = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
DEED = date(2026, 11, 20)
STORY = "11月20日夜里大雨，他冒雨把独居的李奶奶背到村委会避雨，又回去帮她把漏雨的屋顶盖好。"


def category(village, name: str) -> NominationCategory:
    return db.session.scalars(
        db.select(NominationCategory).filter_by(village_id=village.id, name=name)
    ).one()


def nominate(user, village, nominee, name="助人为乐", **kwargs):
    values = {"story": STORY, "deed_on": DEED}
    values.update(kwargs)
    with unit_of_work():
        return services.nominate(
            user,
            village,
            category_id=category(village, name).id,
            nominee_resident_id=nominee.id if nominee is not None else None,
            **values,
        )


@pytest.fixture
def now(at):
    return at(START)


@pytest.fixture
def village(app):
    found = VillageFactory(name="湖滨村", slug="hubin")
    with unit_of_work():
        services.seed_categories(found)
    return found


@pytest.fixture
def committee(village):
    return official(Role.COMMITTEE, village, name="王主任")


@pytest.fixture
def supervisor(village):
    return official(Role.SUPERVISOR, village)


@pytest.fixture
def nominator(village):
    return villager(village, name="陈建国")


@pytest.fixture
def nominee(village):
    """欧阳娜娜, on the roster without an account."""
    household = HouseholdFactory(village=village, door_number="西街 8 号")
    return ResidentFactory(household=household, village=village, name="欧阳娜娜")


@pytest.fixture
def endorsers(village):
    return [villager(village, name=name) for name in ("李四", "王五", "赵六", "钱七")]
