"""Fixtures the board tests share: 湖滨村 with adopted rules (three articles), its
seeded categories linked to them, two committee members, a supervisor, households
with villagers, and the clock at 2026-12-02 10:00 (Asia/Shanghai)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from portal.actions import unit_of_work
from portal.auth.models import Role
from portal.boards import services
from portal.boards.models import Board, BoardCategory
from portal.extensions import db
from portal.rules.models import RuleArticle, RuleDocument, RuleVersion, VersionState
from tests.factories import HouseholdFactory, ResidentFactory, VillageFactory, official, villager

# 2026-12-02 10:00 in Asia/Shanghai.
START = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)


def adopt_rules(village, articles=("环境卫生", "红白喜事", "孝老爱亲"), at=START):
    """An adopted 村规民约 of `village` with one article per title; its articles."""
    document = RuleDocument(village_id=village.id, title="村规民约")
    db.session.add(document)
    db.session.flush()
    version = RuleVersion(
        document_id=document.id,
        village_id=village.id,
        number=1,
        state=VersionState.ADOPTED,
        adopted_at=at,
    )
    db.session.add(version)
    db.session.flush()
    rows = [
        RuleArticle(
            version_id=version.id,
            position=i + 1,
            title=title,
            body=f"第{i + 1}条 {title}的规定。",
        )
        for i, title in enumerate(articles)
    ]
    db.session.add_all(rows)
    db.session.commit()
    return rows


def category(village, board: Board, name: str) -> BoardCategory:
    return db.session.scalars(
        db.select(BoardCategory).filter_by(village_id=village.id, board=board, name=name)
    ).one()


@pytest.fixture
def now(at):
    return at(START)


@pytest.fixture
def village(app):
    return VillageFactory(name="湖滨村", slug="hubin")


@pytest.fixture
def articles(village):
    return adopt_rules(village)


@pytest.fixture
def committee(village):
    return official(Role.COMMITTEE, village, name="王主任")


@pytest.fixture
def second_member(village):
    return official(Role.COMMITTEE, village, name="赵委员")


@pytest.fixture
def supervisor(village):
    return official(Role.SUPERVISOR, village)


@pytest.fixture
def seeded(village, articles, committee, now):
    """The seeded categories, each black one linked to an article in force."""
    with unit_of_work():
        services.seed_categories(village, committee)
    links = {"乱堆乱放": 0, "乱倒垃圾": 0, "违规焚烧秸秆": 0, "大操大办": 1, "不赡养老人": 2}
    for name, index in links.items():
        category(village, Board.BLACK, name).article_id = articles[index].id
    db.session.commit()
    return village


@pytest.fixture
def household(village):
    return HouseholdFactory(village=village, door_number="东街 12 号")


@pytest.fixture
def subject(household):
    """The person a black entry names: 欧阳建国 of the household."""
    return ResidentFactory(household=household, village=household.village, name="欧阳建国")


@pytest.fixture
def subject_user(village, household, subject):
    """A verified villager of the subject household (its other member, 欧阳娜娜)."""
    return villager(village, name="欧阳娜娜", household=household)


@pytest.fixture
def neighbour(village):
    return villager(village, name="李四")


# --- entries in every state, for the page and privacy tests ---------------------------

# The moment the page tests look at the boards: 2026-12-24 10:00 (Asia/Shanghai).
VIEW = START + timedelta(days=22)
BLACK_STATES = (
    "warned",
    "put_right",
    "declined",
    "notice",
    "published",
    "expired",
    "frozen",
    "withdrawn",
)


def _meeting(moment):
    from portal import clock

    return services.Meeting(clock.local_date(moment), "王主任、赵委员、钱委员", 3, 0)


def black_entry(
    village,
    committee,
    second_member,
    at,
    state,
    *,
    household,
    resident=None,
    category_name="乱堆乱放",
    description="在村道旁堆放柴草，影响通行。",
):
    """A black entry of `household` (and `resident`) in `state` as seen at `VIEW`; the
    clock is left at `VIEW`. "expired": its date passed with no tick run; "frozen":
    expired and frozen by `flask tick`."""
    cat = category(village, Board.BLACK, category_name)
    start = VIEW - timedelta(days=120) if state in ("expired", "frozen") else START
    if state in ("warned", "put_right"):
        start = VIEW - timedelta(days=1)
    at(start)
    with unit_of_work():
        entry = services.warn(
            committee,
            village,
            category_id=cat.id,
            household_id=household.id,
            resident_id=resident.id if resident else None,
            description=description,
        )
    if state == "put_right":
        at(VIEW)
        with unit_of_work():
            services.record_put_right(committee, entry, "已清理干净。")
    elif state == "declined":
        at(START + timedelta(days=16))
        with unit_of_work():
            services.decline_listing(committee, entry, "已经主动清理。")
    elif state != "warned":
        approved = start + timedelta(days=20 if state == "notice" else 16)
        at(approved)
        with unit_of_work():
            services.approve_listing(second_member, entry, _meeting(approved))
        if state != "notice":
            at(start + timedelta(days=22))
            with unit_of_work():
                services.publish(committee, entry)
        if state == "withdrawn":
            with unit_of_work():
                services.withdraw(committee, entry, "申诉成立。")
        if state == "frozen":
            at(VIEW)
            services.expire_due(VIEW)
    at(VIEW)
    db.session.refresh(entry)
    return entry


def red_entry(
    village,
    committee,
    at,
    state,
    *,
    household,
    resident=None,
    consented=False,
    category_name="最美家庭",
    description="家庭和睦，热心帮助邻里。",
):
    """A red entry in `state` ("notice", "published", "expired", "withdrawn") at `VIEW`."""
    cat = category(village, Board.RED, category_name)
    start = {
        "notice": VIEW - timedelta(days=1),
        "expired": VIEW - timedelta(days=400),
    }.get(state, START - timedelta(days=10))
    at(start)
    with unit_of_work():
        entry = services.commend(
            committee,
            village,
            category_id=cat.id,
            household_id=household.id,
            resident_id=resident.id if resident else None,
            description=description,
            consented=consented,
        )
    if state != "notice":
        at(start + timedelta(days=6))
        with unit_of_work():
            services.publish(committee, entry)
    if state == "withdrawn":
        with unit_of_work():
            services.withdraw(committee, entry, "本人要求撤下。")
    at(VIEW)
    db.session.refresh(entry)
    return entry
