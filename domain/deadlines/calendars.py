"""Date and time arithmetic for the counting conventions of REGULATIONS.md §0.

Everything is pure. Time zones and holiday sets are built once per key (per year for holidays)
and cached, so the hot path only does date arithmetic and set lookups.

Holiday calendars (ambiguities A7 and A9):

* ``FEDERAL``: the legal dates of 5 U.S.C. 6103(a) (e.g. July 4 even on a Saturday), from
  ``holidays.US(observed=False)``. Observed days under 6103(b) apply "for purposes of statutes
  and Executive orders relating to pay and leave", so by default they are *not* holidays here.
  Inauguration Day (6103(c), Washington D.C. area only) is not included.
* ``FEDERAL_OBSERVED``: the legal dates plus the 6103(b) observed Friday/Monday, used when a
  query sets ``count_observed_holidays``.
* ``TEXAS``: the national and state holidays of Tex. Gov't Code 662.003(a)-(b) as the
  ``holidays`` package gives them for ``subdiv="TX"``; the optional holidays of 662.003(c)
  (Cesar Chavez Day, Good Friday) are not days off for everyone and are left out.
"""

from __future__ import annotations

from calendar import monthrange
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

import holidays

# Import the package's US module and load its translation catalogue now, at import time: both
# read files, which a Temporal workflow sandbox forbids at run time. The year sets themselves are
# still built lazily (well under a millisecond each) and cached.
holidays.country_holidays("US", years=())

END_OF_DAY = time(23, 59, 59)
ONE_DAY = timedelta(days=1)
_TEXAS_OPTIONAL = frozenset({"Cesar Chavez Day", "Good Friday"})


class HolidayCalendar(StrEnum):
    FEDERAL = "federal"
    FEDERAL_OBSERVED = "federal_observed"
    TEXAS = "texas"


@cache
def zone(key: str) -> ZoneInfo:
    return ZoneInfo(key)


@lru_cache(maxsize=512)
def holiday_dates(calendar: HolidayCalendar, year: int) -> frozenset[date]:
    """The holidays of one calendar year (neighbouring years are built too, for observed days
    that cross New Year, then filtered)."""
    years = [year - 1, year, year + 1]
    if calendar is HolidayCalendar.TEXAS:
        texas = holidays.country_holidays("US", subdiv="TX", years=years, observed=False)
        found = {
            day for day, names in texas.items() if not set(names.split("; ")) <= _TEXAS_OPTIONAL
        }
    else:
        observed = calendar is HolidayCalendar.FEDERAL_OBSERVED
        found = set(holidays.country_holidays("US", years=years, observed=observed).keys())
    return frozenset(day for day in found if day.year == year)


def is_business_day(day: date, calendar: HolidayCalendar) -> bool:
    return day.weekday() < 5 and day not in holiday_dates(calendar, day.year)


def add_business_days(start: date, count: int, calendar: HolidayCalendar) -> date:
    """The `count`-th business day after `start` (`start` itself is day 0 and never counts)."""
    day = start
    left = count
    while left > 0:
        day += ONE_DAY
        if day.weekday() < 5 and day not in holiday_dates(calendar, day.year):
            left -= 1
    return day


def add_months_rolled(start: date, months: int, calendar: HolidayCalendar) -> date:
    """Same day-of-month `months` later; a date that does not exist becomes the first day of the
    following month; then past Saturdays, Sundays and holidays (45 CFR 147.136(d)(2)(i))."""
    day = months_later(start, months)
    while not is_business_day(day, calendar):
        day += ONE_DAY
    return day


def months_later(start: date, months: int) -> date:
    """Same day-of-month `months` later, or the first day of the next month if it does not exist
    (Oct 30 + 4 months -> Mar 1)."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    last = monthrange(year, month)[1]
    return date(year, month, start.day) if start.day <= last else date(year, month, last) + ONE_DAY


def end_of_day(day: date, tz: ZoneInfo) -> datetime:
    """23:59:59 local on `day` (the legal end of a day-counted deadline, ambiguity A4)."""
    return datetime.combine(day, END_OF_DAY, tzinfo=tz)


def local_date(instant: datetime, tz: ZoneInfo) -> date:
    return instant.astimezone(tz).date()


def add_elapsed_hours(instant: datetime, hours: int, tz: ZoneInfo) -> datetime:
    """Elapsed time: UTC arithmetic, so a DST change inside the period is counted correctly."""
    return (instant.astimezone(UTC) + timedelta(hours=hours)).astimezone(tz)


def add_days_same_wall_time(instant: datetime, days: int, tz: ZoneInfo) -> datetime:
    """Calendar days at the same local wall time. Aware + timedelta is wall-clock arithmetic in
    Python; the UTC round trip resolves a wall time that falls in a spring-forward gap (it moves
    forward by the gap, PEP 495 fold=0)."""
    wall = instant.astimezone(tz) + timedelta(days=days)
    return wall.astimezone(UTC).astimezone(tz)
