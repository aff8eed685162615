"""`CaseRecorder` on the sqlmodel store: each transition is one transaction, idempotent by key.

Not imported by workflow modules (it pulls in SQLAlchemy); the worker wires it into the
activity classes.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DataError, IntegrityError

from activities.case_store import CaseNotFoundError, StoreRejectedError
from activities.models import EscalationInput, LetterRef
from domain.case.read_model import Appeal, Case
from domain.case.transition import Transition
from domain.models import CaseDeadline, PriorAuthRequest
from store import appeals, cases, deadlines, letters, payer_directory
from store.database import read_session, transaction
from store.errors import ConflictError, NotFoundError
from store.group_commit import GroupCommit
from store.transitions import TransitionWrites

# Errors no retry can mend: a constraint (IntegrityError), a value the column cannot hold
# (DataError: too long, out of range), a conflicting idempotency key, invalid data (ValueError,
# pydantic's ValidationError among them). Lost connections, deadlocks and serialization
# failures (OperationalError) stay retryable.
PERMANENT = (IntegrityError, DataError, ConflictError, ValueError)


class StoreRecorder:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # Transitions and escalations of all cases share a transaction when they queue up.
        self.commits = GroupCommit(engine)

    def record_transition(self, record: Transition) -> bool:
        """`TransitionWrites.record`: the audit event (whose key check, under the chain lock,
        tells a retry from a first write), then the case row, task closing, deadlines and the
        rest, committed together; possibly with other cases' steps in the same transaction
        (`store.group_commit`)."""
        try:
            return self.commits.run(partial(self._write_transition, record))
        except NotFoundError:
            raise CaseNotFoundError(record.case_id) from None
        except PERMANENT as exc:
            raise StoreRejectedError(type(exc).__name__) from None

    def _write_transition(self, record: Transition, connection: Connection) -> bool:
        with TransitionWrites(connection) as writes:
            return writes.record(record)

    def record_escalation(self, escalation: EscalationInput) -> bool:
        try:
            return self.commits.run(partial(self._write_escalation, escalation))
        except NotFoundError:
            raise CaseNotFoundError(escalation.case_id) from None
        except PERMANENT as exc:
            raise StoreRejectedError(type(exc).__name__) from None

    def _write_escalation(self, escalation: EscalationInput, connection: Connection) -> bool:
        with TransitionWrites(connection) as writes:
            return writes.record_escalation(
                key=escalation.key,
                case_id=escalation.case_id,
                task=escalation.task,
                summary=escalation.summary,
                occurred_at=escalation.occurred_at,
                rule=escalation.rule,
            )

    def load_case(self, case_id: str) -> Case:
        """The case as its letters state it: the payer's appeals address and fax come from
        the payer directory where the request names none."""
        try:
            with read_session(self.engine) as session:
                case = cases.get_case(session=session, case_id=case_id)
                return payer_directory.case_with_directory(session, case)
        except NotFoundError:
            raise CaseNotFoundError(case_id) from None

    def load_deadlines(self, case_id: str) -> list[CaseDeadline]:
        with read_session(self.engine) as session:
            return deadlines.list_deadlines(session=session, case_id=case_id)

    def load_appeals(self, case_id: str) -> list[Appeal]:
        with read_session(self.engine) as session:
            return appeals.list_appeals(session=session, case_id=case_id)

    def load_request(self, case_id: str) -> PriorAuthRequest:
        try:
            with read_session(self.engine) as session:
                return cases.get_request(session=session, case_id=case_id)
        except NotFoundError:
            raise CaseNotFoundError(case_id) from None

    def find_letter(self, case_id: str, key: str) -> LetterRef | None:
        try:
            with read_session(self.engine) as session:
                found = letters.list_letters(session=session, case_id=case_id)
        except NotFoundError:
            raise CaseNotFoundError(case_id) from None
        for record in found:
            if record.idempotency_key == key:
                return LetterRef(
                    letter_id=record.letter_id,
                    kind=record.kind,
                    template_version=record.template_version,
                    checksum=record.checksum_sha256,
                    created_at=record.created_at,
                )
        return None

    def save_letter(
        self,
        case_id: str,
        key: str,
        *,
        kind: str,
        template_version: str,
        content: bytes,
        context: dict[str, Any],
    ) -> LetterRef:
        try:
            with transaction(self.engine) as session:
                record = letters.store_letter(
                    session=session,
                    idempotency_key=key,
                    case_id=case_id,
                    kind=kind,
                    template_version=template_version,
                    content=content,
                    context=context,
                )
        except NotFoundError:
            raise CaseNotFoundError(case_id) from None
        except PERMANENT as exc:
            raise StoreRejectedError(type(exc).__name__) from None
        return LetterRef(
            letter_id=record.letter_id,
            kind=record.kind,
            template_version=record.template_version,
            checksum=record.checksum_sha256,
            created_at=record.created_at,
        )
