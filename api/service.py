"""Orchestration behind the routes: open a case (store row, then workflow), forward actions to
the workflow as Updates, and read a case back from the store and the workflow.

Routes stay thin: they authenticate, parse and call one function here. Persistence is the
store's (`store.*` functions, run in a worker thread because they are synchronous); the process
is the workflow's. Every failure a client can act on is a `ServiceError` with the HTTP status,
a reason and, for input problems, the fields.

Opening a case is made safe to retry: the case id is derived from the caller's Idempotency-Key,
`create_case` returns the stored case for the same id and request, and the workflow is started
with the id-conflict policy USE_EXISTING, so a retry after a partial failure (row written,
workflow not yet started) completes the case instead of duplicating it.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import structlog
from fastapi import Request
from pydantic import BaseModel, ValidationError
from sqlalchemy.engine import Engine
from sqlmodel import Session
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode
from temporalio.workflow import UpdateMethodMultiParam

from api.errors import FieldError, pydantic_error_body
from api.schemas import CaseDetail, CaseOpened, LetterSummary
from api.security import Actor
from config.logging import get_logger
from config.settings import Role, Settings
from domain.case.facts import CaseFacts, CaseOptions
from domain.case.messages import PayerDecisionInput, PayerExtensionInput
from domain.case.views import AppealView, CaseView
from domain.models import PriorAuthRequest
from domain.peer_to_peer import PeerToPeerWindow
from store import appeals as store_appeals
from store import cases as store_cases
from store import contacts as store_contacts
from store import deadlines as store_deadlines
from store import letters as store_letters
from store import payer_directory as directory
from store import phi_reads as store_phi_reads
from store import tasks as store_tasks
from store.database import read_session, transaction
from store.errors import IdempotencyConflictError, NotFoundError
from store.records import CaseSummary, LetterRecord
from store.transitions import TransitionWrites
from workflows.appeal import AppealWorkflow
from workflows.constants import AppealQuery, CaseQuery, appeal_workflow_id, case_workflow_id
from workflows.prior_auth import PriorAuthWorkflow
from workflows.start import start_case, start_facts

log = get_logger("priorauth.api")

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)
QUERY_TIMEOUT = timedelta(seconds=3)


class ServiceError(Exception):
    """An outcome the client can act on: HTTP status, reason, and the fields at fault."""

    def __init__(self, status: int, detail: str, errors: list[FieldError] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = errors or []


def not_found(kind: str, key: object) -> ServiceError:
    return ServiceError(404, f"{kind} {key} not found")


def utcnow() -> datetime:
    return datetime.now(UTC)


async def read(engine: Engine, work: Callable[[Session], T]) -> T:
    """Run `work` in a read-only session on a worker thread (store calls are synchronous)."""

    def run() -> T:
        with read_session(engine) as session:
            return work(session)

    try:
        return await asyncio.to_thread(run)
    except NotFoundError as exc:
        raise not_found(exc.kind, exc.key) from None


async def write(engine: Engine, work: Callable[[Session], T]) -> T:
    """Run `work` in one transaction (one commit) on a worker thread."""

    def run() -> T:
        with transaction(engine) as session:
            return work(session)

    try:
        return await asyncio.to_thread(run)
    except NotFoundError as exc:
        raise not_found(exc.kind, exc.key) from None


# ---------------------------------------------------------------- opening a case


def case_id_for(actor: Actor, idempotency_key: str | None) -> str:
    """An opaque case id: derived from (caller, Idempotency-Key) when given, else random.

    Scoped by the caller so two clients that happen to pick the same key get two cases.
    """
    if idempotency_key:
        digest = hashlib.sha256(f"{actor.name}\n{idempotency_key}".encode()).hexdigest()
        return "c" + digest[:24]
    return "c" + uuid.uuid4().hex[:24]


@dataclass(frozen=True)
class CaseSource:
    """How the case came in, for the audit event (`api`, `pas`)."""

    channel: str
    summary: str


API_SOURCE = CaseSource("api", "Case opened through the API")
PAS_SOURCE = CaseSource("pas", "Case opened from a PAS Claim/$submit bundle")
WEB_SOURCE = CaseSource("web", "Case opened from the web workspace's new-case form")


async def open_case(
    *,
    engine: Engine,
    client: Client,
    settings: Settings,
    request: PriorAuthRequest,
    actor: Actor,
    case_id: str,
    assignee: str | None,
    source: CaseSource = API_SOURCE,
    team: str | None = None,
) -> CaseOpened:
    """Write the case (PHI stays in the store) and start its workflow; safe to repeat.

    Everything the workflow start needs is validated first: a request the workflow could not
    take is a 422 naming the field, and nothing is stored."""
    received_at = utcnow()
    facts = workflow_facts(case_id, request, received_at, assignee)
    team = case_team(actor, team)

    def create(session: Session) -> tuple[CaseSummary, bool, PeerToPeerWindow | None]:
        try:
            store_cases.get_case_summary(session=session, case_id=case_id)
            existed = True
        except NotFoundError:
            existed = False
        try:
            store_cases.create_case(
                session=session,
                case_id=case_id,
                request=request,
                received_at=received_at,
                assignee=assignee,
                team=team,
            )
        except IdempotencyConflictError:
            raise ServiceError(
                409,
                "this Idempotency-Key already opened a case with a different request; "
                "use a new key for a new case",
            ) from None
        with TransitionWrites(session.connection()) as writes:
            writes.append_event_once(
                idempotency_key=f"case-{case_id}:api:opened",
                action="case_created",
                actor=actor.audit_name,
                summary=source.summary,
                case_id=case_id,
                details={"channel": source.channel},
            )
        # The payer's peer-to-peer policy goes with the workflow's facts (read once, here).
        window = directory.peer_to_peer_window(session, facts.payer_id, facts.regime)
        summary = store_cases.get_case_summary(session=session, case_id=case_id)
        return summary, not existed, window

    summary, created, window = await write(engine, create)
    if (summary.received_at, summary.assignee) != (received_at, assignee):
        # A replay of a stored case: its workflow starts from what was stored.
        facts = workflow_facts(case_id, request, summary.received_at, summary.assignee)
    facts = facts.model_copy(update={"peer_to_peer_window": window})
    try:
        await start_case(
            client,
            facts,
            task_queue=settings.task_queue,
            options=CaseOptions(polling=settings.polling),
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
    except WorkflowAlreadyStartedError:
        pass  # the case ran and closed already: a late replay of the same request
    except RPCError as exc:
        log.warning("workflow_start_failed", case_id=case_id, status=exc.status.name)
        raise ServiceError(
            503,
            f"case {case_id} is stored but its workflow could not start; "
            "retry with the same Idempotency-Key to finish opening it",
        ) from None
    log.info("case_opened", case_id=case_id, created=created, channel=source.channel)
    return CaseOpened(
        case_id=case_id,
        case_number=summary.case_number,
        workflow_id=case_workflow_id(case_id),
        status=summary.status.value,
        created=created,
    )


def workflow_facts(
    case_id: str, request: PriorAuthRequest, received_at: datetime, assignee: str | None
) -> CaseFacts:
    """The case workflow's input facts, or a 422 naming the field the workflow cannot take."""
    try:
        return start_facts(case_id, request, received_at, assignee)
    except ValidationError as exc:
        errors = []
        for error in pydantic_error_body(exc).errors:
            head, _, rest = error.field.partition(".")
            field = ".".join(p for p in (_FACT_FIELDS.get(head, head), rest) if p)
            errors.append(FieldError(field=field, message=error.message))
        summary = "; ".join(f"{e.field}: {e.message}" for e in errors[:5])
        raise ServiceError(422, f"invalid request: {summary}", errors) from None


