"""In production the published dev keys open nothing; the configured keys do."""

from __future__ import annotations

import httpx
from pydantic import SecretStr
from sqlalchemy import Engine
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from config.payer_channel import PayerChannel
from config.settings import ApiKey, Role, Settings
from tests.api.conftest import KEYS, TEST_CODEC_KEYS

REAL_KEY = "ur-" + "q" * 40


async def test_production_answers_401_to_every_dev_key(
    temporal_env: WorkflowEnvironment, engine: Engine
) -> None:
    settings = Settings(
        _env_file=None,
        environment="production",
        # Only checked for being PostgreSQL: the app runs on the injected engine.
        database_url="postgresql+psycopg://priorauth:secret@db.invalid:5432/priorauth",
        codec_keys=TEST_CODEC_KEYS,
        api_keys=[ApiKey(name="ur-bob", key=SecretStr(REAL_KEY), role=Role.UR_STAFF)],
        payer_channel=PayerChannel.PAS,
        pas_base_url="https://pas.payer.example/fhir",
    )
    app = create_app(settings, engine=engine, temporal_client=temporal_env.client)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://priorauth") as http:
            for dev_key in KEYS.values():
                answer = await http.get("/api/v1/cases", headers={"X-API-Key": dev_key})
                assert answer.status_code == 401, (dev_key, answer.text)
            answer = await http.get("/api/v1/cases", headers={"X-API-Key": REAL_KEY})
            assert answer.status_code == 200, answer.text
