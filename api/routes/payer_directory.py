"""The payer directory behind HTTP: list, read and write payers, "does this need PA?", gold card.

Under `/api/v1/payers` (the payer-facing PAS and webhook routes of `api.routes.payers` live
under `/fhir/...` and `/api/v1/payer-events`, so nothing collides). Staff (case managers, UR
staff) read; admins write. A PUT replaces the payer's whole entry (its lines of business and PA
rules included) in one transaction; invalid input is a 422 naming each field and writes nothing.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status
from pydantic import AfterValidator
from sqlmodel import Session

from api import service
from api.deps import EngineDep
from api.errors import ERRORS_AUTH, ERRORS_NOT_FOUND, ERRORS_VALIDATION
from api.security import Admin, Staff
from domain import limits
from domain.codes import normalize_npi, normalize_procedure_code, normalize_state
from domain.enums import Regime
from domain.payer_directory import (
    PAYER_ID_PATTERN,
    GoldCardStatus,
    PaRequirement,
    PayerEntry,
    PayerEntryBody,
    PayerRecord,
    PayerSummary,
)
from store import payer_directory as directory

router = APIRouter(prefix="/api/v1/payers", tags=["payer directory"])

PayerId = Annotated[
    str, Path(min_length=1, max_length=limits.SHORT_TEXT, description="The payer's id")
]
ProcedureCode = Annotated[
    str,
    Query(min_length=1, max_length=limits.SERVICE_CODE, description="A CPT or HCPCS code"),
    AfterValidator(normalize_procedure_code),
]
READ_ERRORS = {**ERRORS_AUTH, **ERRORS_NOT_FOUND, **ERRORS_VALIDATION}


@router.get("", response_model=list[PayerSummary], responses=ERRORS_AUTH)
async def list_payers(engine: EngineDep, actor: Staff) -> list[PayerSummary]:
    """Every payer of the directory, with its lines of business (regime and channel)."""
    return await service.read(engine, directory.list_payers)


@router.get("/{payer_id}", response_model=PayerRecord, responses=READ_ERRORS)
async def get_payer(payer_id: PayerId, engine: EngineDep, actor: Staff) -> PayerRecord:
    """The payer's whole entry: ids, lines of business (channel, appeals address and fax,
    peer-to-peer phone and window) and its prior-authorization rules."""
    return await service.read(engine, lambda session: directory.get_payer(session, payer_id))


@router.put(
    "/{payer_id}",
    response_model=PayerRecord,
    responses={
        **ERRORS_AUTH,
        **ERRORS_VALIDATION,
        201: {"model": PayerRecord, "description": "The payer was added to the directory"},
    },
)
async def put_payer(
    payer_id: Annotated[
        str,
        Path(
            min_length=1,
            max_length=limits.SHORT_TEXT,
            pattern=PAYER_ID_PATTERN,
            description="The payer's id: letters, digits, . _ -",
        ),
    ],
    body: PayerEntryBody,
    engine: EngineDep,
    actor: Admin,
    response: Response,
) -> PayerRecord:
    """Add the payer, or replace its entry (lines of business and PA rules included): 201 when
    added, 200 when replaced."""
    entry = PayerEntry(payer_id=payer_id, **body.model_dump())
    record, created = await service.write(
        engine,
        lambda session: directory.put_payer(
            session, entry, actor=actor.audit_name, now=service.utcnow()
        ),
    )
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return record


@router.get("/{payer_id}/requires-pa", response_model=PaRequirement, responses=READ_ERRORS)
async def requires_pa(
    payer_id: PayerId,
    code: ProcedureCode,
    engine: EngineDep,
    actor: Staff,
    regime: Annotated[
        Regime | None,
        Query(description="The line of business; omitted: answered if it cannot matter"),
    ] = None,
    state: Annotated[
        str | None,
        Query(max_length=2, description="Two-letter state; omitted: answered if it cannot matter"),
        AfterValidator(lambda value: normalize_state(value) if value else None),
    ] = None,
) -> PaRequirement:
    """Does the service need prior authorization at this payer? `required` or `not_required`
    with the deciding rule (the most specific that applies), or `unknown`: no rule covers it
    (never taken to mean "not required"), or the omitted regime or state would decide
    (`depends_on`)."""

    def answer(session: Session) -> PaRequirement:
        directory.require_payer(session, payer_id)
        return directory.requires_pa(session, payer_id, code, regime, state)

    return await service.read(engine, answer)


@router.get("/{payer_id}/gold-card", response_model=GoldCardStatus, responses=READ_ERRORS)
async def gold_card(
    payer_id: PayerId,
    npi: Annotated[
        str,
        Query(min_length=1, max_length=10, description="The requesting physician's NPI"),
        AfterValidator(normalize_npi),
    ],
    code: ProcedureCode,
    engine: EngineDep,
    actor: Staff,
    as_of: Annotated[
        date | None,
        Query(description="The evaluation date (default: today in the payer's time zone)"),
    ] = None,
) -> GoldCardStatus:
    """The physician's Texas gold-card standing for the service at this payer, from our own
    cases: approved and eligible requests in the evaluation period, the ratio, and whether it
    reaches 90 % of at least five (Tex. Ins. Code 4201.653; 28 TAC 19.1730-19.1731)."""
    return await service.read(
        engine,
        lambda session: directory.gold_card(
            session, payer_id=payer_id, npi=npi, code=code, now=service.utcnow(), as_of=as_of
        ),
    )
