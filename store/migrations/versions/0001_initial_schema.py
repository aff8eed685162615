"""Initial schema: cases, decisions, deadlines, appeals, letters, tasks, contacts, audit trail.

Revision ID: 0001
Revises:
Create Date: 2026-11-23

Plain SQLAlchemy types only (no imports from the application), so this revision means the same
thing forever; it runs on SQLite and PostgreSQL alike. Datetimes are `timestamptz` on
PostgreSQL; on SQLite the application stores them as UTC (store.types.UTCDateTime).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS_HASH = "0" * 64


def upgrade() -> None:
    op.create_table(
        "audit_chain_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_sequence", sa.BigInteger(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_audit_chain_head_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_chain_head")),
    )
    # The chain starts from the genesis hash; every append moves this single row forward.
    op.bulk_insert(
        sa.table(
            "audit_chain_head",
            sa.column("id", sa.Integer()),
            sa.column("last_sequence", sa.BigInteger()),
            sa.column("last_hash", sa.String()),
        ),
        [{"id": 1, "last_sequence": 0, "last_hash": GENESIS_HASH}],
    )
    op.create_table(
        "audit_events",
        sa.Column("sequence", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("event_id", sa.String(length=32), nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("rule_cited", sa.Text(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("sequence", name=op.f("pk_audit_events")),
        sa.UniqueConstraint("event_id", name=op.f("uq_audit_events_event_id")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_audit_events_idempotency_key")),
    )
    op.create_index(
        op.f("ix_audit_events_case_id_sequence"), "audit_events", ["case_id", "sequence"]
    )

    op.create_table(
        "case_number_counters",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_case_number_counters")),
    )
    op.create_table(
        "cases",
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("case_number", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("regime", sa.String(length=32), nullable=False),
        sa.Column("payer_id", sa.String(length=120), nullable=False),
        sa.Column("payer_name", sa.String(length=120), nullable=False),
        sa.Column("assignee", sa.String(length=120), nullable=True),
        sa.Column("urgency", sa.String(length=16), nullable=False),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_cases")),
        sa.UniqueConstraint("case_number", name=op.f("uq_cases_case_number")),
    )
    op.create_index(op.f("ix_cases_assignee_next_due_at"), "cases", ["assignee", "next_due_at"])
    op.create_index(op.f("ix_cases_next_due_at"), "cases", ["next_due_at"])
    op.create_index(op.f("ix_cases_payer_id"), "cases", ["payer_id"])
    op.create_index(op.f("ix_cases_regime"), "cases", ["regime"])
    op.create_index(op.f("ix_cases_status_next_due_at"), "cases", ["status", "next_due_at"])

    op.create_table(
        "appeals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("level", sa.String(length=40), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("expedited", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("sequences", sa.JSON(), nullable=False),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("arguments", sa.JSON(), nullable=False),
        sa.Column("requested_peer_to_peer", sa.Boolean(), nullable=False),
        sa.Column("outcome_note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.case_id"], name=op.f("fk_appeals_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appeals")),
        sa.UniqueConstraint("case_id", "level", name=op.f("uq_appeals_case_id_level")),
    )
    op.create_table(
        "case_deadlines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=120), nullable=False),
        sa.Column("obligor", sa.String(length=16), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rule", sa.Text(), nullable=False),
        sa.Column("rule_id", sa.String(length=120), nullable=False),
        sa.Column("convention", sa.Text(), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("met_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("superseded", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.case_id"], name=op.f("fk_case_deadlines_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_deadlines")),
        sa.UniqueConstraint(
            "case_id", "key", "revision", name=op.f("uq_case_deadlines_case_id_key_revision")
        ),
    )
    op.create_index(op.f("ix_case_deadlines_due_at"), "case_deadlines", ["due_at"])

    op.create_table(
        "case_service_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("code_system", sa.String(length=20), nullable=False),
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.case_id"], name=op.f("fk_case_service_lines_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_service_lines")),
        sa.UniqueConstraint(
            "case_id", "sequence", name=op.f("uq_case_service_lines_case_id_sequence")
        ),
    )
    op.create_index(op.f("ix_case_service_lines_code"), "case_service_lines", ["code"])

    op.create_table(
        "contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("direction", sa.String(length=16), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("counterpart", sa.String(length=200), nullable=True),
        sa.Column("reference_number", sa.String(length=100), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("follow_up_due", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recorded_by", sa.String(length=120), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.case_id"], name=op.f("fk_contacts_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contacts")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_contacts_idempotency_key")),
    )
    op.create_index(op.f("ix_contacts_case_id_occurred_at"), "contacts", ["case_id", "occurred_at"])

    op.create_table(
        "letters",
        sa.Column("letter_id", sa.String(length=64), nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("template_version", sa.String(length=64), nullable=False),
        sa.Column("content_type", sa.String(length=120), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("checksum_sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("context", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("signed_off_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("signed_off_by", sa.String(length=120), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.case_id"], name=op.f("fk_letters_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("letter_id", name=op.f("pk_letters")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_letters_idempotency_key")),
    )
    op.create_index(op.f("ix_letters_case_id_created_at"), "letters", ["case_id", "created_at"])

    op.create_table(
        "payer_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("decision_id", sa.String(length=120), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("payer_reference", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("notice_date", sa.Date(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.case_id"], name=op.f("fk_payer_decisions_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payer_decisions")),
        sa.UniqueConstraint(
            "case_id", "decision_id", name=op.f("uq_payer_decisions_case_id_decision_id")
        ),
    )
    op.create_table(
        "tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("assignee", sa.String(length=120), nullable=True),
        sa.Column("queue", sa.String(length=64), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("deadline_key", sa.String(length=120), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_by", sa.String(length=120), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.case_id"], name=op.f("fk_tasks_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tasks")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_tasks_idempotency_key")),
    )
    op.create_index(op.f("ix_tasks_assignee_status"), "tasks", ["assignee", "status"])
    op.create_index(op.f("ix_tasks_case_id_status"), "tasks", ["case_id", "status"])
    op.create_index(op.f("ix_tasks_status_due_at"), "tasks", ["status", "due_at"])

    op.create_table(
        "payer_decision_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("decision_pk", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("review_action_code", sa.String(length=16), nullable=True),
        sa.Column("review_action_display", sa.Text(), nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("authorization_number", sa.String(length=120), nullable=True),
        sa.Column("approved_units", sa.Integer(), nullable=True),
        sa.Column("authorized_start", sa.Date(), nullable=True),
        sa.Column("authorized_end", sa.Date(), nullable=True),
        sa.Column("reason_code", sa.Text(), nullable=True),
        sa.Column("reason_text", sa.Text(), nullable=True),
        sa.Column("policy_cited", sa.Text(), nullable=True),
        sa.Column("modification", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.case_id"], name=op.f("fk_payer_decision_items_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["decision_pk"],
            ["payer_decisions.id"],
            name=op.f("fk_payer_decision_items_decision_pk_payer_decisions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payer_decision_items")),
        sa.UniqueConstraint(
            "decision_pk", "sequence", name=op.f("uq_payer_decision_items_decision_pk_sequence")
        ),
    )
    op.create_index(op.f("ix_payer_decision_items_case_id"), "payer_decision_items", ["case_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_payer_decision_items_case_id"), table_name="payer_decision_items")

    op.drop_table("payer_decision_items")
    op.drop_index(op.f("ix_tasks_status_due_at"), table_name="tasks")
    op.drop_index(op.f("ix_tasks_case_id_status"), table_name="tasks")
    op.drop_index(op.f("ix_tasks_assignee_status"), table_name="tasks")

    op.drop_table("tasks")
    op.drop_table("payer_decisions")
    op.drop_index(op.f("ix_letters_case_id_created_at"), table_name="letters")

    op.drop_table("letters")
    op.drop_index(op.f("ix_contacts_case_id_occurred_at"), table_name="contacts")

    op.drop_table("contacts")
    op.drop_index(op.f("ix_case_service_lines_code"), table_name="case_service_lines")

    op.drop_table("case_service_lines")
    op.drop_index(op.f("ix_case_deadlines_due_at"), table_name="case_deadlines")

    op.drop_table("case_deadlines")
    op.drop_table("appeals")
    op.drop_index(op.f("ix_cases_status_next_due_at"), table_name="cases")
    op.drop_index(op.f("ix_cases_regime"), table_name="cases")
    op.drop_index(op.f("ix_cases_payer_id"), table_name="cases")
    op.drop_index(op.f("ix_cases_next_due_at"), table_name="cases")
    op.drop_index(op.f("ix_cases_assignee_next_due_at"), table_name="cases")

    op.drop_table("cases")
    op.drop_table("case_number_counters")
    op.drop_index(op.f("ix_audit_events_case_id_sequence"), table_name="audit_events")

    op.drop_table("audit_events")
    op.drop_table("audit_chain_head")
