"""Cases: open one (store row + workflow), list and filter, read one, read its timeline."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response, status

from api import renewals, service
from api.deps import EngineDep, SettingsDep, TemporalDep
from api.errors import (
    ERRORS_AUTH,
    ERRORS_CONFLICT,
    ERRORS_NOT_FOUND,
    ERRORS_UNAVAILABLE,
    ERRORS_VALIDATION,
    FieldError,
)
from api.paging import Cursor, Limit, Offset
from api.schemas import CaseDetail, CaseOpened, CaseSearch, Timeline
from api.security import AnyRole, AnyRoleCase, StaffCase, StaffOrIntegration
from config.settings import TEAM_PATTERN
from domain.case.vocabulary import CaseStatus
from domain.enums import Regime
from domain.models import PriorAuthRequest
from store import audit as store_audit
from store.queries import list_cases
from store.records import CaseFilter, CasePage, CaseSort, CaseState

router = APIRouter(prefix="/api/v1", tags=["cases"])

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        description="Send the same key again to get the same case back instead of a second one",
    ),
]


@router.post(
    "/cases",
    status_code=status.HTTP_201_CREATED,
    response_model=CaseOpened,
    responses={
        **ERRORS_AUTH,
        **ERRORS_VALIDATION,
        **ERRORS_CONFLICT,
        **ERRORS_UNAVAILABLE,
        200: {"model": CaseOpened, "description": "Idempotency-Key replay: the case already open"},
    },
)
async def open_case(
    body: PriorAuthRequest,
    actor: StaffOrIntegration,
    response: Response,
    engine: EngineDep,
    client: TemporalDep,
    settings: SettingsDep,
    idempotency_key: IdempotencyKey = None,
    assignee: Annotated[
        str | None,
        Query(max_length=120, description="Default: the calling case manager's key name"),
    ] = None,
    team: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=64,
            pattern=TEAM_PATTERN,
            description="The team the case belongs to: one of the caller's teams (UR staff and "
            "admins: any); default: the caller's first team",
        ),
    ] = None,
) -> CaseOpened:
    """Open a prior-authorization case and start its workflow.

    An invalid request is refused with 422 naming every bad field; nothing is stored or started.
    A team that is not the caller's is refused with 403.
    """
    opened = await service.open_case(
        engine=engine,
        client=client,
        settings=settings,
        request=body,
        actor=actor,
        case_id=service.case_id_for(actor, idempotency_key),
        assignee=service.default_assignee(actor, assignee),
        team=team,
    )
    if not opened.created:
        response.status_code = status.HTTP_200_OK
    return opened


@router.get("/cases", response_model=CasePage, responses={**ERRORS_AUTH, **ERRORS_VALIDATION})
async def search_cases(
    engine: EngineDep,
    actor: AnyRole,
    status_: Annotated[list[CaseStatus] | None, Query(alias="status")] = None,
    assignee: Annotated[str | None, Query(max_length=120)] = None,
    payer: Annotated[str | None, Query(max_length=60, description="Payer id")] = None,
    regime: Regime | None = None,
    service_code: Annotated[str | None, Query(max_length=12)] = None,
    due_before: datetime | None = None,
    overdue: Annotated[bool, Query(description="Open cases past their next due moment")] = False,
    q: Annotated[
        str | None,
        Query(
            max_length=64,
            description='Case-number prefix: "PA-2026-0001", "2026-0001", or the serial ("000123")',
        ),
    ] = None,
    state: Annotated[
        CaseState | None,
        Query(
            description="open, closed or all; default: open, or all when `status` or `q` "
            "is given (closed cases stay reachable by filter and search)"
        ),
    ] = None,
    sort: CaseSort = CaseSort.DUE,
    limit: Limit = 50,
    offset: Offset = 0,
    cursor: Cursor = None,
) -> CasePage:
    """Cases matching every filter given, most urgent first (or newest), one page at a time.

    Only the cases the caller may see: a case manager's teams, an integration key's payer.
    `total` is counted up to 1,000 (`total_capped`: at least that many); the next page is
    `cursor=next_cursor`."""
    if state is None:
        state = CaseState.ALL if status_ or q else CaseState.OPEN
    filters = CaseFilter(
        status=status_,
        assignee=assignee,
        payer_id=payer,
        regime=regime,
        service_code=service_code,
        due_before=_aware(due_before, "due_before"),
        overdue_as_of=service.utcnow() if overdue else None,
        search=q,
        state=state,
        sort=sort,
    )
    return await service.read(
        engine,
        lambda s: list_cases(
            session=s,
            filters=filters,
            limit=limit,
            offset=offset,
            cursor=cursor,
            scope=actor.scope,
        ),
    )


@router.post(
    "/cases/search", response_model=CasePage, responses={**ERRORS_AUTH, **ERRORS_VALIDATION}
)
async def search_cases_by_member(body: CaseSearch, engine: EngineDep, actor: AnyRole) -> CasePage:
    """Cases by member id and patient name (prefixes), and case number: the terms are PHI, so
    they travel in the body and never in a URL or an access log. Within the caller's scope, in
    the order of the key searched (case number, else member id, else name); page with `cursor`
    as in `GET /cases`."""
    filters = CaseFilter(
        member_id=body.member_id,
        patient_name=body.patient_name,
        search=body.case_number,
        state=body.state,
    )
    if not (body.member_id or body.patient_name or body.case_number):
        raise service.ServiceError(
            422,
            "invalid request: give member_id, patient_name or case_number",
            [FieldError(field="patient_name", message="give at least one search term")],
        )
    return await service.read(
        engine,
        lambda s: list_cases(
            session=s, filters=filters, limit=body.limit, cursor=body.cursor, scope=actor.scope
        ),
    )


@router.get(
    "/cases/{case_id}",
    response_model=CaseDetail,
    responses={**ERRORS_AUTH, **ERRORS_NOT_FOUND},
)
async def get_case(access: AnyRoleCase, engine: EngineDep, request: Request) -> CaseDetail:
    """The case from the store (request, decisions, deadlines with citations, appeals, tasks,
    letters, contact log) plus the workflow's live status when Temporal answers.

    Carries PHI: the read is recorded (who, which case, when, this route)."""
    return await service.case_detail(
        engine=engine,
        client=request.app.state.temporal,
        case_id=access.case_id,
        reader=service.Reader.of(access.actor, request),
    )


@router.get(
    "/cases/{case_id}/timeline",
    response_model=Timeline,
    responses={**ERRORS_AUTH, **ERRORS_NOT_FOUND},
)
async def case_timeline(access: AnyRoleCase, engine: EngineDep, request: Request) -> Timeline:
    """Every audit event of the case, in order: who did what, when, why and under which rule.

    Notes and contact summaries are free text that may name the patient: the read is recorded."""
    case_id = access.case_id
    events = await service.read(engine, lambda s: store_audit.timeline(session=s, case_id=case_id))
    await service.record_phi_read(engine, service.Reader.of(access.actor, request), case_id)
    return Timeline(case_id=case_id, events=events)


def _aware(moment: datetime | None, field: str) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        raise service.ServiceError(
            422,
            f"invalid request: {field}: give a time zone (e.g. 2026-12-01T00:00:00Z)",
            [FieldError(field=field, message="give a time zone (e.g. 2026-12-01T00:00:00Z)")],
        )
    return moment


@router.post(
    "/cases/{case_id}/renew",
    status_code=status.HTTP_201_CREATED,
    response_model=CaseOpened,
    responses={
        **ERRORS_AUTH,
        **ERRORS_NOT_FOUND,
        **ERRORS_CONFLICT,
        **ERRORS_UNAVAILABLE,
        200: {"model": CaseOpened, "description": "The case was renewed already: that renewal"},
    },
)
async def renew_case(
    access: StaffCase,
    response: Response,
    engine: EngineDep,
    client: TemporalDep,
    settings: SettingsDep,
) -> CaseOpened:
    """Renew the authorization: open the linked concurrent-review case that asks again for the
    granted items from the day after the authorization ends (same coverage, providers,
    diagnoses and evidence). Once per case: asking again returns that renewal (200). 409 when
    nothing was authorized."""
    opened = await renewals.renew(engine=engine, client=client, settings=settings, access=access)
    if not opened.created:
        response.status_code = status.HTTP_200_OK
    return opened
