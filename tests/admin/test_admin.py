"""The site operator creates towns and villages and appoints committees and town officials."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from portal.audit.models import ActionLog
from portal.auth.models import Role, RoleGrant
from portal.extensions import db
from portal.villages.models import Town, Village
from tests.conftest import htmx_headers, login_as
from tests.factories import TownFactory, UserFactory, VillageFactory, official, villager


@pytest.fixture
def admin(app):
    return official(Role.ADMIN)


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.mark.parametrize("role", [Role.COMMITTEE, Role.SUPERVISOR, Role.TOWN_OFFICIAL, None])
def test_only_the_admin_reaches_the_admin_pages(client, role):
    village = VillageFactory()
    if role is None:
        user = villager(village)
    else:
        user = official(role, village=village)
    login_as(client, user)
    assert client.get("/admin/").status_code == 403
    response = client.post("/admin/towns", data={"town-name": "新镇", "town-slug": "xinzhen"})
    assert response.status_code == 403
    assert count(Town) == 1


def test_visitor_is_sent_to_login(client):
    response = client.get("/admin/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_admin_creates_a_town_and_a_village(client, admin):
    login_as(client, admin)
    response = client.post("/admin/towns", data={"town-name": "银涂镇", "town-slug": "yintu"})
    assert response.status_code == 303
    town = db.session.scalar(sa.select(Town).where(Town.slug == "yintu"))
    assert town.name == "银涂镇"
    response = client.post(
        "/admin/villages",
        data={
            "village-town_id": town.id,
            "village-name": "湖滨村",
            "village-slug": "hubin",
            "village-quorum_mode": "households",
        },
    )
    assert response.status_code == 303
    village = db.session.scalar(sa.select(Village).where(Village.slug == "hubin"))
    assert village.town_id == town.id and village.quorum_mode == "households"
    actions = db.session.scalars(sa.select(ActionLog.action).order_by(ActionLog.id)).all()
    assert actions == ["admin.create_town", "admin.create_village"]


@pytest.mark.parametrize(
    "data, message",
    [
        ({"town-name": "", "town-slug": "abc"}, "请填写名称"),
        ({"town-name": "镇", "town-slug": "Bad Slug!"}, "只能用小写字母"),
        ({"town-name": "镇", "town-slug": "x" * 80}, "只能用小写字母"),
    ],
)
def test_bad_town_input_is_answered_and_nothing_written(client, admin, data, message):
    login_as(client, admin)
    response = client.post("/admin/towns", data=data)
    assert response.status_code == 422
    assert message in response.text
    assert count(Town) == 0


def test_duplicate_slug_refused(client, admin):
    TownFactory(slug="yintu")
    login_as(client, admin)
    response = client.post("/admin/towns", data={"town-name": "又一个", "town-slug": "yintu"})
    assert response.status_code == 422 and "已被使用" in response.text
    assert count(Town) == 1


def test_village_for_unknown_town_refused(client, admin):
    login_as(client, admin)
    response = client.post(
        "/admin/villages",
        data={
            "village-town_id": 999,
            "village-name": "村",
            "village-slug": "cun",
            "village-quorum_mode": "persons",
        },
    )
    assert response.status_code == 422
    assert count(Village) == 0


def test_appoint_and_revoke_committee_member(client, admin):
    village = VillageFactory()
    user = villager(village)
    login_as(client, admin)
    response = client.post(
        "/admin/committee",
        data={"committee-phone": user.phone, "committee-village_id": village.id},
    )
    assert response.status_code == 303
    grant = db.session.scalar(
        sa.select(RoleGrant).where(RoleGrant.user_id == user.id, RoleGrant.role == Role.COMMITTEE)
    )
    assert grant.village_id == village.id
    response = client.post(f"/admin/grants/{grant.id}/revoke", headers=htmx_headers())
    assert response.status_code == 200 and response.headers["HX-Redirect"] == "/admin/"
    db.session.refresh(grant)
    assert grant.revoked_at is not None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ActionLog)) == 2


def test_a_supervisor_cannot_be_appointed_to_the_same_committee(client, admin):
    village = VillageFactory()
    supervisor = official(Role.SUPERVISOR, village=village)
    login_as(client, admin)
    response = client.post(
        "/admin/committee",
        data={"committee-phone": supervisor.phone, "committee-village_id": village.id},
    )
    assert response.status_code == 422
    assert "不能同时担任" in response.text
    assert count(RoleGrant) == 2  # the admin's and the supervisor's own


def test_appointing_an_unknown_phone_is_refused(client, admin):
    village = VillageFactory()
    login_as(client, admin)
    response = client.post(
        "/admin/committee",
        data={"committee-phone": "13700000000", "committee-village_id": village.id},
    )
    assert response.status_code == 422 and "没有用这个手机号码注册的账号" in response.text
    response = client.post(
        "/admin/committee", data={"committee-phone": "12345", "committee-village_id": village.id}
    )
    assert response.status_code == 422 and "11 位手机号码" in response.text


def test_appoint_town_official(client, admin):
    town = TownFactory()
    user = UserFactory()
    login_as(client, admin)
    response = client.post(
        "/admin/officials", data={"official-phone": user.phone, "official-town_id": town.id}
    )
    assert response.status_code == 303
    grant = db.session.scalar(sa.select(RoleGrant).where(RoleGrant.user_id == user.id))
    assert grant.role == Role.TOWN_OFFICIAL and grant.town_id == town.id
    again = client.post(
        "/admin/officials", data={"official-phone": user.phone, "official-town_id": town.id}
    )
    assert again.status_code == 422 and "已经担任" in again.text


def test_revoking_a_villager_grant_is_refused(client, admin):
    village = VillageFactory()
    member = villager(village)
    grant = db.session.scalar(sa.select(RoleGrant).where(RoleGrant.user_id == member.id))
    login_as(client, admin)
    assert client.post(f"/admin/grants/{grant.id}/revoke").status_code == 403
    db.session.refresh(grant)
    assert grant.revoked_at is None


def test_admin_page_plain_and_htmx(client, admin):
    TownFactory(name="银涂镇")
    login_as(client, admin)
    plain = client.get("/admin/")
    assert plain.status_code == 200 and "银涂镇" in plain.text and "<html" in plain.text
    boosted = client.get("/admin/", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert boosted.status_code == 200 and "银涂镇" in boosted.text