# Where a workflow fact comes from in the request body (the same name where not listed).
_FACT_FIELDS = {
    "payer_id": "coverage.payer.payer_id",
    "payer_timezone": "coverage.payer.timezone",
    "lines": "service_lines",
    "state": "coverage.state",
    "rating_period_start": "coverage.rating_period_start",
    "appeal_levels": "coverage.appeal_levels",
    "regime": "coverage.regime",
    "case_id": "Idempotency-Key",
}


def case_team(actor: Actor, requested: str | None) -> str:
    """The team a new case goes to: the one asked for, which must be one of the caller's own
    (UR staff and admins may name any team), else the caller's first team."""
    if requested is None:
        return actor.teams[0]
    if requested not in actor.teams and actor.role not in (Role.UR_STAFF, Role.ADMIN):
        message = f"not one of your teams ({', '.join(actor.teams)})"
        raise ServiceError(
            403, f"team {requested!r} is {message}", [FieldError(field="team", message=message)]
        )
    return requested


def default_assignee(actor: Actor, requested: str | None) -> str | None:
    """Cases a case manager opens land on their own queue unless they name someone."""
    if requested:
        return requested
    return actor.name if actor.role == Role.CASE_MANAGER else None


# ---------------------------------------------------------------- reading a case


def letter_summary(record: LetterRecord) -> LetterSummary:
    return LetterSummary(
        letter_id=record.letter_id,
        case_id=record.case_id,
        kind=record.kind,
        template_version=record.template_version,
        content_type=record.content_type,
        size_bytes=record.size_bytes,
        checksum_sha256=record.checksum_sha256,
        created_at=record.created_at,
        signed_off_at=record.signed_off_at,
        signed_off_by=record.signed_off_by,
        download_url=f"/api/v1/cases/{record.case_id}/letters/{record.letter_id}",
    )


