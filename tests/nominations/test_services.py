"""The nomination rules with the clock controlled: each transition, each refusal, the
limits, and the one-per-person endorsement."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from portal.actions import unit_of_work
from portal.audit.models import ActionLog
from portal.extensions import db
from portal.nominations import services
from portal.nominations.models import Endorsement, Nomination, NominationState
from portal.nominations.services import Shown
from portal.publicity import services as publicity
from portal.settings import registry as settings
from tests.factories import HouseholdFactory, ResidentFactory, VillageFactory, count, villager
from tests.nominations.conftest import START, category, nominate

DAY = timedelta(days=1)


def refused(action, words: str, status: int | None = None):
    with pytest.raises(services.NominationError) as caught, unit_of_work():
        action()
    db.session.rollback()
    assert words in caught.value.message, caught.value.message
    if status is not None:
        assert caught.value.status == status
    return caught.value


def endorse_all(nomination, users):
    for user in users:
        with unit_of_work():
            services.endorse(user, nomination)


def in_notice(nomination, endorsers, committee):
    endorse_all(nomination, endorsers[:3])
    with unit_of_work():
        services.accept(committee, nomination)
    return nomination


@pytest.fixture
def nomination(village, nominator, nominee, now):
    return nominate(nominator, village, nominee)


def test_the_five_official_categories_are_seeded_once(village):
    names = [c.name for c in services.categories(village)]
    assert names == ["助人为乐", "见义勇为", "诚实守信", "敬业奉献", "孝老爱亲"]
    with unit_of_work():
        assert services.seed_categories(village) == 0


def test_a_nomination_is_submitted_and_collects(nomination, nominee):
    assert nomination.state == NominationState.SUBMITTED
    assert nomination.nominee_household_id == nominee.household_id
    assert services.shown_state(nomination) == Shown.COLLECTING
    assert services.nominee_name(nomination) == "欧阳**"
    assert count(ActionLog, ActionLog.action == "nomination.submit") == 1


def test_own_household_may_be_nominated(village, nominator, now):
    made = nominate(nominator, village, None, own_household=True)
    assert made.nominee_household_id == nominator.resident.household_id
    assert made.nominee_resident_id is None


def test_not_oneself(village, nominator, now):
    refused(lambda: nominate(nominator, village, nominator.resident), "不能推荐自己", 422)


def test_only_a_resident_of_the_village_on_the_roster(village, nominator, now):
    elsewhere = ResidentFactory(household=HouseholdFactory(village=VillageFactory()))
    refused(lambda: nominate(nominator, village, elsewhere), "花名册中搜索", 422)
    gone = ResidentFactory(household=HouseholdFactory(village=village), name="周老伯")
    gone.left_on = date(2026, 1, 1)
    db.session.commit()
    refused(lambda: nominate(nominator, village, gone), "已不在本村花名册上", 422)
    assert count(Nomination) == 0


def test_only_verified_villagers_nominate(village, nominee, now):
    outsider = villager(VillageFactory())
    refused(lambda: nominate(outsider, village, nominee), "本村已核实的村民", 403)


def test_the_deed_must_be_recent_and_past(village, nominator, nominee, now):
    refused(lambda: nominate(nominator, village, nominee, deed_on=date(2023, 12, 1)), "3 年以内")
    nominate(nominator, village, nominee, deed_on=date(2023, 12, 2))
    refused(lambda: nominate(nominator, village, nominee, deed_on=date(2026, 12, 3)), "今天以后")
    refused(lambda: nominate(nominator, village, nominee, deed_on=None), "发生的日期")


def test_the_deed_limit_follows_the_setting(village, committee, nominator, nominee, now):
    settings.change_settings(committee, village, {"nominations.deed_years": "1"})
    refused(lambda: nominate(nominator, village, nominee, deed_on=date(2025, 11, 1)), "1 年以内")


def test_at_most_n_open_nominations(village, nominator, nominee, now):
    for _ in range(3):
        nominate(nominator, village, nominee)
    before = count(Nomination), count(ActionLog)
    refused(lambda: nominate(nominator, village, nominee), "最多有 3 条", 409)
    assert (count(Nomination), count(ActionLog)) == before


def test_story_is_required_and_bounded(village, nominator, nominee, now):
    refused(lambda: nominate(nominator, village, nominee, story="  "), "请写下事迹", 422)
    refused(lambda: nominate(nominator, village, nominee, story="好" * 2001), "最多 2000", 422)


# --- endorsing ------------------------------------------------------------------------


def test_endorsements_count_and_open_review(nomination, endorsers):
    endorse_all(nomination, endorsers[:2])
    assert nomination.endorsement_count == 2
    assert services.shown_state(nomination) == Shown.COLLECTING
    endorse_all(nomination, endorsers[2:3])
    assert services.shown_state(nomination) == Shown.REVIEW
    rows = count(Endorsement, Endorsement.nomination_id == nomination.id)
    assert rows == nomination.endorsement_count == 3


def test_endorse_once_and_never_ones_own(nomination, endorsers, nominator):
    endorse_all(nomination, endorsers[:1])
    refused(lambda: services.endorse(endorsers[0], nomination), "只能联名一次", 409)
    refused(lambda: services.endorse(nominator, nomination), "自己的推荐", 409)
    assert nomination.endorsement_count == 1


def test_the_database_holds_one_endorsement_per_person(nomination, endorsers):
    resident = endorsers[0].resident_id
    db.session.add_all(
        [
            Endorsement(
                nomination_id=nomination.id,
                village_id=nomination.village_id,
                resident_id=resident,
                user_id=endorsers[0].id,
            )
            for _ in range(2)
        ]
    )
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_paper_endorsement_after_online_is_refused(nomination, endorsers, committee, village):
    endorse_all(nomination, endorsers[:1])
    refused(
        lambda: services.endorse_on_paper(committee, nomination, endorsers[0].resident_id),
        "已在网上联名过",
    )
    paper = ResidentFactory(household=HouseholdFactory(village=village), name="孙大娘")
    with unit_of_work():
        services.endorse_on_paper(committee, nomination, paper.id)
    refused(lambda: services.endorse_on_paper(committee, nomination, paper.id), "已经录入过")
    assert nomination.endorsement_count == 2


def test_paper_endorsements_need_the_committee(nomination, supervisor, village):
    paper = ResidentFactory(household=HouseholdFactory(village=village))
    refused(lambda: services.endorse_on_paper(supervisor, nomination, paper.id), "村委会", 403)


def test_a_paper_nomination_records_whose_it_is(village, committee, nominee, now):
    paper = ResidentFactory(household=HouseholdFactory(village=village), name="孙大娘")
    with unit_of_work():
        made = services.nominate_on_paper(
            committee,
            village,
            nominator_resident_id=paper.id,
            category_id=category(village, "孝老爱亲").id,
            nominee_resident_id=nominee.id,
            story="照顾婆婆二十年。",
            deed_on=date(2026, 10, 1),
        )
    assert made.nominator_resident_id == paper.id and made.entered_by_id == committee.id
    assert made.on_paper


# --- review and 公示 -------------------------------------------------------------------


def test_accept_needs_the_minimum(nomination, endorsers, committee):
    endorse_all(nomination, endorsers[:2])
    refused(lambda: services.accept(committee, nomination), "还差 1 位", 409)


def test_accept_opens_the_notice(nomination, endorsers, committee):
    in_notice(nomination, endorsers, committee)
    period = publicity.period_for(services.SUBJECT, nomination.id)
    assert period.ends_at - period.starts_at == timedelta(days=7)
    assert services.shown_state(nomination, period) == Shown.NOTICE
    refused(lambda: services.endorse(endorsers[3], nomination), "不再征集")


def test_reviewing_needs_the_committee(nomination, endorsers, supervisor, nominator):
    endorse_all(nomination, endorsers[:3])
    refused(lambda: services.accept(supervisor, nomination), "村委会", 403)
    refused(lambda: services.accept(nominator, nomination), "村委会", 403)


def test_reject_at_review_with_a_reason(nomination, committee):
    refused(lambda: services.reject(committee, nomination, " "), "不予评选的理由", 422)
    with unit_of_work():
        services.reject(committee, nomination, "事迹与类别不符。")
    assert services.shown_state(nomination) == Shown.REJECTED
    assert nomination.decision_reason == "事迹与类别不符。"


def test_commend_waits_for_the_notice_and_every_answer(nomination, endorsers, committee, at):
    in_notice(nomination, endorsers, committee)
    period = publicity.period_for(services.SUBJECT, nomination.id)
    with unit_of_work():
        objection = publicity.object_online(endorsers[3], period, "那天他不在村里。")
    refused(lambda: services.commend(committee, nomination), "还没有结束")
    at(START + 8 * DAY)
    assert services.shown_state(nomination, period) == Shown.NOTICE_ENDED
    refused(lambda: services.commend(committee, nomination), "没有答复")
    with unit_of_work():
        publicity.answer(committee, objection, "经核实，当晚他在村里。")
    with unit_of_work():
        services.commend(committee, nomination)
    assert nomination.state == NominationState.COMMENDED
    assert nomination.commended_at == START + 8 * DAY


def test_objecting_outside_the_notice_is_refused(nomination, endorsers, committee, at):
    in_notice(nomination, endorsers, committee)
    period = publicity.period_for(services.SUBJECT, nomination.id)
    at(START + 8 * DAY)
    with pytest.raises(publicity.PublicityError), unit_of_work():
        publicity.object_online(endorsers[3], period, "迟到的异议")
    db.session.rollback()


def test_not_again_in_the_same_category_within_a_year(
    nomination, endorsers, committee, nominator, nominee, village, at
):
    in_notice(nomination, endorsers, committee)
    at(START + 8 * DAY)
    with unit_of_work():
        services.commend(committee, nomination)
    refused(lambda: nominate(endorsers[0], village, nominee), "一年内同一类别不再推荐")
    nominate(endorsers[0], village, nominee, name="见义勇为")
    at(START + 8 * DAY + timedelta(days=366))
    nominate(endorsers[0], village, nominee, deed_on=date(2027, 12, 1))


def test_withdraw_by_the_nominator_only(nomination, nominator, endorsers):
    refused(lambda: services.withdraw(endorsers[0], nomination), "推荐人本人")
    with unit_of_work():
        services.withdraw(nominator, nomination)
    assert nomination.state == NominationState.WITHDRAWN


def test_forward_and_the_town_decides(nomination, endorsers, committee, village, at):
    from portal.auth.models import Role
    from tests.factories import TownFactory, official

    refused(lambda: services.forward(committee, nomination), "评为好人")
    in_notice(nomination, endorsers, committee)
    at(START + 8 * DAY)
    with unit_of_work():
        services.commend(committee, nomination)
    with unit_of_work():
        services.forward(committee, nomination)
    refused(lambda: services.forward(committee, nomination), "已经报送")
    town = official(Role.TOWN_OFFICIAL, village)
    stranger = official(Role.TOWN_OFFICIAL, town=TownFactory())
    refused(lambda: services.town_decide(stranger, nomination, True, None), "本镇街", 403)
    refused(lambda: services.town_decide(town, nomination, False, ""), "写一句说明", 422)
    with unit_of_work():
        services.town_decide(town, nomination, True, "入选镇“最美邻里”。")
    assert nomination.town_decision.value == "selected"
    refused(lambda: services.town_decide(town, nomination, True, None), "已经办理过")
