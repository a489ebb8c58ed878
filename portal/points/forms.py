"""Forms of recording points 积分 and of the approval queue.

The rules (whose household, the item of this village, the date, the cap, the note's
length, four eyes) are checked by `portal.points.services`, whose refusals name the
field they belong beside; the forms only parse what was sent. The points are never a
field: they come from the chosen item of the catalogue.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, SelectField, TextAreaField
from wtforms.validators import InputRequired

from portal.boards.forms import optional_int
from portal.points.models import NOTE_MAX, REASON_MAX
from portal.publicity.forms import normalise
from portal.rules.manage_forms import LocalDateField


class RecordForm(FlaskForm):
    """A grid worker's or committee member's record of one event for one household."""

    household = HiddenField()
    item = SelectField(_l("积分细则"), coerce=optional_int, validate_choice=False)
    occurred_on = LocalDateField(
        _l("事情发生的日期"), validators=[InputRequired(_l("请填写事情发生的日期。"))]
    )
    note = TextAreaField(
        _l("说明（可不填）"),
        filters=[normalise],
        render_kw={"rows": 2, "maxlength": NOTE_MAX},
    )
    # A paper declaration 纸质申报 (the committee only): the resident whose form it was.
    declared_by = SelectField(
        _l("纸质申报的申报人（不是纸质申报就不选）"),
        coerce=optional_int,
        validate_choice=False,
    )


class DeclareForm(FlaskForm):
    """A villager's own declaration for their household, with an optional photo."""

    item = SelectField(_l("申报的事项"), coerce=optional_int, validate_choice=False)
    occurred_on = LocalDateField(
        _l("事情发生的日期"), validators=[InputRequired(_l("请填写事情发生的日期。"))]
    )
    note = TextAreaField(
        _l("说明（可不填）"),
        filters=[normalise],
        render_kw={"rows": 3, "maxlength": NOTE_MAX},
    )
    photo = FileField(_l("照片（可不传）"))


class RejectForm(FlaskForm):
    reason = TextAreaField(
        _l("退回的理由（记录人和这一户会看到）"),
        filters=[normalise],
        render_kw={"rows": 2, "maxlength": REASON_MAX},
    )


def row_form(entry_id: int, formdata=None) -> RejectForm:
    """A queue row's reject form, its field named after the entry so ids stay unique on
    the page; the token is the page's own csrf_token input, checked app-wide."""
    return RejectForm(prefix=f"e{entry_id}", meta={"csrf": False}, formdata=formdata)
