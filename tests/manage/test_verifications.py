"""The verification queue: match a registration to a roster resident, or refuse it."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal import clock
from portal.audit.models import ActionLog
from portal.auth.models import RegistrationStatus, Role, RoleGrant, User
from portal.extensions import db
from tests.conftest import htmx_headers
from tests.factories import HouseholdFactory, ResidentFactory, UserFactory
from tests.manage.conftest import as_user, log_actions


@pytest.fixture
def applicant(village):
    return UserFactory(
        village=village,
        name="王芳",
        claimed_door_number="8号",
        claimed_birth_year=1980,
        status=RegistrationStatus.PENDING,
    )


@pytest.fixture
def resident(village):
    return ResidentFactory(
        household=HouseholdFactory(village=village, door_number="8号"), name="王芳", birth_year=1980
    )


def fresh(user: User) -> User:
    db.session.rollback()
    return db.session.get(User, user.id)


def grants_of(user: User) -> list[RoleGrant]:
    return list(db.session.scalars(sa.select(RoleGrant).where(RoleGrant.user_id == user.id)))


def match_url(user) -> str:
    return f"/v/hubin/manage/verifications/{user.id}/match"


def refuse_url(user) -> str:
    return f"/v/hubin/manage/verifications/{user.id}/refuse"


def test_queue_lists_pending_registrations_oldest_first_with_claims_and_candidates(
    client, village, committee, applicant, resident
):
    later = UserFactory(village=village, name="李强", status=RegistrationStatus.PENDING)
    later.created_at = applicant.created_at + timedelta(hours=1)
    UserFactory(village=village, name="已核实的人", status=RegistrationStatus.VERIFIED)
    db.session.commit()
    as_user(client, committee)
    page = client.get("/v/hubin/manage/verifications").text
    assert page.index("王芳") < page.index("李强")
    assert "已核实的人" not in page
    assert "8号" in page and "1980" in page
    assert f'name="resident_id" value="{resident.id}"' in page and 'type="radio"' in page
    assert "✓ 姓名相同" in page and "✓ 门牌号相同" in page and "✓ 出生年份相同" in page
    assert "待核实 2 份" in page


def test_candidates_exclude_residents_with_accounts_and_other_villages(
    client, village, other_village, committee, applicant, resident
):
    taken = ResidentFactory(household=resident.household, name="王芳", birth_year=1955)
    UserFactory(resident=taken, status=RegistrationStatus.VERIFIED)
    ResidentFactory(
        household=HouseholdFactory(village=other_village, door_number="8号"), name="王芳"
    )
    as_user(client, committee)
    page = client.get("/v/hubin/manage/verifications").text
    assert page.count('name="resident_id"') == 1
    assert f'name="resident_id" value="{resident.id}"' in page


def test_registrations_of_other_villages_are_not_in_the_queue(client, other_village, committee):
    UserFactory(village=other_village, name="外村人", status=RegistrationStatus.PENDING)
    as_user(client, committee)
    page = client.get("/v/hubin/manage/verifications").text
    assert "外村人" not in page and "现在没有待核实的注册申请" in page


def test_match_plain_post_verifies_links_and_grants_villager(
    client, village, committee, applicant, resident
):
    as_user(client, committee)
    response = client.post(match_url(applicant), data={"resident_id": resident.id})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/v/hubin/manage/verifications")
    user = fresh(applicant)
    assert user.status == RegistrationStatus.VERIFIED
    assert user.resident_id == resident.id
    grants = grants_of(user)
    assert [(g.role, g.village_id, g.granted_by_id) for g in grants] == [
        (Role.VILLAGER, village.id, committee.id)
    ]
    log = db.session.scalars(sa.select(ActionLog)).one()
    assert (log.action, log.actor_id, log.role, log.village_id, log.object_id) == (
        "registration.match",
        committee.id,
        "committee",
        village.id,
        applicant.id,
    )
    assert log.summary["after"] == {"status": "verified", "resident_id": resident.id}
    follow = client.get(response.headers["Location"]).text
    assert "已核实王芳" in follow


def test_match_with_htmx_replaces_the_row_and_fires_queue_changed(
    client, committee, applicant, resident
):
    as_user(client, committee)
    response = client.post(
        match_url(applicant),
        data={"resident_id": resident.id},
        headers=htmx_headers(f"registration-{applicant.id}"),
        csrf="header",
    )
    assert response.status_code == 200
    assert "<html" not in response.text
    assert f'id="registration-{applicant.id}"' in response.text
    assert "已核实" in response.text
    assert "queue-changed" in json.loads(response.headers["HX-Trigger"])
    assert fresh(applicant).status == RegistrationStatus.VERIFIED


def test_pending_counter_refreshes_on_its_own(client, committee, applicant):
    as_user(client, committee)
    response = client.get("/v/hubin/manage/verifications", headers=htmx_headers("pending-count"))
    assert response.status_code == 200
    assert response.text.strip().startswith('<span id="pending-count"')
    assert "待核实 1 份" in response.text and "<html" not in response.text
    assert "HX-Request" in response.headers["Vary"]


def test_matching_a_resident_linked_to_another_account_is_refused(
    client, committee, applicant, resident
):
    UserFactory(resident=resident, status=RegistrationStatus.VERIFIED)
    as_user(client, committee)
    response = client.post(match_url(applicant), data={"resident_id": resident.id})
    assert response.status_code == 409
    assert "已经关联了另一个账号" in response.text
    assert fresh(applicant).status == RegistrationStatus.PENDING
    assert fresh(applicant).resident_id is None
    assert log_actions() == []


def test_matching_a_linked_resident_with_htmx_shows_the_message_in_the_row(
    client, committee, applicant, resident
):
    UserFactory(resident=resident, status=RegistrationStatus.VERIFIED)
    as_user(client, committee)
    response = client.post(
        match_url(applicant),
        data={"resident_id": resident.id},
        headers=htmx_headers(f"registration-{applicant.id}"),
    )
    assert response.status_code == 409
    assert "<html" not in response.text and "已经关联了另一个账号" in response.text
    assert "HX-Trigger" not in response.headers


def test_matching_a_resident_of_another_village_is_refused(
    client, other_village, committee, applicant
):
    stranger = ResidentFactory(household=HouseholdFactory(village=other_village))
    as_user(client, committee)
    response = client.post(match_url(applicant), data={"resident_id": stranger.id})
    assert response.status_code == 422
    assert "花名册里没有这位村民" in response.text
    assert fresh(applicant).resident_id is None
    assert log_actions() == []


def test_match_without_a_resident_is_refused(client, committee, applicant):
    as_user(client, committee)
    for data in ({}, {"resident_id": "abc"}):
        response = client.post(match_url(applicant), data=data)
        assert response.status_code == 422
        assert "请选择花名册上的一个人" in response.text
    assert fresh(applicant).status == RegistrationStatus.PENDING


def test_an_already_processed_registration_cannot_be_matched_again(
    client, committee, applicant, resident
):
    as_user(client, committee)
    assert client.post(match_url(applicant), data={"resident_id": resident.id}).status_code == 303
    other = ResidentFactory(household=resident.household, name="王芳", birth_year=1990)
    response = client.post(match_url(applicant), data={"resident_id": other.id})
    assert response.status_code == 409
    assert "已经处理过了" in response.text
    assert fresh(applicant).resident_id == resident.id
    assert log_actions() == ["registration.match"]


def test_registration_of_another_village_is_404(client, other_village, committee, resident):
    stranger = UserFactory(village=other_village, status=RegistrationStatus.PENDING)
    as_user(client, committee)
    assert client.post(match_url(stranger), data={"resident_id": resident.id}).status_code == 404
    assert (
        client.post(refuse_url(stranger), data={f"refuse-{stranger.id}-reason": "x"}).status_code
        == 404
    )
    assert fresh(stranger).status == RegistrationStatus.PENDING


def test_refuse_plain_post_records_the_reason(client, village, committee, applicant):
    as_user(client, committee)
    response = client.post(
        refuse_url(applicant), data={f"refuse-{applicant.id}-reason": "  花名册上没有此人  "}
    )
    assert response.status_code == 303
    user = fresh(applicant)
    assert user.status == RegistrationStatus.REFUSED
    assert user.refusal_reason == "花名册上没有此人"
    assert grants_of(user) == []
    log = db.session.scalars(sa.select(ActionLog)).one()
    assert log.action == "registration.refuse"
    assert log.summary["after"] == {"status": "refused", "reason": "花名册上没有此人"}


def test_refuse_with_htmx_replaces_the_row(client, committee, applicant):
    as_user(client, committee)
    response = client.post(
        refuse_url(applicant),
        data={f"refuse-{applicant.id}-reason": "不是本村村民"},
        headers=htmx_headers(f"registration-{applicant.id}"),
        csrf="header",
    )
    assert response.status_code == 200
    assert "<html" not in response.text and "已退回王芳的注册申请" in response.text
    assert "queue-changed" in response.headers["HX-Trigger"]
    assert fresh(applicant).status == RegistrationStatus.REFUSED


@pytest.mark.parametrize("reason", ["", "   "])
def test_refuse_without_a_reason_is_422(client, committee, applicant, reason):
    as_user(client, committee)
    response = client.post(refuse_url(applicant), data={f"refuse-{applicant.id}-reason": reason})
    assert response.status_code == 422
    assert "请写明不通过的理由" in response.text
    assert '<details class="refuse" open>' in response.text
    assert fresh(applicant).status == RegistrationStatus.PENDING
    assert log_actions() == []


def test_refuse_without_a_reason_with_htmx_is_422_in_the_row(client, committee, applicant):
    as_user(client, committee)
    response = client.post(
        refuse_url(applicant),
        data={f"refuse-{applicant.id}-reason": ""},
        headers=htmx_headers(f"registration-{applicant.id}"),
    )
    assert response.status_code == 422
    assert "<html" not in response.text and "请写明不通过的理由" in response.text
    assert fresh(applicant).status == RegistrationStatus.PENDING


def test_refuse_with_an_over_long_reason_is_422(client, committee, applicant):
    as_user(client, committee)
    response = client.post(
        refuse_url(applicant), data={f"refuse-{applicant.id}-reason": "长" * 201}
    )
    assert response.status_code == 422
    assert "理由最多 200 个字" in response.text
    assert fresh(applicant).status == RegistrationStatus.PENDING


def test_matched_registration_holds_the_villager_role_there(
    client, village, committee, applicant, resident
):
    from flask import g

    from portal.auth.access import roles_in_village

    as_user(client, committee)
    client.post(match_url(applicant), data={"resident_id": resident.id})
    g.pop("_roles_cache", None)
    assert roles_in_village(fresh(applicant), village) == {Role.VILLAGER}


def test_queue_is_paginated(client, village, committee):
    start = clock.now()
    for i in range(23):
        user = UserFactory(
            village=village, name=f"申请人{i:02d}", status=RegistrationStatus.PENDING
        )
        user.created_at = start + timedelta(minutes=i)
    db.session.commit()
    as_user(client, committee)
    first = client.get("/v/hubin/manage/verifications").text
    assert "申请人00" in first and "申请人19" in first and "申请人20" not in first
    second = client.get("/v/hubin/manage/verifications?page=2").text
    assert "申请人20" in second and "申请人22" in second and "申请人00" not in second
    assert client.get("/v/hubin/manage/verifications?page=99999999999999999999").status_code == 200


def test_refuse_without_csrf_token_is_refused(client, committee, applicant):
    as_user(client, committee)
    response = client.post(
        refuse_url(applicant), data={f"refuse-{applicant.id}-reason": "不是本村的"}, csrf=False
    )
    assert response.status_code == 400
    assert fresh(applicant).status == RegistrationStatus.PENDING


def candidate_blocks(page: str) -> dict[int, str]:
    """Each candidate's part of the page, by resident id."""
    blocks = {}
    for part in page.split('<div class="candidate')[1:]:
        resident_id = int(part.split('name="resident_id" value="')[1].split('"')[0])
        blocks[resident_id] = part.split("</label>")[0]
    return blocks


