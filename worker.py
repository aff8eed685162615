"""The priorauth Temporal worker: case and appeal workflows plus every activity, one task queue.

`python worker.py` runs store migrations, connects with the shared data converter and serves
until SIGINT/SIGTERM, then shuts down gracefully (in-flight activities get
`graceful_shutdown_timeout` to finish). `make_worker` builds the same worker around injected
dependencies for tests and the `priorauth dev` launcher.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import Engine
from temporalio.client import Client, WorkflowUpdateStage
from temporalio.service import RPCError, RPCStatusCode
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.case_store import CaseRecorder, CaseStoreActivities
from activities.deadlines import DeadlineActivities
from activities.letters import LetterActivities, LetterRenderer
from activities.notify import NotifyActivities
from activities.payer import PayerActivities
from config.logging import configure_logging
from config.payer_channel import PayerChannel
from config.readiness import ServerRole, exit_unless_ready, require_production_ready
from config.settings import Settings, get_settings
from config.temporal import connect, data_converter
from domain.case.facts import CaseOptions
from domain.case.messages import AppealDecisionInput, PayerDecisionInput
from domain.case.vocabulary import AppealOutcome
from domain.deadlines import DeadlineQuery, DeadlineResult, compute_deadline
from domain.models import PayerDecision, RequestForInformation
from domain.payer_gateway import PayerGateway
from integrations.simulated_payer import SimulatedPayer
from workflows.appeal import AppealWorkflow
from workflows.constants import appeal_workflow_id, case_workflow_id
from workflows.prior_auth import PriorAuthWorkflow

log = structlog.stdlib.get_logger("priorauth.worker")

GRACEFUL_SHUTDOWN = timedelta(seconds=30)
WORKFLOWS: list[type] = [PriorAuthWorkflow, AppealWorkflow]
# Production: the sandbox restricts non-deterministic builtins but does not re-execute our
# workflow modules (nor their `@workflow.defn` processing) for every run; recompiling them per
# case would cost the worker about as much CPU as a whole bare workflow (docs/workflows.md,
# "Sandbox"). They hold no module state and are checked by the determinism lint, the replay of
# committed histories and the tests, which run them under `STRICT_WORKFLOW_RUNNER`.
# Nothing that reads the holiday calendar runs in a workflow: `holidays` reads its translation
# catalogue and the clock when it builds a year, which the sandbox forbids; clocks come from the
# deadline activities.
WORKFLOW_RUNNER = SandboxedWorkflowRunner(
    restrictions=SandboxRestrictions.default.with_passthrough_modules("workflows")
)
# Tests: the workflow modules run in the sandbox (re-imported per run, every call checked); only
# `domain` (pure), the activities' models and method references and the workflows' pure
# declarations are passed through.
STRICT_WORKFLOW_RUNNER = SandboxedWorkflowRunner(
    restrictions=SandboxRestrictions.default.with_passthrough_modules(
        "domain", "activities", "workflows.models", "workflows.constants"
    )
)


class TemporalDecisionSink:
    """Delivers payer responses as Updates on the case (or appeal) workflow, like a webhook.

    A delivery returns once the workflow has *accepted* the Update (the server has it in the
    history), not when it has applied it: a gateway hands over a synchronous answer from
    inside the submit activity, and the case workflow holds its lock until that activity
    returns, so waiting for the Update to complete there would deadlock. Accepted first, the
    answer survives a worker killed right after the submission: the activity completes only
    once its answer is durable, and a failed delivery (the server unreachable) fails the
    activity, whose retry delivers again. The Update id (the message's `update_id()`, the same
    the API gives the same decision) makes a repeated delivery a no-op.
    """

    def __init__(self, client: Client) -> None:
        self.client = client

    async def payer_decision(
        self, case_id: str, decision: PayerDecision, rfi: RequestForInformation | None
    ) -> None:
        handle = self.client.get_workflow_handle_for(
            PriorAuthWorkflow.run, case_workflow_id(case_id)
        )
        message = PayerDecisionInput(decision=decision, information_request=rfi)
        await self._accepted(
            handle.start_update(
                PriorAuthWorkflow.record_payer_decision,
                message,
                id=message.update_id(),
                wait_for_stage=WorkflowUpdateStage.ACCEPTED,
            ),
            "payer_decision_rejected",
            case_id,
        )

    async def appeal_decision(
        self,
        case_id: str,
        level_number: int,
        decision_id: str,
        outcome: AppealOutcome,
        decided_at: datetime,
        note: str | None,
    ) -> None:
        handle = self.client.get_workflow_handle_for(
            AppealWorkflow.run, appeal_workflow_id(case_id, level_number)
        )
        message = AppealDecisionInput(
            decision_id=decision_id, outcome=outcome, decided_at=decided_at, note=note
        )
        await self._accepted(
            handle.start_update(
                AppealWorkflow.record_appeal_decision,
                message,
                id=message.update_id(),
                wait_for_stage=WorkflowUpdateStage.ACCEPTED,
            ),
            "appeal_decision_rejected",
            case_id,
        )

    @staticmethod
    async def _accepted(start: Awaitable[object], rejected: str, case_id: str) -> None:
        """Wait for the Update to be accepted (or refused by its validator: then it completes
        at once, as a failure, and nothing changed on the case)."""
        try:
            await start
        except RPCError as exc:
            if exc.status != RPCStatusCode.NOT_FOUND:
                raise
            log.warning(rejected, case_id=case_id, reason="workflow closed")


def activities_for(
    *,
    recorder: CaseRecorder,
    gateway: PayerGateway,
    renderer: LetterRenderer,
    compute: Callable[[DeadlineQuery], DeadlineResult] = compute_deadline,
) -> list[Callable[..., Any]]:
    store = CaseStoreActivities(recorder)
    payer = PayerActivities(gateway, recorder)
    deadlines = DeadlineActivities(compute)
    return [
        store.record_transition,
        deadlines.compute_deadline,
        deadlines.peer_to_peer_window_due,
        payer.submit_to_payer,
        payer.inquire_payer,
        LetterActivities(renderer, recorder).render_letter,
        NotifyActivities(recorder).escalate,
    ]


def make_worker(
    client: Client,
    *,
    task_queue: str,
    engine: Engine | None = None,
    recorder: CaseRecorder | None = None,
    gateway: PayerGateway | None = None,
    renderer: LetterRenderer | None = None,
    compute: Callable[[DeadlineQuery], DeadlineResult] = compute_deadline,
    executor: ThreadPoolExecutor | None = None,
    graceful_shutdown_timeout: timedelta = GRACEFUL_SHUTDOWN,
    workflow_runner: SandboxedWorkflowRunner = WORKFLOW_RUNNER,
) -> Worker:
    """A worker for both workflows and all activities on `task_queue`.

    Give `engine` (the sqlmodel store) or a `recorder` (tests); the gateway defaults to the
    simulated payer answering through this client, the renderer to the `letters` package.
    """
    if recorder is None:
        if engine is None:
            raise ValueError("make_worker needs an engine or a recorder")
        from activities.store_recorder import StoreRecorder

        recorder = StoreRecorder(engine)
    if renderer is None:
        from activities.letters_renderer import LettersPackageRenderer

        renderer = LettersPackageRenderer()
    if gateway is None:
        gateway = SimulatedPayer(TemporalDecisionSink(client))
    return Worker(
        client,
        task_queue=task_queue,
        workflows=WORKFLOWS,
        activities=activities_for(
            recorder=recorder, gateway=gateway, renderer=renderer, compute=compute
        ),
        activity_executor=executor or ThreadPoolExecutor(max_workers=16),
        graceful_shutdown_timeout=graceful_shutdown_timeout,
        workflow_runner=workflow_runner,
    )


def gateway_for(
    settings: Settings, sink: TemporalDecisionSink, engine: Engine | None = None
) -> PayerGateway:
    """The payer channel from settings (`PRIORAUTH_PAYER_CHANNEL`, config.payer_channel).

    `pas` and `sandbox` send requests by Da Vinci PAS (to the payer, or to the sandbox payer of
    `priorauth dev`), `clearinghouse` and `sandbox-clearinghouse` by X12 278 through a
    clearinghouse (runtime.clearinghouse; its trace ledger needs `engine`), and appeals by
    letter; `simulated` answers everything in process. With a clearinghouse configured beside a
    PAS channel, payers whose directory line says `clearinghouse` go to it
    (PRIORAUTH_ROUTE_BY_DIRECTORY). The channels that reach no payer are refused outside dev
    and test.
    """
    require_production_ready(settings, ServerRole.WORKER)
    channel = settings.effective_payer_channel
    if channel is PayerChannel.SIMULATED:
        return SimulatedPayer(sink)
    from integrations.pas.gateway import PasGateway
    from integrations.routing import DirectoryRoutingGateway, ManualAppealChannel, RoutingGateway
    from runtime.clearinghouse import clearinghouse_gateway, directory_channel

    clearinghouse = clearinghouse_gateway(settings, sink, engine)
    requests: PayerGateway
    if channel is not None and channel.is_clearinghouse:
        assert clearinghouse is not None  # require_production_ready checked the URL
        requests = clearinghouse
    else:
        if channel is PayerChannel.SANDBOX:
            base_url = settings.sandbox_payer_url
        elif channel is PayerChannel.PAS and settings.pas_base_url:
            base_url = settings.pas_base_url
        else:  # require_production_ready refused every other combination
            raise AssertionError(f"no gateway for payer channel {channel}")
        requests = PasGateway(base_url, submitter_id=settings.pas_submitter_id, sink=sink)
        if clearinghouse is not None and engine is not None:
            requests = DirectoryRoutingGateway(requests, clearinghouse, directory_channel(engine))
    # In dev the simulated payer answers appeals, so the whole flow runs on one machine.
    appeals: PayerGateway = (
        SimulatedPayer(sink) if settings.environment == "dev" else ManualAppealChannel()
    )
    return RoutingGateway(requests, appeals)


def start_reconciler(
    settings: Settings, client: Client, engine: Engine, stop: asyncio.Event
) -> asyncio.Task[None] | None:
    """The reconciler loop (`runtime.reconcile`) in the background, unless turned off."""
    if settings.reconcile_interval_seconds <= 0:
        return None
    from runtime.reconcile import reconcile_forever

    return asyncio.get_running_loop().create_task(
        reconcile_forever(
            client,
            engine,
            task_queue=settings.task_queue,
            interval=timedelta(seconds=settings.reconcile_interval_seconds),
            grace=timedelta(seconds=settings.reconcile_grace_seconds),
            batch=settings.reconcile_batch_size,
            stop=stop,
            # Started as the API starts them (api.service.open_case).
            options=CaseOptions(polling=settings.polling),
        )
    )


async def run_worker(settings: Settings | None = None) -> None:
    """Check the settings, migrate the store (or check it is migrated), connect, serve until
    SIGINT/SIGTERM, then drain and stop. Raises `NotProductionReadyError` before touching
    anything when the settings cannot run a real worker."""
    settings = settings or get_settings()
    require_production_ready(settings, ServerRole.WORKER)
    configure_logging(settings.log_level, settings.log_format)
    from store.database import make_engine
    from store.migrate import prepare_schema

    url = settings.resolved_database_url
    if url.startswith("sqlite:///"):
        from pathlib import Path

        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    prepare_schema(
        url,
        migrate=settings.effective_migrate_on_start,
        migration_url=settings.migration_database_url,
        runtime_role=settings.database_runtime_role,
    )
    engine = make_engine(url)
    client = await connect(settings, data_converter(settings))
    sink = TemporalDecisionSink(client)
    worker = make_worker(
        client,
        task_queue=settings.task_queue,
        engine=engine,
        gateway=gateway_for(settings, sink, engine),
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    log.info(
        "worker_started", task_queue=settings.task_queue, namespace=settings.temporal_namespace
    )
    async with worker:
        reconciler = start_reconciler(settings, client, engine, stop)
        from runtime.clearinghouse import start_inbound_poller

        mailbox = start_inbound_poller(settings, sink, engine, stop)
        await stop.wait()
        log.info("worker_stopping")
        for task in (reconciler, mailbox):
            if task is not None:
                await task
    engine.dispose()
    log.info("worker_stopped")


if __name__ == "__main__":
    from store.migrate import exit_unless_schema_ready

    settings = get_settings()
    exit_unless_ready(settings, ServerRole.WORKER)
    exit_unless_schema_ready(
        settings.resolved_database_url, migrate=settings.effective_migrate_on_start
    )
    asyncio.run(run_worker(settings))
