"""The rules of points: recording by role, four-eyes approval, 公示 with the clock
controlled, caps, the ledger and its balances, redemption, reversal, the year end."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal.actions import Refusal, unit_of_work
from portal.auth.models import Role
from portal.extensions import db
from portal.points import services, shop
from portal.points.models import (
    Channel,
    EntryState,
    LedgerEntry,
    LedgerKind,
    PointsAccount,
    PointsEntry,
    Watch,
    YearEnd,
)
from portal.points.services import PointsError
from portal.publicity import services as publicity
from tests.factories import ResidentFactory, count, villager
from tests.points.conftest import START, TODAY, approve, award, item, record


def balance(household) -> int:
    db.session.rollback()
    return (
        db.session.scalar(
            sa.select(PointsAccount.balance).where(PointsAccount.household_id == household.id)
        )
        or 0
    )


# --- recording --------------------------------------------------------------------------


def test_a_committee_member_records_for_any_household(village, households, committee):
    entry = record(committee, village, households[3])
    assert entry.state == EntryState.PENDING
    assert entry.channel == Channel.COMMITTEE
    assert entry.points == item(village, "J01").points


def test_a_grid_worker_records_for_their_own_grid(village, households, grid_worker):
    entry = record(grid_worker, village, households[1])
    assert entry.channel == Channel.GRID


def test_a_grid_worker_is_refused_another_grid(village, households, grid_worker):
    with pytest.raises(PointsError) as refused:
        record(grid_worker, village, households[2])
    assert refused.value.status == 403
    assert "本网格" in refused.value.message
    assert count(PointsEntry) == 0


def test_a_household_of_another_village_is_refused(village, committee):
    from tests.factories import HouseholdFactory, VillageFactory

    elsewhere = HouseholdFactory(village=VillageFactory())
    with pytest.raises(Refusal) as refused:
        record(committee, village, elsewhere)
    assert refused.value.status == 404
    assert count(PointsEntry) == 0


def test_a_villager_declares_for_their_own_household_only(village, households, resident_user):
    entry = record(resident_user, village, households[0], "G03")
    assert entry.channel == Channel.DECLARED
    with pytest.raises(PointsError) as refused:
        record(resident_user, village, households[1], "G03")
    assert refused.value.status == 403


def test_a_clerk_enters_a_paper_declaration_of_that_households_resident(
    village, households, committee
):
    declarant = ResidentFactory(household=households[2], village=village)
    entry = record(committee, village, households[2], "G03", declared_by=declarant)
    assert entry.channel == Channel.PAPER
    assert entry.declared_by_resident_id == declarant.id
    stranger = ResidentFactory(household=households[1], village=village)
    with pytest.raises(PointsError) as refused:
        record(committee, village, households[2], "G03", declared_by=stranger)
    assert refused.value.field == "declared_by"


def test_dates_ahead_or_over_a_year_back_are_refused(village, households, committee):
    for on in (TODAY + timedelta(days=1), TODAY - timedelta(days=400)):
        with pytest.raises(PointsError) as refused:
            record(committee, village, households[0], on=on)
        assert refused.value.field == "occurred_on"
    assert count(PointsEntry) == 0


def test_a_retired_item_is_refused_and_kept(village, households, committee):
    with unit_of_work():
        services.retire_item(committee, village, item(village, "J01"))
    with pytest.raises(PointsError):
        record(committee, village, households[0])
    assert item(village, "J01").retired


def test_an_entry_keeps_the_points_it_was_recorded_with(village, households, committee):
    entry = record(committee, village, households[0], "J01")
    with unit_of_work():
        services.retire_item(committee, village, item(village, "J01"))
    db.session.refresh(entry)
    assert entry.points == 5


# --- caps -------------------------------------------------------------------------------


def test_a_monthly_cap_holds_and_opens_again_next_month(village, households, committee):
    record(committee, village, households[0], "J01")  # 5 points a month, cap 5
    with pytest.raises(PointsError) as refused:
        record(committee, village, households[0], "J01", on=TODAY - timedelta(days=2))
    assert refused.value.field == "item"
    assert "每月最多" in refused.value.message
    record(committee, village, households[0], "J01", on=TODAY.replace(month=5))
    assert count(PointsEntry) == 2


def test_a_rejected_entry_frees_its_cap(village, households, committee, second_member):
    entry = record(committee, village, households[0], "J01")
    with unit_of_work():
        services.reject(second_member, village, entry, "检查没有通过")
    record(committee, village, households[0], "J01")
    assert count(PointsEntry) == 2


# --- four eyes --------------------------------------------------------------------------


def test_the_recorder_may_not_approve(village, households, committee):
    entry = record(committee, village, households[0])
    with pytest.raises(PointsError) as refused:
        approve(committee, village, entry)
    assert refused.value.status == 403
    assert "您记录的" in refused.value.message
    db.session.refresh(entry)
    assert entry.state == EntryState.PENDING


def test_no_one_approves_their_own_households_entry(village, households, grid_worker):
    member = villager(village, household=households[1])
    from tests.factories import RoleGrantFactory

    RoleGrantFactory(user=member, role=Role.COMMITTEE, village=village)
    entry = record(grid_worker, village, households[1])
    with pytest.raises(PointsError) as refused:
        approve(member, village, entry)
    assert "本户" in refused.value.message
    assert entry.watch == Watch.CADRE


def test_a_grid_workers_own_household_is_watched(village, households, grid_worker, committee):
    db.session.refresh(grid_worker)
    own = grid_worker.resident.household
    entry = record(committee, village, own)
    assert entry.watch == Watch.CADRE
    plain = record(committee, village, households[2])
    assert plain.watch is None


def test_a_villager_may_not_approve(village, households, committee, resident_user):
    entry = record(committee, village, households[2])
    with pytest.raises(PointsError) as refused:
        approve(resident_user, village, entry)
    assert refused.value.status == 403


def test_the_database_refuses_approval_by_the_recorder(village, households, committee):
    entry = record(committee, village, households[0])
    with pytest.raises(sa.exc.IntegrityError):
        db.session.execute(
            sa.update(PointsEntry)
            .where(PointsEntry.id == entry.id)
            .values(
                state="approved",
                decided_by_id=committee.id,
                decided_at=START,
                decider_household_id=households[3].id,
            )
        )
        db.session.commit()
    db.session.rollback()


def test_the_database_refuses_approval_from_the_households_own_member(
    village, households, committee, second_member
):
    entry = record(committee, village, households[0])
    with pytest.raises(sa.exc.IntegrityError):
        db.session.execute(
            sa.update(PointsEntry)
            .where(PointsEntry.id == entry.id)
            .values(
                state="approved",
                decided_by_id=second_member.id,
                decided_at=START,
                decider_household_id=households[0].id,
            )
        )
        db.session.commit()
    db.session.rollback()


def test_approving_twice_is_refused(village, households, committee, second_member):
    entry = record(committee, village, households[0])
    approve(second_member, village, entry)
    with pytest.raises(PointsError) as refused:
        approve(second_member, village, entry)
    assert refused.value.status == 409
    assert count(sa.orm.aliased(publicity.Publicity)) == 1


def test_a_selection_is_approved_whole_or_not_at_all(village, households, committee, second_member):
    mine = record(second_member, village, households[2], "J02")
    others = [record(committee, village, h, "J02") for h in households[:2]]
    with pytest.raises(PointsError) as refused, unit_of_work():
        services.approve_many(second_member, village, [o.id for o in others] + [mine.id])
    assert f"第 {mine.id} 条" in refused.value.message
    assert count(PointsEntry, PointsEntry.state == EntryState.PENDING) == 3
    with unit_of_work():
        services.approve_many(second_member, village, [o.id for o in others])
    assert count(PointsEntry, PointsEntry.state == EntryState.APPROVED) == 2


def test_a_rejection_needs_its_reason(village, households, committee, second_member):
    entry = record(committee, village, households[0])
    with pytest.raises(PointsError) as refused, unit_of_work():
        services.reject(second_member, village, entry, "  ")
    assert refused.value.field == "reason"
    with unit_of_work():
        services.reject(second_member, village, entry, "没有照片为证")
    db.session.refresh(entry)
    assert entry.state == EntryState.REJECTED and entry.reason == "没有照片为证"


# --- 公示 and final ----------------------------------------------------------------------


def test_an_approved_entry_counts_only_after_its_notice(
    village, households, committee, second_member, at
):
    entry = record(committee, village, households[0], "G04")  # 20 points
    approve(second_member, village, entry)
    assert services.standing(households[0]).balance == 0
    assert services.standing(households[0]).in_notice == 20
    at(START + timedelta(days=3) - timedelta(seconds=1))
    assert services.standing(households[0]).balance == 0
    at(START + timedelta(days=3))
    shown = services.standing(households[0])
    assert shown.balance == 20 and shown.in_notice == 0
    # Read from the clock: nothing was written yet.
    assert count(LedgerEntry) == 0
    with unit_of_work():
        assert services.post_due(household_ids=[households[0].id]) == 1
    assert balance(households[0]) == 20
    db.session.refresh(entry)
    assert entry.state == EntryState.FINAL
    with unit_of_work():
        assert services.post_due(household_ids=[households[0].id]) == 0
    assert count(LedgerEntry) == 1


def test_an_unanswered_objection_holds_the_entry(
    village, households, committee, second_member, resident_user, at
):
    entry = record(committee, village, households[2], "G04")
    approve(second_member, village, entry)
    period = publicity.period_for(services.SUBJECT, entry.id)
    with unit_of_work():
        objection = publicity.object_online(resident_user, period, "他那天不在村里")
    at(START + timedelta(days=5))
    assert services.standing(households[2]).balance == 0
    assert services.standing(households[2]).in_notice == 20
    with unit_of_work():
        assert services.post_due(household_ids=[households[2].id]) == 0
    with unit_of_work():
        publicity.answer(committee, objection, "核实过，当天他在村里帮忙。")
    assert services.standing(households[2]).balance == 20


def test_an_objection_upheld_rejects_the_entry_in_notice(
    village, households, committee, second_member
):
    entry = record(committee, village, households[2], "G04")
    approve(second_member, village, entry)
    with unit_of_work():
        services.reject(second_member, village, entry, "异议属实，撤销")
    assert services.standing(households[2]).in_notice == 0
    db.session.refresh(entry)
    assert entry.state == EntryState.REJECTED


def test_a_deduction_takes_the_balance_to_zero_and_no_lower(
    village, households, committee, second_member, at
):
    award(committee, second_member, village, households[0], "J01")  # +5
    at(START + timedelta(days=5))
    entry = record(committee, village, households[0], "K02")  # -10
    approve(second_member, village, entry)
    at(START + timedelta(days=9))
    with unit_of_work():
        services.post_due(household_ids=[households[0].id])
    assert balance(households[0]) == 0
    row = db.session.scalars(sa.select(LedgerEntry).where(LedgerEntry.entry_id == entry.id)).one()
    assert row.points == -5 and row.balance_after == 0


# --- the shop ---------------------------------------------------------------------------


def test_a_redemption_takes_points_and_stock(
    village, households, committee, second_member, shopkeeper, rice, at
):
    award(committee, second_member, village, households[0], "G08")  # +30
    at(START + timedelta(days=5))
    with unit_of_work():
        row = shop.redeem(shopkeeper, village, households[0], rice)
    assert row.kind == LedgerKind.REDEMPTION and row.points == -30
    assert balance(households[0]) == 0
    db.session.refresh(rice)
    assert rice.stock == 9


def test_a_redemption_beyond_the_balance_is_refused(
    village, households, shopkeeper, rice, committee, second_member, at
):
    award(committee, second_member, village, households[0], "G04")  # +20
    at(START + timedelta(days=5))
    with pytest.raises(PointsError) as refused, unit_of_work():
        shop.redeem(shopkeeper, village, households[0], rice)
    assert "不够" in refused.value.message
    db.session.refresh(rice)
    assert rice.stock == 10
    assert count(LedgerEntry, LedgerEntry.kind == LedgerKind.REDEMPTION) == 0


def test_a_redemption_beyond_the_stock_is_refused(
    village, households, shopkeeper, committee, second_member, at
):
    with unit_of_work():
        soap = shop.add_reward(committee, village, name="肥皂", cost=2, stock=1)
    award(committee, second_member, village, households[0], "G04")
    at(START + timedelta(days=5))
    with pytest.raises(PointsError) as refused, unit_of_work():
        shop.redeem(shopkeeper, village, households[0], soap, quantity=2)
    assert "只剩 1 件" in refused.value.message


def test_a_deduction_in_notice_is_held_back_from_spending(
    village, households, shopkeeper, committee, second_member, rice, at
):
    award(committee, second_member, village, households[0], "G08")  # +30
    at(START + timedelta(days=5))
    deduction = record(committee, village, households[0], "K07")  # -3
    approve(second_member, village, deduction)
    assert services.standing(households[0]).available == 27
    with pytest.raises(PointsError), unit_of_work():
        shop.redeem(shopkeeper, village, households[0], rice)


def test_a_villager_may_not_redeem_at_the_counter(village, households, resident_user, rice):
    with pytest.raises(PointsError) as refused, unit_of_work():
        shop.redeem(resident_user, village, households[0], rice)
    assert refused.value.status == 403


def test_the_database_refuses_a_negative_stock_or_balance(village, households, rice):
    with pytest.raises(sa.exc.IntegrityError):
        db.session.execute(sa.text("UPDATE reward SET stock = -1 WHERE id = :id"), {"id": rice.id})
        db.session.commit()
    db.session.rollback()
    with unit_of_work():
        services.lock_account(village.id, households[0].id)
    with pytest.raises(sa.exc.IntegrityError):
        db.session.execute(
            sa.text("UPDATE points_account SET balance = -5 WHERE household_id = :id"),
            {"id": households[0].id},
        )
        db.session.commit()
    db.session.rollback()


# --- corrections, the ledger, verify -----------------------------------------------------


def test_a_reversal_references_its_row_and_the_row_stays(
    village, households, committee, second_member, at
):
    entry = award(committee, second_member, village, households[0], "G04")
    at(START + timedelta(days=5))
    original = db.session.scalars(
        sa.select(LedgerEntry).where(LedgerEntry.entry_id == entry.id)
    ).one()
    with unit_of_work():
        reversal = services.reverse(committee, village, original, "重复记录")
    assert reversal.reverses_id == original.id and reversal.points == -20
    assert balance(households[0]) == 0
    with pytest.raises(PointsError), unit_of_work():
        services.reverse(committee, village, original, "再冲一次")
    assert count(LedgerEntry) == 2


def test_a_reversed_redemption_puts_the_goods_back(
    village, households, committee, second_member, shopkeeper, rice, at
):
    award(committee, second_member, village, households[0], "G08")
    at(START + timedelta(days=5))
    with unit_of_work():
        row = shop.redeem(shopkeeper, village, households[0], rice)
    with unit_of_work():
        services.reverse(committee, village, row, "拿错了，退回")
    db.session.refresh(rice)
    assert rice.stock == 10
    assert balance(households[0]) == 30


@pytest.mark.parametrize(
    "statement", ["UPDATE points_ledger SET points = 999", "DELETE FROM points_ledger"]
)
def test_the_ledger_refuses_edits_in_sql(
    village, households, committee, second_member, at, statement
):
    award(committee, second_member, village, households[0], "G04")
    with pytest.raises(sa.exc.DatabaseError, match="append-only"):
        db.session.execute(sa.text(statement))
        db.session.commit()
    db.session.rollback()
    assert db.session.scalar(sa.select(LedgerEntry.points)) == 20


def test_verify_is_clean_then_finds_a_tampered_balance(
    village, households, committee, second_member, at
):
    award(committee, second_member, village, households[0], "G04")
    assert services.verify() == []
    db.session.execute(
        sa.text("UPDATE points_account SET balance = 50 WHERE household_id = :id"),
        {"id": households[0].id},
    )
    db.session.commit()
    found = services.verify()
    assert [(d.household_id, d.stored, d.computed) for d in found] == [(households[0].id, 50, 20)]


# --- the year end -----------------------------------------------------------------------


def test_the_year_end_waits_for_december(village, committee):
    with pytest.raises(PointsError) as refused, unit_of_work():
        services.close_year(committee, village, 2026)
    assert "12 月 1 日" in refused.value.message


@pytest.mark.parametrize(("mode", "after"), [("carry", 20), ("reset", 0)])
def test_the_year_end_closes_and_opens_without_deleting(
    village, households, committee, second_member, at, mode, after
):
    award(committee, second_member, village, households[0], "G04")
    at(START.replace(month=12, day=2))
    with unit_of_work():
        closed = services.close_year(committee, village, 2026, mode)
    assert closed.households == 1 and closed.points_closed == 20
    kinds = db.session.scalars(sa.select(LedgerEntry.kind).order_by(LedgerEntry.id)).all()
    expected = [LedgerKind.AWARD, LedgerKind.CLOSING] + (
        [LedgerKind.OPENING] if mode == "carry" else []
    )
    assert kinds == expected
    assert balance(households[0]) == after
    assert services.open_year(village.id) == 2027
    assert services.verify() == []
    with pytest.raises(PointsError), unit_of_work():
        services.close_year(committee, village, 2026, mode)
    assert count(YearEnd) == 1


def test_a_reversed_entry_frees_its_cap(village, households, committee, second_member, at):
    entry = award(committee, second_member, village, households[0], "J06")  # 20, cap 20 a year
    with pytest.raises(PointsError):
        record(committee, village, households[0], "J06")
    at(START + timedelta(days=5))
    original = db.session.scalars(
        sa.select(LedgerEntry).where(LedgerEntry.entry_id == entry.id)
    ).one()
    with unit_of_work():
        services.reverse(committee, village, original, "同一件事记了两次")
    record(committee, village, households[0], "J06", on=TODAY)
    assert count(PointsEntry) == 2
