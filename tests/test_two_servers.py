"""Two app servers on one PostgreSQL database and one Redis give the same answers.

Two gunicorn instances serve one freshly seeded demo in production mode, with the
limiter's counts in Redis, one shared set of upload folders and one SECRET_KEY, as
README.md's "Several app servers" paragraph asks of an operator. A runs two workers and B
one: three processes for the limiter to agree across, and on B a single page cache, so
the test sees exactly how long B's copy of a public page can lag behind A.

A ballot cast on A is counted on B; wrong passwords spread over both hit the login limit
at the one-server total; a file attached on A is served by B byte for byte; a session
made on A is valid on B, and its logout on B ends it on A too.

Production cookies are Secure: a browser sends them only over HTTPS, which a proxy in
front of the servers would end. The servers here speak plain HTTP on 127.0.0.1, so the
client below keeps its own cookies and sends them whatever the scheme; the servers do
nothing differently for it (CSRF's Referer check applies to HTTPS requests only).

Only on the PostgreSQL leg (`--db=postgres`): SQLite is one file on one host. Without
Redis at TEST_REDIS_URL (default redis://127.0.0.1:6379/11) the servers are skipped,
except under CI=true, where that fails.
"""

from __future__ import annotations

import contextlib
import http.client
import importlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
REDIS_URL = os.environ.get("TEST_REDIS_URL") or "redis://127.0.0.1:6379/11"
PASSWORD = "demo-password"
VOTER = "13800000010"  # has not voted on 湖滨村's open vote in the demo
COMMITTEE = "13800000001"
GUESSED = "13800000020"
READER = "13800000011"
PAGE_CACHE_SECONDS = 1.0
STARTUP_SECONDS = 60
CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}, and CI=true: the two-server tests cannot be skipped")
    pytest.skip(reason)


# ---- a small HTTP client that keeps its cookies ------------------------------------------


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    @property
    def location(self) -> str:
        return self.headers.get("Location", "")

    def csrf_token(self) -> str:
        found = CSRF_FIELD.search(self.text)
        assert found, f"no CSRF token on the page (status {self.status})"
        return found.group(1)


@dataclass
class Browser:
    """One person's browser: its cookies go to whichever server it asks, as behind a load
    balancer that does not pin anyone to a server."""

    cookies: dict[str, str] = field(default_factory=dict)

    def request(
        self,
        server: Server,
        method: str,
        path: str,
        fields: dict | None = None,
        files: dict[str, tuple[str, bytes, str]] | None = None,
    ) -> Reply:
        headers = {"Accept-Language": "zh-CN"}
        body = None
        if files:
            boundary = uuid.uuid4().hex
            body = _multipart(boundary, fields or {}, files)
            headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
        elif fields is not None:
            body = urlencode(fields).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            reply = Reply(response.status, response.msg, response.read())
        finally:
            connection.close()
        for header in reply.headers.get_all("Set-Cookie") or []:
            jar = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return reply

    def get(self, server: Server, path: str) -> Reply:
        return self.request(server, "GET", path)

    def post(self, server: Server, path: str, fields: dict, **kwargs) -> Reply:
        return self.request(server, "POST", path, fields, **kwargs)

    def log_in(self, server: Server, phone: str, password: str = PASSWORD) -> Reply:
        token = self.get(server, "/login").csrf_token()
        return self.post(
            server, "/login", {"csrf_token": token, "phone": phone, "password": password}
        )


def _multipart(boundary: str, fields: dict, files: dict[str, tuple[str, bytes, str]]) -> bytes:
    parts = []
    for name, value in fields.items():
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
        parts.append(f"{head}{value}\r\n".encode())
    for name, (filename, data, content_type) in files.items():
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}";'
            f' filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'
        )
        parts.append(head.encode() + data + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode()


# ---- the two servers ---------------------------------------------------------------------


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen
    log: Path

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


@dataclass
class Cluster:
    a: Server
    b: Server
    database_url: str
    key_prefix: str


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _healthy(server: Server) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=2)
    try:
        connection.request("GET", "/healthz")
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


def _stop(servers: list[Server]) -> None:
    """SIGKILL for each server's whole process group, master and workers: they hold
    nothing worth a graceful shutdown, which costs seconds (a worker still booting may not
    heed SIGINT at all, and gunicorn would wait 30 s for it)."""
    for server in servers:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.process.pid, signal.SIGKILL)
    for server in servers:
        server.process.wait(timeout=10)


