"""The town office's filings 备案 of village rules: the list, one filing, filing and returning."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from portal.audit.models import ActionLog
from portal.auth.models import Role
from portal.extensions import db
from portal.rules import services
from portal.rules.models import FilingState, RuleFiling
from tests.conftest import login_as
from tests.factories import TownFactory, VillageFactory, official, villager
from tests.rules import factories as rf
from tests.statements import statements


@pytest.fixture
def town(app):
    return TownFactory(name="银涂镇", slug="yintu")


@pytest.fixture
def hubin(town):
    return VillageFactory(town=town, name="湖滨村", slug="hubin")


@pytest.fixture
def officer(town):
    return official(Role.TOWN_OFFICIAL, town=town)


def send_for_filing(village, title: str = "湖滨村村规民约") -> RuleFiling:
    """A version of `village` adopted by its vote and sent to its town for filing."""
    clerk = rf.committee(village)
    voters = [villager(village) for _ in range(2)]
    version = rf.voting(village, clerk)
    version.document.title = title
    db.session.commit()
    for voter in voters:
        services.cast_ballot(version, voter, "yes", rf.during(version))
    db.session.commit()
    services.close_vote(clerk, version, rf.after(version))
    db.session.commit()
    filing = services.submit_filing(clerk, version)
    db.session.commit()
    return filing


def actions(name: str) -> int:
    db.session.rollback()
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(ActionLog).where(ActionLog.action == name)
    )


def reread(filing: RuleFiling) -> RuleFiling:
    db.session.rollback()
    return db.session.get(RuleFiling, filing.id)


@pytest.fixture
def filing(hubin):
    return send_for_filing(hubin)


# --- the list ---------------------------------------------------------------------------


def test_town_index_links_the_filings(client, officer, filing):
    login_as(client, officer)
    page = client.get("/town/yintu/").text
    assert 'href="/town/yintu/filings"' in page and "待办 1 份" in page


def test_filings_list_pending_then_recent_decisions(client, town, hubin, officer, filing):
    shanqian = VillageFactory(town=town, name="山前村")
    decided = send_for_filing(shanqian, "山前村村规民约")
    services.file_rule(officer, decided)
    db.session.commit()
    login_as(client, officer)
    page = client.get("/town/yintu/filings")
    assert page.status_code == 200 and "<html" in page.text
    pending, recent = page.text.split("最近办理的")
    assert "湖滨村" in pending and f'href="/town/yintu/filings/{filing.id}"' in pending
    assert "山前村" not in pending
    assert "山前村" in recent and "已备案" in recent
    assert "待备案（1 份）" in page.text


def test_filings_list_plain_and_boosted(client, officer, filing):
    login_as(client, officer)
    boosted = client.get(
        "/town/yintu/filings", headers={"HX-Request": "true", "HX-Boosted": "true"}
    )
    assert boosted.status_code == 200 and "湖滨村" in boosted.text
    assert "HX-Request" in boosted.headers["Vary"]


def test_filings_list_when_there_is_nothing(client, officer, town):
    login_as(client, officer)
    page = client.get("/town/yintu/filings").text
    assert "现在没有待备案的村规民约" in page and "还没有办理过备案" in page


def test_filings_list_pages(client, town, officer):
    village = VillageFactory(town=town)
    clerk = rf.committee(village)
    for _ in range(22):
        version = rf.draft(village, clerk)
        db.session.add(
            RuleFiling(version=version, village_id=village.id, town_id=town.id, state="pending")
        )
    db.session.commit()
    login_as(client, officer)
    first = client.get("/town/yintu/filings").text
    assert first.count('class="cell-link"') == 20 and "第 1 页，共 2 页" in first
    second = client.get("/town/yintu/filings?page=2").text
    assert second.count('class="cell-link"') == 2
    assert client.get("/town/yintu/filings?page=abc").status_code == 200


# --- one filing ---------------------------------------------------------------------------


def test_filing_page_shows_the_articles_and_the_vote(client, officer, filing):
    login_as(client, officer)
    page = client.get(f"/town/yintu/filings/{filing.id}")
    assert page.status_code == 200
    for body in rf.ARTICLES:
        assert body in page.text
    assert "湖滨村" in page.text and "赞成 2" in page.text
    assert "准予备案" in page.text and "退回修改" in page.text


def test_mark_filed(client, officer, filing):
    login_as(client, officer)
    response = client.post(f"/town/yintu/filings/{filing.id}", data={"decision": "filed"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/town/yintu/filings")
    done = reread(filing)
    assert done.state == FilingState.FILED and done.decided_by_id == officer.id
    assert actions("rules.filing_filed") == 1
    assert "湖滨村的村规民约已备案" in client.get("/town/yintu/filings").text
    page = client.get(f"/town/yintu/filings/{filing.id}").text
    assert "已备案" in page and 'name="decision"' not in page


def test_return_for_correction_with_a_reason(client, hubin, officer, filing):
    login_as(client, officer)
    response = client.post(
        f"/town/yintu/filings/{filing.id}",
        data={"decision": "returned", "reason": "第三条设定了罚款，请删去。"},
    )
    assert response.status_code == 303
    done = reread(filing)
    assert done.state == FilingState.RETURNED and done.reason == "第三条设定了罚款，请删去。"
    assert actions("rules.filing_returned") == 1
    # The committee sees the reason on the version's console page.
    login_as(client, rf.committee(hubin))
    version = done.version
    page = client.get(f"/v/hubin/manage/rules/{version.document_id}/versions/{version.number}")
    assert "第三条设定了罚款，请删去。" in page.text


@pytest.mark.parametrize(
    "data, message",
    [
        ({"decision": "returned", "reason": ""}, "请写明退回修改的理由"),
        ({"decision": "returned", "reason": "  \r\n "}, "请写明退回修改的理由"),
        ({"decision": "returned", "reason": "理" * 501}, "理由最多 500 个字"),
        ({"decision": "approved"}, "请选择准予备案或退回修改"),
        ({}, "请选择准予备案或退回修改"),
    ],
)
def test_bad_decisions_are_refused(client, officer, filing, data, message):
    login_as(client, officer)
    response = client.post(f"/town/yintu/filings/{filing.id}", data=data)
    assert response.status_code == 422 and message in response.text
    assert reread(filing).state == FilingState.PENDING
    assert actions("rules.filing_filed") + actions("rules.filing_returned") == 0


def test_a_decided_filing_cannot_be_decided_again(client, officer, filing):
    login_as(client, officer)
    first = client.post(f"/town/yintu/filings/{filing.id}", data={"decision": "filed"})
    assert first.status_code == 303
    again = client.post(
        f"/town/yintu/filings/{filing.id}", data={"decision": "returned", "reason": "晚了"}
    )
    assert again.status_code == 422 and "已经办理过了" in again.text
    assert reread(filing).state == FilingState.FILED
    assert actions("rules.filing_returned") == 0


# --- who may --------------------------------------------------------------------------


def test_another_towns_filing_is_not_found(client, officer, town):
    elsewhere = VillageFactory(town=TownFactory(slug="other"))
    foreign = send_for_filing(elsewhere)
    login_as(client, officer)
    assert client.get(f"/town/yintu/filings/{foreign.id}").status_code == 404
    response = client.post(f"/town/yintu/filings/{foreign.id}", data={"decision": "filed"})
    assert response.status_code == 404
    assert reread(foreign).state == FilingState.PENDING
    assert client.get("/town/other/filings").status_code == 403


@pytest.mark.parametrize("who", ["other town", "committee", "supervisor", "villager"])
def test_others_are_refused(client, hubin, filing, who):
    user = {
        "other town": lambda: official(Role.TOWN_OFFICIAL, town=TownFactory()),
        "committee": lambda: official(Role.COMMITTEE, village=hubin),
        "supervisor": lambda: official(Role.SUPERVISOR, village=hubin),
        "villager": lambda: villager(hubin),
    }[who]()
    login_as(client, user)
    assert client.get("/town/yintu/filings").status_code == 403
    assert client.get(f"/town/yintu/filings/{filing.id}").status_code == 403
    response = client.post(f"/town/yintu/filings/{filing.id}", data={"decision": "filed"})
    assert response.status_code == 403
    assert reread(filing).state == FilingState.PENDING


def test_visitor_is_sent_to_login(client, filing):
    for path in ("/town/yintu/filings", f"/town/yintu/filings/{filing.id}"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- cost ---------------------------------------------------------------------------------


def add_filings(town, n: int, decided: int) -> None:
    """`n` pending filings and `decided` filed ones, each village of the town its own."""
    for i in range(n + decided):
        village = VillageFactory(town=town)
        version = rf.draft(village, rf.committee(village))
        state = "pending" if i < n else "filed"
        db.session.add(
            RuleFiling(version=version, village_id=village.id, town_id=town.id, state=state)
        )
    db.session.commit()


def count_for(client, path: str) -> int:
    client.get(path)
    with statements() as seen:
        assert client.get(path).status_code == 200
    return len(seen)


def test_filings_list_costs_the_same_for_many_villages(client, town, officer):
    login_as(client, officer)
    add_filings(town, 1, 1)
    few = count_for(client, "/town/yintu/filings")
    add_filings(town, 25, 25)
    many = count_for(client, "/town/yintu/filings")
    assert many == few, (few, many)
