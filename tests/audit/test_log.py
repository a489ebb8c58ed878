"""The action log 操作日志 at /v/<village>/manage/log: who may read it, what it shows,
its filters, its keyset pages, and what bad input gets."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from portal.audit.models import ActionLog
from portal.auth.models import Role
from portal.extensions import db
from tests.conftest import htmx_headers, login_as
from tests.factories import (
    GridFactory,
    TownFactory,
    UserFactory,
    VillageFactory,
    official,
    villager,
)
from tests.statements import statements

LOG = "/v/hubin/manage/log"
NOON = datetime(2026, 11, 20, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai


@pytest.fixture
def town(app):
    return TownFactory(name="银涂镇", slug="yintu")


@pytest.fixture
def village(town):
    return VillageFactory(town=town, name="湖滨村", slug="hubin")


@pytest.fixture
def other_village():
    return VillageFactory(name="山前村", slug="shanqian")


@pytest.fixture
def committee(village):
    user = official(Role.COMMITTEE, village=village)
    user.name = "王主任"
    db.session.commit()
    return user


@pytest.fixture
def supervisor(village):
    return official(Role.SUPERVISOR, village=village)


def add_entry(village, actor=None, action="notice.publish", *, at=NOON, role=None, **fields):
    """One log row, written as record_action writes it, at a moment the test chooses."""
    row = ActionLog(
        at=at,
        actor_id=getattr(actor, "id", None),
        role=role or ("committee" if actor is not None else "system"),
        village_id=village.id,
        town_id=village.town_id,
        action=action,
        object_type=fields.pop("object_type", "notice"),
        object_id=fields.pop("object_id", 1),
        summary=fields.pop("summary", {}),
        ip=fields.pop("ip", "203.0.113.9"),
    )
    assert not fields, fields
    db.session.add(row)
    db.session.commit()
    return row


def entry_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'id="log-(\d+)"', html)]


def next_link(html: str) -> str | None:
    match = re.search(r'id="log-more">\s*<a class="button" href="([^"]+)"', html)
    return match.group(1).replace("&amp;", "&") if match else None


def count_rows() -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(ActionLog))


# --- who may read it ----------------------------------------------------------------


def test_visitor_is_sent_to_login(client, village):
    response = client.get(LOG)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    htmx = client.get(LOG, headers=htmx_headers("log-list"))
    assert "/login" in htmx.headers["HX-Redirect"]


@pytest.mark.parametrize(
    "who",
    ["villager", "grid_worker", "foreign_committee", "foreign_supervisor", "foreign_official"],
)
def test_refused(client, village, other_village, who):
    user = {
        "villager": lambda: villager(village),
        "grid_worker": lambda: official(
            Role.GRID_WORKER, village=village, grid=GridFactory(village=village)
        ),
        "foreign_committee": lambda: official(Role.COMMITTEE, village=other_village),
        "foreign_supervisor": lambda: official(Role.SUPERVISOR, village=other_village),
        "foreign_official": lambda: official(Role.TOWN_OFFICIAL, town=other_village.town),
    }[who]()
    add_entry(village)
    login_as(client, user)
    assert client.get(LOG).status_code == 403
    assert client.get(LOG, headers=htmx_headers("log-list")).status_code == 403


def test_a_revoked_town_official_is_refused(client, village, town):
    user = official(Role.TOWN_OFFICIAL, town=town)
    user.grants[0].revoked_at = NOON
    db.session.commit()
    login_as(client, user)
    assert client.get(LOG).status_code == 403


def test_unknown_village_is_404(client, committee):
    login_as(client, committee)
    assert client.get("/v/nowhere/manage/log").status_code == 404


@pytest.mark.parametrize("who", ["committee", "supervisor", "town_official"])
def test_allowed(client, village, town, committee, supervisor, who):
    user = {
        "committee": committee,
        "supervisor": supervisor,
        "town_official": official(Role.TOWN_OFFICIAL, town=town),
    }[who]
    add_entry(village, committee, summary={"after": {"title": "修路公告"}})
    login_as(client, user)
    page = client.get(LOG)
    assert page.status_code == 200
    assert "王主任" in page.text and "发布公告" in page.text and "修路公告" in page.text
    assert page.headers["Cache-Control"] == "no-store"
    if who == "town_official":
        assert 'href="/town/yintu/"' in page.text and "/manage/notices/1" not in page.text
        assert 'href="/v/hubin/notices/1"' in page.text
    else:
        assert 'href="/v/hubin/manage/"' in page.text
        assert 'href="/v/hubin/manage/notices/1"' in page.text


# --- what an entry shows -------------------------------------------------------------


def test_an_entry_shows_when_who_what_and_the_change(client, village, committee):
    add_entry(
        village,
        committee,
        "notice.pin",
        at=datetime(2026, 11, 25, 17, 30, tzinfo=UTC),  # 26 Nov, 01:30 in Shanghai
        object_id=7,
        summary={
            "before": {"pinned": False, "title": "同"},
            "after": {"pinned": True, "title": "同"},
        },
        ip="198.51.100.23",
    )
    add_entry(
        village,
        None,
        "rules.vote_open",
        object_type="ruleversion",
        object_id=3,
        summary={"before": {"state": "draft"}, "after": {"state": "voting"}},
    )
    add_entry(village, committee, "harvest.entry_add", object_type="harvestentry", object_id=2)
    login_as(client, committee)
    page = client.get(LOG).text
    assert "2026年11月26日 01:30" in page
    assert "置顶公告" in page and "村委会" in page
    pinned = page.split('id="log-1"')[1].split("</li>\n  <li")[0]
    assert "置顶：否" in pinned and "是</li>" in pinned and "标题" not in pinned
    # The portal's own action (flask tick) is the system's; unknown names show as stored.
    assert "系统" in page and "开始表决" in page and "村规民约版本 #3" in page
    assert "状态：草案" in page and "表决中</li>" in page  # states in words
    assert "harvest.entry_add" in page and "harvestentry #2" in page
    # No IP address, no phone number, of anyone.
    assert "198.51.100.23" not in page and "203.0.113.9" not in page
    assert committee.phone not in page


def test_long_values_are_cut_and_phone_numbers_masked(client, village, committee):
    add_entry(
        village,
        committee,
        "notice.edit",
        summary={
            "before": {"body": "请联系 13912345678 报名"},
            "after": {"body": "长" * 300, "tags": ["a", "b"]},
        },
    )
    login_as(client, committee)
    page = client.get(LOG).text
    assert "13912345678" not in page and "139****5678" in page
    assert "长" * 79 + "…" in page and "长" * 81 not in page
    assert "[&#34;a&#34;, &#34;b&#34;]" in page


def test_an_empty_log_says_so(client, committee):
    login_as(client, committee)
    assert "还没有操作记录" in client.get(LOG).text


def test_only_this_villages_entries(client, village, other_village, committee):
    mine = add_entry(village, committee)
    add_entry(other_village, official(Role.COMMITTEE, village=other_village))
    login_as(client, committee)
    assert entry_ids(client.get(LOG).text) == [mine.id]


# --- htmx and plain requests --------------------------------------------------------


def test_plain_request_is_a_whole_page(client, village, committee):
    add_entry(village, committee)
    login_as(client, committee)
    page = client.get(LOG)
    assert "<html" in page.text and 'id="log-list"' in page.text
    assert "HX-Request" in page.headers["Vary"]


def test_htmx_filter_swaps_only_the_list(client, village, committee):
    first = add_entry(village, committee, "notice.publish")
    second = add_entry(village, committee, "rules.create", object_type="ruledocument")
    login_as(client, committee)
    part = client.get(LOG + "?kind=rules", headers=htmx_headers("log-list"))
    assert part.status_code == 200
    assert "<html" not in part.text and "<form" not in part.text
    assert entry_ids(part.text) == [second.id] and first.id not in entry_ids(part.text)
    assert "HX-Request" in part.headers["Vary"]
    boosted = client.get(LOG, headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "<html" in boosted.text


def test_load_more_appends_the_next_rows(client, village, committee):
    rows = [add_entry(village, committee, at=NOON + timedelta(minutes=i)) for i in range(35)]
    login_as(client, committee)
    page = client.get(LOG).text
    assert entry_ids(page) == [r.id for r in reversed(rows)][:30]
    more = client.get(next_link(page), headers=htmx_headers("log-more"))
    assert "<html" not in more.text and "<ol" not in more.text
    assert more.text.lstrip().startswith("<li")
    assert entry_ids(more.text) == [r.id for r in reversed(rows)][30:]
    assert next_link(more.text) is None
    # Without JavaScript the same link is a page of its own, with the way back.
    plain = client.get(next_link(page)).text
    assert entry_ids(plain) == [r.id for r in reversed(rows)][30:] and "回到最新的记录" in plain


def test_pages_across_equal_timestamps_lose_and_repeat_nothing(client, village, committee):
    """Entries written in one instant (a roster import, a vote closed with its result)
    share `at`: the cursor's id splits them, so each entry shows exactly once."""
    moments = [NOON, NOON, NOON + timedelta(seconds=1)]
    rows = [add_entry(village, committee, at=moments[i % 3]) for i in range(40)]
    rows += [add_entry(village, committee, at=NOON) for _ in range(31)]
    expected = [r.id for r in sorted(rows, key=lambda r: (r.at, r.id), reverse=True)]
    login_as(client, committee)
    seen: list[int] = []
    url = LOG
    while url:
        page = client.get(url, headers=htmx_headers("log-more") if seen else {}).text
        seen += entry_ids(page)
        url = next_link(page)
    assert seen == expected and len(set(seen)) == 71


