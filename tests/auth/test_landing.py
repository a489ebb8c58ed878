"""After login each role lands where its work is; the account page and the header link
every place the person may go."""

from __future__ import annotations

import pytest

from portal.auth.models import Role
from tests.conftest import login_as
from tests.factories import PASSWORD, RoleGrantFactory, UserFactory, official, villager


def login(client, user, next=None):
    url = "/login" + (f"?next={next}" if next else "")
    response = client.post(url, data={"phone": user.phone, "password": PASSWORD})
    assert response.status_code == 303
    return response.headers["Location"]


@pytest.mark.parametrize(
    ("role", "landing"),
    [
        (Role.ADMIN, "/admin/"),
        (Role.TOWN_OFFICIAL, "/town/yintu/"),
        (Role.COMMITTEE, "/v/hubin/manage/"),
        (Role.SUPERVISOR, "/v/hubin/manage/"),
        (Role.GRID_WORKER, "/v/hubin/"),
        (Role.VILLAGER, "/v/hubin/"),
    ],
)
def test_each_role_lands_where_its_work_is(client, hubin, role, landing):
    if role == Role.VILLAGER:
        user = villager(hubin)
    elif role == Role.ADMIN:
        user = official(Role.ADMIN)
    elif role == Role.TOWN_OFFICIAL:
        user = official(Role.TOWN_OFFICIAL, town=hubin.town)
    else:
        user = official(role, village=hubin)
    assert login(client, user) == landing
    assert client.get(landing).status_code == 200


def test_next_wins_and_work_comes_before_home(client, hubin, other_village):
    member = villager(hubin)
    RoleGrantFactory(user=member, role=Role.COMMITTEE, village=other_village)
    assert login(client, member, next="/v/hubin/notices") == "/v/hubin/notices"
    client.post("/logout")
    assert login(client, member) == "/v/shanqian/manage/"
    client.post("/logout")
    assert login(client, UserFactory()) == "/"


def test_a_logged_in_visit_to_login_goes_to_the_work_too(client, hubin):
    login_as(client, official(Role.TOWN_OFFICIAL, town=hubin.town))
    response = client.get("/login")
    assert response.status_code == 302 and response.headers["Location"] == "/town/yintu/"


def test_account_lists_every_place_and_the_header_links_them(client, hubin, other_village):
    person = villager(hubin)
    RoleGrantFactory(user=person, role=Role.COMMITTEE, village=hubin)
    RoleGrantFactory(user=person, role=Role.SUPERVISOR, village=other_village)
    RoleGrantFactory(user=person, role=Role.TOWN_OFFICIAL, town=hubin.town)
    RoleGrantFactory(user=person, role=Role.ADMIN)
    login_as(client, person)
    page = client.get("/account").text
    work = page[page.index('id="work"') :]
    hrefs = ['href="/admin/"', 'href="/town/yintu/"', 'href="/v/hubin/manage/"']
    hrefs += ['href="/v/shanqian/manage/"', 'href="/v/hubin/"']
    positions = [work.index(href) for href in hrefs]
    assert positions == sorted(positions)  # work first, the person's own village last
    assert "湖滨村村务管理" in work and "银涂镇办公" in work and "系统管理" in work

    header = client.get("/v/hubin/").text.split("</header>")[0]
    assert 'href="/account#work"' in header and "我的工作" in header


def test_a_villager_gets_no_work_link(client, hubin):
    login_as(client, villager(hubin))
    header = client.get("/v/hubin/").text.split("</header>")[0]
    assert "我的工作" not in header and 'href="/account"' in header
    page = client.get("/account").text
    assert "我的村" in page and 'href="/v/hubin/"' in page
