"""Version diffs: by character inside an article, article by article between versions,
and the /diff page with good, missing and bad parameters."""

from __future__ import annotations

import re

import pytest

from portal import clock
from portal.extensions import db
from portal.rules import services
from portal.rules.diff import (
    ADDED,
    CHANGED,
    DELETE,
    EQUAL,
    INSERT,
    REMOVED,
    UNCHANGED,
    ArticleText,
    Segment,
    char_diff,
    compare,
    lineage_pairs,
)
from tests.conftest import htmx_headers
from tests.factories import VillageFactory, villager
from tests.rules import factories as rf


def rebuild(segments, side: str) -> str:
    keep = {EQUAL, DELETE} if side == "old" else {EQUAL, INSERT}
    return "".join(s.text for s in segments if s.op in keep)


# --- inside an article: by character -------------------------------------------------------


def test_identical_text_is_one_equal_segment():
    assert char_diff("不燃放烟花爆竹。", "不燃放烟花爆竹。") == [Segment(EQUAL, "不燃放烟花爆竹。")]
    assert char_diff("", "") == []


def test_a_changed_number_inside_chinese_text_is_struck_whole():
    """15 → 12 strikes 15 and inserts 12: no shared "1" to read 15 against 12."""
    segments = char_diff("宴请一般不超过15桌，不铺张浪费。", "宴请一般不超过12桌，不铺张浪费。")
    assert segments == [
        Segment(EQUAL, "宴请一般不超过"),
        Segment(DELETE, "15"),
        Segment(INSERT, "12"),
        Segment(EQUAL, "桌，不铺张浪费。"),
    ]
    assert char_diff("超过10桌", "超过12桌") == [
        Segment(EQUAL, "超过"),
        Segment(DELETE, "10"),
        Segment(INSERT, "12"),
        Segment(EQUAL, "桌"),
    ]
    assert char_diff("彩礼不超过3.5万元", "彩礼不超过3万元")[1:3] == [
        Segment(DELETE, "3.5"),
        Segment(INSERT, "3"),
    ]


def test_a_latin_word_is_compared_whole():
    segments = char_diff("大厅有WiFi，密码见墙上。", "大厅有Wireless，密码见墙上。")
    assert Segment(DELETE, "WiFi") in segments and Segment(INSERT, "Wireless") in segments
    assert not any(s.op == EQUAL and s.text.endswith("Wi") for s in segments)


def test_deletions_come_before_insertions_and_both_sides_rebuild():
    old = "红白喜事提倡喜事新办。不燃放大型烟花。"
    new = "红白喜事提倡喜事新办、丧事简办。不燃放烟花爆竹，不上高档烟酒。"
    segments = char_diff(old, new)
    assert rebuild(segments, "old") == old and rebuild(segments, "new") == new
    for first, second in zip(segments, segments[1:], strict=False):
        assert (first.op, second.op) != (INSERT, DELETE)


def test_tiny_equal_runs_between_changes_are_folded_into_the_change():
    # SequenceMatcher alone keeps a lone shared "烟" between two edits: confetti.
    segments = char_diff("不燃放大型烟花", "不燃放烟花爆竹")
    assert segments == [
        Segment(EQUAL, "不燃放"),
        Segment(DELETE, "大型烟花"),
        Segment(INSERT, "烟花爆竹"),
    ]
    changes = [s for s in segments if s.op != EQUAL]
    assert all(len(s.text) > 1 for s in changes)


def test_equal_runs_at_the_ends_are_kept_however_short():
    segments = char_diff("甲乙丙丁", "甲戊己丁")
    assert segments[0] == Segment(EQUAL, "甲") and segments[-1] == Segment(EQUAL, "丁")


def test_whole_replacement_and_pure_insertion():
    assert char_diff("旧", "新") == [Segment(DELETE, "旧"), Segment(INSERT, "新")]
    assert char_diff("", "新增一条") == [Segment(INSERT, "新增一条")]
    assert char_diff("电动车不在室内充电。", "电动车不在室内充电，到充电棚充电。") == [
        Segment(EQUAL, "电动车不在室内充电"),
        Segment(INSERT, "，到充电棚充电"),
        Segment(EQUAL, "。"),
    ]


