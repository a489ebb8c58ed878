"""Formula-safe CSV (portal/spreadsheet.py): every text cell that could start a formula
gets a leading apostrophe, numbers stay numbers, the file opens in Excel as UTF-8."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from portal.spreadsheet import BOM, csv_response, csv_text, safe_cell

HOSTILE = [
    '=HYPERLINK("http://evil.tld","点这里")',
    "+1",
    "-1+1",
    "@SUM(A1:A9)",
    "\t=1",
    "\r=1",
    "\n=1",
    "  =1+1",
    "\u3000=1",
    "＝1+1",
    "＋1",
    "－1",
    "＠SUM(A1)",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_text_that_could_start_a_formula_is_neutralised(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize(
    "text", ["东街 1 号", "王建国", "J01", "参加义务劳动（每次半天）", "1+1", "a=b", ""]
)
def test_ordinary_text_is_left_as_it_is(text):
    assert safe_cell(text) == text


@pytest.mark.parametrize("number", [0, 5, -5, -1000, 3.5, Decimal("-2.5")])
def test_numbers_stay_numbers(number):
    assert safe_cell(number) == number


def test_none_is_empty():
    assert safe_cell(None) == ""


def test_the_file_has_a_bom_crlf_and_readable_chinese():
    text = csv_text(["门牌号", "分值"], [["东街 1 号", -5], ["=1+1", 10]])
    assert text.startswith(BOM)
    assert "\r\n" in text
    rows = list(csv.reader(io.StringIO(text[len(BOM) :])))
    assert rows == [["门牌号", "分值"], ["东街 1 号", "-5"], ["'=1+1", "10"]]


def test_the_response_is_a_no_store_attachment_with_a_chinese_name(app):
    with app.test_request_context():
        response = csv_response("湖滨村积分.csv", ["户主"], [["陈建国"]])
    assert response.mimetype == "text/csv"
    assert response.charset == "utf-8"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''%E6%B9%96" in disposition
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    assert "陈建国".encode() in body
