"""`make bench`: throughput and latency of every kind of page, for every role, against
/healthz measured by the same server in the same run; and the writes, on PostgreSQL.

Each leg seeds the demo (SQLite in a temporary directory; PostgreSQL at
BENCH_DATABASE_URL, created fresh, when it is reachable), serves it with gunicorn under
`gunicorn.conf.py` (the production settings) and loads each row with wrk at 16
connections after a short warm-up. Visitors' pages are measured twice: with the page
cache as deployed (PAGE_CACHE_SECONDS=5) and without it (a second server with 0).
Logged-in pages and htmx partials use session cookies made in-process by
`bench/prepare.py` (the login form allows five logins a minute). The writes (a ballot,
an endorsement, a points approval, a redemption) are driven by `bench/writes.lua`, one
distinct actor's request a line, and checked afterwards against the database.

Bars: visitors >= 0.5 of /healthz with the page cache, >= 0.25 without; logged-in
>= 0.2; p99 < 50 ms; a ballot >= 500/s with p99 < 100 ms on PostgreSQL. Prints one
table, writes it as JSON (`--json`, default bench/results.json) and exits non-zero if a
bar is missed.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SECRET_KEY = "bench-secret-not-for-people"
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/bench_pg"
ENCODING = "br, gzip"
VILLAGE = "hubin"
TOWN = "yintu"

BARS = {"visitor": 0.5, "visitor-nocache": 0.25, "logged-in": 0.2}
P99_MS = 50.0
BALLOT_RPS, BALLOT_P99_MS = 500.0, 100.0


@dataclass
class Row:
    database: str
    page: str
    who: str
    kind: str  # floor, visitor, visitor-nocache, logged-in, partial, write
    rps: float = 0.0
    ratio: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    bytes: int = 0
    status: int = 0
    errors: int = 0
    requests: int = 0
    bar: str = ""
    ok: bool = True
    note: str = ""
    extra: dict = field(default_factory=dict)


# --- the server -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(port: int, path: str, headers: dict | None = None) -> tuple[int, bytes, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", quote(path, safe="/?=&%:;,"), headers=headers or {})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, body, {k.lower(): v for k, v in response.getheaders()}


class Server:
    """gunicorn with gunicorn.conf.py, on a free port, for one database and settings."""

    def __init__(self, env: dict, **settings: str):
        self.port = free_port()
        self.env = {**env, "PORT": str(self.port), "HOST": "127.0.0.1", **settings}
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "--log-level", "warning", "wsgi:app"],
            cwd=ROOT,
            env=self.env,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if get(self.port, "/healthz")[0] == 200:
                    return self
            except OSError:
                time.sleep(0.2)
        raise SystemExit("the server did not start")

    def __exit__(self, *exc) -> None:
        # A graceful stop lets the workers finish what wrk left in flight; on a machine
        # this loaded that can outlast gunicorn's own grace, so it is cut short then.
        self.process.terminate()
        try:
            self.process.wait(40)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


# --- wrk ---------------------------------------------------------------------------------


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


@dataclass
class Load:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int
    out: str


def wrk(
    port: int,
    path: str,
    args: argparse.Namespace,
    headers: dict | None = None,
    script: list[str] | None = None,
    seconds: float | None = None,
) -> Load:
    # A response slower than wrk's default 2 s would be dropped from the latencies and
    # counted as a timeout; on a loaded machine that hides the slow pages.
    command = ["wrk", f"-t{args.threads}", f"-c{args.connections}", "--latency", "--timeout", "10s"]
    command.append(f"-d{int(seconds or args.seconds)}s")
    for name, value in {"Accept-Encoding": ENCODING, **(headers or {})}.items():
        command += ["-H", f"{name}: {value}"]
    url = f"http://127.0.0.1:{port}" + quote(path, safe="/?=&%:;,")
    if script:
        command += ["-s", script[0], url, "--", *script[1:]]
    else:
        command.append(url)
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s|m)\b", out)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s|m)\b", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    count = int(re.search(r"(\d+) requests in", out).group(1))
    failed = int(errors.group(1)) if errors else 0
    if socket_errors:
        failed += int(socket_errors.group(1)) + int(socket_errors.group(4))
    return Load(rps, _ms(*p50.groups()), _ms(*p99.groups()), failed, count, out)


def measure(port: int, path: str, args, headers: dict | None = None) -> Load:
    if args.warmup:
        wrk(port, path, args, headers, seconds=args.warmup)
    return wrk(port, path, args, headers)


# --- what to load -----------------------------------------------------------------------

PUBLIC_KINDS = [
    # (row name, a page to look on, the link pattern it should hold)
    ("rule document", "/v/{v}/rules", r"/v/{v}/rules/\d+"),
    ("rule version", "/v/{v}/rules/1", r"/v/{v}/rules/\d+/versions/\d+"),
    ("vote result", "/v/{v}/rules", r"/v/{v}/rules/\d+/versions/\d+/result"),
    ("rules diff", "/v/{v}/rules", r"/v/{v}/rules/\d+/diff\?from=\d+&amp;to=\d+"),
    ("notice", "/v/{v}/notices", r"/v/{v}/notices/\d+"),
    ("notice poster", "/v/{v}/notices", r"/v/{v}/notices/\d+"),
    ("board entry", "/v/{v}/boards", r"/v/{v}/boards/\d+"),
    ("nomination", "/v/{v}/nominations", r"/v/{v}/nominations/\d+"),
    ("household statement", "/v/{v}/points", r"/v/{v}/points/households/\d+"),
    ("points entry", "/v/{v}/points", r"/v/{v}/points/entries/\d+"),
    ("publicity", "/v/{v}/points", r"/v/{v}/publicity/\d+"),
]


def discover(port: int) -> dict[str, str]:
    """The demo's ids, as a visitor finds them: the first link of each kind."""
    found = {}
    pages: dict[str, str] = {}
    for name, page, pattern in PUBLIC_KINDS:
        page = page.format(v=VILLAGE)
        if page not in pages:
            pages[page] = get(port, page)[1].decode()
        match = re.search(r'href="(' + pattern.format(v=VILLAGE) + r')"', pages[page])
        if match:
            path = match.group(1).replace("&amp;", "&")
            found[name] = path + "/poster" if name == "notice poster" else path
    return found


