"""Forms of the committee console. Every one carries the CSRF token."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    AnyOf,
    DataRequired,
    InputRequired,
    Length,
    Optional,
    Regexp,
    StopValidation,
    ValidationError,
)
from wtforms.widgets import HiddenInput

from portal.auth.models import Role
from portal.inputs import IntegerField
from portal.villages.models import DepartureReason
from portal.villages.roster import NotADate, parse_date


def strip(value):
    return value.strip() if isinstance(value, str) else value


class MatchForm(FlaskForm):
    """Link a registration to the roster resident chosen (one form per candidate)."""

    resident_id = IntegerField(
        widget=HiddenInput(), validators=[InputRequired(_l("请选择花名册上的一个人。"))]
    )


class RefuseForm(FlaskForm):
    reason = TextAreaField(
        _l("不通过的理由"),
        filters=[strip],
        validators=[
            DataRequired(_l("请写明不通过的理由，申请人会看到它。")),
            Length(max=200, message=_l("理由最多 200 个字。")),
        ],
    )


class IssueInviteForm(FlaskForm):
    door_number = StringField(
        _l("门牌号"),
        filters=[strip],
        validators=[
            DataRequired(_l("请填写门牌号。")),
            Length(max=40, message=_l("门牌号最多 40 个字。")),
        ],
    )
    name = StringField(
        _l("姓名（只给这一户的某一个人发码时填写）"),
        filters=[strip],
        validators=[Optional(), Length(max=40, message=_l("姓名最多 40 个字。"))],
    )


class ConfirmForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class AppointForm(FlaskForm):
    phone = StringField(
        _l("村民的手机号"),
        filters=[strip],
        validators=[
            DataRequired(_l("请填写要任命的村民的手机号。")),
            Regexp(r"^1\d{10}$", message=_l("手机号应为 11 位数字，以 1 开头。")),
        ],
        render_kw={"inputmode": "numeric", "autocomplete": "off", "maxlength": "11"},
    )
    role = SelectField(
        _l("任命为"),
        choices=[
            SelectChoice("", _l("请选择")),
            SelectChoice(Role.GRID_WORKER.value, _l("网格员")),
            SelectChoice(Role.SUPERVISOR.value, _l("村务监督委员会成员")),
            SelectChoice(Role.SHOPKEEPER.value, _l("积分超市管理员")),
        ],
        validators=[InputRequired(_l("请选择职务。"))],
    )
    grid_id = SelectField(_l("网格（任命网格员时选择）"), choices=[], validate_choice=False)

    def validate_grid_id(self, field):
        if self.role.data == Role.GRID_WORKER.value and not field.data:
            raise ValidationError(_l("任命网格员时请选择网格。"))


class RosterUploadForm(FlaskForm):
    file = FileField(
        _l("花名册文件（CSV 或 Excel .xlsx，不超过 5 MB）"),
        validators=[FileRequired(_l("请选择要上传的文件。"))],
        render_kw={
            "accept": ".csv,.xlsx,text/csv,"
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        },
    )


class DayField(StringField):
    """A local date, from a browser's date picker (2026-11-03) or typed where there is
    none, the way the roster import reads dates (2026/11/3, 2026年11月3日, 20261103)."""

    def process_formdata(self, valuelist):
        self.data = None
        text = valuelist[0].strip() if valuelist and valuelist[0] else ""
        if not text:
            return
        try:
            self.data = parse_date(text)
        except NotADate as exc:
            if exc.no_such_day:
                raise ValueError(_l("日历上没有这一天，请核对日期。")) from exc
            raise ValueError(_l("日期看不懂，请写成 2026-11-03 这样。")) from exc

    def pre_validate(self, form):
        if self.process_errors:
            raise StopValidation()  # the parse error is already there; "请填写日期" would repeat it


class DepartureForm(FlaskForm):
    """Mark a resident as moved away 迁出 or died 去世 on a day (one form per row)."""

    reason = RadioField(
        _l("原因"),
        choices=[
            SelectChoice(DepartureReason.MOVED.value, _l("迁出")),
            SelectChoice(DepartureReason.DIED.value, _l("去世")),
        ],
        validate_choice=False,
        validators=[
            AnyOf([r.value for r in DepartureReason], message=_l("请选择是迁出还是去世。"))
        ],
    )
    left_on = DayField(_l("日期"), validators=[DataRequired(_l("请填写日期。"))])
