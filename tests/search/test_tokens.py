"""The bigram tokenizer and the query it builds (portal/search/tokens.py)."""

from __future__ import annotations

import pytest

from portal.search.tokens import MAX_TERMS, MAX_WORD, index_tokens, normalize, parse_query


def test_normalize_folds_width_and_case():
    assert normalize("ＷｉＦｉ密码２０２６") == "wifi密码2026"


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("垃圾", "垃圾"),
        ("垃圾分类", "垃圾 圾分 分类"),
        ("狗", "狗"),
        ("红白理事会", "红白 白理 理事 事会"),
        ("WiFi密码是1234", "wifi 密码 码是 1234"),
        ("2026年11月", "2026 年 11 月"),
        ("垃圾，分类。", "垃圾 分类"),
        ("彩礼 一般不超过3万元", "彩礼 一般 般不 不超 超过 3 万元"),
        ("hello_world-42", "hello world 42"),
        ("   ，。！", ""),
    ],
)
def test_index_tokens(text, tokens):
    assert index_tokens(text) == tokens


def test_long_latin_words_are_cut():
    assert index_tokens("a" * 100) == "a" * MAX_WORD


@pytest.mark.parametrize(
    ("q", "tsquery"),
    [
        ("垃圾", "('垃圾')"),
        ("红白理", "('红白' & '白理')"),
        ("垃圾分类", "('垃圾' & '圾分' & '分类')"),
        ("垃圾 彩礼", "('垃圾') & ('彩礼')"),
        ("WiFi密码", "('wifi' <-> '密码')"),
        ("2026年", "('2026' <-> '年':*)"),
        ("第3条", "('3' <-> '条':*)"),
        ("a年b", "('a' <-> '年' <-> 'b')"),
        ("垃圾,,垃圾", "('垃圾')"),
    ],
)
def test_query_tsquery(q, tsquery):
    assert parse_query(q).tsquery() == tsquery


def test_one_character_has_no_index_part_only_a_literal():
    query = parse_query("狗")
    assert query.tsquery() is None
    assert [term.literals for term in query.terms] == [("狗",)]


def test_every_cjk_run_is_also_a_literal():
    query = parse_query("WiFi密码 垃圾分类 第3条")
    assert [term.literals for term in query.terms] == [("密码",), ("垃圾分类",), ("第", "条")]


@pytest.mark.parametrize(
    "q",
    [
        "",
        "   ",
        "!!!",
        "<->",
        "'",
        "''",
        "&|!():*",
        "\\",
        "' | '",
    ],
)
def test_queries_without_words_are_empty(q):
    query = parse_query(q)
    assert not query
    assert query.tsquery() is None


@pytest.mark.parametrize(
    "q",
    ["垃圾' | '彩礼", "a:* & b", "x<->y", "(垃圾)|!彩礼", "\\'垃圾", "a'b", "O'Brien"],
)
def test_syntax_in_a_query_never_reaches_the_tsquery(q):
    """Only quoted tokens of letters, digits and CJK appear: no operator from the input."""
    tsquery = parse_query(q).tsquery()
    inside = tsquery.replace("<->", " ").replace(" & ", " ").replace(":*", "")
    for token in inside.replace("(", " ").replace(")", " ").split():
        assert token.startswith("'") and token.endswith("'"), token
        assert token[1:-1].isalnum(), token


def test_query_is_bounded():
    query = parse_query(" ".join(f"词{i}" for i in range(50)))
    assert len(query.terms) == MAX_TERMS


def test_sqlite_patterns_mirror_the_tsquery():
    assert parse_query("WiFi密码 2026年").token_patterns() == ["% wifi 密码 %", "% 2026 年%"]