async def live_view(client: Client | None, case_id: str) -> tuple[CaseView | None, str | None]:
    """The workflow's status query, or why it could not be had (never raises)."""
    if client is None:
        return None, "Temporal is unreachable"
    handle = client.get_workflow_handle(case_workflow_id(case_id))
    try:
        # rpc_timeout, not asyncio.wait_for: a cancelled query can take long to unwind.
        view = await handle.query(CaseQuery.STATUS, result_type=CaseView, rpc_timeout=QUERY_TIMEOUT)
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            return None, "no workflow for this case"
        if exc.status in (RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED):
            return None, "the workflow did not answer in time"
        return None, f"Temporal error: {exc.status.name}"
    except Exception as exc:  # a query failure must not break reading the store
        return None, f"query failed: {type(exc).__name__}"
    return view, None


@dataclass(frozen=True)
class Reader:
    """Who reads PHI and through what: the actor and the request (route template, request id)."""

    actor: Actor
    route: str
    request_id: str | None

    @classmethod
    def of(cls, actor: Actor, request: Request) -> Reader:
        route = request.scope.get("route")
        template = getattr(route, "path", None) or request.url.path
        # The id the request's log lines carry (the middleware binds it; the client may set it).
        request_id = structlog.contextvars.get_contextvars().get("request_id")
        return cls(actor, f"{request.method} {template}", request_id)


async def record_phi_read(engine: Engine, reader: Reader, *case_ids: str) -> None:
    """Record that `reader` is being shown these cases' PHI (one INSERT, committed) before the
    response leaves: if it cannot be recorded, the PHI is not sent."""
    await asyncio.to_thread(
        store_phi_reads.record_reads_now,
        engine,
        actor=reader.actor.audit_name,
        case_ids=case_ids,
        route=reader.route,
        request_id=reader.request_id,
    )


