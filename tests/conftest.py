"""Fixtures: an app on a temporary-file SQLite database or on PostgreSQL.

`pytest` runs on SQLite; `pytest --db=postgres` on the database named by
TEST_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/test). The schema is
built once per run by the Alembic migrations, so every run also proves they work.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import flask
import jinja2
import jinja2.bccache
import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer

from portal import clock, create_app
from portal.extensions import db


def _compile_each_url_builder_once() -> None:
    """Every test builds its own app, and werkzeug compiles two URL builders for each of
    its ~1,000 rules each time (two thirds of `create_app`). A builder's code depends only
    on its rule's text, parts and defaults (it reads the rule's converters when called), so
    the test process compiles each once and every app's rules share it."""
    from werkzeug.routing.rules import Rule

    compile_builder = Rule._compile_builder
    compiled: dict = {}

    def shared(self, append_unknown: bool = True):
        key = (
            self.rule,
            tuple(self._trace),
            repr(sorted((self.defaults or {}).items())),
            append_unknown,
        )
        if key not in compiled:
            compiled[key] = compile_builder(self, append_unknown)
        return compiled[key]

    Rule._compile_builder = shared


_compile_each_url_builder_once()


class _SharedTemplateCode(jinja2.BytecodeCache):
    """Each template's compiled code, kept for every app the test process builds."""

    def __init__(self) -> None:
        self.codes: dict[str, tuple[str, object]] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        found = self.codes.get(bucket.key)
        if found and found[0] == bucket.checksum:
            bucket.code = found[1]

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.codes[bucket.key] = (bucket.checksum, bucket.code)


def _compile_each_template_once() -> None:
    """A new app has a new Jinja environment, which compiles every template it renders
    again: a third of a test's time. The test process compiles each template once (its
    source checked by checksum) and every app's environment loads the code."""
    shared = _SharedTemplateCode()
    create = flask.Flask.create_jinja_environment

    def with_shared_code(self):
        environment = create(self)
        environment.bytecode_cache = shared
        return environment

    flask.Flask.create_jinja_environment = with_shared_code


_compile_each_template_once()

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
TEST_SECRET = "testing-secret"
CSRF_RAW = "0123456789abcdef0123456789abcdef01234567"


def pytest_addoption(parser):
    parser.addoption(
        "--db", choices=["sqlite", "postgres"], default="sqlite", help="database for the suite"
    )


def pytest_report_header(config):
    return f"database: {config.getoption('--db')}"


def pytest_collection_modifyitems(config, items):
    """A test marked `any_database` checks what no database changes (the bytes a page
    weighs, the static files): the SQLite leg runs it, the PostgreSQL leg says so."""
    if config.getoption("--db") != "postgres":
        return
    once = pytest.mark.skip(reason="the same on every database: run on the SQLite leg")
    for item in items:
        if item.get_closest_marker("any_database") is not None:
            item.add_marker(once)


def _pg_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL") or DEFAULT_PG
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


@pytest.fixture(scope="session")
def db_backend(request) -> str:
    return request.config.getoption("--db")


@pytest.fixture(scope="session")
def template_database(db_backend, tmp_path_factory, worker_id) -> str:
    """A database at the head migration: a SQLite file to copy, or a PostgreSQL database."""
    if db_backend == "postgres":
        base = sa.engine.make_url(_pg_url())
        try:
            admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                name = f"{base.database}_{worker_id}" if worker_id != "master" else None
                if name:
                    conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                    conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
            admin.dispose()
        except sa.exc.OperationalError as exc:
            if os.environ.get("CI") == "true":
                pytest.fail(f"PostgreSQL unreachable under CI: {exc}")
            pytest.skip(f"PostgreSQL unreachable at {base}: skipping the PostgreSQL leg")
        url = (
            base.set(database=name).render_as_string(hide_password=False)
            if name
            else str(base.render_as_string(hide_password=False))
        )
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
        engine.dispose()
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'template.db'}"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        db.engine.dispose()
    return url


_cleaners: dict[str, tuple] = {}


def _clean_postgres(url: str) -> None:
    """Empty every table and restart every sequence, in one round trip.

    DELETE with triggers and foreign keys set aside (`session_replication_role`) costs
    about 0.03 s for the whole schema, where TRUNCATE, which gives each of its tables new
    files, costs 0.25 s."""
    if url not in _cleaners:
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        with engine.connect() as conn:
            sequences = conn.scalars(
                sa.text("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'")
            ).all()
        engine.dispose()
        script = (
            "SET LOCAL session_replication_role = replica;"
            + "".join(f'DELETE FROM "{t.name}";' for t in reversed(db.metadata.sorted_tables))
            + "".join(f'ALTER SEQUENCE "{s}" RESTART;' for s in sequences)
        )
        _cleaners[url] = (engine, script)
    engine, script = _cleaners[url]
    with engine.begin() as conn:
        conn.exec_driver_sql(script)


