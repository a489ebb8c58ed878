"""Forms of 村务公开. Every one carries the CSRF token."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    FieldList,
    FileField,
    Form,
    FormField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from portal.notices.models import (
    ANSWER_MAX,
    BODY_MAX,
    CAPTION_MAX,
    QUESTION_MAX,
    TITLE_MAX,
    NoticeCategory,
)

# The categories a committee member picks; 会议决定 is posted by a closed vote only (and
# kept by a correction of one).
CATEGORY_LABELS = {
    NoticeCategory.AFFAIRS: _l("村务"),
    NoticeCategory.FINANCE: _l("财务"),
    NoticeCategory.PARTY: _l("党务"),
    NoticeCategory.ANNOUNCEMENT: _l("通知"),
    NoticeCategory.DECISION: _l("会议决定"),
}
WRITABLE_CATEGORIES = [c for c in NoticeCategory if c != NoticeCategory.DECISION]


def strip(value):
    return value.strip() if isinstance(value, str) else value


def normalise_body(value):
    return value.replace("\r\n", "\n").strip() if isinstance(value, str) else value


ACCEPTED_FILES = "image/jpeg,image/png,image/gif,image/webp,application/pdf"
# How many files one submission of a form carries, each with its own caption: a photo's
# caption is its alt text, and one caption cannot describe several photos.
SLOTS = 3


class AttachmentSlot(Form):
    """One file of a submission and what it shows. Checked by content, not here:
    portal/notices/attachments.py, which also asks a photo for its caption."""

    file = FileField(_l("照片或 PDF 文件"), render_kw={"accept": ACCEPTED_FILES})
    caption = StringField(
        _l("说明（照片必填）"),
        filters=[strip],
        validators=[Length(max=CAPTION_MAX, message=_l("说明最多 %(max)d 个字。"))],
        render_kw={"autocomplete": "off", "maxlength": CAPTION_MAX},
    )


class NoticeForm(FlaskForm):
    category = SelectField(
        _l("类别"),
        choices=[SelectChoice(c.value, CATEGORY_LABELS[c]) for c in WRITABLE_CATEGORIES],
        validate_choice=True,
        invalid_choice_message=_l("请选择公开的类别。"),
    )
    title = StringField(
        _l("标题"),
        filters=[strip],
        validators=[
            DataRequired(_l("请填写标题。")),
            Length(max=TITLE_MAX, message=_l("标题最多 %(max)d 个字。")),
        ],
        render_kw={"autocomplete": "off"},
    )
    body = TextAreaField(
        _l("正文"),
        filters=[normalise_body],
        validators=[
            DataRequired(_l("请填写正文。")),
            Length(max=BODY_MAX, message=_l("正文最多 %(max)d 个字。")),
        ],
        render_kw={"rows": 14},
    )
    attachments = FieldList(FormField(AttachmentSlot), min_entries=SLOTS, max_entries=SLOTS)
    # Which periods of the disclosure schedule this notice makes public, in the committee's
    # words: "<item id>:<first day of the period>", checked by portal/notices/schedule.py.
    covers = SelectMultipleField(_l("这条公告公开的是哪几期"), choices=[], validate_choice=False)


def notice_form(*, keep_decision: bool = False, **kwargs) -> NoticeForm:
    """The notice form; a correction of an assembly decision may keep 会议决定."""
    form = NoticeForm(**kwargs)
    if keep_decision:
        form.category.choices = [SelectChoice(c.value, CATEGORY_LABELS[c]) for c in NoticeCategory]
    return form


class AttachmentForm(FlaskForm):
    """Add attachments to a draft from its console page."""

    # Its slots' fields are attachments-<n>-file and -caption: the section they sit in
    # keeps the id #attachments (the page returns there after an upload).
    attachments = FieldList(FormField(AttachmentSlot), min_entries=SLOTS, max_entries=SLOTS)


class QuestionForm(FlaskForm):
    body = TextAreaField(
        _l("您的问题"),
        filters=[normalise_body],
        validators=[
            DataRequired(_l("请写下您的问题。")),
            Length(max=QUESTION_MAX, message=_l("问题最多 %(max)d 个字。")),
        ],
        render_kw={"rows": 4},
    )


class AnswerForm(FlaskForm):
    answer = TextAreaField(
        _l("答复"),
        filters=[normalise_body],
        validators=[
            DataRequired(_l("请写下答复。")),
            Length(max=ANSWER_MAX, message=_l("答复最多 %(max)d 个字。")),
        ],
        render_kw={"rows": 4},
    )


class ConfirmForm(FlaskForm):
    """A button that changes something: only the CSRF token."""
