"""Notice bodies: Markdown rendered to HTML, then cleaned by an allowlist (SECURITY.md row 5).

The committee writes Markdown (tables for financial disclosures, lists, links). The
HTML is rendered once when a notice is saved and kept beside the Markdown. nh3 keeps
only the tags and attributes listed here, so scripts, styles, event handlers, htmx
attributes (`hx-*`, `data-hx-*`) and `javascript:` links never reach a page; the page
also wraps the body in `hx-disable`, so htmx would ignore anything that got through.

What is published is what was typed. HTML that would swallow the rest of the notice
(a lone `<!--`, `<script>`, `<style>`, `<![CDATA[`, `<?php` or `<!DOCTYPE` line opens
a construct that runs to the end of the document; `<title>`, `<iframe>` and the other
raw-text elements turn everything after them into one element's text) is shown as the
text it is, and everything after it renders as usual. A complete construct (a closed
comment, `<script>...</script>`) is still dropped whole.

The page's own <h1> is the notice's title: the body's headings start at <h2> (`#`
becomes h2, `##` h3, down to h6), and none is more than one level below the heading
before it, so a body that starts at `###` has no gap under the title either.
"""

from __future__ import annotations

import re

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "ul",
    "ol",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "a",
    "code",
    "pre",
}
ALLOWED_ATTRIBUTES = {"a": {"href"}}
URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "noopener nofollow"
# Dropped with everything inside them, not just unwrapped.
DROPPED_WITH_CONTENT = {"script", "style"}

_markdown = MarkdownIt("commonmark", {"html": True, "breaks": True}).enable("table")

# Elements whose content HTML reads as plain text up to their closing tag, or to the
# end of the document when it is missing (plaintext never ends).
RAW_TEXT = ("script", "style", "textarea", "title", "iframe", "xmp", "noembed", "noframes")
RAW_TEXT += ("noscript", "plaintext")
_RAW_OPENING = re.compile(r"<(" + "|".join(RAW_TEXT) + r")(?=[\s/>]|$)", re.IGNORECASE)
# Comments, processing instructions, declarations and CDATA as HTML ends them.
_COMPLETE = re.compile(r"<!--.*?-->|<\?[^>]*>|<!(?!--)[^>]*>", re.DOTALL)
# markdown-it's first kind of HTML block: without its closing tag it runs to the end.
_BLOCK_TO_END = re.compile(r"^\s*<(script|pre|style|textarea)(?=[\s>]|$)", re.IGNORECASE)


def _swallows(html: str) -> bool:
    """Whether this raw HTML leaves a comment or a raw-text element open: cleaned, it
    would take whatever follows it (to the end of the notice) with it."""
    rest = _COMPLETE.sub("", html)
    if "<!" in rest or "<?" in rest:
        return True
    lowered = rest.lower()
    for opening in _RAW_OPENING.finditer(lowered):
        name = opening.group(1)
        if name == "plaintext" or f"</{name}" not in lowered[opening.end() :]:
            return True
    return False


def _block_swallows(html: str) -> bool:
    block = _BLOCK_TO_END.match(html)
    if block and f"</{block.group(1).lower()}" not in html.lower():
        return True
    return _swallows(html)


def _escape_line(line: str) -> str:
    """The line with its first `<` escaped, so Markdown reads it as text."""
    at = line.find("<")
    return line if at < 0 else line[:at] + "\\" + line[at:]


def _as_text(source: str) -> str:
    """`source` with each line that opens a swallowing HTML block escaped (see above)."""
    lines = source.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for _ in range(len(lines)):
        starts = [
            token.map[0]
            for token in _markdown.parse("\n".join(lines))
            if token.type == "html_block" and token.map and _block_swallows(token.content)
        ]
        if not starts:
            break
        for start in starts:
            lines[start] = _escape_line(lines[start])
    return "\n".join(lines)


def _unclosed_inline_html_as_text(state) -> None:
    """Inline HTML that opens a raw-text element not closed in the same paragraph is text."""
    for token in state.tokens:
        if token.type != "inline" or not token.children:
            continue
        children = token.children
        for index, child in enumerate(children):
            if child.type != "html_inline":
                continue
            # Comments and the like are inline HTML only when complete; an opening tag
            # is one token and its closing tag another.
            opening = _RAW_OPENING.match(child.content)
            if opening is None:
                continue
            name = opening.group(1).lower()
            closed = name != "plaintext" and any(
                later.type == "html_inline" and later.content.lower().startswith(f"</{name}")
                for later in children[index + 1 :]
            )
            if not closed:
                child.type = "text"


_markdown.core.ruler.push("unclosed_inline_html_as_text", _unclosed_inline_html_as_text)

_HEADING_TAG = re.compile(r"<(/?)h([1-6])>")


def _shift_headings(html: str) -> str:
    """Body headings under the page's h1: one level down, never skipping a level."""
    previous = open_level = 1

    def shifted(tag: re.Match) -> str:
        nonlocal previous, open_level
        if tag.group(1):
            return f"</h{open_level}>"
        open_level = min(int(tag.group(2)) + 1, 6, previous + 1)
        previous = open_level
        return f"<h{open_level}>"

    return _HEADING_TAG.sub(shifted, html)


def _only_absolute_links(tag: str, attribute: str, value: str) -> str | None:
    """Links must be http, https or mailto: relative and scheme-less links are dropped."""
    if tag == "a" and attribute == "href":
        scheme = value.split(":", 1)[0].strip().lower() if ":" in value else ""
        return value if scheme in URL_SCHEMES else None
    return value


def sanitize(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        clean_content_tags=DROPPED_WITH_CONTENT,
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_only_absolute_links,
        url_schemes=URL_SCHEMES,
        link_rel=LINK_REL,
        strip_comments=True,
    )


# A wide table scrolls inside a focusable, named region (as the portal's own tables do).
# Added after cleaning, to the bare <table> tags the allowlist leaves (no attributes).
TABLE_OPEN = '<div class="table-wrap" tabindex="0" role="region" aria-label="{label}"><table>'
TABLE_CLOSE = "</table></div>"


def render_markdown(source: str, table_label: str = "") -> str:
    """Markdown in, safe HTML out. Several tables get numbered names, one name each."""
    from markupsafe import escape

    parts = _shift_headings(sanitize(_markdown.render(_as_text(source)))).split("<table>")
    out = [parts[0]]
    for number, part in enumerate(parts[1:], start=1):
        label = f"{table_label} {number}" if len(parts) > 2 else table_label
        out.append(TABLE_OPEN.format(label=escape(label)) + part)
    return "".join(out).replace("</table>", TABLE_CLOSE)
