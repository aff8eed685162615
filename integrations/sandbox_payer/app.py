"""A small PAS payer for development and tests: FastAPI, answers by `SandboxScript`.

- `POST /Claim/$submit`: checks the PAS request bundle (a bad one gets 400 + OperationOutcome),
  decides every item by the script and answers with a PAS response bundle. Pended items (A4)
  are decided after `pend_seconds`; the final ClaimResponse is then POSTed to `notify_url` as
  an R4 Subscriptions Backport `full-resource` notification, signed the Standard Webhooks way
  (`webhook-id` / `webhook-timestamp` / `webhook-signature`) when the script has a
  `webhook_secret`; a retry keeps its `webhook-id`. A resent bundle (same
  Bundle.identifier) gets the current answer again; certificationType 3 cancels (review
  action C) and stops pending decisions.
- `POST /Claim/$inquire`: the current state of the request with the same Claim identifier
  (else the member's latest request), as a PAS inquiry response bundle; 404 if unknown.
- `GET /metadata`: a minimal CapabilityStatement, handy as a readiness probe.
- Drill controls (`/sandbox/...`, for fault drills and tests, see docs/security.md, "Fault drills"):
  `GET /sandbox/claims` counts what the payer saw per request (distinct submissions, resent
  posts, inquiries, notifications sent and dropped); `POST /sandbox/claims/{key}/decide` makes
  new decisions without notifying; `POST /sandbox/claims/{key}/notify/{version}` sends (again)
  the notification of any decision it made, old ones included.

Not a real payer: no authentication, state in memory, no Subscription resource management
(it notifies the one `notify_url` it was started with).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from integrations.pas.errors import IssueCode, PasIssue, PasValidationError, operation_outcome
from integrations.pas.fhir import JSON, X12_SERVICE_TYPE, child, children, text
from integrations.pas.intake import parse_pas_request_bundle
from integrations.pas.intake_models import PasIntake, PasItem
from integrations.pas.response_builder import (
    AddedItem,
    ClaimResponseOutcome,
    ClaimResponseSpec,
    CodeSpec,
    ItemResult,
    build_claim_response,
    build_notification_bundle,
    build_response_bundle,
)
from integrations.sandbox_payer.script import (
    PENDING_BEHAVIOURS,
    SandboxBehaviour,
    SandboxRule,
    SandboxScript,
)
from integrations.webhook_signature import sign_headers

FHIR_JSON = "application/fhir+json"


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _short(*parts: object) -> str:
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:8].upper()


@dataclass
class ClaimRecord:
    """One request the sandbox has seen and what it currently says about it."""

    key: str
    intake: PasIntake
    results: list[ItemResult]
    outcome: ClaimResponseOutcome
    created: datetime
    version: int = 1
    final: list[ItemResult] | None = None
    pre_auth_ref: str | None = None
    transactions: set[str] = field(default_factory=set)
    drop_notification: bool = False
    # What the payer saw and sent about this request (the drill controls report it).
    posts: int = 0
    inquiries: int = 0
    notified: int = 0
    dropped: int = 0
    # Every decision made, by version: (item results, when), so any can be notified again.
    decisions: dict[int, tuple[list[ItemResult], datetime]] = field(default_factory=dict)

    def remember(self) -> None:
        self.decisions[self.version] = (list(self.results), self.created)


@dataclass
class Notification:
    url: str
    body: JSON
    status_code: int | None = None
    error: str | None = None


class SandboxState:
    """In-memory state of one sandbox payer app."""

    def __init__(
        self,
        script: SandboxScript,
        notify_url: str | None,
        notify_client: httpx.AsyncClient | None,
        clock: Callable[[], datetime],
    ) -> None:
        self.script = script
        self.notify_url = notify_url
        self.notify_client = notify_client
        self.clock = clock
        self.claims: dict[str, ClaimRecord] = {}
        self.by_transaction: dict[str, str] = {}
        self.notifications: list[Notification] = []
        self.events = 0
        self.tasks: set[asyncio.Task[None]] = set()

    async def wait_idle(self) -> None:
        """Wait until every scheduled pend-then-decide has run and notified (for tests)."""
        while self.tasks:
            await asyncio.gather(*list(self.tasks), return_exceptions=True)

    async def aclose(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)

    def schedule(self, coroutine: Any) -> None:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)


# --- deciding ------------------------------------------------------------------------------


def _window(item: PasItem, today: date, days: int) -> tuple[date, date]:
    start = item.start_date or today
    return start, item.end_date or start + timedelta(days=days)


def _units(item: PasItem) -> int:
    if item.quantity is None or item.quantity < 1:
        return 1
    return round(item.quantity)


def _decide(
    item: PasItem,
    rule: SandboxRule,
    behaviour: SandboxBehaviour,
    *,
    key: str,
    today: date,
    authorized_days: int,
) -> ItemResult:
    code = item.product_or_service
    authorization = f"SBX{item.sequence:03d}-{_short(key, item.index)}"
    start, end = _window(item, today, authorized_days)
    units = _units(item)
    product = CodeSpec(code.code, code.system or X12_SERVICE_TYPE, code.display)
    match behaviour:
        case SandboxBehaviour.APPROVE | SandboxBehaviour.PEND_THEN_APPROVE:
            return ItemResult(
                sequence=item.sequence,
                review_action="A1",
                number=authorization,
                period_start=start,
                period_end=end,
                issue_date=today,
                authorized_quantity=units,
                authorized_code=product,
            )
        case SandboxBehaviour.DENY | SandboxBehaviour.PEND_THEN_DENY:
            return ItemResult(
                sequence=item.sequence,
                review_action="A3",
                number=authorization,
                reason_code=rule.reason_code,
                note=rule.reason,
            )
        case SandboxBehaviour.PARTIAL:
            approved = rule.partial_units or max(1, units // 2)
            return ItemResult(
                sequence=item.sequence,
                review_action="A2",
                number=authorization,
                period_start=start,
                period_end=end,
                issue_date=today,
                authorized_quantity=min(approved, units),
                authorized_code=product,
                note=f"Approved {min(approved, units)} of {units} units requested.",
            )
        case SandboxBehaviour.MODIFIED:
            modified_end = start + timedelta(days=rule.modified_days) if rule.modified_days else end
            modified_code = (
                CodeSpec(rule.modified_code, code.system, None) if rule.modified_code else product
            )
            return ItemResult(
                sequence=item.sequence,
                review_action="A6",
                number=authorization,
                issue_date=today,
                added=AddedItem(
                    product_or_service=modified_code,
                    quantity=rule.modified_units or units,
                    start=start,
                    end=modified_end,
                    number=authorization,
                    note=rule.modification_note,
                ),
            )
        case _:
            return ItemResult(sequence=item.sequence, review_action="A4")


def _response_bundle(record: ClaimRecord, *, inquiry: bool, now: datetime) -> JSON:
    intake = record.intake
    response_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"sandbox:{record.key}:{record.version}"))
    identifiers = [i.to_fhir() for i in intake.claim_identifiers]
    request: JSON | None = (
        {"identifier": intake.claim_identifiers[0].to_fhir()} if intake.claim_identifiers else None
    )
    spec = ClaimResponseSpec(
        id=response_id,
        created=record.created,
        patient={"reference": intake.patient.reference},
        insurer={"reference": intake.insurer.reference},
        requestor={"reference": intake.requester.reference},
        identifiers=identifiers,
        request=request,
        outcome=record.outcome,
        pre_auth_ref=record.pre_auth_ref,
        claim_type=intake.claim_type,
        inquiry=inquiry,
        items=record.results,
    )
    others = [
        (party.full_url or party.reference, party.resource)
        for party in (intake.patient, intake.insurer, intake.requester)
        if party.resource
    ]
    return build_response_bundle(
        build_claim_response(spec),
        claim_response_url=f"urn:uuid:{response_id}",
        others=others,
        timestamp=now,
        bundle_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"sandbox:{record.key}:bundle:{now}")),
        inquiry=inquiry,
    )


def _record_key(intake: PasIntake) -> str:
    if intake.claim_identifiers:
        return intake.claim_identifiers[0].value
    return intake.claim_id or intake.claim_full_url or f"member:{intake.member_id}"


def _fhir_response(content: JSON, status_code: int = 200) -> JSONResponse:
    return JSONResponse(content=content, status_code=status_code, media_type=FHIR_JSON)


def _problem(status_code: int, code: IssueCode, diagnostics: str) -> JSONResponse:
    issue = PasIssue(code=code, diagnostics=diagnostics)
    return _fhir_response(operation_outcome([issue]), status_code)


async def _read_bundle(request: Request) -> object:
    try:
        data: object = json.loads(await request.body())
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    if isinstance(data, dict) and data.get("resourceType") == "Parameters":
        for parameter in children(data, "parameter"):
            if text(parameter, "name") == "resource":
                return child(parameter, "resource")
    return data


# --- the app -------------------------------------------------------------------------------


def create_sandbox_app(
    script: SandboxScript | None = None,
    notify_url: str | None = None,
    *,
    notify_client: httpx.AsyncClient | None = None,
    clock: Callable[[], datetime] = _utcnow,
) -> FastAPI:
    """The sandbox payer as an ASGI app; `app.state.sandbox` is its `SandboxState`.

    `notify_client` sends the notifications (tests pass one bound to an in-process receiver);
    without it each notification uses a short-lived `httpx.AsyncClient`.
    """
    state = SandboxState(script or SandboxScript.default(), notify_url, notify_client, clock)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await state.aclose()

    app = FastAPI(
        title="priorauth sandbox PAS payer",
        description="A scripted Da Vinci PAS payer for development and tests.",
        lifespan=lifespan,
    )
    app.state.sandbox = state

    @app.get("/metadata")
    async def metadata() -> JSONResponse:
        return _fhir_response(
            {
                "resourceType": "CapabilityStatement",
                "status": "active",
                "date": clock().date().isoformat(),
                "kind": "instance",
                "fhirVersion": "4.0.1",
                "format": ["json"],
                "rest": [
                    {
                        "mode": "server",
                        "resource": [
                            {
                                "type": "Claim",
                                "operation": [
                                    {
                                        "name": "submit",
                                        "definition": "http://hl7.org/fhir/us/davinci-pas/"
                                        "OperationDefinition/Claim-submit",
                                    },
                                    {
                                        "name": "inquire",
                                        "definition": "http://hl7.org/fhir/us/davinci-pas/"
                                        "OperationDefinition/Claim-inquiry",
                                    },
                                ],
                            }
                        ],
                    }
                ],
            }
        )

    @app.post("/Claim/$submit")
    async def submit(request: Request) -> JSONResponse:
        data = await _read_bundle(request)
        try:
            intake = parse_pas_request_bundle(data)
        except PasValidationError as exc:
            return _fhir_response(exc.to_operation_outcome(), 400)
        if intake.kind != "submit":
            return _problem(400, "invalid", "this is an inquiry bundle: post it to Claim/$inquire")
        now = state.clock()
        transaction = intake.transaction_identifier.value if intake.transaction_identifier else None
        if transaction is not None and transaction in state.by_transaction:
            record = state.claims[state.by_transaction[transaction]]
            record.posts += 1
            return _fhir_response(_response_bundle(record, inquiry=False, now=now))
        key = _record_key(intake)
        if intake.certification_type == "3":
            return _fhir_response(_cancel(state, key, intake, transaction, now))
        record, delay, hold = _new_record(state, key, intake, now)
        previous = state.claims.get(key)
        if previous is not None:  # the same request submitted again under a new transaction
            record.transactions |= previous.transactions
            record.posts = previous.posts
        record.posts += 1
        if transaction is not None:
            state.by_transaction[transaction] = key
            record.transactions.add(transaction)
        state.claims[key] = record
        if record.final is not None:
            state.schedule(_decide_later(state, record, delay))
        if hold:
            await asyncio.sleep(state.script.hold_seconds)
        return _fhir_response(_response_bundle(record, inquiry=False, now=state.clock()))

    @app.post("/Claim/$inquire")
    async def inquire(request: Request) -> JSONResponse:
        data = await _read_bundle(request)
        try:
            intake = parse_pas_request_bundle(data)
        except PasValidationError as exc:
            return _fhir_response(exc.to_operation_outcome(), 400)
        record = state.claims.get(_record_key(intake))
        if record is None and intake.member_id:
            matches = [r for r in state.claims.values() if r.intake.member_id == intake.member_id]
            record = matches[-1] if matches else None
        if record is None:
            return _problem(404, "not-found", "no prior authorization request matches")
        record.inquiries += 1
        return _fhir_response(_response_bundle(record, inquiry=True, now=state.clock()))

    _add_drill_controls(app, state)
    return app


def _add_drill_controls(app: FastAPI, state: SandboxState) -> None:
    """Routes a fault drill uses to count what the payer saw and to replay its messages."""

    def claim(key: str) -> ClaimRecord | JSONResponse:
        record = state.claims.get(key)
        if record is None:
            return _problem(404, "not-found", f"no request with key {key!r}")
        return record

    @app.get("/sandbox/claims")
    async def claims() -> JSONResponse:
        return JSONResponse(
            {
                key: {
                    "submissions": len(record.transactions),
                    "posts": record.posts,
                    "inquiries": record.inquiries,
                    "version": record.version,
                    "decided": record.final is None,
                    "notified": record.notified,
                    "dropped": record.dropped,
                }
                for key, record in state.claims.items()
            }
        )

    @app.post("/sandbox/claims/{key}/decide")
    async def decide(key: str, request: Request) -> JSONResponse:
        """New decisions on every item, in order, not notified (body `{"behaviours": ["approve",
        "deny"]}`). They are `step_seconds` apart (default 1, PAS instants have whole seconds),
        the last one now unless the request's previous decision is too recent for that."""
        record = claim(key)
        if isinstance(record, JSONResponse):
            return record
        try:
            body = json.loads(await request.body())
            behaviours = [SandboxBehaviour(b) for b in body["behaviours"]]
            step = timedelta(seconds=float(body.get("step_seconds", 1.0)))
        except (ValueError, KeyError, TypeError):
            return _problem(
                400, "invalid", 'body must be {"behaviours": [<sandbox behaviour>, ...]}'
            )
        now = state.clock()
        record.final = None
        versions = []
        for left, behaviour in reversed(list(enumerate(reversed(behaviours)))):
            record.results = [
                _decide(
                    item,
                    state.script.rule_for(record.intake.member_id, item.product_or_service.code),
                    behaviour,
                    key=key,
                    today=now.date(),
                    authorized_days=state.script.authorized_days,
                )
                for item in record.intake.items
            ]
            record.version += 1
            record.created = max(now - left * step, record.created + step)
            record.remember()
            versions.append(record.version)
        return JSONResponse({"versions": versions})

    @app.post("/sandbox/claims/{key}/notify/{version}")
    async def notify(key: str, version: int) -> JSONResponse:
        """Send the notification of decision `version` (again), as the payer's rest-hook."""
        record = claim(key)
        if isinstance(record, JSONResponse):
            return record
        if version not in record.decisions:
            return _problem(404, "not-found", f"request {key!r} has no decision {version}")
        if state.notify_url is None:
            return _problem(409, "processing", "the sandbox was started without a notify URL")
        results, created = record.decisions[version]
        snapshot = replace(record, results=results, version=version, created=created)
        sent = await _notify(state, _notification_bundle(state, snapshot))
        record.notified += 1
        return JSONResponse({"status_code": sent.status_code, "error": sent.error})


