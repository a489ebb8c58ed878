"""The key that signs cookies (SECURITY.md row 9): no key written in the source signs a
cookie for people. Development generates one per instance and keeps it in
`instance/secret_key`; production refuses to start without `SECRET_KEY` (or `SITE_URL`).
"""

from __future__ import annotations

import importlib
import stat

import pytest

import config
from portal import create_app
from portal.auth.models import Role
from portal.extensions import db
from tests.conftest import TEST_SECRET, login_as
from tests.factories import official

# Every key ever written in this source for cookies: none may sign one outside tests.
KEYS_IN_SOURCE = (TEST_SECRET, "dev-only-not-secret", "browser-testing-secret", "race")


@pytest.fixture
def instance(monkeypatch, tmp_path):
    """create_app's instance folder, moved to the test's own."""
    import portal

    folder = tmp_path / "instance"
    original = portal.Portal.__init__

    def init(self, *args, **kwargs):
        kwargs["instance_path"] = str(folder)
        original(self, *args, **kwargs)

    monkeypatch.setattr(portal.Portal, "__init__", init)
    monkeypatch.delenv("SHANZHI_ENV", raising=False)
    return folder


def dev_app(database_url, **overrides):
    return create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": None, **overrides})


def test_development_makes_its_own_key_once_and_keeps_it_private(database_url, instance):
    first = dev_app(database_url)
    key_file = instance / "secret_key"
    assert first.config["DEBUG"] is False and not first.testing
    assert key_file.read_text() == first.secret_key and len(first.secret_key) >= 64
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert first.secret_key not in KEYS_IN_SOURCE
    again = dev_app(database_url)
    assert again.secret_key == first.secret_key  # kept: sessions survive a restart
    assert not [p for p in instance.iterdir() if p.name != "secret_key" and "secret" in p.name]
    key_file.chmod(0o644)
    dev_app(database_url)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_git_ignores_the_instance_folder():
    from pathlib import Path

    ignored = (Path(config.__file__).parent / ".gitignore").read_text().split()
    assert "instance/" in ignored


def test_a_cookie_signed_with_a_key_in_the_source_is_refused(app, database_url, instance):
    admin = official(Role.ADMIN)
    forger = app.test_client()  # the test suite's app signs with TEST_SECRET
    login_as(forger, admin)
    assert forger.get("/admin/").status_code == 200
    forged = forger.get_cookie("session", domain="localhost").value

    served = dev_app(database_url, SERVER_NAME="localhost")
    visitor = served.test_client()
    visitor.set_cookie("session", forged, domain="localhost")
    with served.app_context():
        response = visitor.get("/admin/")
        db.session.remove()
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_no_configuration_but_the_tests_holds_a_key():
    for name in ("DevelopmentConfig", "ProductionConfig"):
        assert (
            getattr(config, name).SECRET_KEY in (None, "")
            or "SECRET_KEY" in __import__("os").environ
        )
    with open(config.__file__, encoding="utf-8") as source:
        assert "dev-only-not-secret" not in source.read()


def test_production_refuses_to_start_without_a_site_address(monkeypatch, database_url):
    monkeypatch.setenv("SECRET_KEY", "k" * 64)
    monkeypatch.delenv("SITE_URL", raising=False)
    monkeypatch.setenv("SHANZHI_ENV", "production")
    importlib.reload(config)
    try:
        with pytest.raises(RuntimeError, match="SITE_URL"):
            create_app({"SQLALCHEMY_DATABASE_URI": database_url})
        monkeypatch.setenv("SITE_URL", "https://shanzhi.example/portal")
        importlib.reload(config)
        with pytest.raises(RuntimeError, match="without a path"):
            create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    finally:
        monkeypatch.delenv("SHANZHI_ENV")
        monkeypatch.delenv("SITE_URL", raising=False)
        monkeypatch.delenv("SECRET_KEY")
        importlib.reload(config)
