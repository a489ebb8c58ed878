"""Forms of the site operator's pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, Length, Regexp

from portal.villages.models import QuorumMode

SLUG = Regexp(
    r"^[a-z0-9][a-z0-9-]{1,58}[a-z0-9]$",
    message=_l("只能用小写字母、数字和连字符，3 到 60 个字符。"),
)
PHONE = Regexp(r"^1[3-9]\d{9}$", message=_l("请填写 11 位手机号码。"))


class TownForm(FlaskForm):
    name = StringField(
        _l("镇街名称"), validators=[DataRequired(_l("请填写名称。")), Length(max=60)]
    )
    slug = StringField(_l("网址名"), validators=[DataRequired(_l("请填写网址名。")), SLUG])


class VillageForm(FlaskForm):
    town_id = SelectField(_l("所属镇街"), coerce=int, validate_choice=True)
    name = StringField(_l("村名"), validators=[DataRequired(_l("请填写村名。")), Length(max=60)])
    slug = StringField(_l("网址名"), validators=[DataRequired(_l("请填写网址名。")), SLUG])
    quorum_mode = SelectField(
        _l("村民会议到会标准"),
        choices=[
            SelectChoice(QuorumMode.PERSONS.value, _l("过半数年满十八周岁的村民参加")),
            SelectChoice(QuorumMode.HOUSEHOLDS.value, _l("三分之二以上的户代表参加")),
        ],
    )


class CommitteeForm(FlaskForm):
    phone = StringField(_l("手机号码"), validators=[DataRequired(_l("请填写手机号码。")), PHONE])
    village_id = SelectField(_l("村"), coerce=int, validate_choice=True)


class TownOfficialForm(FlaskForm):
    phone = StringField(_l("手机号码"), validators=[DataRequired(_l("请填写手机号码。")), PHONE])
    town_id = SelectField(_l("镇街"), coerce=int, validate_choice=True)
