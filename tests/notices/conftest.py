"""Fixtures for 村务公开: a village, its committee, and notices in each state."""

from __future__ import annotations

import pytest

from portal.auth.models import Role
from portal.extensions import db
from portal.notices import services
from portal.notices.models import NoticeCategory
from tests.factories import VillageFactory, official


@pytest.fixture
def village(app):
    return VillageFactory(name="湖滨村", slug="hubin")


@pytest.fixture
def committee(village):
    return official(Role.COMMITTEE, village=village)


def make_notice(committee, village, *, publish=True, **fields):
    values = {
        "category": NoticeCategory.AFFAIRS,
        "title": "关于修缮村道的通知",
        "body": "村道将于下周一开始修缮。\n\n- 请绕行\n- 注意安全",
    }
    values.update(fields)
    notice = services.create_draft(committee, village, **values)
    if publish:
        services.publish(committee, notice)
    db.session.commit()
    return notice


@pytest.fixture
def notice(committee, village):
    return make_notice(committee, village)


@pytest.fixture
def draft(committee, village):
    return make_notice(committee, village, publish=False, title="草稿：春耕安排")
