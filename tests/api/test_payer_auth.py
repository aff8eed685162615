"""The sender of a payer message is decided by its credential: the sandbox payer's secret
stands for every payer in dev and test only."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from api.payer_auth import signed_sender
from api.service import ServiceError
from config.settings import Settings
from integrations.sandbox_payer.script import SANDBOX_PAYER_ID
from integrations.webhook_signature import sign_headers

BODY = b'{"type":"decision"}'
SECRETS = {
    SANDBOX_PAYER_ID: SecretStr("sandbox-secret-0123456789"),
    "EXH01": SecretStr("exh01-secret-0123456789"),
}


def settings(environment: str) -> Settings:
    # model_construct: production's other requirements (database, keys) do not matter here.
    return Settings.model_construct(
        environment=environment, webhook_secrets=SECRETS, webhook_tolerance_seconds=300
    )


@pytest.mark.parametrize(
    ("environment", "any_payer"), [("dev", True), ("test", True), ("production", False)]
)
def test_the_sandbox_plays_every_payer_outside_production_only(
    environment: str, any_payer: bool
) -> None:
    headers = sign_headers(BODY, "sandbox-secret-0123456789")
    sender = signed_sender(BODY, headers, settings(environment))
    assert sender.payer_id == SANDBOX_PAYER_ID
    assert sender.actor == f"payer:{SANDBOX_PAYER_ID}"
    assert sender.any_payer is any_payer
    assert sender.scope == (None if any_payer else SANDBOX_PAYER_ID)


def test_a_real_payer_is_scoped_to_itself_everywhere() -> None:
    for environment in ("dev", "test", "production"):
        sender = signed_sender(
            BODY, sign_headers(BODY, "exh01-secret-0123456789"), settings(environment)
        )
        assert (sender.scope, sender.actor) == ("EXH01", "payer:EXH01")


def test_every_failure_is_the_same_401() -> None:
    answers = set()
    for headers in ({}, sign_headers(BODY, "nobody-0123456789"), {"webhook-id": "x"}):
        with pytest.raises(ServiceError) as caught:
            signed_sender(BODY, headers, settings("production"))
        answers.add((caught.value.status, caught.value.detail))
    assert len(answers) == 1 and answers.pop()[0] == 401
