"""Pieces shared by several regimes: member filing windows and the flags they carry."""

from __future__ import annotations

from dataclasses import replace

from domain.deadlines.clock import Clock, Due, Unit, clock_due
from domain.deadlines.context import Ask

# Ambiguity A5: member filing windows have no weekend/holiday roll-forward in the regulation.
MAY_BE_EXTENDED = "may be extended by plan/state policy"
ENDS_ON_WEEKEND = "window ends on a {day}: the regulation does not roll it forward (A5)"


def member_filing_window(
    ask: Ask,
    *,
    days: int,
    duty: str,
    note: str,
    rule: str,
    rule_id: str,
    relation: str = "of the notice date",
    flags: tuple[str, ...] = (),
) -> Due:
    """A window the member must file within, counted in calendar days from the notice date and
    ending at the end of the strict last day (no roll-forward, ambiguity A5)."""
    notice = ask.notice_date(f"the {rule} filing window counts from the date on the notice")
    due = clock_due(
        clock=Clock(Unit.DAYS, days),
        anchor=notice,
        tz=ask.tz,
        duty=duty,
        relation=relation,
        note=note,
        rule=rule,
        rule_id=rule_id,
        flags=(MAY_BE_EXTENDED, *flags),
    )
    weekday = due.due_at.weekday()
    if weekday >= 5:
        day = "Saturday" if weekday == 5 else "Sunday"
        return replace(due, flags=(*due.flags, ENDS_ON_WEEKEND.format(day=day)))
    return due
