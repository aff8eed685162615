"""Payer decisions: one row per decision (unique per case by `decision_id`), one per item."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from domain.enums import DecisionSource, ItemOutcome
from domain.models import ItemDecision, PayerDecision
from store._base import insert_once, require_case
from store.tables import DecisionItemRow, DecisionRow
from store.types import utcnow


def record_decision(*, session: Session, case_id: str, decision: PayerDecision) -> PayerDecision:
    """Store a payer decision once; the same `decision_id` again returns the stored one.

    First write wins: a redelivered webhook or PAS notification changes nothing.
    """
    require_case(session, case_id)

    def find() -> DecisionRow | None:
        return session.exec(
            _DECISION, params={"b_case_id": case_id, "b_decision_id": decision.decision_id}
        ).first()

    def insert() -> DecisionRow:
        row = DecisionRow(**decision_fields(case_id, decision, utcnow()))
        session.add(row)
        session.flush()
        assert row.id is not None
        session.add_all(
            DecisionItemRow(**item_fields(row.id, case_id, item)) for item in decision.items
        )
        return row

    row, _ = insert_once(session, find=find, insert=insert)
    assert row.id is not None
    items = session.exec(_ITEMS_OF_DECISION, params={"b_decision_pk": row.id}).all()
    return _decision(row, list(items))


# Prebuilt: workflow transitions record decisions, and building the statements per call costs
# more than running them.
_DECISION = select(DecisionRow).where(
    DecisionRow.case_id == bindparam("b_case_id"),
    DecisionRow.decision_id == bindparam("b_decision_id"),
)
_ITEMS_OF_DECISION = (
    select(DecisionItemRow)
    .where(DecisionItemRow.decision_pk == bindparam("b_decision_pk"))
    .order_by(col(DecisionItemRow.sequence))
)


def list_decisions(*, session: Session, case_id: str) -> list[PayerDecision]:
    """A case's decisions in the order they were made (then recorded)."""
    rows = session.exec(
        select(DecisionRow)
        .where(DecisionRow.case_id == case_id)
        .order_by(col(DecisionRow.decided_at), col(DecisionRow.id))
    ).all()
    items: defaultdict[int, list[DecisionItemRow]] = defaultdict(list)
    for item in session.exec(
        select(DecisionItemRow)
        .where(DecisionItemRow.case_id == case_id)
        .order_by(col(DecisionItemRow.decision_pk), col(DecisionItemRow.sequence))
    ):
        items[item.decision_pk].append(item)
    return [_decision(row, items[row.id or 0]) for row in rows]


def decision_fields(case_id: str, decision: PayerDecision, recorded_at: datetime) -> dict[str, Any]:
    """The `payer_decisions` columns of `decision` (all but the id); also `store.transitions`'."""
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


def _decision(row: DecisionRow, items: list[DecisionItemRow]) -> PayerDecision:
    return PayerDecision(
        decision_id=row.decision_id,
        source=DecisionSource(row.source),
        decided_at=row.decided_at,
        received_at=row.received_at,
        payer_reference=row.payer_reference,
        note=row.note,
        notice_date=row.notice_date,
        items=[
            ItemDecision(
                sequence=item.sequence,
                review_action_code=item.review_action_code,
                review_action_display=item.review_action_display,
                outcome=ItemOutcome(item.outcome),
                authorization_number=item.authorization_number,
                approved_units=item.approved_units,
                authorized_start=item.authorized_start,
                authorized_end=item.authorized_end,
                reason_code=item.reason_code,
                reason_text=item.reason_text,
                policy_cited=item.policy_cited,
                modification=item.modification,
            )
            for item in items
        ],
    )
