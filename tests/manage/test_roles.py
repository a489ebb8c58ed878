"""Appointments: grid workers and supervisors; separation of duties; revocation."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from portal.audit.models import ActionLog
from portal.auth.models import RegistrationStatus, Role, RoleGrant
from portal.extensions import db
from portal.manage import services
from tests.factories import (
    GridFactory,
    HouseholdFactory,
    ResidentFactory,
    RoleGrantFactory,
    UserFactory,
    official,
    villager,
)
from tests.manage.conftest import as_user, log_actions


@pytest.fixture
def grid(village):
    return GridFactory(village=village, name="第一网格")


@pytest.fixture
def person(village):
    user = villager(village, name="陈静")
    user.phone = "13912345678"
    db.session.commit()
    return user


def active(user, role=None) -> list[RoleGrant]:
    db.session.rollback()
    query = sa.select(RoleGrant).where(RoleGrant.user_id == user.id, RoleGrant.revoked_at.is_(None))
    if role:
        query = query.where(RoleGrant.role == role)
    return list(db.session.scalars(query))


def test_appoint_a_grid_worker(client, village, committee, person, grid):
    as_user(client, committee)
    response = client.post(
        "/v/hubin/manage/roles",
        data={"phone": "13912345678", "role": "grid_worker", "grid_id": str(grid.id)},
    )
    assert response.status_code == 303
    [grant] = active(person, Role.GRID_WORKER)
    assert (grant.village_id, grant.grid_id, grant.granted_by_id) == (
        village.id,
        grid.id,
        committee.id,
    )
    log = db.session.scalars(sa.select(ActionLog)).one()
    assert (log.action, log.object_id) == ("role.appoint", grant.id)
    assert log.summary["after"] == {"user_id": person.id, "role": "grid_worker", "grid_id": grid.id}
    page = client.get(response.headers["Location"]).text
    assert "已任命陈静为第一网格的网格员" in page and "网格员：第一网格" in page


def test_appoint_a_supervisor(client, committee, person, grid):
    as_user(client, committee)
    response = client.post(
        "/v/hubin/manage/roles", data={"phone": "13912345678", "role": "supervisor", "grid_id": ""}
    )
    assert response.status_code == 303
    [grant] = active(person, Role.SUPERVISOR)
    assert grant.grid_id is None
    assert log_actions() == ["role.appoint"]


def test_a_committee_member_cannot_be_made_supervisor(client, village, committee):
    member = villager(village, name="周村委")
    member.phone = "13700000001"
    RoleGrantFactory(user=member, role=Role.COMMITTEE, village=village)
    as_user(client, committee)
    response = client.post(
        "/v/hubin/manage/roles", data={"phone": "13700000001", "role": "supervisor"}
    )
    assert response.status_code == 422
    assert "周村委是本村村委会成员，不能同时担任村务监督委员会成员" in response.text
    assert active(member, Role.SUPERVISOR) == []
    assert log_actions() == []


def test_separation_of_duties_refuses_either_combination(app, village, other_village):
    with app.test_request_context():
        _check_separation(village, other_village)


def _check_separation(village, other_village):
    chair = villager(village, name="村委甲")
    RoleGrantFactory(user=chair, role=Role.COMMITTEE, village=village)
    watcher = villager(village, name="监委乙")
    RoleGrantFactory(user=watcher, role=Role.SUPERVISOR, village=village)

    with pytest.raises(services.SeparationOfDutiesError, match="村委会成员"):
        services.check_separation_of_duties(chair, village, Role.SUPERVISOR)
    with pytest.raises(services.SeparationOfDutiesError, match="村务监督委员会成员"):
        services.check_separation_of_duties(watcher, village, Role.COMMITTEE)
    db.session.rollback()
    # Other roles, other villages, and revoked grants do not conflict.
    services.check_separation_of_duties(chair, village, Role.GRID_WORKER)
    services.check_separation_of_duties(chair, other_village, Role.SUPERVISOR)
    services.check_separation_of_duties(watcher, village, Role.SUPERVISOR)
    from portal import clock

    for grant in active(chair, Role.COMMITTEE):
        grant.revoked_at = clock.now()
    db.session.commit()
    services.check_separation_of_duties(chair, village, Role.SUPERVISOR)
    db.session.rollback()


def test_a_committee_member_may_be_a_grid_worker(client, village, committee, grid):
    committee.phone = "13700000009"
    committee.resident = ResidentFactory(household=HouseholdFactory(village=village))
    committee.status = RegistrationStatus.VERIFIED
    RoleGrantFactory(user=committee, role=Role.VILLAGER, village=village)
    db.session.commit()
    as_user(client, committee)
    response = client.post(
        "/v/hubin/manage/roles",
        data={"phone": "13700000009", "role": "grid_worker", "grid_id": str(grid.id)},
    )
    assert response.status_code == 303
    assert len(active(committee, Role.GRID_WORKER)) == 1


@pytest.mark.parametrize(
    "data, message",
    [
        ({"phone": "", "role": "supervisor"}, "请填写要任命的村民的手机号"),
        ({"phone": "12345", "role": "supervisor"}, "手机号应为 11 位数字"),
        ({"phone": "13912345678", "role": "committee"}, "不是有效的选择"),
        ({"phone": "13912345678", "role": "grid_worker", "grid_id": ""}, "任命网格员时请选择网格"),
        (
            {"phone": "13900000000", "role": "supervisor"},
            "没有找到这个手机号注册、并已核实的本村村民",
        ),
    ],
)
def test_bad_appointments_are_answered_clearly(client, committee, person, grid, data, message):
    as_user(client, committee)
    response = client.post("/v/hubin/manage/roles", data=data)
    assert response.status_code == 422
    assert message in response.text
    assert active(person) == [g for g in active(person) if g.role == Role.VILLAGER]
    assert log_actions() == []


def test_grid_of_another_village_is_refused(client, other_village, committee, person):
    foreign = GridFactory(village=other_village)
    as_user(client, committee)
    response = client.post(
        "/v/hubin/manage/roles",
        data={"phone": "13912345678", "role": "grid_worker", "grid_id": str(foreign.id)},
    )
    assert response.status_code == 422
    assert "请选择本村的一个网格" in response.text
    assert active(person, Role.GRID_WORKER) == []


@pytest.mark.parametrize("kind", ["pending", "other_village", "disabled"])
def test_only_verified_villagers_of_this_village_can_be_appointed(
    client, village, other_village, committee, kind
):
    if kind == "pending":
        user = UserFactory(village=village, status=RegistrationStatus.PENDING)
    elif kind == "other_village":
        user = villager(other_village)
    else:
        user = villager(village)
        user.disabled = True
    user.phone = "13611112222"
    db.session.commit()
    as_user(client, committee)
    response = client.post(
        "/v/hubin/manage/roles", data={"phone": "13611112222", "role": "supervisor"}
    )
    assert response.status_code == 422
    assert active(user, Role.SUPERVISOR) == []


def test_appointing_twice_is_refused(client, committee, person, grid):
    as_user(client, committee)
    data = {"phone": "13912345678", "role": "supervisor"}
    assert client.post("/v/hubin/manage/roles", data=data).status_code == 303
    response = client.post("/v/hubin/manage/roles", data=data)
    assert response.status_code == 422 and "已经是村务监督委员会成员" in response.text
    data = {"phone": "13912345678", "role": "grid_worker", "grid_id": str(grid.id)}
    # A supervisor who is not on the committee may also look after a grid.
    assert client.post("/v/hubin/manage/roles", data=data).status_code == 303
    response = client.post("/v/hubin/manage/roles", data=data)
    assert response.status_code == 422 and "已经是第一网格的网格员" in response.text
    assert log_actions() == ["role.appoint", "role.appoint"]


def test_revoke_an_appointment(client, village, committee, person, grid):
    grant = RoleGrantFactory(user=person, role=Role.GRID_WORKER, village=village, grid=grid)
    as_user(client, committee)
    assert "陈静" in client.get("/v/hubin/manage/roles").text
    response = client.post(f"/v/hubin/manage/roles/{grant.id}/revoke")
    assert response.status_code == 303
    assert active(person, Role.GRID_WORKER) == []
    revoked = db.session.get(RoleGrant, grant.id)
    assert revoked.revoked_at is not None
    log = db.session.scalars(sa.select(ActionLog)).one()
    assert (log.action, log.object_id) == ("role.revoke", grant.id)
    assert log.summary["before"]["role"] == "grid_worker"
    page = client.get(response.headers["Location"]).text
    assert "已撤销陈静的任命" in page

    again = client.post(f"/v/hubin/manage/roles/{grant.id}/revoke")
    assert again.status_code == 409 and "已经撤销了" in again.text
    assert log_actions() == ["role.revoke"]


def test_committee_grants_cannot_be_revoked_here(client, village, committee):
    other = official(Role.COMMITTEE, village=village)
    as_user(client, committee)
    grant = active(other, Role.COMMITTEE)[0]
    assert client.post(f"/v/hubin/manage/roles/{grant.id}/revoke").status_code == 404
    assert active(other, Role.COMMITTEE)
    assert "由管理员任命" in client.get("/v/hubin/manage/roles").text


def test_grants_of_another_village_cannot_be_revoked(client, other_village, committee):
    stranger = villager(other_village)
    grant = RoleGrantFactory(user=stranger, role=Role.SUPERVISOR, village=other_village)
    as_user(client, committee)
    assert client.post(f"/v/hubin/manage/roles/{grant.id}/revoke").status_code == 404
    assert active(stranger, Role.SUPERVISOR)


def test_revoke_without_token_is_refused(client, village, committee, person):
    grant = RoleGrantFactory(user=person, role=Role.SUPERVISOR, village=village)
    as_user(client, committee)
    assert client.post(f"/v/hubin/manage/roles/{grant.id}/revoke", csrf=False).status_code == 400
    assert active(person, Role.SUPERVISOR)


def test_revoked_supervisor_loses_console_access(client, village, committee, person):
    grant = RoleGrantFactory(user=person, role=Role.SUPERVISOR, village=village)
    as_user(client, person)
    assert client.get("/v/hubin/manage/").status_code == 200
    as_user(client, committee)
    client.post(f"/v/hubin/manage/roles/{grant.id}/revoke")
    as_user(client, person)
    assert client.get("/v/hubin/manage/").status_code == 403
