"""English pages read as English: what people wrote in Chinese says so (lang="zh-Hans"),
no Chinese punctuation around English words, counts agree with their nouns, sentences
have their spaces, lists are named in the plural, and a checkbox keeps its hint."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from babel.messages.pofile import read_po

from portal.extensions import db
from portal.notices import services as notices
from portal.notices.models import NoticeCategory
from portal.rules import chart
from portal.rules import services as rules
from tests.conftest import login_as
from tests.factories import VillageFactory, villager
from tests.rules import factories as rf
from tests.test_i18n import CATALOGUE

FULL_WIDTH = re.compile("[（）：，。；！？、【】《》]")
HAN = re.compile("[\u3400-\u9fff]")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}
VOID |= {"track", "wbr"}


class _Text(HTMLParser):
    """The page's text, each run with the language of the element it is in."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, str | None]] = []
        self.runs: list[tuple[str | None, str]] = []

    def handle_starttag(self, tag, attrs):
        if tag not in VOID:
            self.stack.append((tag, dict(attrs).get("lang")))

    def handle_endtag(self, tag):
        while self.stack and self.stack.pop()[0] != tag:
            pass

    def handle_data(self, data):
        if any(tag in ("script", "style", "title") for tag, _ in self.stack):
            return
        langs = [lang for _, lang in self.stack if lang]
        self.runs.append((langs[-1] if langs else None, data))


def english_runs(html: str) -> list[str]:
    """Runs of text that are not marked as Chinese."""
    parser = _Text()
    parser.feed(html)
    return [text for lang, text in parser.runs if lang != "zh-Hans" and text.strip()]


def test_no_english_translation_has_chinese_punctuation():
    with open(CATALOGUE, "rb") as po:
        catalogue = read_po(po)
    found = []
    for message in catalogue:
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        found += [(message.id, s) for s in strings if s and FULL_WIDTH.search(s)]
    assert found == []


@pytest.fixture
def village(app):
    return VillageFactory(name="湖滨村", slug="hubin")


@pytest.fixture
def clerk(village):
    return rf.committee(village)


@pytest.fixture
def closed(village, clerk, at):
    """A closed vote: 5 took part, 3 yes, 1 no, 1 abstain, all online."""
    voters = [villager(village) for _ in range(5)]
    version = rf.voting(village, clerk)
    at(rf.during(version))
    for user, choice in zip(voters, ["yes", "yes", "yes", "no", "abstain"], strict=True):
        rules.cast_ballot(version, user, choice)
    at(rf.after(version))
    rules.close_vote(clerk, version)
    db.session.commit()
    return version


def english(client, path: str) -> str:
    client.set_cookie("lang", "en")
    response = client.get(path)
    assert response.status_code == 200, path
    assert '<html lang="en">' in response.text
    return response.text


def assert_reads_as_english(html: str, path: str) -> None:
    runs = english_runs(html)
    text = " ".join(runs)
    assert not [r for r in runs if HAN.search(r)], (path, [r for r in runs if HAN.search(r)])
    assert not FULL_WIDTH.search(text), (path, FULL_WIDTH.findall(text))
    assert not re.search(r"[a-z][.!?][A-Z]", text), (
        path,
        re.findall(r"\S+[a-z][.!?][A-Z]\S+", text),
    )
    assert not re.search(r"\b1 (votes|people|households)\b", text), path


def test_the_rules_pages_read_as_english(client, closed):
    v = f"/v/hubin/rules/{closed.document_id}/versions/{closed.number}"
    for path in ("/v/hubin/", "/v/hubin/rules", v, f"{v}/result", "/"):
        assert_reads_as_english(english(client, path), path)
    result = english(client, f"{v}/result")
    table = re.sub(r"</t[hd]>", " ", result.split("<table")[1].split("</table>")[0])
    table = re.sub(r"<[^>]+>", "", table)
    for figure in ("5 people", "5 people (100%)", "3 votes", "0 votes", "5 households"):
        assert figure in table, figure
    assert re.search(r"\b1 vote\b(?!s)", table)
    assert re.search(r"The quorum was met\.</p>\s*<p>Yes votes", result)
    assert '<span lang="zh-Hans">湖滨村村规民约</span>' in result


