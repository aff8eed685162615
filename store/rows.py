"""The column values `store.transitions` writes, built from the domain models: pure functions.

One function per kind of row the writer inserts or updates (an audit event, a task, a deadline
revision, a decision and its items, an appeal's state, a contact). They read no clock but
`utcnow()` for the bookkeeping columns (`created_at`, `updated_at`, `recorded_at`).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from domain.case.read_model import Appeal
from domain.models import CaseDeadline, ContactLogEntry, ItemDecision, PayerDecision
from store._json import json_dict
from store.audit import event_hash
from store.records import TaskStatus
from store.types import require_aware, utcnow


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
    """The columns of the audit event that follows the chain head (`last_sequence`,
    `last_hash`), hash included."""
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


def new_task_fields(
    *,
    idempotency_key: str,
    case_id: str,
    kind: str,
    title: str,
    due_at: datetime | None,
    assignee: str | None,
    queue: str | None,
    deadline_key: str | None,
    note: str | None,
) -> dict[str, Any]:
    """The `tasks` columns of a new open task (all but the id)."""
    now = utcnow()
    return {
        "idempotency_key": idempotency_key,
        "case_id": case_id,
        "kind": kind,
        "title": title,
        "assignee": assignee,
        "queue": queue,
        "due_at": None if due_at is None else require_aware(due_at, "due_at"),
        "status": TaskStatus.OPEN.value,
        "deadline_key": deadline_key,
        "note": note,
        "created_at": now,
        "updated_at": now,
        "completed_at": None,
        "completed_by": None,
    }


def revision_fields(deadline: CaseDeadline, now: datetime) -> dict[str, Any]:
    """The columns of a deadline revision that `deadline` sets (all but id, case, key,
    revision and `created_at`): what an update of the current revision in place sets."""
    return {
        "label": deadline.label,
        "obligor": deadline.obligor.value,
        "due_at": require_aware(deadline.due_at),
        "starts_at": deadline.starts_at,
        "rule": deadline.rule,
        "rule_id": deadline.rule_id,
        "convention": deadline.convention,
        "explanation": deadline.explanation,
        "met_at": deadline.met_at,
        "superseded": deadline.superseded,
        "updated_at": now,
    }


def decision_fields(case_id: str, decision: PayerDecision, recorded_at: datetime) -> dict[str, Any]:
    """The `payer_decisions` columns of `decision` (all but the id)."""
    return {
        "case_id": case_id,
        "decision_id": decision.decision_id,
        "source": decision.source.value,
        "decided_at": decision.decided_at,
        "received_at": decision.received_at,
        "payer_reference": decision.payer_reference,
        "note": decision.note,
        "notice_date": decision.notice_date,
        "recorded_at": recorded_at,
    }


def item_fields(decision_pk: int, case_id: str, item: ItemDecision) -> dict[str, Any]:
    """The `payer_decision_items` columns of `item` (all but the id)."""
    return {
        "decision_pk": decision_pk,
        "case_id": case_id,
        "sequence": item.sequence,
        "review_action_code": item.review_action_code,
        "review_action_display": item.review_action_display,
        "outcome": item.resolved_outcome.value,
        "authorization_number": item.authorization_number,
        "approved_units": item.approved_units,
        "authorized_start": item.authorized_start,
        "authorized_end": item.authorized_end,
        "reason_code": item.reason_code,
        "reason_text": item.reason_text,
        "policy_cited": item.policy_cited,
        "modification": item.modification,
    }


def appeal_state_fields(appeal: Appeal, now: datetime) -> dict[str, Any]:
    """The `appeals` columns an upsert replaces (all but id, case, level and `created_at`)."""
    return {
        "number": appeal.number,
        "expedited": appeal.expedited,
        "status": appeal.status.value,
        "sequences": list(appeal.sequences),
        "filed_at": appeal.filed_at,
        "decided_at": appeal.decided_at,
        "arguments": list(appeal.arguments),
        "requested_peer_to_peer": appeal.requested_peer_to_peer,
        "outcome_note": appeal.outcome_note,
        "updated_at": now,
    }


def contact_fields(
    idempotency_key: str, case_id: str, entry: ContactLogEntry, recorded_by: str | None
) -> dict[str, Any]:
    """The `contacts` columns of a new entry (all but the id)."""
    return {
        "idempotency_key": idempotency_key,
        "case_id": case_id,
        "channel": entry.channel.value,
        "direction": entry.direction.value,
        "occurred_at": entry.occurred_at,
        "counterpart": entry.counterpart,
        "reference_number": entry.reference_number,
        "summary": entry.summary,
        "follow_up_due": entry.follow_up_due,
        "recorded_by": recorded_by,
        "created_at": utcnow(),
    }