def public_rows(found: dict[str, str], ids: dict) -> list[tuple[str, str]]:
    v = VILLAGE
    rows = [
        ("home", "/"),
        ("village finder search", "/?q=湖滨"),
        ("village home", f"/v/{v}/"),
        ("rules list", f"/v/{v}/rules"),
        ("notices list", f"/v/{v}/notices"),
        ("notices by category", f"/v/{v}/notices?category=finance"),
        ("boards", f"/v/{v}/boards"),
        ("nominations list", f"/v/{v}/nominations"),
        ("points", f"/v/{v}/points"),
        ("shop", f"/v/{v}/shop"),
        ("search", f"/v/{v}/search?q=彩礼"),
        ("notices feed (Atom)", f"/v/{v}/notices.atom"),
        ("login", "/login"),
        ("register", "/register"),
    ]
    rows[4:4] = [(name, path) for name, path in found.items()]
    if ids.get("vote"):
        rows.append(("rule version in vote", ids["vote"]))
    return rows


def logged_in_rows(found: dict[str, str], ids: dict) -> list[tuple[str, str, str]]:
    v = VILLAGE
    version = ids.get("vote") or found.get("rule version", f"/v/{v}/rules/1/versions/2")
    manage_version = version.replace(f"/v/{v}/", f"/v/{v}/manage/")
    own = ids.get("villager household", f"/v/{v}/points")
    return [
        ("villager", "village home", f"/v/{v}/"),
        ("villager", "account", "/account"),
        ("villager", "rule version (vote)", version),
        ("villager", "notices list", f"/v/{v}/notices"),
        ("villager", "notice", found.get("notice", f"/v/{v}/notices")),
        ("villager", "nomination", found.get("nomination", f"/v/{v}/nominations")),
        ("villager", "own household statement", own),
        ("villager", "shop", f"/v/{v}/shop"),
        ("committee", "console", f"/v/{v}/manage/"),
        ("committee", "households", f"/v/{v}/manage/households"),
        ("committee", "residents search", f"/v/{v}/manage/residents?q=王"),
        ("committee", "rule version (manage)", manage_version),
        ("committee", "paper ballots", manage_version + "/paper"),
        ("committee", "disclosure schedule", f"/v/{v}/manage/disclosure"),
        ("committee", "notices (manage)", f"/v/{v}/manage/notices"),
        ("committee", "points queue", f"/v/{v}/manage/points"),
        ("committee", "nominations (manage)", f"/v/{v}/manage/nominations"),
        ("committee", "boards (manage)", f"/v/{v}/manage/boards"),
        ("committee", "verification queue", f"/v/{v}/manage/verifications"),
        ("grid", "record points", f"/v/{v}/points/record"),
        ("grid", "village home", f"/v/{v}/"),
        ("supervisor", "console", f"/v/{v}/manage/"),
        ("supervisor", "action log", f"/v/{v}/manage/log"),
        ("town", "town office", f"/town/{TOWN}/"),
        ("town", "filings", f"/town/{TOWN}/filings"),
        ("shopkeeper", "shop counter", f"/v/{v}/shop/counter"),
        ("shopkeeper", "rewards (manage)", f"/v/{v}/shop/manage"),
        ("admin", "site admin", "/admin/"),
    ]


