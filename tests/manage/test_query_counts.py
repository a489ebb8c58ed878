"""The console's pages cost a fixed number of SQL statements, however many rows they show.

A lazy load in a template (household.residents, resident.household, user.resident)
would add a statement per row: these tests fill a page to the brim and fail if the
count grows with the rows or passes the page's ceiling.
"""

from __future__ import annotations

import pytest

from portal.auth.models import RegistrationStatus, Role
from portal.villages.models import Gender
from tests.factories import (
    GridFactory,
    HouseholdFactory,
    InviteCodeFactory,
    ResidentFactory,
    RoleGrantFactory,
    UserFactory,
    villager,
)
from tests.manage.conftest import as_user
from tests.statements import statements

# What every console page costs before its own queries: the account (session), the
# village (URL), the roles held there, and the committee member's own roster entry
# (a villager's role counts only while verified in that village).
ACCESS = 4

# Each page's ceiling: the access statements plus the page's own.
CEILINGS = {
    # The four figures in one statement; the disclosure schedule's items and, when it has
    # any, the publication dates of their categories (the overdue figure); the count of
    # unanswered questions 质询; the 好人推荐 tile's one; the 积分 tile's one (entries
    # made, pending, watched: portal/points/console.py console_context).
    "/v/hubin/manage/": ACCESS + 6,
    # The village's households (ordered by door number in Python: their number is the
    # total), and the members of a page of them.
    "/v/hubin/manage/households": ACCESS + 2,
    "/v/hubin/manage/households?q=王": ACCESS + 2,
    # The residents' ids and door numbers (ordered in Python), then a page of them in full.
    "/v/hubin/manage/residents": ACCESS + 2,
    "/v/hubin/manage/residents?q=王": ACCESS + 2,
    "/v/hubin/manage/residents?account=without": ACCESS + 2,
    "/v/hubin/manage/residents?page=2": ACCESS + 2,
}


def count_statements(client, path: str) -> int:
    client.get(path)  # warm: the first request may load what later ones find cached
    with statements() as seen:
        response = client.get(path)
    assert response.status_code == 200, path
    return len(seen)


def fill_roster(village, households: int, start: int = 0) -> None:
    """`households` more households of three, in two new grids, some with accounts and codes,
    numbered from `start` + 1."""
    grids = [GridFactory(village=village, name=f"{side}{start}") for side in ("东片", "西片")]
    for n in range(start, start + households):
        home = HouseholdFactory(village=village, door_number=f"{n + 1}号院", grid=grids[n % 2])
        for i, name in enumerate(("王大", "李二", "张三")):
            resident = ResidentFactory(
                household=home, name=f"{name}{n}", gender=Gender.MALE if i else Gender.FEMALE
            )
            if i == 0 and n % 3 == 0:
                UserFactory(resident=resident, status=RegistrationStatus.VERIFIED)
        if n % 4 == 0:
            InviteCodeFactory(household=home)
    UserFactory(village=village, status=RegistrationStatus.PENDING)


@pytest.fixture
def member(village):
    """A committee member who is also a verified villager, as in a real village."""
    user = villager(village)
    RoleGrantFactory(user=user, role=Role.COMMITTEE, village=village)
    return user


@pytest.mark.parametrize("path", list(CEILINGS))
def test_console_pages_cost_a_fixed_number_of_statements(client, village, member, path):
    as_user(client, member)
    fill_roster(village, 2)
    few = count_statements(client, path)
    fill_roster(village, 40, start=2)  # more than a page of households, and of residents
    many = count_statements(client, path)
    assert many == few, f"{path}: {few} statements for a few rows, {many} for a full page"
    assert many <= CEILINGS[path], f"{path}: {many} statements, ceiling {CEILINGS[path]}"


def test_a_page_past_the_end_still_has_the_total(client, village, member):
    fill_roster(village, 25)  # 26 households, 76 residents with the member
    as_user(client, member)
    residents = client.get("/v/hubin/manage/residents?page=9").text
    assert "共 76 人" in residents and "第 9 页，共 4 页" in residents and "上一页" in residents
    households = client.get("/v/hubin/manage/households?page=9").text
    assert "共 26 户" in households and "第 9 页，共 2 页" in households


def test_console_figures_match_each_count(client, village, member):
    from portal.manage import services

    fill_roster(village, 5)
    counts = services.console_counts(village)
    # 5 households of three, plus the member's own household of one.
    assert counts == {
        "households": 6,
        "residents": 16,
        "pending": 1,
        "unused_invites": services.unused_invite_count(village),
    }
    # Two household codes: one where a member has registered (used, the others can still
    # use it), one unused.
    assert counts["unused_invites"] == 1
