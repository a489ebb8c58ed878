"""Categories: seeded lists, each resting on an article of the rules in force."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from portal.actions import unit_of_work
from portal.audit.models import ActionLog
from portal.boards import services
from portal.boards.models import Board, BoardCategory
from portal.extensions import db
from portal.rules.models import RuleVersion, VersionState
from tests.boards.conftest import adopt_rules, category
from tests.factories import VillageFactory, count


def save(actor, village, **fields):
    values = {"board": "black", "name": "占道经营", "description": None, "article_id": None}
    values.update(fields)
    with unit_of_work():
        return services.save_category(actor, village, **values)


def refused(action, words):
    with pytest.raises(services.BoardError) as caught:
        action()
    db.session.rollback()
    assert words in caught.value.message
    return caught.value


def test_seeding_adds_each_list_once(village, committee, now):
    with unit_of_work():
        assert services.seed_categories(village, committee) == 10
    with unit_of_work():
        assert services.seed_categories(village, committee) == 0
    names = {c.name for c in services.categories(village, Board.BLACK)}
    assert {"乱堆乱放", "大操大办", "不赡养老人"} <= names
    assert {c.name for c in services.categories(village, Board.RED)} >= {"最美家庭", "志愿服务"}
    assert count(ActionLog, ActionLog.action == "board.seed_categories") == 1


def test_seeded_black_categories_wait_for_their_article(village, committee, articles, now):
    with unit_of_work():
        services.seed_categories(village, committee)
    black = category(village, Board.BLACK, "乱堆乱放")
    red = category(village, Board.RED, "最美家庭")
    assert not services.usable(black) and services.legal_basis(black) is None
    assert services.usable(red)
    save(committee, village, category=black, name="乱堆乱放", article_id=articles[0].id)
    assert services.legal_basis(black) == articles[0]
    assert services.usable(black)


def test_a_black_category_needs_an_article(village, committee, articles, now):
    error = refused(lambda: save(committee, village), "必须写明依据")
    assert error.field == "article_id"
    assert count(BoardCategory) == 0


def test_the_article_must_be_in_force_here(village, committee, articles, now):
    other = VillageFactory()
    foreign = adopt_rules(other, ("环境",))
    refused(lambda: save(committee, village, article_id=foreign[0].id), "现行村规民约")
    version = db.session.scalars(
        sa.select(RuleVersion).where(RuleVersion.village_id == village.id)
    ).one()
    version.state = VersionState.SUPERSEDED
    db.session.commit()
    refused(lambda: save(committee, village, article_id=articles[0].id), "现行村规民约")


def test_names_are_checked(village, committee, articles, now):
    refused(lambda: save(committee, village, name=" ", article_id=articles[0].id), "类别名称")
    refused(lambda: save(committee, village, name="长" * 41, article_id=articles[0].id), "最多 40")
    save(committee, village, article_id=articles[0].id)
    refused(lambda: save(committee, village, article_id=articles[0].id), "同名")
    save(committee, village, board="red", name="占道经营")  # the other list may share it
    refused(lambda: save(committee, village, board="grey"), "红榜或黑榜")


def test_only_the_committee_edits_categories(village, supervisor, articles, now):
    refused(lambda: save(supervisor, village, article_id=articles[0].id), "村委会成员")


def test_retiring_keeps_the_row(village, committee, articles, now):
    made = save(committee, village, article_id=articles[0].id)
    with unit_of_work():
        services.retire_category(committee, made)
    assert not services.usable(made)
    assert db.session.get(BoardCategory, made.id) is not None
    refused(lambda: services.retire_category(committee, made), "已经停用")
    actions = db.session.scalars(
        sa.select(ActionLog.action).where(ActionLog.object_type == "boardcategory")
    ).all()
    assert actions == ["board.category_add", "board.category_retire"]
