"""Escalation rungs: create the task on the right work list plus its audit event, once.

The idempotency key is the rung key (case id, deadline key, due moment, rung name), so a retried
or replayed rung never creates a second task, and a moved deadline gets new keys.
"""

from __future__ import annotations

import structlog
from temporalio import activity

from activities.case_store import (
    CaseNotFoundError,
    CaseRecorder,
    StoreRejectedError,
    not_found,
    store_rejected,
)
from activities.models import EscalationInput, TransitionResult

log = structlog.stdlib.get_logger("priorauth.activities")


class NotifyActivities:
    def __init__(self, recorder: CaseRecorder) -> None:
        self.recorder = recorder

    @activity.defn(name="escalate")
    def escalate(self, escalation: EscalationInput) -> TransitionResult:
        try:
            written = self.recorder.record_escalation(escalation)
        except CaseNotFoundError:
            raise not_found(escalation.case_id) from None
        except StoreRejectedError as exc:
            raise store_rejected(escalation.case_id, escalation.key, exc) from None
        log.info(
            "case_escalation",
            case_id=escalation.case_id,
            key=escalation.key,
            queue=escalation.task.queue.value,
            priority=escalation.task.priority.value,
            duplicate=not written,
        )
        return TransitionResult(key=escalation.key, duplicate=not written)
