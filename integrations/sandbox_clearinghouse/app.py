"""A small clearinghouse for development and tests: CAQH CORE real-time SOAP, scripted answers.

- `POST /core/realtime`: a SOAP 1.2 `COREEnvelopeRealTimeRequest` carrying a 278 request
  (PayloadType `X12_278_Request_005010X217E1_2`) with a WS-Security UsernameToken. Wrong
  credentials: HTTP 401; a broken envelope: a CORE response with the ErrorCode naming the
  field. The 278 is checked (`build_999`): a bad one is answered with its rejecting 999. Then
  the script decides (`ClearinghouseScript`, by member id or the `X-Sandbox-Behaviour`
  header): the real-time answer is a 278 response (A1, A3, A4 pended, AAA) or a rejecting 999,
  or nothing within `timeout_seconds`. For every accepted 278 the 999 (A) is left in the
  mailbox (priorauth's inbound folder), and a pended one's final 278 follows there after
  `pend_seconds`, written atomically, as a clearinghouse's SFTP mailbox would receive them.
- A repeated trace number gets the first answer again (nothing new is decided or mailed).
- `GET /sandbox/traces`: per trace number, the POSTs received and answered, the behaviour and
  what was mailed.

Not a real clearinghouse: state in memory, one UsernameToken, no MIME multipart form.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from integrations.clearinghouse.batch import stamped_name, write_atomically
from integrations.clearinghouse.core_envelope import (
    X12_278_REQUEST,
    X12_278_RESPONSE,
    X12_999_RESPONSE,
    CoreEnvelope,
    EnvelopeError,
    parse_soap,
    soap,
)
from integrations.sandbox_clearinghouse.responses import (
    ReceivedRequest,
    aaa_response,
    read_request,
    rejecting_999,
    response_278,
)
from integrations.sandbox_clearinghouse.script import (
    BEHAVIOUR_HEADER,
    PENDING,
    ClearinghouseBehaviour,
    ClearinghouseRule,
    ClearinghouseScript,
)
from integrations.x12 import X12Error, build_999, parse_999

SOAP_XML = "application/soap+xml; charset=utf-8"


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _short(*parts: object) -> str:
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:8].upper()


@dataclass
class TraceRecord:
    trace: str
    behaviour: ClearinghouseBehaviour
    payload_type: str
    payload: str
    posts: int = 1
    mailed: list[str] = field(default_factory=list)


class ClearinghouseState:
    def __init__(
        self, script: ClearinghouseScript, inbound: Path | None, clock: Callable[[], datetime]
    ) -> None:
        self.script = script
        self.inbound = inbound
        self.clock = clock
        self.traces: dict[str, TraceRecord] = {}
        # POSTs per trace number as they arrive (also those whose caller gave up waiting).
        self.received: dict[str, int] = {}
        self.controls = itertools.count(1)
        self.tasks: set[asyncio.Task[None]] = set()

    def mail(self, record: TraceRecord, kind: str, text: str) -> None:
        """Leave `text` in priorauth's inbound folder (nothing when none was given)."""
        record.mailed.append(kind)
        if self.inbound is not None:
            write_atomically(self.inbound, stamped_name(kind, record.trace), text)

    def schedule(self, coroutine: Any) -> None:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def wait_idle(self) -> None:
        while self.tasks:
            await asyncio.gather(*list(self.tasks), return_exceptions=True)

    async def aclose(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


def _soap_reply(
    request: CoreEnvelope,
    payload_type: str,
    payload: str,
    error: str = "Success",
    message: str = "",
) -> Response:
    answer = request.answer(payload_type, payload, error_code=error, error_message=message)
    return Response(soap(answer), media_type=SOAP_XML)


def _envelope_error(exc: EnvelopeError) -> Response:
    """A CORE response naming the broken field (the rule's error codes are <Field>Required /
    <Field>Invalid); the request could not be read, so its PayloadID cannot be echoed."""
    suffix = "Required" if exc.reason == "is required" else "Invalid"
    body = (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body>'
        "<soap:Fault><soap:Code><soap:Value>soap:Sender</soap:Value></soap:Code>"
        f'<soap:Reason><soap:Text xml:lang="en">{exc.field}{suffix}: {exc.reason}</soap:Text>'
        "</soap:Reason></soap:Fault></soap:Body></soap:Envelope>"
    )
    return Response(body, status_code=400, media_type=SOAP_XML)


def _decide(
    state: ClearinghouseState,
    received: ReceivedRequest,
    rule: ClearinghouseRule,
    behaviour: ClearinghouseBehaviour,
) -> tuple[str, str]:
    """(PayloadType, payload) of the real-time answer."""
    now = state.clock()
    control = next(state.controls)
    trace = received.trace
    script = state.script
    match behaviour:
        case ClearinghouseBehaviour.REJECT_999:
            return X12_999_RESPONSE, rejecting_999(received, now=now, control=control)
        case ClearinghouseBehaviour.AAA_REJECT:
            return X12_278_RESPONSE, aaa_response(
                received, reason_code=rule.aaa_reason_code, now=now, control=control
            )
        case ClearinghouseBehaviour.DENY:
            return X12_278_RESPONSE, response_278(
                received,
                action="A3",
                now=now,
                control=control,
                reason_code=rule.reason_code,
                message=rule.reason,
                reference=f"DN-{_short(trace)}",
            )
        case b if b in PENDING:
            return X12_278_RESPONSE, response_278(
                received,
                action="A4",
                now=now,
                control=control,
                reference=f"PEND-{_short(trace)}",
                message="CLINICAL REVIEW IN PROGRESS",
            )
        case _:
            return X12_278_RESPONSE, response_278(
                received,
                action="A1",
                now=now,
                control=control,
                certification=f"SBXCH-{_short(trace)}",
                authorized_days=script.authorized_days,
            )


async def _final_later(
    state: ClearinghouseState,
    record: TraceRecord,
    received: ReceivedRequest,
    rule: ClearinghouseRule,
) -> None:
    await asyncio.sleep(state.script.pend_seconds)
    now = state.clock()
    control = next(state.controls)
    if record.behaviour is ClearinghouseBehaviour.PEND_THEN_DENY:
        final = response_278(
            received,
            action="A3",
            now=now,
            control=control,
            reason_code=rule.reason_code,
            message=rule.reason,
            reference=f"DN-{_short(received.trace)}",
        )
    else:
        final = response_278(
            received,
            action="A1",
            now=now,
            control=control,
            certification=f"SBXCH-{_short(received.trace)}",
            authorized_days=state.script.authorized_days,
        )
    state.mail(record, "278", final)


def create_sandbox_clearinghouse_app(
    script: ClearinghouseScript | None = None,
    inbound: Path | str | None = None,
    *,
    clock: Callable[[], datetime] = _utcnow,
) -> FastAPI:
    """The sandbox clearinghouse; `inbound` is the folder the mailbox answers go to."""
    state = ClearinghouseState(
        script or ClearinghouseScript.default(), Path(inbound) if inbound else None, clock
    )
    app = FastAPI(title="priorauth sandbox clearinghouse (CAQH CORE real time)")
    app.state.sandbox = state

    @app.post("/core/realtime")
    async def realtime(request: Request) -> Response:
        try:
            message = parse_soap(await request.body())
        except EnvelopeError as exc:
            return _envelope_error(exc)
        script = state.script
        if message.username != script.username or message.password != script.password:
            return Response("the UsernameToken is not known here", status_code=401)
        envelope = message.envelope
        if envelope.is_response or envelope.payload_type != X12_278_REQUEST:
            return _soap_reply(
                envelope,
                envelope.payload_type,
                "",
                "PayloadTypeInvalid",
                f"this clearinghouse takes {X12_278_REQUEST}",
            )
        try:
            received = read_request(envelope.payload)
            acknowledgment = build_999(
                envelope.payload,
                sender=received.receiver,
                receiver=received.sender,
                controls=_controls(state),
                now=state.clock(),
            )
        except X12Error as exc:
            return _soap_reply(envelope, envelope.payload_type, "", "PayloadInvalid", str(exc))
        state.received[received.trace] = state.received.get(received.trace, 0) + 1
        known = state.traces.get(received.trace)
        if known is not None:
            known.posts += 1
            return _soap_reply(envelope, known.payload_type, known.payload)
        if parse_999(acknowledgment).rejected:
            state.traces[received.trace] = TraceRecord(
                received.trace, ClearinghouseBehaviour.REJECT_999, X12_999_RESPONSE, acknowledgment
            )
            return _soap_reply(envelope, X12_999_RESPONSE, acknowledgment)
        rule = script.rule_for(received.member_id)
        behaviour = rule.behaviour
        header = request.headers.get(BEHAVIOUR_HEADER)
        if header:
            try:
                behaviour = ClearinghouseBehaviour(header)
            except ValueError:
                return Response(
                    f"{BEHAVIOUR_HEADER}: unknown behaviour {header!r}", status_code=400
                )
        if behaviour is ClearinghouseBehaviour.TIMEOUT:
            await asyncio.sleep(script.timeout_seconds)
        payload_type, payload = _decide(state, received, rule, behaviour)
        record = TraceRecord(received.trace, behaviour, payload_type, payload)
        state.traces[received.trace] = record
        if behaviour is not ClearinghouseBehaviour.REJECT_999:
            state.mail(record, "999", acknowledgment)
        if behaviour in PENDING:
            state.schedule(_final_later(state, record, received, rule))
        return _soap_reply(envelope, payload_type, payload)

    @app.get("/sandbox/traces")
    async def traces() -> JSONResponse:
        return JSONResponse(
            {
                trace: {
                    "received": count,
                    "answered": r.posts if r else 0,
                    "behaviour": r.behaviour.value if r else None,
                    "mailed": r.mailed if r else [],
                }
                for trace, count in state.received.items()
                for r in [state.traces.get(trace)]
            }
        )

    return app


def _controls(state: ClearinghouseState) -> Any:
    from integrations.x12 import ControlNumbers

    number = next(state.controls)
    return ControlNumbers(number, number)


def run_sandbox_clearinghouse(
    host: str = "127.0.0.1",
    port: int = 8110,
    script_path: Path | str | None = None,
    inbound: Path | str | None = None,
    username: str | None = None,
    password: str | None = None,
) -> None:
    """Serve the sandbox clearinghouse with uvicorn until interrupted."""
    import uvicorn

    script = (
        ClearinghouseScript.from_file(script_path) if script_path else ClearinghouseScript.default()
    )
    updates = {k: v for k, v in (("username", username), ("password", password)) if v}
    if updates:
        script = script.model_copy(update=updates)
    app = create_sandbox_clearinghouse_app(script, inbound)
    uvicorn.run(app, host=host, port=port, log_config=None)
