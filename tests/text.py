"""Reading a page's words as a reader sees them."""

from __future__ import annotations

import re

_TOGETHER = re.compile(r'<span class="nowrap">(.*?)</span>')


def unwrapped(html: str) -> str:
    """`html` without the spans that keep a date or a count on one line
    (portal/typesetting.py), so a test can look for "已有 9 人投票" as it reads."""
    return _TOGETHER.sub(r"\1", html)
