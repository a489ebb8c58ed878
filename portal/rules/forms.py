"""Forms of the public 村规民约 pages: a ballot and a comment. Both carry the CSRF token."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length

from portal.rules.models import BallotChoice
from portal.rules.services import COMMENT_MAX

# How the choices read on the ballot: 赞成 / 反对 / 弃权.
CHOICE_LABELS = {
    BallotChoice.YES: _l("赞成"),
    BallotChoice.NO: _l("反对"),
    BallotChoice.ABSTAIN: _l("弃权"),
}
CHOICE_MESSAGE = _l("请选择赞成、反对或弃权。")


def normalise_body(value):
    return value.replace("\r\n", "\n").strip() if isinstance(value, str) else value


class BallotForm(FlaskForm):
    """Anything but yes, no or abstain (a forged value included) is refused here."""

    choice = RadioField(
        _l("您的选择"),
        choices=[SelectChoice(c.value, CHOICE_LABELS[c]) for c in BallotChoice],
        validators=[InputRequired(CHOICE_MESSAGE)],
        validate_choice=True,
        invalid_choice_message=CHOICE_MESSAGE,
    )


class CommentForm(FlaskForm):
    body = TextAreaField(
        _l("您的意见"),
        filters=[normalise_body],
        validators=[
            DataRequired(_l("请填写意见内容。")),
            Length(max=COMMENT_MAX, message=_l("意见不能超过%(max)d个字。")),
        ],
        render_kw={"rows": 4},
    )
