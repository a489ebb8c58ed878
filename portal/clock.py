"""The one source of the current time, so tests can control it."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

# The portal's time zone: dates are shown, and periods and vote days counted, in it.
LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def now() -> datetime:
    return datetime.now(UTC)


def default_now() -> datetime:
    """`now()` looked up at call time: the column default for timestamps.

    A model's `default=clock.now` would hold this module's first `now` function for
    good, so a test that sets the clock would still get the real time in every row it
    inserts. Looking the name up on each call follows whatever `now` is then.
    """
    return now()


def today_local() -> date:
    """Today's date in the portal's time zone (Asia/Shanghai)."""
    return now().astimezone(LOCAL_TZ).date()


def local_date(moment: datetime) -> date:
    """The date of `moment` in the portal's time zone."""
    return moment.astimezone(LOCAL_TZ).date()