async def case_detail(
    *, engine: Engine, client: Client | None, case_id: str, reader: Reader
) -> CaseDetail:
    """The case as the store has it plus the live status; the read is recorded (PHI)."""

    async def load_and_record() -> CaseDetail:
        detail = await read(engine, load)
        await record_phi_read(engine, reader, case_id)
        return detail

    def load(session: Session) -> CaseDetail:
        case = store_cases.get_case(session=session, case_id=case_id)
        return CaseDetail(
            summary=store_cases.get_case_summary(session=session, case_id=case_id),
            request=case.request,
            decisions=case.decisions,
            deadlines=store_deadlines.list_deadlines(session=session, case_id=case_id),
            appeals=store_appeals.list_appeals(session=session, case_id=case_id),
            tasks=store_tasks.list_tasks(session=session, case_id=case_id),
            letters=[
                letter_summary(letter)
                for letter in store_letters.list_letters(session=session, case_id=case_id)
            ],
            contacts=store_contacts.list_contacts(session=session, case_id=case_id),
            workflow_id=case_workflow_id(case_id),
        )

    detail, (view, problem) = await asyncio.gather(load_and_record(), live_view(client, case_id))
    return detail.model_copy(update={"live": view, "live_error": problem})


async def require_case(engine: Engine, case_id: str) -> CaseSummary:
    return await read(engine, lambda s: store_cases.get_case_summary(session=s, case_id=case_id))


# ---------------------------------------------------------------- actions as Updates


def _rejection(exc: WorkflowUpdateFailedError) -> str:
    cause = exc.cause
    if isinstance(cause, ApplicationError):
        return cause.message
    return str(cause) or type(cause).__name__


# A typed reference to an Update taking M (`PriorAuthWorkflow.add_note`): the message type is
# checked; the result is the view the workflow's Updates return.
UpdateMethod = UpdateMethodMultiParam[[Any, M], Any]


def case_handle(client: Client, case_id: str) -> WorkflowHandle[PriorAuthWorkflow, CaseView]:
    return client.get_workflow_handle_for(PriorAuthWorkflow.run, case_workflow_id(case_id))


def appeal_handle(
    client: Client, case_id: str, appeal_number: int
) -> WorkflowHandle[AppealWorkflow, Any]:
    return client.get_workflow_handle_for(
        AppealWorkflow.run, appeal_workflow_id(case_id, appeal_number)
    )


async def update_case(
    *,
    engine: Engine,
    client: Client,
    case_id: str,
    update: UpdateMethod[M],
    arg: M,
    update_id: str | None = None,
) -> CaseView:
    """Send one Update to the case workflow; its validator decides whether the case accepts it.

    404: no such case; 409: the workflow refused (the reason is the validator's) or the case's
    workflow has ended. `update_id` (from the Idempotency-Key) makes a retried call a no-op.
    """
    await require_case(engine, case_id)
    handle = case_handle(client, case_id)
    view: CaseView = await execute(handle, update, arg, update_id, f"case {case_id}")
    return view


async def update_appeal(
    *,
    engine: Engine,
    client: Client,
    case_id: str,
    appeal_number: int,
    update: UpdateMethod[M],
    arg: M,
    update_id: str | None = None,
) -> AppealView:
    """Send one Update to an appeal workflow of the case (as `update_case`)."""
    await require_case(engine, case_id)
    handle = appeal_handle(client, case_id, appeal_number)
    what = f"appeal {appeal_number} of case {case_id}"
    view: AppealView = await execute(handle, update, arg, update_id, what)
    return view


async def execute(
    handle: WorkflowHandle[Any, Any],
    update: UpdateMethod[M],
    arg: M,
    update_id: str | None,
    what: str,
) -> Any:
    """Execute a typed Update; the workflow's refusal is a 409 with its validator's reason."""
    try:
        value = await handle.execute_update(update, arg, id=update_id)
    except WorkflowUpdateFailedError as exc:
        raise ServiceError(409, f"{what} refused the action: {_rejection(exc)}") from None
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise ServiceError(
                409, f"{what} is closed: its workflow no longer takes actions"
            ) from None
        if exc.status in (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED):
            raise ServiceError(503, "Temporal is unreachable; try again") from None
        raise
    return value


