"""Households and residents: search, pagination, htmx and plain requests, hostile input."""

from __future__ import annotations

import re

import pytest

from portal import clock
from portal.auth.models import RegistrationStatus
from portal.paging import clean_query
from portal.villages.models import Gender
from tests.conftest import htmx_headers
from tests.factories import GridFactory, HouseholdFactory, ResidentFactory, UserFactory
from tests.manage.conftest import as_user

HOSTILE = [
    "%",
    "_",
    "\\",
    "%_%",
    "'",
    '"',
    "' OR 1=1 --",
    "'; DROP TABLE household; --",
    "\x00",
    "a\x00b",
    "长" * 5000,
    "<script>alert(1)</script>",
    "hx-get=/logout",
]


@pytest.fixture
def roster(village):
    east = GridFactory(village=village, name="东片")
    home = HouseholdFactory(village=village, door_number="8号", grid=east)
    wang = ResidentFactory(household=home, name="王芳", birth_year=1980, gender=Gender.FEMALE)
    ResidentFactory(household=home, name="王小明", birth_year=2012, gender=Gender.MALE)
    UserFactory(resident=wang, status=RegistrationStatus.VERIFIED)
    other = HouseholdFactory(village=village, door_number="12号")
    ResidentFactory(household=other, name="李强", birth_year=1960, gender=Gender.MALE)
    return home


def test_households_list_shows_grid_residents_and_accounts(client, committee, roster):
    as_user(client, committee)
    page = client.get("/v/hubin/manage/households").text
    assert "共 2 户" in page
    assert "东片" in page and "未分网格" in page
    assert "王芳" in page and "王小明" in page and "李强" in page
    assert page.count('console-tag-ok">已注册<') == 1
    assert page.count('"console-tag">未注册<') == 2
    assert page.index("8号") < page.index("12号")
    assert 'class="table-wrap"' in page


def test_households_search_by_door_number_and_by_name(client, committee, roster):
    as_user(client, committee)
    by_door = client.get("/v/hubin/manage/households?q=12").text
    assert "李强" in by_door and "王芳" not in by_door
    by_name = client.get("/v/hubin/manage/households?q=小明").text
    assert "王芳" in by_name and "李强" not in by_name  # the whole household is shown
    assert "找到 1 户" in by_name


def test_households_search_with_htmx_returns_only_the_results(client, committee, roster):
    as_user(client, committee)
    response = client.get(
        "/v/hubin/manage/households?q=王", headers=htmx_headers("household-results")
    )
    assert response.status_code == 200
    assert "<html" not in response.text and "<form" not in response.text
    assert "王芳" in response.text and "李强" not in response.text
    assert "HX-Request" in response.headers["Vary"]


def test_households_are_scoped_to_the_village(client, other_village, committee, roster):
    ResidentFactory(
        household=HouseholdFactory(village=other_village, door_number="8号"), name="外人"
    )
    as_user(client, committee)
    page = client.get("/v/hubin/manage/households?q=8号").text
    assert "外人" not in page and "找到 1 户" in page


def test_households_paginate_twenty_a_page(client, village, committee):
    for n in range(1, 26):
        HouseholdFactory(village=village, door_number=f"{n}号")
    as_user(client, committee)
    first = client.get("/v/hubin/manage/households").text
    assert ">20号<" in first and ">21号<" not in first
    assert "第 1 页，共 2 页" in first and "page=2" in first
    second = client.get("/v/hubin/manage/households?page=2").text
    assert ">21号<" in second and ">25号<" in second and ">1号<" not in second
    partial = client.get(
        "/v/hubin/manage/households?page=2", headers=htmx_headers("household-results")
    )
    assert ">25号<" in partial.text and "<html" not in partial.text
    searched = client.get("/v/hubin/manage/households?q=号&page=2").text
    assert "q=%E5%8F%B7" in searched  # the search is kept on the page links


@pytest.mark.parametrize("q", HOSTILE)
def test_hostile_household_searches_do_no_harm(client, committee, roster, q):
    as_user(client, committee)
    response = client.get("/v/hubin/manage/households", query_string={"q": q})
    assert response.status_code == 200
    assert "<script>alert" not in response.text
    htmx = client.get(
        "/v/hubin/manage/households",
        query_string={"q": q},
        headers=htmx_headers("household-results"),
    )
    assert htmx.status_code == 200


