"""The points shop 积分超市: rewards with a cost in points and a stock, and redemption at
the counter (DESIGN.md 2.5). No cash value anywhere: a reward has a cost in points only.

A redemption locks the reward's row and the household's account (PostgreSQL: SELECT ...
FOR UPDATE, reward first, always in that order; SQLite: the write transaction), writes
what time has made final for the household first, then checks the stock and what the
household may spend (its final balance less deductions still in 公示), takes the stock
and writes the ledger row, with its action-log row, in the caller's unit of work. The
database's checks (stock and balance not below zero) are the last guard.
"""

from __future__ import annotations

import re
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal import clock
from portal.actions import NotFound
from portal.audit.services import record_action
from portal.auth.access import active_grants
from portal.auth.models import Role, User
from portal.extensions import db
from portal.inputs import required_text
from portal.points.models import (
    COST_MAX,
    REWARD_NAME_MAX,
    STOCK_MAX,
    LedgerEntry,
    LedgerKind,
    Reward,
)
from portal.points.services import (
    PointsError,
    _write,
    lock_account,
    post_due,
    standing,
)
from portal.villages.models import Household, Village

SHOP_ROLES = (Role.COMMITTEE, Role.SHOPKEEPER)
QUANTITY_MAX = 20
# What a household's QR card holds: the address of its statement. A scanner at the
# counter types it into the search like a keyboard.
CARD_LINK = re.compile(r"/points/households/(\d{1,9})(?:\D|$)")


