"""The processes of the race tests: started from one forkserver per test process.

A race test runs eight processes, each with its own app on the same database. Spawned
processes each import the whole portal again (about a second each on two cores); a
forkserver imports it once, with the modules below preloaded, and forks every racer from
that clean process (no threads, no open connections of the test's own), so a race starts
in a fraction of a second and the suite stays short.
"""

from __future__ import annotations

import multiprocessing
from multiprocessing.context import BaseContext

PRELOAD = ["portal", "portal.models", "tests.factories"]


def context() -> BaseContext:
    """The start method for a race's processes (the forkserver, started on first use)."""
    found = multiprocessing.get_context("forkserver")
    found.set_forkserver_preload(PRELOAD)
    return found
