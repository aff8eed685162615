"""The audit trail: an append-only, hash-chained log of every step of every case.

Each event's `hash` is sha256 over the canonical JSON of its own fields and `prev_hash`, the
hash of the event before it, so editing, deleting or reordering any row breaks the chain from
that point on and `verify_chain` names the first broken link.

Appends serialize on the single `audit_chain_head` row: `SELECT ... FOR UPDATE` on PostgreSQL;
on SQLite every write transaction already holds the database's write lock (`BEGIN IMMEDIATE`,
see `store.database`). The lock is held until the caller commits, so append the audit event
last in a unit of work. The head row also records the last sequence and hash, which is how a
deleted tail is noticed. Code never UPDATEs or DELETEs an audit row.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, SQLModel, col, select

from store._json import canonical_json, json_dict
from store.errors import IdempotencyConflictError
from store.records import AuditEvent, BrokenLink, VerifyResult
from store.tables import GENESIS_HASH, AuditChainHead, AuditEventRow
from store.types import require_aware, utcnow

HEAD_ID = 1
AUDIT_EVENTS = "audit_events"
SYSTEM_ACTOR = "system"


def append_event(
    *,
    session: Session,
    idempotency_key: str,
    action: str,
    actor: str,
    summary: str,
    case_id: str | None = None,
    rule_cited: str | None = None,
    details: Mapping[str, Any] | None = None,
    occurred_at: datetime | None = None,
) -> AuditEvent:
    """Append one event, or return the event already stored under `idempotency_key`.

    Keys name the step, not the attempt (e.g. `case-123:7:decision-recorded`). The same key
    with another action or case raises `IdempotencyConflictError`. `details` is JSON data and, by
    convention, carries no PHI (ids, codes, counts, due moments).
    """
    connection = session.connection()
    last_sequence, last_hash = connection.execute(_HEAD_FOR_UPDATE).one()
    # Checked under the lock: a concurrent append of the same key has committed by now.
    existing = connection.execute(_EXISTING, {"key": idempotency_key}).mappings().first()
    if existing is not None:
        if (existing["action"], existing["case_id"]) != (action, case_id):
            raise IdempotencyConflictError(
                "audit event", idempotency_key, "already recorded for another action or case"
            )
        return AuditEvent.model_validate(dict(existing))
    fields = new_event_fields(
        last_sequence=last_sequence,
        last_hash=last_hash,
        idempotency_key=idempotency_key,
        action=action,
        actor=actor,
        summary=summary,
        case_id=case_id,
        rule_cited=rule_cited,
        details=details,
        occurred_at=occurred_at,
    )
    connection.execute(_INSERT, fields)
    connection.execute(_MOVE_HEAD, {"new_sequence": fields["sequence"], "new_hash": fields["hash"]})
    return AuditEvent(**fields)


# Prebuilt Core statements: appends are the hottest writes of the store, and building ORM
# statements per call costs more than running them.
_EVENTS = SQLModel.metadata.tables[AUDIT_EVENTS]
_HEAD = SQLModel.metadata.tables["audit_chain_head"]
_HEAD_FOR_UPDATE = (
    sa_select(_HEAD.c.last_sequence, _HEAD.c.last_hash)
    .where(_HEAD.c.id == HEAD_ID)
    .with_for_update()
)
_EXISTING = sa_select(_EVENTS).where(_EVENTS.c.idempotency_key == bindparam("key"))
_INSERT = insert(_EVENTS)
_MOVE_HEAD = (
    update(_HEAD)
    .where(_HEAD.c.id == HEAD_ID)
    .values(last_sequence=bindparam("new_sequence"), last_hash=bindparam("new_hash"))
)


def new_event_fields(
    *,
    last_sequence: int,
    last_hash: str,
    idempotency_key: str,
    action: str,
    actor: str,
    summary: str,
    case_id: str | None,
    rule_cited: str | None,
    details: Mapping[str, Any] | None,
    occurred_at: datetime | None,
) -> dict[str, Any]:
    """The columns of the event that follows the chain head (`last_sequence`, `last_hash`),
    hash included; also `store.transitions`'."""
    fields: dict[str, Any] = {
        "sequence": last_sequence + 1,
        "event_id": uuid.uuid4().hex,
        "idempotency_key": idempotency_key,
        "case_id": case_id,
        "occurred_at": require_aware(occurred_at or utcnow(), "occurred_at"),
        "actor": actor,
        "action": action,
        "summary": summary,
        "rule_cited": rule_cited,
        "details": json_dict(details),
        "prev_hash": last_hash,
    }
    fields["hash"] = event_hash(fields)
    return fields


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
