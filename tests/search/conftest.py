"""Fixtures for search: a village with notices and rules to find, and a neighbour."""

from __future__ import annotations

import pytest

from portal.auth.models import Role
from portal.search.services import search
from tests.factories import VillageFactory, official
from tests.notices.conftest import make_notice
from tests.rules import factories as rf


@pytest.fixture
def village(app):
    return VillageFactory(name="湖滨村", slug="hubin")


@pytest.fixture
def committee(village):
    return official(Role.COMMITTEE, village=village)


@pytest.fixture
def corpus(village, committee):
    """Notices and a rule version under consultation (tests/rules/factories.py ARTICLES:
    垃圾分类投放, 红白理事会, 赡养父母), and one draft that must never be found."""
    notices = {
        "garbage": make_notice(
            committee,
            village,
            title="关于垃圾分类的通知",
            body="从下周起，生活**垃圾分类**投放。厨余垃圾放绿色桶。",
        ),
        "bride": make_notice(
            committee,
            village,
            title="移风易俗倡议书",
            body="反对高价彩礼，彩礼一般不超过3万元。红白理事会负责引导。",
        ),
        "wifi": make_notice(
            committee,
            village,
            title="村委会便民服务",
            body="村委会大厅 WiFi密码：hubin2026。办事时间见下表。\n\n"
            "| 项目 | 时间 |\n|---|---|\n| 办证 | 周一 |",
        ),
        "year": make_notice(
            committee,
            village,
            title="2026年度工作计划",
            body="2026年村里要修缮村道、整治湖塘。养狗的人家请拴好狗。",
        ),
        "draft": make_notice(
            committee, village, publish=False, title="草稿：春耕垃圾清运", body="春耕安排未定。"
        ),
    }
    version = rf.in_consultation(village, committee)
    return {"notices": notices, "version": version}


def titles(village, q: str, page: int = 1) -> list[str]:
    return [r.title for r in search(village, q, page).results]
