"""`make bench`: throughput and latency of the portal's pages against its own /healthz.

Serves the demo on a temporary SQLite database with gunicorn (2 workers), logs in a
demo villager, and loads each page with wrk at 16 connections. Prints requests per
second, p99 latency, and each page's throughput as a share of /healthz, checked
against the quality bars: anonymous pages at least 1/2, logged-in pages at least
1/5, p99 under 50 ms. Exits non-zero if a bar is missed.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote, urlencode

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

ANONYMOUS = [
    "/",
    "/?q=湖滨",
    "/v/hubin/",
    "/login",
    "/register",
    "/v/hubin/rules",
    "/v/hubin/rules/1/versions/2",
    "/v/hubin/notices",
    "/v/hubin/search?q=彩礼",
]
LOGGED_IN = ["/v/hubin/", "/account", "/v/hubin/rules/1/versions/2", "/v/hubin/notices"]
COMMITTEE = [
    "/v/hubin/manage/",
    "/v/hubin/manage/households",
    "/v/hubin/manage/residents?q=王",
    "/v/hubin/manage/rules/1/versions/2",
    "/v/hubin/manage/disclosure",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not start")


def log_in(port: int, phone: str, password: str) -> str:
    """Log in through the real form; return the Cookie header value."""
    conn = http.client.HTTPConnection("127.0.0.1", port)
    conn.request("GET", "/login")
    response = conn.getresponse()
    page = response.read().decode()
    cookie = response.getheader("Set-Cookie", "").split(";")[0]
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    body = urlencode({"csrf_token": token, "phone": phone, "password": password})
    conn.request(
        "POST",
        "/login",
        body=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": cookie,
            "Referer": f"http://127.0.0.1:{port}/login",
        },
    )
    response = conn.getresponse()
    response.read()
    if response.status not in (302, 303):
        raise SystemExit(f"login as {phone} failed: {response.status}")
    return response.getheader("Set-Cookie").split(";")[0]


def wrk(url: str, seconds: int, connections: int, cookie: str | None) -> tuple[float, float]:
    command = [
        "wrk",
        "-t2",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        quote(url, safe=":/?=&"),
    ]
    if cookie:
        command[1:1] = ["-H", f"Cookie: {cookie}"]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    value, unit = float(p99.group(1)), p99.group(2)
    p99_ms = value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        raise SystemExit(f"{url}: {non2xx.group(1)} error responses under load")
    return rps, p99_ms


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database-url", help="an existing database (default: a new demo)")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")

    workdir = Path(tempfile.mkdtemp(prefix="shanzhi-bench-"))
    env = {
        **os.environ,
        "SHANZHI_ENV": "development",
        "SECRET_KEY": "bench-secret",
        "DATABASE_URL": args.database_url or f"sqlite:///{workdir / 'bench.db'}",
    }
    flask = [str(BIN / "flask"), "--app", "portal"]
    if not args.database_url:
        subprocess.run([*flask, "db", "upgrade"], env=env, check=True, capture_output=True)
        subprocess.run([*flask, "seed-demo"], env=env, check=True, capture_output=True)
    port = free_port()
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "-w",
            str(args.workers),
            "-b",
            f"127.0.0.1:{port}",
            "wsgi:app",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        wait_for(port)
        base = f"http://127.0.0.1:{port}"
        villager = log_in(port, "13800000010", "demo-password")
        committee = log_in(port, "13800000001", "demo-password")
        rows = []
        floor, floor_p99 = wrk(base + "/healthz", args.seconds, args.connections, None)
        rows.append(("/healthz", "floor", floor, floor_p99, 1.0, None))
        for kind, paths, cookie, bar in (
            ("anonymous", ANONYMOUS, None, 0.5),
            ("villager", LOGGED_IN, villager, 0.2),
            ("committee", COMMITTEE, committee, 0.2),
        ):
            for path in paths:
                rps, p99 = wrk(base + path, args.seconds, args.connections, cookie)
                rows.append((path, kind, rps, p99, rps / floor, bar))
    finally:
        server.terminate()
        server.wait(10)
        shutil.rmtree(workdir, ignore_errors=True)

    failed = False
    print(f"\n{'page':32} {'as':10} {'req/s':>8} {'p99 ms':>7} {'of healthz':>10}  bar")
    for path, kind, rps, p99, share, bar in rows:
        ok = (bar is None or share >= bar) and p99 < 50
        failed |= not ok
        bar_text = "" if bar is None else f">= {bar:.0%}"
        print(
            f"{path:32} {kind:10} {rps:8.0f} {p99:7.1f} {share:10.0%}  {bar_text} "
            f"{'ok' if ok else 'MISSED'}"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
