"""Cases: create (idempotent by case id), read as the domain `Case` (or just its request),
number. A case's later changes (status, assignee, next due moment) are `store.transitions`'.

Case numbers (`PA-2026-000123`) come from a counter row per year, bumped with one atomic
`INSERT ... ON CONFLICT DO UPDATE ... RETURNING`: concurrent creators queue on that row, and a
rolled-back creation gives its number back, so numbers have no gaps. A caller may also pass its
own `case_number` (an imported case keeps the number it already has).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam
from sqlalchemy import select as core_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel, col, select

from domain import limits
from domain.case.read_model import Case
from domain.case.vocabulary import CaseStatus
from domain.enums import Regime, Urgency
from domain.models import PriorAuthRequest
from store._base import insert_once, require_case
from store.contacts import list_contacts
from store.decisions import list_decisions
from store.errors import ConflictError, IdempotencyConflictError, NotFoundError
from store.records import CaseSummary
from store.search import member_key, name_key
from store.tables import DEFAULT_TEAM, CaseNumberCounter, CaseRow, ServiceLineRow
from store.types import require_aware, utcnow

CLOSED_STATUSES = frozenset({CaseStatus.CLOSED, CaseStatus.WITHDRAWN})


def indexed_reference(reference: str | None) -> str | None:
    """The external reference as indexed for payer lookups (a longer one is no trace number)."""
    if reference is None or not reference.strip() or len(reference) > limits.EXTERNAL_REFERENCE:
        return None
    return reference.strip()


def next_case_number(*, session: Session, year: int) -> str:
    """The next human-facing case number of `year`, e.g. `PA-2026-000123`.

    Safe under concurrency: the counter row stays locked until the caller's transaction ends.
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(CaseNumberCounter)
        .values(year=year, last_value=1)
        .on_conflict_do_update(
            index_elements=[col(CaseNumberCounter.year)],
            set_={"last_value": col(CaseNumberCounter.last_value) + 1},
        )
        .returning(col(CaseNumberCounter.last_value))
    )
    value = session.exec(statement).scalar_one()
    return f"PA-{year}-{value:06d}"


def create_case(
    *,
    session: Session,
    case_id: str,
    request: PriorAuthRequest,
    received_at: datetime,
    case_number: str | None = None,
    assignee: str | None = None,
    status: CaseStatus = CaseStatus.OPENED,
    team: str = DEFAULT_TEAM,
) -> Case:
    """Create the case, or return it if `case_id` exists with the same request.

    Raises `IdempotencyConflictError` when `case_id` exists with a different request. Without
    `case_number` the next number of `received_at`'s year (UTC) is allocated. `team` is whose
    case managers see it (a replay keeps the team the case was created with).
    """
    received = require_aware(received_at, "received_at")
    # Validates the id (and everything else) before anything is written.
    Case(
        case_id=case_id,
        case_number=case_number or "pending",
        request=request,
        status=status,
        assignee=assignee,
        received_at=received,
    )
    payload = request.model_dump(mode="json")
    if case_number is not None:
        owner = session.exec(
            select(CaseRow.case_id).where(CaseRow.case_number == case_number)
        ).first()
        if owner is not None and owner != case_id:
            raise ConflictError("case number", case_number, "belongs to another case")

    def insert() -> CaseRow:
        now = utcnow()
        row = CaseRow(
            case_id=case_id,
            case_number=case_number or next_case_number(session=session, year=received.year),
            status=status.value,
            regime=request.coverage.regime.value,
            payer_id=request.coverage.payer.payer_id,
            payer_name=request.coverage.payer.name,
            assignee=assignee,
            team=team,
            urgency=request.urgency.value,
            request=payload,
            received_at=received,
            created_at=now,
            updated_at=now,
            closed_at=now if status in CLOSED_STATUSES else None,
            external_reference=indexed_reference(request.external_reference),
            member_key=member_key(request.member.member_id),
            name_key=name_key(request.member.last_name, request.member.first_name),
        )
        session.add(row)
        session.flush()  # the case first: service lines reference it
        session.add_all(
            ServiceLineRow(
                case_id=case_id,
                sequence=line.sequence,
                code_system=line.code_system.value,
                code=line.code,
                description=line.description,
                units=line.units,
                start_date=line.start_date,
                end_date=line.end_date,
            )
            for line in request.service_lines
        )
        return row

    row, created = insert_once(session, find=lambda: session.get(CaseRow, case_id), insert=insert)
    if not created and row.request != payload:
        raise IdempotencyConflictError("case", case_id, "exists with a different request")
    return _case(session, row)


def get_case(*, session: Session, case_id: str) -> Case:
    """The case with its request, decisions and contact log; `NotFoundError` if there is none."""
    return _case(session, require_case(session, case_id))


def get_request(*, session: Session, case_id: str) -> PriorAuthRequest:
    """Only the case's request (PHI), one single-column SELECT: no decisions, contacts or
    ORM row. Runs on the session's connection. `NotFoundError` if there is no such case."""
    payload = (
        session.connection().execute(_REQUEST_OF_CASE, {"case_id": case_id}).scalar_one_or_none()
    )
    if payload is None:
        raise NotFoundError("case", case_id)
    return PriorAuthRequest.model_validate(payload)


def get_case_summary(*, session: Session, case_id: str) -> CaseSummary:
    """The listing fields of one case (no PHI)."""
    return case_summary(require_case(session, case_id))


_CASES = SQLModel.metadata.tables["cases"]
_REQUEST_OF_CASE = core_select(_CASES.c.request).where(_CASES.c.case_id == bindparam("case_id"))


def case_summary(row: CaseRow) -> CaseSummary:
    return CaseSummary(
        case_id=row.case_id,
        case_number=row.case_number,
        status=CaseStatus(row.status),
        regime=Regime(row.regime),
        payer_id=row.payer_id,
        payer_name=row.payer_name,
        assignee=row.assignee,
        team=row.team,
        urgency=Urgency(row.urgency),
        received_at=row.received_at,
        next_due_at=row.next_due_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
        closed_at=row.closed_at,
    )


def _case(session: Session, row: CaseRow) -> Case:
    return Case(
        case_id=row.case_id,
        case_number=row.case_number,
        request=PriorAuthRequest.model_validate(row.request),
        status=CaseStatus(row.status),
        assignee=row.assignee,
        received_at=row.received_at,
        decisions=list_decisions(session=session, case_id=row.case_id),
        contacts=list_contacts(session=session, case_id=row.case_id),
    )
