"""The notice body sanitizer: Markdown in, only allowlisted HTML out (SECURITY.md row 5)."""

from __future__ import annotations

import pytest

from portal.notices.markdown import render_markdown
from tests.notices.html_check import elements, injected

HOSTILE = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    '<img src=x onerror="alert(1)">',
    '<p onclick="alert(1)">点我</p>',
    '<div hx-get="/evil" hx-trigger="load">x</div>',
    '<a hx-post="/evil" href="https://example.com">链接</a>',
    '<span data-hx-post="/evil" data-hx-trigger="load">x</span>',
    "[点这里](javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="java&#x09;script:alert(1)">x</a>',
    "<style>body{display:none}</style>",
    '<iframe src="https://evil.example"></iframe>',
    '<form action="/evil"><button>提交</button></form>',
    '<svg onload="alert(1)"><circle/></svg>',
    '<table onmouseover="alert(1)"><tr><td hx-get="/evil">x</td></tr></table>',
    "<!-- <script>alert(1)</script> -->",
]


@pytest.mark.parametrize("payload", HOSTILE)
def test_hostile_markup_is_dropped(payload):
    html = render_markdown(f"正文开始\n\n{payload}\n\n正文结束")
    assert injected(html) == []
    tags = {tag for tag, _ in elements(html)}
    assert not tags & {"script", "style", "iframe", "form", "button", "svg", "img"}
    for tag, attrs in elements(html):
        for name in attrs:
            assert not name.startswith(("on", "hx-", "data-")), (tag, name)
    assert "alert(1)</script>" not in html


def test_script_and_style_content_is_removed_too():
    html = render_markdown("<script>var secret = 1;</script><style>p{}</style>\n\n留下")
    assert "secret" not in html and "p{}" not in html
    assert "留下" in html


def test_allowed_markdown_survives():
    source = (
        "# 一级标题\n\n## 二级标题\n\n**粗体** *斜体* `代码`\n\n> 引用\n\n"
        "1. 一\n2. 二\n\n| 项目 | 金额 |\n|---|---:|\n| 修路 | 12,000 |\n\n"
        "[镇政府](https://example.gov.cn) [写信](mailto:cun@example.com)"
    )
    html = render_markdown(source, table_label="表格")
    tags = [tag for tag, _ in elements(html)]
    for tag in ("h2", "h3", "strong", "em", "code", "blockquote", "ol", "li", "table", "thead"):
        assert tag in tags, tag
    assert "h1" not in tags  # the page's own heading is the notice's title
    links = [attrs for tag, attrs in elements(html) if tag == "a"]
    assert links[0]["href"] == "https://example.gov.cn"
    assert links[0]["rel"] == "noopener nofollow"
    assert links[1]["href"] == "mailto:cun@example.com"
    # Cell alignment arrives as an inline style, which the CSP and the allowlist refuse.
    assert "style=" not in html


def test_a_table_scrolls_inside_a_named_focusable_region():
    html = render_markdown("| a | b |\n|---|---|\n| 1 | 2 |", table_label="公告中的表格")
    wrapper = [attrs for tag, attrs in elements(html) if tag == "div"]
    assert wrapper == [
        {"class": "table-wrap", "tabindex": "0", "role": "region", "aria-label": "公告中的表格"}
    ]


@pytest.mark.parametrize("href", ["/v/other/manage/", "//evil.example", "evil.html", "ftp://x"])
def test_links_other_than_http_https_mailto_lose_their_target(href):
    html = render_markdown(f'<a href="{href}">x</a> [y]({href})')
    assert all("href" not in attrs for tag, attrs in elements(html) if tag == "a")


def test_several_tables_get_a_name_each():
    html = render_markdown("| a |\n|---|\n| 1 |\n\n正文\n\n| b |\n|---|\n| 2 |", table_label="表格")
    labels = [attrs["aria-label"] for tag, attrs in elements(html) if tag == "div"]
    assert labels == ["表格 1", "表格 2"]
    assert html.count("</table></div>") == 2


def test_body_headings_sit_under_the_page_title_without_skipping_a_level():
    """The page's h1 is the title: `#` is h2, and no heading is two levels below the one
    before it, whether it was typed in Markdown or in HTML."""
    html = render_markdown("### 开头\n\n正文\n\n# 一\n\n### 三\n\n#### 四\n\n<h6>六</h6>\n\n## 二")
    levels = [int(tag[1]) for tag, _ in elements(html) if tag in {f"h{n}" for n in range(1, 7)}]
    assert levels == [2, 2, 3, 4, 5, 3]
    assert "<h2>开头</h2>" in html and "<h3>二</h3>" in html


SWALLOWING = ["<!--", "<script>", "<style>", "<![CDATA[", "<?php", "<!DOCTYPE", "<title>"]
SWALLOWING += ["<iframe>", "<textarea>", "<pre>", "<plaintext>", "<xmp>", "<noscript>"]


@pytest.mark.parametrize("line", SWALLOWING)
def test_a_lone_html_opening_is_shown_as_text_and_loses_nothing_after_it(line):
    html = render_markdown(f"第一段。\n\n{line}\n\n第二段，**还在**。\n\n- 第三段的列表")
    assert "第一段。" in html
    assert "<p>第二段，<strong>还在</strong>。</p>" in html
    assert "<li>第三段的列表</li>" in html
    text = html.replace("&lt;", "<").replace("&gt;", ">")
    assert f"<p>{line}</p>" in text
    assert injected(html) == []


@pytest.mark.parametrize("tag", ["script", "title", "iframe", "style"])
def test_an_unclosed_tag_inside_a_paragraph_is_text_too(tag):
    html = render_markdown(f"前面 <{tag}> 中间\n\n后面一段")
    assert f"<p>前面 &lt;{tag}&gt; 中间</p>" in html and "<p>后面一段</p>" in html
