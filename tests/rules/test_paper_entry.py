"""The keyboard-first paper-ballot entry page: search, entry, undo and the running count,
each plain and with htmx, each refusal writing nothing."""

from __future__ import annotations

import gzip
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from portal import clock
from portal.actions import Refusal
from portal.audit.models import ActionLog
from portal.auth.models import Role
from portal.extensions import db
from portal.rules import services
from portal.rules.models import Ballot, BallotChannel
from portal.rules.paper import PaperCount, paper_count, undo_paper_ballot
from tests.conftest import htmx_headers, login_as
from tests.factories import (
    GridFactory,
    HouseholdFactory,
    ResidentFactory,
    VillageFactory,
    official,
    villager,
)
from tests.notices.html_check import elements
from tests.rules import factories as rf
from tests.statements import statements

BASE = "/v/hubin/manage/rules"


def count(model, *where) -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def log_rows(action: str | None = None) -> int:
    return count(ActionLog, *([ActionLog.action == action] if action else []))


def paper_url(version) -> str:
    return f"{BASE}/{version.document_id}/versions/{version.number}/paper"


def gzipped(text: str) -> int:
    return len(gzip.compress(text.encode()))


def partial(response) -> str:
    assert "<html" not in response.text
    return response.text


def search_value(html: str) -> str | None:
    return next((a.get("value") for t, a in elements(html) if a.get("id") == "paper-q"), None)


@pytest.fixture
def village(app):
    return VillageFactory(name="湖滨村", slug="hubin")


@pytest.fixture
def clerk(village):
    return rf.committee(village)


@pytest.fixture
def as_clerk(client, clerk):
    login_as(client, clerk)
    return client


@pytest.fixture
def at(monkeypatch):
    def travel(moment):
        monkeypatch.setattr(clock, "now", lambda: moment)
        return moment

    return travel


@pytest.fixture
def voter(village):
    """赵六, the one on the roll with an account: he may vote online."""
    return villager(village, name="赵六")


@pytest.fixture
def roll(village, voter):
    """Residents on the roster, most of them without an account, as at a real assembly."""
    doors = {"王大明": "12号", "王小红": "12号", "张三": "3号", "李四": "45号"}
    households = {
        door: HouseholdFactory(village=village, door_number=door)
        for door in sorted(set(doors.values()))
    }
    people = {
        name: ResidentFactory(household=households[door], name=name) for name, door in doors.items()
    }
    people["赵六"] = voter.resident
    return people


@pytest.fixture
def vote(village, clerk, roll, at):
    """A vote under way, its roll frozen at the opening: the five residents above."""
    version = rf.voting(village, clerk)
    at(rf.during(version))
    return version


def entry(resident, choice="yes", q="王"):
    return {"resident_id": str(resident.id), "choice": choice, "q": q}


def enter(clerk, version, resident, choice="yes"):
    """A paper ballot entered through the service, as another clerk's session would."""
    ballot = services.enter_paper_ballot(clerk, version, resident, choice, rf.during(version))
    db.session.commit()
    return ballot


# --- the page and the search -------------------------------------------------------------


def test_the_page_plain(as_clerk, vote):
    page = as_clerk.get(paper_url(vote))
    assert page.status_code == 200 and "<html" in page.text
    assert page.headers["Vary"].count("HX-Request") == 1
    assert 'id="paper-q"' in page.text and "autofocus" in page.text
    assert "本次表决已录入纸质选票 0 张。" in page.text and "其中您录入 0 张。" in page.text
    assert "参加表决 0 人，有表决权 5 人（0%）。" in page.text
    # A fingerprinted name from the set-up's build, or `?v=` where it was not run.
    assert "<script src=" in page.text
    assert "/static/build/js/paper." in page.text or "/static/js/paper.js?v=" in page.text
    assert 'name="ballot_id"' not in page.text  # nothing entered, nothing to undo


