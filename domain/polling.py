"""The reconciliation polling schedule for a submitted request awaiting the payer's decision.

Payer notifications (PAS subscriptions, webhooks) are the primary channel; asking the payer
(`$inquire`) is only the fallback for a lost notification or a payer without push. PAS says
`$inquire` SHOULD NOT be a poll loop, so the schedule is sparse and slows down: the first ask
5 minutes after the submission was accepted, then every 30 minutes for the first 6 hours, then
hourly, never more than 12 hours apart. Pure and deterministic (the case workflow uses it).
A case may carry its own `PollSchedule` (`CaseOptions.polling`); the fault drills use a
seconds-long one so a lost notification is reconciled within the test.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field

POLL_FIRST = timedelta(minutes=5)
POLL_EARLY_EVERY = timedelta(minutes=30)
POLL_EARLY_PERIOD = timedelta(hours=6)
POLL_LATE_EVERY = timedelta(hours=1)
POLL_MAX_GAP = timedelta(hours=12)


class PollSchedule(BaseModel):
    """When to ask the payer: `first` after the submission, then every `early_every` during
    `early_period`, then every `late_every`, never more than `max_gap` apart."""

    model_config = ConfigDict(frozen=True)

    first: timedelta = Field(default=POLL_FIRST, gt=timedelta(0))
    early_every: timedelta = Field(default=POLL_EARLY_EVERY, gt=timedelta(0))
    early_period: timedelta = POLL_EARLY_PERIOD
    late_every: timedelta = Field(default=POLL_LATE_EVERY, gt=timedelta(0))
    max_gap: timedelta = Field(default=POLL_MAX_GAP, gt=timedelta(0))


DEFAULT_SCHEDULE = PollSchedule()


def poll_gap(elapsed: timedelta, schedule: PollSchedule = DEFAULT_SCHEDULE) -> timedelta:
    """The wait after a poll made `elapsed` after the submission was accepted."""
    gap = schedule.early_every if elapsed < schedule.early_period else schedule.late_every
    return min(gap, schedule.max_gap)


def next_poll_at(
    submitted_at: datetime,
    last_poll_at: datetime | None,
    schedule: PollSchedule = DEFAULT_SCHEDULE,
) -> datetime:
    """When to ask the payer next. Counted from the last poll actually made, so a worker that
    was down polls once when it returns instead of catching up on every missed moment."""
    if last_poll_at is None:
        return submitted_at + schedule.first
    return last_poll_at + poll_gap(last_poll_at - submitted_at, schedule)
