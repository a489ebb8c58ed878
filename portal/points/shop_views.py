"""The points shop 积分超市 (DESIGN.md 2.5): its public page, the counter, and the rewards.

/v/<village>/shop: what the shop offers (name, 规格, points, in stock or 已兑完), never a
cash value, and how to redeem; a verified villager also sees what their household may
spend, the committee and the shopkeeper their way to the counter and the rewards.

/v/<village>/shop/counter: the shopkeeper's counter (committee or shopkeeper). A GET form
finds a household by door number, name, or what a QR scanner types (the card's address);
htmx swaps the results as one types. ?household=<id> shows what the household may spend,
what is held back (deductions in 公示) and what it can afford, each with a quantity and
"兑换" (POST .../counter/redeem); the last redemptions below.

/v/<village>/shop/manage: the rewards with their stock; add one, restock (+N/-N), change
the cost, retire (POST .../manage, .../<id>/restock, .../<id>/cost, .../<id>/retire).

Plain forms answer with post/redirect/get; htmx requests aimed at the household panel, a
reward's row or the rewards list get that region back (a refusal in words, beside the
form, with the service's status).

Names at the counter: the committee reads the roster as it is; a shopkeeper is shown the
head's name as `portal.privacy` lets them see it (masked, unless of their own household)
with the door number, which is how the counter tells households apart face to face.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, g, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy.orm import joinedload
from werkzeug.routing import BuildError

from portal import clock
from portal.actions import NotFound, Refusal, unit_of_work
from portal.auth.access import (
    is_verified_villager,
    roles_in_village,
    village_page,
    village_role,
)
from portal.auth.models import Role
from portal.extensions import db
from portal.htmx import htmx_target, redirect_after_post, render, trigger
from portal.inputs import bounded_int
from portal.paging import clean_query
from portal.points import services, shop
from portal.points.models import LedgerEntry, Reward
from portal.points.shop_forms import RedeemForm, RewardForm, row_forms
from portal.privacy import mask_name, may_see_full_name, private, private_page
from portal.templating import chinese_span
from portal.villages.models import Household, Village

bp = Blueprint("shop", __name__)

PREFIX = "/v/<village>/shop"
RESULTS_TARGET = "counter-results"
HOUSEHOLD_TARGET = "counter-household"
RECENT_TARGET = "counter-recent"
REWARDS_TARGET = "shop-rewards"
REDEEMED = "shop-redeemed"
RECENT_MAX = 10
# The most of a scanned card's address the counter reads (a site address and the path).
CARD_TEXT_MAX = 300
SHOP_ROLES = shop.SHOP_ROLES


def _int(value) -> int | None:
    try:
        return bounded_int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _field_message(form, error: Refusal) -> bool:
    """Put a refusal beside its field; False if the form has no field of that name."""
    field = getattr(form, error.field, None) if error.field else None
    if field is None or not hasattr(field, "errors"):
        return False
    field.errors = [*field.errors, error.message]
    return True


def said(message: str, **values) -> Markup:
    """A message naming a reward, as the page shows it (a flash or a live region): the
    name marked as Chinese on an English page (`content_lang`), everything else escaped."""
    marked = {
        key: chinese_span(value) if isinstance(value, str) else value
        for key, value in values.items()
    }
    return Markup(escape(message)) % marked


def _first_error(form) -> str | None:
    for errors in form.errors.values():
        if errors:
            return str(errors[0])
    return None


# --- the public page ------------------------------------------------------------------


def statement_url(village: Village, household_id: int) -> str | None:
    """The household's points statement (`points.household`), if that page exists."""
    if "points.household" not in current_app.view_functions:
        return None
    try:
        return url_for("points.household", village=village.slug, household_id=household_id)
    except BuildError:
        return None


@bp.get(PREFIX)
@village_page
def index(village: Village):
    """The rewards and how to redeem them; a villager's own points; the shop's tools."""
    household_id = None
    available = None
    if is_verified_villager(current_user, village.id) and current_user.resident is not None:
        household_id = current_user.resident.household_id
        available = services.standings([household_id])[household_id].available
    runs_shop = bool(_roles(village) & set(SHOP_ROLES))
    return render(
        "shop/index.html",
        village=village,
        rewards=shop.rewards(village),
        available=available,
        statement_url=statement_url(village, household_id) if household_id else None,
        runs_shop=runs_shop,
    )


def _roles(village: Village) -> set:
    if not current_user.is_authenticated:
        return set()
    return roles_in_village(current_user, village)


# --- the counter ----------------------------------------------------------------------


def _shown_head(village: Village, head) -> str:
    """The head of a household as the counter names them: in full for those who may
    see it (the committee, the household itself), masked for anyone else."""
    if head is None:
        return _("（花名册上没有人）")
    if may_see_full_name(current_user, head, village):
        return head.name
    return mask_name(head.name)


