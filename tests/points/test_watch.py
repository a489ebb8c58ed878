"""The supervisors' list 监督: every entry for a cadre's household or the recorder's own,
in every state, with who recorded and who decided, newest first, paged and read-only;
who may read it; what it costs in SQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal.actions import unit_of_work
from portal.auth.models import Role
from portal.points import services
from tests.conftest import htmx_headers, login_as
from tests.factories import ResidentFactory, VillageFactory, official
from tests.points.conftest import TODAY, approve, holder, record
from tests.statements import statements

W = "/v/hubin/manage/points/watch"


@pytest.fixture
def cadre_home(village, households):
    """A grid worker of the second grid living in the first household: a 干部户."""
    ResidentFactory(household=households[0], name="李大山")
    return holder(village, Role.GRID_WORKER, name="钱网格", household=households[0])


@pytest.fixture
def watched(village, households, grid_worker, committee, second_member, cadre_home, now):
    """An entry for the cadre's household (approved by the second member), one rejected,
    and one the committee member recorded for their own household; and one unwatched."""
    first = record(grid_worker, village, households[0], "G01")
    approve(second_member, village, first)
    second = record(grid_worker, village, households[0], "M01")
    with unit_of_work():
        services.reject(committee, village, second, "会议签到表上没有")
    own = services.get_household(village, _household_of(committee))
    third = record(committee, village, own, "G07")
    plain = record(grid_worker, village, households[1], "G01")
    return first, second, third, plain


def _household_of(user) -> int:
    return user.resident.household_id


def test_supervisors_read_every_watched_entry_newest_first(client, supervisor, watched):
    first, second, third, plain = watched
    login_as(client, supervisor)
    page = client.get(W)
    assert page.status_code == 200
    text = page.text
    assert "李大山家（东街 1 号）" in text
    assert "干部户" in text
    # The recorder's own household is a cadre's too (recorders hold an office), so it is
    # flagged 干部户: services.record checks that first.
    assert "公示中" in text and "未通过" in text and "待审核" in text
    assert "会议签到表上没有" in text
    assert "张网格" in text and "刘委员" in text and "王主任" in text  # recorded, decided
    assert "东街 2 号" not in text  # not watched
    assert text.index("参加志愿服务活动") < text.index("参加义务劳动")  # newest first
    assert "<form" not in text.split('class="result-table"')[1].split("</table>")[0]
    assert page.headers["Cache-Control"] == "no-store"
    assert "您是村务监督委员会成员" in text  # read-only


def test_the_committee_reads_it_too_and_htmx_gets_the_page(client, committee, watched):
    login_as(client, committee)
    assert client.get(W).status_code == 200
    hx = client.get(W, headers=htmx_headers())
    assert hx.status_code == 200 and "干部户" in hx.text


@pytest.mark.parametrize("who", ["visitor", "villager", "grid_worker", "outsider"])
def test_others_are_refused(client, who, resident_user, grid_worker, watched):
    users = {
        "villager": resident_user,
        "grid_worker": grid_worker,
        "outsider": official(Role.SUPERVISOR, VillageFactory()),
    }
    if who in users:
        login_as(client, users[who])
    response = client.get(W)
    if who == "visitor":
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    else:
        assert response.status_code == 403


def test_an_empty_list_says_so(client, supervisor):
    login_as(client, supervisor)
    assert "还没有干部户或记录人本户的积分" in client.get(W).text


def test_the_list_is_paged(client, supervisor, village, households, cadre_home, grid_worker):
    for n in range(32):
        code = "G04" if n % 2 else "K01"  # items without a cap
        record(grid_worker, village, households[0], code, on=TODAY - timedelta(days=n))
    login_as(client, supervisor)
    first = client.get(W).text
    assert "第 1 页，共 2 页" in first and "?page=2" in first
    assert client.get(f"{W}?page=2").status_code == 200
    assert client.get(f"{W}?page=99999999999").status_code == 200


def watch_statements(client) -> int:
    client.get(W)
    with statements() as seen:
        assert client.get(W).status_code == 200
    return len(seen)


# Access: the account, the village, the roles held (3); the rows (item, household,
# recorder and decider joined) and their count (2); the heads 户主 (1).
WATCH_STATEMENTS = 6


def test_the_list_costs_the_same_however_many_rows(
    client, supervisor, village, households, cadre_home, grid_worker, second_member
):
    login_as(client, supervisor)
    entry = record(grid_worker, village, households[0], "G07")
    approve(second_member, village, entry)
    few = watch_statements(client)
    for n in range(1, 25):
        code = "G04" if n % 2 else "K01"
        made = record(grid_worker, village, households[0], code, on=TODAY - timedelta(days=n))
        if n % 2:
            approve(second_member, village, made)
    assert watch_statements(client) == few == WATCH_STATEMENTS


def test_english_words(client, supervisor, watched):
    client.set_cookie("lang", "en")
    login_as(client, supervisor)
    text = client.get(W).text
    assert "Cadre household" in text and "Points of cadres" in text
