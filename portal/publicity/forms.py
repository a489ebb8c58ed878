"""Forms of 公示: a villager's objection, a clerk's paper objection, an answer."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from portal.publicity.models import ANSWER_MAX, REASON_MAX


def normalise(value):
    return value.replace("\r\n", "\n").strip() if isinstance(value, str) else value


class ObjectionForm(FlaskForm):
    reason = TextAreaField(
        _l("异议的理由"),
        filters=[normalise],
        validators=[
            DataRequired(_l("请写下异议的理由。")),
            Length(max=REASON_MAX, message=_l("理由最多 %(max)d 个字。")),
        ],
        render_kw={"rows": 4},
    )
    next = HiddenField()


class PaperObjectionForm(ObjectionForm):
    resident_id = IntegerField(
        _l("提出异议的村民"),
        validators=[Optional()],
    )


class AnswerForm(FlaskForm):
    answer = TextAreaField(
        _l("书面答复"),
        filters=[normalise],
        validators=[
            DataRequired(_l("请写下答复。")),
            Length(max=ANSWER_MAX, message=_l("答复最多 %(max)d 个字。")),
        ],
        render_kw={"rows": 3},
    )
    next = HiddenField()
