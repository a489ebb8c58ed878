"""Door numbers 门牌号 in the order people read them.

A roster's door numbers are text written by hand: 一组3号, 二组12号, 十一组2号, 8号院,
东头5号. Compared as text, 三组 comes before 二组 and 10号 before 2号. `door_sort_key`
reads every run of digits (full-width ones too) and every Chinese numeral (一 … 九十九,
百 and 千, 〇/零) as the number it says, and compares the rest as text, so 一组 < 二组 <
三组 < 十组 < 十一组 and 2号 < 10号.

The lists of a village (households, residents, invite slips) are ordered with it in
Python: a database orders text by code point, and no portable SQL reads 十一 as 11.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7}
_DIGITS |= {"八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000}
_CHINESE = "".join(_DIGITS) + "".join(_UNITS)
_NUMBER = re.compile(rf"[0-9]+|[{_CHINESE}]+")


def chinese_number(text: str) -> int:
    """The value of a run of Chinese numerals: 十一 is 11, 二十 is 20, 一百零五 is 105;
    written digit by digit without units (二〇二六) it is read as positional digits."""
    if not any(ch in _UNITS for ch in text):
        value = 0
        for ch in text:
            value = value * 10 + _DIGITS[ch]
        return value
    total, digit = 0, None
    for ch in text:
        if ch in _DIGITS:
            digit = _DIGITS[ch]
        else:
            total += (1 if digit is None else digit) * _UNITS[ch]
            digit = None
    return total + (digit or 0)


@lru_cache(maxsize=16384)
def door_sort_key(door_number: str) -> tuple:
    """A key that orders door numbers naturally (see the module's docstring).

    Numbers compare as numbers and before text at the same place; the folded text itself
    ends the key, so two spellings of one number (2号, ２号) still have a fixed order.
    """
    text = unicodedata.normalize("NFKC", door_number or "").strip()
    parts: list[tuple] = []
    position = 0
    for match in _NUMBER.finditer(text):
        if match.start() > position:
            parts.append((1, 0, text[position : match.start()]))
        run = match.group()
        value = int(run) if run.isascii() else chinese_number(run)
        parts.append((0, value, ""))
        position = match.end()
    if position < len(text):
        parts.append((1, 0, text[position:]))
    return (tuple(parts), text)


def sort_by_door(items: list, door=lambda item: item.door_number) -> list:
    """`items` ordered by their door numbers, naturally; a stable sort, so items of one
    door keep the order they came in (by id, as the lists query them)."""
    return sorted(items, key=lambda item: door_sort_key(door(item)))