# --- between versions: article by article ---------------------------------------------------


def art(id_, number, body, title=None):
    return ArticleText(id_, number, title, body)


def test_articles_paired_by_number_without_lineage():
    old = [art(1, 1, "甲条"), art(2, 2, "乙条"), art(3, 3, "丙条")]
    new = [art(11, 1, "甲条"), art(12, 2, "乙条改了")]
    result = compare(old, new)
    assert [c.kind for c in result.changes] == [UNCHANGED, CHANGED, REMOVED]
    assert result.changes[2].old.body == "丙条"
    assert result.changes[2].body == [Segment(DELETE, "丙条")]
    assert (result.count(UNCHANGED), result.count(CHANGED), result.count(REMOVED)) == (1, 1, 1)


def test_an_inserted_article_does_not_turn_the_ones_after_it_into_changes():
    old = [art(1, 1, "总则"), art(2, 2, "平安"), art(3, 3, "附则")]
    new = [art(11, 1, "总则"), art(12, 2, "文明养犬"), art(13, 3, "平安"), art(14, 4, "附则")]
    parents = {11: 1, 13: 2, 14: 3}
    pairs = lineage_pairs([1, 2, 3], [11, 12, 13, 14], parents)
    assert pairs == {11: 1, 13: 2, 14: 3}
    result = compare(old, new, pairs)
    assert [c.kind for c in result.changes] == [UNCHANGED, ADDED, UNCHANGED, UNCHANGED]
    added = result.changes[1]
    assert added.new.body == "文明养犬" and added.body == [Segment(INSERT, "文明养犬")]
    assert result.changes[2].moved and (
        result.changes[2].old.number,
        result.changes[2].new.number,
    ) == (2, 3)
    assert not result.identical


def test_a_removed_article_is_shown_where_it_stood():
    old = [art(1, 1, "甲"), art(2, 2, "乙"), art(3, 3, "丙")]
    new = [art(11, 1, "甲"), art(13, 2, "丙")]
    result = compare(old, new, {11: 1, 13: 3})
    assert [(c.kind, (c.old or c.new).body) for c in result.changes] == [
        (UNCHANGED, "甲"),
        (REMOVED, "乙"),
        (UNCHANGED, "丙"),
    ]


def test_lineage_is_followed_across_several_versions():
    # v1: 1, 2   v2: 21 (from 1), 22 (from 2)   v3: 31 (from 22), 32 new
    parents = {21: 1, 22: 2, 31: 22}
    assert lineage_pairs([1, 2], [31, 32], parents) == {31: 2}
    # A cycle in bad data ends the walk instead of looping.
    assert lineage_pairs([1], [5], {5: 6, 6: 5}) == {}


def test_title_changes_are_diffed_too():
    result = compare([art(1, 1, "正文", "红白事")], [art(2, 1, "正文", "红白事简办")], {2: 1})
    change = result.changes[0]
    assert change.kind == CHANGED and change.title_changed
    assert change.title == [Segment(EQUAL, "红白事"), Segment(INSERT, "简办")]


def test_identical_versions():
    result = compare([art(1, 1, "甲")], [art(2, 1, "甲")], {2: 1})
    assert result.identical and result.count(UNCHANGED) == 1


# --- the page -------------------------------------------------------------------------


@pytest.fixture
def village(app):
    return VillageFactory(name="湖滨村", slug="hubin")


