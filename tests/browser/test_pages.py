"""What a first visit costs and where it goes: weight, third parties, the 320 px layout."""

from __future__ import annotations

import http.client
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import ARTIFACTS, NARROW

pytestmark = pytest.mark.browser

BUDGET = 40_000  # bytes a first visit to any page may move, compressed (DESIGN.md 6)
COMPRESSED = ("zstd", "br", "gzip", "deflate")


def first_visit(page, path: str) -> list:
    """Load `path` in a fresh context and return every finished request."""
    finished = []
    page.on("requestfinished", lambda request: finished.append(request))
    page.goto(path, wait_until="networkidle")
    return finished


def transferred(request) -> int:
    sizes = request.sizes()
    return sizes["responseHeadersSize"] + sizes["responseBodySize"]


def test_first_visit_to_the_village_home_is_at_most_40_kb(page, live_server):
    requests = first_visit(page, "/v/hubin/")
    assert requests, "nothing was loaded"
    lines, total = [], 0
    for request in requests:
        response = request.response()
        headers = response.all_headers()
        size = transferred(request)
        total += size
        encoding = headers.get("content-encoding", "identity")
        lines.append(f"  {size:>7} B  {encoding:<8} {urlsplit(request.url).path}")
        kind = headers.get("content-type", "")
        if kind.startswith(("text/", "application/javascript", "image/svg")):
            body = response.body()
            if len(body) >= 500:
                assert encoding in COMPRESSED, f"{request.url} is sent uncompressed"
    report = "\n".join([f"first visit to /v/hubin/: {total} bytes in {len(requests)} responses"])
    print(report + "\n" + "\n".join(lines))
    assert total <= BUDGET, report + "\n" + "\n".join(lines)

    # The same resources as a browser without zstd gets them.
    brotli = sum(fetch_size(live_server, r.url, "br, gzip") for r in requests)
    print(f"the same resources with Accept-Encoding: br, gzip: {brotli} bytes")
    assert brotli <= BUDGET


def fetch_size(base: str, url: str, accept_encoding: str) -> int:
    """Bytes of the status line, headers and body of one response, fetched directly."""
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        target = urlsplit(url)
        path = target.path + (f"?{target.query}" if target.query else "")
        conn.request("GET", path, headers={"Accept-Encoding": accept_encoding})
        response = conn.getresponse()
        body = response.read()
        head = len(f"HTTP/1.1 {response.status} {response.reason}\r\n")
        head += sum(len(f"{k}: {v}\r\n") for k, v in response.getheaders()) + 2
        return head + len(body)
    finally:
        conn.close()


@pytest.mark.parametrize("path", ["/", "/v/hubin/", "/register", "/login"])
def test_no_request_leaves_the_site(page, live_server, path):
    """No CDN, font service, analytics or any other third party (DESIGN.md 5)."""
    seen = []
    page.on("request", lambda request: seen.append(request.url))
    page.goto(path, wait_until="networkidle")
    assert seen
    foreign = [u for u in seen if not (u.startswith(live_server + "/") or u.startswith("data:"))]
    assert not foreign, f"requests to other hosts from {path}: {foreign}"


@pytest.mark.parametrize(
    "path, name", [("/", "finder"), ("/v/hubin/", "village-home"), ("/register", "register")]
)
def test_pages_fit_320_px(page, path, name):
    """One column at 320 px: nothing wider than the screen. Screenshots for a human eye."""
    page.set_viewport_size({"width": NARROW, "height": 640})
    page.goto(path)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}-320.png"), full_page=True)
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= NARROW, f"{path} is {width}px wide at {NARROW}px"
    too_small = page.evaluate(
        """() => [...document.querySelectorAll("a, button, input, select, textarea")]
            .filter((el) => el.offsetParent !== null && !el.closest(".skip-link"))
            .filter((el) => !(el.closest("p, li") && el.tagName === "A" && !el.className))
            .map((el) => [el, el.getBoundingClientRect()])
            .filter(([el, r]) => r.height < 44 && !["checkbox", "radio"].includes(el.type))
            .map(([el, r]) => `${el.tagName} "${el.textContent.trim()}" ${r.height}px`)"""
    )
    assert not too_small, f"touch targets under 44px on {path}: {too_small}"
