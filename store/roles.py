"""The runtime database role: what the API and the worker may do to the case store.

In production the schema belongs to an owner role that only migrations use; the API and the
worker connect as a runtime role that owns nothing, so it can neither ALTER, DROP nor TRUNCATE
a table, nor drop the append-only triggers. `grant_runtime` gives it, on every table of the
schema as it is after the migrations:

- append-only tables: SELECT and INSERT only, so audit rows cannot be changed or deleted even
  if the triggers were gone. The rule: a table is append-only when its migration installs a
  trigger named `<table>_append_only` (revision 0002 for `audit_events`); `APPEND_ONLY_TABLES`
  names them as well, in case such a trigger went missing.
- `alembic_version`: SELECT (the start-up check that the schema is at head);
- every other table: SELECT, INSERT, UPDATE, DELETE; every sequence: USAGE, SELECT.

It revokes everything first, so running it again after each migration (`python -m store.migrate`
does when `PRIORAUTH_DATABASE_RUNTIME_ROLE` is set) brings new tables under the same rule.
PostgreSQL only: SQLite has no roles.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, Engine, text

APPEND_ONLY_TABLES = frozenset({"audit_events", "phi_reads"})
APPEND_ONLY_TRIGGER_SUFFIX = "_append_only"
MIGRATIONS_TABLE = "alembic_version"


class RoleGrantError(ValueError):
    """The runtime role cannot be granted (no PostgreSQL, unknown role, the owner itself)."""


@dataclass(frozen=True)
class RuntimeGrants:
    """What `grant_runtime` granted, by table kind."""

    schema: str
    append_only: tuple[str, ...]
    read_write: tuple[str, ...]


def grant_runtime(engine: Engine, role: str) -> RuntimeGrants:
    """Grant `role` the runtime privileges on the tables of the engine's current schema."""
    if engine.dialect.name != "postgresql":
        raise RoleGrantError("database roles exist on PostgreSQL only (this store is SQLite)")
    with engine.begin() as connection:
        return _grant(connection, role)


def _grant(connection: Connection, role: str) -> RuntimeGrants:
    schema = connection.execute(text("SELECT current_schema()")).scalar_one()
    exists = connection.execute(
        text("SELECT rolsuper FROM pg_roles WHERE rolname = :role"), {"role": role}
    ).first()
    if exists is None:
        raise RoleGrantError(
            f"database role '{role}' does not exist (create it first: deploy/postgres-roles.sql)"
        )
    if exists.rolsuper:
        raise RoleGrantError(f"database role '{role}' is a superuser: it would bypass every grant")
    owners = connection.execute(
        text("SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = :schema"),
        {"schema": schema},
    ).scalars()
    if role in set(owners):
        raise RoleGrantError(f"database role '{role}' owns tables in schema '{schema}'")
    tables = sorted(
        connection.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = :schema"),
            {"schema": schema},
        ).scalars()
    )
    triggered = set(
        connection.execute(
            text(
                "SELECT c.relname FROM pg_trigger t "
                "JOIN pg_class c ON c.oid = t.tgrelid "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = :schema AND NOT t.tgisinternal "
                "AND t.tgname = c.relname || :suffix"
            ),
            {"schema": schema, "suffix": APPEND_ONLY_TRIGGER_SUFFIX},
        ).scalars()
    )
    append_only = tuple(t for t in tables if t in APPEND_ONLY_TABLES or t in triggered)
    read_write = tuple(t for t in tables if t not in append_only and t != MIGRATIONS_TABLE)
    quoted_role, quoted_schema = _quote(connection, role), _quote(connection, schema)
    statements = [
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {quoted_schema} FROM {quoted_role}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {quoted_schema} FROM {quoted_role}",
        f"REVOKE CREATE ON SCHEMA {quoted_schema} FROM {quoted_role}",
        f"GRANT USAGE ON SCHEMA {quoted_schema} TO {quoted_role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {quoted_schema} TO {quoted_role}",
    ]
    for table in tables:
        privileges = (
            "SELECT"
            if table == MIGRATIONS_TABLE
            else "SELECT, INSERT"
            if table in append_only
            else "SELECT, INSERT, UPDATE, DELETE"
        )
        target = f"{quoted_schema}.{_quote(connection, table)}"
        statements.append(f"GRANT {privileges} ON {target} TO {quoted_role}")
    for statement in statements:
        connection.execute(text(statement))
    return RuntimeGrants(schema=schema, append_only=append_only, read_write=read_write)


def _quote(connection: Connection, name: str) -> str:
    quoted: str = connection.dialect.identifier_preparer.quote_identifier(name)
    return quoted
