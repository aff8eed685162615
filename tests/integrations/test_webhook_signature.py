"""Standard Webhooks signatures: the sender is the payer whose own secret signed the raw bytes;
every hostile header is the same `SignatureError`, never another exception."""

from __future__ import annotations

import base64
import time

import pytest
from standardwebhooks import Webhook

from integrations.webhook_signature import (
    WEBHOOK_ID,
    WEBHOOK_SIGNATURE,
    WEBHOOK_TIMESTAMP,
    SignatureError,
    identify_sender,
    sign_headers,
)

BODY = b'{"resourceType":"Bundle","type":"history"}'
SECRETS = {"PAYER-A": "payer-a-secret-0123456789", "PAYER-B": "payer-b-secret-0123456789"}


def now() -> int:
    return int(time.time())


def test_the_signing_payer_is_identified() -> None:
    headers = sign_headers(BODY, SECRETS["PAYER-B"], message_id="msg_1")
    message = identify_sender(BODY, headers, SECRETS)
    assert (message.payer_id, message.message_id) == ("PAYER-B", "msg_1")
    assert abs(message.sent_at.timestamp() - now()) <= 2


def test_headers_are_the_standard_webhooks_ones_and_the_library_accepts_them() -> None:
    secret = "whsec_" + base64.b64encode(b"k" * 32).decode()
    headers = sign_headers(BODY, secret, message_id="msg_std")
    assert set(headers) == {WEBHOOK_ID, WEBHOOK_TIMESTAMP, WEBHOOK_SIGNATURE}
    assert headers[WEBHOOK_SIGNATURE].startswith("v1,")
    Webhook(secret).verify(BODY, headers, json_parse=False)  # any Standard Webhooks receiver
    assert identify_sender(BODY, headers, {"P": secret}).payer_id == "P"


@pytest.mark.parametrize(
    ("body", "secret"),
    [
        (BODY + b" ", SECRETS["PAYER-A"]),
        (BODY.replace(b"history", b"batch"), SECRETS["PAYER-A"]),
        (BODY, "a-secret-no-payer-has-000"),
    ],
)
def test_altered_body_or_unknown_secret_is_refused(body: bytes, secret: str) -> None:
    headers = sign_headers(BODY, secret)
    with pytest.raises(SignatureError):
        identify_sender(body, headers, SECRETS)


def test_a_changed_message_id_breaks_the_signature() -> None:
    headers = sign_headers(BODY, SECRETS["PAYER-A"], message_id="msg_1")
    with pytest.raises(SignatureError):
        identify_sender(BODY, {**headers, WEBHOOK_ID: "msg_2"}, SECRETS)


@pytest.mark.parametrize("offset", [-301, 301, -86_400, 86_400])
def test_stale_or_future_timestamp_is_refused(offset: int) -> None:
    headers = sign_headers(BODY, SECRETS["PAYER-A"], timestamp=now() + offset)
    with pytest.raises(SignatureError) as caught:
        identify_sender(BODY, headers, SECRETS)
    assert "tolerance" in caught.value.reason


def test_tolerance_can_narrow_the_window() -> None:
    headers = sign_headers(BODY, SECRETS["PAYER-A"], timestamp=now() - 120)
    identify_sender(BODY, headers, SECRETS, tolerance=300)
    with pytest.raises(SignatureError):
        identify_sender(BODY, headers, SECRETS, tolerance=60)


HOSTILE = {
    "no headers": {},
    "non-ASCII signature": {WEBHOOK_SIGNATURE: "v1,\u00e9\u00e9\u00e9"},
    "400-digit timestamp": {WEBHOOK_TIMESTAMP: "9" * 400},
    "negative timestamp": {WEBHOOK_TIMESTAMP: "-5"},
    "float timestamp": {WEBHOOK_TIMESTAMP: "1e9"},
    "nan timestamp": {WEBHOOK_TIMESTAMP: "nan"},
    "empty id": {WEBHOOK_ID: ""},
    "huge id": {WEBHOOK_ID: "m" * 10_000},
    "non-ASCII id": {WEBHOOK_ID: "msg_\u2603"},
    "huge signature": {WEBHOOK_SIGNATURE: "v1," + "A" * 100_000},
    "signature without scheme": {WEBHOOK_SIGNATURE: "AAAA"},
    "old home-made header only": {"X-Priorauth-Signature": "t=1,v1=00"},
}


@pytest.mark.parametrize("changes", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_headers_are_a_signature_error(changes: dict[str, str]) -> None:
    headers = sign_headers(BODY, SECRETS["PAYER-A"])
    hostile = {} if not changes else {**headers, **changes}
    if "X-Priorauth-Signature" in changes:
        hostile = changes
    with pytest.raises(SignatureError):
        identify_sender(BODY, hostile, SECRETS)


def test_missing_single_headers_are_refused() -> None:
    headers = sign_headers(BODY, SECRETS["PAYER-A"])
    for name in headers:
        partial = {k: v for k, v in headers.items() if k != name}
        with pytest.raises(SignatureError):
            identify_sender(BODY, partial, SECRETS)


def test_two_payers_sharing_a_secret_cannot_be_told_apart() -> None:
    shared = {"PAYER-A": "same-secret-0123456789", "PAYER-B": "same-secret-0123456789"}
    with pytest.raises(SignatureError, match="shared"):
        identify_sender(BODY, sign_headers(BODY, "same-secret-0123456789"), shared)


def test_secret_rotation_by_the_sender_signing_twice() -> None:
    old = sign_headers(BODY, "old-secret-0123456789", message_id="msg_r")
    new = sign_headers(BODY, "new-secret-0123456789", message_id="msg_r")
    both = {**new, WEBHOOK_SIGNATURE: f"{new[WEBHOOK_SIGNATURE]} {old[WEBHOOK_SIGNATURE]}"}
    assert identify_sender(BODY, both, {"P": "old-secret-0123456789"}).payer_id == "P"
    assert identify_sender(BODY, both, {"P": "new-secret-0123456789"}).payer_id == "P"


def test_header_lookup_is_case_insensitive() -> None:
    headers = {k.title(): v for k, v in sign_headers(BODY, SECRETS["PAYER-A"]).items()}
    assert identify_sender(BODY, headers, SECRETS).payer_id == "PAYER-A"


def test_no_configured_secret_refuses_and_a_broken_one_matches_nothing() -> None:
    headers = sign_headers(BODY, SECRETS["PAYER-A"])
    with pytest.raises(SignatureError):
        identify_sender(BODY, headers, {})
    broken = {"BROKEN": "whsec_!!!not-base64", **SECRETS}
    assert identify_sender(BODY, headers, broken).payer_id == "PAYER-A"
