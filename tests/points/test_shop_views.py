"""The points shop's public page and the rewards page: what a visitor, a villager and the
shop's people see (never a cash value), adding a reward, restocking, changing a cost and
retiring one (plain and htmx, every bad input refused in words with nothing written),
who may do it, the shopkeeper's place on their account page, and the navigation."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal.actions import unit_of_work
from portal.audit.models import ActionLog
from portal.extensions import db
from portal.points import shop
from portal.points.models import Reward
from tests.conftest import htmx_headers, login_as
from tests.factories import VillageFactory, count
from tests.points.conftest import START, award
from tests.statements import statements

SHOP = "/v/hubin/shop"
MANAGE = "/v/hubin/shop/manage"


def unwrapped(text: str) -> str:
    return text.replace('<span class="nowrap">', "").replace("</span>", "")


def writes() -> tuple:
    db.session.rollback()
    rows = db.session.execute(
        sa.select(Reward.name, Reward.cost, Reward.stock, Reward.retired_at).order_by(Reward.id)
    ).all()
    return (count(ActionLog), tuple(rows))


@pytest.fixture
def soap(village, committee):
    with unit_of_work():
        return shop.add_reward(committee, village, name="肥皂", cost=2, stock=0)


# --- the public page --------------------------------------------------------------------


def test_a_visitor_reads_the_rewards_without_a_price(client, rice, soap):
    page = client.get(SHOP)
    assert page.status_code == 200
    text = unwrapped(page.text)
    assert "大米" in text and "5 斤装" in text and "30 分" in text and "有货" in text
    assert "肥皂" in text and "已兑完" in text
    assert "元" not in text and "价格" not in text and "¥" not in text
    assert "怎样兑换" in text and "门牌号" in text
    assert "/shop/counter" not in text and "/shop/manage" not in text
    assert "csrf_token" not in text  # cacheable: no token minted
    assert (
        'aria-current="true">积分' in text
        or "points.index" not in client.application.view_functions
    )


def test_a_retired_reward_leaves_the_public_page(client, village, committee, rice, soap):
    with unit_of_work():
        shop.retire_reward(committee, village, soap)
    assert "肥皂" not in client.get(SHOP).text


def test_a_villager_sees_their_household_points(
    client, village, households, resident_user, committee, second_member, rice, at
):
    award(committee, second_member, village, households[0], "G04")
    at(START + timedelta(days=5))
    login_as(client, resident_user)
    page = client.get(SHOP)
    text = unwrapped(page.text)
    assert "我家的积分" in text and "现在可以兑换 20 分" in text
    if "points.household" in client.application.view_functions:
        assert f"/v/hubin/points/households/{households[0].id}" in text
    assert "/shop/counter" not in text
    assert page.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("who", ["committee", "shopkeeper"])
def test_the_shop_people_see_the_way_to_the_counter(client, request, rice, who):
    login_as(client, request.getfixturevalue(who))
    text = client.get(SHOP).text
    assert 'href="/v/hubin/shop/counter"' in text and 'href="/v/hubin/shop/manage"' in text


def test_the_public_page_costs_the_same_as_rewards_grow(client, village, committee, rice):
    def cost() -> int:
        with statements() as seen:
            assert client.get(SHOP).status_code == 200
        return len(seen)

    few = cost()
    for n in range(15):
        with unit_of_work():
            shop.add_reward(committee, village, name=f"毛巾{n}", cost=1 + n, stock=n)
    assert cost() == few == PUBLIC_STATEMENTS


def test_the_shop_page_reads_as_english(client, rice, soap):
    from tests.test_english import assert_reads_as_english

    client.set_cookie("lang", "en")
    page = client.get(SHOP)
    assert '<html lang="en">' in page.text
    for words in ("Points shop", "How to redeem", "Out of stock", "In stock"):
        assert words in page.text
    assert_reads_as_english(page.text, SHOP)


# --- who may manage ---------------------------------------------------------------------


def test_a_visitor_is_sent_to_log_in(client, village, rice):
    assert "/login" in client.get(MANAGE).headers["Location"]
    for path in (MANAGE, f"{MANAGE}/{rice.id}/restock", f"{MANAGE}/{rice.id}/retire"):
        response = client.post(path, data={})
        assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("who", ["resident_user", "supervisor", "grid_worker"])
def test_others_may_not_manage_the_rewards(client, request, rice, who):
    login_as(client, request.getfixturevalue(who))
    assert client.get(MANAGE).status_code == 403
    before = writes()
    posts = {
        MANAGE: {"name": "酱油", "cost": "3", "stock": "4"},
        f"{MANAGE}/{rice.id}/restock": {f"r{rice.id}-added": "5"},
        f"{MANAGE}/{rice.id}/cost": {f"r{rice.id}-cost": "5"},
        f"{MANAGE}/{rice.id}/retire": {},
    }
    for path, data in posts.items():
        assert client.post(path, data=data).status_code == 403, path
    assert writes() == before


def test_a_reward_of_another_village_is_not_found(client, committee, rice):
    other = VillageFactory(slug="liulin")
    foreign = Reward(village_id=other.id, name="酱油", cost=1, stock=5)
    db.session.add(foreign)
    db.session.commit()
    login_as(client, committee)
    before = writes()
    for action, data in (("restock", {f"r{foreign.id}-added": "5"}), ("retire", {})):
        assert client.post(f"{MANAGE}/{foreign.id}/{action}", data=data).status_code == 404
    assert writes() == before


# --- the rewards page -------------------------------------------------------------------


def test_the_rewards_page_plain_and_htmx(client, shopkeeper, rice, soap):
    login_as(client, shopkeeper)
    page = client.get(MANAGE)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    text = unwrapped(page.text)
    assert "大米" in text and "30 分" in text and "0（已兑完）" in text
    assert f'id="reward-{rice.id}"' in text and f'name="r{rice.id}-added"' in text
    hx = client.get(MANAGE, headers=htmx_headers("shop-rewards"))
    assert hx.text.lstrip().startswith('<div id="shop-rewards"') and "<html" not in hx.text


def test_adding_a_reward_plain_and_htmx(client, shopkeeper, rice):
    login_as(client, shopkeeper)
    logs = count(ActionLog)
    plain = client.post(MANAGE, data={"name": "酱油", "unit": "1 瓶", "cost": "8", "stock": "12"})
    assert plain.status_code == 303 and plain.headers["Location"].endswith(MANAGE)
    assert "已上架“酱油”。" in client.get(MANAGE).text
    hx = client.post(
        MANAGE,
        data={"name": "洗衣粉", "cost": "15", "stock": "3"},
        headers=htmx_headers("shop-rewards"),
    )
    assert hx.status_code == 200 and "已上架“洗衣粉”。" in hx.text
    assert hx.text.lstrip().startswith('<div id="shop-rewards"')
    db.session.rollback()
    added = db.session.scalars(sa.select(Reward).where(Reward.name == "酱油")).one()
    assert (added.unit, added.cost, added.stock) == ("1 瓶", 8, 12)
    assert count(ActionLog) == logs + 2


@pytest.mark.parametrize(
    ("data", "status", "words"),
    [
        ({"name": "", "cost": "3", "stock": "1"}, 422, "请填写物品名称"),
        ({"name": "   ", "cost": "3", "stock": "1"}, 422, "请填写物品名称"),
        ({"name": "长" * 41, "cost": "3", "stock": "1"}, 422, "名称太长了"),
        ({"name": "酱油", "cost": "", "stock": "1"}, 422, "请填写所需积分"),
        ({"name": "酱油", "cost": "0", "stock": "1"}, 422, "所需积分应为 1 到 100000"),
        ({"name": "酱油", "cost": "-5", "stock": "1"}, 422, "所需积分应为 1 到 100000"),
        ({"name": "酱油", "cost": "2.5", "stock": "1"}, 422, "请填写整数"),
        ({"name": "酱油", "cost": "100001", "stock": "1"}, 422, "所需积分应为 1 到 100000"),
        ({"name": "酱油", "cost": "3", "stock": "-1"}, 422, "库存应为 0 到 100000"),
        ({"name": "酱油", "cost": "3", "stock": "99999999999"}, 422, "这个数字太大了"),
        ({"name": "酱油", "unit": "斤" * 41, "cost": "3", "stock": "1"}, 422, "规格写得太长了"),
        ({"name": "大米", "cost": "3", "stock": "1"}, 409, "已经有“大米”了"),
    ],
)
def test_adding_a_bad_reward_is_refused_in_words(client, committee, rice, data, status, words):
    login_as(client, committee)
    before = writes()
    for headers in ({}, htmx_headers("shop-rewards")):
        response = client.post(MANAGE, data=data, headers=headers)
        assert response.status_code == status, data
        assert words in response.text, data
    assert writes() == before


def test_restocking_plain_and_htmx(client, shopkeeper, rice):
    login_as(client, shopkeeper)
    path = f"{MANAGE}/{rice.id}/restock"
    plain = client.post(path, data={f"r{rice.id}-added": "5"})
    assert plain.status_code == 303
    assert "“大米”现在库存 15。" in client.get(MANAGE).text
    hx = client.post(
        path, data={f"r{rice.id}-added": "-3"}, headers=htmx_headers(f"reward-{rice.id}")
    )
    assert hx.status_code == 200
    assert hx.text.lstrip().startswith(f'<li class="card" id="reward-{rice.id}"')
    assert "现在库存 12" in hx.text and len(hx.data) <= 4096
    db.session.rollback()
    assert db.session.get(Reward, rice.id).stock == 12


@pytest.mark.parametrize(
    ("added", "status", "words"),
    [
        ("0", 422, "不能为 0"),
        ("", 422, "请填写数量"),
        ("1.5", 422, "请填写整数"),
        ("-11", 409, "库存只有 10"),
        ("100001", 422, "不能为 0"),
        ("99999999999", 422, "这个数字太大了"),
    ],
)
def test_a_bad_restock_is_refused_in_words(client, committee, rice, added, status, words):
    login_as(client, committee)
    path = f"{MANAGE}/{rice.id}/restock"
    before = writes()
    for headers in ({}, htmx_headers(f"reward-{rice.id}")):
        response = client.post(path, data={f"r{rice.id}-added": added}, headers=headers)
        assert response.status_code == status, added
        assert words in response.text, added
    assert writes() == before


def test_changing_the_cost_plain_and_htmx(client, committee, rice):
    login_as(client, committee)
    path = f"{MANAGE}/{rice.id}/cost"
    assert client.post(path, data={f"r{rice.id}-cost": "25"}).status_code == 303
    hx = client.post(
        path, data={f"r{rice.id}-cost": "28"}, headers=htmx_headers(f"reward-{rice.id}")
    )
    assert hx.status_code == 200 and "现在要 28 分" in hx.text
    db.session.rollback()
    assert db.session.get(Reward, rice.id).cost == 28


@pytest.mark.parametrize(
    ("cost", "words"),
    [("0", "所需积分应为"), ("-3", "所需积分应为"), ("abc", "请填写整数"), ("", "请填写所需积分")],
)
def test_a_bad_cost_is_refused_in_words(client, committee, rice, cost, words):
    login_as(client, committee)
    before = writes()
    for headers in ({}, htmx_headers(f"reward-{rice.id}")):
        response = client.post(
            f"{MANAGE}/{rice.id}/cost", data={f"r{rice.id}-cost": cost}, headers=headers
        )
        assert response.status_code == 422 and words in response.text, cost
    assert writes() == before


def test_retiring_plain_and_htmx_and_not_twice(client, committee, village, rice, soap):
    login_as(client, committee)
    assert client.post(f"{MANAGE}/{rice.id}/retire").status_code == 303
    assert "“大米”已下架" in client.get(MANAGE).text
    hx = client.post(f"{MANAGE}/{soap.id}/retire", headers=htmx_headers(f"reward-{soap.id}"))
    assert hx.status_code == 200 and "已下架" in hx.text and "restock" not in hx.text
    before = writes()
    again = client.post(f"{MANAGE}/{rice.id}/retire")
    assert again.status_code == 409 and "已经下架了" in again.text
    assert writes() == before


def test_the_rewards_page_costs_the_same_as_rewards_grow(client, village, committee, rice):
    login_as(client, committee)

    def cost() -> int:
        with statements() as seen:
            assert client.get(MANAGE).status_code == 200
        return len(seen)

    few = cost()
    for n in range(15):
        with unit_of_work():
            shop.add_reward(committee, village, name=f"毛巾{n}", cost=1 + n, stock=n)
    assert cost() == few == MANAGE_STATEMENTS


def test_the_rewards_page_reads_as_english(client, committee, rice):
    from tests.test_english import assert_reads_as_english

    login_as(client, committee)
    client.set_cookie("lang", "en")
    page = client.get(MANAGE)
    for words in ("Add a reward", "Restock", "Retire"):
        assert words in page.text
    assert_reads_as_english(page.text, MANAGE)


# --- the shopkeeper's place and the navigation -------------------------------------------


def test_a_shopkeeper_finds_the_counter_on_the_account_page(client, shopkeeper):
    from portal.auth.services import standing_of

    places = standing_of(shopkeeper).places
    counter = [p for p in places if p.endpoint == "shop.counter"]
    assert len(counter) == 1
    assert counter[0].kind == "village" and counter[0].url_values == {"village": "hubin"}
    assert counter[0].label == "湖滨村积分超市柜台"
    login_as(client, shopkeeper)
    page = client.get("/account")
    assert 'href="/v/hubin/shop/counter"' in page.text and "湖滨村积分超市柜台" in page.text


def test_the_shop_belongs_to_the_points_section(client, committee, rice):
    if "points.index" not in client.application.view_functions:
        pytest.skip("the points pages are not there yet")
    login_as(client, committee)
    for path in (SHOP, MANAGE, "/v/hubin/shop/counter"):
        text = client.get(path).text
        assert 'href="/v/hubin/points" aria-current="true"' in text, path


PUBLIC_STATEMENTS = 2
MANAGE_STATEMENTS = 4
