"""The reconciler: every stored case gets its workflow, however its opening was interrupted.

Opening a case commits the case, then starts its workflow. A crash, a Temporal outage or a lost
answer between the two leaves a case stored with no workflow; the API tells its caller to retry,
but a caller may never come back. The worker therefore runs `reconcile_forever`: at start and
every `reconcile_interval_seconds`, one pass over the cases whose workflow is not known to exist
(`store.unstarted`: the marker `cases.workflow_started_at` is NULL, a partial index) and that are
older than `reconcile_grace_seconds` (an opening still under way is left to its caller):

- a case past `opened` has had a workflow writing to it: it is only marked;
- an `opened` case is started exactly as the API starts it (`workflows.start.start_case`, the
  same facts from the stored request), with id-conflict USE_EXISTING (a running workflow is
  left as it is) and id-reuse REJECT_DUPLICATE (a closed one is never run again: Temporal
  answers WorkflowAlreadyStarted and the case is only marked);
- a stored request the workflow cannot take (it would fail again at every pass) gets one UR
  task saying so, and stays unmarked.

Not workflow code: it runs in the worker process, next to the Temporal worker. Several workers
may reconcile at once; the idempotent start makes that harmless. Log lines carry case ids only.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import structlog
from pydantic import ValidationError
from sqlalchemy import Engine
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from domain.case.facts import CaseFacts, CaseOptions
from domain.case.vocabulary import CaseStatus, TaskKind
from domain.errors import field_problems
from domain.escalation import TaskQueue
from domain.models import PriorAuthRequest
from store import payer_directory as directory
from store.database import connection_transaction, read_session
from store.errors import NotFoundError
from store.transitions import TransitionWrites
from store.unstarted import UnstartedCase, mark_started, unstarted_cases
from workflows.start import start_case, start_facts

log = structlog.stdlib.get_logger("priorauth.reconcile")

DEFAULT_BATCH = 200
# Starts in flight at once: enough to clear a backlog quickly, few enough for the frontend.
CONCURRENT_STARTS = 8


@dataclass
class ReconcilePass:
    """What one pass did: workflows started, cases only marked, cases left unstarted."""

    started: int = 0
    marked: int = 0
    unstartable: int = 0
    failed: int = 0


class _TemporalDownError(Exception):
    """Temporal did not answer a start: the pass ends, the next one tries again."""


_KNOWN = ("started", "marked")


async def reconcile_once(
    client: Client,
    engine: Engine,
    *,
    task_queue: str,
    grace: timedelta = timedelta(seconds=30),
    batch: int = DEFAULT_BATCH,
    now: datetime | None = None,
    options: CaseOptions | None = None,
) -> ReconcilePass:
    """One pass over the unmarked cases created more than `grace` before `now`."""
    cutoff = (now or datetime.now(UTC)) - grace
    done = ReconcilePass()
    after: tuple[datetime, str] | None = None
    gate = asyncio.Semaphore(CONCURRENT_STARTS)
    while True:
        page = await asyncio.to_thread(_read_page, engine, cutoff, batch, after)
        if not page:
            return done
        after = (page[-1].created_at, page[-1].case_id)
        outcomes = await asyncio.gather(
            *(_reconcile(client, engine, case, task_queue, gate, options) for case in page),
            return_exceptions=True,
        )
        known = [case.case_id for case, o in zip(page, outcomes, strict=True) if o in _KNOWN]
        await asyncio.to_thread(_mark, engine, known)
        for outcome in outcomes:
            if isinstance(outcome, _TemporalDownError):
                done.failed += 1
            elif isinstance(outcome, BaseException):
                raise outcome
            elif outcome == "started":
                done.started += 1
            elif outcome == "marked":
                done.marked += 1
            else:
                done.unstartable += 1
        if done.failed:  # Temporal is unreachable: the next pass tries again
            return done
        if len(page) < batch:
            return done


def _read_page(
    engine: Engine, cutoff: datetime, batch: int, after: tuple[datetime, str] | None
) -> list[UnstartedCase]:
    with read_session(engine) as session:
        return unstarted_cases(
            session.connection(), created_before=cutoff, limit=batch, after=after
        )


def _with_directory(engine: Engine, facts: CaseFacts) -> CaseFacts:
    """As the API starts a case: with the payer's peer-to-peer window from the directory."""
    with read_session(engine) as session:
        window = directory.peer_to_peer_window(session, facts.payer_id, facts.regime)
    return facts.model_copy(update={"peer_to_peer_window": window})


def _mark(engine: Engine, case_ids: list[str]) -> None:
    if case_ids:
        with connection_transaction(engine) as connection:
            mark_started(connection, case_ids, datetime.now(UTC))


async def _reconcile(
    client: Client,
    engine: Engine,
    case: UnstartedCase,
    task_queue: str,
    gate: asyncio.Semaphore,
    options: CaseOptions | None = None,
) -> str:
    """ "started", "marked" (a workflow exists or existed), or "" (left unstarted)."""
    if case.status != CaseStatus.OPENED:
        return "marked"
    try:
        request = PriorAuthRequest.model_validate(case.request)
        facts = start_facts(case.case_id, request, case.received_at, case.assignee)
    except ValidationError as exc:
        fields = sorted({problem.field for problem in field_problems(exc)})
        log.warning("case_unstartable", case_id=case.case_id, fields=fields)
        await asyncio.to_thread(_unstartable_task, engine, case.case_id, fields)
        return ""
    facts = await asyncio.to_thread(_with_directory, engine, facts)
    async with gate:
        try:
            await start_case(
                client,
                facts,
                task_queue=task_queue,
                options=options,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            )
        except WorkflowAlreadyStartedError:
            log.info("case_workflow_closed_already", case_id=case.case_id)
            return "marked"
        except RPCError as exc:
            log.warning("reconcile_start_failed", case_id=case.case_id, status=exc.status.name)
            raise _TemporalDownError from None
    log.info("case_workflow_started", case_id=case.case_id, by="reconciler")
    return "started"


def _unstartable_task(engine: Engine, case_id: str, fields: list[str]) -> None:
    """One UR task per case (idempotent by key): its stored request cannot start a workflow."""
    with connection_transaction(engine) as connection, TransitionWrites(connection) as writes:
        try:
            writes.assignee_of(case_id)  # the case is still there
        except NotFoundError:
            return
        writes.create_task(
            idempotency_key=f"{case_id}:reconcile:unstartable",
            case_id=case_id,
            kind=TaskKind.WORKFLOW_UNSTARTABLE,
            title="Needs attention: the case's workflow cannot start; correct the request",
            queue=TaskQueue.UR.value,
            note=f"fields: {', '.join(fields)}"[:1000],
        )


async def reconcile_forever(
    client: Client,
    engine: Engine,
    *,
    task_queue: str,
    interval: timedelta,
    grace: timedelta,
    stop: asyncio.Event,
    batch: int = DEFAULT_BATCH,
    options: CaseOptions | None = None,
) -> None:
    """A pass now, then one every `interval`, until `stop` is set. A failed pass is logged
    (its error type only) and the next one tries again."""
    while not stop.is_set():
        try:
            done = await reconcile_once(
                client, engine, task_queue=task_queue, grace=grace, batch=batch, options=options
            )
            if done.started or done.marked or done.unstartable or done.failed:
                log.info(
                    "reconcile_pass",
                    started=done.started,
                    marked=done.marked,
                    unstartable=done.unstartable,
                    failed=done.failed,
                )
        except Exception as exc:  # the loop must outlive a database or network hiccup
            log.warning("reconcile_pass_failed", error_type=type(exc).__name__)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval.total_seconds())