def _recent(village: Village) -> list[dict]:
    """The counter's last redemptions, with each household's door and head: three
    statements however many there are."""
    rows = list(
        db.session.scalars(
            shop.redemptions(village).options(joinedload(LedgerEntry.reward)).limit(RECENT_MAX)
        )
    )
    ids = {row.household_id for row in rows}
    doors = (
        dict(
            db.session.execute(
                sa.select(Household.id, Household.door_number).where(Household.id.in_(ids))
            ).all()
        )
        if ids
        else {}
    )
    heads = services.heads(ids)
    return [
        {
            "row": row,
            "door": doors.get(row.household_id, ""),
            "head": _shown_head(village, heads.get(row.household_id)),
        }
        for row in rows
    ]


def search_text(raw: str | None) -> str:
    """What the counter searches for. A scanned card's address (the site's, then
    /v/<village>/points/households/<id>) is longer than a search term may be
    (`clean_query` cuts it short, and the household's number with it): its household
    part is searched for instead."""
    text = "".join(ch for ch in (raw or "")[:CARD_TEXT_MAX] if ch.isprintable())
    scanned = shop.CARD_LINK.search(text)
    if scanned is not None:
        return f"/points/households/{scanned.group(1)}"
    return clean_query(raw)


def _chosen(village: Village, household_id: int | None) -> Household | None:
    if household_id is None:
        return None
    try:
        return services.get_household(village, household_id)
    except NotFound:
        abort(404)


def counter_context(
    village: Village,
    household: Household | None,
    *,
    q: str = "",
    form: RedeemForm | None = None,
    failed_reward: int | None = None,
    message: str | None = None,
    done: str | None = None,
) -> dict:
    """The counter page and each of its blocks, from one context."""
    now = clock.now()
    results = shop.find_households(village, q) if q else None
    shown = list(results or [])
    if household is not None:
        shown.append(household)
    heads = services.heads(h.id for h in shown)
    standing = None
    affordable: list[Reward] = []
    beyond = 0
    if household is not None:
        standing = services.standing(household, now)
        for reward in shop.rewards(village):
            if reward.stock > 0 and reward.cost <= standing.available:
                affordable.append(reward)
            else:
                beyond += 1
    counter_url = url_for(".counter", village=village.slug)
    return {
        "village": village,
        "q": q,
        "results": results,
        "names": {h.id: _shown_head(village, heads.get(h.id)) for h in shown},
        "household": household,
        "standing": standing,
        "affordable": affordable,
        "beyond": beyond,
        "form": form,
        "failed_reward": failed_reward,
        "message": message,
        "done": done,
        "recent": _recent(village),
        "counter_url": counter_url,
        "redeem_url": url_for(".redeem", village=village.slug),
        "manage_url": url_for(".manage", village=village.slug),
        "is_committee": Role.COMMITTEE in g.get("roles", set()),
        "quantity_max": shop.QUANTITY_MAX,
    }


COUNTER_BLOCKS = {
    RESULTS_TARGET: "results",
    HOUSEHOLD_TARGET: "household_panel",
    RECENT_TARGET: "recent",
}


def _counter_page(village: Village, household: Household | None, status: int = 200, **state):
    return private(
        render(
            "shop/counter.html",
            blocks=COUNTER_BLOCKS,
            status=status,
            **counter_context(village, household, **state),
        )
    )


@bp.get(f"{PREFIX}/counter")
@private_page
@village_role(*SHOP_ROLES)
def counter(village: Village):
    """Find a household (?q=), choose it (?household=), redeem for it."""
    q = search_text(request.args.get("q"))
    household = _chosen(village, request.args.get("household", type=int))
    if household is None and q and shop.CARD_LINK.search(q) and htmx_target() is None:
        # A scanned card names one household: show it at once.
        found = shop.find_households(village, q)
        household = found[0] if len(found) == 1 else None
    return _counter_page(village, household, q=q)


@bp.post(f"{PREFIX}/counter/redeem")
@private_page
@village_role(*SHOP_ROLES)
def redeem(village: Village):
    """Give a household a reward for its points, in one unit of work."""
    form = RedeemForm()
    household_id = _int(form.household.data)
    reward_id = _int(form.reward.data)
    slug = village.slug
    if not form.validate_on_submit():
        return _refused_redemption(village, household_id, reward_id, form, 422, _first_error(form))
    try:
        with unit_of_work():
            household = services.get_household(village, household_id)
            reward = shop.get_reward(village, reward_id)
            row = shop.redeem(current_user, village, household, reward, form.quantity.data)
            done = said(
                _("已兑换“%(name)s”×%(n)d，余额 %(balance)d 分。"),
                name=reward.name,
                n=row.quantity,
                balance=row.balance_after,
            )
    except Refusal as error:
        db.session.rollback()
        return _refused_redemption(
            village, household_id, reward_id, form, error.status, error.message
        )
    if htmx_target() == HOUSEHOLD_TARGET:
        household = services.get_household(village, household_id)
        return trigger(_counter_page(village, household, done=done), REDEEMED)
    flash(done, "success")
    return redirect_after_post(url_for(".counter", village=slug, household=household_id))


def _refused_redemption(village, household_id, reward_id, form, status: int, message):
    """The counter again, with the refusal beside the reward's form (or above, for a
    household not of this village: there is no household to show)."""
    try:
        household = services.get_household(village, household_id)
    except NotFound as error:
        return _counter_page(village, None, error.status, message=error.message)
    return _counter_page(
        village, household, status, form=form, failed_reward=reward_id, message=message
    )


