"""Language choice: Chinese (zh-Hans) first, English on request."""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import lru_cache

from babel import dates
from flask import has_request_context, request
from flask_babel import get_locale
from flask_babel import gettext as _

from portal.clock import LOCAL_TZ  # also BABEL_DEFAULT_TIMEZONE

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


# Han characters, CJK and full-width punctuation: text with any of them is Chinese.
_CHINESE = re.compile("[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")


def has_chinese(text: str) -> bool:
    return _CHINESE.search(text) is not None


@lru_cache(maxsize=4096)
def _formatted(value: date | datetime, pattern: str, locale: str) -> str:
    """Babel's formatting, remembered: a pure function of its arguments, and a page shows
    the same few dates again and again (Babel parses the pattern on every call)."""
    if isinstance(value, datetime):
        return dates.format_datetime(value, pattern, tzinfo=LOCAL_TZ, locale=locale)
    return dates.format_date(value, pattern, locale=locale)


def format_date(value: date | datetime | None) -> str:
    """2026年11月26日 in Chinese, 26 Nov 2026 in English; times in Asia/Shanghai."""
    if value is None:
        return ""
    english = is_english()
    return _formatted(value, "d MMM y" if english else "y年M月d日", EN if english else ZH)


def format_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    english = is_english()
    pattern = "d MMM y HH:mm" if english else "y年M月d日 HH:mm"
    return _formatted(value, pattern, EN if english else ZH)


def list_of(items) -> str:
    """Items joined with the reader's list separator: 甲、乙、丙 / A, B, C."""
    # Translators: the separator between the items of a list.
    return _("、").join(str(item) for item in items)
