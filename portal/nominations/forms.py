"""Villagers' forms of good-neighbour nominations 好人推荐: nominating, endorsing and
withdrawing. The rules (the roster, the deed's date, the limits, the lengths) are
checked by `portal.nominations.services`, whose refusals name the field they belong
beside; the forms only parse what was sent. The nominee is a choice from the roster
search ("resident:<id>") or "own" (the nominator's own household): never a typed
household or door number.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired

from portal.boards.forms import optional_int
from portal.nominations.models import CAPTION_MAX, STORY_MAX
from portal.publicity.forms import normalise
from portal.rules.manage_forms import LocalDateField

OWN_HOUSEHOLD = "own"


class NominationForm(FlaskForm):
    category_id = SelectField(_l("类别"), coerce=optional_int, validate_choice=False)
    nominee = HiddenField()
    story = TextAreaField(
        _l("事迹"),
        filters=[normalise],
        render_kw={"rows": 6, "maxlength": STORY_MAX},
    )
    deed_on = LocalDateField(_l("事情发生的日期"))
    photo = FileField(_l("照片（可不传）"))
    caption = StringField(
        _l("照片说明（可不填）"),
        filters=[normalise],
        render_kw={"maxlength": CAPTION_MAX, "autocomplete": "off"},
    )


class EndorseForm(FlaskForm):
    """The endorse button: only the CSRF token."""


class WithdrawForm(FlaskForm):
    confirm = BooleanField(
        _l("我确认撤回这条推荐（撤回后不能恢复）"),
        validators=[InputRequired(_l("请勾选确认后再撤回。"))],
    )
