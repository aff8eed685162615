"""Append-only audit trail: triggers reject every UPDATE and DELETE of `audit_events`.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03

The hash chain detects a changed or deleted row after the fact; these triggers stop the write
itself. A rejected statement fails with an integrity error (sqlalchemy `IntegrityError` on both
databases) whose message starts with "audit_events is append-only".

- SQLite: one `BEFORE UPDATE` and one `BEFORE DELETE` trigger, each `RAISE(ABORT, ...)`.
- PostgreSQL: a plpgsql function raising SQLSTATE 23000 and one statement-level trigger
  `BEFORE UPDATE OR DELETE OR TRUNCATE` (TRUNCATE fires no DELETE trigger, so it is named too).
  Statement level: an UPDATE or DELETE is refused even when it matches no row.

Inserts are untouched: `INSERT ... ON CONFLICT DO NOTHING` (store.transitions) fires no UPDATE
trigger. Beware on SQLite: a later batch migration that copies `audit_events` (batch_alter_table)
drops these triggers with the old table and must create them again;
tests/store/test_store_audit_append_only.py fails if the head revision lacks them.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MESSAGE = "audit_events is append-only"

SQLITE_TRIGGERS = {
    operation: f"audit_events_no_{operation.lower()}" for operation in ("UPDATE", "DELETE")
}

PG_FUNCTION = "audit_events_append_only"
PG_TRIGGER = "audit_events_append_only"


def _dialect() -> str:
    name = op.get_context().dialect.name
    if name not in ("sqlite", "postgresql"):
        raise NotImplementedError(f"no append-only triggers for {name}")
    return name


def upgrade() -> None:
    if _dialect() == "sqlite":
        for operation, trigger in SQLITE_TRIGGERS.items():
            op.execute(
                f"CREATE TRIGGER {trigger} BEFORE {operation} ON audit_events "
                f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}: {operation} is not allowed'); END"
            )
        return
    # The message is concatenated, not a RAISE '%' format: offline SQL (alembic --sql) would
    # double a '%'.
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
        f"CREATE TRIGGER {PG_TRIGGER} BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_events "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {PG_FUNCTION}()"
    )


def downgrade() -> None:
    if _dialect() == "sqlite":
        for trigger in SQLITE_TRIGGERS.values():
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        return
    op.execute(f"DROP TRIGGER IF EXISTS {PG_TRIGGER} ON audit_events")
    op.execute(f"DROP FUNCTION IF EXISTS {PG_FUNCTION}()")
