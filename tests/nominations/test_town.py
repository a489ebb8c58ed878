"""The town's selection: what the villages forwarded, newest first, a page at a time; the
town marks each selected or not (a note required when not); officials of another town,
and the village's committee, are refused; the town home links the list with its count."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal.actions import unit_of_work
from portal.audit.models import ActionLog
from portal.auth.models import Role
from portal.extensions import db
from portal.nominations import services
from portal.nominations.models import Nomination, TownDecision
from tests.conftest import htmx_headers, login_as
from tests.factories import TownFactory, VillageFactory, count, official, villager
from tests.nominations.conftest import START
from tests.nominations.test_console import AFTER_NOTICE, in_notice
from tests.statements import statements


def forward(nomination, committee, at, moment=None):
    at(moment or AFTER_NOTICE)
    with unit_of_work():
        services.commend(committee, nomination)
        services.forward(committee, nomination)
    return nomination


@pytest.fixture
def town_official(village):
    return official(Role.TOWN_OFFICIAL, town=village.town, name="镇街刘干事")


@pytest.fixture
def forwarded(village, nominator, nominee, endorsers, committee, now, at):
    return forward(in_notice(village, nominator, nominee, endorsers, committee), committee, at)


def town_path(village) -> str:
    return f"/town/{village.town.slug}/nominations"


def writes():
    return (count(ActionLog), count(Nomination, Nomination.town_decision.is_not(None)))


def test_the_town_lists_what_was_forwarded_plain_and_htmx(
    client, town_official, forwarded, village
):
    login_as(client, town_official)
    page = client.get(town_path(village))
    assert page.status_code == 200
    text = page.text
    assert "湖滨村" in text and "助人为乐" in text and "欧阳娜娜" in text
    assert "冒雨把独居的李奶奶" in text and "12月10日报送" in text
    assert f'id="town-nomination-{forwarded.id}"' in text
    assert page.headers["Cache-Control"] == "no-store"
    hx = client.get(town_path(village), headers=htmx_headers())
    assert hx.status_code == 200 and "欧阳娜娜" in hx.text


def test_only_forwarded_nominations_are_listed_newest_first(
    client, town_official, village, committee, endorsers, at, now
):
    first = in_notice(
        village, villager(village, name="甲"), None, endorsers, committee, own_household=True
    )
    at(START + timedelta(hours=1))
    second = in_notice(
        village, villager(village, name="乙"), None, endorsers, committee, own_household=True
    )
    kept = in_notice(
        village, villager(village, name="丙"), None, endorsers, committee, own_household=True
    )
    forward(first, committee, at, AFTER_NOTICE + timedelta(hours=2))
    forward(second, committee, at, AFTER_NOTICE + timedelta(hours=3))
    with unit_of_work():
        services.commend(committee, kept)
    login_as(client, town_official)
    text = client.get(town_path(village)).text
    assert text.index("乙家") < text.index("甲家")
    assert "丙家" not in text


def test_the_list_comes_a_page_at_a_time_at_a_fixed_cost(
    client, town_official, village, committee, endorsers, at, now
):
    def make(n, start):
        for i in range(start, start + n):
            at(START)
            nomination = in_notice(
                village,
                villager(village, name=f"推荐{i:02d}"),
                None,
                endorsers,
                committee,
                own_household=True,
            )
            forward(nomination, committee, at, AFTER_NOTICE + timedelta(minutes=i))

    make(2, 0)
    login_as(client, town_official)
    client.get(town_path(village))
    with statements() as seen:
        client.get(town_path(village))
    few = len(seen)
    make(21, 2)
    with statements() as seen:
        page = client.get(town_path(village))
    assert len(seen) == few
    assert "第 1 页，共 2 页" in page.text and "推荐22家" in page.text
    assert "推荐00家" not in page.text
    second = client.get(town_path(village), query_string={"page": 2}).text
    assert "推荐00家" in second


def test_the_town_selects_in_place(client, town_official, forwarded, village):
    login_as(client, town_official)
    field = f"t{forwarded.id}"
    response = client.post(
        f"{town_path(village)}/{forwarded.id}",
        data={f"{field}-decision": "selected"},
        headers=htmx_headers(f"town-nomination-{forwarded.id}"),
    )
    assert response.status_code == 200
    assert response.text.strip().startswith(
        f'<article class="card" id="town-nomination-{forwarded.id}"'
    )
    assert "入选" in response.text
    db.session.rollback()
    decided = db.session.get(Nomination, forwarded.id)
    assert decided.town_decision == TownDecision.SELECTED
    assert decided.town_decided_by_id == town_official.id
    assert count(ActionLog, ActionLog.action == "nomination.town_decide") == 1


def test_not_selected_needs_a_note_the_committee_then_sees(
    client, town_official, committee, forwarded, village
):
    login_as(client, town_official)
    path = f"{town_path(village)}/{forwarded.id}"
    field = f"t{forwarded.id}"
    before = writes()
    bare = client.post(path, data={f"{field}-decision": "not_selected"})
    assert bare.status_code == 422 and "未入选时请写一句说明" in bare.text
    nothing = client.post(path, data={})
    assert nothing.status_code == 422 and "请选择入选还是未入选" in nothing.text
    too_long = client.post(
        path, data={f"{field}-decision": "not_selected", f"{field}-note": "长" * 501}
    )
    assert too_long.status_code == 422 and "说明最多 500 个字" in too_long.text
    assert writes() == before
    done = client.post(
        path, data={f"{field}-decision": "not_selected", f"{field}-note": "名额有限。"}
    )
    assert done.status_code == 303
    db.session.rollback()
    assert db.session.get(Nomination, forwarded.id).town_decision == TownDecision.NOT_SELECTED
    before = writes()
    again = client.post(path, data={f"{field}-decision": "selected"})
    assert again.status_code == 409 and "镇街已经办理过" in again.text
    assert writes() == before
    login_as(client, committee)
    queue = client.get("/v/hubin/manage/nominations").text
    assert "镇街评选：未入选" in queue and "名额有限。" in queue


def test_an_official_of_another_town_and_the_committee_are_refused(
    client, committee, forwarded, village
):
    path = town_path(village)
    data = {f"t{forwarded.id}-decision": "selected"}
    before = writes()
    for user in (official(Role.TOWN_OFFICIAL, town=TownFactory()), committee):
        login_as(client, user)
        assert client.get(path).status_code == 403
        assert client.post(f"{path}/{forwarded.id}", data=data).status_code == 403
    assert writes() == before


def test_a_nomination_of_another_town_is_not_found_here(client, forwarded):
    elsewhere = VillageFactory()
    stranger = official(Role.TOWN_OFFICIAL, town=elsewhere.town)
    login_as(client, stranger)
    before = writes()
    response = client.post(
        f"/town/{elsewhere.town.slug}/nominations/{forwarded.id}",
        data={f"t{forwarded.id}-decision": "selected"},
    )
    assert response.status_code == 404 and writes() == before


def test_a_nomination_not_forwarded_cannot_be_decided(
    client, town_official, village, nominator, nominee, endorsers, committee, now
):
    kept = in_notice(village, nominator, nominee, endorsers, committee)
    login_as(client, town_official)
    before = writes()
    response = client.post(
        f"{town_path(village)}/{kept.id}", data={f"t{kept.id}-decision": "selected"}
    )
    assert response.status_code == 404 and writes() == before


def test_the_town_home_links_the_list_with_its_count(client, town_official, forwarded, village):
    login_as(client, town_official)
    home = client.get(f"/town/{village.town.slug}/").text
    assert f'href="{town_path(village)}"' in home and "（待评选 1 人）" in home
