"""Listing at scale: indexes in each view's order, open-case partial indexes, search keys.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04

- `cases.member_key` and `cases.name_key`: the member id upper-cased without blanks and the
  patient's "last first" name normalised (lower-case ASCII letters and digits), for indexed
  prefix search (collation "C" on PostgreSQL). Filled here for existing cases, in batches of 1,000 (the same normalisation
  as `store.search`, copied: revisions never import application code).
- Case indexes that end in the listings' sort keys, `(next_due_at, received_at, case_id)` or
  `(received_at, case_id)`, behind each filter (team, status, assignee, payer, regime); partial
  indexes over open cases; pattern-operator indexes for prefix search; partial indexes over open
  tasks in the escalation queues' order; `(case_id, team, payer_id, case_number)`, so a task
  listing reads its cases' scope and number from an index. They replace the shorter indexes
  they extend.

On PostgreSQL, a `cases` table of `CONCURRENT_FROM_ROWS` rows or more gets its indexes built and
dropped `CONCURRENTLY`, outside the migration's transaction, so the API and the workers keep
writing while it runs (the backfill then commits batch by batch too). A smaller table, and
SQLite, take the plain statements inside the transaction: a few seconds at most. An index left
invalid by an interrupted concurrent build is dropped and built again on the next run.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import context, op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CONCURRENT_FROM_ROWS = 10_000
BATCH = 1_000
SHORT_TEXT = 120
NAME_KEY = 2 * SHORT_TEXT + 1
DUE = ["next_due_at", "received_at", "case_id"]
NEWEST = ["received_at", "case_id"]
OPEN_CASE = "status NOT IN ('closed', 'withdrawn')"
OPEN_TASK = "status = 'open'"
PATTERN = "varchar_pattern_ops"

# name: (table, columns, partial predicate, PostgreSQL operator class of the first column)
Spec = tuple[str, list[str], str | None, str | None]
NEW: dict[str, Spec] = {
    "ix_cases_next_due_at_received_at_case_id": ("cases", DUE, None, None),
    "ix_cases_team_next_due_at_received_at_case_id": ("cases", ["team", *DUE], None, None),
    "ix_cases_status_next_due_at_received_at_case_id": ("cases", ["status", *DUE], None, None),
    "ix_cases_team_status_next_due_at_received_at_case_id": (
        "cases",
        ["team", "status", *DUE],
        None,
        None,
    ),
    "ix_cases_assignee_next_due_at_received_at_case_id": ("cases", ["assignee", *DUE], None, None),
    "ix_cases_team_assignee_next_due_at_received_at_case_id": (
        "cases",
        ["team", "assignee", *DUE],
        None,
        None,
    ),
    "ix_cases_payer_id_next_due_at_received_at_case_id": ("cases", ["payer_id", *DUE], None, None),
    "ix_cases_regime_next_due_at_received_at_case_id": ("cases", ["regime", *DUE], None, None),
    "ix_cases_received_at_case_id": ("cases", NEWEST, None, None),
    "ix_cases_team_received_at_case_id": ("cases", ["team", *NEWEST], None, None),
    "ix_cases_open_due": ("cases", DUE, OPEN_CASE, None),
    "ix_cases_open_team_due": ("cases", ["team", *DUE], OPEN_CASE, None),
    "ix_cases_open_team_assignee_due": ("cases", ["team", "assignee", *DUE], OPEN_CASE, None),
    "ix_cases_open_assignee_due": ("cases", ["assignee", *DUE], OPEN_CASE, None),
    "ix_cases_open_payer_due": ("cases", ["payer_id", *DUE], OPEN_CASE, None),
    "ix_cases_open_regime_due": ("cases", ["regime", *DUE], OPEN_CASE, None),
    "ix_cases_case_number_prefix": ("cases", ["case_number"], None, PATTERN),
    "ix_cases_member_key_case_id": ("cases", ["member_key", "case_id"], None, None),
    "ix_cases_name_key_case_id": ("cases", ["name_key", "case_id"], None, None),
    "ix_cases_case_id_team_payer_id_case_number": (
        "cases",
        ["case_id", "team", "payer_id", "case_number"],
        None,
        None,
    ),
    "ix_tasks_open_due": ("tasks", ["due_at", "id"], OPEN_TASK, None),
    "ix_tasks_open_queue_due": ("tasks", ["queue", "due_at", "id"], OPEN_TASK, None),
    "ix_tasks_open_assignee_due": ("tasks", ["assignee", "due_at", "id"], OPEN_TASK, None),
}
# Indexes of revisions 0001 and 0005 that the new ones extend (same leading columns).
REPLACED: dict[str, Spec] = {
    "ix_cases_status_next_due_at": ("cases", ["status", "next_due_at"], None, None),
    "ix_cases_assignee_next_due_at": ("cases", ["assignee", "next_due_at"], None, None),
    "ix_cases_payer_id": ("cases", ["payer_id"], None, None),
    "ix_cases_regime": ("cases", ["regime"], None, None),
    "ix_cases_next_due_at": ("cases", ["next_due_at"], None, None),
    "ix_cases_team_next_due_at": ("cases", ["team", "next_due_at"], None, None),
    "ix_cases_team_status_next_due_at": ("cases", ["team", "status", "next_due_at"], None, None),
    "ix_cases_team_assignee_next_due_at": (
        "cases",
        ["team", "assignee", "next_due_at"],
        None,
        None,
    ),
}


def upgrade() -> None:
    # Byte order on PostgreSQL (as SQLite's BINARY): a prefix is one range of the key's index.
    collation = "C" if op.get_context().dialect.name == "postgresql" else None
    for name, length in (("member_key", SHORT_TEXT), ("name_key", NAME_KEY)):
        column = sa.Column(name, sa.String(length=length, collation=collation), nullable=True)
        op.add_column("cases", column)
    if not _concurrently():
        _backfill()
        for name, spec in NEW.items():
            op.execute(_create(name, spec, concurrently=False))
        for name in REPLACED:
            op.execute(f"DROP INDEX {name}")
        return
    with op.get_context().autocommit_block():
        _backfill()
        for name, spec in NEW.items():
            # A build interrupted earlier leaves an invalid index of that name behind.
            op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
            op.execute(_create(name, spec, concurrently=True))
        for name in REPLACED:
            op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


def downgrade() -> None:
    for name, spec in REPLACED.items():
        op.execute(_create(name, spec, concurrently=False))
    for name in NEW:
        op.execute(f"DROP INDEX {name}")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("name_key")
        batch.drop_column("member_key")


def _concurrently() -> bool:
    """Build without blocking writers: PostgreSQL, and a table large enough for it to matter."""
    if op.get_context().dialect.name != "postgresql":
        return False
    threshold = int(context.config.attributes.get("concurrent_index_rows", CONCURRENT_FROM_ROWS))
    probe = sa.text("SELECT count(*) FROM (SELECT 1 FROM cases LIMIT :n) AS first_rows")
    return bool(op.get_bind().execute(probe, {"n": threshold}).scalar_one() >= threshold)


def _create(name: str, spec: Spec, *, concurrently: bool) -> str:
    table, columns, where, ops = spec
    listed = [f"{columns[0]} {ops}" if ops else columns[0], *columns[1:]]
    if ops and op.get_context().dialect.name != "postgresql":
        listed[0] = columns[0]
    how = "CONCURRENTLY " if concurrently else ""
    sql = f"CREATE INDEX {how}{name} ON {table} ({', '.join(listed)})"
    return f"{sql} WHERE {where}" if where else sql


def _backfill() -> None:
    """Fill the search keys of every case, 1,000 cases per statement (keyset on case_id)."""
    bind = op.get_bind()
    read = sa.text(
        "SELECT case_id, request FROM cases WHERE case_id > :after ORDER BY case_id LIMIT :n"
    )
    write = sa.text("UPDATE cases SET member_key = :member, name_key = :name WHERE case_id = :id")
    after = ""
    while True:
        rows = bind.execute(read, {"after": after, "n": BATCH}).all()
        if not rows:
            return
        bind.execute(write, [_keys(case_id, request) for case_id, request in rows])
        after = rows[-1][0]


def _keys(case_id: str, request: Any) -> dict[str, Any]:
    data = json.loads(request) if isinstance(request, str | bytes) else request
    member = data.get("member") or {}
    member_id = str(member.get("member_id") or "")
    name = f"{member.get('last_name') or ''} {member.get('first_name') or ''}"
    return {
        "id": case_id,
        "member": "".join(member_id.split()).upper()[:SHORT_TEXT] or None,
        "name": _normalise_name(name)[:NAME_KEY],
    }


def _normalise_name(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_only = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", " ", re.sub(r"['\u2019\u02bc`]", "", ascii_only)).strip()
