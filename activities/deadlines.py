"""The deadline engine as a (local) activity, so every computed clock is recorded in history.

Computing a clock in the workflow itself would make a rule change alter the timers of running
cases on replay; as an activity the result is fixed at the moment it was computed. A query the
rules cannot answer is a business failure (`NoDeadlineRule`): the workflow asks a human instead.

The engine is pure computation (tens of microseconds, no I/O), so the activity is `async` and
runs on the worker's event loop instead of taking a thread from the activity executor.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities import errors
from domain.deadlines import DeadlineError, DeadlineQuery, DeadlineResult, compute_deadline
from domain.peer_to_peer import WindowQuestion

log = structlog.stdlib.get_logger("priorauth.activities")


class DeadlineActivities:
    def __init__(
        self, compute: Callable[[DeadlineQuery], DeadlineResult] = compute_deadline
    ) -> None:
        self.compute = compute

    @activity.defn(name="compute_deadline")
    async def compute_deadline(self, query: DeadlineQuery) -> DeadlineResult:
        try:
            result = self.compute(query)
        except DeadlineError as exc:
            # DeadlineError messages name regimes/events/fields only, never a person.
            raise ApplicationError(
                str(exc), type=errors.NO_DEADLINE_RULE, non_retryable=True
            ) from None
        log.info(
            "deadline_computed",
            regime=query.regime.value,
            deadline_event=query.event.value,
            rule_id=result.rule_id,
        )
        return result

    @activity.defn(name="peer_to_peer_window_due")
    async def peer_to_peer_window_due(self, question: WindowQuestion) -> datetime:
        """When a payer's peer-to-peer window closes (its policy, from the payer directory)."""
        return question.due()
