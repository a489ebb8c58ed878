"""Forms of the points shop 积分超市: a redemption at the counter, and the shopkeeper's
rewards (add one, restock, change its cost, retire it).

The rules (what a household may spend, the stock, the ranges of a cost or a quantity,
one name per village) are `portal.points.shop`'s, whose refusals name the field they
belong beside; the forms only parse what was sent, and refuse in words what is not a
whole number at all.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import InputRequired

from portal.inputs import MAX_INTEGER
from portal.points.models import REWARD_NAME_MAX
from portal.publicity.forms import normalise


class WholeNumberField(StringField):
    """A whole number typed by hand (signed: a restock may take goods out): "1.5",
    "三" or a number no column holds are refused in words, not by a browser's widget."""

    def __init__(self, label=None, validators=None, **kwargs):
        render_kw = {"inputmode": "numeric", "autocomplete": "off", **kwargs.pop("render_kw", {})}
        super().__init__(label, validators, render_kw=render_kw, **kwargs)

    def process_formdata(self, valuelist):
        self.data = None
        self.raw = (valuelist[0] if valuelist else "") or ""
        text = self.raw.strip().replace("＋", "+").replace("－", "-")
        if not text:
            return
        sign, digits = (text[0], text[1:]) if text[0] in "+-" else ("", text)
        if not digits.isascii() or not digits.isdigit():
            raise ValueError(_l("请填写整数，例如 3。"))
        number = int(sign + digits)
        if not -MAX_INTEGER <= number <= MAX_INTEGER:
            raise ValueError(_l("这个数字太大了。"))
        self.data = number

    def _value(self):
        return (
            self.raw
            if getattr(self, "raw", None) is not None
            else ("" if self.data is None else str(self.data))
        )


class RedeemForm(FlaskForm):
    """One redemption: which household, which reward, how many."""

    household = HiddenField()
    reward = HiddenField()
    quantity = WholeNumberField(
        _l("数量"), validators=[InputRequired(_l("请填写数量。"))], default=1
    )


class RewardForm(FlaskForm):
    name = StringField(
        _l("物品名称"),
        filters=[normalise],
        render_kw={"maxlength": REWARD_NAME_MAX, "autocomplete": "off"},
    )
    unit = StringField(
        _l("规格（可不填，如“5 斤装”）"),
        filters=[normalise],
        render_kw={"maxlength": REWARD_NAME_MAX, "autocomplete": "off"},
    )
    cost = WholeNumberField(_l("兑换所需积分"), validators=[InputRequired(_l("请填写所需积分。"))])
    stock = WholeNumberField(_l("库存"), validators=[InputRequired(_l("请填写库存数量。"))])


class RestockForm(FlaskForm):
    added = WholeNumberField(
        _l("入库数量（盘亏填负数）"), validators=[InputRequired(_l("请填写数量。"))]
    )


class CostForm(FlaskForm):
    cost = WholeNumberField(_l("新的所需积分"), validators=[InputRequired(_l("请填写所需积分。"))])


def row_forms(reward_id: int, formdata=None) -> dict[str, FlaskForm]:
    """The forms of one reward's row, their fields named after it so ids stay unique on
    a page with many; the token is the page's own csrf_token input, checked app-wide."""
    meta = {"csrf": False}
    prefix = f"r{reward_id}"
    return {
        "restock": RestockForm(prefix=prefix, meta=meta, formdata=formdata),
        "cost": CostForm(prefix=prefix, meta=meta, formdata=formdata),
    }
