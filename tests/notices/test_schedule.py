"""The disclosure schedule's rules: periods in Asia/Shanghai dates, what a notice pays,
when an item is due or overdue, the committee's changes, and what they cost in SQL."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from portal.audit.models import ActionLog
from portal.auth.models import Role
from portal.extensions import db
from portal.notices import schedule, services
from portal.notices.models import (
    DisclosureCadence,
    DisclosureCoverage,
    DisclosureItem,
    Notice,
    NoticeCategory,
)
from portal.notices.schedule import (
    SHANGHAI,
    Period,
    ScheduleError,
    Status,
    item_status,
    local_date,
    period_containing,
)
from tests.factories import VillageFactory, official, villager
from tests.statements import statements

MONTHLY = DisclosureCadence.MONTHLY
QUARTERLY = DisclosureCadence.QUARTERLY
HALF_YEARLY = DisclosureCadence.HALF_YEARLY
YEARLY = DisclosureCadence.YEARLY


def sh(year, month, day, hour=0, minute=0) -> datetime:
    """A Shanghai wall-clock moment, as the UTC moment the database stores."""
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


def item(cadence=QUARTERLY, created=None, grace_days=10, active=True, category="finance"):
    """An item not in the database, for the pure rules."""
    return DisclosureItem(
        title="财务收支",
        category=NoticeCategory(category),
        cadence=cadence,
        grace_days=grace_days,
        active=active,
        created_at=created or sh(2026, 1, 5, 9),
    )


# --- periods ---------------------------------------------------------------------------


def test_the_last_minute_of_march_is_the_first_quarter_in_shanghai_not_in_utc():
    last_minute = sh(2026, 3, 31, 23, 59)
    first_minute = sh(2026, 4, 1, 0, 0)
    # In UTC both moments are still 31 March: only the local date tells them apart.
    assert last_minute.date() == first_minute.date() == date(2026, 3, 31)
    assert local_date(last_minute) == date(2026, 3, 31)
    assert local_date(first_minute) == date(2026, 4, 1)
    assert schedule.current_period(QUARTERLY, last_minute) == Period(date(2026, 1, 1), 3)
    assert schedule.current_period(QUARTERLY, first_minute) == Period(date(2026, 4, 1), 3)
    assert schedule.current_period(MONTHLY, first_minute) == Period(date(2026, 4, 1), 1)


@pytest.mark.parametrize(
    ("cadence", "day", "start", "end"),
    [
        (MONTHLY, date(2026, 1, 1), date(2026, 1, 1), date(2026, 1, 31)),
        (MONTHLY, date(2028, 2, 29), date(2028, 2, 1), date(2028, 2, 29)),
        (MONTHLY, date(2026, 12, 31), date(2026, 12, 1), date(2026, 12, 31)),
        (QUARTERLY, date(2026, 3, 31), date(2026, 1, 1), date(2026, 3, 31)),
        (QUARTERLY, date(2026, 4, 1), date(2026, 4, 1), date(2026, 6, 30)),
        (QUARTERLY, date(2026, 9, 30), date(2026, 7, 1), date(2026, 9, 30)),
        (QUARTERLY, date(2026, 12, 31), date(2026, 10, 1), date(2026, 12, 31)),
        (HALF_YEARLY, date(2026, 6, 30), date(2026, 1, 1), date(2026, 6, 30)),
        (HALF_YEARLY, date(2026, 7, 1), date(2026, 7, 1), date(2026, 12, 31)),
        (YEARLY, date(2026, 12, 31), date(2026, 1, 1), date(2026, 12, 31)),
    ],
)
def test_periods_and_their_edges(cadence, day, start, end):
    period = period_containing(cadence, day)
    assert (period.start, period.end) == (start, end)
    assert period.contains(day) and not period.contains(period.next_start)
    assert period.following().start == date.fromordinal(end.toordinal() + 1)
    assert period.following().preceding() == period


def test_year_boundaries():
    december = period_containing(MONTHLY, date(2026, 12, 15))
    assert december.following() == Period(date(2027, 1, 1), 1)
    fourth = period_containing(QUARTERLY, date(2026, 11, 1))
    assert fourth.following() == Period(date(2027, 1, 1), 3)
    assert Period(date(2027, 1, 1), 3).preceding() == fourth
    assert period_containing(YEARLY, date(2026, 5, 1)).following() == Period(date(2027, 1, 1), 12)
    # The grace days of December and of the fourth quarter run into the new year.
    assert december.deadline(10) == date(2027, 1, 10)
    assert fourth.deadline(0) == date(2026, 12, 31)


def test_period_labels(app):
    with app.test_request_context():
        assert Period(date(2026, 4, 1), 1).label == "2026年4月"
        assert Period(date(2026, 10, 1), 3).label == "2026年第四季度"
        assert Period(date(2026, 7, 1), 6).label == "2026年下半年"
        assert Period(date(2026, 1, 1), 12).label == "2026年"


# --- statuses from publication dates (the rules without the database) -------------------


def test_nothing_published_from_q2_to_q4_is_overdue_since_q2s_deadline():
    created_in_q2 = item(created=sh(2026, 5, 20, 10))
    status = item_status(created_in_q2, [], date(2026, 11, 15))
    assert status.status == Status.OVERDUE
    assert status.period == Period(date(2026, 4, 1), 3)
    assert status.deadline == date(2026, 7, 10)
    assert status.days_overdue == (date(2026, 11, 15) - date(2026, 7, 10)).days == 128
    assert status.missed == 2  # the second and third quarters; the fourth is still open
    assert status.owed == 3


def test_a_period_is_due_through_its_last_grace_day_and_overdue_the_day_after():
    created = item(created=sh(2026, 2, 1))
    on_deadline = item_status(created, [], date(2026, 4, 10))
    assert on_deadline.status == Status.DUE
    assert on_deadline.period == Period(date(2026, 1, 1), 3)
    assert on_deadline.deadline == date(2026, 4, 10)
    day_after = item_status(created, [], date(2026, 4, 11))
    assert day_after.status == Status.OVERDUE and day_after.days_overdue == 1


def test_zero_grace_days_make_the_period_overdue_the_day_after_it_ends():
    status = item_status(item(created=sh(2026, 2, 1), grace_days=0), [], date(2026, 4, 1))
    assert status.status == Status.OVERDUE and status.deadline == date(2026, 3, 31)
    assert status.days_overdue == 1


def test_a_disclosure_in_the_grace_days_pays_the_previous_period_not_the_current_one():
    created = item(created=sh(2026, 2, 1))
    status = item_status(created, [date(2026, 4, 8)], date(2026, 4, 20))
    # The first quarter is paid; the second is still owed, by 10 July.
    assert status.status == Status.DUE
    assert status.period == Period(date(2026, 4, 1), 3)
    assert status.deadline == date(2026, 7, 10)
    # Two disclosures: the second one pays the current quarter.
    both = item_status(created, [date(2026, 4, 8), date(2026, 4, 15)], date(2026, 4, 20))
    assert both.status == Status.DONE
    assert both.period == Period(date(2026, 4, 1), 3)
    assert both.next_deadline == date(2026, 10, 10)


def test_a_disclosure_within_the_period_makes_it_done():
    created = item(created=sh(2026, 4, 2))
    assert item_status(created, [date(2026, 6, 30)], date(2026, 6, 30)).status == Status.DONE


def test_a_late_disclosure_counts_for_its_own_period_and_the_missed_one_stays_owed():
    created = item(created=sh(2026, 2, 1))
    q1, q2 = Period(date(2026, 1, 1), 3), Period(date(2026, 4, 1), 3)
    late = item_status(created, [date(2026, 5, 2)], date(2026, 5, 10))
    # Past the first quarter's deadline (10 April), a May notice is the second quarter's.
    assert late.status == Status.OVERDUE and late.period == q1
    assert (late.missed, late.owed, late.owed_periods) == (1, 1, (q1,))
    assert late.met[q2].day == date(2026, 5, 2)
    # The committee's word that it covers the first quarter too catches that one up.
    both = [(q1.start, date(2026, 5, 2)), (q2.start, date(2026, 5, 2))]
    assert item_status(created, [], date(2026, 5, 10), covered=both).status == Status.DONE


def test_periods_before_the_item_was_created_never_count():
    created_in_q3 = item(created=sh(2026, 7, 2))
    status = item_status(created_in_q3, [], date(2026, 8, 1))
    assert status.status == Status.DUE
    assert status.period == Period(date(2026, 7, 1), 3)
    # A disclosure from before the item's first period pays nothing.
    assert item_status(created_in_q3, [date(2026, 6, 1)], date(2026, 8, 1)).owed == 1


def test_monthly_across_the_new_year():
    created = item(MONTHLY, created=sh(2026, 12, 3))
    assert item_status(created, [], date(2027, 1, 10)).status == Status.DUE
    overdue = item_status(created, [], date(2027, 1, 11))
    assert overdue.status == Status.OVERDUE
    assert overdue.period == Period(date(2026, 12, 1), 1) and overdue.days_overdue == 1
    paid = item_status(created, [date(2027, 1, 5)], date(2027, 1, 20))
    assert paid.status == Status.DUE and paid.period == Period(date(2027, 1, 1), 1)


def test_yearly_and_half_yearly():
    yearly = item(YEARLY, created=sh(2025, 3, 1), category="party")
    assert item_status(yearly, [], date(2025, 12, 31)).status == Status.DUE
    assert item_status(yearly, [], date(2026, 1, 10)).deadline == date(2026, 1, 10)
    overdue = item_status(yearly, [], date(2026, 3, 1))
    assert overdue.status == Status.OVERDUE and overdue.period.start == date(2025, 1, 1)
    assert item_status(yearly, [date(2025, 12, 1)], date(2026, 3, 1)).status == Status.DUE
    half = item(HALF_YEARLY, created=sh(2026, 1, 1), category="party")
    assert item_status(half, [date(2026, 7, 3)], date(2026, 7, 20)).period == Period(
        date(2026, 7, 1), 6
    )


def test_a_stopped_item_has_no_status():
    assert item_status(item(active=False), [], date(2030, 1, 1)).status == Status.INACTIVE


# --- with the database --------------------------------------------------------------------


@pytest.fixture
def village(app):
    return VillageFactory(name="湖滨村", slug="hubin")


@pytest.fixture
def committee(village):
    return official(Role.COMMITTEE, village=village)


def publish(committee, village, at: datetime, category="finance", *, draft=False):
    notice = services.create_draft(
        committee, village, category=category, title="财务收支公开", body="收支见下表。", now=at
    )
    if not draft:
        services.publish(committee, notice, now=at)
    db.session.commit()
    return notice


def add(committee, village, created: datetime, **fields) -> DisclosureItem:
    values = {"title": "财务收支", "category": "finance", "cadence": QUARTERLY}
    values.update(fields)
    found = schedule.add_item(committee, village, now=created, **values)
    db.session.commit()
    return found


def status_at(village, now: datetime):
    return {s.item.title: s for s in schedule.village_statuses(village, now)}


def test_the_grace_window_ends_at_midnight_shanghai_time(village, committee):
    add(committee, village, sh(2026, 2, 1))
    after_deadline = sh(2026, 4, 11, 0, 0)
    assert status_at(village, after_deadline)["财务收支"].status == Status.OVERDUE
    publish(committee, village, sh(2026, 4, 10, 23, 59))  # 15:59 UTC: still 10 April locally
    status = status_at(village, after_deadline)["财务收支"]
    assert status.status == Status.DUE
    assert status.period == Period(date(2026, 4, 1), 3)


def test_drafts_other_categories_and_other_villages_pay_nothing(village, committee):
    add(committee, village, sh(2026, 2, 1))
    publish(committee, village, sh(2026, 3, 1), draft=True)
    publish(committee, village, sh(2026, 3, 2), category="affairs")
    other = VillageFactory(name="山前村", slug="shanqian")
    publish(official(Role.COMMITTEE, village=other), other, sh(2026, 3, 3))
    status = status_at(village, sh(2026, 5, 1))["财务收支"]
    assert status.status == Status.OVERDUE and status.period.start == date(2026, 1, 1)


def test_an_archived_notice_still_counts(village, committee):
    add(committee, village, sh(2026, 2, 1))
    notice = publish(committee, village, sh(2026, 3, 1))
    services.archive(committee, notice, now=sh(2026, 3, 20))
    db.session.commit()
    assert status_at(village, sh(2026, 3, 25))["财务收支"].status == Status.DONE


def test_a_notice_published_after_the_moment_asked_about_does_not_count(village, committee):
    add(committee, village, sh(2026, 2, 1))
    publish(committee, village, sh(2026, 3, 20))
    assert status_at(village, sh(2026, 3, 10))["财务收支"].status == Status.DUE
    assert status_at(village, sh(2026, 3, 20, 1))["财务收支"].status == Status.DONE


def test_each_item_is_counted_on_its_own(village, committee):
    add(committee, village, sh(2026, 2, 1))
    add(committee, village, sh(2026, 2, 1), title="财务月报", cadence=MONTHLY)
    add(committee, village, sh(2026, 2, 1), title="党务", category="party")
    publish(committee, village, sh(2026, 4, 5))
    statuses = status_at(village, sh(2026, 4, 20))
    assert statuses["财务收支"].status == Status.DUE
    # Monthly: 5 April is inside March's grace days, so the notice is March's; February
    # stays overdue (since 10 March) and April is owed.
    monthly = statuses["财务月报"]
    assert monthly.status == Status.OVERDUE and monthly.period == Period(date(2026, 2, 1), 1)
    assert Period(date(2026, 3, 1), 1) in monthly.met
    assert monthly.owed_periods == (Period(date(2026, 2, 1), 1), Period(date(2026, 4, 1), 1))
    assert statuses["党务"].status == Status.OVERDUE
    assert schedule.overdue_count(village, sh(2026, 4, 20)) == 2


def test_one_party_notice_counts_alike_for_the_monthly_and_the_quarterly_party_item(
    village, committee
):
    """党务 quarterly and 主题党日 monthly, both Party affairs, set up in July; July to
    September pass without a Party notice, then one goes up on 20 November. It is
    November's for the monthly item and the fourth quarter's for the quarterly one: the
    same period, by its date, for both; the third quarter it did not disclose stays owed."""
    add(committee, village, sh(2026, 7, 4, 9), title="党务", category="party")
    add(
        committee,
        village,
        sh(2026, 7, 4, 9),
        title="主题党日",
        category="party",
        cadence=MONTHLY,
        grace_days=5,
    )
    notice = publish(committee, village, sh(2026, 11, 20, 10), category="party")
    statuses = status_at(village, sh(2026, 12, 2, 9))
    quarterly, monthly = statuses["党务"], statuses["主题党日"]
    # Not 待公开 for the quarter its notice went up in: overdue for the one it missed.
    assert quarterly.status == Status.OVERDUE
    assert quarterly.period == Period(date(2026, 7, 1), 3) and quarterly.missed == 1
    assert monthly.status == Status.OVERDUE and monthly.missed == 4  # July to October
    assert list(quarterly.met) == [Period(date(2026, 10, 1), 3)]
    assert quarterly.met[Period(date(2026, 10, 1), 3)].notice_id == notice.id
    assert monthly.met == {
        Period(date(2026, 11, 1), 1): schedule.Disclosure(
            date(2026, 11, 20), notice.id, notice.title
        )
    }


def mark(notice, item_, *starts) -> None:
    for start in starts:
        db.session.add(
            DisclosureCoverage(notice_id=notice.id, item_id=item_.id, period_start=start)
        )
    db.session.commit()


def test_one_notice_marked_for_several_missed_periods_catches_them_up(village, committee):
    finance = add(committee, village, sh(2026, 1, 5))
    party = add(committee, village, sh(2026, 1, 5), title="党务", category="party")
    today = sh(2026, 11, 15)
    before = status_at(village, today)["财务收支"]
    assert before.status == Status.OVERDUE and before.missed == 3
    # A finance report for the first three quarters, marked for them while a draft: it
    # counts once published, for exactly those periods (not also for the fourth by date).
    report = publish(committee, village, sh(2026, 11, 10), draft=True)
    q1, q2, q3 = date(2026, 1, 1), date(2026, 4, 1), date(2026, 7, 1)
    mark(report, finance, q1, q2, q3)
    assert status_at(village, today)["财务收支"].missed == 3  # a draft counts for nothing
    services.publish(committee, report, now=sh(2026, 11, 10))
    db.session.commit()
    after = status_at(village, today)
    assert after["财务收支"].status == Status.DUE
    assert after["财务收支"].owed_periods == (Period(date(2026, 10, 1), 3),)
    assert {p.start for p in after["财务收支"].met} == {q1, q2, q3}
    # A notice of another category counts for the item it is marked for.
    assert after["党务"].missed == 3
    meeting = publish(committee, village, sh(2026, 11, 12), category="affairs")
    mark(meeting, party, q3)
    assert status_at(village, today)["党务"].missed == 2


def test_marks_and_notices_cost_the_same_two_statements(village, committee):
    items_ = [add(committee, village, sh(2025, 1, 1), title=f"事项{n}") for n in range(4)]
    for month in range(1, 13):
        notice = publish(committee, village, sh(2025, month, 5), category="affairs")
        mark(notice, items_[month % 4], date(2025, 1 + (month - 1) // 3 * 3, 1))
    db.session.expire_all()
    assert village.id
    with statements() as seen:
        found = schedule.village_statuses(village, sh(2026, 2, 1))
    assert len(seen) == 2 and len(found) == 4


@pytest.mark.parametrize("items", [3, 12])
def test_statuses_cost_two_statements_however_many_items(village, committee, items):
    for n in range(items):
        add(
            committee,
            village,
            sh(2025, 1 + n % 12, 1),
            title=f"事项{n}",
            category=["finance", "affairs", "party", "announcement"][n % 4],
            cadence=[MONTHLY, QUARTERLY][n % 2],
        )
    for month in range(1, 13):
        publish(committee, village, sh(2025, month, 5), category="affairs")
    db.session.expire_all()
    assert village.id  # the village as a page has it, loaded by its URL
    with statements() as seen:
        found = schedule.village_statuses(village, sh(2026, 2, 1))
    assert len(found) == items
    assert len(seen) == 2


def test_no_schedule_costs_one_statement(village):
    db.session.commit()
    assert village.id
    with statements() as seen:
        assert schedule.overdue_count(village) == 0
    assert len(seen) == 1


# --- the committee's changes ---------------------------------------------------------------


def actions() -> list[str]:
    return list(db.session.scalars(sa.select(ActionLog.action).order_by(ActionLog.id)))


def items_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(DisclosureItem))


def test_adding_an_item_is_logged(village, committee):
    found = add(committee, village, sh(2026, 2, 1), title="  集体资产  ", grace_days=15)
    assert found.title == "集体资产" and found.grace_days == 15 and found.active
    log = db.session.scalar(sa.select(ActionLog).where(ActionLog.action == "disclosure.add"))
    assert log.object_id == found.id and log.village_id == village.id
    assert log.summary["after"]["cadence"] == "quarterly"


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"title": " "}, "title", "请填写公开事项的名称"),
        ({"title": "长" * 101}, "title", "最多 100 个字"),
        ({"category": "decision"}, "category", "请选择公开的类别"),
        ({"category": "nonsense"}, "category", "请选择公开的类别"),
        ({"cadence": "weekly"}, "cadence", "请选择多久公开一次"),
        ({"cadence": HALF_YEARLY}, "cadence", "财务至少每季度公开一次"),
        ({"cadence": YEARLY}, "cadence", "财务至少每季度公开一次"),
        ({"grace_days": -1}, "grace_days", "0 到 60"),
        ({"grace_days": 61}, "grace_days", "0 到 60"),
        ({"grace_days": "abc"}, "grace_days", "0 到 60"),
    ],
)
def test_bad_items_are_refused_and_nothing_is_written(village, committee, fields, field, message):
    values = {"title": "财务收支", "category": "finance", "cadence": QUARTERLY}
    values.update(fields)
    with pytest.raises(ScheduleError) as refused:
        schedule.add_item(committee, village, **values)
    db.session.rollback()
    assert refused.value.field == field and message in refused.value.message
    assert refused.value.status == 422
    assert items_count() == 0 and actions() == []


def test_a_draft_saves_the_periods_it_is_marked_for_with_its_log_row(village, committee, at):
    at(sh(2026, 11, 15))
    finance = add(committee, village, sh(2026, 1, 5))
    value = f"{finance.id}:2026-04-01"
    notice = services.create_draft(
        committee, village, category="finance", title="补公开", body="见表。", covers=[value]
    )
    db.session.commit()
    assert schedule.marks_of(notice) == [(finance.id, date(2026, 4, 1))]
    log = db.session.scalar(sa.select(ActionLog).where(ActionLog.action == "notice.create"))
    assert log.summary["after"]["covers"] == [value]
    services.edit_draft(
        committee,
        notice,
        category="finance",
        title="补公开",
        body="见表。",
        covers=[f"{finance.id}:2026-01-01", value],
    )
    db.session.commit()
    assert schedule.marks_of(notice) == [
        (finance.id, date(2026, 1, 1)),
        (finance.id, date(2026, 4, 1)),
    ]
    edit = db.session.scalar(sa.select(ActionLog).where(ActionLog.action == "notice.edit"))
    assert edit.summary["before"]["covers"] == [value]
    services.edit_draft(
        committee, notice, category="finance", title="补公开", body="见表。", covers=[]
    )
    db.session.commit()
    assert schedule.marks_of(notice) == []


@pytest.mark.parametrize(
    "covers",
    [
        ["nonsense"],
        ["{item}:not-a-date"],
        ["{item}:2026-05-01"],  # not the first day of a quarter
        ["{item}:2025-10-01"],  # before the item was set up
        ["{item}:2027-01-01"],  # a period still to come
        ["{stopped}:2026-04-01"],  # a stopped item
        ["{foreign}:2026-04-01"],  # another village's item
        ["99999:2026-04-01"],
    ],
)
def test_marks_the_schedule_does_not_offer_are_refused(village, committee, at, covers):
    at(sh(2026, 11, 15))
    finance = add(committee, village, sh(2026, 1, 5))
    stopped = add(committee, village, sh(2026, 1, 5), title="停用的")
    schedule.set_active(committee, village, stopped, False)
    other = VillageFactory(name="山前村", slug="shanqian")
    foreign = add(official(Role.COMMITTEE, village=other), other, sh(2026, 1, 5))
    values = [c.format(item=finance.id, stopped=stopped.id, foreign=foreign.id) for c in covers]
    before = (actions(), db.session.scalar(sa.select(sa.func.count(Notice.id))))
    with pytest.raises(ScheduleError) as refused:
        services.create_draft(
            committee, village, category="finance", title="补公开", body="见表。", covers=values
        )
    db.session.rollback()
    assert refused.value.field == "covers" and refused.value.status == 422
    assert "勾选的期数不在本村的公开目录里" in refused.value.message
    assert (actions(), db.session.scalar(sa.select(sa.func.count(Notice.id)))) == before
    assert db.session.scalar(sa.select(sa.func.count(DisclosureCoverage.id))) == 0


def test_finance_may_be_monthly_and_other_categories_yearly(village, committee):
    add(committee, village, sh(2026, 2, 1), cadence=MONTHLY)
    add(committee, village, sh(2026, 2, 1), title="党务年报", category="party", cadence=YEARLY)
    assert items_count() == 2


def test_a_duplicate_title_is_refused(village, committee):
    add(committee, village, sh(2026, 2, 1))
    with pytest.raises(ScheduleError, match="同名"):
        schedule.add_item(
            committee, village, title="财务收支", category="affairs", cadence=QUARTERLY
        )
    db.session.rollback()
    # Another village may use the same title.
    other = VillageFactory(name="山前村", slug="shanqian")
    add(official(Role.COMMITTEE, village=other), other, sh(2026, 2, 1))
    assert items_count() == 2


def test_only_the_villages_committee_may_change_its_schedule(village, committee):
    for someone in (
        villager(village),
        official(Role.SUPERVISOR, village=village),
        official(Role.COMMITTEE, village=VillageFactory(name="山前村", slug="shanqian")),
    ):
        with pytest.raises(ScheduleError) as refused:
            schedule.add_item(
                someone, village, title="财务收支", category="finance", cadence=QUARTERLY
            )
        assert refused.value.status == 403
        db.session.rollback()
    assert items_count() == 0


def test_stopping_and_resuming_are_logged_and_a_stopped_item_is_not_overdue(village, committee):
    found = add(committee, village, sh(2025, 1, 1))
    assert schedule.overdue_count(village) == 1
    schedule.set_active(committee, village, found, False)
    db.session.commit()
    assert schedule.overdue_count(village) == 0
    schedule.set_active(committee, village, found, False)  # already stopped: nothing to log
    schedule.set_active(committee, village, found, True)
    db.session.commit()
    assert actions() == ["disclosure.add", "disclosure.deactivate", "disclosure.activate"]
    # Resumed, it still owes the periods it was stopped for.
    assert schedule.overdue_count(village) == 1


def test_the_standard_schedule(village, committee):
    created = schedule.adopt_standard_schedule(committee, village, now=sh(2026, 2, 1))
    db.session.commit()
    assert [(i.category, i.cadence, i.grace_days) for i in created] == [
        (NoticeCategory.FINANCE, QUARTERLY, 10),
        (NoticeCategory.AFFAIRS, QUARTERLY, 10),
        (NoticeCategory.PARTY, QUARTERLY, 10),
    ]
    assert actions() == ["disclosure.add"] * 3
    with pytest.raises(ScheduleError, match="已经有公开目录"):
        schedule.adopt_standard_schedule(committee, village)
    db.session.rollback()
    assert items_count() == 3


def test_the_standard_schedule_with_monthly_finances(village, committee):
    created = schedule.adopt_standard_schedule(committee, village, monthly_finance=True)
    assert created[0].cadence == MONTHLY
    assert {i.cadence for i in created[1:]} == {QUARTERLY}
