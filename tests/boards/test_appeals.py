"""Appeals 申诉 and requests to take an entry down, up to the town: every step and every
refusal with the clock controlled, and nothing half-written when a step is refused."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest

from portal.actions import Refusal, unit_of_work
from portal.audit.models import ActionLog
from portal.auth.models import Role
from portal.boards import appeals, services
from portal.boards.models import AppealKind, AppealState, Board, BoardAppeal, EntryState
from portal.extensions import db
from tests.boards.conftest import START, category
from tests.factories import (
    ResidentFactory,
    RoleGrantFactory,
    TownFactory,
    UserFactory,
    VillageFactory,
    count,
    official,
    villager,
)

DECIDED = START + timedelta(days=16)  # the deadline (12-17) has passed: the committee decides
IN_NOTICE = START + timedelta(days=17)  # 公示 from 12-18 for 5 days
PUBLISHED = START + timedelta(days=22)  # 公示 over: published, on the board for 90 days


def black_entry(village, committee, second_member, household, subject, at, *, publish=False):
    """A black entry of `household`, decided by two members and in 公示 (or published)."""
    at(START)
    with unit_of_work():
        entry = services.warn(
            committee,
            village,
            category_id=category(village, Board.BLACK, "乱堆乱放").id,
            household_id=household.id,
            resident_id=subject.id,
            description="在村道旁长期堆放柴草，影响通行。",
        )
    at(DECIDED)
    meeting = services.Meeting(date(2026, 12, 18), "王主任、赵委员、钱委员", 3, 0)
    with unit_of_work():
        services.approve_listing(second_member, entry, meeting)
    if publish:
        at(PUBLISHED)
        with unit_of_work():
            services.publish(committee, entry)
    else:
        at(IN_NOTICE)
    return entry


@pytest.fixture
def entry(seeded, committee, second_member, household, subject, at):
    return black_entry(seeded, committee, second_member, household, subject, at)


@pytest.fixture
def published(seeded, committee, second_member, household, subject, at):
    return black_entry(seeded, committee, second_member, household, subject, at, publish=True)


@pytest.fixture
def town_official(village):
    return official(Role.TOWN_OFFICIAL, town=village.town, name="镇街刘干事")


def writes() -> tuple[int, int]:
    return count(BoardAppeal), count(ActionLog)


def refused(action, status: int, words: str | None = None) -> Refusal:
    """Run `action` as one unit of work: it must be refused with `status`, writing nothing."""
    before = writes()
    with pytest.raises(Refusal) as caught, unit_of_work():
        action()
    assert caught.value.status == status, caught.value.message
    if words is not None:
        assert words in caught.value.message
    assert writes() == before
    return caught.value


def logged(action: str) -> list[ActionLog]:
    return list(db.session.scalars(db.select(ActionLog).filter_by(action=action)))


def test_appeal_during_notice_dismissed_then_the_town_upholds_and_the_entry_is_withdrawn(
    entry, committee, subject_user, town_official, at
):
    with unit_of_work():
        made = appeals.appeal(subject_user, entry, "柴草是邻居家的，不是我家堆的。", "appeal")
    assert made.state == AppealState.PENDING and made.kind == AppealKind.APPEAL
    assert made.user_id == subject_user.id and made.resident_id == subject_user.resident_id
    assert made.town_id == entry.village.town_id
    assert services.pending_appeal(entry) == made
    # 公示 ends while the appeal waits: the committee cannot publish.
    at(PUBLISHED)
    refused(lambda: services.publish(committee, entry), 409, "申诉")
    with unit_of_work():
        appeals.dismiss(committee, made, "经现场查看，柴草确系这户堆放。")
    assert made.state == AppealState.DISMISSED and made.decided_by_id == committee.id
    assert made.decision_reason == "经现场查看，柴草确系这户堆放。"
    assert entry.state == EntryState.NOTICE
    with unit_of_work():
        appeals.ask_town(subject_user, made, "村委会没有听我们的解释。")
    assert made.state == AppealState.TOWN_REVIEW and made.town_requested_at == at(PUBLISHED)
    assert made.town_requested_by_id == subject_user.id
    assert services.pending_appeal(entry) == made
    town = entry.village.town
    assert list(db.session.scalars(appeals.pending_for_town(town))) == [made]
    assert appeals.town_pending_count(town) == 1
    with unit_of_work():
        appeals.town_decide(town_official, made, True, "照片不能证明是这户堆放，撤下。")
    assert made.state == AppealState.TOWN_UPHELD and made.town_decided_by_id == town_official.id
    assert entry.state == EntryState.WITHDRAWN and entry.withdrawn_by_id == town_official.id
    assert not services.is_listed(entry)
    assert appeals.town_pending_count(town) == 0
    [submit] = logged("board_appeal.submit")
    assert submit.role == Role.VILLAGER and submit.actor_id == subject_user.id
    [dismissed] = logged("board_appeal.dismiss")
    assert dismissed.summary["after"]["state"] == "dismissed"
    assert dismissed.summary["before"]["state"] == "pending"
    [asked] = logged("board_appeal.ask_town")
    assert asked.role == Role.VILLAGER
    [decided] = logged("board_appeal.town_uphold")
    assert decided.role == Role.TOWN_OFFICIAL and decided.town_id == town.id
    [withdrawn] = logged("board.withdraw")
    assert withdrawn.role == Role.TOWN_OFFICIAL and withdrawn.town_id == town.id
    assert withdrawn.actor_id == town_official.id


def test_the_committee_upholds_and_the_entry_is_withdrawn_in_the_same_unit(
    entry, committee, subject_user
):
    with unit_of_work():
        made = appeals.appeal(subject_user, entry, "我家已经清理干净了。", AppealKind.APPEAL)
    with unit_of_work():
        appeals.uphold(committee, made, "经查属实，撤下。")
    assert made.state == AppealState.UPHELD and entry.state == EntryState.WITHDRAWN
    assert entry.withdrawn_reason == "经查属实，撤下。"
    [upheld] = logged("board_appeal.uphold")
    [withdrawn] = logged("board.withdraw")
    assert upheld.role == withdrawn.role == Role.COMMITTEE
    assert withdrawn.actor_id == committee.id


def test_a_withdrawal_request_is_only_for_a_published_entry_and_confirmed_takes_it_down(
    entry, committee, subject_user, at
):
    refused(
        lambda: appeals.appeal(subject_user, entry, "已经整改了。", "withdrawal"), 409, "公布以后"
    )
    at(PUBLISHED)
    with unit_of_work():
        services.publish(committee, entry)
    at(PUBLISHED + timedelta(days=10))
    with unit_of_work():
        made = appeals.appeal(subject_user, entry, "柴草已经全部搬走。", "withdrawal")
    assert made.kind == AppealKind.WITHDRAWAL
    with unit_of_work():
        appeals.uphold(committee, made, "现场已清理，同意撤下。")
    assert entry.state == EntryState.WITHDRAWN and made.state == AppealState.UPHELD


def test_a_refused_withdrawal_request_may_be_made_again_later(published, committee, subject_user):
    with unit_of_work():
        first = appeals.appeal(subject_user, published, "已经整改了。", "withdrawal")
    with unit_of_work():
        appeals.dismiss(committee, first, "现场还有一半柴草没有搬走。")
    with unit_of_work():
        second = appeals.appeal(subject_user, published, "现在全部搬走了。", "withdrawal")
    assert second.state == AppealState.PENDING


def test_a_red_entry_may_be_appealed_but_not_asked_down(
    seeded, committee, household, subject, subject_user, now
):
    with unit_of_work():
        red = services.commend(
            committee,
            seeded,
            category_id=category(seeded, Board.RED, "最美家庭").id,
            household_id=household.id,
            resident_id=subject.id,
            description="家庭和睦。",
        )
    refused(lambda: appeals.appeal(subject_user, red, "理由", "withdrawal"), 409, "黑榜")
    with unit_of_work():
        made = appeals.appeal(subject_user, red, "我家不愿意上榜。", "appeal")
    assert made.state == AppealState.PENDING


def test_no_appeal_outside_the_listing(
    seeded, committee, second_member, household, subject, subject_user, at
):
    at(START)
    with unit_of_work():
        warned = services.warn(
            committee,
            seeded,
            category_id=category(seeded, Board.BLACK, "乱倒垃圾").id,
            household_id=household.id,
            description="向河道倾倒垃圾。",
        )
    refused(lambda: appeals.appeal(subject_user, warned, "理由", "appeal"), 409, "不在公示或公布期")


def test_no_appeal_after_the_expiry_date_even_before_the_tick(published, subject_user, at):
    at(published.expires_at)
    assert published.state == EntryState.PUBLISHED
    refused(lambda: appeals.appeal(subject_user, published, "理由", "appeal"), 409, "到期")
    refused(lambda: appeals.appeal(subject_user, published, "理由", "withdrawal"), 409, "到期")
    at(published.expires_at - timedelta(minutes=1))
    with unit_of_work():
        appeals.appeal(subject_user, published, "最后一天申诉。", "appeal")


def test_no_appeal_on_a_withdrawn_entry(entry, committee, subject_user):
    with unit_of_work():
        services.withdraw(committee, entry, "村委会决定撤下。")
    refused(lambda: appeals.appeal(subject_user, entry, "理由", "appeal"), 409, "撤销")


def test_only_a_member_of_the_subject_household_appeals(entry, village, household, neighbour):
    refused(lambda: appeals.appeal(neighbour, entry, "理由", "appeal"), 403, "这一户的家庭成员")
    unverified = UserFactory(
        village=village, resident=ResidentFactory(household=household, village=village)
    )
    refused(lambda: appeals.appeal(unverified, entry, "理由", "appeal"), 403)
    moved = villager(village, name="欧阳小军", household=household)
    moved.resident.left_on = date(2026, 11, 1)
    db.session.commit()
    refused(lambda: appeals.appeal(moved, entry, "理由", "appeal"), 403)
    elsewhere = villager(VillageFactory(name="河口村", slug="hekou"), name="欧阳大海")
    refused(lambda: appeals.appeal(elsewhere, entry, "理由", "appeal"), 403)


def test_one_open_appeal_per_entry_and_one_appeal_to_the_committee(
    published, committee, subject_user, village, household
):
    other_member = villager(village, name="欧阳明", household=household)
    with unit_of_work():
        first = appeals.appeal(subject_user, published, "不是我家堆的。", "appeal")
    refused(lambda: appeals.appeal(other_member, published, "再申诉", "appeal"), 409, "正在办理")
    refused(
        lambda: appeals.appeal(subject_user, published, "已整改", "withdrawal"), 409, "正在办理"
    )
    with unit_of_work():
        appeals.dismiss(committee, first, "确系这户堆放。")
    refused(lambda: appeals.appeal(other_member, published, "再申诉", "appeal"), 409, "镇街复核")
    with unit_of_work():
        appeals.appeal(other_member, published, "现在搬走了。", "withdrawal")
    refused(lambda: appeals.ask_town(subject_user, first, "请复核"), 409, "正在办理")


@pytest.mark.parametrize(
    ("reason", "kind", "words"),
    [
        ("", "appeal", "请写下理由"),
        ("   ", "appeal", "请写下理由"),
        ("字" * 1001, "appeal", "最多 1000 个字"),
        ("理由", "nonsense", "请选择申诉"),
    ],
)
def test_bad_input_is_refused_with_words(entry, subject_user, reason, kind, words):
    error = refused(lambda: appeals.appeal(subject_user, entry, reason, kind), 422, words)
    assert error.field in ("reason", "kind")


@pytest.fixture
def pending(entry, subject_user):
    with unit_of_work():
        return appeals.appeal(subject_user, entry, "不是我家堆的。", "appeal")


@pytest.mark.parametrize("decide", [appeals.uphold, appeals.dismiss])
def test_the_committee_decides_only_in_writing(pending, committee, decide):
    refused(lambda: decide(committee, pending, ""), 422, "请写下理由")
    refused(lambda: decide(committee, pending, "字" * 1001), 422, "最多")
    assert pending.state == AppealState.PENDING and pending.entry.state == EntryState.NOTICE


@pytest.mark.parametrize("decide", [appeals.uphold, appeals.dismiss])
def test_a_supervisor_or_a_villager_does_not_decide(
    pending, supervisor, subject_user, neighbour, decide
):
    for who in (supervisor, subject_user, neighbour):
        refused(lambda who=who: decide(who, pending, "理由"), 403)
    assert pending.state == AppealState.PENDING


def test_a_committee_member_of_the_household_stands_aside(pending, village, household):
    member = villager(village, name="欧阳主任", household=household)
    RoleGrantFactory(user=member, role=Role.COMMITTEE, village=village)
    refused(lambda: appeals.dismiss(member, pending, "理由"), 403, "回避")


def test_deciding_twice_is_refused(pending, committee, second_member, town_official):
    with unit_of_work():
        appeals.dismiss(committee, pending, "确系这户堆放。")
    refused(lambda: appeals.uphold(second_member, pending, "改判"), 409, "已经处理过了")
    refused(lambda: appeals.dismiss(second_member, pending, "再驳"), 409, "已经处理过了")
    refused(lambda: appeals.town_decide(town_official, pending, True, "理由"), 409)


def test_the_town_is_asked_only_after_a_dismissal(pending, subject_user, committee):
    refused(lambda: appeals.ask_town(subject_user, pending, "请复核"), 409, "驳回以后")
    with unit_of_work():
        appeals.uphold(committee, pending, "属实。")
    refused(lambda: appeals.ask_town(subject_user, pending, "请复核"), 409)


def test_only_the_household_or_a_clerk_asks_the_town(pending, committee, neighbour, supervisor):
    with unit_of_work():
        appeals.dismiss(committee, pending, "确系这户堆放。")
    for who in (neighbour, supervisor):
        refused(lambda who=who: appeals.ask_town(who, pending, "请复核"), 403)
    refused(lambda: appeals.ask_town(committee, pending, ""), 422, "请写下理由")
    with unit_of_work():
        appeals.ask_town(committee, pending, "当事户来信请求镇街复核。")
    [row] = logged("board_appeal.ask_town_paper")
    assert row.role == Role.COMMITTEE and pending.state == AppealState.TOWN_REVIEW


def test_the_town_may_be_asked_within_the_window(published, committee, subject_user, at):
    at(published.expires_at - timedelta(days=5))
    with unit_of_work():
        made = appeals.appeal(subject_user, published, "不是我家堆的。", "appeal")
    with unit_of_work():
        appeals.dismiss(committee, made, "确系这户堆放。")
    # Off the board now, but within 30 days of the dismissal.
    at(published.expires_at + timedelta(days=20))
    assert appeals.town_refusal(made) is None
    # Off the board and more than 30 days after the dismissal.
    at(made.decided_at + timedelta(days=31))
    refused(lambda: appeals.ask_town(subject_user, made, "请复核"), 409, "30 天")


def test_while_listed_the_town_may_be_asked_after_thirty_days(
    published, committee, subject_user, at
):
    with unit_of_work():
        made = appeals.appeal(subject_user, published, "不是我家堆的。", "appeal")
    with unit_of_work():
        appeals.dismiss(committee, made, "确系这户堆放。")
    at(made.decided_at + timedelta(days=45))
    assert services.is_listed(published)
    with unit_of_work():
        appeals.ask_town(subject_user, made, "还在榜上，请复核。")
    assert made.state == AppealState.TOWN_REVIEW


@pytest.fixture
def at_town(pending, committee, subject_user):
    with unit_of_work():
        appeals.dismiss(committee, pending, "确系这户堆放。")
    with unit_of_work():
        appeals.ask_town(subject_user, pending, "请镇街复核。")
    return pending


def test_an_official_of_another_town_is_refused(at_town):
    stranger = official(Role.TOWN_OFFICIAL, town=TownFactory(name="别镇", slug="biezhen"))
    refused(lambda: appeals.town_decide(stranger, at_town, True, "理由"), 403, "本镇街")
    assert at_town.state == AppealState.TOWN_REVIEW


def test_the_town_decides_in_writing_and_once(at_town, town_official, committee):
    refused(lambda: appeals.town_decide(town_official, at_town, False, ""), 422, "请写下理由")
    refused(lambda: appeals.town_decide(committee, at_town, True, "理由"), 403)
    with unit_of_work():
        appeals.town_decide(town_official, at_town, False, "村委会认定事实清楚，维持。")
    assert at_town.state == AppealState.TOWN_CONFIRMED
    assert at_town.town_reason == "村委会认定事实清楚，维持。"
    assert at_town.entry.state == EntryState.NOTICE
    [row] = logged("board_appeal.town_confirm")
    assert row.role == Role.TOWN_OFFICIAL and row.town_id == at_town.town_id
    refused(lambda: appeals.town_decide(town_official, at_town, True, "改判"), 409, "复核过")


def test_the_paper_path(entry, committee, supervisor, subject, village, household, neighbour):
    refused(lambda: appeals.appeal_on_paper(supervisor, entry, subject.id, "来信", "appeal"), 403)
    error = refused(
        lambda: appeals.appeal_on_paper(committee, entry, neighbour.resident_id, "来信", "appeal"),
        422,
        "这一户花名册",
    )
    assert error.field == "resident_id"
    refused(lambda: appeals.appeal_on_paper(committee, entry, None, "来信", "appeal"), 422)
    refused(lambda: appeals.appeal_on_paper(committee, entry, subject.id, "", "appeal"), 422)
    with unit_of_work():
        made = appeals.appeal_on_paper(
            committee, entry, subject.id, "来信：柴草不是我家的。", "appeal"
        )
    assert made.user_id is None and made.entered_by_id == committee.id
    assert made.resident_id == subject.id
    [row] = logged("board_appeal.submit_paper")
    assert row.role == Role.COMMITTEE and row.summary["after"]["resident"] == subject.id
    refused(
        lambda: appeals.appeal_on_paper(committee, entry, subject.id, "又来信", "appeal"),
        409,
        "正在办理",
    )


def test_the_queries(entry, published, committee, subject_user, village, household):
    with unit_of_work():
        one = appeals.appeal(subject_user, entry, "一", "appeal")
    with unit_of_work():
        two = appeals.appeal(subject_user, published, "二", "withdrawal")
    assert list(db.session.scalars(appeals.pending_for_village(village))) == [one, two]
    assert appeals.pending_count(village) == 2
    assert appeals.entry_appeals(entry) == [one]
    assert appeals.household_appeals(household.id) == [two, one]
    with unit_of_work():
        appeals.dismiss(committee, one, "驳回。")
    assert list(db.session.scalars(appeals.pending_for_village(village))) == [two]
    other = VillageFactory(name="河口村", slug="hekou", town=village.town)
    assert appeals.pending_count(other) == 0


def test_two_members_at_once_let_exactly_one_appeal_through(
    app, entry, subject_user, village, household
):
    """Both members of the household appeal at the same moment: the entry's row lock
    (a write transaction on SQLite) lets one in; the other is told one is open."""
    from portal.auth.models import User
    from portal.boards.models import BoardEntry

    other = villager(village, name="欧阳明", household=household)
    entry_id, user_ids = entry.id, (subject_user.id, other.id)
    db.session.commit()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def worker(i: int) -> None:
        with app.test_request_context():
            try:
                found = db.session.get(BoardEntry, entry_id)
                actor = db.session.get(User, user_ids[i])
                barrier.wait()
                with unit_of_work():
                    appeals.appeal(actor, found, f"第 {i} 位成员的申诉。", "appeal")
                outcomes.append("ok")
            except Refusal as error:
                outcomes.append(str(error.status))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(outcomes) == ["409", "ok"]
    assert count(BoardAppeal) == 1 and len(logged("board_appeal.submit")) == 1
