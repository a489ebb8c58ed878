"""Forms of the nominations console: the committee's decisions, the paper path,
categories, and the town's selection.

The rules (lengths, the deed date, the roster, one endorsement each) are checked by
`portal.nominations.services`, whose refusals name the field they belong beside; the
forms only parse what was sent. Ids that come from the database (a resident, a
category) are not checked against a list here: the service refuses anything not of
this village in words.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields import SelectChoice
from wtforms.validators import InputRequired, Optional

from portal.boards.forms import optional_int
from portal.nominations.models import CAPTION_MAX, CATEGORY_NAME_MAX, NOTE_MAX, STORY_MAX
from portal.publicity.forms import normalise
from portal.rules.manage_forms import LocalDateField


class RejectForm(FlaskForm):
    reason = TextAreaField(
        _l("不予评选的理由（推荐人会看到）"),
        filters=[normalise],
        render_kw={"rows": 3},
    )


class CommendForm(FlaskForm):
    red_category_id = SelectField(
        _l("同时登上红榜（可不选）"), coerce=optional_int, validate_choice=False
    )
    consented = BooleanField(_l("本人同意公开姓名"))
    points_item_id = SelectField(
        _l("同时为这一户记积分（可不选）"), coerce=optional_int, validate_choice=False
    )


def row_form(form_cls, nomination_id: int, formdata=None):
    """A form of one nomination, its fields named after it so ids stay unique on a page
    with many; the token is the page's own csrf_token input, checked app-wide."""
    return form_cls(prefix=f"n{nomination_id}", meta={"csrf": False}, formdata=formdata)


class PaperNominationForm(FlaskForm):
    """A nomination that came on paper: whose it is, whom it names, the deed."""

    nominator_resident_id = HiddenField()
    nominee = HiddenField()
    category_id = SelectField(_l("类别"), coerce=optional_int, validate_choice=False)
    story = TextAreaField(
        _l("事迹（照纸上写的录入）"),
        filters=[normalise],
        render_kw={"rows": 6, "maxlength": STORY_MAX},
    )
    deed_on = LocalDateField(_l("事情发生的日期"), validators=[Optional()])
    photo = FileField(_l("照片（可不传）"))
    caption = StringField(
        _l("照片说明（可不填）"),
        filters=[normalise],
        render_kw={"maxlength": CAPTION_MAX},
    )


class CategoryForm(FlaskForm):
    name = StringField(
        _l("新类别的名称"), filters=[normalise], render_kw={"maxlength": CATEGORY_NAME_MAX}
    )


class RetireForm(FlaskForm):
    confirm = BooleanField(
        _l("我确认停用这个类别（已有的推荐不受影响，以后不能再选它）"),
        validators=[InputRequired(_l("请勾选确认后再停用。"))],
    )


class TownDecisionForm(FlaskForm):
    decision = RadioField(
        _l("镇街评选结果"),
        choices=[
            SelectChoice("selected", _l("入选")),
            SelectChoice("not_selected", _l("未入选")),
        ],
        validators=[InputRequired(_l("请选择入选还是未入选。"))],
    )
    note = TextAreaField(
        _l("说明（未入选时必填，村委会会看到）"),
        filters=[normalise],
        render_kw={"rows": 2, "maxlength": NOTE_MAX},
    )


def town_form(nomination_id: int, formdata=None) -> TownDecisionForm:
    return TownDecisionForm(prefix=f"t{nomination_id}", meta={"csrf": False}, formdata=formdata)
