"""`python -m bench.compare`: the gunicorn settings gunicorn.conf.py chose between.

Serves the demo (SQLite, and PostgreSQL at BENCH_DATABASE_URL when reachable, both
seeded fresh) with each candidate (sync with 2, 3, 4 workers; gthread with 2 workers
of 4 threads) and loads three representative pages: /healthz, a visitor's page with
the page cache off, and a logged-in villager's page. Also compares wrk with one thread
and with two, since wrk and the server share the machine's cores.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

from bench.run import (
    DEFAULT_PG,
    Server,
    base_env,
    fresh_pg,
    measure,
    pg_reachable,
    prepare,
    seed,
)

CANDIDATES = [
    ("sync x2", {"GUNICORN_WORKER_CLASS": "sync", "WEB_CONCURRENCY": "2", "GUNICORN_THREADS": "1"}),
    ("sync x3", {"GUNICORN_WORKER_CLASS": "sync", "WEB_CONCURRENCY": "3", "GUNICORN_THREADS": "1"}),
    ("sync x4", {"GUNICORN_WORKER_CLASS": "sync", "WEB_CONCURRENCY": "4", "GUNICORN_THREADS": "1"}),
    (
        "gthread 2x4",
        {"GUNICORN_WORKER_CLASS": "gthread", "WEB_CONCURRENCY": "2", "GUNICORN_THREADS": "4"},
    ),
]
PAGES = [
    ("/healthz", "/healthz", None),
    ("visitor /v/hubin/notices", "/v/hubin/notices", None),
    ("villager /v/hubin/", "/v/hubin/", "villager"),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=4)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--pg-url", default=DEFAULT_PG)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="shanzhi-compare-"))
    results = []
    try:
        legs = [("sqlite", f"sqlite:///{workdir / 'bench.db'}")]
        if pg_reachable(args.pg_url):
            legs.append(("postgresql", args.pg_url))
        for database, url in legs:
            env = {**base_env(url), "PAGE_CACHE_SECONDS": "0"}
            if url.startswith("postgresql"):
                fresh_pg(url)
            seed(env)
            outdir = workdir / database
            outdir.mkdir()
            prepare(env, outdir)
            roles = json.loads((outdir / "roles.json").read_text())
            runs = [(name, settings, 1) for name, settings in CANDIDATES]
            runs.append(("sync x2", CANDIDATES[0][1], 2))
            # Two rounds, the second in reverse order, so that a neighbour's burst of work
            # on a shared machine does not fall on one candidate only.
            for round_, name, settings, threads in [
                *((1, *run) for run in runs),
                *((2, *run) for run in reversed(runs)),
            ]:
                args.threads = threads
                with Server(env, **settings) as server:
                    for page, path, who in PAGES:
                        headers = {"Cookie": roles[who]["cookie"]} if who else None
                        load = measure(server.port, path, args, headers)
                        results.append(
                            {
                                "database": database,
                                "round": round_,
                                "server": name,
                                "wrk_threads": threads,
                                "page": page,
                                "rps": round(load.rps),
                                "p99_ms": round(load.p99_ms, 1),
                                "errors": load.errors,
                            }
                        )
                        print(
                            f"{database:10} r{round_} {name:12} wrk -t{threads}  {page:26} "
                            f"{load.rps:7.0f}/s  p99 {load.p99_ms:6.1f} ms",
                            flush=True,
                        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    (Path(__file__).parent / "compare.json").write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
