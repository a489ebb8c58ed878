"""公示 services: the phase from the clock, one objection per person on any channel,
the refusals, the committee's answers, and the log rows written with each change."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_login import AnonymousUserMixin

from portal.actions import Refusal, unit_of_work
from portal.audit.models import ActionLog
from portal.auth.models import RegistrationStatus
from portal.extensions import db
from portal.publicity import services
from portal.publicity.models import REASON_MAX, Objection, Publicity
from portal.publicity.services import PublicityPhase
from tests.factories import (
    ResidentFactory,
    UserFactory,
    VillageFactory,
    count,
    villager,
)
from tests.publicity.conftest import DAYS, START
from tests.statements import statements

TICK = timedelta(microseconds=1)


def logged(action: str) -> int:
    return count(ActionLog, ActionLog.action == action)


def objected(user, period, reason="照片里的人不是他家的。"):
    with unit_of_work(conflict=services.already_objected):
        return services.object_online(user, period, reason)


def refused(call) -> Refusal:
    with pytest.raises(Refusal) as caught, unit_of_work(conflict=services.already_objected):
        call()
    return caught.value


def test_the_phase_is_read_from_the_clock_at_each_boundary(period, at):
    end = START + timedelta(days=DAYS)
    assert period.ends_at == end
    assert services.phase(period, START - TICK) == PublicityPhase.UPCOMING
    assert services.phase(period, START) == PublicityPhase.OPEN
    assert services.phase(period, end - TICK) == PublicityPhase.OPEN
    assert services.phase(period, end) == PublicityPhase.ENDED
    at(START - TICK)
    assert services.phase(period) == PublicityPhase.UPCOMING
    view = services.describe(period, START + timedelta(days=2))
    assert (view.starts_on.day, view.ends_on.day, view.days_left, view.is_open) == (2, 7, 3, True)
    assert services.describe(period, end).days_left == 0


def test_opening_joins_the_callers_unit_and_logs_it(village, committee, at):
    at(START)
    services.open_period(committee, village, "test_subject", 7, 3)
    db.session.rollback()
    assert count(Publicity) == 0 and logged("publicity.open") == 0
    with unit_of_work():
        first = services.open_period(committee, village, "test_subject", 7, 3)
    with unit_of_work():
        again = services.open_period(
            committee, village, "test_subject", 7, 3, starts_at=START + timedelta(days=9)
        )
        services.open_period(committee, village, "test_subject", 8, 3)
    assert logged("publicity.open") == 3
    assert services.period_for("test_subject", 7).id == again.id != first.id
    assert services.period_for("test_subject", 99) is None
    with statements() as seen:
        found = services.periods_for("test_subject", [7, 8, 99])
    assert len(seen) == 1
    assert {k: v.id for k, v in found.items()} == {
        7: again.id,
        8: services.period_for("test_subject", 8).id,
    }
    for days in (0, services.DAYS_MAX + 1):
        error = refused(
            lambda d=days: services.open_period(committee, village, "test_subject", 9, d)
        )
        assert error.status == 422 and error.field == "days"
    assert count(Publicity) == 3


def test_one_objection_per_person_online_and_on_paper(period, objector, neighbour, committee, at):
    at(START + timedelta(hours=1))
    objection = objected(objector, period)
    assert (objection.user_id, objection.entered_by_id) == (objector.id, None)
    row = db.session.scalar(sa.select(ActionLog).where(ActionLog.action == "publicity.object"))
    assert row.actor_id == objector.id and row.role == "villager"
    assert objector.phone not in str(row.summary)

    again = refused(lambda: services.object_online(objector, period, "再提一次"))
    assert again.status == 409 and "只能提一次" in again.message
    paper = refused(
        lambda: services.object_on_paper(committee, period, objector.resident_id, "纸质")
    )
    assert paper.status == 409

    with unit_of_work():
        entered = services.object_on_paper(committee, period, neighbour.resident_id, "纸质异议")
    assert (entered.user_id, entered.entered_by_id) == (None, committee.id)
    online = refused(lambda: services.object_online(neighbour, period, "网上再提"))
    assert online.status == 409
    assert count(Objection) == 2
    assert logged("publicity.object") == 1 and logged("publicity.object_paper") == 1


def test_who_may_object_online(period, village, objector, at):
    at(START + timedelta(hours=1))
    pending = UserFactory(village=village, resident=ResidentFactory(household__village=village))
    other = villager(VillageFactory())
    gone = villager(village)
    gone.resident.left_on = START.date()
    db.session.commit()
    for who, status, words in [
        (AnonymousUserMixin(), 403, "请先登录"),
        (pending, 403, "等村委会核实"),
        (other, 403, "只有本村已核实的村民"),
        (gone, 403, "花名册"),
    ]:
        error = refused(lambda w=who: services.object_online(w, period, "理由"))
        assert (error.status, words in error.message) == (status, True), who
    assert pending.status == RegistrationStatus.PENDING
    assert count(Objection) == 0 and logged("publicity.object") == 0


@pytest.mark.parametrize(
    ("reason", "words"),
    [("", "请写下异议的理由"), ("  \r\n ", "请写下异议的理由"), ("字" * (REASON_MAX + 1), "最多")],
)
def test_bad_reasons_are_refused_and_nothing_written(period, objector, at, reason, words):
    at(START + timedelta(hours=1))
    error = refused(lambda: services.object_online(objector, period, reason))
    assert (error.status, error.field, words in error.message) == (422, "reason", True)
    assert count(Objection) == 0 and logged("publicity.object") == 0


def test_a_reason_is_cleaned_and_may_be_as_long_as_the_limit(period, objector, neighbour, at):
    at(START)
    assert objected(objector, period, "  理由\r\n第二行  ").reason == "理由\n第二行"
    assert len(objected(neighbour, period, "字" * REASON_MAX).reason) == REASON_MAX


def test_objections_are_taken_only_while_the_period_is_open(period, objector, committee, at):
    for moment, words in [(START - TICK, "还没有开始"), (period.ends_at, "已经结束")]:
        at(moment)
        online = refused(lambda: services.object_online(objector, period, "理由"))
        paper = refused(
            lambda: services.object_on_paper(committee, period, objector.resident_id, "理由")
        )
        assert online.status == paper.status == 409
        assert words in online.message and words in paper.message
    at(period.ends_at - TICK)
    objected(objector, period)
    assert count(Objection) == 1 and logged("publicity.object_paper") == 0


def test_who_may_enter_a_paper_objection_and_for_whom(
    period, village, supervisor, objector, committee, at
):
    at(START + timedelta(hours=1))
    stranger = villager(VillageFactory())
    gone = ResidentFactory(household__village=village, left_on=START.date())
    error = refused(
        lambda: services.object_on_paper(supervisor, period, objector.resident_id, "理由")
    )
    assert error.status == 403
    error = refused(lambda: services.object_on_paper(objector, period, objector.resident_id, "x"))
    assert error.status == 403
    for resident_id in (stranger.resident_id, None, 10**6, gone.id):
        error = refused(
            lambda r=resident_id: services.object_on_paper(committee, period, r, "理由")
        )
        assert (error.status, error.field) == (422, "resident_id")
    error = refused(lambda: services.object_on_paper(committee, period, objector.resident_id, ""))
    assert (error.status, error.field) == (422, "reason")
    assert count(Objection) == 0 and logged("publicity.object_paper") == 0


def test_the_committee_answers_each_objection_once(
    period, objector, neighbour, committee, supervisor, at
):
    at(START + timedelta(hours=1))
    objection = objected(objector, period)
    objected(neighbour, period)
    assert services.unanswered_count(period.village) == 2
    for who in (supervisor, objector):
        error = refused(lambda w=who: services.answer(w, objection, "答复"))
        assert error.status == 403
    for text, words in [("", "请写下答复"), ("字" * 1001, "最多")]:
        error = refused(lambda t=text: services.answer(committee, objection, t))
        assert (error.status, error.field, words in error.message) == (422, "answer", True)
    assert logged("publicity.answer") == 0

    at(period.ends_at + timedelta(days=1))
    assert not services.may_close(period)
    with unit_of_work():
        services.answer(committee, objection, "  已核实，照片无误。 ")
    db.session.refresh(objection)
    assert objection.answer == "已核实，照片无误。" and objection.answered_by_id == committee.id
    second = refused(lambda: services.answer(committee, objection, "再答一次"))
    assert second.status == 409
    assert logged("publicity.answer") == 1
    counts = services.objection_counts([period.id, 10**6])
    assert counts == {period.id: services.ObjectionCount(total=2, unanswered=1)}
    assert services.unanswered_count(period.village) == 1
    assert not services.may_close(period)


def test_may_close_once_ended_and_every_objection_answered(period, objector, committee, at):
    assert not services.may_close(period, START)
    assert services.may_close(period, period.ends_at)
    at(START)
    objection = objected(objector, period)
    assert not services.may_close(period, period.ends_at)
    with unit_of_work():
        services.answer(committee, objection, "答复")
    assert not services.may_close(period, period.ends_at - TICK)
    assert services.may_close(period, period.ends_at)


def test_objections_for_name_the_objector_for_the_committee(period, objector, at):
    at(START)
    objected(objector, period)
    [row] = services.objections_for(period)
    assert row.resident.name == "张三丰"


def test_the_unique_constraint_holds_without_the_services_check(
    period, objector, committee, monkeypatch, at
):
    at(START)
    objected(objector, period)
    monkeypatch.setattr(services, "_objection_of", lambda publicity, resident_id: None)
    error = refused(
        lambda: services.object_on_paper(committee, period, objector.resident_id, "纸质")
    )
    assert error.status == 409 and "只能提一次" in error.message
    assert count(Objection) == 1 and logged("publicity.object_paper") == 0


def test_two_at_once_for_one_person_let_exactly_one_through(
    app, period, objector, committee, monkeypatch, at
):
    """Online and on paper at the same moment, the services' check bypassed: the unique
    constraint alone lets one in (on PostgreSQL the second waits for the first)."""
    at(START)
    monkeypatch.setattr(services, "_objection_of", lambda publicity, resident_id: None)
    period_id, user_id, clerk_id, resident_id = (
        period.id,
        objector.id,
        committee.id,
        objector.resident_id,
    )
    db.session.commit()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def worker(i: int) -> None:
        from portal.auth.models import User

        with app.test_request_context():
            try:
                publicity = db.session.get(Publicity, period_id)
                actor = db.session.get(User, user_id if i == 0 else clerk_id)
                barrier.wait()
                with unit_of_work(conflict=services.already_objected):
                    if i == 0:
                        services.object_online(actor, publicity, "网上")
                    else:
                        services.object_on_paper(actor, publicity, resident_id, "纸质")
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
    assert count(Objection) == 1
    assert logged("publicity.object") + logged("publicity.object_paper") == 1
