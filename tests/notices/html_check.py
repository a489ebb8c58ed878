"""Parse a page and list what hostile input could have smuggled into it."""

from __future__ import annotations

from html.parser import HTMLParser

MARKER = "evil"


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, {name: value or "" for name, value in attrs}))

    handle_startendtag = handle_starttag


def elements(html: str) -> list[tuple[str, dict[str, str]]]:
    parser = _Collector()
    parser.feed(html)
    return parser.elements


def injected(html: str) -> list[str]:
    """Every element or attribute that only the hostile payload could have put there.

    The payloads point at URLs containing "evil", so the page's own htmx attributes
    (hx-boost, the read counter's hx-post) are told apart from injected ones.
    """
    problems = []
    for tag, attrs in elements(html):
        if tag in ("script", "style", "iframe", "object", "embed") and "src" not in attrs:
            problems.append(f"<{tag}>")
        if tag == "script" and MARKER in attrs.get("src", ""):
            problems.append("<script src=evil>")
        for name, value in attrs.items():
            if name.startswith("on"):
                problems.append(f"<{tag} {name}>")
            if (name.startswith("hx-") or name.startswith("data-hx")) and MARKER in value:
                problems.append(f"<{tag} {name}={value}>")
            if name in ("href", "src", "action") and value.strip().lower().startswith(
                ("javascript:", "data:", "vbscript:")
            ):
                problems.append(f"<{tag} {name}={value}>")
    return problems
