"""Alembic owns the schema: `upgrade(url)` brings a database to the latest revision.

Called by the tests, and by the worker and the API at start-up when migrating on start (dev and
test; `prepare_schema`); in production they only check the schema is at head, and the
deployment runs `python -m store.migrate` as the schema owner, which then grants the runtime
role (store.roles). Also runnable by hand: `python -m store.migrate [URL]` or
`alembic -c store/alembic.ini upgrade head`.
Several processes may start at once: on PostgreSQL the upgrade holds a session advisory lock,
on SQLite the write lock of `BEGIN IMMEDIATE`, so migrations never run twice in parallel.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

from store.database import make_engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# pg_advisory_lock key: any constant that no other code of ours uses.
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


def upgrade_engine(engine: Engine, revision: str = "head", config: Config | None = None) -> None:
    """Migrate on `engine`; `config` may carry attributes for the revisions (see 0006)."""
    config = config or alembic_config()
    with engine.connect() as connection:
        config.attributes["connection"] = connection
        if connection.dialect.name != "postgresql":
            # Batch migrations copy and drop tables; foreign key enforcement would get in the
            # way, and the pragma only takes effect outside a transaction.
            _outside_transaction(connection, "PRAGMA foreign_keys=OFF")
            with connection.begin():
                command.upgrade(config, revision)
            _outside_transaction(connection, "PRAGMA foreign_keys=ON")
            return
        # A session lock, not a transaction's: a revision may build indexes CONCURRENTLY, which
        # runs outside any transaction (alembic's autocommit_block), so Alembic manages the
        # transactions itself and the lock must outlive them.
        _lock(connection)
        try:
            command.upgrade(config, revision)
        finally:
            connection.rollback()
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _PG_LOCK_KEY})
            connection.commit()


def _lock(connection: Connection) -> None:
    """Wait for the migration lock without holding a transaction open meanwhile (a concurrent
    index build in the migrating process waits for every older transaction to end)."""
    attempt = text("SELECT pg_try_advisory_lock(:key)")
    while True:
        locked = connection.execute(attempt, {"key": _PG_LOCK_KEY}).scalar_one()
        connection.commit()
        if locked:
            return
        time.sleep(0.2)


def _outside_transaction(connection: Connection, statement: str) -> None:
    cursor = connection.connection.cursor()  # the DBAPI connection: no implicit BEGIN
    try:
        cursor.execute(statement)
    finally:
        cursor.close()


class SchemaNotAtHeadError(RuntimeError):
    """The store's schema is not the one this release needs, and this process may not migrate."""


def require_head(url: str) -> None:
    """Raise `SchemaNotAtHeadError` unless the database at `url` is at the head revision."""
    engine = make_engine(url)
    try:
        current = current_revision(engine)
    finally:
        engine.dispose()
    head = head_revision()
    if current != head:
        found = f"at revision {current}" if current else "not migrated"
        raise SchemaNotAtHeadError(
            f"the case store is {found}, this release needs revision {head}; run the "
            "migration as the schema owner first (`python -m store.migrate`, with "
            "PRIORAUTH_MIGRATION_DATABASE_URL), or set PRIORAUTH_MIGRATE_ON_START=true"
        )


def exit_unless_schema_ready(url: str, *, migrate: bool) -> None:
    """For entry points that will not migrate: the schema at head, else the reason on stderr
    and exit 2 (before a server starts, so no traceback)."""
    if migrate:
        return
    try:
        require_head(url)
    except SchemaNotAtHeadError as exc:
        print(exc, file=sys.stderr, flush=True)
        raise SystemExit(2) from None


def prepare_schema(
    url: str, *, migrate: bool, migration_url: str | None = None, runtime_role: str | None = None
) -> None:
    """At process start: migrate (as `migration_url`'s login, then grant `runtime_role`), or
    only check that the schema at `url` is at head."""
    if not migrate:
        require_head(url)
        return
    upgrade(migration_url or url)
    if runtime_role:
        grant_runtime_role(migration_url or url, runtime_role)


def grant_runtime_role(url: str, role: str) -> None:
    from store.roles import grant_runtime

    engine = make_engine(url)
    try:
        grant_runtime(engine, role)
    finally:
        engine.dispose()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None: never migrated)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def main(argv: list[str] | None = None) -> None:
    from config.logging import configure_logging
    from config.settings import get_settings

    configure_logging(
        os.environ.get("PRIORAUTH_LOG_LEVEL", "INFO"),
        os.environ.get("PRIORAUTH_LOG_FORMAT", "auto"),
    )

    args = sys.argv[1:] if argv is None else argv
    settings = get_settings()
    url = args[0] if args else settings.resolved_migration_database_url
    upgrade(url)
    print(f"database at revision {head_revision()}")
    if settings.database_runtime_role:
        from store.roles import RoleGrantError

        try:
            grant_runtime_role(url, settings.database_runtime_role)
        except RoleGrantError as exc:
            print(f"PRIORAUTH_DATABASE_RUNTIME_ROLE: {exc}", file=sys.stderr)
            raise SystemExit(2) from exc
        print(f"runtime role '{settings.database_runtime_role}' granted")


if __name__ == "__main__":
    main()
