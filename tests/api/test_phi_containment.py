"""PHI stays contained: recognisable PHI goes in through the API, and no log line, no Temporal
history event (as the server stores it, read without the codec), no search attribute and no
workflow id carries it out.

The API runs under real uvicorn (its access and error loggers included), the worker in the
same process on the real Temporal dev server, letters rendered by `letters/`. PHI enters as
JSON and as a Da Vinci PAS bundle, in valid and invalid requests, in appeal arguments, in an
activity's exception and in workflow inputs that cannot be decoded. Every logger
writes at DEBUG through the production JSON formatter into one buffer, which is scanned as a
whole, case-insensitively, for every seeded value and the birth date in its other spellings.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import socket
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import structlog
import uvicorn
from docx import Document
from fastapi import FastAPI
from pydantic import BaseModel, ValidationError
from sqlalchemy import Engine
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from config.logging import configure_logging
from domain.models import PriorAuthRequest
from domain.payer_gateway import GatewayReceipt, GatewaySubmission
from integrations.pas.request_builder import build_pas_request_bundle
from integrations.simulated_payer import AppealBehaviour, Behaviour, Script, SimulatedPayer
from tests.api.conftest import KEYS, Stack, denial, make_settings, request_body
from worker import TemporalDecisionSink, make_worker
from workflows.constants import (
    AppealSignal,
    CaseUpdate,
    appeal_workflow_id,
    case_workflow_id,
)

pytestmark = [pytest.mark.temporal, pytest.mark.postgres]

FIRST, LAST = "Zebulonia", "Quillfeatherstone"
MEMBER_ID = "ZQ7730195548"
BIRTH = date(1947, 3, 29)
STREET, CITY = "4471 Larkspur Hollow Rd", "Wimbleton Falls"
PHONE = "(608) 555-0173"
# Every spelling a scan must not find (compared in lower case).
SEEDED = [
    FIRST,
    LAST,
    MEMBER_ID,
    STREET,
    "Larkspur",
    CITY,
    PHONE,
    "555-0173",
    "5550173",
    BIRTH.isoformat(),
    BIRTH.strftime("%m/%d/%Y"),
    f"{BIRTH.month}/{BIRTH.day}/{BIRTH.year}",
    BIRTH.strftime("%m-%d-%Y"),
    BIRTH.strftime("%Y%m%d"),
    BIRTH.strftime("%B %d, %Y"),
    BIRTH.strftime("%d %b %Y"),
    f"{BIRTH.day}/{BIRTH.month}/{BIRTH.year}",
]


def phi_body(**overrides: Any) -> dict[str, Any]:
    body = request_body(**overrides)
    body["member"] = {
        "member_id": MEMBER_ID,
        "first_name": FIRST,
        "last_name": LAST,
        "birth_date": BIRTH.isoformat(),
        "phone": PHONE,
        "address": {
            "line1": STREET,
            "city": CITY,
            "state": "WI",
            "postal_code": "53703",
        },
    }
    return body


def docx_text(content: bytes) -> str:
    document = Document(io.BytesIO(content))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join([*(p.text for p in document.paragraphs), *cells])


def leaks(haystack: bytes | str) -> list[str]:
    text = haystack.decode("utf-8", "replace") if isinstance(haystack, bytes) else haystack
    lowered = text.lower()
    return [value for value in SEEDED if value.lower() in lowered]


class FailingOnceGateway(SimulatedPayer):
    """The first submission of each case fails like a careless client library would: with the
    request (PHI) in its exception message. The activity fails, is logged, and is retried."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.failed: set[str] = set()

    async def submit(self, submission: GatewaySubmission) -> GatewayReceipt:
        if submission.case_id not in self.failed:
            self.failed.add(submission.case_id)
            raise ConnectionError(f"payer refused the claim for {submission.request.member!r}")
        return await super().submit(submission)


class LooseMember(BaseModel):
    """A third-party model that echoes its input in validation errors (no hide_input)."""

    member_id: str
    birth_date: date
    units: int


def add_failing_routes(app: FastAPI) -> None:
    """Two bugs a request can hit: a domain model and a foreign model failing on PHI."""

    # A pydantic error reaching the API's handlers is answered 422 (api.errors); these bugs
    # wrap it, so it reaches the log as the cause in an unhandled exception's traceback.
    @app.post("/test/domain-bug")
    async def domain_bug(body: dict[str, Any]) -> None:
        try:
            PriorAuthRequest.model_validate({**body, "member": {**body["member"], "birth_date": 7}})
        except ValidationError as exc:
            raise RuntimeError("mapping the request failed") from exc

    @app.post("/test/foreign-bug")
    async def foreign_bug(body: dict[str, Any]) -> None:
        member = body["member"]
        try:
            LooseMember.model_validate({**member, "units": f"{member['first_name']} {LAST}"})
        except ValidationError as exc:
            raise RuntimeError("mapping the member failed") from exc


