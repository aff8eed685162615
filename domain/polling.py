"""The reconciliation polling schedule for a submitted request awaiting the payer's decision.

Payer notifications (PAS subscriptions, webhooks) are the primary channel; asking the payer
(`$inquire`) is only the fallback for a lost notification or a payer without push. PAS says
`$inquire` SHOULD NOT be a poll loop, so the schedule is sparse and slows down: the first ask
5 minutes after the submission was accepted, then every 30 minutes for the first 6 hours, then
hourly, never more than 12 hours apart. Pure and deterministic (the case workflow uses it).
"""

from __future__ import annotations

from datetime import datetime, timedelta

POLL_FIRST = timedelta(minutes=5)
POLL_EARLY_EVERY = timedelta(minutes=30)
POLL_EARLY_PERIOD = timedelta(hours=6)
POLL_LATE_EVERY = timedelta(hours=1)
POLL_MAX_GAP = timedelta(hours=12)


def poll_gap(elapsed: timedelta) -> timedelta:
    """The wait after a poll made `elapsed` after the submission was accepted."""
    gap = POLL_EARLY_EVERY if elapsed < POLL_EARLY_PERIOD else POLL_LATE_EVERY
    return min(gap, POLL_MAX_GAP)


def next_poll_at(submitted_at: datetime, last_poll_at: datetime | None) -> datetime:
    """When to ask the payer next. Counted from the last poll actually made, so a worker that
    was down polls once when it returns instead of catching up on every missed moment."""
    if last_poll_at is None:
        return submitted_at + POLL_FIRST
    return last_poll_at + poll_gap(last_poll_at - submitted_at)