def update_id_for(actor: Actor, action: str, idempotency_key: str | None) -> str | None:
    if not idempotency_key:
        return None
    digest = hashlib.sha256(f"{actor.name}\n{idempotency_key}".encode()).hexdigest()[:24]
    return f"api-{action}-{digest}"


async def letter_awaiting_sign_off(client: Client, case_id: str, appeal_number: int) -> str:
    """The letter the appeal waits on (404 without the appeal, 409 when it waits on none)."""
    handle = appeal_handle(client, case_id, appeal_number)
    try:
        current: AppealView = await handle.query(AppealQuery.STATUS, result_type=AppealView)
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise not_found("appeal", f"{appeal_number} of case {case_id}") from None
        raise
    if current.letter_id is None:
        raise ServiceError(
            409, f"appeal {appeal_number} of case {case_id} has no letter awaiting sign-off"
        )
    return current.letter_id


async def mark_signed_off(engine: Engine, letter_id: str, actor: str) -> None:
    """The store keeps who signed which document; the workflow id of the letter may differ
    from the stored one, so only a matching stored letter is marked."""

    def mark(session: Session) -> None:
        try:
            store_letters.sign_off_letter(session=session, letter_id=letter_id, signed_off_by=actor)
        except NotFoundError:
            return

    await write(engine, mark)


# ---------------------------------------------------------------- payer input


@dataclass(frozen=True)
class DecisionOutcome:
    view: CaseView
    duplicate: bool


async def record_receipt(
    engine: Engine, case_id: str, key: str, action: str, actor: str, summary: str, **details: str
) -> None:
    """The audit event saying who delivered a payer message (the workflow records its effect)."""

    def append(session: Session) -> None:
        with TransitionWrites(session.connection()) as writes:
            writes.append_event_once(
                idempotency_key=f"case-{case_id}:api:{key}",
                action=action,
                actor=actor,
                summary=summary,
                case_id=case_id,
                details=details,
            )

    await write(engine, append)


async def deliver_payer_decision(
    *,
    engine: Engine,
    client: Client,
    case_id: str,
    arg: PayerDecisionInput,
    actor: str,
    channel: str,
) -> DecisionOutcome:
    """Apply a payer decision through the workflow; the same decision id again is a no-op.

    The Update id is the message's `update_id()` on every channel (webhook, PAS notification,
    manual entry, the worker's own gateway), so Temporal itself drops a second delivery too.
    """
    decision_id = arg.decision.decision_id
    before, _ = await live_view(client, case_id)
    duplicate = before is not None and decision_id in before.decision_ids
    view = await update_case(
        engine=engine,
        client=client,
        case_id=case_id,
        update=PriorAuthWorkflow.record_payer_decision,
        arg=arg,
        update_id=arg.update_id(),
    )
    if not duplicate:
        await record_receipt(
            engine,
            case_id,
            f"decision:{decision_id}",
            "payer_decision_received",
            actor,
            f"Payer decision {decision_id} received ({channel})",
            decision_id=decision_id,
            channel=channel,
        )
    return DecisionOutcome(view=view, duplicate=duplicate)


async def apply_payer_decision(
    *,
    engine: Engine,
    client: Client,
    case_id: str,
    arg: PayerDecisionInput,
    actor: str,
    channel: str,
) -> CaseView:
    outcome = await deliver_payer_decision(
        engine=engine, client=client, case_id=case_id, arg=arg, actor=actor, channel=channel
    )
    return outcome.view


async def apply_payer_extension(
    *, engine: Engine, client: Client, case_id: str, arg: PayerExtensionInput, actor: str
) -> CaseView:
    view = await update_case(
        engine=engine,
        client=client,
        case_id=case_id,
        update=PriorAuthWorkflow.record_payer_extension,
        arg=arg,
        update_id=arg.update_id(),
    )
    await record_receipt(
        engine,
        case_id,
        f"extension:{arg.notice_id}",
        "payer_extension_received",
        actor,
        f"Payer extension notice {arg.notice_id} received",
        notice_id=arg.notice_id,
    )
    return view