def _new_record(
    state: SandboxState, key: str, intake: PasIntake, now: datetime
) -> tuple[ClaimRecord, float, bool]:
    """Decide every item now; pended ones also get their later answer. (record, delay, hold)"""
    script = state.script
    today = now.date()
    now_results: list[ItemResult] = []
    later_results: list[ItemResult] = []
    delays: list[float] = []
    pending = False
    hold = False
    for item in intake.items:
        rule = script.rule_for(intake.member_id, item.product_or_service.code)
        behaviour = rule.behaviour
        final = _decide(
            item, rule, behaviour, key=key, today=today, authorized_days=script.authorized_days
        )
        if behaviour in PENDING_BEHAVIOURS:
            pending = True
            delays.append(
                rule.pend_seconds if rule.pend_seconds is not None else script.pend_seconds
            )
            now_results.append(ItemResult(sequence=item.sequence, review_action="A4"))
        else:
            hold = hold or behaviour == SandboxBehaviour.HOLD
            now_results.append(final)
        later_results.append(final)
    record = ClaimRecord(
        key=key,
        intake=intake,
        results=now_results,
        outcome="complete",
        created=now,
        final=later_results if pending else None,
        pre_auth_ref=f"SBX-{_short(key)}",
        drop_notification=any(
            script.rule_for(intake.member_id, item.product_or_service.code).drop_notification
            for item in intake.items
        ),
    )
    record.remember()
    return record, max(delays, default=0.0), hold


