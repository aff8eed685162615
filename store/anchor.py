"""Signed anchors of the audit chain head, kept outside the database.

The hash chain (store.audit) shows an edited row, unless whoever edited it also re-hashed every
later event and moved the chain head, which anyone with write access to the database can do.
An anchor records the head at one moment (sequence, event id, hash) with an HMAC-SHA256 under a
key the database never sees. Kept elsewhere (`priorauth audit anchor` on a schedule), it makes
such a rewrite visible: the chain may verify, but the anchored event no longer has the anchored
hash, and a forged anchor needs the key. Events appended after the newest anchor are covered
only by the chain itself until the next anchor.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session, col, select

from store._json import canonical_json
from store.audit import HEAD_ID
from store.tables import AuditChainHead, AuditEventRow
from store.types import utcnow

MIN_KEY_BYTES = 32


class AnchorKeyError(ValueError):
    """A malformed anchor key entry (messages carry key ids only)."""


class AnchorMismatchError(ValueError):
    """The anchor does not hold: bad signature, unknown key, or the chain differs from it."""


class AuditAnchor(BaseModel):
    """The chain head at `anchored_at`, signed. `events` is the head's sequence number."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    format: Literal["priorauth-audit-anchor/1"] = "priorauth-audit-anchor/1"
    anchored_at: datetime
    events: int = Field(ge=0)
    last_event_id: str | None
    head_hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    key_id: str = Field(min_length=1)
    hmac_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


def parse_anchor_keys(entries: Iterable[str]) -> list[tuple[str, bytes]]:
    """`key-id:base64-secret` entries (32 bytes or more), newest first: the newest signs,
    every listed key verifies (so anchors made before a rotation still check)."""
    keys: list[tuple[str, bytes]] = []
    for entry in entries:
        key_id, sep, encoded = entry.partition(":")
        key_id = key_id.strip()
        if not sep or not key_id:
            raise AnchorKeyError("anchor key entries look like 'key-id:base64-secret'")
        if any(key_id == known for known, _ in keys):
            raise AnchorKeyError(f"anchor key id '{key_id}' is listed twice")
        try:
            key = base64.b64decode(encoded.strip(), validate=True)
        except ValueError as exc:
            raise AnchorKeyError(f"anchor key '{key_id}' is not valid base64") from exc
        if len(key) < MIN_KEY_BYTES:
            raise AnchorKeyError(f"anchor key '{key_id}' must be {MIN_KEY_BYTES} bytes or more")
        keys.append((key_id, key))
    if not keys:
        raise AnchorKeyError("no anchor key configured (PRIORAUTH_AUDIT_ANCHOR_KEYS)")
    return keys


def make_anchor(*, session: Session, keys: Sequence[tuple[str, bytes]]) -> AuditAnchor:
    """Sign the chain head as it is now with the newest key. Verify the chain first: an anchor
    vouches for every event up to the head."""
    last_sequence, head_hash = session.exec(
        select(col(AuditChainHead.last_sequence), col(AuditChainHead.last_hash)).where(
            col(AuditChainHead.id) == HEAD_ID
        )
    ).one()
    last_event_id = None
    if last_sequence:
        last_event_id = session.exec(
            select(col(AuditEventRow.event_id)).where(col(AuditEventRow.sequence) == last_sequence)
        ).one()
    key_id, key = keys[0]
    unsigned: dict[str, Any] = {
        "format": "priorauth-audit-anchor/1",
        "anchored_at": utcnow(),
        "events": last_sequence,
        "last_event_id": last_event_id,
        "head_hash": head_hash,
        "key_id": key_id,
    }
    return AuditAnchor(**unsigned, hmac_sha256=_mac(key, unsigned))


def check_anchor(
    *, session: Session, anchor: AuditAnchor, keys: Sequence[tuple[str, bytes]]
) -> None:
    """Raise `AnchorMismatchError` unless the anchor's signature holds under its key and the chain
    still holds the anchored event with the anchored hash. The chain's own links are
    `store.audit.verify_chain`'s to check; with both, events 1..anchor.events are as anchored."""
    keyring = dict(keys)
    key = keyring.get(anchor.key_id)
    if key is None:
        raise AnchorMismatchError(
            f"the anchor is signed with key id '{anchor.key_id}', which is not configured"
        )
    unsigned = anchor.model_dump(exclude={"hmac_sha256"})
    if not hmac.compare_digest(_mac(key, unsigned), anchor.hmac_sha256):
        raise AnchorMismatchError(
            f"the anchor's signature does not verify under key '{anchor.key_id}' "
            "(a different key, or the anchor file was edited)"
        )
    if anchor.events == 0:
        return
    row = session.exec(
        select(col(AuditEventRow.event_id), col(AuditEventRow.hash)).where(
            col(AuditEventRow.sequence) == anchor.events
        )
    ).first()
    if row is None:
        raise AnchorMismatchError(
            f"the anchor covers {anchor.events} events, the chain has no event "
            f"{anchor.events} (history deleted or rewritten since "
            f"{anchor.anchored_at.isoformat()})"
        )
    event_id, event_hash = row
    if (event_id, event_hash) != (anchor.last_event_id, anchor.head_hash):
        raise AnchorMismatchError(
            f"event {anchor.events} is not the one anchored at {anchor.anchored_at.isoformat()}: "
            f"anchored {anchor.last_event_id} with hash {anchor.head_hash[:12]}…, the chain has "
            f"{event_id} with hash {event_hash[:12]}… (history rewritten and re-hashed)"
        )


def _mac(key: bytes, unsigned: dict[str, Any]) -> str:
    content = dict(unsigned)
    content["anchored_at"] = content["anchored_at"].isoformat()
    message = canonical_json(content).encode("utf-8")
    return hmac.new(key, message, hashlib.sha256).hexdigest()
