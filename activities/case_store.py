"""Activities that write case state, deadlines, tasks and audit events to the store.

`CaseStoreActivities` depends on a `CaseRecorder`: `StoreRecorder` (the store's one writer,
`store.transitions`, in `activities.store_recorder`), in the worker and in workflow tests alike
(on a SQLite file there). Every write is one idempotent transaction keyed by `Transition.key`,
and every activity logs exactly one structlog line carrying the case id and key, never PHI.
"""

from __future__ import annotations

from typing import Any, Protocol

import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities import errors
from activities.models import EscalationInput, LetterRef, TransitionResult
from domain.case.read_model import Appeal, Case
from domain.case.transition import Transition
from domain.models import CaseDeadline, PriorAuthRequest

log = structlog.stdlib.get_logger("priorauth.activities")


class CaseNotFoundError(LookupError):
    """The store has no case with this id (raised by recorders, mapped to `CaseNotFound`)."""


class StoreRejectedError(Exception):
    """The store refused a write for good: a constraint, a value too long for its column,
    invalid data. Retrying cannot help (mapped to the non-retryable `StoreRejected`).

    `kind` names the error class only: the database's message may quote the value (PHI)."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


class CaseRecorder(Protocol):
    """What activities need from the case store. Each method is one idempotent transaction."""

    def record_transition(self, record: Transition) -> bool:
        """Close the tasks the step resolves, write status, deadlines, new tasks, the appeal
        and the audit event; False if `key` was seen (then nothing is closed again)."""
        ...

    def record_escalation(self, escalation: EscalationInput) -> bool: ...

    def load_case(self, case_id: str) -> Case:
        """The case with its PHI (only activities ever hold it)."""
        ...

    def load_request(self, case_id: str) -> PriorAuthRequest:
        """Only the case's request (PHI): what a payer submission needs, without the rest."""
        ...

    def load_deadlines(self, case_id: str) -> list[CaseDeadline]:
        """The case's deadlines as the engine recorded them (latest revision of each): the
        clocks a letter quotes."""
        ...

    def load_appeals(self, case_id: str) -> list[Appeal]:
        """The case's appeals in ladder order (a letter about one quotes its filing moment)."""
        ...

    def find_letter(self, case_id: str, key: str) -> LetterRef | None: ...

    def save_letter(
        self,
        case_id: str,
        key: str,
        *,
        kind: str,
        template_version: str,
        content: bytes,
        context: dict[str, Any],
    ) -> LetterRef: ...


def store_rejected(case_id: str, key: str, exc: StoreRejectedError) -> ApplicationError:
    """The non-retryable failure of a refused write; the workflow turns it into a UR task."""
    log.warning("store_rejected", case_id=case_id, key=key, error_type=exc.kind)
    return ApplicationError(
        f"the store refused step {key} of case {case_id} ({exc.kind})",
        type=errors.STORE_REJECTED,
        non_retryable=True,
    )


def not_found(case_id: str) -> ApplicationError:
    # The case id is an opaque key, safe in a message; nothing else about the case is.
    return ApplicationError(
        f"case {case_id} is not in the store", type=errors.CASE_NOT_FOUND, non_retryable=True
    )


class CaseStoreActivities:
    """Write transitions and escalations to the store (sync: run in the worker's thread pool)."""

    def __init__(self, recorder: CaseRecorder) -> None:
        self.recorder = recorder

    @activity.defn(name="record_transition")
    def record_transition(self, record: Transition) -> TransitionResult:
        try:
            written = self.recorder.record_transition(record)
        except CaseNotFoundError:
            raise not_found(record.case_id) from None
        except StoreRejectedError as exc:
            raise store_rejected(record.case_id, record.key, exc) from None
        log.info(
            "case_transition",
            case_id=record.case_id,
            key=record.key,
            case_event=record.event,
            status=record.status.value if record.status else None,
            duplicate=not written,
        )
        return TransitionResult(key=record.key, duplicate=not written)