def test_the_next_page_keeps_the_filters(client, village, committee):
    for i in range(32):
        add_entry(village, committee, "rules.create", at=NOON + timedelta(minutes=i))
    add_entry(village, committee, "notice.publish", at=NOON - timedelta(days=1))
    login_as(client, committee)
    page = client.get(LOG + "?kind=rules").text
    link = next_link(page)
    assert "kind=rules" in link
    rest = client.get(link).text
    assert len(entry_ids(rest)) == 2 and "发布公告" not in rest.split('id="log-list"')[1]


# --- filters -----------------------------------------------------------------------


def test_filter_by_person(client, village, committee, supervisor):
    other = official(Role.COMMITTEE, village=village)
    mine = add_entry(village, committee)
    add_entry(village, other)
    system = add_entry(village, None, "rules.vote_open")
    login_as(client, supervisor)
    page = client.get(LOG).text
    picker = page.split('id="log-actor"')[1].split("</select>")[0]
    assert "王主任" in picker and other.name in picker and ">系统<" in picker
    assert supervisor.name not in picker  # never acted here
    assert entry_ids(client.get(f"{LOG}?actor={committee.id}").text) == [mine.id]
    assert entry_ids(client.get(f"{LOG}?actor=system").text) == [system.id]
    chosen = client.get(f"{LOG}?actor={committee.id}").text
    assert f'<option value="{committee.id}" selected>王主任</option>' in chosen