def test_each_candidate_shows_what_matched_with_one_choice_and_one_confirmation(
    client, village, committee, applicant, resident
):
    same_name = ResidentFactory(
        household=HouseholdFactory(village=village, door_number="3号"), name="王芳", birth_year=1975
    )
    same_door = ResidentFactory(household=resident.household, name="李强", birth_year=1950)
    as_user(client, committee)
    page = client.get("/v/hubin/manage/verifications").text
    assert page.count(f'action="{match_url(applicant)}"') == 1  # one form for the applicant
    assert page.count("确认：选中的人就是王芳") == 1
    assert "就是此人" not in page and " checked" not in page  # nobody chosen in advance
    blocks = candidate_blocks(page)
    assert list(blocks) == [resident.id, same_name.id, same_door.id]  # best match first
    assert all('type="radio"' in block for block in blocks.values())
    exact = blocks[resident.id]
    assert "✓ 姓名相同" in exact and "✓ 门牌号相同" in exact and "✓ 出生年份相同" in exact
    by_name = blocks[same_name.id]
    assert "✓ 姓名相同" in by_name and "✗ 门牌号不同" in by_name and "✗ 出生年份不同" in by_name
    by_door = blocks[same_door.id]
    assert "✗ 姓名不同" in by_door and "✓ 门牌号相同" in by_door and "✗ 出生年份不同" in by_door
    assert "姓名对不上" in by_door and "姓名对不上" not in exact