def partial_rows(found: dict[str, str], ids: dict) -> list[tuple[str, str, str, str]]:
    v = VILLAGE
    version = ids.get("vote") or found.get("rule version", f"/v/{v}/rules/1/versions/2")
    manage_version = version.replace(f"/v/{v}/", f"/v/{v}/manage/")
    nomination = ids.get("open nomination") or found.get("nomination", f"/v/{v}/nominations/1")
    nomination_id = nomination.rsplit("/", 1)[-1]
    return [
        ("villager", "ballot panel", version, "vote"),
        ("villager", "endorsement panel", nomination, f"endorse-{nomination_id}"),
        ("committee", "paper-ballot search", manage_version + "/paper?q=王", "paper-results"),
        ("committee", "points queue count", f"/v/{v}/manage/points", "points-waiting"),
        ("shopkeeper", "counter search", f"/v/{v}/shop/counter?q=1", "counter-results"),
    ]


# --- one database -----------------------------------------------------------------------


def prepare(env: dict, outdir: Path, writes: int = 0) -> dict:
    command = [str(BIN / "python"), "-m", "bench.prepare", str(outdir)]
    if writes:
        command += ["--writes", str(writes)]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"bench.prepare failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def count_writes(env: dict, outdir: Path) -> dict:
    command = [str(BIN / "python"), "-m", "bench.prepare", str(outdir), "--count"]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def row_for(
    port: int, args, database: str, page: str, who: str, kind: str, path: str, headers=None
) -> Row:
    status, body, _ = get(port, path, {"Accept-Encoding": ENCODING, **(headers or {})})
    row = Row(database, page, who, kind, bytes=len(body), status=status, extra={"path": path})
    load = measure(port, path, args, headers)
    row.rps, row.p50_ms, row.p99_ms = load.rps, load.p50_ms, load.p99_ms
    row.errors, row.requests = load.errors, load.requests
    return row


def wanted(args, page: str, who: str) -> bool:
    return not args.only or bool(re.search(args.only, f"{who} {page}"))


def floor_row(port: int, args, database: str, note: str) -> Row:
    row = row_for(port, args, database, "/healthz", "anyone", "floor", "/healthz")
    row.ratio, row.note = 1.0, note
    return row


def page_leg(env: dict, args, database: str, workdir: Path) -> list[Row]:
    outdir = workdir / f"{database}-cookies"
    outdir.mkdir(exist_ok=True)
    prepare(env, outdir)
    roles = json.loads((outdir / "roles.json").read_text())
    ids = json.loads((outdir / "ids.json").read_text())
    rows: list[Row] = []
    with Server(env) as server:
        port = server.port
        found = discover(port)
        floor = floor_row(port, args, database, "page cache on")
        rows.append(floor)
        for page, path in public_rows(found, ids):
            if wanted(args, page, "visitor"):
                rows.append(row_for(port, args, database, page, "visitor", "visitor", path))
                rows[-1].ratio = rows[-1].rps / floor.rps
                print_progress(rows[-1])
        for who, page, path in logged_in_rows(found, ids):
            if wanted(args, page, who) and who in roles:
                headers = {"Cookie": roles[who]["cookie"]}
                rows.append(row_for(port, args, database, page, who, "logged-in", path, headers))
                rows[-1].ratio = rows[-1].rps / floor.rps
                print_progress(rows[-1])
        for who, page, path, target in partial_rows(found, ids):
            if wanted(args, page, who) and who in roles:
                headers = {
                    "Cookie": roles[who]["cookie"],
                    "HX-Request": "true",
                    "HX-Target": target,
                }
                rows.append(row_for(port, args, database, page, who, "partial", path, headers))
                rows[-1].ratio = rows[-1].rps / floor.rps
                print_progress(rows[-1])
    with Server(env, PAGE_CACHE_SECONDS="0") as server:
        port = server.port
        floor = floor_row(port, args, database, "page cache off")
        rows.append(floor)
        for page, path in public_rows(found, ids):
            if wanted(args, page, "visitor"):
                row = row_for(port, args, database, page, "visitor", "visitor-nocache", path)
                row.ratio = row.rps / floor.rps
                rows.append(row)
                print_progress(row)
    return rows


