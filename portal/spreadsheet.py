"""CSV files that spreadsheets open safely: the committee's exports for the 公示栏 and the
archive.

A spreadsheet (Excel, WPS, LibreOffice) runs a cell that begins with `=`, `+`, `-` or `@`
as a formula, and a tab or carriage return in front of one is skipped on import, so a
household's note or an item's description typed as `=HYPERLINK("http://…")` would run
on the clerk's computer (CSV injection, OWASP). `safe_cell` puts an apostrophe in front
of every text cell that could start a formula: after leading spaces too (some
spreadsheets trim them), and the full-width signs (＝ ＋ － ＠) a Chinese input method
types, which WPS reads as the ASCII ones. Numbers stay numbers (a negative number is a
number, not a formula).

Files are UTF-8 with a byte-order mark, so Excel on a Chinese Windows reads the Chinese,
and CRLF line ends, as RFC 4180 has them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal

from flask import Response

from portal.privacy import no_store
from portal.uploads import content_disposition

# What may start a formula, in ASCII and in full width.
FORMULA_STARTS = frozenset("=+-@\t\r\n＝＋－＠")
# What a spreadsheet may trim from the front of a cell before it looks.
LEADING_BLANKS = " \u3000\u00a0"
BOM = "\ufeff"


def safe_cell(value):
    """`value` as a CSV cell that cannot run as a formula: numbers as they are, None as
    empty, text with a leading apostrophe if it could start one."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, float, Decimal)):
        return value
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    text = str(value)
    if text[:1] in FORMULA_STARTS or text.lstrip(LEADING_BLANKS)[:1] in FORMULA_STARTS:
        return "'" + text
    return text


def csv_text(header: Sequence, rows: Iterable[Sequence]) -> str:
    """The whole file: the byte-order mark, the header, the rows, every cell made safe."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_cell(cell) for cell in header])
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return out.getvalue()


def csv_response(filename: str, header: Sequence, rows: Iterable[Sequence]) -> Response:
    """A CSV download named `filename` (Chinese names kept, RFC 6266), never cached."""
    response = Response(csv_text(header, rows), mimetype="text/csv")
    response.charset = "utf-8"
    response.headers["Content-Disposition"] = content_disposition("attachment", filename)
    return no_store(response)
