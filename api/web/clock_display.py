"""How a clock reads on screen: countdowns ("due in 1 d 4 h", "overdue 3 h"), the escalation
stage a row is coloured by, and moments in the case's time zone."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo


class Stage(StrEnum):
    """The escalation stage a clock is in (the payer ladder's 50 % and 80 % rungs, due)."""

    NONE = "none"  # no running clock
    ON_TRACK = "on-track"
    REMINDED = "reminded"  # half the window gone
    ESCALATED = "escalated"  # 80 % gone (payer clock) or under a day left (our clock)
    OVERDUE = "overdue"
    MET = "met"


STAGE_LABELS = {
    Stage.NONE: "no clock",
    Stage.ON_TRACK: "on track",
    Stage.REMINDED: "reminder sent",
    Stage.ESCALATED: "escalated",
    Stage.OVERDUE: "missed",
    Stage.MET: "met",
}


def span(delta: timedelta) -> str:
    """A short span: '2 d 4 h', '3 h 10 min', '5 min', 'under a minute'."""
    minutes = int(abs(delta).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {mins} min" if mins else f"{hours} h"
    return f"{mins} min" if mins else "under a minute"


def countdown(due_at: datetime | None, now: datetime, met_at: datetime | None = None) -> str:
    if due_at is None:
        return "no due moment"
    if met_at is not None:
        return "met" if met_at <= due_at else f"met {span(met_at - due_at)} late"
    if due_at >= now:
        return f"due in {span(due_at - now)}"
    return f"overdue {span(now - due_at)}"


def stage(
    due_at: datetime | None,
    now: datetime,
    *,
    starts_at: datetime | None = None,
    met_at: datetime | None = None,
) -> Stage:
    if due_at is None:
        return Stage.NONE
    if met_at is not None:
        return Stage.MET
    if now > due_at:
        return Stage.OVERDUE
    if starts_at is not None and due_at > starts_at:
        elapsed = (now - starts_at) / (due_at - starts_at)
        if elapsed >= 0.8:
            return Stage.ESCALATED
        return Stage.REMINDED if elapsed >= 0.5 else Stage.ON_TRACK
    left = due_at - now
    if left <= timedelta(days=1):
        return Stage.ESCALATED
    return Stage.REMINDED if left <= timedelta(days=3) else Stage.ON_TRACK


def local(moment: datetime | None, zone: str) -> str:
    """'Mon 7 Dec 2026 17:00 CST' in `zone`."""
    if moment is None:
        return "—"
    shown = moment.astimezone(ZoneInfo(zone))
    return f"{shown:%a} {shown.day} {shown:%b %Y %H:%M} {shown.tzname()}"
