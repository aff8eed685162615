"""The payer's peer-to-peer window: how long after a denial the payer still grants a physician
to physician conversation, and the due moment it gives a case (a clock of ours, not a
regulation's: the payer's own policy, from the payer directory). The case workflow asks the
due moment of its deadline activity (`WindowQuestion`), like every clock.

Kept apart from `domain.payer_directory` so the case (`domain.case`) can carry a window without
depending on the directory.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from domain import limits
from domain.deadlines import calendars
from domain.deadlines.calendars import HolidayCalendar


class WindowUnit(StrEnum):
    HOURS = "hours"
    CALENDAR_DAYS = "calendar_days"
    BUSINESS_DAYS = "business_days"


class WindowStart(StrEnum):
    """The event a payer counts its peer-to-peer window from."""

    DENIAL_DECISION = "denial_decision"  # when the payer decided (the decision's decided_at)
    DENIAL_NOTICE = "denial_notice"  # the date of the denial notice


class PeerToPeerWindow(BaseModel):
    """How long after a denial the payer still grants a peer-to-peer conversation (e.g.
    "within 14 calendar days of the denial decision")."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, hide_input_in_errors=True)

    amount: Annotated[int, Field(ge=1, le=365)]
    unit: WindowUnit = WindowUnit.CALENDAR_DAYS
    counted_from: WindowStart = WindowStart.DENIAL_DECISION
    note: Annotated[str | None, Field(min_length=1, max_length=limits.LONG_TEXT)] = None

    @property
    def description(self) -> str:
        unit = self.unit.value.replace("_", " ")
        if self.amount == 1:
            unit = unit.removesuffix("s")
        start = self.counted_from.value.replace("_", " ")
        return f"within {self.amount} {unit} of the {start}"


def window_due(
    window: PeerToPeerWindow, *, decided_at: datetime, notice_date: date | None, timezone: str
) -> datetime:
    """When the window closes for a denial decided at `decided_at` (notice dated `notice_date`).

    Hours run from the moment itself; days end at 23:59:59 in the payer's zone; business days
    skip weekends and federal holidays. A window counted from the notice uses the decision's
    date when the notice's is not known."""
    tz = calendars.zone(timezone)
    if window.unit == WindowUnit.HOURS:
        return calendars.add_elapsed_hours(decided_at, window.amount, tz)
    start = calendars.local_date(decided_at, tz)
    if window.counted_from == WindowStart.DENIAL_NOTICE and notice_date is not None:
        start = notice_date
    if window.unit == WindowUnit.BUSINESS_DAYS:
        last = calendars.add_business_days(start, window.amount, HolidayCalendar.FEDERAL)
    else:
        last = start + timedelta(days=window.amount)
    return calendars.end_of_day(last, tz)


class WindowQuestion(BaseModel):
    """When does this payer's window close for this denial? Asked of the worker's deadline
    activity (`window_due` reads the holiday calendar: the answer is fixed in history)."""

    model_config = ConfigDict(frozen=True)

    window: PeerToPeerWindow
    decided_at: AwareDatetime
    notice_date: date | None = None
    timezone: str

    def due(self) -> datetime:
        return window_due(
            self.window,
            decided_at=self.decided_at,
            notice_date=self.notice_date,
            timezone=self.timezone,
        )
