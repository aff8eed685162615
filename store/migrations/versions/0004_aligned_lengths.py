"""Lengths aligned with the models, and the marker of cases whose workflow runs.

Revision ID: 0004
Revises: 0002
Create Date: 2026-12-04

Lengths: every `String(n)` column now takes `n` from `domain.limits`, the constants the models
take their `max_length` from. The models were narrowed to the columns (none was wider than its
column's model), so no column changes length and no data is touched.

`cases.workflow_started_at`: set once the case's workflow is known to exist, by its first
recorded step or by the reconciler (`runtime.reconcile`), which reads only the cases where it
is NULL through the partial index `ix_cases_workflow_unstarted`. Existing cases past `opened`
have had a workflow writing to them, so they are marked with their `updated_at`; cases still
`opened` stay NULL and the reconciler makes sure each has its workflow (starting with
id-conflict USE_EXISTING, so one already running is left as it is).

Batch mode, so the column is added the same way on SQLite and PostgreSQL; `cases` carries no
trigger a SQLite table copy could lose.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_cases_workflow_unstarted"
UNSTARTED = "workflow_started_at IS NULL"


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("workflow_started_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE cases SET workflow_started_at = updated_at "
        "WHERE status <> 'opened' AND workflow_started_at IS NULL"
    )
    op.create_index(
        INDEX,
        "cases",
        ["created_at"],
        sqlite_where=sa.text(UNSTARTED),
        postgresql_where=sa.text(UNSTARTED),
    )


def downgrade() -> None:
    op.drop_index(INDEX, table_name="cases")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("workflow_started_at")
