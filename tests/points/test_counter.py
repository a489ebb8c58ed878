"""The points shop's counter 积分超市柜台: finding a household (door number, name, a scanned
card), what it may spend, a redemption in one unit of work (plain and htmx), every
refusal writing nothing, who may stand at the counter, and what it costs in SQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal.actions import unit_of_work
from portal.audit.models import ActionLog
from portal.extensions import db
from portal.points import shop
from portal.points.models import LedgerEntry, LedgerKind, PointsAccount, Reward
from tests.conftest import htmx_headers, login_as
from tests.factories import HouseholdFactory, ResidentFactory, VillageFactory, count
from tests.points.conftest import START, approve, award, record
from tests.statements import statements

COUNTER = "/v/hubin/shop/counter"
REDEEM = "/v/hubin/shop/counter/redeem"


def writes() -> tuple[int, ...]:
    db.session.rollback()
    return (
        count(LedgerEntry),
        count(ActionLog),
        tuple(db.session.scalars(sa.select(Reward.stock).order_by(Reward.id))),
        tuple(
            db.session.scalars(
                sa.select(PointsAccount.balance).order_by(PointsAccount.household_id)
            )
        ),
    )


@pytest.fixture
def rich(village, households, resident_user, committee, second_member, at):
    """The first household (陈建国's) with 40 final points, the clock after its 公示."""
    award(committee, second_member, village, households[0], "G04")
    award(committee, second_member, village, households[0], "G04")
    at(START + timedelta(days=5))
    return households[0]


def redeem_data(household, reward, quantity="1") -> dict:
    return {"household": str(household.id), "reward": str(reward.id), "quantity": quantity}


# --- who may stand at the counter -------------------------------------------------------


def test_a_visitor_is_sent_to_log_in(client, village):
    page = client.get(COUNTER)
    assert page.status_code == 302 and "/login" in page.headers["Location"]
    post = client.post(REDEEM, data={})
    assert post.status_code == 302 and "/login" in post.headers["Location"]


@pytest.mark.parametrize("who", ["resident_user", "supervisor", "grid_worker"])
def test_others_are_refused_the_counter(client, request, rich, rice, who):
    login_as(client, request.getfixturevalue(who))
    assert client.get(COUNTER).status_code == 403
    before = writes()
    assert client.post(REDEEM, data=redeem_data(rich, rice)).status_code == 403
    assert writes() == before


def test_a_shopkeeper_of_another_village_is_refused(client, village, rich, rice):
    from portal.auth.models import Role
    from tests.points.conftest import holder

    other = VillageFactory(name="柳林村", slug="liulin")
    outsider = holder(other, Role.SHOPKEEPER, name="外村店长")
    login_as(client, outsider)
    assert client.get(COUNTER).status_code == 403
    before = writes()
    assert client.post(REDEEM, data=redeem_data(rich, rice)).status_code == 403
    assert writes() == before


# --- finding a household ----------------------------------------------------------------


def test_the_search_finds_by_door_number_plain_and_htmx(client, committee, rich, households):
    login_as(client, committee)
    page = client.get(COUNTER, query_string={"q": "东街 1 号"})
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert "noindex" in page.headers["X-Robots-Tag"]
    assert '<form method="get"' in page.text
    assert "陈建国" in page.text and "东街 1 号" in page.text  # full name, for the committee
    assert f"household={rich.id}" in page.text
    hx = client.get(COUNTER, query_string={"q": "东街"}, headers=htmx_headers("counter-results"))
    assert hx.status_code == 200
    assert hx.text.lstrip().startswith('<div id="counter-results"')
    assert "东街 1 号" in hx.text and "东街 2 号" in hx.text and "西街" not in hx.text
    assert "<html" not in hx.text and len(hx.data) <= 4096
    assert "HX-Request" in hx.headers["Vary"]


def test_the_search_finds_by_name_and_says_when_nothing_is_found(client, committee, rich):
    login_as(client, committee)
    assert "东街 1 号" in client.get(COUNTER, query_string={"q": "建国"}).text
    nothing = client.get(
        COUNTER, query_string={"q": "没有这个人"}, headers=htmx_headers("counter-results")
    )
    assert "没有找到这一户" in nothing.text


def test_a_scanned_card_opens_the_household(client, shopkeeper, rich):
    login_as(client, shopkeeper)
    page = client.get(
        COUNTER,
        query_string={
            "q": f"https://shanzhi.huaian.example.cn/v/hubin/points/households/{rich.id}"
        },
    )
    assert page.status_code == 200
    assert 'id="counter-household"' in page.text
    assert "40 分" in page.text


def test_a_shopkeeper_sees_the_head_masked_with_the_door_number(client, shopkeeper, rich):
    login_as(client, shopkeeper)
    page = client.get(COUNTER, query_string={"household": rich.id})
    assert "陈**" in page.text and "陈建国" not in page.text
    assert "东街 1 号" in page.text
    assert "打码显示" in page.text


def test_a_household_of_another_village_is_not_found(client, committee, rich):
    other = HouseholdFactory(village=VillageFactory(slug="liulin"), door_number="南街 1 号")
    login_as(client, committee)
    assert client.get(COUNTER, query_string={"household": other.id}).status_code == 404
    scanned = client.get(COUNTER, query_string={"q": f"/v/liulin/points/households/{other.id}"})
    assert scanned.status_code == 200 and "南街 1 号" not in scanned.text
    assert "没有找到这一户" in scanned.text


def test_the_household_shows_what_it_may_spend_and_what_is_held(
    client, committee, second_member, village, rich, rice
):
    with unit_of_work():
        shop.add_reward(committee, village, name="电饭煲", cost=500, stock=1)
    deduction = record(committee, village, rich, "K07")  # -3, in 公示
    approve(second_member, village, deduction)
    login_as(client, committee)
    page = client.get(COUNTER, query_string={"household": rich.id}).text
    plain = page.replace('<span class="nowrap">', "").replace("</span>", "")
    assert "37 分" in plain  # 40 less the 3 held back
    assert "公示中的扣分" in plain and "3 分" in plain
    assert "大米" in page and 'name="quantity"' in page
    assert "电饭煲" not in page  # beyond what it may spend
    assert "还有 1 样物品" in plain


# --- a redemption -----------------------------------------------------------------------


def test_a_redemption_writes_one_ledger_row_one_log_row_and_takes_the_stock(
    client, shopkeeper, rich, rice
):
    login_as(client, shopkeeper)
    ledger, logs = count(LedgerEntry), count(ActionLog)
    response = client.post(REDEEM, data=redeem_data(rich, rice, "1"))
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/v/hubin/shop/counter?household={rich.id}")
    db.session.rollback()
    assert count(LedgerEntry) == ledger + 1
    assert count(ActionLog) == logs + 1
    row = db.session.scalars(
        sa.select(LedgerEntry).where(LedgerEntry.kind == LedgerKind.REDEMPTION)
    ).one()
    assert (row.points, row.quantity, row.balance_after, row.household_id) == (-30, 1, 10, rich.id)
    assert db.session.get(Reward, rice.id).stock == 9
    log = db.session.scalars(sa.select(ActionLog).order_by(ActionLog.id.desc())).first()
    assert log.action == "shop.redeem"
    page = client.get(response.headers["Location"])
    assert "已兑换“大米”×1，余额 10 分。" in page.text
    assert "最近的兑换" in page.text and "×1" in page.text


def test_a_redemption_with_htmx_answers_with_the_household_panel(client, committee, rich, rice):
    login_as(client, committee)
    response = client.post(
        REDEEM, data=redeem_data(rich, rice, "1"), headers=htmx_headers("counter-household")
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section id="counter-household"')
    assert '<div role="status">' in response.text and "余额 10 分" in response.text
    assert "shop-redeemed" in response.headers["HX-Trigger"]
    assert len(response.data) <= 4096
    assert db.session.get(Reward, rice.id).stock == 9
    recent = client.get(COUNTER, headers=htmx_headers("counter-recent"))
    assert recent.text.lstrip().startswith('<section id="counter-recent"')
    assert "大米" in recent.text and len(recent.data) <= 4096


def test_the_csrf_token_is_required(client, committee, rich, rice):
    login_as(client, committee)
    before = writes()
    assert client.post(REDEEM, data=redeem_data(rich, rice), csrf=False).status_code == 400
    assert writes() == before
    ok = client.post(
        REDEEM,
        data=redeem_data(rich, rice),
        csrf="header",
        headers=htmx_headers("counter-household"),
    )
    assert ok.status_code == 200


@pytest.mark.parametrize(
    ("quantity", "status", "words"),
    [
        ("0", 422, "数量应为 1 到 20"),
        ("-1", 422, "数量应为 1 到 20"),
        ("1.5", 422, "请填写整数"),
        ("99999999999", 422, "这个数字太大了"),
        ("", 422, "请填写数量"),
        ("abc", 422, "请填写整数"),
        ("21", 422, "数量应为 1 到 20"),
    ],
)
def test_a_bad_quantity_is_refused_in_words(client, committee, rich, rice, quantity, status, words):
    login_as(client, committee)
    before = writes()
    for headers in ({}, htmx_headers("counter-household")):
        response = client.post(REDEEM, data=redeem_data(rich, rice, quantity), headers=headers)
        assert response.status_code == status, quantity
        assert words in response.text
        assert 'aria-invalid="true"' in response.text  # beside the quantity
    assert writes() == before


def test_beyond_the_stock_or_the_balance_is_refused(client, committee, village, rich, rice):
    with unit_of_work():
        soap = shop.add_reward(committee, village, name="肥皂", cost=2, stock=1)
    login_as(client, committee)
    before = writes()
    stock = client.post(
        REDEEM, data=redeem_data(rich, soap, "2"), headers=htmx_headers("counter-household")
    )
    assert stock.status_code == 409 and "只剩 1 件" in stock.text
    assert stock.text.lstrip().startswith('<section id="counter-household"')
    balance = client.post(REDEEM, data=redeem_data(rich, rice, "2"))
    assert balance.status_code == 409 and "不够" in balance.text
    assert "<html" in balance.text  # the whole page, plain
    assert writes() == before


def test_a_retired_reward_is_refused(client, committee, village, rich, rice):
    with unit_of_work():
        shop.retire_reward(committee, village, rice)
    login_as(client, committee)
    before = writes()
    response = client.post(REDEEM, data=redeem_data(rich, rice))
    assert response.status_code == 409 and "已经下架" in response.text
    assert writes() == before


def test_forged_ids_of_another_village_are_refused(client, committee, village, rich, rice):
    other = VillageFactory(name="柳林村", slug="liulin")
    foreign_house = HouseholdFactory(village=other, door_number="南街 1 号")
    foreign_reward = Reward(village_id=other.id, name="酱油", cost=1, stock=5)
    db.session.add(foreign_reward)
    db.session.commit()
    login_as(client, committee)
    before = writes()
    house = client.post(REDEEM, data=redeem_data(foreign_house, rice))
    assert house.status_code == 404 and "本村没有这一户" in house.text
    hx = client.post(
        REDEEM, data=redeem_data(foreign_house, rice), headers=htmx_headers("counter-household")
    )
    assert hx.status_code == 404 and "本村没有这一户" in hx.text and "<html" not in hx.text
    reward = client.post(REDEEM, data=redeem_data(rich, foreign_reward))
    assert reward.status_code == 404 and "积分超市没有这样东西" in reward.text
    for bad in (
        {"household": "abc", "reward": str(rice.id), "quantity": "1"},
        {"household": str(rich.id), "reward": "99999999999", "quantity": "1"},
        {"household": str(rich.id), "quantity": "1"},
    ):
        assert client.post(REDEEM, data=bad).status_code == 404
    assert writes() == before


def test_a_redemption_post_costs_a_fixed_number_of_statements(client, committee, rich, rice):
    login_as(client, committee)
    data = redeem_data(rich, rice)
    with statements() as seen:
        response = client.post(REDEEM, data=data)
    assert response.status_code == 303
    assert len(seen) == REDEEM_STATEMENTS, "\n".join(seen)


def test_the_counter_costs_the_same_as_households_grow(client, committee, village, rich, rice):
    login_as(client, committee)
    client.post(REDEEM, data=redeem_data(rich, rice))
    query = {"household": rich.id, "q": "街"}

    def cost() -> int:
        with statements() as seen:
            assert client.get(COUNTER, query_string=query).status_code == 200
        return len(seen)

    few = cost()
    for n in range(12):
        house = HouseholdFactory(village=village, door_number=f"北街 {n} 号")
        ResidentFactory(household=house, village=village, name=f"李{n}")
        with unit_of_work():
            shop.add_reward(committee, village, name=f"毛巾{n}", cost=1, stock=3)
    towels = db.session.scalars(sa.select(Reward).where(Reward.name.like("毛巾%"))).all()
    for towel in towels[:5]:
        with unit_of_work():
            shop.redeem(committee, village, rich, towel)
    assert cost() == few == COUNTER_STATEMENTS


def test_the_counter_reads_as_english(client, committee, rich, rice):
    from tests.test_english import assert_reads_as_english

    login_as(client, committee)
    client.set_cookie("lang", "en")
    client.post(REDEEM, data=redeem_data(rich, rice))
    with unit_of_work():
        shop.add_reward(committee, rich.village, name="肥皂", cost=2, stock=3)
    page = client.get(COUNTER, query_string={"household": rich.id, "q": "东街"})
    assert page.status_code == 200 and '<html lang="en">' in page.text
    for words in ("Points shop counter", "Redeem", "Recent redemptions", "Count"):
        assert words in page.text
    assert_reads_as_english(page.text, COUNTER)


REDEEM_STATEMENTS = 19
COUNTER_STATEMENTS = 13