def _forget_limits(prefix: str) -> None:
    """Drop this run's limiter counts (and only this run's: its keys carry its prefix)."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter(match=f"*{prefix}*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture(scope="module")
def cluster(request, db_backend, tmp_path_factory):
    if db_backend != "postgres":
        pytest.skip("two app servers share a PostgreSQL database: run with --db=postgres")
    try:
        import redis

        probe = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
        probe.ping()
        probe.close()
    except Exception as exc:  # any failure to reach it: refused, timeout, bad URL
        _unavailable(f"Redis unreachable at {REDIS_URL} ({exc})")

    seeded, demo_uploads = request.getfixturevalue("demo_template")
    seeded_url = sa.engine.make_url(seeded)
    name = f"{seeded_url.database}_servers"
    admin = sa.create_engine(seeded_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{seeded_url.database}"'))
    url = seeded_url.set(database=name).render_as_string(hide_password=False)

    shared = tmp_path_factory.mktemp("shared-storage")
    shutil.copytree(demo_uploads, shared / "uploads")
    key_prefix = f"shanzhi-test-{secrets.token_hex(6)}"
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("FLASK_", "SHANZHI_", "RATELIMIT_")) and k != "TRUSTED_HOSTS"
        },
        "SHANZHI_ENV": "production",
        "SITE_URL": "http://127.0.0.1",
        "SECRET_KEY": secrets.token_hex(32),
        "DATABASE_URL": url,
        "RATELIMIT_STORAGE_URI": REDIS_URL,
        "RATELIMIT_KEY_PREFIX": key_prefix,
        "PAGE_CACHE_SECONDS": str(PAGE_CACHE_SECONDS),
        "UPLOAD_DIR": str(shared / "uploads"),
        "ATTACHMENT_DIR": str(shared / "attachments"),
        "ROSTER_IMPORT_DIR": str(shared / "roster-imports"),
        "PROXY_FIX": "0",
    }
    logs = tmp_path_factory.mktemp("server-logs")
    servers: list[Server] = []
    try:
        for label, workers in (("A", 2), ("B", 1)):
            port = _free_port()
            log = logs / f"{label}.log"
            with log.open("wb") as out:
                process = subprocess.Popen(
                    [str(GUNICORN), "-w", str(workers), "-b", f"127.0.0.1:{port}", "wsgi:app"],
                    cwd=ROOT,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            servers.append(Server(label, port, process, log))
        deadline = time.monotonic() + STARTUP_SECONDS
        waiting = list(servers)
        while waiting:
            for server in list(waiting):
                if server.process.poll() is not None:
                    pytest.fail(f"server {server.name} exited:\n{server.log_tail()}")
                if _healthy(server):
                    waiting.remove(server)
            if time.monotonic() > deadline:
                pytest.fail(f"server {waiting[0].name} not ready:\n{waiting[0].log_tail()}")
            time.sleep(0.1)
        yield Cluster(servers[0], servers[1], url, key_prefix)
    finally:
        _stop(servers)
        _forget_limits(key_prefix)
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def a(cluster) -> Server:
    return cluster.a


@pytest.fixture
def b(cluster) -> Server:
    return cluster.b


def _open_vote(cluster: Cluster) -> tuple[int, int]:
    engine = sa.create_engine(cluster.database_url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        found = conn.execute(
            sa.text(
                "SELECT v.document_id, v.number FROM rule_version v"
                " JOIN village g ON g.id = v.village_id WHERE g.slug = 'hubin'"
                " AND v.vote_opens_at <= now() AND v.vote_closes_at > now()"
            )
        ).one()
    engine.dispose()
    return found.document_id, found.number


def _voted(page: Reply) -> int:
    found = re.search(r"已投票\D{0,40}?(\d+)\D{0,40}?人", page.text)
    assert found, f"no turnout on the page (status {page.status})"
    return int(found.group(1))


# ---- what the two servers agree on -------------------------------------------------------


@pytest.mark.postgres
def test_a_ballot_cast_on_a_is_counted_on_b(cluster, a, b):
    document_id, number = _open_vote(cluster)
    path = f"/v/hubin/rules/{document_id}/versions/{number}"
    visitor = Browser()
    warmed_at = time.monotonic()
    before = _voted(visitor.get(b, path))  # B now keeps this page for its visitors

    voter = Browser()
    assert voter.log_in(a, VOTER).status in (302, 303)
    token = voter.get(a, path).csrf_token()
    cast = voter.post(a, f"{path}/vote", {"csrf_token": token, "choice": "yes"})
    assert cast.status in (302, 303), cast.text[:500]

    # Logged in, on B at once: B reads the database A wrote.
    on_b = voter.get(b, path)
    assert on_b.status == 200
    assert _voted(on_b) == before + 1
    assert "您已投票" in on_b.text

    # A visitor on B sees it once B's copy of the public page has expired, and no later:
    # nothing else in a process keeps what the database says.
    while _voted(visitor.get(b, path)) == before:
        late = time.monotonic() - warmed_at - PAGE_CACHE_SECONDS
        assert late < 3, f"B still showed the old count {late:.1f} s after its cache expired"
        time.sleep(0.1)
    assert _voted(visitor.get(a, path)) == before + 1


@pytest.mark.postgres
def test_the_login_limit_holds_across_both_servers(cluster, a, b):
    """LOGIN_RATE_LIMIT is 5 a minute per address and per phone, failures only: five
    wrong passwords spread over three worker processes on two servers are all it takes.
    With a per-process memory:// store each worker would allow five of its own."""
    guesser = Browser()
    try:
        for attempt, server in enumerate([a, b, a, b, a], start=1):
            reply = guesser.log_in(server, GUESSED, "wrong-password")
            assert reply.status == 422, f"attempt {attempt} on {server.name}: {reply.status}"
        for server in (b, a):
            refused = guesser.log_in(server, GUESSED, "wrong-password")
            assert refused.status == 429, f"6th attempt on {server.name}: {refused.status}"
            assert "登录失败的次数太多了" in refused.text
        # The right password is refused too until the minute is over: the limit is not a
        # hint about which password was right.
        assert guesser.log_in(b, GUESSED).status == 429
    finally:
        # Every request here comes from 127.0.0.1: let the other tests log in again.
        _forget_limits(cluster.key_prefix)


