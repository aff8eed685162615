"""The clearinghouse channels at start-up: production refuses the sandbox clearinghouse and a
clearinghouse without its endpoint or credentials; the worker builds the clearinghouse gateway
for the clearinghouse channels, and beside a PAS channel routes a payer whose directory line
says `clearinghouse` to it (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine

from commands.dev import clearinghouse_environment
from config.readiness import ServerRole, production_problems
from config.settings import Settings
from domain.case.vocabulary import SubmissionKind
from domain.payer_directory import PayerEntry
from domain.payer_gateway import GatewayReceipt, GatewaySubmission
from integrations.clearinghouse.gateway import ClearinghouseGateway
from integrations.routing import DirectoryRoutingGateway, RoutingGateway
from runtime.clearinghouse import directory_channel
from store import payer_directory
from store.database import transaction
from tests.integrations.x12.helpers import knee
from tests.test_production_guards import production
from worker import TemporalDecisionSink, gateway_for

SINK = TemporalDecisionSink(client=None)  # type: ignore[arg-type]


def test_production_refuses_the_sandbox_clearinghouse() -> None:
    problems = production_problems(
        production(payer_channel="sandbox-clearinghouse"), ServerRole.WORKER
    )
    assert any(
        "PRIORAUTH_PAYER_CHANNEL=sandbox-clearinghouse reaches no payer" in p for p in problems
    )


def test_a_clearinghouse_needs_its_endpoint_and_credentials() -> None:
    problems = " ".join(
        production_problems(production(payer_channel="clearinghouse"), ServerRole.WORKER)
    )
    assert "PRIORAUTH_CLEARINGHOUSE_URL" in problems
    assert "PRIORAUTH_CLEARINGHOUSE_USERNAME" in problems
    ready = production(
        payer_channel="clearinghouse",
        clearinghouse_url="https://core.clearinghouse.example/278",
        clearinghouse_username="priorauth",
        clearinghouse_password=SecretStr("s3cret-password"),
    )
    assert production_problems(ready, ServerRole.WORKER) == []
    # Beside PAS, a clearinghouse URL for the directory's payers needs its credentials too.
    routed = production(clearinghouse_url="https://core.clearinghouse.example/278")
    assert any("USERNAME" in p for p in production_problems(routed, ServerRole.WORKER))


def test_the_sandbox_clearinghouse_channel_sends_every_request_there(
    engine: Engine, tmp_path: Path
) -> None:
    settings = Settings(
        _env_file=None,
        environment="test",
        payer_channel="sandbox-clearinghouse",
        sandbox_clearinghouse_port=8123,
        data_dir=tmp_path,
    )
    gateway = gateway_for(settings, SINK, engine)
    assert isinstance(gateway, RoutingGateway)
    assert isinstance(gateway.requests, ClearinghouseGateway)
    assert gateway.requests.url == "http://127.0.0.1:8123/core/realtime"
    with pytest.raises(ValueError, match="trace ledger"):
        gateway_for(settings, SINK)


class Recorder:
    def __init__(self, name: str) -> None:
        self.name = name
        self.keys: list[str] = []

    async def submit(self, submission: GatewaySubmission) -> GatewayReceipt:
        self.keys.append(submission.submission_key)
        return GatewayReceipt(submission_id=self.name, accepted_at=datetime.now(UTC))


def _entry(kind: str) -> PayerEntry:
    channel = (
        {"kind": "clearinghouse", "clearinghouse": "Example Clearinghouse", "payer_id": "ACM01"}
        if kind == "clearinghouse"
        else {"kind": "fax", "fax": "(555) 010-0140"}
    )
    return PayerEntry.model_validate(
        {
            "payer_id": "ACMEHP",
            "name": "Acme Employee Health Plan",
            "timezone": "America/New_York",
            "lines": [{"regime": "erisa_group", "channel": channel}],
        }
    )


async def test_the_directory_switches_a_payer_between_channels(engine: Engine) -> None:
    settings = Settings(
        _env_file=None,
        environment="test",
        payer_channel="sandbox",
        clearinghouse_url="http://127.0.0.1:8110/core/realtime",
    )
    built = gateway_for(settings, SINK, engine)
    assert isinstance(built, RoutingGateway)
    assert isinstance(built.requests, DirectoryRoutingGateway)

    default, clearinghouse = Recorder("pas"), Recorder("clearinghouse")
    routing = DirectoryRoutingGateway(default, clearinghouse, directory_channel(engine))
    submission = GatewaySubmission(
        case_id="c1", submission_key="k1", kind=SubmissionKind.INITIAL, request=knee()
    )
    assert (await routing.submit(submission)).submission_id == "pas"  # not in the directory
    with transaction(engine) as session:
        payer_directory.put_payer(
            session, _entry("clearinghouse"), actor="t", now=datetime.now(UTC)
        )
    assert (await routing.submit(submission)).submission_id == "clearinghouse"
    with transaction(engine) as session:
        payer_directory.put_payer(session, _entry("fax"), actor="t", now=datetime.now(UTC))
    assert (await routing.submit(submission)).submission_id == "pas"


def test_priorauth_dev_points_the_worker_at_the_sandbox_clearinghouse(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, environment="dev", sandbox_clearinghouse_port=8111)
    env = clearinghouse_environment(settings)
    assert env["PRIORAUTH_CLEARINGHOUSE_URL"] == "http://127.0.0.1:8111/core/realtime"
    assert env["PRIORAUTH_CLEARINGHOUSE_USAGE"] == "T"
    configured = settings.model_copy(update={"clearinghouse_url": "https://real.example/278"})
    assert clearinghouse_environment(configured) == {}  # a configured one is kept
