"""Quorum and passing at the edges (Organic Law Art. 22), in both modes."""

from __future__ import annotations

import pytest

from portal.auth.models import Role
from portal.extensions import db
from portal.rules import services
from portal.villages.models import QuorumMode
from tests.factories import (
    HouseholdFactory,
    ResidentFactory,
    RoleGrantFactory,
    UserFactory,
    VillageFactory,
)
from tests.rules import factories as rf

PERSONS, HOUSEHOLDS = QuorumMode.PERSONS, QuorumMode.HOUSEHOLDS


@pytest.mark.parametrize(
    ("eligible", "turnout", "met"),
    [(10, 5, False), (10, 6, True), (11, 5, False), (11, 6, True), (1, 1, True), (0, 0, False)],
)
def test_persons_quorum_is_more_than_half(eligible, turnout, met):
    assert (
        services.quorum_met(
            PERSONS, eligible=eligible, turnout=turnout, households=0, represented=0
        )
        is met
    )


@pytest.mark.parametrize(
    ("households", "represented", "met"),
    [(9, 6, True), (9, 5, False), (10, 7, True), (10, 6, False), (3, 2, True), (0, 0, False)],
)
def test_households_quorum_is_at_least_two_thirds(households, represented, met):
    assert (
        services.quorum_met(
            HOUSEHOLDS, eligible=0, turnout=0, households=households, represented=represented
        )
        is met
    )


@pytest.mark.parametrize(
    ("yes", "turnout", "passed"),
    [(5, 10, False), (6, 10, True), (3, 7, False), (4, 7, True), (0, 0, False)],
)
def test_passing_is_more_than_half_of_those_taking_part(yes, turnout, passed):
    assert services.passes(yes=yes, turnout=turnout) is passed


def voters_in(village, households: int, per_household: int = 1):
    users = []
    for _ in range(households):
        household = HouseholdFactory(village=village)
        for _ in range(per_household):
            resident = ResidentFactory(household=household)
            user = UserFactory(
                resident=resident, village=village, status="verified", name=resident.name
            )
            RoleGrantFactory(user=user, role=Role.VILLAGER, village=village)
            users.append(user)
    return users


def close_with(village, users, choices):
    clerk = rf.committee(village)
    version = rf.voting(village, clerk)
    for user, choice in zip(users, choices, strict=False):
        services.cast_ballot(version, user, choice, rf.during(version))
    db.session.commit()
    result = services.close_vote(clerk, version, rf.after(version))
    db.session.commit()
    return result


@pytest.mark.parametrize(("voting", "met"), [(5, False), (6, True)])
def test_persons_mode_end_to_end(app, voting, met):
    village = VillageFactory(quorum_mode=PERSONS)
    users = voters_in(village, 10)
    result = close_with(village, users, ["yes"] * voting)
    assert (result.eligible_count, result.turnout, result.quorum_met) == (10, voting, met)
    assert result.passed is met


@pytest.mark.parametrize(("voting_households", "met"), [(4, True), (3, False)])
def test_households_mode_end_to_end(app, voting_households, met):
    """6 households of two: a household is represented when any eligible member voted."""
    village = VillageFactory(quorum_mode=HOUSEHOLDS)
    users = voters_in(village, 6, per_household=2)
    # Both members of the first household vote; then one member of each next household.
    voting = users[:2] + users[3 : 2 * voting_households : 2]
    result = close_with(village, voting, ["yes"] * len(voting))
    assert result.household_count == 6 and result.eligible_count == 12
    assert result.households_represented == voting_households
    assert result.quorum_met is met
    assert result.quorum_mode == HOUSEHOLDS


def test_abstentions_take_part_but_are_not_yes(app):
    village = VillageFactory()
    users = voters_in(village, 10)
    # 10 take part: quorum. 5 yes of 10 is not more than half: rejected.
    result = close_with(village, users, ["yes"] * 5 + ["abstain"] * 4 + ["no"])
    assert result.quorum_met and result.turnout == 10
    assert (result.yes_count, result.no_count, result.abstain_count) == (5, 1, 4)
    assert not result.passed


def test_abstentions_count_towards_quorum(app):
    village = VillageFactory()
    users = voters_in(village, 10)
    result = close_with(village, users, ["yes"] * 4 + ["abstain"] * 2)
    assert result.quorum_met and result.passed  # 6 of 10 took part; 4 yes of 6


def test_summary_carries_the_figures(app):
    village = VillageFactory()
    users = voters_in(village, 3)
    result = close_with(village, users, ["yes", "no"])
    summary = services.assembly_decision_summary(result)
    assert summary["eligible"] == 3 and summary["turnout"] == 2
    assert (summary["yes"], summary["no"], summary["abstain"]) == (1, 1, 0)
    assert summary["online"] == 2 and summary["paper"] == 0
    assert summary["quorum_met"] and not summary["passed"]
    assert summary["document_title"] == "湖滨村村规民约"
