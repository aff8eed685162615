"""Payer decisions: one row per decision (unique per case by `decision_id`), one per item.

Recorded by `store.transitions` (first write wins); read here.
"""

from __future__ import annotations

from collections import defaultdict

from sqlmodel import Session, col, select

from domain.enums import DecisionSource, ItemOutcome
from domain.models import ItemDecision, PayerDecision
from store.tables import DecisionItemRow, DecisionRow


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
