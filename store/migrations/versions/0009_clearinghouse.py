"""The clearinghouse channel: the trace ledger and the review queue of unmatched messages.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05

- `clearinghouse_traces`: one row per submission sent as an X12 278: the trace number
  (unique), the submission key (unique: one trace per submission, also across worker
  restarts), the case, the state (sending, pended, decided, rejected), the 999 status, when
  it was sent, the last decision and the rejection text. The row id is the 278's ISA13/GS06.
- `clearinghouse_unmatched`: a 278, 999 or TA1 that matched no ledger row or no case (or that
  needs a person), with why, the X12 text and who resolved it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MOMENT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "clearinghouse_traces",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trace_number", sa.String(length=50), nullable=False),
        sa.Column("submission_key", sa.String(length=255), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("payer_id", sa.String(length=120), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("acknowledgment", sa.String(length=16), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.Column("sent_at", MOMENT, nullable=True),
        sa.Column("updated_at", MOMENT, nullable=False),
        sa.Column("decision", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_clearinghouse_traces"),
        sa.UniqueConstraint("trace_number", name="uq_clearinghouse_traces_trace_number"),
        sa.UniqueConstraint("submission_key", name="uq_clearinghouse_traces_submission_key"),
    )
    op.create_index("ix_clearinghouse_traces_case_id", "clearinghouse_traces", ["case_id"])
    op.create_table(
        "clearinghouse_unmatched",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("received_at", MOMENT, nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("trace_numbers", sa.JSON(), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("resolved_at", MOMENT, nullable=True),
        sa.Column("resolved_by", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_clearinghouse_unmatched"),
    )
    op.create_index(
        "ix_clearinghouse_unmatched_resolved_at_received_at",
        "clearinghouse_unmatched",
        ["resolved_at", "received_at"],
    )


def downgrade() -> None:
    op.drop_index(
        "ix_clearinghouse_unmatched_resolved_at_received_at", table_name="clearinghouse_unmatched"
    )
    op.drop_table("clearinghouse_unmatched")
    op.drop_index("ix_clearinghouse_traces_case_id", table_name="clearinghouse_traces")
    op.drop_table("clearinghouse_traces")
