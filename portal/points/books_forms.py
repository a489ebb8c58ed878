"""Forms of the points books 积分台账: the catalogue 积分细则, a correction 冲销, the year end.

The forms parse what was sent and say in words what cannot be read (a number that is
not a whole number); the rules (lengths, points within the limit and not zero, a code
used once, a cap not below the item's points) are the service's, whose refusals name
the field they belong beside (`portal.points.services.add_item`, `reverse`,
`close_year`).
"""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields import SelectChoice
from wtforms.validators import AnyOf, InputRequired, Optional

from portal.inputs import MAX_INTEGER, IntegerField
from portal.points.models import (
    ARTICLE_MAX,
    CATEGORY_MAX,
    CODE_MAX,
    DESCRIPTION_MAX,
    NOTE_MAX,
    CapPeriod,
)
from portal.publicity.forms import normalise

# The category select's choice that opens the text field for a category of the village's own.
OTHER = "_other"
_WHOLE = re.compile(r"[+-]?[0-9]+")
_SIGNS = str.maketrans("－−＋０１２３４５６７８９", "--+0123456789")


class WholeNumberField(IntegerField):
    """A whole number (negative allowed), refused in plain words when it is not one
    ("1.5", "五", "1e3") or when no column could hold it. A full-width sign or digit
    (what a Chinese input method types) is read as the ASCII one."""

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        raw = str(valuelist[0]).strip().translate(_SIGNS)
        self.data = None
        if not raw:
            return
        if not _WHOLE.fullmatch(raw):
            raise ValueError(_l("请填写整数，例如 5 或 -10。"))
        number = int(raw) if len(raw) <= 12 else None
        if number is None or not -MAX_INTEGER <= number <= MAX_INTEGER:
            raise ValueError(_l("这个数字太大了。"))
        self.data = number


class ItemForm(FlaskForm):
    """A new item of the catalogue."""

    code = StringField(
        _l("编号"),
        filters=[normalise],
        render_kw={"maxlength": CODE_MAX, "autocomplete": "off"},
    )
    category = SelectField(_l("类别"), validate_choice=False)
    category_other = StringField(
        _l("其他类别的名称（选“其他”时填写）"),
        filters=[normalise],
        render_kw={"maxlength": CATEGORY_MAX},
    )
    description = TextAreaField(
        _l("做什么得分或扣分"),
        filters=[normalise],
        render_kw={"rows": 2, "maxlength": DESCRIPTION_MAX},
    )
    points = WholeNumberField(
        _l("分值（扣分填负数）"),
        validators=[InputRequired(_l("请填写分值。"))],
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    rule_article = StringField(
        _l("依据的村规民约条款（可不填）"),
        filters=[normalise],
        render_kw={"maxlength": ARTICLE_MAX},
    )
    cap = WholeNumberField(
        _l("每户上限（可不填）"),
        validators=[Optional()],
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    cap_period = SelectField(
        _l("上限按"),
        choices=[
            SelectChoice("", _l("不设上限")),
            SelectChoice(CapPeriod.MONTH.value, _l("每月")),
            SelectChoice(CapPeriod.YEAR.value, _l("每年")),
        ],
        validate_choice=False,
        validators=[AnyOf(["", *CapPeriod], message=_l("请选择按月还是按年。"))],
    )

    def chosen_category(self) -> str:
        if self.category.data == OTHER:
            return self.category_other.data or ""
        return self.category.data or ""


def reverse_form(row_id: int, formdata=None) -> ReverseForm:
    """The correction form of one ledger row, its field named after the row so ids stay
    unique on a page of many; the token is the page's csrf_token input, checked app-wide."""
    return ReverseForm(prefix=f"r{row_id}", meta={"csrf": False}, formdata=formdata)


class ReverseForm(FlaskForm):
    reason = TextAreaField(
        _l("冲销的理由"),
        filters=[normalise],
        render_kw={"rows": 2, "maxlength": NOTE_MAX},
    )


class YearEndForm(FlaskForm):
    """Confirm the year end by typing the year, as for any action that cannot be undone."""

    year = StringField(
        _l("请输入要结算的年份以确认"),
        filters=[normalise],
        render_kw={"inputmode": "numeric", "autocomplete": "off", "maxlength": 4},
    )
