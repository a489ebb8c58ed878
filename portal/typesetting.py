"""Keeping a date, a time, and a count with its unit on one line.

Chinese text may break between any two characters, so a narrow screen can split
"2026年12月6日" after "12" or "9 人" between the figure and its unit. `keep_together`
wraps each such run of a message in `<span class="nowrap">` (static/css/site.css), so
the line breaks before or after it, never inside. It is for messages in a page's
HTML: tags and attributes are left alone, as is the text of a textarea.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

_MONTHS = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
_TIME = r"\d{1,2}:\d{2}"
_ZH_UNITS = "周岁|%|％|人|票|户|条|版|位|天|元|份|次|个|项|名|页|张|字|岁|年|月|日|小时|分钟"
_EN_UNITS = (
    "votes?|people|persons?|households?|villagers?|articles?|days?|hours?|minutes?|"
    "questions?|comments?|items?|pages?|years?"
)
_RUN = re.compile(
    "|".join(
        [
            r"\d{4}年\d{1,2}月\d{1,2}日",  # 2026年12月6日
            r"\d{1,2}月\d{1,2}日",  # 12月6日
            rf"\d{{1,2}} (?:{_MONTHS}) \d{{4}}",  # 6 Dec 2026
            rf"(?:第\s?)?\d[\d,.]*\s?(?:{_ZH_UNITS})",  # 第 2 版, 9 人, 82%
            rf"\d[\d,.]*\s(?:{_EN_UNITS})\b",  # 9 votes
            r"(?:Version|Article|No\.)\s\d+",  # Version 2
            _TIME,  # 08:00: a line may break between a date and its time, not inside either
        ]
    )
)
_TAG = re.compile(r"(<[^>]*>)")
_WRAP = '<span class="nowrap">{}</span>'


def keep_together(value) -> Markup:
    """`value` (text or Markup) with each date, time and count-with-unit kept on one line."""
    html = str(escape(value))
    out: list[str] = []
    in_textarea = False
    for part in _TAG.split(html):
        if part.startswith("<"):
            name = part[1:].split(None, 1)[0].lower().rstrip(">/") if len(part) > 2 else ""
            if name == "textarea":
                in_textarea = True
            elif name == "/textarea":
                in_textarea = False
            out.append(part)
        elif in_textarea or not part:
            out.append(part)
        else:
            out.append(_RUN.sub(lambda m: _WRAP.format(m.group(0)), part))
    return Markup("".join(out))
