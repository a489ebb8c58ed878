"""Forms of the boards' console: categories, a new entry, and the steps of an entry.

The rules (lengths, the legal basis, the deadline, the meeting) are checked by
`portal.boards.services`, whose refusals name the field they belong beside; the forms
only parse what was sent. Choices that come from the database (an article, a category,
the subject) are not checked against a list here: the service refuses anything not of
this village in words.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Optional

from portal.boards.models import (
    ATTENDEES_MAX,
    CAPTION_MAX,
    CATEGORY_DESCRIPTION_MAX,
    CATEGORY_NAME_MAX,
    DESCRIPTION_MAX,
    NOTE_MAX,
)
from portal.inputs import IntegerField
from portal.publicity.forms import normalise
from portal.rules.manage_forms import LocalDateField


def optional_int(value):
    """A select's value as an id, or None for the empty choice or anything not a number."""
    if value in (None, "", "None"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class CategoryForm(FlaskForm):
    board = SelectField(_l("红榜还是黑榜"), validate_choice=False)
    name = StringField(
        _l("类别名称"),
        filters=[normalise],
        render_kw={"maxlength": CATEGORY_NAME_MAX, "autocomplete": "off"},
    )
    description = TextAreaField(
        _l("说明（可不填）"),
        filters=[normalise],
        render_kw={"rows": 2, "maxlength": CATEGORY_DESCRIPTION_MAX},
    )
    article_id = SelectField(_l("依据的村规民约条款"), coerce=optional_int, validate_choice=False)


class RetireForm(FlaskForm):
    confirm = BooleanField(
        _l("我确认停用这个类别（已有的条目不受影响，以后不能再用它登记）"),
        validators=[InputRequired(_l("请勾选确认后再停用。"))],
    )


class ConfirmForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class EntryForm(FlaskForm):
    category_id = SelectField(_l("类别"), coerce=optional_int, validate_choice=False)
    # "resident:<id>" or "household:<id>", from the roster search: never a typed number.
    subject = HiddenField()
    description = TextAreaField(
        _l("事实经过"),
        filters=[normalise],
        render_kw={"rows": 5, "maxlength": DESCRIPTION_MAX},
    )
    photo = FileField(_l("照片（可不传）"))
    caption = StringField(
        _l("照片说明（可不填）"),
        filters=[normalise],
        render_kw={"maxlength": CAPTION_MAX, "autocomplete": "off"},
    )
    deadline = LocalDateField(_l("整改期限（最后一天）"), validators=[Optional()])
    consented = BooleanField(_l("本人同意公开姓名"))


class PutRightForm(FlaskForm):
    note = TextAreaField(
        _l("整改情况（可不填）"),
        filters=[normalise],
        render_kw={"rows": 2, "maxlength": NOTE_MAX},
    )


class ApproveForm(FlaskForm):
    meeting_on = LocalDateField(_l("开会日期"), validators=[Optional()])
    attendees = StringField(
        _l("参加会议的人"),
        filters=[normalise],
        render_kw={"maxlength": ATTENDEES_MAX, "autocomplete": "off"},
    )
    votes_for = IntegerField(
        _l("同意列入的人数"), validators=[Optional()], render_kw={"min": 0, "inputmode": "numeric"}
    )
    votes_against = IntegerField(
        _l("不同意的人数"), validators=[Optional()], render_kw={"min": 0, "inputmode": "numeric"}
    )


class DeclineForm(FlaskForm):
    reason = TextAreaField(
        _l("不列入的理由"),
        filters=[normalise],
        render_kw={"rows": 2, "maxlength": NOTE_MAX},
    )
