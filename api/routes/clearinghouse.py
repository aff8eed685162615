"""The clearinghouse review queue behind HTTP: messages no case could be matched to.

`GET /api/v1/clearinghouse/unmatched` lists them (oldest first; open ones unless
`include_resolved`), without the X12 text (it may carry PHI of a case we cannot name);
`POST /api/v1/clearinghouse/unmatched/{id}/resolve` records that a person handled one. UR staff
(and admins) only. Nothing here applies a message to a case: a person who finds the case
records the decision through the case's own routes.

`GET /api/v1/clearinghouse/cases/{case_id}/traces` shows staff what the ledger knows of a case's
278s: trace number, state, the 999 status and the rejection naming segment and element (the
case's timeline quotes the rejection too). The web workspace shows the queue at
`/clearinghouse/review`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import AwareDatetime, BaseModel

from api import service
from api.deps import EngineDep
from api.errors import ERRORS_AUTH, ERRORS_NOT_FOUND, ERRORS_VALIDATION
from api.security import StaffCase, UrStaff
from domain import limits
from domain.clearinghouse_ledger import TraceEntry, UnmatchedMessage
from store import clearinghouse

router = APIRouter(prefix="/api/v1/clearinghouse", tags=["clearinghouse"])


class UnmatchedSummary(BaseModel):
    id: int
    received_at: AwareDatetime
    source: str
    kind: str
    trace_numbers: list[str]
    case_id: str | None
    reason: str
    resolved_at: AwareDatetime | None
    resolved_by: str | None


def _summary(message: UnmatchedMessage) -> UnmatchedSummary:
    return UnmatchedSummary.model_validate(message.model_dump(exclude={"payload"}))


@router.get("/unmatched", response_model=list[UnmatchedSummary], responses=ERRORS_AUTH)
async def list_unmatched(
    engine: EngineDep,
    actor: UrStaff,
    include_resolved: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[UnmatchedSummary]:
    """The review queue: clearinghouse messages (278, 999, TA1, unreadable files) that matched
    no submission or no case, or that need a person (a rejection after the answer)."""
    found = await service.read(
        engine,
        lambda s: clearinghouse.list_unmatched(
            session=s, include_resolved=include_resolved, limit=limit
        ),
    )
    return [_summary(message) for message in found]


@router.post(
    "/unmatched/{message_id}/resolve",
    response_model=UnmatchedSummary,
    responses={**ERRORS_AUTH, **ERRORS_NOT_FOUND, **ERRORS_VALIDATION},
)
async def resolve_unmatched(
    message_id: Annotated[
        int, Path(ge=1, le=limits.STORED_INT, description="The queued message's id")
    ],
    engine: EngineDep,
    actor: UrStaff,
) -> UnmatchedSummary:
    """Take the message off the queue: a person has handled it (the first resolution stays)."""
    resolved = await service.write(
        engine,
        lambda s: clearinghouse.resolve_unmatched(
            session=s, message_id=message_id, actor=actor.audit_name, now=service.utcnow()
        ),
    )
    return _summary(resolved)


class TraceSummary(BaseModel):
    trace_number: str
    control_number: int
    kind: str
    state: str
    acknowledgment: str | None
    attempts: int
    sent_at: AwareDatetime | None
    updated_at: AwareDatetime
    error: str | None


@router.get(
    "/cases/{case_id}/traces",
    response_model=list[TraceSummary],
    responses={**ERRORS_AUTH, **ERRORS_NOT_FOUND},
)
async def case_traces(engine: EngineDep, access: StaffCase) -> list[TraceSummary]:
    """The 278s sent for a case (in the caller's scope), oldest first, with what came back."""
    found: list[TraceEntry] = await service.read(
        engine, lambda s: clearinghouse.traces_of_case(session=s, case_id=access.case_id)
    )
    return [TraceSummary.model_validate(entry.model_dump()) for entry in found]
