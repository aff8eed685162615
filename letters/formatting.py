"""How dates, moments and ranges are written in a US business letter."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo


def long_date(value: date) -> str:
    """November 23, 2026"""
    return f"{value:%B} {value.day}, {value.year}"


def short_date(value: date) -> str:
    """11/23/2026"""
    return f"{value.month:02d}/{value.day:02d}/{value.year}"


def moment(value: datetime, timezone: str | None = None) -> str:
    """December 20, 2026 at 11:59 PM EST (in `timezone`, else the value's own offset)."""
    if value.tzinfo is None:
        raise ValueError("naive datetime: every instant must carry its time zone")
    local = value.astimezone(ZoneInfo(timezone)) if timezone else value
    hour = local.hour % 12 or 12
    half = "AM" if local.hour < 12 else "PM"
    return f"{long_date(local.date())} at {hour}:{local.minute:02d} {half} {local.tzname()}"


def date_range(start: date, end: date | None) -> str:
    """One date, or 'start – end' in short form."""
    if end is None or end == start:
        return short_date(start)
    return f"{short_date(start)} – {short_date(end)}"
