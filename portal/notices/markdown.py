"""Notice bodies: Markdown rendered to HTML, then cleaned by an allowlist (SECURITY.md row 5).

The committee writes Markdown (tables for financial disclosures, lists, links). The
HTML is rendered once when a notice is saved and kept beside the Markdown. nh3 keeps
only the tags and attributes listed here, so scripts, styles, event handlers, htmx
attributes (`hx-*`, `data-hx-*`) and `javascript:` links never reach a page; the page
also wraps the body in `hx-disable`, so htmx would ignore anything that got through.
"""

from __future__ import annotations

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
    "h3",
    "h4",
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

# The page's own <h1> is the notice title and <h2> its sections: a body's headings
# start at <h3>, whatever level the committee typed.
HEADING_TAGS = {"h1": "h3", "h2": "h3", "h3": "h3", "h4": "h4", "h5": "h4", "h6": "h4"}

_markdown = MarkdownIt("commonmark", {"html": True, "breaks": True}).enable("table")


def _shift_headings(state) -> None:
    for token in state.tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = HEADING_TAGS.get(token.tag, token.tag)


_markdown.core.ruler.push("shift_headings", _shift_headings)


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

    parts = sanitize(_markdown.render(source)).split("<table>")
    out = [parts[0]]
    for number, part in enumerate(parts[1:], start=1):
        label = f"{table_label} {number}" if len(parts) > 2 else table_label
        out.append(TABLE_OPEN.format(label=escape(label)) + part)
    return "".join(out).replace("</table>", TABLE_CLOSE)