def test_what_the_applicant_left_out_is_said_so(client, village, committee):
    applicant = UserFactory(village=village, name="赵敏", status=RegistrationStatus.PENDING)
    ResidentFactory(household=HouseholdFactory(village=village), name="赵敏", birth_year=1990)
    as_user(client, committee)
    page = client.get("/v/hubin/manage/verifications").text
    assert applicant.claimed_door_number is None
    assert "申请人没填门牌号" in page and "✗ 门牌号不同" not in page


def test_choosing_someone_who_matches_neither_name_nor_door_is_refused(
    client, village, committee, applicant, resident
):
    stranger = ResidentFactory(
        household=HouseholdFactory(village=village, door_number="20号"), name="周杰"
    )
    as_user(client, committee)
    response = client.post(match_url(applicant), data={"resident_id": stranger.id})
    assert response.status_code == 422
    assert "姓名、门牌号都对不上" in response.text
    htmx = client.post(
        match_url(applicant),
        data={"resident_id": stranger.id},
        headers=htmx_headers(f"registration-{applicant.id}"),
    )
    assert htmx.status_code == 422 and "<html" not in htmx.text
    assert "姓名、门牌号都对不上" in htmx.text and 'type="radio"' in htmx.text
    assert fresh(applicant).status == RegistrationStatus.PENDING
    assert fresh(applicant).resident_id is None
    assert log_actions() == []


def test_confirming_without_a_choice_keeps_the_card_with_its_candidates(
    client, committee, applicant, resident
):
    as_user(client, committee)
    response = client.post(
        match_url(applicant), data={}, headers=htmx_headers(f"registration-{applicant.id}")
    )
    assert response.status_code == 422 and "<html" not in response.text
    assert "请选择花名册上的一个人" in response.text
    assert f'name="resident_id" value="{resident.id}"' in response.text
    assert fresh(applicant).status == RegistrationStatus.PENDING


def test_the_supervisor_sees_the_candidates_but_no_choice(client, supervisor, applicant, resident):
    as_user(client, supervisor)
    page = client.get("/v/hubin/manage/verifications").text
    assert "✓ 姓名相同" in page and 'type="radio"' not in page and "确认：" not in page
