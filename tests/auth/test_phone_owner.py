"""Someone else's number: its owner is told to ask the committee, the committee frees a
number an unverified registration holds, and no unverified account takes office."""

from __future__ import annotations

import sqlalchemy as sa

from portal.audit.models import ActionLog
from portal.auth.models import LoginSession, RegistrationStatus, Role, RoleGrant, User
from portal.extensions import db
from tests.auth.conftest import registration, user_by_phone
from tests.conftest import login_as
from tests.factories import UserFactory, count, official, villager

TAKEN = "13912345678"


def test_the_already_registered_message_says_whom_to_ask(client, hubin):
    UserFactory(phone=TAKEN, village=hubin)
    for response in (
        client.post("/register/check-phone", data={"phone": TAKEN}),
        client.post(
            "/register",
            data=registration(village="hubin", door_number="1号", birth_year="1960"),
        ),
    ):
        assert response.status_code == 422
        assert (
            "已经注册过了" in response.text
            and "如果不是您本人注册的，请联系村委会" in response.text
        )


def test_the_committee_frees_a_number_an_unverified_registration_holds(app, client, hubin):
    squatter = UserFactory(phone=TAKEN, village=hubin, name="冒名者", claimed_door_number="9号")
    squatters_phone = app.test_client()
    login_as(squatters_phone, squatter)
    committee = official(Role.COMMITTEE, village=hubin)
    login_as(client, committee)

    queue = client.get("/v/hubin/manage/verifications").text
    assert 'href="/v/hubin/manage/phone"' in queue
    found = client.get(f"/v/hubin/manage/phone?phone={TAKEN}")
    assert found.status_code == 200 and "冒名者" in found.text and "9号" in found.text

    unchecked = client.post(
        "/v/hubin/manage/phone/free", data={"user_id": squatter.id, "phone": TAKEN}
    )
    assert unchecked.status_code == 422 and "请先确认机主本人的说法" in unchecked.text
    assert user_by_phone(TAKEN) is not None

    response = client.post(
        "/v/hubin/manage/phone/free", data={"user_id": squatter.id, "phone": TAKEN, "checked": "y"}
    )
    assert response.status_code == 303
    assert user_by_phone(TAKEN) is None  # the number is free
    kept = db.session.get(User, squatter.id)  # and the record kept
    assert kept.disabled and kept.status == RegistrationStatus.REFUSED and kept.name == "冒名者"
    assert squatters_phone.get("/account").status_code == 302
    assert (
        count(LoginSession, LoginSession.revoked_at.is_(None), LoginSession.user_id == kept.id) == 0
    )
    log = db.session.scalar(sa.select(ActionLog).where(ActionLog.action == "account.free_phone"))
    assert log.actor_id == committee.id and log.summary["before"]["phone"] == "139****5678"
    assert TAKEN not in str(log.summary)

    # The owner registers with it now.
    client.post("/logout")
    owner = client.post(
        "/register",
        data=registration(name="真机主", village="hubin", door_number="2号", birth_year="1970"),
    )
    assert owner.status_code == 303 and user_by_phone(TAKEN).name == "真机主"


def test_a_verified_or_foreign_account_is_never_freed_here(client, hubin, other_village):
    verified = villager(hubin)
    foreign = UserFactory(village=other_village)
    login_as(client, official(Role.COMMITTEE, village=hubin))
    for user in (verified, foreign):
        page = client.get(f"/v/hubin/manage/phone?phone={user.phone}")
        assert page.status_code == 200 and "本村没有用这个手机号、还没核实的注册申请" in page.text
        data = {"user_id": user.id, "phone": user.phone, "checked": "y"}
        assert client.post("/v/hubin/manage/phone/free", data=data).status_code == 404
    assert user_by_phone(verified.phone) is not None and user_by_phone(foreign.phone) is not None
    assert count(ActionLog) == 0


def test_only_the_committee_may_free_a_number(client, hubin):
    squatter = UserFactory(phone=TAKEN, village=hubin)
    data = {"user_id": squatter.id, "phone": TAKEN, "checked": "y"}
    supervisor = official(Role.SUPERVISOR, village=hubin)
    login_as(client, supervisor)
    page = client.get(f"/v/hubin/manage/phone?phone={TAKEN}")
    assert page.status_code == 200 and 'name="checked"' not in page.text
    assert client.post("/v/hubin/manage/phone/free", data=data).status_code == 403
    login_as(client, villager(hubin))
    assert client.get("/v/hubin/manage/phone").status_code == 403
    assert client.post("/v/hubin/manage/phone/free", data=data).status_code == 403
    assert user_by_phone(TAKEN) is not None


def test_an_unverified_account_is_not_appointed_to_a_committee(client, hubin):
    admin = official(Role.ADMIN)
    pending = UserFactory(village=hubin)
    login_as(client, admin)
    data = {"committee-phone": pending.phone, "committee-village_id": hubin.id}
    response = client.post("/admin/committee", data=data)
    assert response.status_code == 422 and "还没有通过核实，不能任命" in response.text
    assert count(RoleGrant, RoleGrant.user_id == pending.id) == 0
    verified = villager(hubin)
    data["committee-phone"] = verified.phone
    assert client.post("/admin/committee", data=data).status_code == 303
    grant = db.session.scalar(sa.select(RoleGrant).where(RoleGrant.role == Role.COMMITTEE))
    assert grant.user_id == verified.id
