"""Forms of the disclosure schedule 公开目录. Every one carries the CSRF token."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from portal.notices.forms import CATEGORY_LABELS, strip
from portal.notices.models import TITLE_MAX, DisclosureCadence
from portal.notices.schedule import (
    CADENCE_LABELS,
    DEFAULT_GRACE_DAYS,
    GRACE_DAYS_MAX,
    SCHEDULABLE_CATEGORIES,
)


class DisclosureItemForm(FlaskForm):
    title = StringField(
        _l("公开事项"),
        filters=[strip],
        validators=[
            DataRequired(_l("请填写公开事项的名称。")),
            Length(max=TITLE_MAX, message=_l("名称最多 %(max)d 个字。")),
        ],
        render_kw={"autocomplete": "off"},
    )
    category = SelectField(
        _l("公告类别"),
        choices=[SelectChoice(c.value, CATEGORY_LABELS[c]) for c in SCHEDULABLE_CATEGORIES],
        validate_choice=True,
        invalid_choice_message=_l("请选择公开的类别。"),
    )
    cadence = SelectField(
        _l("多久公开一次"),
        choices=[SelectChoice(c.value, CADENCE_LABELS[c]) for c in DisclosureCadence],
        default=DisclosureCadence.QUARTERLY.value,
        validate_choice=True,
        invalid_choice_message=_l("请选择多久公开一次。"),
    )
    grace_days = IntegerField(
        _l("宽限天数"),
        default=DEFAULT_GRACE_DAYS,
        validators=[
            InputRequired(_l("请填写宽限天数。")),
            NumberRange(
                min=0,
                max=GRACE_DAYS_MAX,
                message=_l("宽限天数应在 0 到 %(max)d 天之间。"),
            ),
        ],
        invalid_value_message=_l("宽限天数请填一个整数，例如 10。"),
        render_kw={"min": 0, "max": GRACE_DAYS_MAX},
    )


class StandardScheduleForm(FlaskForm):
    monthly_finance = BooleanField(_l("本村集体财务往来较多，财务收支每月公开一次"))


class ToggleForm(FlaskForm):
    """Stop or resume an item: only the CSRF token, and `active` in the button."""
