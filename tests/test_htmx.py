"""The htmx response helpers: a page or one of its blocks, and a `Vary` that names every
htmx header the answer was chosen by, so no cache hands a block to a page load."""

from __future__ import annotations

import pytest
from jinja2 import ChoiceLoader, DictLoader, StrictUndefined, UndefinedError

from portal import htmx, pagecache
from tests.conftest import htmx_headers

TEMPLATES = {
    "test_htmx/page.html": (
        "<main>{% block intro %}<p id='intro'>intro {{ word }}</p>{% endblock %}"
        "{% block tally %}<p id='tally'>tally {{ word }}</p>{% endblock %}</main>"
    ),
    "test_htmx/careless.html": (
        "<main>{% block intro %}{{ word }}{% if hint is defined %}{{ hint }}{% endif %}"
        "{% endblock %}{% block tally %}<p id='tally'>{{ forgotten }}</p>{% endblock %}</main>"
    ),
}
BLOCKS = {"tally": "tally"}


@pytest.fixture
def app_config():
    return {"PAGE_CACHE_SECONDS": 5}


@pytest.fixture
def routes(app):
    """A few views of the test's own, registered before the app serves a request."""
    app.jinja_env.loader = ChoiceLoader([DictLoader(TEMPLATES), app.jinja_env.loader])

    def page():
        return htmx.render("test_htmx/page.html", blocks=BLOCKS, word="ok")

    def branching():
        return "fragment" if htmx.is_htmx() else "page"

    def after_post():
        return htmx.redirect_after_post("/done")

    def plain():
        return "the same for everyone"

    def careless():
        return htmx.render(
            "test_htmx/careless.html", blocks={"tally": "tally", "intro": "intro"}, word="ok"
        )

    for view in (page, branching, after_post, plain, careless):
        view.access = "public"  # as the page cache reads it
        app.add_url_rule(f"/test-htmx/{view.__name__}", view.__name__, view)
    return app


def vary(response) -> set[str]:
    return {name.strip().lower() for name in response.headers.get("Vary", "").split(",") if name}


ALL = {name.lower() for name in htmx.HTMX_HEADERS}


@pytest.mark.parametrize(
    "headers",
    [
        None,
        htmx_headers(),
        htmx_headers("tally"),
        htmx_headers("tally", **{"HX-Boosted": "true"}),
    ],
)
def test_render_names_every_htmx_header_whatever_it_rendered(client, routes, headers):
    response = client.get("/test-htmx/page", headers=headers)
    assert response.status_code == 200
    assert vary(response) >= ALL


def test_render_chooses_the_block_by_hx_target_and_not_for_a_boosted_load(client, routes):
    assert "<main>" in client.get("/test-htmx/page").text
    block = client.get("/test-htmx/page", headers=htmx_headers("tally")).text
    assert block == "<p id='tally'>tally ok</p>"
    boosted = client.get(
        "/test-htmx/page", headers=htmx_headers("tally", **{"HX-Boosted": "true"})
    ).text
    assert "<main>" in boosted
    assert "<main>" in client.get("/test-htmx/page", headers=htmx_headers("nowhere")).text


@pytest.mark.parametrize("path", ["/test-htmx/branching", "/test-htmx/after_post"])
def test_a_view_that_asked_about_htmx_says_so_in_vary(client, routes, path):
    for headers in (None, htmx_headers()):
        assert vary(client.get(path, headers=headers)) >= ALL, (path, headers)
    assert client.get("/test-htmx/after_post").status_code == 303
    assert client.get("/test-htmx/after_post", headers=htmx_headers()).headers["HX-Redirect"]


def test_a_view_that_never_asked_names_no_htmx_header(client, routes):
    assert not vary(client.get("/test-htmx/plain")) & ALL


@pytest.mark.parametrize(
    ("headers", "fragment"),
    [
        (None, False),
        (htmx_headers(), True),
        (htmx_headers("results"), True),
        (htmx_headers(**{"HX-Boosted": "true"}), False),
    ],
)
def test_error_pages_differ_for_htmx_and_say_so(client, app, headers, fragment):
    response = client.get("/no-such-page", headers=headers)
    assert response.status_code == 404
    assert vary(response) >= ALL
    assert ("<html" not in response.text) is fragment
    assert "找不到页面" in response.text


def test_the_page_cache_keys_on_the_headers_vary_names(app):
    keys = set()
    variants = [{}] + [{name: "x"} for name in htmx.HTMX_HEADERS]
    for headers in variants:
        with app.test_request_context("/v/hubin/", headers=headers):
            keys.add(pagecache.cache_key())
    assert len(keys) == len(variants)


def test_a_page_served_from_the_cache_keeps_its_vary(client, routes):
    first = client.get("/test-htmx/page", headers=htmx_headers("tally"))
    again = client.get("/test-htmx/page", headers=htmx_headers("tally"))
    assert again.text == first.text == "<p id='tally'>tally ok</p>"
    assert cached_entries(client) == 1
    assert vary(again) >= ALL
    page = client.get("/test-htmx/page")
    assert "<main>" in page.text and vary(page) >= ALL


def cached_entries(client) -> int:
    """How many keys the page cache holds (one per distinct page or block requested)."""
    return len(client.application.extensions["page_cache"].entries)


def test_under_testing_a_missing_name_fails_the_page_and_the_block(client, routes):
    assert routes.jinja_env.undefined is StrictUndefined
    with pytest.raises(UndefinedError, match="forgotten"):
        client.get("/test-htmx/careless")
    with pytest.raises(UndefinedError, match="forgotten"):
        client.get("/test-htmx/careless", headers=htmx_headers("tally"))
    # A name that is truly optional says so, and renders.
    assert client.get("/test-htmx/careless", headers=htmx_headers("intro")).text == "ok"
