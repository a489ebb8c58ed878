"""Language choice: Chinese (zh-Hans) first, English on request."""

from __future__ import annotations

from datetime import date, datetime

from flask import has_request_context, request
from flask_babel import format_date as babel_format_date
from flask_babel import format_datetime as babel_format_datetime
from flask_babel import get_locale
from flask_babel import gettext as _

LANG_COOKIE = "lang"
ZH = "zh_Hans_CN"
EN = "en"


def select_locale() -> str:
    """English only when the reader chose it; Chinese for everyone else and for commands."""
    if has_request_context() and request.cookies.get(LANG_COOKIE) == "en":
        return EN
    return ZH


def html_lang() -> str:
    return "en" if str(get_locale()) == EN else "zh-Hans"


def is_english() -> bool:
    return str(get_locale()) == EN


def format_date(value: date | datetime | None) -> str:
    """2026年11月26日 in Chinese, 26 Nov 2026 in English; times in Asia/Shanghai."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return babel_format_datetime(value, "d MMM y" if is_english() else "y年M月d日")
    return babel_format_date(value, "d MMM y" if is_english() else "y年M月d日")


def format_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    return babel_format_datetime(value, "d MMM y HH:mm" if is_english() else "y年M月d日 HH:mm")


def list_of(items) -> str:
    """Items joined with the reader's list separator: 甲、乙、丙 / A, B, C."""
    # Translators: the separator between the items of a list.
    return _("、").join(str(item) for item in items)
