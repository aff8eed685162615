"""The audit trail: an append-only, hash-chained log of every step of every case.

Each event's `hash` is sha256 over the canonical JSON of its own fields and `prev_hash`, the
hash of the event before it, so editing, deleting or reordering any row breaks the chain from
that point on and `verify_chain` names the first broken link.

Appends serialize on the single `audit_chain_head` row: `SELECT ... FOR UPDATE` on PostgreSQL;
on SQLite every write transaction already holds the database's write lock (`BEGIN IMMEDIATE`,
see `store.database`). The head row also records the last sequence and hash, which is how a
deleted tail is noticed. `store.transitions` appends (its `TransitionWrites.append_event_once`);
this module reads and verifies. Code never UPDATEs or DELETEs an audit row.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from typing import Any

from sqlalchemy import select as sa_select
from sqlmodel import Session, SQLModel, col, select

from store._json import canonical_json
from store.records import AuditEvent, BrokenLink, VerifyResult
from store.tables import GENESIS_HASH, AuditChainHead, AuditEventRow
from store.types import require_aware

HEAD_ID = 1
AUDIT_EVENTS = "audit_events"
SYSTEM_ACTOR = "system"


def timeline(*, session: Session, case_id: str) -> list[AuditEvent]:
    """A case's events in the order they were appended."""
    rows = session.exec(
        select(AuditEventRow)
        .where(AuditEventRow.case_id == case_id)
        .order_by(col(AuditEventRow.sequence))
    ).all()
    return [_event(row) for row in rows]


def verify_chain(*, session: Session, batch_size: int = 1000) -> VerifyResult:
    """Walk the whole chain in order and report the first broken link, if any.

    Events appended after the walk started (beyond the head read first) are not checked.
    """
    last_sequence, head_hash = session.exec(
        select(col(AuditChainHead.last_sequence), col(AuditChainHead.last_hash)).where(
            AuditChainHead.id == HEAD_ID
        )
    ).one()
    expected, prev_hash, checked = 1, GENESIS_HASH, 0
    for row in _rows(session, upto=last_sequence, batch_size=batch_size):
        broken = _check(row, expected, prev_hash)
        if broken is not None:
            return VerifyResult(events_checked=checked, last_sequence=last_sequence, broken=broken)
        expected, prev_hash, checked = row["sequence"] + 1, row["hash"], checked + 1
    if expected <= last_sequence or prev_hash != head_hash:
        broken = BrokenLink(
            sequence=expected,
            event_id=None,
            kind="tail",
            message=(
                f"the chain head records {last_sequence} events ending in hash "
                f"{head_hash[:12]}…, the table ends at sequence {expected - 1} "
                f"with hash {prev_hash[:12]}… (rows deleted from the end?)"
            ),
        )
        return VerifyResult(events_checked=checked, last_sequence=last_sequence, broken=broken)
    return VerifyResult(events_checked=checked, last_sequence=last_sequence)


def event_hash(fields: Mapping[str, Any]) -> str:
    """sha256 hex of the canonical JSON of an event's fields (everything but `hash`)."""
    content = {name: value for name, value in fields.items() if name != "hash"}
    content["occurred_at"] = require_aware(content["occurred_at"]).isoformat()
    return hashlib.sha256(canonical_json(content).encode("utf-8")).hexdigest()


def _check(row: dict[str, Any], expected: int, prev_hash: str) -> BrokenLink | None:
    sequence, event_id = row["sequence"], row["event_id"]
    if sequence != expected:
        return BrokenLink(
            sequence=expected,
            event_id=event_id,
            kind="gap",
            message=(
                f"sequence {expected} is missing (deleted row?); "
                f"the next event is {sequence} ({event_id})"
            ),
        )
    if row["prev_hash"] != prev_hash:
        return BrokenLink(
            sequence=sequence,
            event_id=event_id,
            kind="prev_link",
            message=f"event {sequence}'s prev_hash is not the hash of event {expected - 1}",
        )
    if event_hash(row) != row["hash"]:
        return BrokenLink(
            sequence=sequence,
            event_id=event_id,
            kind="edited",
            message=f"event {sequence}'s content does not match its hash (edited row?)",
        )
    return None


def _rows(session: Session, *, upto: int, batch_size: int) -> Iterator[dict[str, Any]]:
    """Events 1..upto in sequence order as plain column dicts, fetched in keyset batches:
    bounded memory, and nothing lands in the caller's session."""
    table = SQLModel.metadata.tables[AUDIT_EVENTS]
    after = 0
    while True:
        batch = (
            session.connection()
            .execute(
                sa_select(table)
                .where(table.c.sequence > after, table.c.sequence <= upto)
                .order_by(table.c.sequence)
                .limit(batch_size)
            )
            .mappings()
            .all()
        )
        if not batch:
            return
        for row in batch:
            yield dict(row)
        after = batch[-1]["sequence"]


def _event(row: AuditEventRow) -> AuditEvent:
    return AuditEvent.model_validate(row, from_attributes=True)
