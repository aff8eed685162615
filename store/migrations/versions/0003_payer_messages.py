"""Payer messages bound to their payer: replay table and indexed case identifiers.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04

- `payer_messages`: one row per signed payer message (Standard Webhooks `webhook-id`) seen
  within the signature tolerance window, unique on (payer_id, message_id), so a replayed
  message is answered as a duplicate and applied once.
- `cases.external_reference` (the request's trace number / EHR reference) with an index on
  (payer_id, external_reference), back-filled from the stored request.
- An index on `payer_decisions.payer_reference` (the payer's pre-auth reference); a hash index
  on PostgreSQL, whose b-tree entries are limited in size (the column is unbounded text).

A payer's message finds its case through these indexes only, never by scanning requests.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EXTERNAL_REFERENCE_MAX = 255


def upgrade() -> None:
    op.create_table(
        "payer_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("payer_id", sa.String(length=120), nullable=False),
        sa.Column("message_id", sa.String(length=120), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("case_id", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payer_messages")),
        sa.UniqueConstraint(
            "payer_id", "message_id", name=op.f("uq_payer_messages_payer_id_message_id")
        ),
    )
    op.create_index(op.f("ix_payer_messages_sent_at"), "payer_messages", ["sent_at"])

    with op.batch_alter_table("cases") as batch:
        batch.add_column(
            sa.Column(
                "external_reference", sa.String(length=EXTERNAL_REFERENCE_MAX), nullable=True
            )
        )
    if op.get_context().dialect.name == "postgresql":
        reference = "request->>'external_reference'"
    else:
        reference = "json_extract(request, '$.external_reference')"
    op.execute(
        f"UPDATE cases SET external_reference = TRIM({reference}) "
        f"WHERE {reference} IS NOT NULL AND LENGTH(TRIM({reference})) "
        f"BETWEEN 1 AND {EXTERNAL_REFERENCE_MAX}"
    )
    op.create_index(
        op.f("ix_cases_payer_id_external_reference"), "cases", ["payer_id", "external_reference"]
    )
    op.create_index(
        op.f("ix_payer_decisions_payer_reference"),
        "payer_decisions",
        ["payer_reference"],
        postgresql_using="hash",
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_payer_decisions_payer_reference"), table_name="payer_decisions")
    op.drop_index(op.f("ix_cases_payer_id_external_reference"), table_name="cases")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("external_reference")
    op.drop_index(op.f("ix_payer_messages_sent_at"), table_name="payer_messages")
    op.drop_table("payer_messages")
