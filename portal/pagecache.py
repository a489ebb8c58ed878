"""A few seconds' cache of public pages as anonymous visitors see them.

Most traffic is visitors reading a village's public pages, which are the same for
every visitor. A response is kept for `PAGE_CACHE_SECONDS` (a few seconds: no one
needs to remember to clear it, and a change shows within that time) when:

- it is a GET of a route whose access rule is `public`;
- the request carries no session or remember-me cookie, so nobody is logged in and
  there are no flash messages;
- rendering it wrote nothing to the session (no CSRF token was minted: pages with
  forms are never cached), set no cookie, and did not ask not to be stored
  (`Cache-Control: no-store` or `private`, as `portal.privacy` marks pages that must
  not be kept).

The key is the full path with its query, the language cookie, the htmx headers that
choose between a page and one of its blocks (`portal.htmx.HTMX_HEADERS`, the ones its
responses name in `Vary`), and the host. Absolute URLs come from `SITE_URL` and other
hosts are refused (`TRUSTED_HOSTS`); the host in the key keeps even a site answering to
several names from serving one name's page under another. Each process keeps its own
bounded store; nothing is shared between workers.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from flask import Flask, Response, current_app, g, request, session

from portal.htmx import HTMX_HEADERS
from portal.i18n import LANG_COOKIE

NEVER_CACHED = {"static", "public.healthz", "public.set_language"}


class PageCache:
    def __init__(self, ttl: float, max_entries: int):
        self.ttl = ttl
        self.max_entries = max_entries
        self.entries: OrderedDict[tuple, tuple[float, bytes, int, list]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: tuple):
        with self.lock:
            entry = self.entries.get(key)
            if entry is None:
                return None
            if entry[0] < time.monotonic():
                del self.entries[key]
                return None
            self.entries.move_to_end(key)
            return entry

    def put(self, key: tuple, body: bytes, status: int, headers: list) -> None:
        with self.lock:
            self.entries[key] = (time.monotonic() + self.ttl, body, status, headers)
            self.entries.move_to_end(key)
            while len(self.entries) > self.max_entries:
                self.entries.popitem(last=False)


def cacheable_request() -> bool:
    if request.method != "GET" or request.endpoint in NEVER_CACHED or request.endpoint is None:
        return False
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "access", None) != "public":
        return False
    config = current_app.config
    cookies = request.cookies
    return (
        config["SESSION_COOKIE_NAME"] not in cookies
        and config.get("REMEMBER_COOKIE_NAME", "remember_token") not in cookies
    )


def cache_key() -> tuple:
    """The path, the language, the htmx headers every page's `Vary` names, and the host."""
    headers = request.headers
    return (
        request.full_path,
        request.cookies.get(LANG_COOKIE, ""),
        *(headers.get(name, "") for name in HTMX_HEADERS),
        request.host,
    )


def init_app(app: Flask) -> None:
    ttl = app.config.get("PAGE_CACHE_SECONDS", 0)
    if not ttl:
        return
    cache = PageCache(ttl, app.config.get("PAGE_CACHE_ENTRIES", 2000))
    app.extensions["page_cache"] = cache

    @app.before_request
    def serve_from_cache():
        if not cacheable_request():
            return None
        key = cache_key()
        entry = cache.get(key)
        if entry is None:
            g.page_cache_key = key
            return None
        _expires, body, status, headers = entry
        return Response(body, status=status, headers=headers)

    @app.after_request
    def keep_in_cache(response: Response) -> Response:
        key = g.pop("page_cache_key", None)
        if (
            key is not None
            and response.status_code == 200
            and not response.direct_passthrough
            and not session.modified
            and "Set-Cookie" not in response.headers
            and not response.cache_control.no_store
            and not response.cache_control.private
        ):
            headers = [(k, v) for k, v in response.headers if k.lower() != "content-length"]
            cache.put(key, response.get_data(), response.status_code, headers)
        return response