def test_an_id_typed_in_the_address_names_nobody(client, village, committee):
    stranger = UserFactory(name="外村人")
    add_entry(village, committee)
    login_as(client, committee)
    page = client.get(f"{LOG}?actor={stranger.id}").text
    assert "外村人" not in page and "没有符合这些条件的记录" in page


def test_filter_by_kind(client, village, committee):
    rules = add_entry(village, committee, "rules.vote_close", object_type="ruleversion")
    notice = add_entry(village, committee, "notice.publish")
    invite = add_entry(village, committee, "invite.issue", object_type="invitecode")
    odd = add_entry(village, committee, "create_village", object_type="village", role="admin")
    new = add_entry(village, committee, "boards.entry_add", object_type="boardentry")
    login_as(client, committee)
    page = client.get(LOG).text
    kinds = page.split('id="log-kind"')[1].split("</select>")[0]
    for label in ("村规民约", "村务公开", "邀请码", "建立村"):
        assert f">{label}</option>" in kinds
    assert '<option value="boards">boards</option>' in kinds  # no label: the raw name
    assert entry_ids(client.get(f"{LOG}?kind=boards").text) == [new.id]
    assert entry_ids(client.get(f"{LOG}?kind=rules").text) == [rules.id]
    assert entry_ids(client.get(f"{LOG}?kind=notice").text) == [notice.id]
    assert entry_ids(client.get(f"{LOG}?kind=invite").text) == [invite.id]
    assert entry_ids(client.get(f"{LOG}?kind=create_village").text) == [odd.id]
    # "_" is a LIKE wildcard; a kind is matched as written.
    assert entry_ids(client.get(f"{LOG}?kind=rule_").text) == []


def test_filter_by_object(client, village, committee):
    a = add_entry(village, committee, object_type="notice", object_id=4)
    b = add_entry(village, committee, object_type="notice", object_id=5)
    c = add_entry(village, committee, "rules.create", object_type="ruledocument", object_id=4)
    login_as(client, committee)
    objects = client.get(LOG).text.split('id="log-object"')[1].split("</select>")[0]
    assert ">公告</option>" in objects and ">村规民约</option>" in objects
    assert entry_ids(client.get(f"{LOG}?object=notice").text) == [b.id, a.id]
    assert entry_ids(client.get(f"{LOG}?object=notice&object_id=4").text) == [a.id]
    assert entry_ids(client.get(f"{LOG}?object_id=4").text) == [c.id, a.id]


