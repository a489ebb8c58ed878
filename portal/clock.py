"""The one source of the current time, so tests can control it."""

from datetime import UTC, date, datetime


def now() -> datetime:
    return datetime.now(UTC)


def today_local() -> date:
    """Today's date in the portal's time zone (Asia/Shanghai)."""
    from zoneinfo import ZoneInfo

    return now().astimezone(ZoneInfo("Asia/Shanghai")).date()
