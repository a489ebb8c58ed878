"""Forms for registration, login and the account page. Messages in plain Chinese."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import EqualTo, InputRequired, Length, ValidationError

from portal import clock
from portal.auth import services
from portal.villages.models import Village


def strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


PHONE_ATTRS = {"type": "tel", "inputmode": "numeric", "autocomplete": "tel", "maxlength": 20}
# Where the phone number is the account's name (log in, reset): a text field with the
# phone keypad, since "username" is not an autofill name a type=tel field may carry.
USERNAME_ATTRS = {"type": "text", "inputmode": "tel", "autocomplete": "username"}


class RegistrationForm(FlaskForm):
    """One form, two paths: with an invite code (verified at once) or without (queued)."""

    village = SelectField(_l("所在的村"), choices=[], validate_choice=False)
    invite_code = StringField(
        _l("邀请码"),
        filters=[strip],
        validators=[Length(max=32, message=_l("邀请码太长了，请核对。"))],
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "maxlength": 40},
    )
    name = StringField(
        _l("姓名"),
        filters=[strip],
        validators=[
            InputRequired(message=_l("请填写姓名（户籍上的名字）。")),
            Length(max=40, message=_l("姓名最多40个字。")),
        ],
        render_kw={"autocomplete": "name", "maxlength": 40},
    )
    door_number = StringField(
        _l("门牌号"),
        filters=[strip],
        validators=[Length(max=40, message=_l("门牌号最多40个字。"))],
        render_kw={"maxlength": 40},
    )
    birth_year = StringField(
        _l("出生年份"),
        filters=[strip],
        render_kw={"inputmode": "numeric", "autocomplete": "bday-year", "maxlength": 4},
    )
    phone = StringField(
        _l("手机号"),
        filters=[services.normalize_phone],
        render_kw=PHONE_ATTRS,
    )
    password = PasswordField(
        _l("密码"),
        validators=[InputRequired(message=_l("请设一个密码。"))],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("再输一遍密码"),
        validators=[
            InputRequired(message=_l("请再输一遍密码。")),
            EqualTo("password", message=_l("两次输入的密码不一样。")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField(_l("注册"))

    #: The village chosen in the form, once validated.
    chosen_village: Village | None = None

    def validate_village(self, field) -> None:
        self.chosen_village = None
        if field.data:
            self.chosen_village = services.village_by_slug(field.data)
            if self.chosen_village is None:
                raise ValidationError(_l("没有这个村，请重新选择。"))
        elif not self.invite_code.data:
            raise ValidationError(_l("请选择您所在的村。"))

    def validate_invite_code(self, field) -> None:
        if not field.data:
            return
        village = services.village_by_slug(self.village.data) if self.village.data else None
        problem = services.check_invite(field.data, village).problem
        if problem:
            raise ValidationError(problem)

    def validate_door_number(self, field) -> None:
        if not self.invite_code.data and not field.data:
            raise ValidationError(_l("没有邀请码时，请填写门牌号，例如12号。"))

    def validate_birth_year(self, field) -> None:
        if self.invite_code.data and not field.data:
            return
        if not field.data:
            raise ValidationError(_l("没有邀请码时，请填写出生年份，例如1965。"))
        if not (field.data.isdigit() and 1900 <= int(field.data) <= clock.today_local().year):
            raise ValidationError(_l("请填写4位数的出生年份，例如1965。"))

    def validate_phone(self, field) -> None:
        problem = services.phone_problem(field.data or "")
        if problem:
            raise ValidationError(problem)

    def validate_password(self, field) -> None:
        problem = services.password_problem(field.data or "", self.phone.data)
        if problem:
            raise ValidationError(problem)


class LoginForm(FlaskForm):
    phone = StringField(
        _l("手机号"),
        filters=[services.normalize_phone],
        validators=[InputRequired(message=_l("请填写手机号。"))],
        render_kw={**PHONE_ATTRS, **USERNAME_ATTRS},
    )
    password = PasswordField(
        _l("密码"),
        validators=[InputRequired(message=_l("请填写密码。"))],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField(_l("在这台手机上保持登录（30天）"))
    submit = SubmitField(_l("登录"))

    def validate_phone(self, field) -> None:
        problem = services.phone_format_problem(field.data or "")
        if problem:
            raise ValidationError(problem)


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("现在的密码"),
        validators=[InputRequired(message=_l("请填写现在的密码。"))],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = PasswordField(
        _l("新密码"),
        validators=[InputRequired(message=_l("请设一个新密码。"))],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("再输一遍新密码"),
        validators=[
            InputRequired(message=_l("请再输一遍新密码。")),
            EqualTo("new_password", message=_l("两次输入的密码不一样。")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField(_l("修改密码"))

    def __init__(self, *args, phone: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self._phone = phone

    def validate_new_password(self, field) -> None:
        problem = services.password_problem(field.data or "", self._phone)
        if problem:
            raise ValidationError(problem)


class ResetForm(FlaskForm):
    """A new password with the reset code the village committee printed."""

    phone = StringField(
        _l("手机号"),
        filters=[services.normalize_phone],
        render_kw={**PHONE_ATTRS, **USERNAME_ATTRS},
    )
    code = StringField(
        _l("重设码"),
        filters=[strip],
        validators=[
            InputRequired(message=_l("请填写村委会给您的重设码。")),
            Length(max=32, message=_l("重设码太长了，请核对纸条。")),
        ],
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "maxlength": 40},
    )
    new_password = PasswordField(
        _l("新密码"),
        validators=[InputRequired(message=_l("请设一个新密码。"))],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("再输一遍新密码"),
        validators=[
            InputRequired(message=_l("请再输一遍新密码。")),
            EqualTo("new_password", message=_l("两次输入的密码不一样。")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField(_l("设新密码"))

    def validate_phone(self, field) -> None:
        problem = services.phone_format_problem(field.data or "")
        if problem:
            raise ValidationError(problem)

    def validate_new_password(self, field) -> None:
        problem = services.password_problem(field.data or "", self.phone.data)
        if problem:
            raise ValidationError(problem)


class IssueResetForm(FlaskForm):
    """The committee member's confirmation that they saw the person's 身份证."""

    checked = BooleanField(
        _l("我已经看过本人的身份证，确认是本人。"),
        validators=[InputRequired(message=_l("请先核对本人的身份证，再勾选这一项。"))],
    )
    submit = SubmitField(_l("发重设码"))


class FreePhoneForm(FlaskForm):
    """The committee member's confirmation that the number's owner asked for it back."""

    user_id = HiddenField()
    checked = BooleanField(
        _l("机主本人来过村委会，说这个账号不是他注册的。"),
        validators=[InputRequired(message=_l("请先确认机主本人的说法，再勾选这一项。"))],
    )
    submit = SubmitField(_l("释放这个手机号"))