WRITES = [
    # (row, file, mode, what bench.prepare --count reports for it)
    ("cast a ballot", "ballot.txt", "cycle", "ballots"),
    ("endorse a nomination", "endorse.txt", "once", "endorsements"),
    ("approve points (row partial)", "approve.txt", "once", "approvals"),
    ("redeem at the counter", "redeem.txt", "cycle", "redemptions"),
]


def write_leg(env: dict, args, database: str, workdir: Path) -> list[Row]:
    outdir = workdir / f"{database}-writes"
    outdir.mkdir(exist_ok=True)
    summary = prepare(env, outdir, writes=args.voters)
    print(f"  prepared: {json.dumps(summary, ensure_ascii=False)}", flush=True)
    before = summary["counts_before"]
    rows = []
    with Server(env) as server:
        floor = floor_row(server.port, args, database, "before the writes")
        rows.append(floor)
        for page, name, mode, counted in WRITES:
            if not wanted(args, page, "write"):
                continue
            script = [
                str(ROOT / "bench" / "writes.lua"),
                str(outdir / name),
                str(args.threads),
                mode,
            ]
            load = wrk(server.port, "/", args, script=script)
            match = re.search(r"WRITES ok=(\d+) bad=(\d+) statuses=(\S*)", load.out)
            ok_count, bad = int(match.group(1)), int(match.group(2))
            after = count_writes(env, outdir)
            wrote = after[counted] - before[counted]
            row = Row(database, page, "write", "write", rps=load.rps, p50_ms=load.p50_ms)
            row.p99_ms, row.requests, row.errors = load.p99_ms, ok_count + bad, bad
            row.ratio = load.rps / floor.rps
            row.extra = {"ok": ok_count, "written": wrote, "statuses": match.group(3)}
            # wrk counts the answers it read before its time was up; the requests still
            # in flight then (one a connection at most) were written all the same.
            sent = (ok_count, ok_count + args.connections)
            if counted == "ballots":
                voters = summary["voters"]
                row.note = f"{wrote} ballots = distinct voters ({min(sent[0], voters)} at least)"
                row.ok = min(sent[0], voters) <= wrote <= min(sent[1], voters)
                row.extra["changed"] = after["ballots_changed"]
            else:
                row.note = f"{wrote} written for {ok_count} answered 2xx"
                row.ok = sent[0] <= wrote <= sent[1]
            row.status = 200 if bad == 0 else 0
            before = after
            rows.append(row)
            print_progress(row)
    return rows


# --- the verdict ------------------------------------------------------------------------


def judge(row: Row) -> None:
    if row.kind == "floor":
        row.ok = row.errors == 0
        return
    reasons = []
    if row.errors or (row.kind != "write" and row.status != 200):
        reasons.append(f"{row.errors} errors, status {row.status}")
    if row.kind == "write":
        if not row.ok:
            reasons.append("writes missing")
        if row.page == "cast a ballot" and row.database == "postgresql":
            row.bar = f">= {BALLOT_RPS:.0f}/s, p99 < {BALLOT_P99_MS:.0f}"
            if row.rps < BALLOT_RPS or row.p99_ms >= BALLOT_P99_MS:
                reasons.append("ballot bar")
    else:
        bar = BARS.get(row.kind, BARS["logged-in"])
        row.bar = f">= {bar:.2f}, p99 < {P99_MS:.0f}"
        if row.ratio < bar:
            reasons.append("ratio")
        if row.p99_ms >= P99_MS:
            reasons.append("p99")
    row.ok = not reasons
    if reasons:
        row.note = "; ".join(filter(None, [row.note, *reasons]))


def print_progress(row: Row) -> None:
    print(
        f"  {row.database[:6]:6} {row.kind:15} {row.who:10} {row.page:30} "
        f"{row.rps:8.0f}/s p99 {row.p99_ms:6.1f} ms",
        flush=True,
    )


