"""Production server settings: `gunicorn -c gunicorn.conf.py wsgi:app`.

Read from the environment where a deployment differs: `PORT` (default 8000) and `HOST`
(default 0.0.0.0) make the bind address; `WEB_CONCURRENCY` the number of worker
processes, `GUNICORN_WORKER_CLASS` (sync or gthread) and `GUNICORN_THREADS` the kind and
number of threads per worker. `make bench` starts the portal with this same file.

Why gthread, 2 workers of 4 threads. Measured with `python -m bench.compare` on this
2-core machine, the database on the same host, wrk -c16 for 4 s after 1 s of warm-up,
each candidate twice (round 1, then round 2 in the reverse order), requests/s as
"round 1 / round 2". The page cache was off (PAGE_CACHE_SECONDS=0) so that the visitor's
page (/v/hubin/notices) was rendered every time; the logged-in page is /v/hubin/ as a
villager. The machine was shared with other engineers' test suites throughout (load
average 16-21 on 2 cores), so single figures swing by 2x or more between rounds:

    SQLite          /healthz     visitor page   logged-in page
    sync x2         755 / 426      27 / 12         7 / 0
    sync x3         263 / 570       9 / 25         2 / 4
    sync x4         345 / 779      13 / 23         0 / 11
    gthread 2x4    1296 / 793      35 / 76         3 / 17
    sync x2, -t2    542 / 620      35 / 33        11 / 14

    PostgreSQL      /healthz     visitor page   logged-in page
    sync x2         819 / 912      16 / 52         8 / 20
    sync x3        1646 / 608      57 / 24        17 / 10
    sync x4        1651 / 984      73 / 12        27 / 7
    gthread 2x4    1767 / 1264    144 / 51        25 / 16
    sync x2, -t2   1106 / 892      23 / 27         9 / 5

gthread 2x4 was first or level with the best in both rounds for /healthz and the
visitor's page, on both databases, and within the noise of the best for the logged-in
page. More sync processes than cores bought nothing steady (sync x3 and x4 won one
round and lost the other), and cost a process's memory each. Two processes keep both
cores busy with Python; each one's threads cover the waits, on the database and on
slow clients, that would idle a sync worker, and gthread keeps connections alive for a
proxy (sync workers close every connection). Repeat the comparison on a quiet machine
before tuning further: `python -m bench.compare`.

wrk: `-t1`. One wrk thread can take at most one core away from the server, two can take
both; the rows with -t2 were not steadily higher (they won some, lost some, within the
noise), so the bench uses -t1 and leaves the server the larger share.
"""

import os

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# Behind a reverse proxy that keeps its connections to the app open (gthread only:
# sync workers close each connection after its response).
keepalive = 5
# The app is built once in the master and the workers fork from it: they start at once
# and share the memory of the code and templates.
preload_app = True
timeout = 30
accesslog = None


def post_fork(server, worker):
    """Give each worker its own database connections: none made by the master before
    the fork may be shared between processes."""
    from portal.extensions import db
    from wsgi import app

    with app.app_context():
        for engine in db.engines.values():
            engine.dispose(close=False)
