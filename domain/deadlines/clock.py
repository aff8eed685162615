"""Clocks (how a period is counted), due moments, and the sentences that explain them.

A `Clock` is one counting convention with its amount ("7 calendar days", "72 hours plus a
14-calendar-day extension", "5 business days", "4 months"); running it from an anchor gives the
due instant and the convention name reported to callers. A `Due` is one rule's answer before
the engine picks the strictest of the applicable rules.

The internal dataclasses of this package are treated as immutable but are not `frozen=True`:
a frozen dataclass's __init__ costs about four times as much, and several are built per query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from domain.deadlines.calendars import (
    HolidayCalendar,
    add_business_days,
    add_days_same_wall_time,
    add_elapsed_hours,
    add_months_rolled,
    end_of_day,
)

# The convention names callers see (documented in docs/deadlines.md).
CALENDAR_DAYS = "calendar_days_end_of_day_local"
ELAPSED_HOURS = "elapsed_hours"
HOURS_THEN_DAYS = "elapsed_hours_then_calendar_days_same_wall_time"
BUSINESS_DAYS = "business_days_end_of_day_local"
CALENDAR_MONTHS = "calendar_months_end_of_day_local"
DAYS_THEN_HOURS = "calendar_days_end_of_day_local_then_elapsed_hours"
DAYS_BEFORE = "calendar_days_before_end_of_day_local"
LATER_OF_DATES = "later_of_dates_end_of_day_local"
TOLLED_DAYS = "calendar_days_end_of_day_local_tolled"
PERIOD_DAYS = "calendar_days_period_end_of_day_local"

END_OF_DAY_CONVENTIONS = frozenset(
    {
        CALENDAR_DAYS,
        BUSINESS_DAYS,
        CALENDAR_MONTHS,
        DAYS_BEFORE,
        LATER_OF_DATES,
        TOLLED_DAYS,
        PERIOD_DAYS,
    }
)


class Unit(StrEnum):
    DAYS = "days"
    HOURS = "hours"
    BUSINESS_DAYS = "business_days"
    MONTHS = "months"


_UNIT_WORDS = {
    Unit.DAYS: ("calendar day", "calendar days"),
    Unit.HOURS: ("hour", "hours"),
    Unit.BUSINESS_DAYS: ("business day", "business days"),
    Unit.MONTHS: ("month", "months"),
}


@dataclass(slots=True)
class Clock:
    unit: Unit
    amount: int
    extension_days: int = 0
    calendar: HolidayCalendar = HolidayCalendar.FEDERAL

    def span(self) -> str:
        """'7 calendar days', '72 hours' (the extension is worded separately)."""
        singular, plural = _UNIT_WORDS[self.unit]
        return f"{self.amount} {singular if self.amount == 1 else plural}"

    def extension_text(self) -> str:
        """' plus a 14-calendar-day extension', or nothing."""
        if self.extension_days:
            return f" plus a {self.extension_days}-calendar-day extension"
        return ""

    def hyphenated(self) -> str:
        """'7-calendar-day' (for labels such as 'federal 7-calendar-day limit')."""
        singular = _UNIT_WORDS[self.unit][0].replace(" ", "-")
        text = f"{self.amount}-{singular}"
        if self.extension_days:
            text += f" (+{self.extension_days}-day extension)"
        return text

    def run(self, anchor: datetime | date, tz: ZoneInfo) -> tuple[datetime, str]:
        """The due instant and its convention, counting from `anchor` (an instant, or a date
        for windows keyed on a notice date)."""
        if self.unit is Unit.HOURS:
            if not isinstance(anchor, datetime):
                raise TypeError("an hour clock needs an instant")
            due = add_elapsed_hours(anchor, self.amount, tz)
            if self.extension_days:
                return add_days_same_wall_time(due, self.extension_days, tz), HOURS_THEN_DAYS
            return due, ELAPSED_HOURS
        start = anchor.astimezone(tz).date() if isinstance(anchor, datetime) else anchor
        if self.unit is Unit.DAYS:
            day = date.fromordinal(start.toordinal() + self.amount + self.extension_days)
            return end_of_day(day, tz), CALENDAR_DAYS
        if self.unit is Unit.BUSINESS_DAYS:
            return end_of_day(add_business_days(start, self.amount, self.calendar), tz), (
                BUSINESS_DAYS
            )
        return end_of_day(add_months_rolled(start, self.amount, self.calendar), tz), (
            CALENDAR_MONTHS
        )


@dataclass(slots=True)
class Due:
    """One rule's answer. `label` names the rule in a comparison ('Texas 3-business-day limit')."""

    due_at: datetime
    rule: str
    convention: str
    explanation: str
    rule_id: str
    label: str
    flags: tuple[str, ...] = ()


def fmt_instant(instant: datetime, tz: ZoneInfo) -> str:
    """'2026-03-09 11:00 EDT' (seconds only when not zero)."""
    local = instant.astimezone(tz)
    pattern = "%Y-%m-%d %H:%M %Z" if local.second == 0 else "%Y-%m-%d %H:%M:%S %Z"
    return local.strftime(pattern)


def fmt_anchor(anchor: datetime | date, tz: ZoneInfo, hours: bool) -> str:
    """How the clock start is shown: a local date for day clocks, a local time for hour clocks."""
    if isinstance(anchor, datetime):
        return fmt_instant(anchor, tz) if hours else anchor.astimezone(tz).date().isoformat()
    return anchor.isoformat()


def fmt_due(due_at: datetime, convention: str, tz: ZoneInfo) -> str:
    if convention in END_OF_DAY_CONVENTIONS:
        return f"end of day {due_at.date().isoformat()} {tz.key}"
    return f"{fmt_instant(due_at, tz)} {tz.key}"


def clock_due(
    *,
    clock: Clock,
    anchor: datetime | date,
    tz: ZoneInfo,
    duty: str,
    relation: str,
    note: str,
    rule: str,
    rule_id: str,
    jurisdiction: str = "federal",
    flags: tuple[str, ...] = (),
) -> Due:
    """Run `clock` from `anchor` and explain it as
    '<duty> within <span> <relation>[ plus an extension] (<note> <anchor>), by <due>.'"""
    due_at, convention = clock.run(anchor, tz)
    shown = fmt_anchor(anchor, tz, hours=clock.unit is Unit.HOURS)
    explanation = (
        f"{duty} within {clock.span()} {relation}{clock.extension_text()} ({note} {shown}), "
        f"by {fmt_due(due_at, convention, tz)}."
    )
    return Due(
        due_at=due_at,
        rule=rule,
        convention=convention,
        explanation=explanation,
        rule_id=rule_id,
        label=f"{jurisdiction} {clock.hyphenated()} limit",
        flags=flags,
    )