def test_filter_by_local_dates(client, village, committee):
    """Dates are Shanghai's: 16:30 UTC on the 25th is already the 26th there."""
    late = add_entry(village, committee, at=datetime(2026, 11, 25, 15, 59, tzinfo=UTC))
    early = add_entry(village, committee, at=datetime(2026, 11, 25, 16, 30, tzinfo=UTC))
    next_day = add_entry(village, committee, at=datetime(2026, 11, 26, 16, 0, tzinfo=UTC))
    login_as(client, committee)

    def ids(query: str) -> list[int]:
        return entry_ids(client.get(f"{LOG}?{query}").text)

    assert ids("from=2026-11-26&to=2026-11-26") == [early.id]
    assert ids("to=2026-11-25") == [late.id]
    assert ids("from=2026-11-26") == [next_day.id, early.id]
    assert ids("from=2026-11-25&to=2026-11-27") == [next_day.id, early.id, late.id]
    page = client.get(f"{LOG}?from=2026-11-26").text
    assert 'value="2026-11-26"' in page and "清除筛选" in page


@pytest.mark.parametrize(
    "query, message",
    [
        ("from=not-a-date", "不是有效的日期"),
        ("to=2026-02-30", "不是有效的日期"),
        ("from=0001-01-01", "不是有效的日期"),
        ("from=2026-11-27&to=2026-11-01", "开始日期晚于结束日期"),
        ("actor=1%20OR%201=1", "没有这个经办人"),
        ("actor=%C2%B2", "没有这个经办人"),
        ("kind=%3Cscript%3Ealert(1)%3C/script%3E", "没有这类事项"),
        ("kind=rules%25", "没有这类事项"),
        ("object=notice'--", "没有这类对象"),
        ("object_id=-3", "对象编号应当是一个正整数"),
        ("object_id=99999999999999999999999", "对象编号应当是一个正整数"),
        ("cursor=garbage", "翻页的位置无法识别"),
        ("cursor=999999999999999999-1", "翻页的位置无法识别"),
        ("cursor=1-99999999999999999999", "翻页的位置无法识别"),
        ("from=%00x", "不是有效的日期"),  # the NUL is dropped as the request is read
    ],
)
def test_bad_filter_values_get_a_message_and_the_default_list(
    client, village, committee, query, message
):
    row = add_entry(village, committee)
    login_as(client, committee)
    for headers in ({}, htmx_headers("log-list")):
        response = client.get(f"{LOG}?{query}", headers=headers)
        assert response.status_code == 200, query
        assert message in response.text and entry_ids(response.text) == [row.id]
        assert "<script>alert" not in response.text


# --- cost, and no writes -----------------------------------------------------------


def test_a_get_writes_nothing(client, village, committee, town):
    add_entry(village, committee)
    before = count_rows()
    for user in (committee, official(Role.TOWN_OFFICIAL, town=town)):
        login_as(client, user)
        client.get(LOG)
        client.get(LOG + "?kind=notice", headers=htmx_headers("log-list"))
    assert count_rows() == before


# The access check's statements (the session's account, the village, the roles held
# there with the roster entry), then the page's own: the filter choices, the page of
# entries, the actors' names. A town official's access costs one more: the town's grants.
LOG_CEILING = 4 + 3


def test_a_page_costs_a_fixed_number_of_statements(client, village, committee, town):
    people = [official(Role.COMMITTEE, village=village) for _ in range(5)]

    def cost(path: str) -> int:
        client.get(path)
        with statements() as seen:
            assert client.get(path).status_code == 200
        return len(seen)

    login_as(client, committee)
    add_entry(village, committee)
    few = cost(LOG)
    for i in range(60):
        add_entry(
            village, people[i % 5], at=NOON + timedelta(minutes=i), summary={"after": {"n": i}}
        )
    many = cost(LOG)
    print(f"action log: {few} statements")
    assert few == many <= LOG_CEILING
    assert cost(LOG + "?kind=notice&from=2026-11-01") == many
    login_as(client, official(Role.TOWN_OFFICIAL, town=town))
    assert cost(LOG) == many + 1


# --- the ways in -------------------------------------------------------------------


def test_the_console_home_links_to_the_log(client, committee):
    login_as(client, committee)
    assert f'href="{LOG}"' in client.get("/v/hubin/manage/").text


def test_the_town_office_links_to_each_villages_log(client, village, town):
    VillageFactory(town=town, name="山前村", slug="shanqian2")
    login_as(client, official(Role.TOWN_OFFICIAL, town=town))
    page = client.get("/town/yintu/").text
    assert f'href="{LOG}"' in page and 'href="/v/shanqian2/manage/log"' in page
    assert "湖滨村的操作日志" in page
