"""Public pages as visitors see them are served from memory for a few seconds."""

from __future__ import annotations

import pytest

from portal import pagecache
from portal.auth.models import Role
from portal.extensions import db
from tests.conftest import htmx_headers, login_as
from tests.factories import VillageFactory, official


@pytest.fixture
def app_config():
    return {"PAGE_CACHE_SECONDS": 5}


@pytest.fixture
def clock(monkeypatch):
    """Control the cache's clock."""
    now = [1000.0]
    monkeypatch.setattr(pagecache.time, "monotonic", lambda: now[0])
    return now


@pytest.fixture
def village(app):
    return VillageFactory(name="湖滨村", slug="hubin")


def rename(village, name):
    village.name = name
    db.session.commit()


def test_a_visitor_gets_the_page_from_memory_until_it_expires(client, village, clock):
    assert "湖滨村" in client.get("/v/hubin/").text
    rename(village, "新湖滨村")
    cached = client.get("/v/hubin/")
    assert "新湖滨村" not in cached.text
    assert cached.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in cached.headers["Content-Security-Policy"]
    clock[0] += 6
    assert "新湖滨村" in client.get("/v/hubin/").text


def test_visitor_pages_start_no_session(client, village):
    response = client.get("/v/hubin/")
    assert "Set-Cookie" not in response.headers
    assert "X-CSRFToken" not in response.text


def test_logged_in_people_always_get_a_fresh_page(client, village, clock):
    client.get("/v/hubin/")
    rename(village, "新湖滨村")
    login_as(client, official(Role.COMMITTEE, village=village))
    assert "新湖滨村" in client.get("/v/hubin/").text


def test_a_page_and_its_htmx_block_are_kept_apart(client, village, clock):
    page = client.get("/?q=湖滨")
    block = client.get("/?q=湖滨", headers=htmx_headers("village-results"))
    assert "<html" in page.text and "<html" not in block.text
    again = client.get("/?q=湖滨", headers=htmx_headers("village-results"))
    assert again.text == block.text


def test_languages_are_kept_apart(client, village, clock):
    chinese = client.get("/v/hubin/")
    client.set_cookie("lang", "en")
    english = client.get("/v/hubin/")
    assert '<html lang="zh-Hans">' in chinese.text and '<html lang="en">' in english.text


def test_pages_with_a_form_are_never_kept(app, client, village, clock):
    response = client.get("/login")
    assert "Set-Cookie" in response.headers
    keys = [key[0] for key in app.extensions["page_cache"].entries]
    assert not any(path.startswith("/login") for path in keys)


def test_restricted_pages_are_never_kept(app, client, village, clock):
    client.get("/v/hubin/manage/")
    keys = [key[0] for key in app.extensions["page_cache"].entries]
    assert not any("manage" in path for path in keys)


def test_errors_are_not_kept(app, client, clock):
    assert client.get("/v/nowhere/").status_code == 404
    VillageFactory(slug="nowhere")
    assert client.get("/v/nowhere/").status_code == 200


def test_the_store_is_bounded(app, client, village, clock):
    app.extensions["page_cache"].max_entries = 3
    for n in range(6):
        client.get(f"/?q=村{n}")
    assert len(app.extensions["page_cache"].entries) == 3


def test_pages_that_ask_not_to_be_stored_are_never_kept(app, client, village, clock):
    """A public page marked no-store or private (portal.privacy) stays out of the cache."""
    from portal.privacy import no_store

    calls = []

    def counted():
        calls.append(1)
        return no_store(app.response_class(f"seen {len(calls)}"))

    counted.access = "public"
    app.add_url_rule("/counted", "counted", counted)
    assert client.get("/counted").text == "seen 1"
    assert client.get("/counted").text == "seen 2"
    assert not app.extensions["page_cache"].entries


@pytest.mark.demo
def test_no_page_of_the_demo_starts_a_visitors_session(client):
    """A form on a page mints a CSRF token, and a token a session: a visitor's page with
    one would carry a Set-Cookie and never be served from memory. Every board entry,
    nomination and points entry of the demo a visitor may open, in each of its states
    (those in 公示 include their objection form for villagers), and the pages around them."""
    import sqlalchemy as sa

    from portal.boards.models import BoardEntry
    from portal.nominations.models import Nomination

    paths = ["/", "/v/hubin/", "/v/hubin/boards", "/v/hubin/nominations", "/v/hubin/points"]
    paths += [f"/v/hubin/boards/{i}" for i in db.session.scalars(sa.select(BoardEntry.id))]
    paths += [f"/v/hubin/nominations/{i}" for i in db.session.scalars(sa.select(Nomination.id))]
    opened = 0
    for path in paths:
        response = client.get(path)
        if response.status_code != 200:
            continue  # not public (a draft, an entry only its household may see)
        opened += 1
        assert "Set-Cookie" not in response.headers, path
        assert 'name="csrf_token"' not in response.text, path
    assert opened >= 12