def _recreate_postgres(url: sa.engine.URL, name: str, template: str | None = None) -> str:
    """Drop and create the PostgreSQL database `name` (a copy of `template`, if given)."""
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        copy = f' TEMPLATE "{template}"' if template else ""
        conn.execute(sa.text(f'CREATE DATABASE "{name}"{copy}'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def demo_template(template_database, db_backend, tmp_path_factory) -> tuple[str, Path]:
    """The demo seeded once per test process, and the folder of the files it stored: the
    tests marked `demo` each get a copy (seeding it is the slowest set-up there is)."""
    uploads = tmp_path_factory.mktemp("demo-uploads")
    if db_backend == "postgres":
        base = sa.engine.make_url(template_database)
        url = _recreate_postgres(base, f"{base.database}_demo")
    else:
        path = tmp_path_factory.mktemp("demo") / "demo.db"
        shutil.copyfile(Path(sa.engine.make_url(template_database).database), path)
        url = f"sqlite:///{path}"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "UPLOAD_DIR": str(uploads)})
    with app.app_context():
        if db_backend == "postgres":
            from flask_migrate import upgrade

            upgrade()
        from portal.demo import seed_demo

        seed_demo()
        db.session.remove()
        db.engine.dispose()
    return url, uploads


@pytest.fixture
def database_url(template_database, db_backend, tmp_path, request) -> str:
    """A clean database for one test, at the head migration; for a test marked `demo`,
    a copy of the seeded demo (its stored files copied to the test's upload folder)."""
    if request.node.get_closest_marker("demo") is not None:
        seeded, uploads = request.getfixturevalue("demo_template")
        shutil.copytree(uploads, tmp_path / "uploads", dirs_exist_ok=True)
        if db_backend == "postgres":
            seeded_url = sa.engine.make_url(seeded)
            return _recreate_postgres(
                seeded_url, f"{seeded_url.database}_run", template=seeded_url.database
            )
        target = tmp_path / "test.db"
        shutil.copyfile(Path(sa.engine.make_url(seeded).database), target)
        return f"sqlite:///{target}"
    if db_backend == "postgres":
        _clean_postgres(template_database)
        return template_database
    source = Path(sa.engine.make_url(template_database).database)
    target = tmp_path / "test.db"
    shutil.copyfile(source, target)
    return f"sqlite:///{target}"


@pytest.fixture
def app_config() -> dict:
    """Override in a test module to change settings."""
    return {}


@pytest.fixture
def app(database_url, app_config, tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": TEST_SECRET,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SERVER_NAME": "localhost",
            # Uploads of a test stay in its own folder, never in the instance folder.
            "UPLOAD_DIR": str(tmp_path / "uploads"),
            **app_config,
        }
    )
    app.test_client_class = CSRFClient
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


class CSRFClient(FlaskClient):
    """A test client that sends a valid CSRF token with every unsafe request.

    CSRF stays on for the whole suite; pass `csrf=False` to send none, or
    `csrf="header"` to send it as htmx does, in the X-CSRFToken header.
    """

    def open(self, *args, csrf: bool | str = True, **kwargs):
        method = (kwargs.get("method") or "GET").upper()
        if csrf and method not in ("GET", "HEAD", "OPTIONS"):
            token = self.csrf_token()
            if csrf == "header":
                headers = dict(kwargs.get("headers") or {})
                headers["X-CSRFToken"] = token
                kwargs["headers"] = headers
            else:
                data = kwargs.get("data")
                if data is None:
                    data = {}
                if isinstance(data, dict) and "csrf_token" not in data:
                    kwargs["data"] = {**data, "csrf_token": token}
        # The test's own session ends its transaction first, so the request sees what the
        # test wrote and the test then sees what the request wrote (SQLite reads from a
        # snapshot). The request runs in a fresh app context, as in production: its own
        # `g` and its own database session.
        db.session.commit()
        with self.application.app_context():
            return super().open(*args, **kwargs)

    def csrf_token(self) -> str:
        with self.application.app_context(), self.session_transaction() as session:
            session.setdefault("csrf_token", CSRF_RAW)
            raw = session["csrf_token"]
        secret = self.application.config.get("WTF_CSRF_SECRET_KEY") or self.application.secret_key
        return URLSafeTimedSerializer(secret, salt="wtf-csrf-token").dumps(raw)


@pytest.fixture
def at(monkeypatch):
    """The suite's one clock: `at(moment)` sets the portal's time for what follows.

    Services, pages, the test client's requests and the column defaults of new rows
    (`clock.default_now`) all read it. Returns the moment, for chaining.
    """

    def travel(moment):
        monkeypatch.setattr(clock, "now", lambda: moment)
        return moment

    return travel


@pytest.fixture
def client(app) -> CSRFClient:
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


HTMX = {"HX-Request": "true"}


def htmx_headers(target: str | None = None, **extra) -> dict:
    headers = {"HX-Request": "true", **extra}
    if target:
        headers["HX-Target"] = target
    return headers


def login_as(client: FlaskClient, user) -> None:
    """Start a session for `user` without going through the login form: a login record,
    as the form makes, and the session cookie naming it."""
    from portal.auth.sessions import start_login

    start_login(user)
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