def _cancel(
    state: SandboxState, key: str, intake: PasIntake, transaction: str | None, now: datetime
) -> JSON:
    record = state.claims.get(key)
    if record is None:
        record = ClaimRecord(key=key, intake=intake, results=[], outcome="complete", created=now)
        state.claims[key] = record
    record.version += 1
    record.created = now
    record.final = None  # a pending decision is not sent after a cancel
    record.results = [ItemResult(sequence=i.sequence, review_action="C") for i in intake.items]
    record.remember()
    if transaction is not None:
        state.by_transaction[transaction] = key
    return _response_bundle(record, inquiry=False, now=now)


async def _decide_later(state: SandboxState, record: ClaimRecord, delay: float) -> None:
    await asyncio.sleep(delay)
    if record.final is None:  # cancelled meanwhile
        return
    record.results = record.final
    record.final = None
    record.version += 1
    record.created = state.clock()
    record.remember()
    if state.notify_url is None:
        return
    if record.drop_notification:
        record.dropped += 1
        return
    record.notified += 1
    await _notify(state, _notification_bundle(state, record))


def _notification_bundle(state: SandboxState, record: ClaimRecord) -> JSON:
    """The rest-hook notification of the record's current decision (a new event number)."""
    state.events += 1
    return build_notification_bundle(
        _response_bundle(record, inquiry=False, now=record.created),
        subscription_url=state.script.subscription_url,
        event_number=state.events,
        timestamp=record.created,
        notification_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"sandbox:event:{state.events}")),
    )


