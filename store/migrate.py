"""Alembic owns the schema: `upgrade(url)` brings a database to the latest revision.

Called by the tests, the worker and the API at start-up; also runnable by hand:
`python -m store.migrate [URL]` or `alembic -c store/alembic.ini upgrade head`.
Several processes may start at once: on PostgreSQL the upgrade holds an advisory lock, on
SQLite the write lock of `BEGIN IMMEDIATE`, so migrations never run twice in parallel.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

from store.database import make_engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# pg_advisory_xact_lock key: any constant that no other code of ours uses.
_PG_LOCK_KEY = 0x70726961  # "pria"


def alembic_config() -> Config:
    """A programmatic Alembic configuration (no ini file needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database at `url` to `revision` (default: the latest)."""
    engine = make_engine(url)
    try:
        upgrade_engine(engine, revision)
    finally:
        engine.dispose()


def upgrade_engine(engine: Engine, revision: str = "head") -> None:
    config = alembic_config()
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch migrations copy and drop tables; foreign key enforcement would get in the
            # way, and the pragma only takes effect outside a transaction.
            _outside_transaction(connection, "PRAGMA foreign_keys=OFF")
        with connection.begin():
            if connection.dialect.name == "postgresql":
                lock = text("SELECT pg_advisory_xact_lock(:key)")
                connection.execute(lock, {"key": _PG_LOCK_KEY})
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
        if sqlite:
            _outside_transaction(connection, "PRAGMA foreign_keys=ON")


def _outside_transaction(connection: Connection, statement: str) -> None:
    cursor = connection.connection.cursor()  # the DBAPI connection: no implicit BEGIN
    try:
        cursor.execute(statement)
    finally:
        cursor.close()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None: never migrated)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def main(argv: list[str] | None = None) -> None:
    from config.logging import configure_logging

    configure_logging(
        os.environ.get("PRIORAUTH_LOG_LEVEL", "INFO"),
        os.environ.get("PRIORAUTH_LOG_FORMAT", "auto"),
    )
    args = sys.argv[1:] if argv is None else argv
    if args:
        url = args[0]
    else:
        from config.settings import get_settings

        url = get_settings().resolved_database_url
    upgrade(url)
    print(f"database at revision {head_revision()}")


if __name__ == "__main__":
    main()
