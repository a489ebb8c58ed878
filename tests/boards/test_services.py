"""The boards' rules, with the clock controlled: each transition and each refusal, and
what time decides without a write (shown_state, listing, expiry)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from portal import tick
from portal.actions import unit_of_work
from portal.audit.models import ActionLog
from portal.auth.models import Role
from portal.boards import services
from portal.boards.models import Board, BoardEntry, EntryState
from portal.boards.services import Shown
from portal.extensions import db
from portal.publicity import services as publicity
from portal.publicity.models import Publicity
from portal.rules.models import RuleVersion, VersionState
from tests.boards.conftest import START, category
from tests.factories import HouseholdFactory, ResidentFactory, VillageFactory, count, official

DAY = timedelta(days=1)
MEETING = services.Meeting(date(2026, 12, 18), "王主任、赵委员、钱委员", 3, 0)


def log_names(entry) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(ActionLog.action)
            .where(ActionLog.object_type == "boardentry", ActionLog.object_id == entry.id)
            .order_by(ActionLog.id)
        )
    )


def warned(village, committee, household, subject, name="乱堆乱放", **kwargs):
    with unit_of_work():
        return services.warn(
            committee,
            village,
            category_id=category(village, Board.BLACK, name).id,
            household_id=household.id,
            resident_id=subject.id if subject else None,
            description="在村道旁堆放柴草，影响通行。",
            **kwargs,
        )


def refused(action, words: str, status: int | None = None):
    with pytest.raises(services.BoardError) as caught, unit_of_work():
        action()
    assert words in caught.value.message
    if status is not None:
        assert caught.value.status == status
    db.session.rollback()
    return caught.value


@pytest.fixture
def entry(seeded, committee, household, subject, now):
    return warned(seeded, committee, household, subject)


def to_notice(entry, second_member, at):
    at(START + 16 * DAY)
    with unit_of_work():
        services.approve_listing(second_member, entry, MEETING)
    return entry


# --- warning --------------------------------------------------------------------------


def test_a_warning_has_the_default_deadline_and_lists_nothing(entry, seeded):
    assert entry.state == EntryState.WARNED
    assert entry.warning_deadline == date(2026, 12, 17)  # 15 days from 12月2日
    assert entry.article_id is not None
    assert services.shown_state(entry) == Shown.WARNED
    assert not services.is_listed(entry)
    assert db.session.scalars(services.listed(seeded, Board.BLACK)).all() == []
    assert log_names(entry) == ["board.warn"]


def test_the_deadline_follows_the_village_setting(seeded, committee, household, subject, now):
    from portal.settings import registry as settings

    settings.change_settings(committee, seeded, {"boards.warning_days": "7"})
    entry = warned(seeded, committee, household, subject)
    assert entry.warning_deadline == date(2026, 12, 9)


@pytest.mark.parametrize(
    ("deadline", "words"),
    [(date(2026, 12, 2), "今天以后"), (date(2027, 6, 1), "最长 90 天")],
)
def test_a_deadline_today_or_too_far_is_refused(
    seeded, committee, household, subject, now, deadline, words
):
    before = count(BoardEntry), count(ActionLog)
    refused(lambda: warned(seeded, committee, household, subject, deadline=deadline), words, 422)
    assert (count(BoardEntry), count(ActionLog)) == before


def test_no_black_entry_without_an_article(seeded, committee, household, subject, now):
    black = category(seeded, Board.BLACK, "乱堆乱放")
    black.article_id = None
    db.session.commit()
    refused(lambda: warned(seeded, committee, household, subject), "不能据此上黑榜", 422)
    assert count(BoardEntry) == 0


def test_an_article_no_longer_in_force_is_no_basis(seeded, committee, household, subject, now):
    version = db.session.scalars(sa.select(RuleVersion)).one()
    version.state = VersionState.SUPERSEDED
    db.session.commit()
    refused(lambda: warned(seeded, committee, household, subject), "不能据此上黑榜")


def test_only_the_committee_warns(seeded, supervisor, household, subject, now):
    refused(lambda: warned(seeded, supervisor, household, subject), "村委会成员", 403)


def test_the_subject_is_a_household_of_the_village(seeded, committee, subject, now):
    elsewhere = HouseholdFactory(village=VillageFactory())
    refused(lambda: warned(seeded, committee, elsewhere, None), "本村的一户", 422)
    other = HouseholdFactory(village=seeded)
    refused(lambda: warned(seeded, committee, other, subject), "不是这一户的成员", 422)


def test_a_retired_or_missing_category_is_refused(seeded, committee, household, subject, now):
    black = category(seeded, Board.BLACK, "乱堆乱放")
    with unit_of_work():
        services.retire_category(committee, black)
    refused(lambda: warned(seeded, committee, household, subject), "停用")
    refused(
        lambda: services.warn(
            committee,
            seeded,
            category_id=category(seeded, Board.RED, "最美家庭").id,
            household_id=household.id,
            description="x",
        ),
        "请选择一个类别",
    )


def test_an_empty_or_overlong_description_is_refused(seeded, committee, household, now):
    black = category(seeded, Board.BLACK, "乱堆乱放")
    for text, words in (("   ", "事实经过"), ("x" * 1001, "最多 1000")):
        refused(
            lambda text=text: services.warn(
                committee,
                seeded,
                category_id=black.id,
                household_id=household.id,
                description=text,
            ),
            words,
            422,
        )
    assert count(BoardEntry) == 0


# --- put right ------------------------------------------------------------------------


def test_put_right_in_time_closes_the_entry(entry, committee, at):
    at(START + 15 * DAY)  # 12月17日, the deadline itself
    with unit_of_work():
        services.record_put_right(committee, entry, "柴草已清理。")
    assert entry.state == EntryState.PUT_RIGHT
    assert entry.put_right_by_id == committee.id
    assert services.shown_state(entry) == Shown.PUT_RIGHT
    assert log_names(entry) == ["board.warn", "board.put_right"]
    refused(lambda: services.record_put_right(committee, entry), "已经记录过")


def test_put_right_after_the_deadline_is_refused(entry, committee, at):
    at(START + 16 * DAY)
    refused(lambda: services.record_put_right(committee, entry), "期限已过", 409)
    assert entry.state == EntryState.WARNED


# --- the decision ---------------------------------------------------------------------


def test_the_deadline_passing_shows_a_decision_due_without_a_write(entry, at):
    at(START + 16 * DAY)
    db.session.expire_all()
    assert services.shown_state(db.session.get(BoardEntry, entry.id)) == Shown.DECISION_DUE
    assert db.session.get(BoardEntry, entry.id).state == EntryState.WARNED


def test_approval_before_the_deadline_is_refused(entry, second_member, at):
    at(START + 15 * DAY)
    refused(lambda: services.approve_listing(second_member, entry, MEETING), "还没有过", 409)


def test_the_creator_cannot_approve(entry, committee, at):
    at(START + 16 * DAY)
    refused(lambda: services.approve_listing(committee, entry, MEETING), "另一位村委会成员", 403)
    assert entry.state == EntryState.WARNED


def test_a_supervisor_cannot_approve(entry, supervisor, at):
    at(START + 16 * DAY)
    refused(lambda: services.approve_listing(supervisor, entry, MEETING), "村委会成员", 403)


@pytest.mark.parametrize(
    ("meeting", "words"),
    [
        (services.Meeting(None, "王、赵、钱", 3, 0), "开会的日期"),
        (services.Meeting(date(2026, 12, 19), "王、赵、钱", 3, 0), "今天以后"),
        (services.Meeting(date(2026, 9, 1), "王、赵、钱", 3, 0), "60 天以前"),
        (services.Meeting(date(2026, 12, 18), "  ", 3, 0), "参加会议的人"),
        (services.Meeting(date(2026, 12, 18), "王、赵、钱", 0, 0), "同意的人数"),
        (services.Meeting(date(2026, 12, 18), "王、赵、钱", 2, None), "不同意的人数"),
        (services.Meeting(date(2026, 12, 18), "王、赵、钱、孙", 2, 2), "没有过半"),
    ],
)
def test_the_meeting_must_be_recorded(entry, second_member, at, meeting, words):
    at(START + 16 * DAY)
    before = count(Publicity), count(ActionLog)
    refused(lambda: services.approve_listing(second_member, entry, meeting), words, 422)
    assert (count(Publicity), count(ActionLog)) == before
    assert db.session.get(BoardEntry, entry.id).state == EntryState.WARNED


def test_approval_opens_the_notice_with_the_meeting(entry, second_member, seeded, at):
    to_notice(entry, second_member, at)
    assert entry.state == EntryState.NOTICE
    assert (entry.approved_by_id, entry.meeting_votes_for) == (second_member.id, 3)
    period = publicity.period_for(services.SUBJECT, entry.id)
    assert period.ends_at - period.starts_at == timedelta(days=5)
    assert services.shown_state(entry, period) == Shown.NOTICE
    assert services.is_listed(entry)
    assert [e.id for e in db.session.scalars(services.listed(seeded, Board.BLACK))] == [entry.id]
    assert log_names(entry) == ["board.warn", "board.approve"]


def test_decline_needs_a_reason(entry, second_member, at):
    at(START + 16 * DAY)
    refused(lambda: services.decline_listing(second_member, entry, " "), "不列入的理由", 422)
    with unit_of_work():
        services.decline_listing(second_member, entry, "已于期满后次日整改完毕。")
    assert services.shown_state(entry) == Shown.DECLINED
    refused(lambda: services.approve_listing(second_member, entry, MEETING), "状态")


# --- 公示, publishing, expiry ----------------------------------------------------------


def test_publish_waits_for_the_end_of_the_notice(entry, second_member, committee, at):
    to_notice(entry, second_member, at)
    at(START + 20 * DAY)
    refused(lambda: services.publish(committee, entry), "还没有结束", 409)


def test_publish_waits_for_every_objection_answered(entry, second_member, committee, neighbour, at):
    to_notice(entry, second_member, at)
    period = publicity.period_for(services.SUBJECT, entry.id)
    with unit_of_work():
        objection = publicity.object_online(neighbour, period, "柴草是邻居家的。")
    at(START + 22 * DAY)
    assert services.shown_state(entry, period) == Shown.NOTICE_ENDED
    refused(lambda: services.publish(committee, entry), "异议没有答复", 409)
    with unit_of_work():
        publicity.answer(committee, objection, "经核实，柴草为该户所堆。")
    with unit_of_work():
        services.publish(committee, entry)
    assert entry.state == EntryState.PUBLISHED
    assert entry.expires_at == START + 22 * DAY + timedelta(days=90)


def test_expiry_is_read_from_the_clock_and_frozen_by_tick(
    entry, second_member, committee, seeded, at
):
    to_notice(entry, second_member, at)
    at(START + 22 * DAY)
    with unit_of_work():
        services.publish(committee, entry)
    expires = entry.expires_at
    at(expires - timedelta(seconds=1))
    assert services.is_listed(entry)
    at(expires)
    assert services.shown_state(entry) == Shown.EXPIRED
    assert db.session.scalars(services.listed(seeded, Board.BLACK)).all() == []
    assert entry.state == EntryState.PUBLISHED  # nothing written yet
    assert tick.run(expires)["boards.expiry"] == 1
    db.session.expire_all()
    assert db.session.get(BoardEntry, entry.id).state == EntryState.EXPIRED
    assert tick.run(expires)["boards.expiry"] == 0
    assert log_names(entry)[-1] == "board.expire"


def test_withdraw_takes_it_off_and_keeps_it(entry, second_member, committee, seeded, at):
    to_notice(entry, second_member, at)
    with unit_of_work():
        services.withdraw(committee, entry, "申诉成立。")
    assert services.shown_state(entry) == Shown.WITHDRAWN
    assert db.session.get(BoardEntry, entry.id) is not None
    assert db.session.scalars(services.listed(seeded, Board.BLACK)).all() == []
    refused(lambda: services.withdraw(committee, entry, "again"), "已经撤销")


# --- red entries ----------------------------------------------------------------------


def commended(village, committee, household, resident, consented=False):
    with unit_of_work():
        return services.commend(
            committee,
            village,
            category_id=category(village, Board.RED, "孝老爱亲").id,
            household_id=household.id,
            resident_id=resident.id if resident else None,
            description="十年如一日照顾瘫痪在床的婆婆。",
            consented=consented,
        )


def test_a_red_entry_goes_straight_to_notice_masked(seeded, committee, household, subject, now):
    entry = commended(seeded, committee, household, subject)
    assert entry.state == EntryState.NOTICE
    assert publicity.period_for(services.SUBJECT, entry.id) is not None
    assert services.subject_name(entry) == "欧阳**"


def test_consent_shows_the_full_name_and_is_recorded(seeded, committee, household, subject, now):
    entry = commended(seeded, committee, household, subject, consented=True)
    assert (entry.consented_at, entry.consent_recorded_by_id) == (START, committee.id)
    assert services.subject_name(entry) == "欧阳建国"


def test_consent_needs_a_person(seeded, committee, household, subject, now):
    refused(lambda: commended(seeded, committee, household, None, consented=True), "选定")
    entry = commended(seeded, committee, household, None)
    assert services.subject_name(entry) == "欧阳**家"
    refused(lambda: services.record_consent(committee, entry), "选定")


def test_consent_recorded_later(seeded, committee, household, subject, now):
    entry = commended(seeded, committee, household, subject)
    with unit_of_work():
        services.record_consent(committee, entry)
    assert services.subject_name(entry) == "欧阳建国"
    refused(lambda: services.record_consent(committee, entry), "已经记录过")


def test_a_black_entry_never_shows_a_full_name(entry, second_member, at):
    to_notice(entry, second_member, at)
    refused(lambda: services.record_consent(second_member, entry), "不公开全名")
    assert services.subject_name(entry) == "欧阳**"
    entry.consented_at, entry.consent_recorded_by_id = START, second_member.id
    with pytest.raises(sa.exc.IntegrityError, match="black_never_named"):
        db.session.commit()
    db.session.rollback()


def test_red_expiry_is_a_year(seeded, committee, household, subject, at, now):
    entry = commended(seeded, committee, household, subject)
    at(START + 6 * DAY)
    with unit_of_work():
        services.publish(committee, entry)
    assert entry.expires_at == START + 6 * DAY + timedelta(days=365)


# --- who may read the black board -----------------------------------------------------


def test_who_may_read_the_black_board(seeded, neighbour, committee, supervisor, now):
    from tests.factories import villager

    outsider = villager(VillageFactory())
    town = official(Role.TOWN_OFFICIAL, seeded)
    assert services.may_read_black(neighbour, seeded)
    assert services.may_read_black(committee, seeded)
    assert services.may_read_black(supervisor, seeded)
    assert not services.may_read_black(outsider, seeded)
    assert not services.may_read_black(town, seeded)
    assert not services.may_read_black(None, seeded)


def test_a_household_without_a_name_is_still_masked(seeded, committee, now):
    household = HouseholdFactory(village=seeded)
    ResidentFactory(household=household, name="明")
    with unit_of_work():
        entry = services.commend(
            committee,
            seeded,
            category_id=category(seeded, Board.RED, "志愿服务").id,
            household_id=household.id,
            description="义务修路。",
        )
    assert services.subject_name(entry) == "明*家"
