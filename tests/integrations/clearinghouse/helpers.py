"""Shared pieces of the clearinghouse tests: a recording sink, requests by member, the sandbox
clearinghouse in process with a gateway on the test's store ledger."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine

from domain.case.vocabulary import AppealOutcome, SubmissionKind
from domain.models import PayerDecision, PriorAuthRequest, RequestForInformation
from domain.payer_gateway import GatewaySubmission
from integrations.clearinghouse.batch import BatchFolders
from integrations.clearinghouse.gateway import ClearinghouseGateway
from integrations.clearinghouse.request import Trading
from integrations.sandbox_clearinghouse import (
    ClearinghouseScript,
    ClearinghouseState,
    create_sandbox_clearinghouse_app,
)
from store.clearinghouse import StoreTraceLedger
from tests.integrations.x12.helpers import knee_data

URL = "http://sandbox-clearinghouse.test/core/realtime"
TRADING = Trading(sender_id="PRIORAUTH", receiver_id="SBXCLEARING", usage="T")


@dataclass
class RecordingSink:
    decisions: list[tuple[str, PayerDecision]] = field(default_factory=list)

    async def payer_decision(
        self, case_id: str, decision: PayerDecision, rfi: RequestForInformation | None
    ) -> None:
        self.decisions.append((case_id, decision))

    async def appeal_decision(
        self,
        case_id: str,
        level_number: int,
        decision_id: str,
        outcome: AppealOutcome,
        decided_at: datetime,
        note: str | None,
    ) -> None:
        raise AssertionError("a clearinghouse carries no appeal decisions")


def request_for(member_id: str) -> PriorAuthRequest:
    data: dict[str, Any] = knee_data()
    data["member"]["member_id"] = member_id
    return PriorAuthRequest.model_validate(data)


def submission(
    member_id: str,
    *,
    case_id: str = "case-ch-1",
    key: str | None = None,
    kind: SubmissionKind = SubmissionKind.INITIAL,
) -> GatewaySubmission:
    return GatewaySubmission(
        case_id=case_id,
        submission_key=key or f"{case_id}:submit:1",
        kind=kind,
        request=request_for(member_id),
    )


@dataclass
class Rig:
    gateway: ClearinghouseGateway
    sandbox: ClearinghouseState
    sink: RecordingSink
    ledger: StoreTraceLedger
    folders: BatchFolders
    client: httpx.AsyncClient

    def new_gateway(self, **options: Any) -> ClearinghouseGateway:
        """Another gateway on the same store and sandbox: what a restarted worker builds."""
        arguments: dict[str, Any] = {
            "ledger": self.ledger,
            "trading": TRADING,
            "username": "priorauth",
            "password": "sandbox",
            "sink": self.sink,
            "client": self.client,
            **options,
        }
        return ClearinghouseGateway(URL, **arguments)


@asynccontextmanager
async def rig(
    engine: Engine, tmp_path: Path, script: ClearinghouseScript | None = None, **options: Any
) -> AsyncIterator[Rig]:
    folders = BatchFolders(outbound=tmp_path / "outbound", inbound=tmp_path / "inbound")
    app = create_sandbox_clearinghouse_app(
        script or ClearinghouseScript.default().model_copy(update={"pend_seconds": 0.05}),
        folders.inbound,
    )
    state: ClearinghouseState = app.state.sandbox
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app))
    sink = RecordingSink()
    ledger = StoreTraceLedger(engine)
    made = Rig(
        gateway=None,  # type: ignore[arg-type]  # set just below
        sandbox=state,
        sink=sink,
        ledger=ledger,
        folders=folders,
        client=client,
    )
    made.gateway = made.new_gateway(**options)
    try:
        yield made
    finally:
        await state.aclose()
        await client.aclose()
