"""The payer directory: payers, their lines of business and their prior-authorization rules.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04

- `directory_payers`: payer id, name, NAIC code, time zone; who changed the entry last, when.
- `directory_lines`: one row per payer and regime: the channel (kind, and the channel's fields
  as JSON), the X12 payer id, the appeals address (JSON) and fax, the peer-to-peer phone and
  the payer's peer-to-peer window (JSON).
- `directory_pa_rules`: the payer's prior-authorization list, one rule per row in the order
  given: code pattern, requirement, optional regime and state, note.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PAYER_ID = 120
MOMENT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "directory_payers",
        sa.Column("payer_id", sa.String(length=PAYER_ID), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("naic_code", sa.String(length=5), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.Column("updated_at", MOMENT, nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("payer_id", name="pk_directory_payers"),
    )
    op.create_table(
        "directory_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("payer_id", sa.String(length=PAYER_ID), nullable=False),
        sa.Column("regime", sa.String(length=32), nullable=False),
        sa.Column("channel_kind", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.JSON(), nullable=False),
        sa.Column("x12_payer_id", sa.String(length=80), nullable=True),
        sa.Column("appeals_address", sa.JSON(), nullable=True),
        sa.Column("appeals_fax", sa.String(length=40), nullable=True),
        sa.Column("peer_to_peer_phone", sa.String(length=40), nullable=True),
        sa.Column("peer_to_peer_window", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["payer_id"],
            ["directory_payers.payer_id"],
            name="fk_directory_lines_payer_id_directory_payers",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_directory_lines"),
        sa.UniqueConstraint("payer_id", "regime", name="uq_directory_lines_payer_id_regime"),
    )
    op.create_table(
        "directory_pa_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("payer_id", sa.String(length=PAYER_ID), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("requirement", sa.String(length=16), nullable=False),
        sa.Column("regime", sa.String(length=32), nullable=True),
        sa.Column("state", sa.String(length=2), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["payer_id"],
            ["directory_payers.payer_id"],
            name="fk_directory_pa_rules_payer_id_directory_payers",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_directory_pa_rules"),
        sa.UniqueConstraint(
            "payer_id", "position", name="uq_directory_pa_rules_payer_id_position"
        ),
    )


def downgrade() -> None:
    op.drop_table("directory_pa_rules")
    op.drop_table("directory_lines")
    op.drop_table("directory_payers")
