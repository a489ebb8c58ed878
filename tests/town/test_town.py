from __future__ import annotations

import pytest

from portal.auth.models import RegistrationStatus, Role
from tests.conftest import login_as
from tests.factories import (
    ResidentFactory,
    TownFactory,
    UserFactory,
    VillageFactory,
    official,
    villager,
)


@pytest.fixture
def town(app):
    town = TownFactory(name="银涂镇", slug="yintu")
    hubin = VillageFactory(town=town, name="湖滨村")
    VillageFactory(town=town, name="山前村")
    for _ in range(3):
        ResidentFactory(household__village=hubin)
    villager(hubin)
    UserFactory(village=hubin, status=RegistrationStatus.PENDING)
    return town


def test_town_official_sees_each_village_figures(client, town):
    login_as(client, official(Role.TOWN_OFFICIAL, town=town))
    page = client.get("/town/yintu/")
    assert page.status_code == 200
    row = page.text.split("湖滨村</a></th>")[1].split("</tr>")[0]
    cells = [c.split("</td>")[0] for c in row.split("<td>")[1:]]
    assert cells == ["4", "4", "1", "1"]
    assert "山前村" in page.text


def test_official_of_another_town_refused(client, town):
    login_as(client, official(Role.TOWN_OFFICIAL, town=TownFactory()))
    assert client.get("/town/yintu/").status_code == 403


@pytest.mark.parametrize("role", [Role.COMMITTEE, Role.SUPERVISOR])
def test_village_roles_refused(client, town, role):
    village = town.villages[0]
    login_as(client, official(role, village=village))
    assert client.get("/town/yintu/").status_code == 403


def test_plain_and_htmx_requests(client, town):
    login_as(client, official(Role.TOWN_OFFICIAL, town=town))
    assert "<html" in client.get("/town/yintu/").text
    boosted = client.get("/town/yintu/", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert boosted.status_code == 200 and "湖滨村" in boosted.text


def test_unknown_town_is_404(client, town):
    login_as(client, official(Role.TOWN_OFFICIAL, town=town))
    assert client.get("/town/nowhere/").status_code == 404
