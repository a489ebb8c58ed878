"""Fixtures for identity tests: 湖滨村 with two households, its invite codes, helpers."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal import clock
from portal.auth.models import User
from portal.extensions import db
from portal.villages.models import Gender
from tests.factories import (
    HouseholdFactory,
    InviteCodeFactory,
    ResidentFactory,
    TownFactory,
    VillageFactory,
)

GOOD_PASSWORD = "green-tea-river-9"


@pytest.fixture
def hubin(app):
    return VillageFactory(
        name="湖滨村", slug="hubin", town=TownFactory(name="银涂镇", slug="yintu")
    )


@pytest.fixture
def other_village(app, hubin):
    return VillageFactory(name="山前村", slug="shanqian", town=hubin.town)


@pytest.fixture
def household(hubin):
    """湖滨村 12号: 王建国 and 李秀英, no accounts yet."""
    home = HouseholdFactory(village=hubin, door_number="12号")
    ResidentFactory(household=home, name="王建国", birth_year=1962, gender=Gender.MALE)
    ResidentFactory(household=home, name="李秀英", birth_year=1965, gender=Gender.FEMALE)
    return home


@pytest.fixture
def person_code(household):
    """A code for 王建国 alone."""
    return InviteCodeFactory(household=household, resident=household.residents[0], code="HBP0001")


@pytest.fixture
def household_code(household):
    return InviteCodeFactory(household=household, code="HBH0001")


@pytest.fixture
def expired_code(household):
    return InviteCodeFactory(
        household=household, code="HBX0001", expires_at=clock.now() - timedelta(days=1)
    )


@pytest.fixture
def foreign_code(other_village):
    home = HouseholdFactory(village=other_village, door_number="3号")
    ResidentFactory(household=home, name="赵大山")
    return InviteCodeFactory(household=home, code="SQH0001")


def user_count() -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(User))


def user_by_phone(phone: str) -> User | None:
    db.session.rollback()
    return db.session.scalar(sa.select(User).where(User.phone == phone))


def registration(**overrides) -> dict:
    """A complete registration with an invite code; override or drop (None) any field."""
    data = {
        "village": "",
        "invite_code": "",
        "name": "王建国",
        "door_number": "",
        "birth_year": "",
        "phone": "13912345678",
        "password": GOOD_PASSWORD,
        "confirm": GOOD_PASSWORD,
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}