async def _notify(state: SandboxState, bundle: JSON) -> Notification:
    assert state.notify_url is not None
    body = json.dumps(bundle, separators=(",", ":")).encode()
    # One message id for every attempt: the receiver applies a message once (Standard Webhooks).
    message_id = f"msg_sbx_{uuid.uuid4().hex}"
    notification = Notification(url=state.notify_url, body=bundle)
    state.notifications.append(notification)
    for attempt in range(3):
        headers = {"Content-Type": FHIR_JSON}
        if state.script.webhook_secret:
            # Signed afresh per attempt: the timestamp is when this attempt is sent.
            headers.update(sign_headers(body, state.script.webhook_secret, message_id=message_id))
        try:
            if state.notify_client is not None:
                reply = await state.notify_client.post(
                    state.notify_url, content=body, headers=headers
                )
            else:
                async with httpx.AsyncClient(timeout=10.0) as client:
                    reply = await client.post(state.notify_url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            notification.error = type(exc).__name__
        else:
            notification.status_code = reply.status_code
            notification.error = None
            if reply.status_code < 500:
                return notification
        await asyncio.sleep(0.5 * (attempt + 1))
    return notification


def run_sandbox_payer(
    host: str = "127.0.0.1",
    port: int = 8100,
    script_path: Path | str | None = None,
    notify_url: str | None = None,
    webhook_secret: str | None = None,
) -> None:
    """Serve the sandbox payer with uvicorn until interrupted."""
    import uvicorn

    script = SandboxScript.from_file(script_path) if script_path else SandboxScript.default()
    if webhook_secret:
        script = script.model_copy(update={"webhook_secret": webhook_secret})
    # log_config=None: uvicorn's lines go through the caller's logging set-up (config.logging).
    uvicorn.run(create_sandbox_app(script, notify_url), host=host, port=port, log_config=None)
