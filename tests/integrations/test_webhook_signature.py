"""Webhook signatures: HMAC-SHA256 over `t.` + raw body, constant-time, with replay tolerance."""

from __future__ import annotations

import pytest

from integrations.webhook_signature import (
    SIGNATURE_HEADER,
    SignatureError,
    SignatureFailure,
    sign,
    signature_headers,
    verify,
    verify_headers,
)

BODY = b'{"resourceType":"Bundle","type":"history"}'
SECRET = "payer-secret-1"
T = 1_790_000_000


def test_valid_signature_passes() -> None:
    header = sign(BODY, SECRET, timestamp=T)
    assert header.startswith(f"t={T},v1=")
    verify(BODY, header, SECRET, now=T + 10)


def test_str_body_and_bytes_secret_are_the_same_signature() -> None:
    assert sign(BODY.decode(), SECRET.encode(), timestamp=T) == sign(BODY, SECRET, timestamp=T)


@pytest.mark.parametrize(
    ("body", "secret"),
    [(BODY + b" ", SECRET), (BODY, "another-secret"), (BODY.replace(b"history", b"batch"), SECRET)],
)
def test_forged_or_altered_is_a_mismatch(body: bytes, secret: str) -> None:
    header = sign(BODY, SECRET, timestamp=T)
    with pytest.raises(SignatureError) as caught:
        verify(body, header, secret, now=T)
    assert caught.value.failure == SignatureFailure.MISMATCH
    assert "signature mismatch" in caught.value.reason


def test_tampered_timestamp_is_a_mismatch() -> None:
    header = sign(BODY, SECRET, timestamp=T).replace(f"t={T}", f"t={T + 1}")
    with pytest.raises(SignatureError) as caught:
        verify(BODY, header, SECRET, now=T)
    assert caught.value.failure == SignatureFailure.MISMATCH


@pytest.mark.parametrize("offset", [301, -301, 86_400])
def test_stale_or_future_timestamp_is_refused(offset: int) -> None:
    header = sign(BODY, SECRET, timestamp=T)
    with pytest.raises(SignatureError) as caught:
        verify(BODY, header, SECRET, now=T + offset)
    assert caught.value.failure == SignatureFailure.STALE
    assert "tolerance 300 s" in caught.value.reason


def test_tolerance_is_configurable() -> None:
    header = sign(BODY, SECRET, timestamp=T)
    verify(BODY, header, SECRET, now=T + 3_000, tolerance=3_600)


@pytest.mark.parametrize("header", [None, "", "   "])
def test_missing_header(header: str | None) -> None:
    with pytest.raises(SignatureError) as caught:
        verify(BODY, header, SECRET, now=T)
    assert caught.value.failure == SignatureFailure.MISSING_HEADER
    assert caught.value.reason == f"missing {SIGNATURE_HEADER} header"


@pytest.mark.parametrize(
    "header",
    ["garbage", "t=abc,v1=00", f"v1={'0' * 64}", f"t={T}", f"t={T},v2=abc", "t=,v1="],
)
def test_malformed_header(header: str) -> None:
    with pytest.raises(SignatureError) as caught:
        verify(BODY, header, SECRET, now=T)
    assert caught.value.failure == SignatureFailure.MALFORMED


def test_secret_rotation_accepts_either_secret_and_several_signatures() -> None:
    old = sign(BODY, "old-secret", timestamp=T)
    verify(BODY, old, ["new-secret", "old-secret"], now=T)
    both = f"{sign(BODY, 'new-secret', timestamp=T)},v1={old.split('v1=')[1]}"
    verify(BODY, both, "old-secret", now=T)


def test_header_lookup_is_case_insensitive() -> None:
    headers = {k.lower(): v for k, v in signature_headers(BODY, SECRET, timestamp=T).items()}
    verify_headers(BODY, headers, SECRET, now=T)


def test_empty_secret_is_a_configuration_error() -> None:
    with pytest.raises(ValueError, match="must not be empty"):
        sign(BODY, "")
