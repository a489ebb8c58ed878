"""`flask tick`: freeze what time has made due, for every lifecycle that freezes.

Phases are read from the clock on every page (`vote_phase` and its kind); nothing has
to run for a vote to open or a 公示 period to end. What must be frozen (a vote's
roll) is frozen by the first write that needs it, or by this command, which an
operator runs from cron or a systemd timer so the figures are frozen close to their
time even when nobody writes. Each lifecycle registers one idempotent function
`(now) -> int` (how many things it froze); running two ticks at once, or a tick
beside a ballot, freezes each thing once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from portal import clock

Freezer = Callable[[datetime], int]
_freezers: dict[str, Freezer] = {}


def register(name: str, freezer: Freezer) -> None:
    _freezers[name] = freezer


def run(now: datetime | None = None) -> dict[str, int]:
    """Run every registered freezer at `now`; {name: how many it froze}."""
    _register_builtin()
    now = now if now is not None else clock.now()
    return {name: freezer(now) for name, freezer in sorted(_freezers.items())}


def _register_builtin() -> None:
    from portal.boards.services import expire_due
    from portal.points.services import post_all_due
    from portal.rules.services import freeze_due_rolls

    register("boards.expiry", expire_due)
    register("points.final", post_all_due)
    register("rules.rolls", freeze_due_rolls)