def shop_role(user, village: Village) -> Role | None:
    """The role `user` runs the shop with in `village` (committee or shopkeeper), or None."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    held = {grant.role for grant in active_grants(user, SHOP_ROLES, village_id=village.id)}
    if Role.COMMITTEE in held:
        return Role.COMMITTEE
    if Role.SHOPKEEPER in held:
        return Role.SHOPKEEPER
    return None


def _require_shop(user, village: Village) -> Role:
    role = shop_role(user, village)
    if role is None:
        raise PointsError(_("只有村委会成员和积分超市管理员可以办理。"), status=403)
    return role


def rewards(village: Village, *, with_retired: bool = False) -> list[Reward]:
    query = sa.select(Reward).where(Reward.village_id == village.id)
    if not with_retired:
        query = query.where(Reward.retired_at.is_(None))
    return list(db.session.scalars(query.order_by(Reward.position, Reward.cost, Reward.id)))


def get_reward(village: Village, reward_id: int | None) -> Reward:
    reward = db.session.get(Reward, reward_id) if reward_id else None
    if reward is None or reward.village_id != village.id:
        raise NotFound(_("积分超市没有这样东西。"), field="reward")
    return reward


def _whole(value, *, low: int, high: int, field: str, message) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise PointsError(str(message), status=422, field=field)
    return value


def add_reward(
    actor: User, village: Village, *, name: str, cost: int, stock: int, unit: str | None = None
) -> Reward:
    role = _require_shop(actor, village)
    name = required_text(
        name,
        empty=_l("请填写物品名称。"),
        too_long=_l("名称太长了。"),
        limit=REWARD_NAME_MAX,
        field="name",
        error=PointsError,
    )
    unit = (unit or "").strip() or None
    if unit is not None and len(unit) > REWARD_NAME_MAX:
        raise PointsError(_("规格写得太长了。"), status=422, field="unit")
    cost = _whole(
        cost,
        low=1,
        high=COST_MAX,
        field="cost",
        message=_("所需积分应为 1 到 %(max)d 之间的整数。", max=COST_MAX),
    )
    stock = _whole(
        stock,
        low=0,
        high=STOCK_MAX,
        field="stock",
        message=_("库存应为 0 到 %(max)d 之间的整数。", max=STOCK_MAX),
    )
    taken = db.session.scalar(
        sa.select(Reward.id).where(Reward.village_id == village.id, Reward.name == name)
    )
    if taken is not None:
        raise PointsError(_("已经有“%(name)s”了。", name=name), status=409, field="name")
    position = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.max(Reward.position), 0)).where(
            Reward.village_id == village.id
        )
    )
    reward = Reward(
        village_id=village.id, name=name, unit=unit, cost=cost, stock=stock, position=position + 1
    )
    db.session.add(reward)
    record_action(
        actor,
        role,
        "shop.reward_add",
        reward,
        village=village,
        after={"name": name, "cost": cost, "stock": stock},
    )
    return reward


def _locked(reward: Reward) -> Reward:
    db.session.flush()
    return db.session.scalars(
        sa.select(Reward)
        .where(Reward.id == reward.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def restock(actor: User, village: Village, reward: Reward, added: int, now=None) -> Reward:
    """Add `added` to the stock (goods delivered); a negative number takes goods out (a
    count that found fewer), never below zero."""
    now = now or clock.now()
    role = _require_shop(actor, village)
    if reward.village_id != village.id:
        raise NotFound()
    if (
        isinstance(added, bool)
        or not isinstance(added, int)
        or added == 0
        or abs(added) > STOCK_MAX
    ):
        raise PointsError(
            _("请填写入库（正数）或盘亏（负数）的数量，不能为 0。"), status=422, field="added"
        )
    reward = _locked(reward)
    before = reward.stock
    if before + added < 0:
        raise PointsError(
            _("库存只有 %(stock)d，不能减去 %(n)d。", stock=before, n=-added),
            status=409,
            field="added",
        )
    if before + added > STOCK_MAX:
        raise PointsError(_("库存太多了。"), status=422, field="added")
    reward.stock = before + added
    reward.updated_at = now
    record_action(
        actor,
        role,
        "shop.restock",
        reward,
        village=village,
        before={"stock": before},
        after={"stock": reward.stock},
    )
    return reward


def change_cost(actor: User, village: Village, reward: Reward, cost: int, now=None) -> Reward:
    now = now or clock.now()
    role = _require_shop(actor, village)
    if reward.village_id != village.id:
        raise NotFound()
    cost = _whole(
        cost,
        low=1,
        high=COST_MAX,
        field="cost",
        message=_("所需积分应为 1 到 %(max)d 之间的整数。", max=COST_MAX),
    )
    reward = _locked(reward)
    before = reward.cost
    reward.cost = cost
    reward.updated_at = now
    record_action(
        actor,
        role,
        "shop.cost",
        reward,
        village=village,
        before={"cost": before},
        after={"cost": cost},
    )
    return reward


def retire_reward(actor: User, village: Village, reward: Reward, now=None) -> Reward:
    now = now or clock.now()
    role = _require_shop(actor, village)
    if reward.village_id != village.id:
        raise NotFound()
    if reward.retired_at is not None:
        raise PointsError(_("这样东西已经下架了。"), status=409)
    reward.retired_at = now
    reward.updated_at = now
    record_action(
        actor, role, "shop.reward_retire", reward, village=village, after={"name": reward.name}
    )
    return reward


def redeem(
    actor: User,
    village: Village,
    household: Household,
    reward: Reward,
    quantity: int = 1,
    now: datetime | None = None,
) -> LedgerEntry:
    """Give `quantity` of `reward` to `household` at the counter, for its points."""
    now = now or clock.now()
    role = _require_shop(actor, village)
    if household.village_id != village.id:
        raise NotFound(_("本村没有这一户。"), field="household")
    if reward.village_id != village.id:
        raise NotFound(_("积分超市没有这样东西。"), field="reward")
    quantity = _whole(
        quantity,
        low=1,
        high=QUANTITY_MAX,
        field="quantity",
        message=_("数量应为 1 到 %(max)d 之间的整数。", max=QUANTITY_MAX),
    )
    reward = _locked(reward)
    if reward.retired_at is not None:
        raise PointsError(_("“%(name)s”已经下架了。", name=reward.name), status=409, field="reward")
    account = lock_account(village.id, household.id)
    post_due(now, household_ids=[household.id])
    if reward.stock < quantity:
        raise PointsError(
            _("“%(name)s”只剩 %(stock)d 件了。", name=reward.name, stock=reward.stock),
            status=409,
            field="quantity",
        )
    cost = reward.cost * quantity
    available = standing(household, now).available
    if cost > available:
        raise PointsError(
            _(
                "这一户可用的积分是 %(available)d 分，换“%(name)s”×%(n)d 要 %(cost)d 分，不够。",
                available=available,
                name=reward.name,
                n=quantity,
                cost=cost,
            ),
            status=409,
            field="quantity",
        )
    reward.stock = reward.stock - quantity
    reward.updated_at = now
    row = _write(
        account,
        LedgerKind.REDEMPTION,
        -cost,
        now=now,
        actor=actor,
        reward_id=reward.id,
        quantity=quantity,
    )
    record_action(
        actor,
        role,
        "shop.redeem",
        row,
        village=village,
        after={
            "household_id": household.id,
            "reward": reward.name,
            "quantity": quantity,
            "points": -cost,
            "stock": reward.stock,
        },
    )
    return row


def find_households(village: Village, query: str, limit: int = 10) -> list[Household]:
    """The counter's search: a door number (exact first, then beginning with it), or a
    name of someone on the household's roster."""
    from portal.paging import clean_query, contains_pattern
    from portal.villages.models import Resident

    # A scanned card's address is matched before the search term is cut to its length.
    scanned = CARD_LINK.search("".join(ch for ch in (query or "")[:500] if ch.isprintable()))
    text = clean_query(query)
    if not text:
        return []
    if scanned is not None:
        household = db.session.get(Household, int(scanned.group(1)))
        return [household] if household is not None and household.village_id == village.id else []
    exact = db.session.scalars(
        sa.select(Household).where(
            Household.village_id == village.id, Household.door_number == text
        )
    ).all()
    if exact:
        return list(exact)
    pattern = contains_pattern(text)
    by_name = sa.select(Resident.household_id).where(
        Resident.village_id == village.id,
        Resident.left_on.is_(None),
        Resident.name.like(pattern, escape="\\"),
    )
    return list(
        db.session.scalars(
            sa.select(Household)
            .where(
                Household.village_id == village.id,
                sa.or_(Household.door_number.like(pattern, escape="\\"), Household.id.in_(by_name)),
            )
            .order_by(Household.door_number)
            .limit(limit)
        )
    )


def redemptions(village: Village) -> sa.Select:
    """The counter's record: redemptions, newest first."""
    return (
        sa.select(LedgerEntry)
        .where(LedgerEntry.village_id == village.id, LedgerEntry.kind == LedgerKind.REDEMPTION)
        .order_by(LedgerEntry.id.desc())
    )
