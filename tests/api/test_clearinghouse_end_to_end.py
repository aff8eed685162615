"""End to end on the real Temporal dev server: a case at a payer whose directory line says
`clearinghouse` goes out as an X12 278 over CAQH CORE real time to the sandbox clearinghouse
(in-process HTTP); the 278 is accepted (999 A in the mailbox), pended (A4), then denied by the
final 278 the worker's mailbox poller reads; the case manager appeals, signs the letter off and
the appeal leaves by the manual channel. A payer on another channel never reaches the
clearinghouse, and an answer for no submission waits in the review queue."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from temporalio.testing import WorkflowEnvironment

from domain.clearinghouse_ledger import TraceState
from domain.payer_directory import PayerEntry
from integrations.clearinghouse.batch import BatchFolders, InboundMailbox, poll_inbound_forever
from integrations.clearinghouse.gateway import ClearinghouseGateway
from integrations.clearinghouse.request import Trading
from integrations.routing import DirectoryRoutingGateway, ManualAppealChannel, RoutingGateway
from integrations.sandbox_clearinghouse import ClearinghouseScript, create_sandbox_clearinghouse_app
from integrations.simulated_payer import Behaviour, Script, SimulatedPayer
from runtime.clearinghouse import directory_channel, stored_request
from store import payer_directory
from store.clearinghouse import StoreTraceLedger, traces_of_case
from store.database import read_session, transaction
from tests.api.conftest import PAYER_ID, Stack, request_body, running_stack
from tests.integrations.x12.helpers import corpus
from worker import TemporalDecisionSink

pytestmark = [pytest.mark.temporal, pytest.mark.postgres]

DENIAL = "Not medically necessary: conservative therapy not documented"


def _directory_entry() -> PayerEntry:
    return PayerEntry.model_validate(
        {
            "payer_id": PAYER_ID,
            "name": "Example Health Plan",
            "timezone": "America/Chicago",
            "lines": [
                {
                    "regime": "medicare_advantage",
                    "channel": {
                        "kind": "clearinghouse",
                        "clearinghouse": "Sandbox Clearinghouse",
                        "payer_id": "EXH01",
                    },
                }
            ],
        }
    )


async def test_a_clearinghouse_case_runs_from_request_to_appeal(
    temporal_env: WorkflowEnvironment, engine: Engine, database_url: str, tmp_path: Path
) -> None:
    with transaction(engine) as session:
        payer_directory.put_payer(
            session, _directory_entry(), actor="admin:test", now=datetime.now(UTC)
        )
    folders = BatchFolders(outbound=tmp_path / "outbound", inbound=tmp_path / "inbound")
    sandbox = create_sandbox_clearinghouse_app(
        ClearinghouseScript.default().model_copy(update={"pend_seconds": 0.5}), folders.inbound
    )
    sandbox_http = httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox))
    sink = TemporalDecisionSink(temporal_env.client)
    ledger = StoreTraceLedger(engine)
    clearinghouse = ClearinghouseGateway(
        "http://sandbox-clearinghouse/core/realtime",
        ledger=ledger,
        trading=Trading(sender_id="PRIORAUTH", receiver_id="SBXCLEARING", usage="T"),
        username="priorauth",
        password="sandbox",
        sink=sink,
        client=sandbox_http,
    )
    # Payers not routed to the clearinghouse go to this payer, which never answers.
    other = SimulatedPayer(sink, default=Script(behaviour=Behaviour.SILENT))
    # The worker's own wiring (worker.gateway_for): the directory picks the channel, appeals
    # leave by the manual channel; the mailbox poller runs beside the worker.
    gateway = RoutingGateway(
        DirectoryRoutingGateway(other, clearinghouse, directory_channel(engine)),
        ManualAppealChannel(),
    )
    mailbox = InboundMailbox(ledger, sink, stored_request(engine))
    stop = asyncio.Event()
    poller = asyncio.create_task(poll_inbound_forever(folders, mailbox, interval=0.1, stop=stop))
    try:
        async with running_stack(temporal_env, engine, database_url, tmp_path, gateway) as stack:
            await _run(stack, engine, folders)
    finally:
        stop.set()
        with contextlib.suppress(asyncio.CancelledError):
            await poller
        await sandbox.state.sandbox.aclose()
        await sandbox_http.aclose()


async def _run(stack: Stack, engine: Engine, folders: BatchFolders) -> None:
    body = request_body()
    body["member"]["member_id"] = "W-PENDDENY-1"
    opened = await stack.post("/api/v1/cases", body)
    assert opened.status_code == 201, opened.text
    case_id = opened.json()["case_id"]

    # The 278 went out and came back pended (A4) in real time.
    pended = await stack.eventually(
        lambda: stack.case(case_id), lambda d: d["live"] and d["live"]["status"] == "pended", 30
    )
    assert pended["live"]["items"][0]["outcome"] == "pended"
    # The 999 accepting it reached the ledger through the mailbox; then the final 278 denied it.
    denied = await stack.eventually(
        lambda: stack.case(case_id), lambda d: d["live"] and d["live"]["status"] == "denied", 30
    )
    item = denied["live"]["items"][0]
    assert item["reason_text"].lower() == DENIAL.lower()
    assert item["reason_code"] == "0V"
    decided_at = datetime.fromisoformat(item["decided_at"])
    assert decided_at <= datetime.now(UTC)  # BHT has no zone: never a decision from the future
    with read_session(engine) as session:
        (entry,) = traces_of_case(session=session, case_id=case_id)
    assert (entry.state, entry.acknowledgment, entry.attempts) == (TraceState.DECIDED, "A", 1)
    assert sorted(p.name.split("-")[1] for p in folders.processed.iterdir()) == ["278", "999"]
    traces = (await stack.get(f"/api/v1/clearinghouse/cases/{case_id}/traces")).json()
    assert [(t["trace_number"], t["state"], t["acknowledgment"]) for t in traces] == [
        (entry.trace_number, "decided", "A")
    ]

    # The case manager appeals; the signed letter leaves by the manual channel.
    filed = await stack.post(
        f"/api/v1/cases/{case_id}/appeals", {"arguments": ["Six months of PT"]}
    )
    assert filed.status_code == 200, filed.text
    await stack.eventually(lambda: _letters(stack, case_id), lambda items: len(items) >= 1, 30)
    signed = await stack.post(f"/api/v1/cases/{case_id}/appeals/1/sign-off", {})
    assert signed.status_code == 200, signed.text
    appealed = await stack.eventually(
        lambda: stack.case(case_id),
        lambda d: any(a.get("status") == "submitted" for a in _appeals(d)),
        30,
    )
    assert appealed["live"]["status"] == "in_appeal"
    # Still one 278 for the case: the appeal did not travel as X12.
    with read_session(engine) as session:
        assert len(traces_of_case(session=session, case_id=case_id)) == 1

    # An answer for a request we never sent waits for a person; no case changes.
    (folders.inbound / "zz-unknown.x12").write_text(corpus("approval_a1.x12"))
    queue = await stack.eventually(
        lambda: stack.get("/api/v1/clearinghouse/unmatched", "ur_staff"),
        lambda r: r.status_code == 200 and len(r.json()) == 1,
        10,
    )
    (queued,) = queue.json()
    assert queued["trace_numbers"] == ["CASE0001"] and queued["case_id"] is None
    assert "payload" not in queued
    forbidden = await stack.get("/api/v1/clearinghouse/unmatched", "case_manager")
    assert forbidden.status_code == 403
    resolved = await stack.post(
        f"/api/v1/clearinghouse/unmatched/{queued['id']}/resolve", {}, "ur_staff"
    )
    assert resolved.status_code == 200 and resolved.json()["resolved_by"]
    assert (await stack.get("/api/v1/clearinghouse/unmatched", "ur_staff")).json() == []

    # A 999 rejection and an AAA rejection are errors on the case that say what to correct.
    for member_id, words in (
        ("W-REJECT999-2", ("999 rejects", "segment", "element")),
        ("W-AAA-3", ("rejected the 278 request", "reject reason")),
    ):
        body = request_body()
        body["member"]["member_id"] = member_id
        refused = await stack.post("/api/v1/cases", body)
        assert refused.status_code == 201, refused.text
        refused_id = refused.json()["case_id"]
        rejected = await stack.eventually(
            lambda refused_id=refused_id: stack.get(f"/api/v1/cases/{refused_id}/timeline"),
            lambda r: any(e["action"] == "payer_rejected" for e in r.json()["events"]),
            30,
        )
        (event,) = [e for e in rejected.json()["events"] if e["action"] == "payer_rejected"]
        for word in words:
            assert word in event["summary"], event["summary"]
        detail = await stack.case(refused_id)
        (task,) = [t for t in detail["tasks"] if t["kind"] == "payer_rejected"]
        assert words[0] in task["title"] and len(task["title"]) <= 200


def _appeals(detail: dict[str, Any]) -> list[dict[str, Any]]:
    appeals: list[dict[str, Any]] = detail.get("appeals") or []
    return appeals


async def _letters(stack: Stack, case_id: str) -> list[dict[str, Any]]:
    response = await stack.get(f"/api/v1/cases/{case_id}/letters")
    items: list[dict[str, Any]] = response.json()
    return items
