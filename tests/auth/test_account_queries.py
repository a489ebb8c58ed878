"""The account page costs a fixed number of SQL statements, however many roles it lists."""

from __future__ import annotations

from portal.auth.models import RegistrationStatus, Role
from tests.conftest import login_as
from tests.factories import (
    GridFactory,
    RoleGrantFactory,
    TownFactory,
    UserFactory,
    VillageFactory,
    villager,
)
from tests.statements import statements

# The account (session), the person's village and household, their roles, and, for an
# account linked to a resident, what the boards hold about their household and the
# nominations naming it or made by them (one statement each).
CEILING = 5


def statements_for(client, path: str) -> int:
    client.get(path)
    with statements() as seen:
        response = client.get(path)
    assert response.status_code == 200
    return len(seen)


def test_account_page_statements_do_not_grow_with_roles(client, hubin, other_village):
    user = villager(hubin)
    login_as(client, user)
    one_role = statements_for(client, "/account")

    for village in (hubin, other_village):
        for n in range(3):
            grid = GridFactory(village=village, name=f"第{n}网格")
            RoleGrantFactory(user=user, role=Role.GRID_WORKER, village=village, grid=grid)
        RoleGrantFactory(user=user, role=Role.SUPERVISOR, village=village)
    RoleGrantFactory(user=user, role=Role.TOWN_OFFICIAL, town=hubin.town)
    RoleGrantFactory(user=user, role=Role.ADMIN)
    many_roles = statements_for(client, "/account")

    assert many_roles == one_role <= CEILING
    page = client.get("/account").text
    assert "湖滨村 第2网格" in page and "山前村 第0网格" in page and "全站" in page
    assert hubin.town.name in page


def test_account_page_statements_for_every_kind_of_account(client, hubin):
    pending = UserFactory(village=hubin, claimed_door_number="8号")
    refused = UserFactory(village=hubin, status=RegistrationStatus.REFUSED, refusal_reason="无")
    official = UserFactory()
    RoleGrantFactory(user=official, role=Role.TOWN_OFFICIAL, town=TownFactory())
    elsewhere = villager(VillageFactory())
    for user in (pending, refused, official, elsewhere):
        login_as(client, user)
        assert statements_for(client, "/account") <= CEILING


def test_account_page_shows_the_village_and_door_of_a_villager(client, hubin):
    user = villager(hubin)
    login_as(client, user)
    page = client.get("/account").text
    door = user.resident.household.door_number
    assert f'<a href="/v/hubin/">湖滨村</a> {door}</dd>' in page


def test_account_page_of_an_applicant_names_the_village_applied_to(client, hubin):
    login_as(client, UserFactory(village=hubin))
    page = client.get("/account").text
    assert '<a href="/v/hubin/">湖滨村</a></dd>' in page


def test_account_page_without_a_village_says_none(client):
    login_as(client, UserFactory(status=RegistrationStatus.VERIFIED))
    page = client.get("/account").text
    assert "所在的村" not in page
