"""Route-wide security checks generated from app.url_map (SECURITY.md rows 4, 6, 9, 11, 12)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from portal.auth.models import Role
from portal.extensions import db
from tests.conftest import login_as
from tests.factories import (
    GridFactory,
    HouseholdFactory,
    ResidentFactory,
    VillageFactory,
    official,
    villager,
)

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def routes(app):
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"]


def sample_url(app, rule, village_slug: str, town_slug: str) -> str:
    """A concrete URL for `rule`, its arguments filled with a given village or town."""
    values = {}
    for name in rule.arguments:
        converter = rule._converters[name].__class__.__name__
        if name == "village":
            values[name] = village_slug
        elif name == "town":
            values[name] = town_slug
        elif converter == "IntegerConverter":
            values[name] = 1
        else:
            values[name] = "x"
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **values)


@pytest.fixture
def two_villages(app):
    home = VillageFactory(slug="home")
    other = VillageFactory(slug="other")
    for village in (home, other):
        grid = GridFactory(village=village)
        ResidentFactory(household=HouseholdFactory(village=village, grid=grid))
    return home, other


def test_every_route_declares_an_access_rule(app):
    missing = [
        rule.rule
        for rule in routes(app)
        if not getattr(app.view_functions[rule.endpoint], "access", None)
    ]
    assert missing == [], f"routes without an access rule: {missing}"


def test_every_unsafe_route_refuses_a_request_without_csrf_token(app, client, two_villages):
    home, _ = two_villages
    committee = official(Role.COMMITTEE, village=home)
    login_as(client, committee)
    checked = 0
    for rule in routes(app):
        for method in sorted(rule.methods & UNSAFE):
            url = sample_url(app, rule, home.slug, home.town.slug)
            response = client.open(url, method=method, data={"x": "1"}, csrf=False)
            assert response.status_code == 400, f"{method} {url} accepted without a CSRF token"
            checked += 1
    assert checked > 0


def test_csrf_token_in_header_is_accepted_as_htmx_sends_it(app, client, two_villages):
    """The token htmx sends in X-CSRFToken passes; the same request without it does not."""
    home, _ = two_villages
    with_header = client.post("/login", data={"phone": "1", "password": "x"}, csrf="header")
    assert with_header.status_code != 400
    without = client.post("/login", data={"phone": "1", "password": "x"}, csrf=False)
    assert without.status_code == 400


def table_counts() -> dict[str, int]:
    return {
        table.name: db.session.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
        for table in db.metadata.sorted_tables
    }


def test_get_requests_change_no_rows(app, client, two_villages):
    home, _ = two_villages
    committee = official(Role.COMMITTEE, village=home)
    login_as(client, committee)
    before = table_counts()
    for rule in routes(app):
        if "GET" in rule.methods:
            client.get(sample_url(app, rule, home.slug, home.town.slug))
            db.session.rollback()
    assert table_counts() == before


def village_scoped(app, prefix: str):
    for rule in routes(app):
        access = getattr(app.view_functions[rule.endpoint], "access", "")
        if access.startswith(prefix):
            yield rule, access


def test_village_roles_are_refused_in_a_foreign_village(app, client, two_villages):
    """A committee member, supervisor or grid worker of one village touches nothing of another."""
    home, other = two_villages
    for role in (Role.COMMITTEE, Role.SUPERVISOR, Role.GRID_WORKER):
        user = official(role, village=home)
        login_as(client, user)
        for rule, _access in village_scoped(app, "village:"):
            for method in sorted(rule.methods & ({"GET"} | UNSAFE)):
                url = sample_url(app, rule, other.slug, other.town.slug)
                response = client.open(url, method=method)
                assert response.status_code in (403, 404), (
                    f"{role} of {home.slug}: {method} {url} gave {response.status_code}"
                )


def test_villager_is_refused_on_the_committee_console(app, client, two_villages):
    home, _ = two_villages
    login_as(client, villager(home))
    for rule, access in village_scoped(app, "village:"):
        if "villager" in access:
            continue
        for method in sorted(rule.methods & ({"GET"} | UNSAFE)):
            url = sample_url(app, rule, home.slug, home.town.slug)
            assert client.open(url, method=method).status_code == 403, f"{method} {url}"


def test_visitor_is_sent_to_login_from_every_restricted_page(app, client, two_villages):
    home, _ = two_villages
    for rule in routes(app):
        access = getattr(app.view_functions[rule.endpoint], "access", "")
        if access == "public" or "GET" not in rule.methods:
            continue
        url = sample_url(app, rule, home.slug, home.town.slug)
        response = client.get(url)
        assert response.status_code in (302, 303), f"GET {url} gave {response.status_code}"
        assert "/login" in response.headers["Location"]


def test_htmx_visitor_on_restricted_page_gets_a_client_redirect(app, client, two_villages):
    home, _ = two_villages
    response = client.get(f"/v/{home.slug}/manage/", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.headers["HX-Redirect"].startswith("/login")


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def test_security_headers_on_every_get_route(app, client, two_villages):
    home, _ = two_villages
    for rule in routes(app):
        if "GET" not in rule.methods:
            continue
        response = client.get(sample_url(app, rule, home.slug, home.town.slug))
        for name, value in SECURITY_HEADERS.items():
            assert response.headers.get(name) == value, f"{rule.rule}: {name}"
        csp = response.headers["Content-Security-Policy"]
        for directive in (
            "default-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        ):
            assert directive in csp, f"{rule.rule}: CSP lacks {directive}"
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp


def test_pages_for_logged_in_people_are_not_stored(app, client, two_villages):
    home, _ = two_villages
    anonymous = client.get(f"/v/{home.slug}/")
    assert "no-store" not in anonymous.headers.get("Cache-Control", "")
    login_as(client, villager(home))
    response = client.get(f"/v/{home.slug}/")
    assert response.headers["Cache-Control"] == "no-store"
    assert "Cookie" in response.headers["Vary"]
    assert 'hx-history="false"' in response.text


def test_hsts_and_secure_cookies_in_production(monkeypatch, database_url):
    from portal import create_app

    monkeypatch.setenv("SECRET_KEY", "x" * 32)
    monkeypatch.setenv("SITE_URL", "https://shanzhi.example")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("SHANZHI_ENV", "production")
    import importlib

    import config

    importlib.reload(config)
    try:
        app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
        assert app.config["SESSION_COOKIE_SECURE"] is True
        assert app.config["REMEMBER_COOKIE_SECURE"] is True
        response = app.test_client().get("/healthz", base_url="https://shanzhi.example")
        assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    finally:
        monkeypatch.delenv("SECRET_KEY")
        monkeypatch.delenv("SITE_URL")
        monkeypatch.delenv("RATELIMIT_STORAGE_URI")
        monkeypatch.delenv("SHANZHI_ENV")
        importlib.reload(config)


def test_production_refuses_to_start_without_secret_key(monkeypatch, database_url):
    import importlib

    import config
    from portal import create_app

    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("SHANZHI_ENV", "production")
    importlib.reload(config)
    try:
        with pytest.raises(RuntimeError, match="SECRET_KEY"):
            create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    finally:
        monkeypatch.delenv("SHANZHI_ENV")
        importlib.reload(config)


def page_wrapper(page: str) -> str:
    wrapper = re.search(r"<body>\s*<div class=\"page\"([^>]*)>", page)
    assert wrapper, "the page wrapper that carries hx-boost and hx-headers is missing"
    return wrapper.group(1)


def test_htmx_is_configured_safely(client):
    page = client.get("/").text
    match = re.search(r'<meta name="htmx-config" content=\'([^\']+)\'>', page)
    assert match, "htmx-config meta missing"
    import json

    settings = json.loads(match.group(1))
    assert settings["allowEval"] is False
    assert settings["allowScriptTags"] is False
    assert settings["includeIndicatorStyles"] is False
    assert settings["selfRequestsOnly"] is True
    assert 'hx-boost="true"' in page_wrapper(page)


def test_csrf_header_on_pages_that_send_htmx_posts_and_for_logged_in_people(client):
    """A visitor's read-only page mints no token; register (inline checks) and every
    logged-in page carry it in hx-headers for htmx requests."""
    village = VillageFactory()
    assert "hx-headers" not in page_wrapper(client.get(f"/v/{village.slug}/").text)
    register = page_wrapper(client.get("/register").text)
    assert "X-CSRFToken" in re.search(r"hx-headers='([^']+)'", register).group(1)
    login_as(client, villager(village))
    logged_in = page_wrapper(client.get(f"/v/{village.slug}/").text)
    assert "X-CSRFToken" in re.search(r"hx-headers='([^']+)'", logged_in).group(1)


FORBIDDEN_IN_TEMPLATES = [
    (re.compile(r"\bhx-on"), "hx-on attribute"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "inline <script>"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "inline event handler"),
    (re.compile(r"\|\s*safe\b"), "|safe filter"),
    (re.compile(r"style\s*=", re.I), "inline style (CSP style-src 'self')"),
]


def test_templates_have_no_inline_script_or_handlers():
    problems = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        for pattern, what in FORBIDDEN_IN_TEMPLATES:
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                problems.append(f"{path.relative_to(TEMPLATES)}:{line}: {what}")
    assert problems == []
