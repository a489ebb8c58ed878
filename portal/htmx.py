"""Render a whole page or one of its blocks, and the htmx response headers.

A page's context is built once, by the view; a plain request gets the whole
template, an htmx request aimed at one of the page's regions gets that region's
block of the same template (jinja2-fragments). The region is chosen by the
`HX-Target` header (the id of the element being swapped), never by the id of the
element that fired the request.

An htmx request aimed at a region the page does not show in its object's present
state (the draft's article list, once consultation has opened; the paper-ballot panel
of a vote not yet open) gets the whole page instead, retargeted at `<body>`: the view
offers only the blocks its state renders, and the browser shows the page as it now is
(with the refusal, if there was one) instead of a page inside a region.

A response chosen by these headers says so in `Vary`, or a browser or proxy cache
would hand a block to a page load, or the page to an htmx swap. Every reading of
them goes through the functions here, and the first one in a request arranges for
its response to name all of `HTMX_HEADERS` (the headers the page cache keys on too):
a view that asked whether a request is htmx, boosted or aimed at a region may have
answered differently for each.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from flask import Response, after_this_request, make_response, redirect, render_template, request
from jinja2_fragments.flask import render_block
from werkzeug.urls import iri_to_uri

# The request headers that choose between a page and one of its blocks.
HTMX_HEADERS = ("HX-Request", "HX-Target", "HX-Boosted")

_CONSULTED = "portal.htmx_headers_read"


def vary_on_htmx(response: Response) -> Response:
    """Name `HTMX_HEADERS` in the response's Vary (keeping what is there already)."""
    response.vary.update(HTMX_HEADERS)
    return response


def _header(name: str) -> str | None:
    if not request.environ.get(_CONSULTED):
        request.environ[_CONSULTED] = True
        after_this_request(vary_on_htmx)
    return request.headers.get(name)


def is_htmx() -> bool:
    return _header("HX-Request") == "true"


def is_boosted() -> bool:
    return _header("HX-Boosted") == "true"


def htmx_target() -> str | None:
    """The id of the element an htmx request will swap, if it is not a boosted page load."""
    if not is_htmx() or is_boosted():
        return None
    return _header("HX-Target")


def render(
    template: str,
    blocks: Mapping[str, str] | None = None,
    status: int = 200,
    **context,
) -> Response:
    """Render `template`, or only the block that `blocks` maps the HX-Target to.

    `blocks` names the regions the page renders as its context stands; a target it does
    not name gets the whole page, swapped for the body's content.
    """
    target = htmx_target()
    if blocks and target in blocks:
        return vary_on_htmx(
            make_response(render_block(template, blocks[target], **context), status)
        )
    response = make_response(render_template(template, **context), status)
    if target:
        response.headers["HX-Retarget"] = "body"
        response.headers["HX-Reswap"] = "innerHTML"
    return vary_on_htmx(response)


def with_htmx_redirect(url: str) -> Response:
    """A client-side redirect for htmx: 200 with HX-Redirect (a 3xx is followed by the XHR).

    The address is percent-encoded as Werkzeug encodes `Location`: a header carries
    Latin-1 only, and a path with Chinese in it (a search term) would drop the connection.
    """
    response = make_response("", 200)
    response.headers["HX-Redirect"] = iri_to_uri(url)
    return response


def redirect_after_post(url: str) -> Response:
    """Post/redirect/get for a plain form; HX-Redirect for an htmx request that is not boosted."""
    if is_htmx() and not is_boosted():
        return with_htmx_redirect(url)
    return redirect(url, 303)


def trigger(response: Response, event: str, detail: object = None) -> Response:
    """Add an event to HX-Trigger, merging with any already set."""
    current = response.headers.get("HX-Trigger")
    events: dict = {}
    if current:
        try:
            events = json.loads(current)
        except ValueError:
            events = {name.strip(): None for name in current.split(",")}
    events[event] = detail
    response.headers["HX-Trigger"] = json.dumps(events, ensure_ascii=False)
    return response
