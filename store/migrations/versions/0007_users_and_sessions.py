"""People sign in to the web workspace: `users` and `web_sessions`.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05

- `users`: user name (the actor recorded for what they do), display name, role, teams (JSON
  list), argon2 password hash, wrong passwords in a row and the lock they led to, created /
  updated / disabled moments. Users are disabled, never deleted.
- `web_sessions`: one row per signed-in browser, keyed by the SHA-256 of the cookie's random
  token (a stolen database copy holds no usable cookie), with the session's CSRF token and when
  it was last seen (idle timeout) or ended (sign-out, disabled user).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

USERNAME = 64
MOMENT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("username", sa.String(length=USERNAME), nullable=False),
        sa.Column("display_name", sa.String(length=120), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("teams", sa.JSON(), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("failed_sign_ins", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("locked_until", MOMENT, nullable=True),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.Column("updated_at", MOMENT, nullable=False),
        sa.Column("disabled_at", MOMENT, nullable=True),
        sa.PrimaryKeyConstraint("username", name="pk_users"),
    )
    op.create_table(
        "web_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("username", sa.String(length=USERNAME), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.Column("last_seen_at", MOMENT, nullable=False),
        sa.Column("ended_at", MOMENT, nullable=True),
        sa.ForeignKeyConstraint(
            ["username"], ["users.username"], name="fk_web_sessions_username_users"
        ),
        sa.PrimaryKeyConstraint("token_hash", name="pk_web_sessions"),
    )
    op.create_index(
        "ix_web_sessions_username_ended_at", "web_sessions", ["username", "ended_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_web_sessions_username_ended_at", table_name="web_sessions")
    op.drop_table("web_sessions")
    op.drop_table("users")
