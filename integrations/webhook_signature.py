"""Standard Webhooks signatures for payer webhooks and PAS rest-hook notifications.

The scheme is https://www.standardwebhooks.com (library `standardwebhooks`): three headers,

- `webhook-id`: the sender's message id, the same on every retry of one message;
- `webhook-timestamp`: unix seconds when it was (re)sent;
- `webhook-signature`: `v1,<base64 HMAC-SHA256(secret, f"{id}.{timestamp}." + raw body)>`,
  several space-separated while the sender rotates its secret.

Each secret belongs to one payer (`PRIORAUTH_WEBHOOK_SECRETS`: payer id -> secret). The receiver
learns who sent a message only from these headers: `identify_sender` tries every payer's secret
(all of them, whatever matched first, so the time taken says nothing about which payer) over the
raw bytes, before anything parses the body. Every failure - a missing, malformed or non-ASCII
header, a huge or stale timestamp, no matching secret - raises the same `SignatureError`; its
`reason` is for the log, never for the caller.

A secret written `whsec_<base64>` (the Standard Webhooks form) is used as the bytes it encodes;
any other string is used as its UTF-8 bytes.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from standardwebhooks import Webhook, WebhookVerificationError

from domain import limits

WEBHOOK_ID = "webhook-id"
WEBHOOK_TIMESTAMP = "webhook-timestamp"
WEBHOOK_SIGNATURE = "webhook-signature"
SIGNED_HEADERS = (WEBHOOK_ID, WEBHOOK_TIMESTAMP, WEBHOOK_SIGNATURE)
# The library refuses timestamps more than 5 minutes away; a configured tolerance can only
# narrow that window.
MAX_TOLERANCE_SECONDS = 300
DEFAULT_TOLERANCE_SECONDS = MAX_TOLERANCE_SECONDS
MESSAGE_ID_MAX = limits.PAYER_MESSAGE_ID
_SECRET_PREFIX = "whsec_"
_MESSAGE_ID = re.compile(rf"[A-Za-z0-9_.:\-]{{1,{MESSAGE_ID_MAX}}}")
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"[A-Za-z0-9+/=,_\- ]{1,2048}")


class SignatureError(Exception):
    """A message whose sender cannot be established. `reason` is for logs only."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class VerifiedMessage:
    """A message whose signature holds: who sent it, its id and when it was sent."""

    payer_id: str
    message_id: str
    sent_at: datetime


def webhook_for(secret: str | bytes) -> Webhook:
    """The Standard Webhooks signer/verifier for one configured secret."""
    if isinstance(secret, str) and not secret.startswith(_SECRET_PREFIX):
        secret = secret.encode()
    return Webhook(secret)


def sign_headers(
    body: bytes | str,
    secret: str | bytes,
    *,
    message_id: str | None = None,
    timestamp: int | None = None,
) -> dict[str, str]:
    """The three Standard Webhooks headers for `body` (for the sandbox payer and tests)."""
    msg_id = message_id or f"msg_{uuid.uuid4().hex}"
    moment = int(time.time()) if timestamp is None else timestamp
    signature = webhook_for(secret).sign(msg_id, datetime.fromtimestamp(moment, UTC), body)
    return {WEBHOOK_ID: msg_id, WEBHOOK_TIMESTAMP: str(moment), WEBHOOK_SIGNATURE: signature}


def _header(headers: Mapping[str, str], name: str, pattern: re.Pattern[str]) -> str:
    value = headers.get(name)
    if value is None:
        value = next((v for k, v in headers.items() if k.lower() == name), None)
    if value is None or not pattern.fullmatch(value):
        raise SignatureError(f"{name} missing or malformed")
    return value


def _timestamp(value: str, tolerance: int) -> datetime:
    seconds = int(value)  # at most 12 digits: no overflow anywhere below
    age = time.time() - seconds
    if abs(age) > min(tolerance, MAX_TOLERANCE_SECONDS):
        raise SignatureError(f"{WEBHOOK_TIMESTAMP} outside the tolerance window")
    return datetime.fromtimestamp(seconds, UTC)


def identify_sender(
    body: bytes,
    headers: Mapping[str, str],
    secrets: Mapping[str, str | bytes],
    *,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
) -> VerifiedMessage:
    """The payer whose secret signed `body`, or `SignatureError` (one kind for every failure).

    `secrets` maps payer id -> that payer's secret. Exactly one payer must match: two payers
    sharing a secret cannot be told apart, so such a message is refused too.
    """
    message_id = _header(headers, WEBHOOK_ID, _MESSAGE_ID)
    stamp = _header(headers, WEBHOOK_TIMESTAMP, _TIMESTAMP)
    signature = _header(headers, WEBHOOK_SIGNATURE, _SIGNATURE)
    sent_at = _timestamp(stamp, tolerance)
    if not secrets:
        raise SignatureError("no webhook secret is configured")
    signed = {WEBHOOK_ID: message_id, WEBHOOK_TIMESTAMP: stamp, WEBHOOK_SIGNATURE: signature}
    matches: list[str] = []
    for payer_id, secret in secrets.items():
        try:
            webhook_for(secret).verify(body, signed, json_parse=False)
        except WebhookVerificationError:
            continue
        except Exception:  # an unusable configured secret (bad base64, empty) matches nothing
            continue
        matches.append(payer_id)
    if len(matches) != 1:
        raise SignatureError("no payer secret matches" if not matches else "secret shared")
    return VerifiedMessage(payer_id=matches[0], message_id=message_id, sent_at=sent_at)


__all__ = [
    "DEFAULT_TOLERANCE_SECONDS",
    "MAX_TOLERANCE_SECONDS",
    "SIGNED_HEADERS",
    "WEBHOOK_ID",
    "WEBHOOK_SIGNATURE",
    "WEBHOOK_TIMESTAMP",
    "SignatureError",
    "VerifiedMessage",
    "identify_sender",
    "sign_headers",
    "webhook_for",
]