def test_the_rules_index_says_version_and_date_in_english(client, closed):
    page = english(client, "/v/hubin/rules")
    results = page.split('id="rules-results"')[1].split("</section>")[0]
    assert '<span lang="zh-Hans">湖滨村村规民约</span>' in results
    text = re.sub(r"<[^>]+>", "", results)
    assert re.search(r"湖滨村村规民约 · version 1: adopted \(\d+ \w{3} \d{4}\)", text), text


def test_chart_captions_are_broken_into_lines_that_fit(client, closed):
    v = f"/v/hubin/rules/{closed.document_id}/versions/{closed.number}"
    page = english(client, f"{v}/result")
    svgs = re.findall(r"<svg.*?</svg>", page, re.S)
    assert len(svgs) == 2
    lines = []
    for svg in svgs:
        for kind, body in re.findall(
            r'<text class="chart-(caption|note)"[^>]*>(.*?)</text>', svg, re.S
        ):
            size = chart.CAPTION_SIZE if kind == "caption" else chart.NOTE_SIZE
            for line in re.findall(r"<tspan[^>]*>(.*?)</tspan>", body):
                lines.append(line)
                assert chart.text_width(line, size) <= chart.WIDTH - 2 * chart.PAD, line
    assert len(lines) > 7  # one line or more per row, and the long notes in two
    assert any(line.startswith("Line: more than half") for line in lines)


def test_chart_lines_break_between_words_and_keep_chinese_marks_attached():
    assert chart.wrap("Line: more than half, at least 151 yes votes needed to pass", 15) == (
        "Line: more than half, at least",
        "151 yes votes needed to pass",
    )
    chinese = chart.wrap("竖线：过半数，通过至少要 151 票赞成，" * 2, 16)
    assert "".join(chinese) == "竖线：过半数，通过至少要 151 票赞成，" * 2
    assert len(chinese) == 3 and not any(line[0] in "，。：" for line in chinese)
    assert all(chart.text_width(line, 16) <= chart.WIDTH - 2 * chart.PAD for line in chinese)
    assert chart.wrap("Yes: 14, 82%", 16) == ("Yes: 14, 82%",)


def test_a_checkbox_hint_is_shown_and_named_in_both_languages(client):
    for lang, hint in (
        ("zh", "公用手机上请不要勾选。"),
        ("en", "Don't tick this on a shared phone."),
    ):
        client.set_cookie("lang", lang)
        page = client.get("/login").text
        assert hint in page, lang
        box = re.search(r'<input[^>]*type="checkbox"[^>]*>', page).group(0)
        assert 'aria-describedby="remember-hint"' in box
        assert 'id="remember-hint"' in page


def test_console_lists_are_named_in_the_plural(client, village, clerk):
    login_as(client, clerk)
    invites = english(client, "/v/hubin/manage/invites")
    assert "<h1>Invite codes</h1>" in invites and "<title>Invite codes ·" in invites
    assert '">Invite codes</a>' in invites
    residents = english(client, "/v/hubin/manage/residents")
    assert "<h1>Villagers</h1>" in residents and "<title>Villagers ·" in residents


def test_chinese_content_is_marked_on_the_notice_page(client, village, clerk):
    notice = notices.create_draft(
        clerk, village, category=NoticeCategory.AFFAIRS, title="修路通知", body="三组下周修路。"
    )
    notices.publish(clerk, notice)
    db.session.commit()
    page = english(client, f"/v/hubin/notices/{notice.id}")
    assert '<h1 id="notice-title" lang="zh-Hans">修路通知</h1>' in page
    assert '<div class="notice-body" hx-disable lang="zh-Hans">' in page
    assert '<span class="village-name" lang="zh-Hans">湖滨村</span>' in page
    assert_reads_as_english(page, "notice")
    client.set_cookie("lang", "zh")
    chinese = client.get(f"/v/hubin/notices/{notice.id}").text
    assert 'lang="zh-Hans">修路通知' not in chinese  # the page is Chinese already