@contextlib.contextmanager
def captured_logs() -> Any:
    """Every logger at DEBUG, rendered by the production JSON formatter, into one buffer."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    buffer = io.StringIO()
    configure_logging("DEBUG", "json", stream=buffer)
    try:
        yield buffer
    finally:
        root.handlers[:], root.level = saved
        structlog.contextvars.clear_contextvars()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.asynccontextmanager
async def served(factory: Callable[[], FastAPI]) -> AsyncIterator[str]:
    """The app under uvicorn with uvicorn's default logging config, as `uvicorn --factory`."""
    port = _free_port()
    config = uvicorn.Config(
        factory, factory=True, host="127.0.0.1", port=port, log_level="debug", lifespan="on"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        for _ in range(200):
            if server.started:
                break
            if task.done():
                task.result()
            await asyncio.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def test_phi_never_leaves_the_store(
    temporal_env: WorkflowEnvironment, engine: Engine, database_url: str, tmp_path: Path
) -> None:
    client = temporal_env.client
    queue = f"phi-{uuid.uuid4().hex[:8]}"
    payer = FailingOnceGateway(
        TemporalDecisionSink(client),
        default=Script(behaviour=Behaviour.SILENT, appeal=AppealBehaviour.OVERTURN),
        delay=0.05,
    )
    settings = make_settings(database_url, queue, tmp_path).model_copy(
        update={"log_level": "DEBUG", "log_format": "json"}
    )

    def factory() -> FastAPI:
        app = create_app(settings, engine=engine, temporal_client=client)
        add_failing_routes(app)
        return app

    with captured_logs() as logs:
        async with (
            make_worker(client, task_queue=queue, engine=engine, gateway=payer),
            served(factory) as base_url,
            httpx.AsyncClient(base_url=base_url, timeout=30) as http,
        ):
            stack = Stack(http, client, engine, settings, payer, app=None)
            case_id = await _run_case(stack)
            pas_case_id = await _pas_requests(stack)
            await _bad_requests(stack)
        log_text = logs.getvalue()

    # The scan is worth something only if the lines it reads are there.
    lines = [json.loads(line) for line in log_text.splitlines()]
    loggers = {line.get("logger") for line in lines}
    events = " ".join(str(line.get("event")) for line in lines)
    assert {"uvicorn.access", "uvicorn.error", "temporalio.activity", "priorauth.api"} <= loggers
    assert {"priorauth.activities", "httpx"} <= loggers
    for expected in (
        "case_opened",
        "letter_rendered",
        "Completing activity as failed",
        "Failed deserializing signal input",
    ):
        assert expected in events
    assert "Exception in ASGI application" in events
    assert sum("ValidationError" in str(line.get("exception")) for line in lines) >= 2
    assert leaks(log_text) == [], "PHI in the log lines"

    raw = await Client.connect(
        client.service_client.config.target_host, namespace=client.namespace
    )  # no codec: payloads as the server stores them
    workflow_ids = [
        case_workflow_id(case_id),
        appeal_workflow_id(case_id, 1),
        case_workflow_id(pas_case_id),
    ]
    listed = [w async for w in raw.list_workflows(f"TaskQueue = '{queue}'")]
    assert {w.id for w in listed} >= set(workflow_ids)
    for workflow in listed:
        handle = raw.get_workflow_handle(workflow.id, run_id=workflow.run_id)
        history = await handle.fetch_history()
        assert len(history.events) > 10
        blobs = [event.SerializeToString() for event in history.events]
        blobs.append(history.to_json().encode())
        blobs.append((await handle.describe()).raw_description.SerializeToString())
        blobs.append(workflow.raw_info.SerializeToString())
        blobs.append(workflow.id.encode())
        leaked = sorted({value for blob in blobs for value in leaks(blob)})
        assert leaked == [], f"PHI in the history of {workflow.id}: {leaked}"


async def _run_case(stack: Stack) -> str:
    """Open (its first submission fails), deny, appeal with arguments naming the patient,
    render, download and preview letters, sign off, overturn."""
    opened = await stack.post("/api/v1/cases", phi_body(), **{"Idempotency-Key": "phi-1"})
    assert opened.status_code == 201, opened.text
    case_id: str = opened.json()["case_id"]
    assert not leaks(opened.text)
    await stack.eventually(lambda: stack.live_status(case_id), lambda s: s == "submitted", 30)

    decided = await stack.post(
        f"/api/v1/cases/{case_id}/decisions", {"decision": denial("D-PHI-1")}, "integration"
    )
    assert decided.status_code == 200, decided.text
    await stack.eventually(lambda: stack.live_status(case_id), lambda s: s == "denied", 30)

    arguments = [f"{FIRST} {LAST} (born {BIRTH:%m/%d/%Y}) completed 12 weeks of therapy."]
    filed = await stack.post(f"/api/v1/cases/{case_id}/appeals", {"arguments": arguments})
    assert filed.status_code == 200, filed.text
    letters = await stack.eventually(
        lambda: stack.get(f"/api/v1/cases/{case_id}/letters"), lambda r: len(r.json()) >= 1, 30
    )
    letter = letters.json()[0]
    await _bad_workflow_input(stack, case_id)
    download = await stack.get(letter["download_url"])
    assert download.status_code == 200
    preview = await stack.post(
        f"/api/v1/cases/{case_id}/letters/preview", {"kind": "claim_file_request"}
    )
    assert preview.status_code == 200, preview.text
    # The PHI did reach where it belongs: the case (for its readers) and the letters.
    member = (await stack.case(case_id))["request"]["member"]
    assert (member["first_name"], member["last_name"]) == (FIRST, LAST)
    assert LAST in docx_text(download.content) and LAST in docx_text(preview.content)
    signed = await stack.post(f"/api/v1/cases/{case_id}/appeals/1/sign-off", {})
    assert signed.status_code == 200, signed.text
    await stack.eventually(lambda: stack.live_status(case_id), lambda s: s == "approved", 30)
    return case_id


async def _bad_workflow_input(stack: Stack, case_id: str) -> None:
    """Inputs the workflows cannot decode, sent by a client that bypasses the API: an update
    on the case and a signal on its appeal, both carrying the member."""
    member = phi_body()["member"]
    case = stack.client.get_workflow_handle(case_workflow_id(case_id))
    with pytest.raises(WorkflowUpdateFailedError) as rejected:
        await case.execute_update(
            CaseUpdate.ADD_NOTE, {"actor": "cm-ann", "text": 7, "member": member}
        )
    assert leaks(repr(rejected.value.cause)) == []
    appeal = stack.client.get_workflow_handle(appeal_workflow_id(case_id, 1))
    await appeal.signal(AppealSignal.PARENT_WITHDREW, member)  # dropped: not a reason
    await asyncio.sleep(0.5)  # the worker logs the dropped signal


async def _pas_requests(stack: Stack) -> str:
    """The same patient sent by an EHR as a Da Vinci PAS bundle, then a bundle whose patient
    has a malformed birth date (the answer names the problem, not the value)."""
    request = PriorAuthRequest.model_validate(phi_body())
    bundle = build_pas_request_bundle(
        request, case_id="ehr-phi-1", submitter_id="EHR-01", now=datetime.now(UTC)
    )
    headers = {"X-API-Key": KEYS["integration"], "Content-Type": "application/fhir+json"}
    accepted = await stack.http.post("/fhir/Claim/$submit", json=bundle, headers=headers)
    assert accepted.status_code == 200, accepted.text
    case_id: str = [
        i["value"]
        for i in accepted.json()["entry"][0]["resource"]["identifier"]
        if i["system"] == "urn:priorauth:case"
    ][-1]
    for entry in bundle["entry"]:
        if entry["resource"]["resourceType"] == "Patient":
            entry["resource"]["birthDate"] = f"{BIRTH.day}/{BIRTH.month}/{BIRTH.year}"
    bundle["identifier"]["value"] = "ehr-phi-2"
    refused = await stack.http.post("/fhir/Claim/$submit", json=bundle, headers=headers)
    assert 400 <= refused.status_code < 500, refused.text
    assert "birthDate" in refused.text
    assert leaks(refused.text) == []
    await stack.eventually(lambda: stack.live_status(case_id), lambda s: s == "submitted", 30)
    return case_id


async def _bad_requests(stack: Stack) -> None:
    """A 422 whose input is PHI, and two 500s raised by validation errors on PHI."""
    body = phi_body()
    body["member"]["birth_date"] = f"{BIRTH.day}/{BIRTH.month}/{BIRTH.year}"
    body["member"]["phone"] = 6085550173
    invalid = await stack.post("/api/v1/cases", body)
    assert invalid.status_code == 422
    fields = {e["field"]: e["message"] for e in invalid.json()["errors"]}
    assert "member.birth_date" in fields and "date" in fields["member.birth_date"]
    assert "member.phone" in fields
    assert leaks(invalid.text) == [], "the 422 echoes PHI"

    headers = {"X-API-Key": KEYS["case_manager"]}
    for path in ("/test/domain-bug", "/test/foreign-bug"):
        response = await stack.http.post(path, json=phi_body(), headers=headers)
        assert response.status_code == 500
        assert leaks(response.text) == []
