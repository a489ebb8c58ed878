"""Forms of 村规民约 in the committee console and the town office. Each carries the CSRF token.

Length and presence are checked here so the form can say which field is wrong; the
services check the same rules again (and the ones a form cannot know, such as the
notice period of a vote), and their `RuleError` is shown beside the form.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from portal import clock
from portal.i18n import format_date
from portal.inputs import IntegerField
from portal.rules.models import BallotChoice, FilingState, TallyVisibility
from portal.rules.services import (
    ARTICLE_MAX,
    FILING_REASON_MAX,
    LOCAL_TZ,
    REASON_MAX,
    TITLE_MAX,
)

# A day chosen in a form starts at 00:00 and ends at 23:59, Asia/Shanghai.
DAY_START = time(0, 0)
DAY_END = time(23, 59)

BALLOT_LABELS = {
    BallotChoice.YES: _l("赞成"),
    BallotChoice.NO: _l("反对"),
    BallotChoice.ABSTAIN: _l("弃权"),
}


def strip(value):
    return value.strip() if isinstance(value, str) else value


def normalise_text(value):
    return value.replace("\r\n", "\n").strip() if isinstance(value, str) else value


def local_moment(day: date, at: time) -> datetime:
    """`day` at `at`, in the portal's time zone."""
    return datetime.combine(day, at, tzinfo=LOCAL_TZ)


class DocumentForm(FlaskForm):
    title = StringField(
        _l("名称"),
        filters=[strip],
        validators=[
            DataRequired(_l("请填写村规民约的名称。")),
            Length(max=TITLE_MAX, message=_l("名称最多 %(max)d 个字。")),
        ],
        render_kw={"autocomplete": "off", "maxlength": TITLE_MAX},
    )


class ArticleForm(FlaskForm):
    """One article 条: an optional short title and its text."""

    title = StringField(
        _l("条文标题（可不填）"),
        filters=[strip],
        validators=[Optional(), Length(max=TITLE_MAX, message=_l("标题最多 %(max)d 个字。"))],
        render_kw={"autocomplete": "off", "maxlength": TITLE_MAX},
    )
    body = TextAreaField(
        _l("条文内容"),
        filters=[normalise_text],
        validators=[
            DataRequired(_l("请填写条文内容。")),
            Length(max=ARTICLE_MAX, message=_l("一条条文最多 %(max)d 个字。")),
        ],
        render_kw={"rows": 4},
    )


class LocalDateField(DateField):
    """A date typed as YYYY-MM-DD (what a date input sends), refused in plain Chinese."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, format="%Y-%m-%d", **kwargs)

    def process_formdata(self, valuelist):
        if not "".join(valuelist or []).strip():
            self.data = None
            return
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_l("日期格式不对，请按“2026-11-26”的格式填写。")) from None


def _after_today(form, field):
    if field.data is not None and field.data <= clock.today_local():
        raise ValidationError(_l("截止日期要在今天之后。"))


# How far ahead a consultation may end and a vote open or close. A date beyond is a
# slip (9999-12-31), and the dates the console counts from it would not exist.
CONSULTATION_HORIZON = timedelta(days=366)
VOTE_HORIZON = timedelta(days=2 * 366)


def _not_after(horizon: timedelta):
    def check(form, field):
        latest = clock.today_local() + horizon
        if field.data is not None and field.data > latest:
            raise ValidationError(_("日期太远了，最晚可以选 %(date)s。", date=format_date(latest)))

    return check


class ConsultationForm(FlaskForm):
    """征求意见: until the end of the chosen day."""

    ends_on = LocalDateField(
        _l("征求意见截止日期"),
        validators=[
            InputRequired(_l("请填写截止日期。")),
            _after_today,
            _not_after(CONSULTATION_HORIZON),
        ],
    )

    def ends_at(self) -> datetime:
        return local_moment(self.ends_on.data, DAY_END)


class AnnounceVoteForm(FlaskForm):
    """The assembly vote: from the start of the opening day to the end of the closing day."""

    opens_on = LocalDateField(
        _l("表决开始日期"),
        validators=[InputRequired(_l("请填写表决开始日期。")), _not_after(VOTE_HORIZON)],
    )
    closes_on = LocalDateField(
        _l("表决结束日期"),
        validators=[InputRequired(_l("请填写表决结束日期。")), _not_after(VOTE_HORIZON)],
    )
    tally_visibility = RadioField(
        _l("表决期间的计票"),
        choices=[
            SelectChoice(
                TallyVisibility.LIVE.value, _l("公开：表决期间随时显示赞成、反对、弃权票数")
            ),
            SelectChoice(TallyVisibility.HIDDEN.value, _l("不公开：表决结束后才显示票数")),
        ],
        validate_choice=True,
        invalid_choice_message=_l("请选择表决期间是否公开计票。"),
        validators=[InputRequired(_l("请选择表决期间是否公开计票。"))],
    )

    def validate_closes_on(self, field):
        if self.opens_on.data and field.data and field.data < self.opens_on.data:
            raise ValidationError(_l("结束日期不能早于开始日期。"))

    def opens_at(self) -> datetime:
        return local_moment(self.opens_on.data, DAY_START)

    def closes_at(self) -> datetime:
        return local_moment(self.closes_on.data, DAY_END)


class HideCommentForm(FlaskForm):
    reason = StringField(
        _l("隐藏的理由"),
        filters=[strip],
        validators=[
            DataRequired(_l("请写明隐藏这条意见的理由。")),
            Length(max=REASON_MAX, message=_l("理由最多 %(max)d 个字。")),
        ],
    )


class PaperBallotForm(FlaskForm):
    """A paper ballot of the assembly, entered by a clerk: who, and what they chose."""

    resident_id = IntegerField(validators=[InputRequired(_l("请先查找并选定一位村民。"))])
    choice = RadioField(
        _l("选票上的意见"),
        choices=[SelectChoice(c.value, BALLOT_LABELS[c]) for c in BallotChoice],
        validate_choice=True,
        invalid_choice_message=_l("请选择赞成、反对或弃权。"),
        validators=[InputRequired(_l("请选择赞成、反对或弃权。"))],
    )


class FilingDecisionForm(FlaskForm):
    """The town's decision on a filing 备案: filed, or returned with a reason."""

    decision = RadioField(
        choices=[
            SelectChoice(FilingState.FILED.value, _l("准予备案")),
            SelectChoice(FilingState.RETURNED.value, _l("退回修改")),
        ],
        validate_choice=True,
        invalid_choice_message=_l("请选择准予备案或退回修改。"),
        validators=[InputRequired(_l("请选择准予备案或退回修改。"))],
    )
    reason = TextAreaField(
        _l("退回修改的理由"),
        filters=[normalise_text],
        validators=[Length(max=FILING_REASON_MAX, message=_l("理由最多 %(max)d 个字。"))],
        render_kw={"rows": 4},
    )

    def validate_reason(self, field):
        if self.decision.data == FilingState.RETURNED.value and not field.data:
            raise ValidationError(_l("请写明退回修改的理由，村委会会看到它。"))


class ConfirmForm(FlaskForm):
    """A button that changes something: only the CSRF token."""