@pytest.mark.postgres
def test_a_file_attached_on_a_is_served_by_b_byte_for_byte(cluster, a, b):
    committee = Browser()
    assert committee.log_in(a, COMMITTEE).status in (302, 303)
    form = committee.get(a, "/v/hubin/manage/notices/new")
    assert form.status == 200
    category = re.search(r'<option[^>]*value="([a-z_]+)"', form.text)
    assert category, "no category to choose"
    pdf = (
        b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n"
        + secrets.token_bytes(4096).hex().encode()
        + b"\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    )
    created = committee.post(
        a,
        "/v/hubin/manage/notices/new",
        {
            "csrf_token": form.csrf_token(),
            "category": category.group(1),
            "title": "两台服务器的附件",
            "body": "附件在 A 上传，由 B 发出。",
            "attachments-0-caption": "预算表",
        },
        files={"attachments-0-file": ("预算表.pdf", pdf, "application/pdf")},
    )
    assert created.status in (302, 303), created.text[:800]
    notice_path = created.location.split("#")[0].replace("http://127.0.0.1", "")

    console = committee.get(b, notice_path)  # the draft's console page, on B
    assert console.status == 200, console.status
    link = re.search(r'href="(/v/hubin/notices/\d+/attachments/\d+)"', console.text)
    assert link, "the draft's page on B names no attachment"
    served = committee.get(b, link.group(1))
    assert served.status == 200
    assert served.headers["Content-Type"] == "application/pdf"
    assert served.body == pdf


@pytest.mark.postgres
def test_a_session_made_on_a_is_valid_on_b_and_ends_on_both(cluster, a, b):
    reader = Browser()
    assert reader.log_in(a, READER).status in (302, 303)
    assert reader.get(b, "/account").status == 200
    assert READER in reader.get(b, "/account").text
    assert Browser().get(b, "/account").status in (302, 303)  # no cookie, no account

    stolen = Browser(dict(reader.cookies))
    token = reader.get(b, "/account").csrf_token()
    assert reader.post(b, "/logout", {"csrf_token": token}).status in (302, 303)
    # The login record is in the database: the copied cookies stop working on A as well.
    assert stolen.get(a, "/account").status in (302, 303)


# ---- production refuses a limiter that counts per process -------------------------------


@pytest.fixture
def production_env(monkeypatch):
    """The environment of a production server, config.py read again under it."""
    import config

    monkeypatch.setenv("SHANZHI_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "s" * 64)
    monkeypatch.setenv("SITE_URL", "https://shanzhi.example")
    monkeypatch.delenv("RATELIMIT_STORAGE_URI", raising=False)
    monkeypatch.delenv("RATELIMIT_ALLOW_MEMORY", raising=False)
    importlib.reload(config)
    yield monkeypatch
    for name in ("SHANZHI_ENV", "SECRET_KEY", "SITE_URL"):
        monkeypatch.delenv(name)
    monkeypatch.delenv("RATELIMIT_STORAGE_URI", raising=False)
    monkeypatch.delenv("RATELIMIT_ALLOW_MEMORY", raising=False)
    importlib.reload(config)


def _production_app():
    import config
    from portal import create_app

    importlib.reload(config)
    return create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_production_refuses_a_per_process_limiter(production_env):
    with pytest.raises(RuntimeError, match="RATELIMIT_STORAGE_URI"):
        _production_app()
    production_env.setenv("RATELIMIT_STORAGE_URI", "memory://")
    with pytest.raises(RuntimeError, match="RATELIMIT_ALLOW_MEMORY"):
        _production_app()


def test_production_takes_a_shared_limiter_or_an_explicit_single_process(production_env):
    production_env.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/11")
    assert _production_app().config["RATELIMIT_STORAGE_URI"].startswith("redis://")
    production_env.setenv("RATELIMIT_STORAGE_URI", "memory://")
    production_env.setenv("RATELIMIT_ALLOW_MEMORY", "1")
    assert _production_app().config["RATELIMIT_ALLOW_MEMORY"] is True
