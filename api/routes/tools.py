"""The deadline calculator and the audit-chain check behind HTTP."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status

from api.deps import ReadSession
from api.errors import ERRORS_AUTH, ERRORS_VALIDATION, ErrorBody
from api.security import Admin, AnyRole
from domain.deadlines import DeadlineError, DeadlineQuery, DeadlineResult, compute_deadline
from store.audit import verify_chain
from store.records import VerifyResult

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
