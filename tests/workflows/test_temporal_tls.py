"""The Temporal client over real TLS with a client certificate (mTLS), as against a managed
cluster: `config.temporal.connect` with the TLS settings reaches the dev server through a
TLS-terminating relay, and a worker on that client runs a case to approval. Without the client
certificate, or trusting another CA, the connection is refused.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine
from temporalio.testing import WorkflowEnvironment

from config.settings import Settings
from config.temporal import connect
from domain.case.vocabulary import CaseStatus
from integrations.simulated_payer import SimulatedPayer
from tests.tls_fixtures import SERVER_NAME, Pki, TlsRelay, make_pki
from tests.workflows.conftest import TEST_CODEC_KEYS, request, start_local
from tests.workflows.test_e2e_dev_server import open_case, start_case, until
from worker import TemporalDecisionSink, make_worker

pytestmark = [pytest.mark.temporal]


@pytest.fixture(scope="module")
async def local_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await start_local()
    try:
        yield env
    finally:
        await env.shutdown()


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    return make_pki(tmp_path / "pki")


def tls_settings(address: str, pki: Pki, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "environment": "test",
        "temporal_address": address,
        "codec_keys": TEST_CODEC_KEYS,
        "temporal_tls": True,
        "temporal_tls_server_ca_cert": pki.ca_cert,
        "temporal_tls_client_cert": pki.client_cert,
        "temporal_tls_client_key": pki.client_key,
        "temporal_tls_server_name": SERVER_NAME,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def upstream(env: WorkflowEnvironment) -> str:
    return env.client.service_client.config.target_host


async def test_a_case_runs_to_approval_over_mtls(
    local_env: WorkflowEnvironment, engine: Engine, pki: Pki
) -> None:
    async with TlsRelay(pki, upstream(local_env)) as relay:
        client = await connect(tls_settings(relay.address, pki))
        queue = f"tls-{uuid.uuid4().hex[:8]}"
        received = datetime.now(UTC)
        req = request()
        case_id = open_case(engine, req, received)
        payer = SimulatedPayer(TemporalDecisionSink(client), delay=0.1)
        async with make_worker(client, task_queue=queue, engine=engine, gateway=payer):
            handle = await start_case(client, case_id, req, received, queue)
            view = await until(handle, lambda v: v.status == CaseStatus.APPROVED)
        assert view.items[0].authorization_number
        assert relay.handshakes >= 1


async def test_without_the_client_certificate_the_connection_is_refused(
    local_env: WorkflowEnvironment, pki: Pki
) -> None:
    async with TlsRelay(pki, upstream(local_env)) as relay:
        settings = tls_settings(
            relay.address, pki, temporal_tls_client_cert=None, temporal_tls_client_key=None
        )
        # TLS 1.3: the client learns of the refused certificate when the relay hangs up (a
        # transport error or a cancelled call, depending on when the hang-up reaches it).
        with pytest.raises(RuntimeError, match="Failed client connect"):
            await connect(settings)
        assert relay.handshakes == 0


async def test_a_server_certificate_from_another_ca_is_refused(
    local_env: WorkflowEnvironment, pki: Pki, tmp_path: Path
) -> None:
    stranger = make_pki(tmp_path / "other", prefix="other-")
    async with TlsRelay(pki, upstream(local_env)) as relay:
        settings = tls_settings(relay.address, pki, temporal_tls_server_ca_cert=stranger.ca_cert)
        with pytest.raises(RuntimeError, match="UnknownIssuer"):
            await connect(settings)
        assert relay.handshakes == 0