@pytest.fixture
def amended(village, monkeypatch):
    """v1 adopted with three articles; v2 in consultation: one edited, one inserted."""
    clerk = rf.committee(village)
    voter = villager(village)
    first = rf.voting(village, clerk)
    monkeypatch.setattr(clock, "now", lambda: rf.during(first))
    services.cast_ballot(first, voter, "yes")
    db.session.commit()
    monkeypatch.setattr(clock, "now", lambda: rf.after(first))
    services.close_vote(clerk, first)
    db.session.commit()
    second = services.new_draft(clerk, first.document)
    db.session.commit()
    second_articles = sorted(second.articles, key=lambda a: a.position)
    services.edit_article(
        clerk,
        second_articles[1],
        "提倡喜事新办，宴请不超过12桌，红白理事会负责引导。",
    )
    services.add_article(clerk, second, "养犬户应当拴养犬只。", title="文明养犬", position=2)
    db.session.commit()
    services.open_consultation(clerk, second)
    db.session.commit()
    return first.document


def diff_url(document, query: str = "") -> str:
    return f"/v/hubin/rules/{document.id}/diff" + (f"?{query}" if query else "")


def test_diff_page_compares_article_by_article_plain_and_htmx(client, amended):
    page = client.get(diff_url(amended, "from=1&to=2"))
    assert page.status_code == 200 and "<html" in page.text
    text = page.text
    assert "修改 1 条，新增 1 条，删除 0 条，未改 2 条" in text
    assert '<ins><span class="visually-hidden">新增：</span>' in text
    assert '<del><span class="visually-hidden">删除：</span>' in text
    assert "第二条 文明养犬" in text and "（原第二条）" in text
    # One column: no side-by-side tables.
    assert "<table" not in text
    # The pickers work without JavaScript: a GET form with two selects.
    form = re.search(r"<form[^>]*>", text.split("<main")[1]).group(0)
    assert 'method="get"' in form
    assert 'name="from"' in text and 'name="to"' in text
    assert '<option value="1" selected>' in text and '<option value="2" selected>' in text
    htmx = client.get(diff_url(amended, "from=1&to=2"), headers=htmx_headers())
    assert htmx.status_code == 200 and "HX-Request" in htmx.headers["Vary"]
    assert "修改 1 条" in htmx.text


def test_diff_backwards_reads_from_the_later_version(client, amended):
    page = client.get(diff_url(amended, "from=2&to=1")).text
    assert "修改 1 条，新增 0 条，删除 1 条，未改 2 条" in page
    assert "原第二条" in page and "文明养犬" in page


def test_diff_without_parameters_offers_the_form(client, amended):
    page = client.get(diff_url(amended))
    assert page.status_code == 200
    assert "选好两个版本" in page.text and 'name="from"' in page.text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=1", "请选择要比较的两个版本"),
        ("to=2", "请选择要比较的两个版本"),
        ("from=1&to=1", "请选择两个不同的版本"),
        ("from=9&to=2", "没有第 9 版"),
        ("from=abc&to=2", "没有第 abc 版"),
        ("from=-1&to=2", "没有第 -1 版"),
        ("from=1&to=" + "9" * 40, "没有第 9999999999 版"),
        ("from=<script>&to=2", "没有第 &lt;script&gt; 版"),
        ("from=²&to=2", "没有第 ² 版"),
        ("from=1.0&to=2", "没有第 1.0 版"),
    ],
)
def test_bad_diff_parameters_get_a_clear_400(client, amended, query, message):
    response = client.get(diff_url(amended, query))
    assert response.status_code == 400
    assert message in response.text and 'role="alert"' in response.text
    assert 'name="from"' in response.text
    assert "<script>" not in response.text


def test_diff_of_an_unknown_or_foreign_document_is_not_found(client, amended):
    assert client.get("/v/hubin/rules/999/diff?from=1&to=2").status_code == 404
    other = VillageFactory(slug="other")
    foreign = rf.in_consultation(other)
    assert client.get(f"/v/hubin/rules/{foreign.document_id}/diff").status_code == 404


def test_drafts_are_not_offered_for_comparison(client, village):
    clerk = rf.committee(village)
    version = rf.in_consultation(village, clerk, now=clock.now())
    page = client.get(diff_url(version.document, "from=1&to=2"))
    assert page.status_code == 400 and "没有第 2 版" in page.text
    alone = client.get(diff_url(version.document))
    assert alone.status_code == 200 and "只有一个公开的版本" in alone.text
