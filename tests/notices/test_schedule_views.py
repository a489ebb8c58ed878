"""The disclosure schedule's console page: plain and htmx requests, bad input, refusals,
the console home's overdue figure, and what the page costs in SQL."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from portal import clock
from portal.audit.models import ActionLog
from portal.auth.models import Role, User
from portal.demo import COMMITTEE_PHONE, DEMO_VILLAGE
from portal.extensions import db
from portal.notices import schedule, services
from portal.notices.models import DisclosureCadence, DisclosureItem, Notice, NoticeCategory
from portal.notices.schedule import SHANGHAI, Status, current_period
from portal.villages.models import Village
from tests.conftest import htmx_headers, login_as
from tests.factories import RoleGrantFactory, VillageFactory, official, villager
from tests.manage.test_query_counts import ACCESS
from tests.notices.html_check import injected
from tests.statements import statements

PAGE = "/v/hubin/manage/disclosure"
NOW = datetime(2026, 11, 15, 10, tzinfo=SHANGHAI).astimezone(UTC)
GOOD = {"title": "集体资产资源", "category": "affairs", "cadence": "yearly", "grace_days": "10"}


@pytest.fixture(autouse=True)
def fixed_time(monkeypatch):
    """15 November 2026, 10:00 in Shanghai: the fourth quarter."""
    monkeypatch.setattr(clock, "now", lambda: NOW)


@pytest.fixture
def village(app):
    return VillageFactory(name="湖滨村", slug="hubin")


@pytest.fixture
def committee(village):
    return official(Role.COMMITTEE, village=village)


@pytest.fixture
def member(client, committee):
    login_as(client, committee)
    return committee


def sh(year, month, day, hour=0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=SHANGHAI).astimezone(UTC)


def add(committee, village, created, **fields) -> DisclosureItem:
    values = {"title": "财务收支", "category": "finance", "cadence": "quarterly"}
    values.update(fields)
    item = schedule.add_item(committee, village, now=created, **values)
    db.session.commit()
    return item


def publish(committee, village, at, category="finance"):
    notice = services.create_draft(
        committee, village, category=category, title="财务收支公开", body="见下表。", now=at
    )
    services.publish(committee, notice, now=at)
    db.session.commit()
    return notice


def items() -> list[DisclosureItem]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(DisclosureItem).order_by(DisclosureItem.id)))


def actions() -> list[str]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(ActionLog.action).order_by(ActionLog.id)))


# --- the page ------------------------------------------------------------------------------


def test_the_page_shows_each_status(client, village, member):
    add(member, village, sh(2026, 5, 20), title="财务收支")  # Q2 and Q3 missed
    add(member, village, sh(2026, 10, 2), title="党务", category="party")  # Q4 open
    add(member, village, sh(2026, 10, 2), title="村务", category="affairs")
    publish(member, village, sh(2026, 11, 1), category="affairs")  # Q4 paid
    page = client.get(PAGE)
    assert page.status_code == 200 and "<html" in page.text
    assert "HX-Request" in page.headers["Vary"]
    text = page.text
    assert "已逾期 1 项" in text and "待公开 1 项" in text and "已公开 1 项" in text
    assert "已逾期 128 天" in text
    assert "2026年第二季度的公开应在2026年7月10日前完成" in text
    assert "自2026年第二季度起共缺 2 期" in text
    assert "2026年第四季度，截止2027年1月10日" in text
    assert "2026年第四季度已公开；下一期截止2027年4月10日" in text
    # Overdue first, then due, then done.
    assert text.index("财务收支</h2>") < text.index("党务</h2>") < text.index("村务</h2>")
    # A link to write the notice for what is owed, not for what is done.
    assert text.count('href="/v/hubin/manage/notices/new?category=') == 2
    finance = items()[0]
    assert f'href="/v/hubin/manage/notices/new?category=finance&amp;item={finance.id}"' in text
    assert 'aria-current="page">公开目录' in text
    # The rule for which notice counts for which period, and what did count.
    assert "哪条公告算作哪一期" in text and "不会被以后按日期发布的公告自动补上" in text
    assert "算作这一期的公告：财务收支公开" in text


def test_a_village_without_a_schedule_is_offered_the_standard_one(client, village, member):
    page = client.get(PAGE)
    assert "本村还没有公开目录" in page.text and "使用标准公开目录" in page.text
    assert "财务收支（财务，每季度，宽限 10 天）" in page.text


def test_the_summary_alone_for_htmx(client, village, member):
    add(member, village, sh(2026, 5, 20))
    part = client.get(PAGE, headers=htmx_headers("schedule-summary"))
    assert part.status_code == 200
    assert "<html" not in part.text and 'id="schedule-summary"' in part.text
    assert "已逾期 1 项" in part.text and "schedule-list" not in part.text


def test_the_supervisor_reads_but_sees_no_controls(client, village, committee):
    add(committee, village, sh(2026, 5, 20))
    login_as(client, official(Role.SUPERVISOR, village=village))
    page = client.get(PAGE)
    assert page.status_code == 200 and "已逾期" in page.text
    assert '<form method="post" action="/v/hubin/manage/disclosure' not in page.text
    assert "添加公开事项" not in page.text and "停用" not in page.text


# --- adding --------------------------------------------------------------------------------


def test_adding_an_item_plain(client, village, member):
    response = client.post(f"{PAGE}/items", data=GOOD)
    assert response.status_code == 303 and response.headers["Location"] == PAGE
    [item] = items()
    assert (item.title, item.cadence, item.grace_days) == (
        "集体资产资源",
        DisclosureCadence.YEARLY,
        10,
    )
    assert item.created_at == NOW
    assert actions() == ["disclosure.add"]
    assert "已添加公开事项“集体资产资源”" in client.get(PAGE).text


def test_adding_an_item_with_htmx(client, village, member):
    boosted = client.post(f"{PAGE}/items", data=GOOD, headers=htmx_headers(HX_Boosted="true"))
    assert boosted.status_code == 303
    plain_htmx = client.post(
        f"{PAGE}/items", data={**GOOD, "title": "另一项"}, headers=htmx_headers()
    )
    assert plain_htmx.status_code == 200 and plain_htmx.headers["HX-Redirect"] == PAGE
    assert [i.title for i in items()] == ["集体资产资源", "另一项"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"title": ""}, "请填写公开事项的名称。"),
        ({"title": "长" * 101}, "名称最多 100 个字。"),
        ({"category": "decision"}, "请选择公开的类别。"),
        ({"category": "<script>"}, "请选择公开的类别。"),
        ({"cadence": "weekly"}, "请选择多久公开一次。"),
        ({"grace_days": "-1"}, "宽限天数应在 0 到 60 天之间。"),
        ({"grace_days": "61"}, "宽限天数应在 0 到 60 天之间。"),
        ({"grace_days": "abc"}, "宽限天数请填一个整数，例如 10。"),
        ({"grace_days": ""}, "请填写宽限天数。"),
        ({"category": "finance", "cadence": "half_yearly"}, "财务至少每季度公开一次"),
        ({"category": "finance", "cadence": "yearly"}, "财务至少每季度公开一次"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_written(
    client, village, member, data, message
):
    response = client.post(f"{PAGE}/items", data={**GOOD, **data})
    assert response.status_code == 422
    assert message in response.text and "请改正下面标出的问题" in response.text
    assert 'aria-invalid="true"' in response.text
    assert items() == [] and actions() == []


def test_a_duplicate_title_is_refused(client, village, member):
    add(member, village, sh(2026, 5, 20), title="集体资产资源", category="affairs")
    response = client.post(f"{PAGE}/items", data=GOOD)
    assert response.status_code == 422 and "已经有同名的公开事项了" in response.text
    assert len(items()) == 1 and actions() == ["disclosure.add"]


# --- the standard schedule -----------------------------------------------------------------


def test_adopting_the_standard_schedule(client, village, member):
    response = client.post(f"{PAGE}/standard")
    assert response.status_code == 303
    assert [(i.title, i.cadence.value) for i in items()] == [
        ("财务收支", "quarterly"),
        ("村务（一般事项）", "quarterly"),
        ("党务", "quarterly"),
    ]
    assert actions() == ["disclosure.add"] * 3
    page = client.get(PAGE).text
    assert "已按标准公开目录建立" in page and "使用标准公开目录" not in page
    again = client.post(f"{PAGE}/standard")
    assert again.status_code == 409 and "本村已经有公开目录了" in again.text
    assert len(items()) == 3


def test_adopting_the_standard_schedule_with_monthly_finances(client, village, member):
    response = client.post(f"{PAGE}/standard", data={"monthly_finance": "y"})
    assert response.status_code == 303
    assert items()[0].cadence == DisclosureCadence.MONTHLY


# --- stopping and resuming -----------------------------------------------------------------


def test_stopping_and_resuming_plain(client, village, member):
    item = add(member, village, sh(2026, 5, 20))
    response = client.post(f"{PAGE}/items/{item.id}/active", data={"active": "0"})
    assert response.status_code == 303 and response.headers["Location"] == PAGE
    assert items()[0].active is False
    page = client.get(PAGE).text
    assert "已停用“财务收支”" in page and "恢复“财务收支”" in page and "已逾期" not in page
    client.post(f"{PAGE}/items/{item.id}/active", data={"active": "1"})
    assert items()[0].active is True
    assert actions() == ["disclosure.add", "disclosure.deactivate", "disclosure.activate"]


def test_stopping_in_place_with_htmx(client, village, member):
    item = add(member, village, sh(2026, 5, 20))
    response = client.post(
        f"{PAGE}/items/{item.id}/active",
        data={"active": "0"},
        headers=htmx_headers(f"item-{item.id}"),
    )
    assert response.status_code == 200
    assert "<html" not in response.text and "schedule-summary" not in response.text
    assert response.text.strip().startswith(
        f'<li class="schedule-item schedule-inactive" id="item-{item.id}"'
    )
    assert "已停用“财务收支”，它不再计入逾期。" in response.text
    assert "schedule-changed" in response.headers["HX-Trigger"]
    assert len(response.data) < 4096
    assert items()[0].active is False


def test_another_villages_item_is_not_found(client, village, member):
    other = VillageFactory(name="山前村", slug="shanqian")
    foreign = add(official(Role.COMMITTEE, village=other), other, sh(2026, 5, 20))
    response = client.post(f"{PAGE}/items/{foreign.id}/active", data={"active": "0"})
    assert response.status_code == 404
    assert items()[0].active is True
    assert client.post(f"{PAGE}/items/99999/active", data={"active": "0"}).status_code == 404


# --- refusals ------------------------------------------------------------------------------


def writes(item_id: int) -> list[tuple[str, dict]]:
    return [
        (f"{PAGE}/items", GOOD),
        (f"{PAGE}/standard", {}),
        (f"{PAGE}/items/{item_id}/active", {"active": "0"}),
    ]


def test_a_visitor_is_sent_to_login(client, village, committee):
    item = add(committee, village, sh(2026, 5, 20))
    assert "/login" in client.get(PAGE).headers["Location"]
    for url, data in writes(item.id):
        response = client.post(url, data=data)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url


@pytest.mark.parametrize("who", ["villager", "supervisor", "other_committee"])
def test_others_are_refused(client, village, committee, who):
    item = add(committee, village, sh(2026, 5, 20))
    other = VillageFactory(name="山前村", slug="shanqian")
    user = {
        "villager": lambda: villager(village),
        "supervisor": lambda: official(Role.SUPERVISOR, village=village),
        "other_committee": lambda: official(Role.COMMITTEE, village=other),
    }[who]()
    login_as(client, user)
    if who != "supervisor":
        assert client.get(PAGE).status_code == 403
    for url, data in writes(item.id):
        assert client.post(url, data=data).status_code == 403, url
    assert [(i.title, i.active) for i in items()] == [("财务收支", True)]
    assert actions() == ["disclosure.add"]


def test_a_post_without_the_csrf_token_is_refused(client, village, member):
    response = client.post(f"{PAGE}/items", data=GOOD, csrf=False)
    assert response.status_code == 400 and items() == []


# --- the console home ------------------------------------------------------------------------


def test_the_console_home_shows_the_overdue_items(client, village, member):
    home = client.get("/v/hubin/manage/")
    assert "逾期未公开的事项" not in home.text
    add(member, village, sh(2026, 5, 20))
    add(member, village, sh(2026, 5, 20), title="党务", category="party")
    add(member, village, sh(2026, 10, 20), title="村务", category="affairs")
    home = client.get("/v/hubin/manage/").text
    assert "逾期未公开的事项" in home
    tiles = home[home.index('<ul class="console-tiles">') :]
    assert re.search(
        r'<a href="/v/hubin/manage/disclosure">\s*<span class="tile-count">2</span>\s*'
        r'<span class="tile-label">逾期未公开的事项</span>',
        tiles,
    )


# --- what the page costs ------------------------------------------------------------------


def count_statements(client, path: str) -> int:
    client.get(path)
    with statements() as seen:
        assert client.get(path).status_code == 200
    return len(seen)


def fill(committee, village, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        add(
            committee,
            village,
            sh(2025, 1 + i % 12, 1),
            title=f"事项{i}",
            category=["finance", "affairs", "party", "announcement"][i % 4],
            cadence=["monthly", "quarterly"][i % 2],
        )
        publish(committee, village, sh(2025, 1 + i % 12, 5), category="affairs")


@pytest.mark.parametrize("path", [PAGE, "/v/hubin/manage/"])
def test_the_pages_cost_the_same_with_3_and_12_items(client, village, path):
    member = villager(village)
    RoleGrantFactory(user=member, role=Role.COMMITTEE, village=village)
    login_as(client, member)
    fill(member, village, 3)
    few = count_statements(client, path)
    fill(member, village, 9, start=3)
    many = count_statements(client, path)
    assert few == many
    # Access, and the schedule's two statements; the home adds its one for the figures,
    # one for the 公示 tile, one for the 红黑榜 tile, one for the 好人推荐 tile and one for
    # the 积分 tile (each feature's tile is one statement).
    assert many <= ACCESS + (2 if path == PAGE else 7)


# --- the demo ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2027, 1, 1, 0, 30, tzinfo=SHANGHAI),  # the first half hour of a quarter
        datetime(2026, 4, 6, 12, tzinfo=SHANGHAI),
        datetime(2026, 7, 12, 8, tzinfo=SHANGHAI),  # just past the grace days
        datetime(2026, 9, 30, 23, tzinfo=SHANGHAI),  # the quarter's last hour
    ],
    ids=["jan-1", "apr-6", "jul-12", "sep-30"],
)
def test_the_demo_has_last_quarters_finances_disclosed_and_one_item_overdue(
    runner, client, monkeypatch, moment
):

    monkeypatch.setattr(clock, "now", lambda: moment.astimezone(UTC))
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    village = db.session.scalar(sa.select(Village).where(Village.slug == DEMO_VILLAGE))
    statuses = {s.item.title: s for s in schedule.village_statuses(village)}
    assert set(statuses) == {"财务收支", "村务（一般事项）", "党务", "主题党日"}
    finance = statuses["财务收支"]
    # The last quarter is paid: what is owed is this quarter, not yet due.
    assert finance.status == Status.DUE
    assert finance.period == current_period(finance.item.cadence, clock.now())
    overdue = [s for s in statuses.values() if s.status == Status.OVERDUE]
    assert [s.item.title for s in overdue] == ["主题党日"]
    assert overdue[0].item.category == NoticeCategory.PARTY
    # Seeding again adds nothing.
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert len(items()) == 4
    login_as(client, db.session.scalar(sa.select(User).where(User.phone == COMMITTEE_PHONE)))
    home = client.get("/v/hubin/manage/").text
    assert "逾期未公开的事项" in home
    assert "已逾期" in client.get(PAGE).text


def test_a_hostile_title_is_shown_as_text(client, village, member):
    hostile = '<script>alert(1)</script><a hx-get="https://evil.tld" onclick="x()">evil</a>'
    assert client.post(f"{PAGE}/items", data={**GOOD, "title": hostile}).status_code == 303
    item = items()[0]
    page = client.get(PAGE).text
    row = client.post(
        f"{PAGE}/items/{item.id}/active",
        data={"active": "0"},
        headers=htmx_headers(f"item-{item.id}"),
    ).text
    for html in (page, row):
        assert injected(html) == [], injected(html)
        assert "&lt;script&gt;" in html


def test_a_get_aimed_at_a_row_gets_the_whole_page(client, village, member):
    item = add(member, village, sh(2026, 5, 20))
    response = client.get(PAGE, headers=htmx_headers(f"item-{item.id}"))
    assert response.status_code == 200 and "<html" in response.text


# --- the notice form: what a notice will count for, and the periods it makes public ------

NEW = "/v/hubin/manage/notices/new"


def test_the_link_from_the_schedule_says_which_period_the_notice_will_count_for(
    client, village, member
):
    finance = add(member, village, sh(2026, 5, 20))  # Q2 and Q3 missed, Q4 open
    party = add(member, village, sh(2026, 10, 2), title="党务", category="party")
    publish(member, village, sh(2026, 10, 20), category="party")  # Q4 public already
    form = client.get(f"{NEW}?category=finance&item={finance.id}")
    assert form.status_code == 200
    text = form.text
    assert "这条公告是为公开目录的“财务收支”写的" in text
    assert "今天发布的话，它算作2026年第四季度（截止2027年1月10日）" in text
    assert "自2026年第二季度起已有 2 期逾期未公开" in text
    assert f'name="item" value="{finance.id}"' in text
    # The periods still owed, to tick when one notice catches several up; open, as linked.
    boxes = re.findall(r'<input type="checkbox" name="covers" value="([^"]+)"', text)
    assert boxes == [
        f"{finance.id}:2026-04-01",
        f"{finance.id}:2026-07-01",
        f"{finance.id}:2026-10-01",
    ]
    assert re.search(r'<details class="coverage" open>', text)
    # An item whose current period is public already says so.
    linked = client.get(f"{NEW}?category=party&item={party.id}").text
    assert "它的当期已经公开过了，按发布日期不会再计入" in linked
    # Without a link the marks wait, folded, and nothing is said about one item.
    plain = client.get(NEW).text
    assert '<details class="coverage">' in plain and "这条公告是为公开目录" not in plain


def test_a_notice_saved_with_the_periods_it_catches_up(client, village, member):
    finance = add(member, village, sh(2026, 5, 20))
    data = {
        "category": "finance",
        "title": "第二、三季度财务收支补公开",
        "body": "见下表。",
        "item": str(finance.id),
        "covers": [f"{finance.id}:2026-04-01", f"{finance.id}:2026-07-01"],
    }
    response = client.post(NEW, data=data)
    assert response.status_code == 303
    notice = db.session.scalar(sa.select(Notice))
    assert schedule.marks_of(notice) == [
        (finance.id, datetime(2026, 4, 1).date()),
        (finance.id, datetime(2026, 7, 1).date()),
    ]
    # The draft page and the edit form say what it will count for, the marks ticked.
    shown = client.get(f"/v/hubin/manage/notices/{notice.id}").text
    assert "计入公开目录" in shown
    assert "财务收支</strong>：2026年第二季度、2026年第三季度" in shown and "按勾选的期数" in shown
    edit = client.get(f"/v/hubin/manage/notices/{notice.id}/edit").text
    ticked = re.findall(r'name="covers" value="([^"]+)" checked', edit)
    assert ticked == [f"{finance.id}:2026-04-01", f"{finance.id}:2026-07-01"]
    preview = client.get(f"/v/hubin/manage/notices/{notice.id}/publish").text
    assert "2026年第二季度、2026年第三季度" in preview
    assert status_of(village, "财务收支").missed == 2  # still a draft
    client.post(f"/v/hubin/manage/notices/{notice.id}/publish", data={"confirm": "1"})
    status = status_of(village, "财务收支")
    assert status.status == Status.DUE and status.period.start.month == 10
    page = client.get(PAGE).text
    assert "2026年第四季度，截止2027年1月10日" in page and "已逾期 1 项" not in page
    published = client.get(f"/v/hubin/manage/notices/{notice.id}").text
    assert "财务收支</strong>：2026年第二季度、2026年第三季度" in published


def status_of(village, title):
    db.session.rollback()
    return {s.item.title: s for s in schedule.village_statuses(village)}[title]


def test_a_draft_without_marks_counts_by_its_date(client, village, member):
    add(member, village, sh(2026, 10, 2), title="党务", category="party")
    add(member, village, sh(2026, 10, 2), title="村务", category="affairs")
    response = client.post(NEW, data={"category": "party", "title": "党务公开", "body": "见下。"})
    assert response.status_code == 303
    notice = db.session.scalar(sa.select(Notice))
    shown = client.get(f"/v/hubin/manage/notices/{notice.id}").text
    assert "党务</strong>：2026年第四季度" in shown and "按发布日期：今天发布的话" in shown
    assert "村务</strong>" not in shown


@pytest.mark.parametrize("htmx", [False, True])
def test_a_forged_period_is_refused_beside_the_marks(client, village, member, htmx):
    finance = add(member, village, sh(2026, 5, 20))
    data = {
        "category": "finance",
        "title": "补公开",
        "body": "见下表。",
        "covers": [f"{finance.id}:2026-04-01", f"{finance.id}:2027-01-01"],
    }
    response = client.post(NEW, data=data, headers=htmx_headers() if htmx else None)
    assert response.status_code == 422
    assert '<p class="error" id="covers-error" role="alert">' in response.text
    assert "勾选的期数不在本村的公开目录里，请重新勾选。" in response.text
    assert '<details class="coverage" open>' in response.text
    assert db.session.scalar(sa.select(sa.func.count(Notice.id))) == 0
    assert actions() == ["disclosure.add"]
