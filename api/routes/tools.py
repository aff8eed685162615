"""The deadline calculator, the audit-chain check and the PHI read log behind HTTP."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status

from api.deps import ReadSession
from api.errors import ERRORS_AUTH, ERRORS_VALIDATION, ErrorBody
from api.paging import Limit, Offset
from api.security import Admin, AnyRole
from domain import limits
from domain.deadlines import DeadlineError, DeadlineQuery, DeadlineResult, compute_deadline
from store.audit import verify_chain
from store.phi_reads import list_reads
from store.records import PhiReadPage, VerifyResult

router = APIRouter(prefix="/api/v1")


@router.post(
    "/deadlines/calculate",
    tags=["deadlines"],
    response_model=DeadlineResult,
    responses={
        **ERRORS_AUTH,
        **ERRORS_VALIDATION,
        400: {"model": ErrorBody, "description": "The rules cannot answer this query"},
    },
)
def calculate_deadline(query: DeadlineQuery, actor: AnyRole) -> DeadlineResult:
    """The regulatory due moment for one query, with the rule that sets it."""
    try:
        return compute_deadline(query)
    except DeadlineError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, detail=str(exc)) from exc


@router.get(
    "/audit/verify",
    tags=["audit"],
    response_model=VerifyResult,
    responses=ERRORS_AUTH,
)
def audit_verify(session: ReadSession, actor: Admin) -> VerifyResult:
    """Walk the tamper-evident audit chain and report the first broken link, if any."""
    return verify_chain(session=session)


@router.get(
    "/audit/phi-reads",
    tags=["audit"],
    response_model=PhiReadPage,
    responses={**ERRORS_AUTH, **ERRORS_VALIDATION},
)
def audit_phi_reads(
    session: ReadSession,
    actor: Admin,
    case_id: Annotated[str | None, Query(max_length=limits.CASE_ID)] = None,
    reader: Annotated[
        str | None,
        Query(max_length=limits.AUDIT_ACTOR, description="The reader, e.g. case_manager:alice"),
    ] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> PhiReadPage:
    """Who read which case's PHI, when and through which route, newest first (admin)."""
    return list_reads(session=session, case_id=case_id, actor=reader, limit=limit, offset=offset)
