"""Fixtures for the committee console: a village with its officials, and a few helpers."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from portal.audit.models import ActionLog
from portal.auth.models import Role
from portal.extensions import db
from portal.villages.models import Household, Resident
from tests.conftest import login_as
from tests.factories import VillageFactory, official


@pytest.fixture
def app_config(tmp_path) -> dict:
    # Run roster imports inside the upload request, so tests see the finished job; the
    # files of queued jobs go to the test's own folder.
    return {"ROSTER_IMPORT_SYNC": True, "ROSTER_IMPORT_DIR": str(tmp_path / "roster-imports")}


@pytest.fixture
def village():
    return VillageFactory(name="湖滨村", slug="hubin")


@pytest.fixture
def other_village():
    return VillageFactory(name="山前村", slug="shanqian")


@pytest.fixture
def committee(village):
    return official(Role.COMMITTEE, village=village)


@pytest.fixture
def supervisor(village):
    return official(Role.SUPERVISOR, village=village)


def as_user(client, user):
    login_as(client, user)
    return client


def count(model) -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def log_actions() -> list[str]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(ActionLog.action).order_by(ActionLog.id)))


def roster_size() -> tuple[int, int]:
    return count(Household), count(Resident)
