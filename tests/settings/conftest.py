"""Fixtures for village settings: a village, its officials, and a setting of each kind."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from portal.audit.models import ActionLog
from portal.auth.models import Role
from portal.extensions import db
from portal.settings import registry
from portal.settings.models import VillageSetting
from tests.factories import VillageFactory, official


@pytest.fixture
def village(app):
    return VillageFactory(name="湖滨村", slug="hubin")


@pytest.fixture
def other_village(app):
    return VillageFactory(name="山前村", slug="shanqian")


@pytest.fixture
def committee(village):
    return official(Role.COMMITTEE, village=village)


@pytest.fixture
def supervisor(village):
    return official(Role.SUPERVISOR, village=village)


@pytest.fixture
def kinds(monkeypatch):
    """A choice and a yes/no setting beside the portal's own, for as long as the test runs."""
    display = registry.choice(
        "test.display",
        label="黑榜的显示方式",
        section="测试",
        default="masked",
        choices=[("masked", "登录村民看到打码姓名"), ("counts", "只显示各类人数")],
        order=900,
    )
    remind = registry.yes_no("test.remind", label="提醒", section="测试", default=False, order=901)
    for item in (display, remind):
        monkeypatch.setitem(registry._SETTINGS, item.key, item)
    return display, remind


def stored() -> dict[str, str]:
    """The village settings rows as the database now has them, by key."""
    db.session.rollback()
    return dict(db.session.execute(sa.select(VillageSetting.key, VillageSetting.value)).all())


def setting_logs() -> list[ActionLog]:
    db.session.rollback()
    return list(
        db.session.scalars(
            sa.select(ActionLog).where(ActionLog.action == "settings.change").order_by(ActionLog.id)
        )
    )