def print_table(rows: list[Row]) -> None:
    head = (
        f"{'db':6} {'page':30} {'as whom':10} {'kind':15} {'req/s':>7} {'ratio':>6} "
        f"{'p50 ms':>7} {'p99 ms':>7} {'bytes':>7}  status"
    )
    print("\n" + head + "\n" + "-" * len(head))
    for row in rows:
        verdict = "ok" if row.ok else "MISSED"
        print(
            f"{row.database[:6]:6} {row.page[:30]:30} {row.who:10} {row.kind:15} "
            f"{row.rps:7.0f} {row.ratio:6.2f} {row.p50_ms:7.1f} {row.p99_ms:7.1f} "
            f"{row.bytes:7d}  {verdict}{'  ' + row.note if row.note else ''}"
        )


# --- the databases ----------------------------------------------------------------------


def pg_reachable(url: str) -> bool:
    try:
        import psycopg

        admin = url.rsplit("/", 1)[0] + "/postgres"
        psycopg.connect(admin, connect_timeout=3).close()
        return True
    except Exception:  # noqa: BLE001 - any failure means "not here"
        return False


def fresh_pg(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def seed(env: dict) -> None:
    flask = [str(BIN / "flask"), "--app", "portal"]
    for command in (["db", "upgrade"], ["seed-demo"]):
        done = subprocess.run([*flask, *command], cwd=ROOT, env=env, capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(f"flask {' '.join(command)} failed:\n{done.stderr[-3000:]}")


def base_env(url: str) -> dict:
    return {
        **os.environ,
        "SHANZHI_ENV": "development",
        "SECRET_KEY": SECRET_KEY,
        "DATABASE_URL": url,
        "PYTHONPATH": str(ROOT),
    }


def main() -> int:
    global VILLAGE, TOWN  # noqa: PLW0603 - the rows are built from these everywhere
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=3, help="of load per row")
    parser.add_argument("--warmup", type=int, default=1, help="seconds before each row")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--only", help="a regex on 'who page': the rows to run")
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "results.json")
    parser.add_argument("--database-url", help="bench an existing data set instead of the demo")
    parser.add_argument("--no-writes", action="store_true", help="pages only")
    parser.add_argument("--no-sqlite", action="store_true", help="skip the SQLite demo")
    parser.add_argument("--no-postgres", action="store_true", help="skip the PostgreSQL demo")
    parser.add_argument("--voters", type=int, default=500, help="distinct voters for writes")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_PG),
        help="the PostgreSQL database the bench recreates (BENCH_DATABASE_URL)",
    )
    parser.add_argument("--village", default=VILLAGE, help="the village whose pages to load")
    parser.add_argument("--town", default=TOWN, help="the town whose pages to load")
    args = parser.parse_args()
    VILLAGE, TOWN = args.village, args.town
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")

    workdir = Path(tempfile.mkdtemp(prefix="shanzhi-bench-"))
    started = time.monotonic()
    rows: list[Row] = []
    try:
        legs = []
        if args.database_url:
            legs.append(("given", args.database_url, False))
        else:
            if not args.no_sqlite:
                legs.append(("sqlite", f"sqlite:///{workdir / 'bench.db'}", True))
            if args.no_postgres:
                pass
            elif pg_reachable(args.pg_url):
                legs.append(("postgresql", args.pg_url, True))
            else:
                print(f"PostgreSQL unreachable at {args.pg_url}: its leg is skipped.")
        for name, url, fresh in legs:
            env = base_env(url)
            if fresh:
                print(f"== {name}: seeding the demo", flush=True)
                if url.startswith("postgresql"):
                    fresh_pg(url)
                seed(env)
            print(f"== {name}: pages", flush=True)
            rows += page_leg(env, args, name, workdir)
            # Writes on PostgreSQL (or the data set given), where their bar is set.
            if not args.no_writes and name in ("postgresql", "given"):
                print(f"== {name}: writes", flush=True)
                rows += write_leg(env, args, name, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    for row in rows:
        judge(row)
    print_table(rows)
    missed = sum(not row.ok for row in rows)
    elapsed = time.monotonic() - started
    print(
        f"\n{len(rows)} rows, {missed} missed, {elapsed:.0f} s (wrk -t{args.threads} "
        f"-c{args.connections}, {args.seconds:g} s a row after {args.warmup:g} s warm-up)"
    )
    args.json.write_text(
        json.dumps(
            {
                "settings": {
                    "seconds": args.seconds,
                    "warmup": args.warmup,
                    "connections": args.connections,
                    "wrk_threads": args.threads,
                    "elapsed_s": round(elapsed),
                },
                "rows": [asdict(row) for row in rows],
            },
            ensure_ascii=False,
            indent=1,
        )
    )
    print(f"written to {args.json}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