@pytest.mark.parametrize("q", HOSTILE)
def test_hostile_resident_searches_do_no_harm(client, committee, roster, q):
    as_user(client, committee)
    response = client.get("/v/hubin/manage/residents", query_string={"q": q, "account": q})
    assert response.status_code == 200
    assert "<script>alert" not in response.text


def test_like_wildcards_are_matched_literally(client, village, committee):
    ResidentFactory(household=HouseholdFactory(village=village, door_number="5_号"), name="甲")
    ResidentFactory(household=HouseholdFactory(village=village, door_number="56号"), name="乙")
    ResidentFactory(household=HouseholdFactory(village=village, door_number="7%号"), name="丙")
    as_user(client, committee)
    underscore = client.get("/v/hubin/manage/households?q=_").text
    assert "5_号" in underscore and "56号" not in underscore and "7%号" not in underscore
    percent = client.get("/v/hubin/manage/households?q=%25").text
    assert "7%号" in percent and "56号" not in percent


@pytest.mark.parametrize("page", ["-1", "0", "abc", "99999999999999999999", "1e9"])
def test_odd_page_numbers_do_no_harm(client, committee, roster, page):
    as_user(client, committee)
    for path in ("households", "residents", "invites", "verifications"):
        response = client.get(f"/v/hubin/manage/{path}?page={page}")
        assert response.status_code == 200, path


def test_clean_query_drops_control_characters_and_caps_length():
    assert clean_query(" a\x00b\n ") == "ab"
    assert clean_query("１２号") == "12号"
    assert len(clean_query("x" * 500)) == 40
    assert clean_query(None) == ""


def test_residents_list_shows_birth_year_age_gender_household_and_account(
    client, committee, roster
):
    as_user(client, committee)
    page = client.get("/v/hubin/manage/residents").text
    this_year = clock.today_local().year
    assert "共 3 人" in page
    assert "1980" in page and f'<td data-label="年龄">{this_year - 1980}</td>' in page
    assert '<td data-label="性别">男</td>' in page and '<td data-label="性别">女</td>' in page
    assert "8号" in page and "12号" in page
    assert page.count('console-tag-ok">已注册<') == 1
    assert page.count('"console-tag">未注册<') == 2


def test_residents_search_by_name_plain_and_htmx(client, committee, roster):
    as_user(client, committee)
    page = client.get("/v/hubin/manage/residents?q=王").text
    assert "王芳" in page and "王小明" in page and "李强" not in page
    assert "找到 2 人" in page
    response = client.get(
        "/v/hubin/manage/residents?q=李", headers=htmx_headers("resident-results")
    )
    assert "<html" not in response.text and "李强" in response.text and "王芳" not in response.text


def test_residents_filter_by_account(client, committee, roster):
    as_user(client, committee)
    without = client.get("/v/hubin/manage/residents?account=without").text
    assert "王芳" not in without and "王小明" in without and "李强" in without
    with_account = client.get("/v/hubin/manage/residents?account=with").text
    assert "王芳" in with_account and "李强" not in with_account
    # A person without an account gets a link to issue a personal code.
    assert "name=%E6%9D%8E%E5%BC%BA" in without


def test_residents_paginate(client, village, committee):
    home = HouseholdFactory(village=village, door_number="1号")
    for n in range(45):
        ResidentFactory(household=home, name=f"成员{n:02d}")
    as_user(client, committee)
    third = client.get("/v/hubin/manage/residents?page=3").text
    assert "成员40" in third and "成员44" in third and "成员39" not in third
    beyond = client.get("/v/hubin/manage/residents?page=9")
    assert beyond.status_code == 200 and "成员" not in beyond.text


def test_residents_are_scoped_to_the_village(client, other_village, committee, roster):
    ResidentFactory(household=HouseholdFactory(village=other_village), name="王外人")
    as_user(client, committee)
    page = client.get("/v/hubin/manage/residents?q=王").text
    assert "王外人" not in page


