"""HMAC-SHA256 signatures for payer webhooks and PAS rest-hook notifications.

Header: `X-Priorauth-Signature: t=<unix seconds>,v1=<hex>`, where `v1` is
HMAC-SHA256(secret, f"{t}." + raw body) with the payer's own secret. The receiver recomputes it
over the raw bytes it got (never a re-serialized JSON), compares in constant time, and refuses
timestamps more than `tolerance` seconds away from its clock, so a captured request cannot be
replayed later. Several `v1=` values (and several secrets on the receiving side) allow rotating
a secret without downtime.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping, Sequence
from enum import StrEnum

SIGNATURE_HEADER = "X-Priorauth-Signature"
DEFAULT_TOLERANCE_SECONDS = 300
SCHEME = "v1"


class SignatureFailure(StrEnum):
    MISSING_HEADER = "missing_header"
    MALFORMED = "malformed"
    STALE = "stale"
    MISMATCH = "mismatch"


class SignatureError(Exception):
    """A webhook whose signature cannot be trusted; `reason` says why, `failure` is the kind."""

    def __init__(self, reason: str, failure: SignatureFailure = SignatureFailure.MISMATCH) -> None:
        super().__init__(reason)
        self.reason = reason
        self.failure = failure


def _key(secret: str | bytes) -> bytes:
    key = secret.encode() if isinstance(secret, str) else secret
    if not key:
        raise ValueError("a webhook secret must not be empty")
    return key


def _as_bytes(body: bytes | str) -> bytes:
    return body.encode() if isinstance(body, str) else body


def compute_signature(body: bytes | str, secret: str | bytes, timestamp: int) -> str:
    """The hex HMAC-SHA256 of `f"{timestamp}." + body` under `secret`."""
    payload = str(timestamp).encode() + b"." + _as_bytes(body)
    return hmac.new(_key(secret), payload, hashlib.sha256).hexdigest()


def sign(body: bytes | str, secret: str | bytes, *, timestamp: int | None = None) -> str:
    """The `X-Priorauth-Signature` header value for `body` (for payers, the sandbox and tests)."""
    moment = int(time.time()) if timestamp is None else timestamp
    return f"t={moment},{SCHEME}={compute_signature(body, secret, moment)}"


def signature_headers(
    body: bytes | str, secret: str | bytes, *, timestamp: int | None = None
) -> dict[str, str]:
    return {SIGNATURE_HEADER: sign(body, secret, timestamp=timestamp)}


def _parse(header: str) -> tuple[int, list[str]]:
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep or not value:
            raise SignatureError(
                f"malformed {SIGNATURE_HEADER}: expected 't=<unix seconds>,v1=<hex>'",
                SignatureFailure.MALFORMED,
            )
        if key == "t":
            if not value.isdigit():
                raise SignatureError(
                    f"malformed {SIGNATURE_HEADER}: t must be unix seconds",
                    SignatureFailure.MALFORMED,
                )
            timestamp = int(value)
        elif key == SCHEME:
            signatures.append(value.lower())
    if timestamp is None:
        raise SignatureError(
            f"malformed {SIGNATURE_HEADER}: no timestamp (t=...)", SignatureFailure.MALFORMED
        )
    if not signatures:
        raise SignatureError(
            f"malformed {SIGNATURE_HEADER}: no {SCHEME}= signature", SignatureFailure.MALFORMED
        )
    return timestamp, signatures


def verify(
    body: bytes | str,
    header: str | None,
    secret: str | bytes | Sequence[str | bytes],
    *,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> None:
    """Check a signature header against the raw body; raise `SignatureError` if it fails.

    `secret` may be a list (current and previous secret while rotating). The timestamp must be
    within `tolerance` seconds of `now` in either direction.
    """
    if header is None or not header.strip():
        raise SignatureError(f"missing {SIGNATURE_HEADER} header", SignatureFailure.MISSING_HEADER)
    timestamp, signatures = _parse(header)
    current = time.time() if now is None else now
    age = current - timestamp
    if abs(age) > tolerance:
        where = "old" if age > 0 else "in the future"
        raise SignatureError(
            f"stale signature: timestamp is {abs(int(age))} s {where} "
            f"(tolerance {tolerance} s); the request may be a replay",
            SignatureFailure.STALE,
        )
    secrets = [secret] if isinstance(secret, (str, bytes)) else list(secret)
    if not secrets:
        raise ValueError("no webhook secret configured")
    for candidate in secrets:
        expected = compute_signature(body, candidate, timestamp)
        if any(hmac.compare_digest(expected, given) for given in signatures):
            return
    raise SignatureError(
        "signature mismatch: the body was altered or signed with another secret",
        SignatureFailure.MISMATCH,
    )


def verify_headers(
    body: bytes | str,
    headers: Mapping[str, str],
    secret: str | bytes | Sequence[str | bytes],
    *,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> None:
    """`verify` with the header looked up case-insensitively in a header mapping."""
    wanted = SIGNATURE_HEADER.lower()
    header = next((value for key, value in headers.items() if key.lower() == wanted), None)
    verify(body, header, secret, tolerance=tolerance, now=now)


__all__ = [
    "DEFAULT_TOLERANCE_SECONDS",
    "SIGNATURE_HEADER",
    "SignatureError",
    "SignatureFailure",
    "compute_signature",
    "sign",
    "signature_headers",
    "verify",
    "verify_headers",
]
