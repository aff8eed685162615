"""Migrating down and up in tests, and lifting the audit trail's append-only guard.

Revision 0002 makes the database reject every UPDATE and DELETE of `audit_events`. Tests that
check `verify_chain` catches tampering play someone with DDL rights: `tamper` migrates down to
0001 (dropping the triggers), runs the statement, and migrates back to head, so the guard is
missing only for that one statement and every other test runs against the real schema.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from alembic import command
from sqlalchemy import Engine, text

from store.migrate import alembic_config, upgrade_engine

BEFORE_APPEND_ONLY = "0001"


def downgrade_engine(engine: Engine, revision: str) -> None:
    """Migrate `engine`'s database down to `revision` (twin of `store.migrate.upgrade_engine`)."""
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


@contextmanager
def append_only_lifted(engine: Engine) -> Iterator[None]:
    """Without the append-only triggers inside the block; back at head afterwards."""
    downgrade_engine(engine, BEFORE_APPEND_ONLY)
    try:
        yield
    finally:
        upgrade_engine(engine)


def tamper(engine: Engine, statement: str, **params: object) -> None:
    """Run `statement` (an UPDATE or DELETE of audit rows) the way an intruder with DDL rights
    would: lift the guard, write, put the guard back."""
    with append_only_lifted(engine), engine.begin() as connection:
        connection.execute(text(statement), params)
