"""Fixtures the 公示 tests share: a village, its committee and supervisor, villagers,
and a period for a subject no feature owns ("test_subject" 1), from 12月2日 10:00
(Asia/Shanghai) for 5 days."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from portal.actions import unit_of_work
from portal.auth.models import Role
from portal.extensions import db
from portal.publicity import services
from tests.factories import VillageFactory, official, villager

# 2026-12-02 10:00 in Asia/Shanghai.
START = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
DAYS = 5


@pytest.fixture
def village(app):
    return VillageFactory(name="湖滨村", slug="hubin")


@pytest.fixture
def committee(village):
    return official(Role.COMMITTEE, village)


@pytest.fixture
def supervisor(village):
    return official(Role.SUPERVISOR, village)


@pytest.fixture
def objector(village):
    return villager(village, name="张三丰")


@pytest.fixture
def neighbour(village):
    return villager(village, name="李四")


@pytest.fixture
def period(village, committee, at):
    at(START)
    with unit_of_work():
        publicity = services.open_period(committee, village, "test_subject", 1, DAYS)
    db.session.refresh(publicity)
    return publicity
