"""Chinese first, English complete: every message in the code has an English translation."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from babel.messages.checkers import python_format
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from portal.i18n import format_date, format_datetime

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "portal" / "translations" / "en" / "LC_MESSAGES" / "messages.po"


def extracted_messages() -> set[tuple[str, str | None]]:
    """Every message in the code, with its context (pgettext) or None."""
    with open(ROOT / "babel.cfg", encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    keywords = {
        "_": None,
        "gettext": None,
        "ngettext": (1, 2),
        "pgettext": ((1, "c"), 2),
        "_l": None,
        "lazy_gettext": None,
    }
    found = set()
    for _filename, _lineno, message, _comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=keywords
    ):
        found.add((message if isinstance(message, str) else message[0], context))
    return found


def test_every_message_has_an_english_translation():
    with open(CATALOGUE, "rb") as po:
        catalogue = read_po(po)
    missing = []
    for message, context in sorted(extracted_messages(), key=lambda m: (m[0], m[1] or "")):
        entry = catalogue.get(message, context=context)
        if entry is None or not entry.string or entry.fuzzy:
            missing.append(message if context is None else f"{context}|{message}")
            continue
        python_format(catalogue, entry)
    assert missing == [], f"{len(missing)} messages lack English: {missing[:20]}"


def test_chinese_is_the_default_and_english_on_request(client):
    page = client.get("/")
    assert '<html lang="zh-Hans">' in page.text and "找到您的村" in page.text
    client.set_cookie("lang", "en")
    page = client.get("/")
    assert '<html lang="en">' in page.text and "找到您的村" not in page.text


def test_language_switch_sets_a_cookie_and_returns_to_a_safe_page(client):
    response = client.get("/lang/en?next=/v/hubin/")
    assert response.status_code == 303 and response.headers["Location"] == "/v/hubin/"
    assert "lang=en" in response.headers["Set-Cookie"]
    evil = client.get("/lang/zh?next=//evil.tld")
    assert evil.headers["Location"] == "/"


def test_dates_in_each_language(app):
    moment = datetime(2026, 11, 25, 20, 0, tzinfo=UTC)  # 26 Nov in Asia/Shanghai
    with app.app_context(), app.test_request_context():
        assert format_date(moment) == "2026年11月26日"
        assert format_datetime(moment) == "2026年11月26日 04:00"
        assert format_date(moment.date()) == "2026年11月25日"  # a date has no zone
        assert format_datetime(moment.replace(tzinfo=None)) == "2026年11月26日 04:00"  # UTC
    with app.app_context(), app.test_request_context(headers={"Cookie": "lang=en"}):
        assert format_date(moment) == "26 Nov 2026"
        assert format_datetime(moment) == "26 Nov 2026 04:00"
