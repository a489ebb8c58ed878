"""What the portal accepts from a request, before any view reads it.

Text: every value of the query string and of a submitted form is cleaned as the
request parses it, so no form, field or view can forget to. C0 control characters
(U+0000 to U+001F) other than tab and newline are dropped, a carriage return becomes
a newline (a browser sends a textarea's lines as CRLF), and the two noncharacters
U+FFFE and U+FFFF are dropped too. None of them can be typed into a form; each makes
the village's Atom feed invalid XML, and PostgreSQL refuses a NUL outright. A path
segment (a village's or a town's slug) with one of them matches no route: 404.

Integers: a number in a path, a query string or a form field is at most `MAX_INTEGER`,
the largest an INTEGER column holds on PostgreSQL (SQLite raises OverflowError on a
parameter of 2**63 or more, PostgreSQL on storing past 2**31 - 1). A larger one in the
path matches no route (404); read with `request.args.get(name, type=int)` or
`request.form.get(...)`, it counts as not a number, like "abc" (the view's own default
or refusal); in a WTForms form, the `IntegerField` here refuses it in words (422).
"""

from __future__ import annotations

import re

from flask import Flask, Request
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.routing import IntegerConverter as _IntegerConverter
from werkzeug.routing import UnicodeConverter, ValidationError
from wtforms import IntegerField as _IntegerField

MAX_INTEGER = 2**31 - 1

_UNWANTED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def clean_text(value: str) -> str:
    """`value` without control characters other than tab and newline; CR and CRLF as LF."""
    if "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    return _UNWANTED.sub("", value)


def has_controls(value: str) -> bool:
    """Whether `value` holds a character `clean_text` would drop or change."""
    return "\r" in value or _UNWANTED.search(value) is not None


def required_text(
    value: str | None,
    *,
    limit: int,
    empty: str,
    too_long: str,
    field: str | None = None,
    error: type[Exception] | None = None,
) -> str:
    """`value` stripped, refused in words (`error`, a `Refusal` kind, status 422) when
    empty or longer than `limit` characters; the line ends as LF."""
    if error is None:
        from portal.actions import Refusal as error
    text = (value or "").replace("\r\n", "\n").strip()
    if not text:
        raise error(str(empty), status=422, field=field)
    if len(text) > limit:
        raise error(str(too_long), status=422, field=field)
    return text


def bounded_int(value) -> int:
    """`int(value)`, refused (ValueError) beyond what an INTEGER column holds."""
    number = int(value)
    if not -MAX_INTEGER <= number <= MAX_INTEGER:
        raise ValueError("integer out of range")
    return number


def tagged_id(value: str | None, kinds: tuple[str, ...]) -> tuple[str | None, int | None]:
    """("resident", 12) from "resident:12", the value of a choice a search offered
    (a roster row, never a number typed by hand); (None, None) for anything else,
    including a kind not in `kinds` or a number beyond what an INTEGER column holds."""
    kind, _sep, raw = (value or "").partition(":")
    if kind not in kinds or not raw.isascii() or not raw.isdigit():
        return None, None
    try:
        return kind, bounded_int(raw)
    except ValueError:
        return None, None


def _cleaned(value):
    return clean_text(value) if isinstance(value, str) else value


class SubmittedValues(ImmutableMultiDict):
    """The query string or the form fields of a request, cleaned (see the module)."""

    def __init__(self, mapping=None):
        if mapping is None:
            super().__init__()
            return
        if isinstance(mapping, MultiDict):
            items = mapping.items(multi=True)
        elif isinstance(mapping, dict):
            items = [
                (key, item)
                for key, value in mapping.items()
                for item in (value if isinstance(value, (list, tuple)) else [value])
            ]
        else:
            items = mapping
        super().__init__([(_cleaned(key), _cleaned(value)) for key, value in items])

    def get(self, key, default=None, type=None):
        return super().get(key, default, bounded_int if type is int else type)

    def getlist(self, key, type=None):
        return super().getlist(key, bounded_int if type is int else type)


class PortalRequest(Request):
    parameter_storage_class = SubmittedValues


def digits_at_most(limit: int) -> str:
    """A regular expression for the decimal numbers from 0 to `limit`."""
    digits = str(limit)
    size = len(digits)
    choices = [f"[0-9]{{1,{size - 1}}}"] if size > 1 else []
    for at, digit in enumerate(digits):
        if digit != "0":
            rest = size - at - 1
            choices.append(
                digits[:at] + f"[0-{int(digit) - 1}]" + (f"[0-9]{{{rest}}}" if rest else "")
            )
    choices.append(digits)
    return "(?:" + "|".join(choices) + ")"


class IntegerConverter(_IntegerConverter):
    """`<int:...>` in every route: at most `MAX_INTEGER`, or the route does not match.

    The bound is in the pattern itself: a number the pattern refuses matches no route
    whatever the method (404), where a converter's refusal after the match would leave
    a route of the same path with another method answering 405."""

    regex = digits_at_most(MAX_INTEGER)

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):
        highest = MAX_INTEGER if max is None else max
        super().__init__(map, fixed_digits, min, highest, signed)


class TextConverter(UnicodeConverter):
    """A path segment (`<village>`, `<town>`, `<code>`) with no control characters."""

    def to_python(self, value: str) -> str:
        if has_controls(value):
            raise ValidationError()
        return value


class IntegerField(_IntegerField):
    """A whole number a database column can hold; anything larger is refused in words."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and not -MAX_INTEGER <= self.data <= MAX_INTEGER:
            self.data = None
            raise ValueError(_l("这个数字太大了。"))


def init_app(app: Flask) -> None:
    """Install the cleaned request and the bounded converters; before any route is added."""
    app.request_class = PortalRequest
    app.url_map.converters.update(int=IntegerConverter, default=TextConverter, string=TextConverter)