# --- the rewards ----------------------------------------------------------------------


def manage_context(
    village: Village,
    *,
    form: RewardForm | None = None,
    forms: dict | None = None,
    reward: Reward | None = None,
    message: str | None = None,
    done: str | None = None,
    row_message: str | None = None,
    row_done: str | None = None,
) -> dict:
    """The rewards page, the rewards block and one reward's row, from one context."""
    rows = shop.rewards(village, with_retired=True)
    all_forms = {r.id: row_forms(r.id) for r in rows if r.retired_at is None}
    if reward is not None and forms is not None:
        all_forms[reward.id] = forms
    return {
        "village": village,
        "rewards": [r for r in rows if r.retired_at is None],
        "retired": [r for r in rows if r.retired_at is not None],
        "form": form or RewardForm(formdata=None),
        "row_forms": all_forms,
        "reward": reward,
        "target": reward,
        "message": message,
        "done": done,
        "row_message": row_message,
        "row_done": row_done,
        "manage_url": url_for(".manage", village=village.slug),
        "counter_url": url_for(".counter", village=village.slug),
    }


def _manage_page(village: Village, status: int = 200, **state):
    reward = state.get("reward")
    blocks = {REWARDS_TARGET: "rewards"}
    if reward is not None:
        blocks[f"reward-{reward.id}"] = "reward_row"
    return private(
        render("shop/manage.html", blocks=blocks, status=status, **manage_context(village, **state))
    )


@bp.get(f"{PREFIX}/manage")
@private_page
@village_role(*SHOP_ROLES)
def manage(village: Village):
    """The rewards, their stock and cost, and the forms that change them."""
    return _manage_page(village)


@bp.post(f"{PREFIX}/manage")
@private_page
@village_role(*SHOP_ROLES)
def add(village: Village):
    form = RewardForm()
    if not form.validate_on_submit():
        return _manage_page(village, 422, form=form)
    try:
        with unit_of_work():
            reward = shop.add_reward(
                current_user,
                village,
                name=form.name.data,
                unit=form.unit.data,
                cost=form.cost.data,
                stock=form.stock.data,
            )
            done = said(_("已上架“%(name)s”。"), name=reward.name)
    except Refusal as error:
        db.session.rollback()
        if _field_message(form, error):
            return _manage_page(village, error.status, form=form)
        return _manage_page(village, error.status, form=form, message=error.message)
    if htmx_target() == REWARDS_TARGET:
        return _manage_page(village, done=done)
    flash(done, "success")
    return redirect_after_post(url_for(".manage", village=village.slug))


def _reward_or_404(village: Village, reward_id: int) -> Reward:
    try:
        return shop.get_reward(village, reward_id)
    except NotFound:
        abort(404)


def _row_action(village: Village, reward_id: int, name: str, act):
    """One change to one reward: its form parsed, the service in one unit of work, the
    row back in place (htmx) or post/redirect/get."""
    reward = _reward_or_404(village, reward_id)
    forms = row_forms(reward.id, request.form)
    form = forms.get(name)
    if form is not None and not form.validate():
        return _manage_page(village, 422, reward=reward, forms=forms)
    try:
        with unit_of_work():
            done = act(reward, form)
    except Refusal as error:
        db.session.rollback()
        reward = _reward_or_404(village, reward_id)
        if form is not None and _field_message(form, error):
            return _manage_page(village, error.status, reward=reward, forms=forms)
        return _manage_page(
            village, error.status, reward=reward, forms=forms, row_message=error.message
        )
    if htmx_target() == f"reward-{reward.id}":
        return _manage_page(village, reward=reward, row_done=done)
    flash(done, "success")
    return redirect_after_post(url_for(".manage", village=village.slug))


@bp.post(f"{PREFIX}/manage/<int:reward_id>/restock")
@private_page
@village_role(*SHOP_ROLES)
def restock(village: Village, reward_id: int):
    def act(reward, form):
        changed = shop.restock(current_user, village, reward, form.added.data)
        return said(_("“%(name)s”现在库存 %(stock)d。"), name=changed.name, stock=changed.stock)

    return _row_action(village, reward_id, "restock", act)


@bp.post(f"{PREFIX}/manage/<int:reward_id>/cost")
@private_page
@village_role(*SHOP_ROLES)
def cost(village: Village, reward_id: int):
    def act(reward, form):
        changed = shop.change_cost(current_user, village, reward, form.cost.data)
        return said(_("“%(name)s”现在要 %(cost)d 分。"), name=changed.name, cost=changed.cost)

    return _row_action(village, reward_id, "cost", act)


@bp.post(f"{PREFIX}/manage/<int:reward_id>/retire")
@private_page
@village_role(*SHOP_ROLES)
def retire(village: Village, reward_id: int):
    def act(reward, form):
        changed = shop.retire_reward(current_user, village, reward)
        return said(_("“%(name)s”已下架，不能再兑换。"), name=changed.name)

    return _row_action(village, reward_id, "retire", act)