def test_a_boosted_visit_becomes_a_full_page_load(as_clerk, vote):
    """Swapped in by htmx, the page's script would not run and the keys would be dead."""
    url = f"{paper_url(vote)}?q={quote('王')}"
    response = as_clerk.get(url, headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert response.status_code == 200 and response.headers["HX-Redirect"] == url
    assert response.text == ""


def test_the_page_in_english(as_clerk, vote):
    as_clerk.set_cookie("lang", "en")
    text = as_clerk.get(f"{paper_url(vote)}?q=王").text
    assert "Paper ballots entered for this vote: 0." in text and "You entered 0 of them." in text
    assert "Found on the roll: 2" in text and "Back to “湖滨村村规民约”, version 1" in text


def test_search_plain_and_active(as_clerk, vote, clerk, roll):
    enter(clerk, vote, roll["王小红"])
    plain = as_clerk.get(f"{paper_url(vote)}?q=王")
    assert plain.status_code == 200 and "<html" in plain.text
    assert "王大明" in plain.text and "王小红" in plain.text and "张三" not in plain.text
    assert "纸质选票已录入" in plain.text  # 王小红: shown, with no buttons
    assert plain.text.count('name="resident_id"') == 1
    assert search_value(plain.text) == "王"

    active = as_clerk.get(f"{paper_url(vote)}?q=12号", headers=htmx_headers("paper-results"))
    text = partial(active)
    assert active.status_code == 200 and "Vary" in active.headers
    assert "王大明" in text and "王小红" in text and "paper-count" not in text
    assert text.count('data-key="1"') == 1 and 'data-q="12号"' in text
    assert gzipped(text) < 4096


def test_search_shows_who_voted_online(as_clerk, vote, voter):
    services.cast_ballot(vote, voter, "no", rf.during(vote))
    db.session.commit()
    text = partial(as_clerk.get(f"{paper_url(vote)}?q=赵", headers=htmx_headers("paper-results")))
    assert "已在网上投票，不能再录入纸质选票" in text and 'name="resident_id"' not in text


def test_search_finds_nobody_off_the_roll(as_clerk, vote):
    text = partial(as_clerk.get(f"{paper_url(vote)}?q=钱", headers=htmx_headers("paper-results")))
    assert "名单上没有找到“钱”" in text


def test_the_search_costs_the_same_for_one_row_or_twenty(as_clerk, village, clerk, at):
    """The search runs on every keystroke: its statements do not grow with its rows, and
    a full list of twenty stays within an htmx partial's 4 KB."""
    household = HouseholdFactory(village=village, door_number="88号")
    for n in range(20):
        ResidentFactory(household=household, name=f"王{n:02d}")
    version = rf.voting(village, clerk)
    at(rf.during(version))
    url = paper_url(version)

    def search(q):
        with statements() as seen:
            text = as_clerk.get(f"{url}?q={q}", headers=htmx_headers("paper-results")).text
        return len(seen), text

    one, text = search("王07")
    assert text.count('name="resident_id"') == 1
    twenty, text = search("王")
    assert text.count('name="resident_id"') == 20 and twenty == one
    assert gzipped(text) < 4096


def test_a_full_page_is_light(as_clerk, vote):
    text = as_clerk.get(f"{paper_url(vote)}?q=王").text
    assert gzipped(text) < 8192


# --- entering ------------------------------------------------------------------------------


def test_enter_by_plain_form(as_clerk, vote, roll, clerk):
    response = as_clerk.post(paper_url(vote), data=entry(roll["王大明"], "no"))
    assert response.status_code == 303
    assert response.headers["Location"].endswith(paper_url(vote))  # the search is cleared
    ballot = db.session.scalar(sa.select(Ballot))
    assert (ballot.resident_id, ballot.choice, ballot.channel, ballot.cast_by_id) == (
        roll["王大明"].id,
        "no",
        BallotChannel.PAPER,
        clerk.id,
    )
    assert log_rows("rules.paper_ballot") == 1
    page = as_clerk.get(response.headers["Location"]).text
    assert "已录入王大明（12号）的纸质选票：反对。" in page
    assert search_value(page) == ""
    assert "本次表决已录入纸质选票 1 张。" in page and "撤销这一张" in page


def test_enter_in_place(as_clerk, vote, roll):
    response = as_clerk.post(
        paper_url(vote),
        data=entry(roll["张三"], "abstain", q="3号"),
        headers=htmx_headers("paper-entry"),
        csrf="header",
    )
    text = partial(response)
    assert response.status_code == 200
    assert "已录入张三（3号）的纸质选票：弃权。" in text
    assert search_value(text) == ""  # cleared for the next ballot
    assert "paper-choices" not in text  # no results left over
    assert "本次表决已录入纸质选票 1 张。" in text and "其中您录入 1 张。" in text
    assert "参加表决 1 人，有表决权 5 人（20%）。" in text
    assert "您录入的上一张：张三（3号），弃权。" in text
    assert gzipped(text) < 4096
    assert count(Ballot) == 1


def test_the_version_page_links_to_the_entry_page(as_clerk, vote):
    page = as_clerk.get(f"{BASE}/{vote.document_id}/versions/{vote.number}").text
    assert f'href="{paper_url(vote)}"' in page


@pytest.mark.parametrize(
    "case, message",
    [
        ("no choice", "请选择赞成、反对或弃权"),
        ("forged choice", "请选择赞成、反对或弃权"),
        ("no resident", "请先查找并选定一位村民"),
        ("not on the roll", "不在本次表决的名单上"),
        ("other village", "名单上没有这个人"),
        ("voted online", "赵六已经在网上投过票，不能再录入纸质选票"),
        ("twice", "王大明的纸质选票已经录入过了"),
    ],
)
@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_entry_refusals_write_nothing(
    as_clerk, village, vote, roll, voter, clerk, case, message, htmx
):
    data = entry(roll["王大明"])
    if case == "no choice":
        del data["choice"]
    elif case == "forged choice":
        data["choice"] = "maybe"
    elif case == "no resident":
        data["resident_id"] = "abc"
    elif case == "not on the roll":
        late = ResidentFactory(household=HouseholdFactory(village=village), name="王迟到")
        data["resident_id"] = str(late.id)
    elif case == "other village":
        data["resident_id"] = str(ResidentFactory(name="王外村").id)
    elif case == "voted online":
        services.cast_ballot(vote, voter, "yes", rf.during(vote))
        db.session.commit()
        data = entry(roll["赵六"], q="赵")
    elif case == "twice":
        enter(clerk, vote, roll["王大明"])
    ballots, logs = count(Ballot), log_rows()
    headers = htmx_headers("paper-entry") if htmx else {}
    response = as_clerk.post(paper_url(vote), data=data, headers=headers)
    assert response.status_code == 422, case
    assert message in response.text, case
    assert ("<html" in response.text) is not htmx
    assert 'role="alert"' in response.text
    assert search_value(response.text) == data["q"]  # the search kept, to try again
    assert count(Ballot) == ballots and log_rows() == logs
    if case == "voted online":
        assert db.session.scalar(sa.select(Ballot.channel)) == BallotChannel.ONLINE


def test_no_entry_before_the_vote_opens(as_clerk, village, clerk, roll):
    version = rf.announced(village, clerk)
    page = as_clerk.get(paper_url(version)).text
    assert "表决还没有开始" in page and 'id="paper-q"' not in page
    response = as_clerk.post(paper_url(version), data=entry(roll["张三"]))
    assert response.status_code == 422 and "这次表决现在不能录入纸质选票" in response.text
    assert count(Ballot) == 0


def test_entry_after_the_window_until_the_close(as_clerk, vote, roll, at):
    at(rf.after(vote))
    response = as_clerk.post(paper_url(vote), data=entry(roll["李四"]))
    assert response.status_code == 303 and count(Ballot) == 1


# --- who may ------------------------------------------------------------------------------


def grid_worker(village):
    return official(Role.GRID_WORKER, village=village, grid=GridFactory(village=village))


@pytest.mark.parametrize(
    "who",
    ["villager", "grid worker", "supervisor", "other village's committee", "visitor"],
)
def test_who_may_not_enter_or_undo(client, village, vote, roll, clerk, who):
    ballot = enter(clerk, vote, roll["李四"])
    other = VillageFactory()
    user = {
        "villager": lambda: villager(village),
        "grid worker": lambda: grid_worker(village),
        "supervisor": lambda: official(Role.SUPERVISOR, village=village),
        "other village's committee": lambda: rf.committee(other),
        "visitor": lambda: None,
    }[who]()
    if user is not None:
        login_as(client, user)
    ballots, logs = count(Ballot), log_rows()
    for url, data in [
        (paper_url(vote), entry(roll["王大明"])),
        (f"{paper_url(vote)}/undo", {"ballot_id": str(ballot.id)}),
    ]:
        for headers in ({}, htmx_headers("paper-entry")):
            response = client.post(url, data=data, headers=headers)
            if who == "visitor":
                assert response.status_code in (200, 302, 303, 401) and (
                    "/login" in response.headers.get("Location", "")
                    or "/login" in response.headers.get("HX-Redirect", "")
                ), response.status_code
            else:
                assert response.status_code == 403, (who, url)
    assert count(Ballot) == ballots and log_rows() == logs
    page = client.get(paper_url(vote))
    if who == "supervisor":
        assert page.status_code == 200 and "本次表决已录入纸质选票 1 张。" in page.text
    elif who == "visitor":
        assert page.status_code in (302, 303)
    else:
        assert page.status_code == 403


def test_supervisor_reads_the_matches_without_controls(client, village, vote, roll):
    login_as(client, official(Role.SUPERVISOR, village=village))
    text = client.get(f"{paper_url(vote)}?q=王").text
    assert "王大明" in text and "还没有选票" in text
    assert 'name="resident_id"' not in text and 'name="ballot_id"' not in text
    assert "其中您录入" not in text


# --- undo ----------------------------------------------------------------------------------


def undo(client, version, ballot_id: int, headers=None, **kwargs):
    return client.post(
        f"{paper_url(version)}/undo",
        data={"ballot_id": str(ballot_id)},
        headers=headers or {},
        **kwargs,
    )


def test_undo_takes_back_only_the_clerks_last_entry(as_clerk, village, vote, roll, clerk):
    second_clerk = rf.committee(village)
    first = enter(clerk, vote, roll["王大明"], "yes")
    last = enter(clerk, vote, roll["张三"], "no")
    theirs = enter(second_clerk, vote, roll["李四"], "abstain")  # entered after, by another
    last_id, last_resident = last.id, last.resident_id
    response = undo(as_clerk, vote, last_id)
    assert response.status_code == 303
    remaining = set(db.session.scalars(sa.select(Ballot.id)))
    assert remaining == {first.id, theirs.id}
    row = db.session.scalar(
        sa.select(ActionLog).where(ActionLog.action == "rules.paper_ballot_undo")
    )
    assert row.actor_id == clerk.id and row.object_id == last_id
    assert row.summary["before"] == {
        "version_id": vote.id,
        "resident_id": last_resident,
        "choice": "no",
    }
    page = as_clerk.get(response.headers["Location"]).text
    assert "已撤销张三（3号）的纸质选票（反对），可以重新录入。" in page
    assert "您录入的上一张：王大明（12号），赞成。" in page  # the next undo would take this one
    # 张三's ballot may now be entered again, rightly.
    again = as_clerk.post(paper_url(vote), data=entry(roll["张三"], "yes", q="张"))
    assert again.status_code == 303
    assert count(Ballot, Ballot.resident_id == last_resident) == 1


def test_a_repeated_undo_does_not_take_back_the_entry_before(as_clerk, vote, roll, clerk):
    first_id = enter(clerk, vote, roll["王大明"]).id
    last_id = enter(clerk, vote, roll["张三"]).id
    assert undo(as_clerk, vote, last_id).status_code == 303
    again = undo(as_clerk, vote, last_id)
    assert again.status_code == 409 and "这张选票已经撤销了" in again.text
    assert db.session.scalar(sa.select(Ballot.id)) == first_id
    assert log_rows("rules.paper_ballot_undo") == 1


def test_undo_is_only_for_the_latest_entry(as_clerk, vote, roll, clerk):
    first_id = enter(clerk, vote, roll["王大明"]).id
    enter(clerk, vote, roll["张三"])
    response = undo(as_clerk, vote, first_id)
    assert response.status_code == 409 and "只能撤销您最近录入的那一张选票" in response.text
    assert count(Ballot) == 2 and log_rows("rules.paper_ballot_undo") == 0


def test_undo_is_refused_for_another_clerks_entry(as_clerk, village, vote, roll):
    theirs = enter(rf.committee(village), vote, roll["王大明"])
    response = undo(as_clerk, vote, theirs.id, headers=htmx_headers("paper-entry"), csrf="header")
    assert response.status_code == 403 and "只能撤销您自己录入的纸质选票" in partial(response)
    assert count(Ballot) == 1 and log_rows("rules.paper_ballot_undo") == 0


def test_undo_is_refused_for_an_online_ballot(as_clerk, vote, voter):
    online = services.cast_ballot(vote, voter, "yes", rf.during(vote)).ballot
    db.session.commit()
    assert undo(as_clerk, vote, online.id).status_code == 403
    assert count(Ballot) == 1


def test_undo_is_refused_after_the_close(as_clerk, vote, roll, clerk, at):
    ballot_id = enter(clerk, vote, roll["王大明"]).id
    at(rf.after(vote))
    services.close_vote(clerk, vote, rf.after(vote))
    db.session.commit()
    response = undo(as_clerk, vote, ballot_id)
    assert response.status_code == 409 and "表决已经结束，已录入的选票不能再撤销" in response.text
    assert count(Ballot) == 1 and log_rows("rules.paper_ballot_undo") == 0
    page = as_clerk.get(paper_url(vote)).text
    assert "表决已经结束" in page and 'id="paper-q"' not in page and 'name="ballot_id"' not in page
    assert "本次表决已录入纸质选票 1 张。" in page


def test_undo_in_place(as_clerk, vote, roll, clerk):
    ballot_id = enter(clerk, vote, roll["李四"], "yes").id
    response = undo(as_clerk, vote, ballot_id, headers=htmx_headers("paper-entry"), csrf="header")
    text = partial(response)
    assert response.status_code == 200
    assert "已撤销李四（45号）的纸质选票（赞成），可以重新录入。" in text
    assert "本次表决已录入纸质选票 0 张。" in text and 'name="ballot_id"' not in text
    assert gzipped(text) < 4096
    assert count(Ballot) == 0 and log_rows("rules.paper_ballot_undo") == 1


def test_undo_without_a_ballot_named(as_clerk, vote, roll, clerk):
    enter(clerk, vote, roll["李四"])
    response = as_clerk.post(f"{paper_url(vote)}/undo", data={"ballot_id": "x"})
    assert response.status_code == 422 and "没有指明要撤销哪一张选票" in response.text
    assert count(Ballot) == 1


def test_a_failed_undo_leaves_neither_change_nor_log(app, vote, roll, clerk, village):
    ballot = enter(clerk, vote, roll["李四"])
    with pytest.raises(Refusal):
        undo_paper_ballot(official(Role.SUPERVISOR, village=village), vote, ballot.id)
    db.session.rollback()
    assert count(Ballot) == 1 and log_rows("rules.paper_ballot_undo") == 0


# --- the running count ----------------------------------------------------------------------


def test_the_running_count(as_clerk, village, vote, roll, voter, clerk):
    for name in ("王大明", "张三"):
        assert as_clerk.post(paper_url(vote), data=entry(roll[name])).status_code == 303
    enter(rf.committee(village), vote, roll["李四"])
    services.cast_ballot(vote, voter, "no", rf.during(vote))
    db.session.commit()
    assert paper_count(vote, clerk.id) == PaperCount(total=3, by_clerk=2)
    page = as_clerk.get(paper_url(vote)).text
    assert "本次表决已录入纸质选票 3 张。" in page and "其中您录入 2 张。" in page
    assert "参加表决 4 人，有表决权 5 人（80%）。" in page
