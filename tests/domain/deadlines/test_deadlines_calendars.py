"""Counting primitives: holiday calendars, business days, months, DST arithmetic."""

import builtins
from datetime import date, datetime

import pytest

from domain.deadlines.calendars import (
    HolidayCalendar,
    add_business_days,
    add_days_same_wall_time,
    add_elapsed_hours,
    add_months_rolled,
    holiday_dates,
    months_later,
    zone,
)

NEW_YORK = zone("America/New_York")


def test_federal_calendar_has_the_legal_dates_of_5_usc_6103a() -> None:
    dates = holiday_dates(HolidayCalendar.FEDERAL, 2026)
    assert date(2026, 7, 4) in dates  # a Saturday, kept on its legal date
    assert date(2026, 7, 3) not in dates  # the observed Friday is not a legal date
    assert date(2026, 6, 19) in dates
    assert date(2026, 11, 26) in dates
    assert len(dates) == 11


def test_observed_calendar_adds_6103b_days_including_across_new_year() -> None:
    assert date(2026, 7, 3) in holiday_dates(HolidayCalendar.FEDERAL_OBSERVED, 2026)
    # 1 Jan 2022 was a Saturday: observed Friday 31 Dec 2021.
    assert date(2021, 12, 31) in holiday_dates(HolidayCalendar.FEDERAL_OBSERVED, 2021)
    assert date(2021, 12, 31) not in holiday_dates(HolidayCalendar.FEDERAL, 2021)


def test_texas_calendar_has_state_holidays_but_not_optional_ones() -> None:
    texas = holiday_dates(HolidayCalendar.TEXAS, 2026)
    assert {date(2026, 11, 27), date(2026, 12, 24), date(2026, 12, 26)} <= texas
    assert date(2026, 3, 2) in texas  # Texas Independence Day
    assert date(2026, 4, 3) not in texas  # Good Friday: optional (662.003(c))
    assert date(2026, 3, 31) not in texas  # Cesar Chavez Day: optional


def test_calendars_and_zones_are_cached() -> None:
    assert holiday_dates(HolidayCalendar.FEDERAL, 2027) is holiday_dates(
        HolidayCalendar.FEDERAL, 2027
    )
    assert zone("America/Chicago") is zone("America/Chicago")


@pytest.mark.parametrize(
    ("start", "count", "expected"),
    [
        (date(2026, 3, 6), 1, date(2026, 3, 9)),  # Fri -> Mon
        (date(2026, 3, 7), 1, date(2026, 3, 9)),  # Sat -> Mon
        (date(2026, 1, 16), 1, date(2026, 1, 20)),  # over MLK Day
        (date(2026, 12, 31), 1, date(2027, 1, 4)),  # over New Year's Day and a weekend
    ],
)
def test_add_business_days(start: date, count: int, expected: date) -> None:
    assert add_business_days(start, count, HolidayCalendar.FEDERAL) == expected


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 10, 30), 4, date(2027, 3, 1)),
        (date(2028, 1, 29), 1, date(2028, 2, 29)),
        (date(2027, 1, 29), 1, date(2027, 3, 1)),
        (date(2026, 8, 31), 4, date(2026, 12, 31)),
        (date(2026, 8, 31), 1, date(2026, 10, 1)),
        (date(2026, 11, 15), 4, date(2027, 3, 15)),
    ],
)
def test_months_later(start: date, months: int, expected: date) -> None:
    assert months_later(start, months) == expected


def test_months_rolled_past_weekend() -> None:
    # 2025-10-30 + 4 months -> Sun 2026-03-01 -> Mon 2026-03-02.
    assert add_months_rolled(date(2025, 10, 30), 4, HolidayCalendar.FEDERAL) == date(2026, 3, 2)


def test_elapsed_hours_are_utc_arithmetic() -> None:
    start = datetime.fromisoformat("2026-03-07T12:00:00-05:00")
    assert add_elapsed_hours(start, 24, NEW_YORK).isoformat() == "2026-03-08T13:00:00-04:00"


def test_same_wall_time_days_keep_the_local_time_across_dst() -> None:
    start = datetime.fromisoformat("2026-10-25T10:00:00-04:00")
    assert add_days_same_wall_time(start, 14, NEW_YORK).isoformat() == "2026-11-08T10:00:00-05:00"


def test_same_wall_time_in_the_spring_gap_moves_forward() -> None:
    start = datetime.fromisoformat("2026-02-22T02:30:00-05:00")
    assert add_days_same_wall_time(start, 14, NEW_YORK).isoformat() == "2026-03-08T03:30:00-04:00"


def test_same_wall_time_in_the_fall_overlap_takes_the_first_occurrence() -> None:
    start = datetime.fromisoformat("2026-10-18T01:30:00-04:00")
    assert add_days_same_wall_time(start, 14, NEW_YORK).isoformat() == "2026-11-01T01:30:00-04:00"


def test_building_a_new_year_reads_no_file(monkeypatch: pytest.MonkeyPatch) -> None:
    """A Temporal workflow sandbox forbids open() at run time: cold years must not need it."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"open{args} called while building a holiday calendar")

    monkeypatch.setattr(builtins, "open", refuse)
    for calendar in HolidayCalendar:
        assert holiday_dates(calendar, 2047)
    assert add_business_days(date(2047, 12, 24), 3, HolidayCalendar.TEXAS) == date(2047, 12, 31)
