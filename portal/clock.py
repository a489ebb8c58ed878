"""The one source of the current time, so tests can control it."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

# The portal's time zone: dates are shown, and periods and vote days counted, in it.
LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def now() -> datetime:
    return datetime.now(UTC)


def today_local() -> date:
    """Today's date in the portal's time zone (Asia/Shanghai)."""
    return now().astimezone(LOCAL_TZ).date()
