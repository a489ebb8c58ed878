"""The demo's points: entries in every state (a year of them, most households), the books
that add up, four eyes on every decision, a stocked shop with one reward sold out,
redemptions and one reversal, the shopkeeper's login, and a second seeding that adds
nothing. Seeding takes a few seconds, so each test checks several things."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import aliased

from portal import clock, demo
from portal.audit.models import ActionLog
from portal.auth.models import Role, RoleGrant, User
from portal.extensions import db
from portal.points import services, shop
from portal.points.models import (
    Channel,
    EntryState,
    LedgerEntry,
    LedgerKind,
    PointsAccount,
    PointsBook,
    PointsEntry,
    Reward,
    Watch,
    YearEnd,
)
from portal.publicity import services as publicity
from portal.publicity.models import Objection, Publicity
from portal.villages.models import Household, Resident, Village


def seed(runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    return db.session.scalar(sa.select(Village).where(Village.slug == demo.DEMO_VILLAGE))


def user(phone: str) -> User:
    return db.session.scalar(sa.select(User).where(User.phone == phone))


def entries(village) -> list[PointsEntry]:
    return list(
        db.session.scalars(
            sa.select(PointsEntry)
            .where(PointsEntry.village_id == village.id)
            .order_by(PointsEntry.id)
        )
    )


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.mark.demo
def test_every_state_every_channel_and_the_objections(runner):
    village = seed(runner)
    everything = entries(village)
    now = clock.now()
    due = {e.id for e in everything if services.is_due(e, now)}
    in_notice = [e for e in everything if e.state == EntryState.APPROVED and e.id not in due]
    by_state = {state: [e for e in everything if e.state == state] for state in EntryState}
    assert len(by_state[EntryState.PENDING]) >= 3  # the queue has work
    assert len(in_notice) >= 3
    assert len(by_state[EntryState.FINAL]) >= 150
    assert len(by_state[EntryState.REJECTED]) >= 3
    assert all(e.reason and e.decided_by_id for e in by_state[EntryState.REJECTED])
    # A year of them, for most households, each recorded within the year it may be.
    households = db.session.scalar(
        sa.select(sa.func.count()).where(Household.village_id == village.id)
    )
    assert len({e.household_id for e in everything}) > households / 2
    first_day = min(e.occurred_on for e in everything)
    assert clock.today_local() - first_day >= timedelta(days=300)
    for entry in everything:
        assert entry.occurred_on <= clock.local_date(entry.created_at)
        assert clock.local_date(entry.created_at) - entry.occurred_on <= services.RECORD_WITHIN
    # Deductions, final (扣完为止 where the balance was short), and one held in 公示.
    assert any(e.points < 0 for e in by_state[EntryState.FINAL])
    assert any(e.points < 0 for e in in_notice)

    # Who recorded: the grid worker for the first grid only; the committee; villagers'
    # own declarations; one paper declaration, by the clerk, for a resident of the house.
    grid_worker = user(demo.GRID_WORKER_PHONE)
    committee = {user(demo.COMMITTEE_PHONE).id, user(demo.SECOND_COMMITTEE_PHONE).id}
    channels = {e.channel for e in everything}
    assert channels == set(Channel)
    first_grid = next(g.grid_id for g in grid_worker.grants if g.role == Role.GRID_WORKER)
    for entry in everything:
        if entry.channel == Channel.GRID:
            assert entry.recorded_by_id == grid_worker.id
            assert entry.household.grid_id == first_grid
        elif entry.channel in (Channel.COMMITTEE, Channel.PAPER):
            assert entry.recorded_by_id in committee
        else:
            declarer = db.session.get(User, entry.recorded_by_id)
            assert declarer.resident.household_id == entry.household_id
    [paper] = [e for e in everything if e.channel == Channel.PAPER]
    declarer = db.session.get(Resident, paper.declared_by_resident_id)
    assert declarer.household_id == paper.household_id and declarer.on_roster
    # Cadres' households are on the supervisors' list.
    watched = db.session.scalars(services.watched_entries(village)).unique().all()
    assert any(e.watch == Watch.CADRE for e in watched)

    # In 公示: one objection answered, one waiting (its entry waits with it).
    periods = publicity.periods_for(services.SUBJECT, [e.id for e in in_notice])
    objections = {
        e.id: publicity.objections_for(periods[e.id]) for e in in_notice if e.id in periods
    }
    assert all(periods[e.id].ends_at > now for e in in_notice)
    answered = [e for e, found in objections.items() if found and found[0].answered_at]
    waiting = [e for e, found in objections.items() if found and not found[0].answered_at]
    assert len(answered) == 1 and len(waiting) == 1
    assert publicity.unanswered_count(village) >= 1
    for found in objections.values():
        for objection in found:
            entry = next(e for e in in_notice if e.id == objection.publicity.subject_id)
            assert objection.resident.household_id != entry.household_id
    # One rejected in its 公示, after an objection was upheld and answered.
    upheld = [
        e
        for e in by_state[EntryState.REJECTED]
        if (period := publicity.period_for(services.SUBJECT, e.id)) is not None
        and publicity.objections_for(period)
    ]
    assert len(upheld) == 1
    [objection] = publicity.objections_for(publicity.period_for(services.SUBJECT, upheld[0].id))
    assert objection.answered_at is not None and objection.answered_at <= upheld[0].decided_at


@pytest.mark.demo
def test_the_books_add_up_and_nothing_is_negative(runner):
    village = seed(runner)
    assert services.verify() == []
    assert db.session.scalar(sa.select(sa.func.min(PointsAccount.balance))) >= 0
    assert db.session.scalar(sa.select(sa.func.min(LedgerEntry.balance_after))) >= 0
    assert db.session.scalar(sa.select(sa.func.min(Reward.stock))) >= 0
    # Every final entry written to the ledger once; nothing else awarded.
    finals = db.session.scalars(
        sa.select(PointsEntry.id).where(PointsEntry.state == EntryState.FINAL)
    ).all()
    awarded = db.session.scalars(
        sa.select(LedgerEntry.entry_id).where(LedgerEntry.kind == LedgerKind.AWARD)
    ).all()
    assert sorted(awarded) == sorted(finals)
    # Written by the nightly tick after its 公示, never before.
    late = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(LedgerEntry)
        .join(Publicity, Publicity.subject_id == LedgerEntry.entry_id)
        .where(
            LedgerEntry.kind == LedgerKind.AWARD,
            Publicity.subject_type == services.SUBJECT,
            LedgerEntry.created_at < Publicity.ends_at,
        )
    )
    assert late == 0
    # The open book year is this year; no year closed.
    year = clock.today_local().year
    assert services.open_year(village.id) == year
    assert db.session.get(PointsBook, village.id).open_year == year
    assert count(YearEnd) == 0
    assert set(db.session.scalars(sa.select(LedgerEntry.year).distinct())) == {year}

    # Four eyes, over every row: never the recorder, never the recorder's or the
    # entry's household, always a committee member of the village.
    decider = aliased(User)
    decider_resident = aliased(Resident)
    recorder = aliased(User)
    recorder_resident = aliased(Resident)
    decided = (
        sa.select(
            PointsEntry.id,
            PointsEntry.recorded_by_id,
            PointsEntry.decided_by_id,
            PointsEntry.household_id,
            PointsEntry.decider_household_id,
            decider_resident.household_id.label("approver_home"),
            recorder_resident.household_id.label("recorder_home"),
            PointsEntry.channel,
        )
        .join(decider, decider.id == PointsEntry.decided_by_id)
        .join(decider_resident, decider_resident.id == decider.resident_id)
        .join(recorder, recorder.id == PointsEntry.recorded_by_id)
        .join(recorder_resident, recorder_resident.id == recorder.resident_id)
        .where(PointsEntry.village_id == village.id)
    )
    rows = db.session.execute(decided).all()
    assert len(rows) >= 150
    members = set(
        db.session.scalars(
            sa.select(RoleGrant.user_id).where(
                RoleGrant.role == Role.COMMITTEE,
                RoleGrant.village_id == village.id,
                RoleGrant.revoked_at.is_(None),
            )
        )
    )
    for row in rows:
        assert row.decided_by_id != row.recorded_by_id, row.id
        assert row.decider_household_id == row.approver_home, row.id
        assert row.approver_home != row.household_id, row.id
        if row.channel in (Channel.COMMITTEE, Channel.GRID):
            assert row.approver_home != row.recorder_home, row.id
        assert row.decided_by_id in members, row.id
    # The same, as one statement over all rows.
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(decided.subquery())
            .where(
                sa.or_(
                    sa.column("decided_by_id") == sa.column("recorded_by_id"),
                    sa.column("approver_home") == sa.column("household_id"),
                )
            )
        )
        == 0
    )


@pytest.mark.demo
def test_the_shop_is_stocked_with_redemptions_and_one_reversal(runner):
    village = seed(runner)
    shelves = shop.rewards(village)
    assert len(shelves) >= 8
    names = {r.name for r in shelves}
    assert {"大米", "食用油", "肥皂", "洗衣粉", "牙膏", "毛巾", "酱油", "挂面", "食盐"} <= names
    assert all(2 <= r.cost <= 60 and 0 <= r.stock <= 50 for r in shelves)
    assert len([r for r in shelves if r.stock == 0]) == 1
    assert len([r for r in shelves if r.stock > 0]) >= 7
    keeper = user(demo.SHOPKEEPER_PHONE)
    rows = db.session.scalars(shop.redemptions(village)).all()
    assert len(rows) >= 20
    assert all(r.actor_id == keeper.id and r.points < 0 and r.quantity >= 1 for r in rows)
    assert all(r.points == -r.quantity * r.reward.cost for r in rows)
    first_day = clock.local_date(min(r.created_at for r in rows))
    assert clock.today_local() - first_day >= timedelta(days=240)
    # One reversed at the counter by a committee member: 拿错了, the goods back.
    [reversal] = db.session.scalars(
        sa.select(LedgerEntry).where(LedgerEntry.kind == LedgerKind.REVERSAL)
    ).all()
    reversed_row = db.session.get(LedgerEntry, reversal.reverses_id)
    assert reversed_row.kind == LedgerKind.REDEMPTION
    assert reversal.points == -reversed_row.points and "拿错了" in reversal.note
    assert reversal.actor_id == user(demo.COMMITTEE_PHONE).id
    # Each shelf holds what was put on it, less what was taken, plus what came back.
    logged = db.session.scalars(
        sa.select(ActionLog).where(ActionLog.action.in_(("shop.reward_add", "shop.restock")))
    ).all()
    for reward in shelves:
        put = sum(
            log.summary["after"]["stock"] - log.summary.get("before", {"stock": 0})["stock"]
            for log in logged
            if log.object_id == reward.id
        )
        taken = sum(r.quantity for r in rows if r.reward_id == reward.id)
        back = reversed_row.quantity if reversed_row.reward_id == reward.id else 0
        assert reward.stock == put - taken + back, reward.name


@pytest.mark.demo
def test_the_shopkeeper_login_and_the_history_at_its_own_time(runner):
    seed(runner)
    keeper = user(demo.SHOPKEEPER_PHONE)
    hubin = db.session.scalar(sa.select(Village).where(Village.slug == demo.DEMO_VILLAGE))
    held = {(g.role, g.village_id) for g in keeper.grants if g.revoked_at is None}
    assert held == {(Role.SHOPKEEPER, hubin.id), (Role.VILLAGER, hubin.id)}
    assert keeper.is_verified and keeper.resident.village_id == hubin.id
    assert shop.shop_role(keeper, hubin) == Role.SHOPKEEPER
    appointed = db.session.scalar(
        sa.select(ActionLog).where(
            ActionLog.action == "role.appoint", ActionLog.actor_id == user(demo.COMMITTEE_PHONE).id
        )
    )
    assert appointed is not None
    assert demo.SHOPKEEPER_PHONE in {login.phone for login in demo.DEMO_LOGINS}
    listed = runner.invoke(args=["demo-logins"])
    assert demo.SHOPKEEPER_PHONE in listed.output and "shopkeeper" in listed.output
    # Every step written at its own moment, none after now.
    now = clock.now()
    recorded = dict(
        db.session.execute(
            sa.select(ActionLog.object_id, ActionLog.at).where(ActionLog.action == "points.record")
        ).all()
    )
    for entry in entries(hubin):
        assert recorded[entry.id] == entry.created_at
        if entry.decided_at is not None:
            assert entry.created_at < entry.decided_at <= now
    for model, column in (
        (LedgerEntry, LedgerEntry.created_at),
        (Objection, Objection.created_at),
        (ActionLog, ActionLog.at),
    ):
        assert db.session.scalar(sa.select(sa.func.max(column))) <= now, model


@pytest.mark.demo
def test_seeding_again_adds_nothing(runner):
    village = seed(runner)
    models = (
        PointsEntry,
        LedgerEntry,
        PointsAccount,
        Reward,
        Publicity,
        Objection,
        ActionLog,
        User,
        RoleGrant,
    )
    before = [count(m) for m in models]
    stock = [(r.id, r.stock) for r in shop.rewards(village)]
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "nothing to add" in result.output
    result = runner.invoke(args=["seed-demo", "--if-empty"])
    assert result.exit_code == 0 and "not seeded" in result.output
    assert [count(m) for m in models] == before
    assert [(r.id, r.stock) for r in shop.rewards(village)] == stock
    assert services.verify() == []