def test_console_home_counts(client, village, committee, roster):
    UserFactory(village=village, status=RegistrationStatus.PENDING)
    as_user(client, committee)
    page = client.get("/v/hubin/manage/").text
    counts = dict(
        (label, int(n))
        for n, label in re.findall(
            r'tile-count">(\d+)</span>\s*<span class="tile-label">([^<]+)<', page
        )
    )
    assert counts == {"待核实的注册": 1, "户": 2, "村民（花名册）": 3, "未使用的邀请码": 0}
    for path in ("verifications", "invites", "households", "residents", "roles", "roster/import"):
        assert f'href="/v/hubin/manage/{path}' in page


def test_households_and_residents_follow_door_numbers_as_people_read_them(
    client, village, committee
):
    """一组 < 二组 < 三组 < 十组 < 十一组 and 2号 < 10号, page after page."""
    expected = [f"{group}组{n}号" for group in "一二三十" for n in (2, 10)] + ["十一组1号"]
    for door in reversed(expected):
        ResidentFactory(household=HouseholdFactory(village=village, door_number=door))
    as_user(client, committee)

    def doors_on(path: str) -> list[str]:
        page = client.get(path).text
        return [door for door in expected if f">{door}<" in page]

    def in_page_order(path: str) -> list[str]:
        page = client.get(path).text
        return sorted(doors_on(path), key=lambda door: page.index(f">{door}<"))

    assert in_page_order("/v/hubin/manage/households") == expected
    assert in_page_order("/v/hubin/manage/residents") == expected
    partial = client.get(
        "/v/hubin/manage/households?q=组", headers=htmx_headers("household-results")
    ).text
    assert [d for d in sorted(expected, key=lambda d: partial.index(f">{d}<"))] == expected


def test_household_pages_split_the_door_order_across_pages(client, village, committee):
    for n in range(1, 26):
        HouseholdFactory(village=village, door_number=f"{n}号")
    as_user(client, committee)
    first = client.get("/v/hubin/manage/households").text
    second = client.get("/v/hubin/manage/households?page=2").text
    assert ">1号<" in first and ">20号<" in first and ">21号<" not in first
    assert ">21号<" in second and ">25号<" in second and "共 25 户" in second


def tile(page: str, label: str) -> str:
    """The console home's tile with `label`, from its <li> to its end."""
    end = page.index(f'<span class="tile-label">{label}</span>')
    return page[page.rindex("<li", 0, end) : page.index("</li>", end)]


def test_console_home_marks_what_needs_doing_and_leaves_plain_figures_plain(
    client, village, committee, roster
):
    as_user(client, committee)
    calm = client.get("/v/hubin/manage/").text
    assert "tile-urgent" not in tile(calm, "待核实的注册") and "需要处理" not in calm
    UserFactory(village=village, status=RegistrationStatus.PENDING)
    page = client.get("/v/hubin/manage/").text
    waiting = tile(page, "待核实的注册")
    assert 'class="tile-urgent"' in waiting and "需要处理" in waiting  # in words, not colour
    for plain in ("户", "村民（花名册）", "未使用的邀请码"):
        assert "tile-urgent" not in tile(page, plain) and "tile-flag" not in tile(page, plain)


def test_residents_pages_cut_across_households_in_door_order(client, village, committee):
    """Pages of 20 over households of three: every resident once, in door-number order."""
    for n in range(25, 0, -1):  # created last to first: the order is the door's, not the id's
        home = HouseholdFactory(village=village, door_number=f"{n}号")
        for suffix in "甲乙丙":
            ResidentFactory(household=home, name=f"住户{n:02d}{suffix}")
    expected = [f"住户{n:02d}{s}" for n in range(1, 26) for s in "甲乙丙"]
    as_user(client, committee)
    shown = []
    for page in (1, 2, 3, 4):
        text = client.get(f"/v/hubin/manage/residents?q=住户&page={page}").text
        names = [name for name in expected if f">{name}<" in text]
        shown += sorted(names, key=lambda name: text.index(f">{name}<"))
    assert shown == expected
