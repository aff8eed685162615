"""Cases belong to a team; PHI reads are recorded in an append-only `phi_reads` table.

Revision ID: 0005
Revises: 0002
Create Date: 2026-12-04

- `cases.team` (VARCHAR(64), NOT NULL): existing rows get the team "default", the team API keys
  have when none is configured. Indexed with what case listings filter and sort on, so a case
  manager's listing (team = ...) stays an index scan.
- `phi_reads`: one row per response that carried a case's PHI (who, which case, when, which
  route). Like `audit_events` (revision 0002) it refuses UPDATE and DELETE (and TRUNCATE on
  PostgreSQL) with an integrity error whose message starts with "phi_reads is append-only".

Adding a column is a plain ALTER TABLE on SQLite too (no table copy), so the triggers of 0002
on `audit_events` are untouched.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEFAULT_TEAM = "default"
MESSAGE = "phi_reads is append-only"
SQLITE_TRIGGERS = {
    operation: f"phi_reads_no_{operation.lower()}" for operation in ("UPDATE", "DELETE")
}
PG_FUNCTION = "phi_reads_append_only"
PG_TRIGGER = "phi_reads_append_only"
TEAM_INDEXES = {
    "ix_cases_team_next_due_at": ["team", "next_due_at"],
    "ix_cases_team_status_next_due_at": ["team", "status", "next_due_at"],
    "ix_cases_team_assignee_next_due_at": ["team", "assignee", "next_due_at"],
    "ix_cases_team_case_number": ["team", "case_number"],
}


def _dialect() -> str:
    name = op.get_context().dialect.name
    if name not in ("sqlite", "postgresql"):
        raise NotImplementedError(f"no append-only triggers for {name}")
    return name


def upgrade() -> None:
    dialect = _dialect()
    # The server default fills the existing rows (and any insert that names no team).
    op.add_column(
        "cases",
        sa.Column("team", sa.String(length=64), nullable=False, server_default=DEFAULT_TEAM),
    )
    for name, columns in TEAM_INDEXES.items():
        op.create_index(name, "cases", columns)

    op.create_table(
        "phi_reads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("route", sa.String(length=200), nullable=False),
        sa.Column("request_id", sa.String(length=128), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_phi_reads")),
    )
    op.create_index(op.f("ix_phi_reads_case_id_id"), "phi_reads", ["case_id", "id"])
    op.create_index(op.f("ix_phi_reads_actor_id"), "phi_reads", ["actor", "id"])

    if dialect == "sqlite":
        for operation, trigger in SQLITE_TRIGGERS.items():
            op.execute(
                f"CREATE TRIGGER {trigger} BEFORE {operation} ON phi_reads "
                f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}: {operation} is not allowed'); END"
            )
        return
    op.execute(
        f"""
        CREATE FUNCTION {PG_FUNCTION}() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION USING
                MESSAGE = '{MESSAGE}: ' || TG_OP || ' is not allowed',
                ERRCODE = 'integrity_constraint_violation';
        END
        $$
        """
    )
    op.execute(
        f"CREATE TRIGGER {PG_TRIGGER} BEFORE UPDATE OR DELETE OR TRUNCATE ON phi_reads "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {PG_FUNCTION}()"
    )


def downgrade() -> None:
    dialect = _dialect()
    if dialect == "sqlite":
        for trigger in SQLITE_TRIGGERS.values():
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    else:
        op.execute(f"DROP TRIGGER IF EXISTS {PG_TRIGGER} ON phi_reads")
        op.execute(f"DROP FUNCTION IF EXISTS {PG_FUNCTION}()")
    op.drop_index(op.f("ix_phi_reads_actor_id"), table_name="phi_reads")
    op.drop_index(op.f("ix_phi_reads_case_id_id"), table_name="phi_reads")
    op.drop_table("phi_reads")
    for name in TEAM_INDEXES:
        op.drop_index(name, table_name="cases")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("team")
