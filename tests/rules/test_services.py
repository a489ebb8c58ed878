"""The state machine of a rule version, and every refusal along the way."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal import clock
from portal.audit.models import ActionLog
from portal.auth.models import RegistrationStatus, Role
from portal.extensions import db
from portal.rules import services
from portal.rules.models import (
    ArticleComment,
    Ballot,
    BallotChannel,
    RuleArticle,
    RuleVersion,
    TallyVisibility,
    VersionState,
    VoteEligibility,
)
from portal.rules.services import RuleError
from tests.factories import ResidentFactory, UserFactory, VillageFactory, official, villager
from tests.rules import factories as rf


def count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def actions(name: str) -> int:
    return count(ActionLog, ActionLog.action == name)


@pytest.fixture
def village(app):
    return VillageFactory()


# --- documents, drafts and articles ------------------------------------------------


def test_create_document_makes_an_empty_first_draft_and_logs_it(village, clerk):
    document = services.create_document(clerk, village, " 村规民约 ")
    db.session.commit()
    assert document.title == "村规民约"
    [version] = document.versions
    assert (version.number, version.state) == (1, VersionState.DRAFT)
    assert version.village_id == village.id
    assert actions("rules.create") == 1


def test_only_the_committee_of_the_village_drafts(village):
    other = rf.committee(VillageFactory())
    for user in (villager(village), other, official(Role.SUPERVISOR, village=village)):
        with pytest.raises(RuleError, match="村委会"):
            services.create_document(user, village, "村规民约")
        db.session.rollback()
    with pytest.raises(RuleError):
        services.create_document(rf.committee(village), village, "  ")


def test_articles_are_added_moved_edited_and_removed_in_order(village, clerk):
    version = rf.draft(village, clerk)
    bodies = lambda: [a.body for a in rf_articles(version)]  # noqa: E731
    first, second, third = rf_articles(version)
    services.add_article(clerk, version, "新的第一条", title="总则", position=1)
    db.session.commit()
    assert bodies()[0] == "新的第一条"
    assert [a.position for a in rf_articles(version)] == [1, 2, 3, 4]
    services.move_article(clerk, third, 1)
    db.session.commit()
    assert bodies()[0] == rf.ARTICLES[2]
    services.edit_article(clerk, first, "改过的条文", title="环境")
    services.remove_article(clerk, second)
    db.session.commit()
    assert bodies() == [rf.ARTICLES[2], "新的第一条", "改过的条文"]
    assert [a.position for a in rf_articles(version)] == [1, 2, 3]
    for name in ("add", "move", "edit", "remove"):
        assert actions(f"rules.article_{name}") >= 1


def rf_articles(version):
    return db.session.scalars(
        sa.select(RuleArticle).where(RuleArticle.version_id == version.id).order_by("position")
    ).all()


def test_article_input_is_checked(village, clerk):
    version = rf.draft(village, clerk)
    with pytest.raises(RuleError, match="条文内容"):
        services.add_article(clerk, version, "   ")
    with pytest.raises(RuleError, match="2000"):
        services.add_article(clerk, version, "字" * 2001)
    with pytest.raises(RuleError, match="位置"):
        services.add_article(clerk, version, "一条", position=9)
    with pytest.raises(RuleError, match="位置"):
        services.move_article(clerk, rf_articles(version)[0], 0)
    db.session.rollback()
    assert count(RuleArticle) == 3


def test_articles_cannot_change_once_consultation_opened(village, clerk):
    version = rf.in_consultation(village, clerk)
    article = rf_articles(version)[0]
    attempts = (
        lambda: services.add_article(clerk, version, "再加一条"),
        lambda: services.edit_article(clerk, article, "改"),
        lambda: services.move_article(clerk, article, 2),
        lambda: services.remove_article(clerk, article),
    )
    for attempt in attempts:
        with pytest.raises(RuleError, match="征求意见开始后"):
            attempt()
        db.session.rollback()
    assert [a.body for a in rf_articles(version)] == list(rf.ARTICLES)


def test_consultation_opens_once_with_the_village_default(village, clerk):
    now = clock.now()
    version = rf.draft(village, clerk)
    services.open_consultation(clerk, version, now=now)
    db.session.commit()
    assert version.state == VersionState.CONSULTATION
    assert version.consultation_ends_at == now + timedelta(days=village.consultation_days)
    with pytest.raises(RuleError, match="已经开始过"):
        services.open_consultation(clerk, version, now=now)


def test_consultation_needs_articles_and_a_future_end(village, clerk):
    empty = services.create_document(clerk, village, "空的").versions[0]
    db.session.commit()
    with pytest.raises(RuleError, match="还没有条文"):
        services.open_consultation(clerk, empty)
    db.session.rollback()
    version = rf.draft(village, clerk)
    with pytest.raises(RuleError, match="截止时间"):
        services.open_consultation(clerk, version, ends_at=clock.now() - timedelta(hours=1))


# --- comments ----------------------------------------------------------------------


def test_villagers_comment_during_consultation_only(village, clerk):
    now = clock.now()
    version = rf.in_consultation(village, clerk, now)
    article = rf_articles(version)[0]
    someone = villager(village)
    comment = services.add_comment(someone, article, "建议写明垃圾清运的时间。", now=now)
    db.session.commit()
    assert comment.version_id == version.id
    late = version.consultation_ends_at
    with pytest.raises(RuleError, match="征求意见期"):
        services.add_comment(someone, article, "晚了", now=late)
    with pytest.raises(RuleError, match="意见内容"):
        services.add_comment(someone, article, " ", now=now)
    with pytest.raises(RuleError, match="1000"):
        services.add_comment(someone, article, "长" * 1001, now=now)
    assert count(ArticleComment) == 1


def test_comments_only_from_verified_villagers_of_the_village(village, clerk):
    version = rf.in_consultation(village, clerk)
    article = rf_articles(version)[0]
    pending = UserFactory(resident=ResidentFactory(household__village=village))
    outsider = villager(VillageFactory())
    for user in (pending, outsider, clerk):
        with pytest.raises(RuleError, match="已核实"):
            services.add_comment(user, article, "意见")
    draft_article = rf_articles(rf.draft(village, clerk))[0]
    with pytest.raises(RuleError, match="征求意见期"):
        services.add_comment(villager(village), draft_article, "意见")
    assert count(ArticleComment) == 0


def test_hiding_a_comment_keeps_it_with_a_reason(village, clerk):
    version = rf.in_consultation(village, clerk)
    comment = services.add_comment(villager(village), rf_articles(version)[0], "广告内容")
    db.session.commit()
    with pytest.raises(RuleError, match="理由"):
        services.hide_comment(clerk, comment, " ")
    with pytest.raises(RuleError, match="村委会"):
        services.hide_comment(villager(village), comment, "广告")
    services.hide_comment(clerk, comment, "与条文无关的广告")
    db.session.commit()
    assert comment.hidden and comment.hidden_by_id == clerk.id
    assert comment.hidden_reason == "与条文无关的广告" and comment.body == "广告内容"
    assert actions("rules.comment_hide") == 1
    with pytest.raises(RuleError, match="已经隐藏"):
        services.hide_comment(clerk, comment, "再藏一次")


# --- announcing and opening the vote ------------------------------------------------


def test_announcing_needs_the_notice_period_and_a_proper_window(village, clerk):
    now = clock.now()
    version = rf.in_consultation(village, clerk, now)
    days = village.vote_notice_days
    cases = [
        (now + timedelta(days=days - 1), now + timedelta(days=days + 5), "live", "公告期"),
        (now + timedelta(days=days), now + timedelta(days=days), "live", "晚于开始"),
        (now + timedelta(days=days), now + timedelta(days=days + 5), "forged", "计票"),
    ]
    for opens, closes, visibility, message in cases:
        with pytest.raises(RuleError, match=message):
            services.announce_vote(clerk, version, opens, closes, visibility, now=now)
        db.session.rollback()
    assert version.vote_announced_at is None
    services.announce_vote(
        clerk, version, now + timedelta(days=days), now + timedelta(days=days + 3), "hidden", now
    )
    db.session.commit()
    assert version.state == VersionState.CONSULTATION  # comments go on until it opens
    assert version.tally_visibility == TallyVisibility.HIDDEN
    with pytest.raises(RuleError, match="已经公告"):
        services.announce_vote(
            clerk, version, now + timedelta(days=20), now + timedelta(days=25), "live", now=now
        )


def test_a_draft_cannot_be_put_to_the_vote(village, clerk):
    version = rf.draft(village, clerk)
    now = clock.now()
    with pytest.raises(RuleError, match="征求意见中"):
        services.announce_vote(
            clerk, version, now + timedelta(days=10), now + timedelta(days=12), "live", now=now
        )


def test_the_vote_opens_at_its_time_and_freezes_the_roll(village, clerk):
    now = clock.now()
    voters = [villager(village) for _ in range(3)]
    version = rf.announced(village, clerk, now)
    assert not services.freeze_roll_if_due(version, version.vote_opens_at - timedelta(seconds=1))
    assert version.state == VersionState.CONSULTATION
    assert services.freeze_roll_if_due(version, version.vote_opens_at)
    db.session.commit()
    assert not services.freeze_roll_if_due(version, version.vote_opens_at)
    assert version.state == VersionState.VOTING
    assert version.quorum_mode == village.quorum_mode
    roll = set(db.session.scalars(sa.select(VoteEligibility.resident_id)))
    assert roll == {v.resident_id for v in voters}
    # The clerk has no resident; the three villagers each have their own household.
    assert version.roll_eligible_count == 3
    assert version.roll_household_count == 3
    assert actions("rules.vote_open") == 1


def test_the_roll_is_the_roster_adults_account_or_not(village, clerk):
    """Art. 22 counts villagers, not accounts: a resident without a verified account is on
    the roll (they vote on paper); minors and other villages are not."""
    now = clock.now()
    version = rf.announced(village, clerk, now)
    year = services._local_date(version.vote_opens_at).year
    adult = villager(village, birth_year=year - 19)
    turning_18 = villager(village, birth_year=year - 18)  # perhaps 18 only after the vote
    minor = villager(village, birth_year=year - 10)
    unverified = UserFactory(
        resident=ResidentFactory(household__village=village), status=RegistrationStatus.PENDING
    )
    no_account = ResidentFactory(household__village=village)
    villager(VillageFactory())
    services.freeze_roll_if_due(version, version.vote_opens_at)
    db.session.commit()
    roll = set(db.session.scalars(sa.select(VoteEligibility.resident_id)))
    assert roll == {adult.resident_id, unverified.resident_id, no_account.id}
    assert version.roll_eligible_count == 3
    assert version.roll_year_rule_left_out == 1  # turning_18, known only by the year
    # Every household of the village counts for the households quorum (Art. 22).
    assert version.roll_household_count == 5
    assert {turning_18.resident_id, minor.resident_id}.isdisjoint(roll)


def test_voting_age_edge():
    assert services.is_of_voting_age(2007, 2026)
    assert not services.is_of_voting_age(2008, 2026)
    assert not services.is_of_voting_age(2010, 2026)


# --- casting ballots ----------------------------------------------------------------


def test_a_villager_casts_then_changes_in_place(village, clerk):
    voter = villager(village)
    version = rf.voting(village, clerk)
    outcome = services.cast_ballot(version, voter, "yes", rf.during(version))
    db.session.commit()
    assert not outcome.changed and outcome.ballot.channel == BallotChannel.ONLINE
    outcome = services.cast_ballot(version, voter, "no", rf.during(version) + timedelta(hours=1))
    db.session.commit()
    assert outcome.changed
    [ballot] = db.session.scalars(sa.select(Ballot)).all()
    assert ballot.choice == "no" and ballot.changed_at is not None
    assert services.turnout(version).voted == 1


def test_no_ballot_outside_the_window(village, clerk):
    voter = villager(village)
    version = rf.announced(village, clerk)
    for moment in (version.vote_opens_at - timedelta(minutes=1), version.vote_closes_at):
        with pytest.raises(RuleError, match="表决时间"):
            services.cast_ballot(version, voter, "yes", moment)
        db.session.rollback()
    assert count(Ballot) == 0


def test_no_ballot_from_outsiders_the_unverified_minors_or_latecomers(village, clerk):
    version = rf.announced(village, clerk)
    year = services._local_date(version.vote_opens_at).year
    minor = villager(village, birth_year=year - 17)
    unverified = UserFactory(resident=ResidentFactory(household__village=village))
    outsider = villager(VillageFactory())
    services.freeze_roll_if_due(version, version.vote_opens_at)
    db.session.commit()
    late = villager(village)  # registered after the vote opened
    cases = [(unverified, "已核实"), (outsider, "已核实"), (minor, "名单"), (late, "名单")]
    for user, message in cases:
        with pytest.raises(RuleError, match=message):
            services.cast_ballot(version, user, "yes", rf.during(version))
        db.session.rollback()
    assert count(Ballot) == 0
    # The unverified resident is on the roll (to vote on paper), not online.
    assert services.turnout(version).eligible == 1
    assert version.roll_household_count == 2  # the latecomer's new household is not counted


def test_a_forged_choice_is_refused(village, clerk):
    voter = villager(village)
    version = rf.voting(village, clerk)
    for choice in ("maybe", "", None, "YES"):
        with pytest.raises(RuleError, match="赞成、反对或弃权"):
            services.cast_ballot(version, voter, choice, rf.during(version))
    assert count(Ballot) == 0


def test_a_ballot_for_another_village_version_is_refused(village, clerk):
    version = rf.voting(village, clerk)
    other_villager = villager(VillageFactory())
    with pytest.raises(RuleError, match="已核实"):
        services.cast_ballot(version, other_villager, "yes", rf.during(version))


# --- paper ballots --------------------------------------------------------------------


def test_paper_ballots_are_entered_once_and_never_over_an_online_one(village, clerk):
    online, paper = villager(village), villager(village)
    version = rf.voting(village, clerk)
    services.cast_ballot(version, online, "yes", rf.during(version))
    db.session.commit()
    ballot = services.enter_paper_ballot(clerk, version, paper.resident, "no", rf.after(version))
    db.session.commit()
    assert ballot.channel == BallotChannel.PAPER and ballot.cast_by_id == clerk.id
    assert actions("rules.paper_ballot") == 1
    with pytest.raises(RuleError, match="已经录入过"):
        services.enter_paper_ballot(clerk, version, paper.resident, "yes", rf.after(version))
    db.session.rollback()
    with pytest.raises(RuleError, match="网上投过票"):
        services.enter_paper_ballot(clerk, version, online.resident, "no", rf.after(version))
    db.session.rollback()
    with pytest.raises(RuleError, match="纸质选票"):
        services.cast_ballot(version, paper, "yes", rf.during(version))
    db.session.rollback()
    assert count(Ballot) == 2
    assert actions("rules.paper_ballot") == 1


def test_paper_ballots_only_for_the_roll_and_by_the_committee(village, clerk):
    version = rf.voting(village, clerk)
    voter = villager(village)  # after opening: not on the roll
    outsider = villager(VillageFactory())
    for resident in (voter.resident, outsider.resident):
        with pytest.raises(RuleError, match="不在本次表决的名单上"):
            services.enter_paper_ballot(clerk, version, resident, "yes", rf.during(version))
        db.session.rollback()
    with pytest.raises(RuleError, match="村委会"):
        services.enter_paper_ballot(
            official(Role.SUPERVISOR, village=village), version, voter.resident, "yes"
        )
    with pytest.raises(RuleError, match="赞成、反对或弃权"):
        services.enter_paper_ballot(clerk, version, voter.resident, "forged")
    assert count(Ballot) == 0


def test_find_roll_residents_by_name_or_door_number(village, clerk):
    voter = villager(village)
    version = rf.voting(village, clerk)
    by_name = services.find_roll_residents(version, voter.resident.name)
    by_door = services.find_roll_residents(version, voter.resident.household.door_number)
    assert by_name == [voter.resident] and voter.resident in by_door
    assert services.find_roll_residents(version, "  ") == []


# --- tally visibility -------------------------------------------------------------


def test_turnout_always_tally_only_when_live(village, clerk):
    voter = villager(village)
    hidden = rf.voting(village, clerk, visibility=TallyVisibility.HIDDEN)
    services.cast_ballot(hidden, voter, "yes", rf.during(hidden))
    db.session.commit()
    assert services.turnout(hidden).voted == 1
    assert services.tally(hidden) is None
    services.close_vote(clerk, hidden, rf.after(hidden))
    db.session.commit()
    assert services.tally(hidden).yes == 1


def test_live_tally_counts_by_choice_and_channel(village, clerk):
    voters = [villager(village) for _ in range(3)]
    version = rf.voting(village, clerk)
    services.cast_ballot(version, voters[0], "yes", rf.during(version))
    services.cast_ballot(version, voters[1], "abstain", rf.during(version))
    services.enter_paper_ballot(clerk, version, voters[2].resident, "no", rf.during(version))
    db.session.commit()
    tally = services.tally(version)
    assert (tally.yes, tally.no, tally.abstain, tally.online, tally.paper) == (1, 1, 1, 2, 1)


# --- closing ------------------------------------------------------------------------


def test_closing_before_the_window_ends_is_refused(village, clerk):
    version = rf.voting(village, clerk)
    with pytest.raises(RuleError, match="还没有结束"):
        services.close_vote(clerk, version, version.vote_closes_at - timedelta(seconds=1))
    db.session.rollback()
    with pytest.raises(RuleError, match="村委会"):
        services.close_vote(villager(village), version, rf.after(version))
    db.session.rollback()
    assert version.state == VersionState.VOTING and version.result is None


def test_closing_a_version_that_is_not_voting_is_refused(village, clerk):
    version = rf.in_consultation(village, clerk)
    with pytest.raises(RuleError, match="没有正在进行的表决"):
        services.close_vote(clerk, version, clock.now() + timedelta(days=30))


def test_adoption_supersedes_the_previous_version_and_close_is_once(village, clerk):
    voters = [villager(village) for _ in range(3)]
    first = rf.voting(village, clerk)
    for voter in voters:
        services.cast_ballot(first, voter, "yes", rf.during(first))
    services.close_vote(clerk, first, rf.after(first))
    db.session.commit()
    assert first.state == VersionState.ADOPTED and first.result.passed

    now = rf.after(first)
    second = services.new_draft(clerk, first.document, now=now)
    db.session.commit()
    assert second.number == 2 and second.based_on_id == first.id
    copied = rf_articles(second)
    assert [a.body for a in copied] == list(rf.ARTICLES)
    assert [a.copied_from_id for a in copied] == [a.id for a in rf_articles(first)]
    with pytest.raises(RuleError, match="已有一个"):
        services.new_draft(clerk, first.document, now=now)
    db.session.rollback()
    services.edit_article(clerk, copied[0], "修改后的条文", now=now)
    services.open_consultation(clerk, second, now=now)
    services.announce_vote(
        clerk, second, now + timedelta(days=10), now + timedelta(days=12), "live", now=now
    )
    db.session.commit()
    opened = now + timedelta(days=11)
    services.cast_ballot(second, voters[0], "yes", opened)
    services.cast_ballot(second, voters[1], "yes", opened)
    db.session.commit()
    result = services.close_vote(clerk, second, now + timedelta(days=13))
    db.session.commit()
    assert result.passed and second.state == VersionState.ADOPTED
    db.session.refresh(first)
    assert first.state == VersionState.SUPERSEDED and first.superseded_at is not None
    assert [a.body for a in rf_articles(first)] == list(rf.ARTICLES)  # the old text is kept
    with pytest.raises(RuleError, match="已经结束"):
        services.close_vote(clerk, second, now + timedelta(days=14))
    assert actions("rules.vote_close") == 2


def test_a_rejected_vote_leaves_the_rules_in_force(village, clerk):
    voters = [villager(village) for _ in range(3)]
    version = rf.voting(village, clerk)
    services.cast_ballot(version, voters[0], "no", rf.during(version))
    services.cast_ballot(version, voters[1], "no", rf.during(version))
    db.session.commit()
    result = services.close_vote(clerk, version, rf.after(version))
    db.session.commit()
    assert result.quorum_met and not result.passed
    assert version.state == VersionState.REJECTED


def test_the_result_is_frozen(village, clerk):
    voters = [villager(village) for _ in range(2)]
    version = rf.voting(village, clerk)
    services.cast_ballot(version, voters[0], "yes", rf.during(version))
    services.cast_ballot(version, voters[1], "yes", rf.during(version))
    db.session.commit()
    result = services.close_vote(clerk, version, rf.after(version))
    db.session.commit()
    frozen = services.assembly_decision_summary(result)
    # Later: new villagers register, a household moves away from the roll, a voter's
    # account is refused; none of it changes the decision.
    villager(village)
    voters[0].status = RegistrationStatus.REFUSED
    voters[1].resident.household.village = VillageFactory()
    db.session.commit()
    with pytest.raises(RuleError, match="表决时间"):
        services.cast_ballot(version, voters[1], "no", rf.after(version))
    db.session.rollback()
    db.session.expire_all()
    assert services.assembly_decision_summary(version.result) == frozen
    assert services.turnout(version).voted == 2 and services.tally(version).yes == 2
    assert frozen["eligible"] == 2 and frozen["passed"] and frozen["turnout"] == 2


def test_a_vote_nobody_opened_is_opened_at_close(village, clerk):
    villager(village)
    version = rf.announced(village, clerk)
    result = services.close_vote(clerk, version, rf.after(version))
    db.session.commit()
    assert result.eligible_count == 1 and result.turnout == 0
    assert not result.quorum_met and version.state == VersionState.REJECTED


# --- filing 备案 --------------------------------------------------------------------


def adopted(village, clerk) -> RuleVersion:
    voter = villager(village)
    version = rf.voting(village, clerk)
    services.cast_ballot(version, voter, "yes", rf.during(version))
    services.close_vote(clerk, version, rf.after(version))
    db.session.commit()
    return version


def test_filing_is_filed_by_an_official_of_the_village_town(village, clerk):
    version = adopted(village, clerk)
    filing = services.submit_filing(clerk, version)
    db.session.commit()
    assert filing.state == "pending" and filing.town_id == village.town_id
    with pytest.raises(RuleError, match="已经报送"):
        services.submit_filing(clerk, version)
    db.session.rollback()
    other_town = official(Role.TOWN_OFFICIAL, village=VillageFactory())
    for user in (clerk, other_town):
        with pytest.raises(RuleError, match="镇街"):
            services.file_rule(user, filing)
        db.session.rollback()
    town = official(Role.TOWN_OFFICIAL, village=village)
    services.file_rule(town, filing)
    db.session.commit()
    assert filing.state == "filed" and filing.decided_by_id == town.id
    with pytest.raises(RuleError, match="办理过"):
        services.return_for_correction(town, filing, "迟来的退回")
    assert actions("rules.filing_submit") == 1 and actions("rules.filing_filed") == 1


def test_a_filing_returned_for_correction_needs_a_reason(village, clerk):
    version = adopted(village, clerk)
    filing = services.submit_filing(clerk, version)
    db.session.commit()
    town = official(Role.TOWN_OFFICIAL, village=village)
    with pytest.raises(RuleError, match="理由"):
        services.return_for_correction(town, filing, "  ")
    db.session.rollback()
    services.return_for_correction(town, filing, "第五条设有罚款，村规民约不得设定罚款。")
    db.session.commit()
    assert filing.state == "returned" and "罚款" in filing.reason
    with pytest.raises(RuleError, match="退回修改"):
        services.submit_filing(clerk, version)
    assert actions("rules.filing_returned") == 1


def test_only_adopted_versions_are_filed_by_their_committee(village, clerk):
    version = rf.in_consultation(village, clerk)
    with pytest.raises(RuleError, match="现行有效"):
        services.submit_filing(clerk, version)
    db.session.rollback()
    other = rf.committee(VillageFactory())
    with pytest.raises(RuleError, match="村委会"):
        services.submit_filing(other, adopted(village, clerk))


def test_a_refused_action_writes_nothing(village, clerk):
    version = rf.in_consultation(village, clerk)
    before = count(ActionLog)
    with pytest.raises(RuleError):
        services.add_article(clerk, version, "不该加上")
    db.session.rollback()
    assert count(ActionLog) == before and count(RuleArticle) == len(rf.ARTICLES)


def test_closing_a_vote_posts_the_assembly_decision_notice(village, clerk):
    from portal.notices.models import Notice, NoticeCategory, NoticeState

    voters = [villager(village) for _ in range(3)]
    version = rf.voting(village, clerk)
    services.cast_ballot(version, voters[0], "yes", rf.during(version))
    services.cast_ballot(version, voters[1], "yes", rf.during(version))
    services.cast_ballot(version, voters[2], "abstain", rf.during(version))
    db.session.commit()
    services.close_vote(clerk, version, rf.after(version))
    db.session.commit()
    notice = db.session.scalars(sa.select(Notice).where(Notice.village_id == village.id)).one()
    assert notice.category == NoticeCategory.DECISION and notice.state == NoticeState.PUBLISHED
    assert "通过" in notice.title and version.document.title in notice.title
    assert "赞成 2 票，反对 0 票，弃权 1 票" in notice.body
    assert "参加表决 3 人" in notice.body


def test_a_refused_close_posts_no_notice(village, clerk):
    from portal.notices.models import Notice

    version = rf.voting(village, clerk)
    with pytest.raises(RuleError):
        services.close_vote(clerk, version, version.vote_closes_at - timedelta(seconds=1))
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notice)) == 0
