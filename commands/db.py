"""`priorauth db`: migrate the case store as its owner and grant the runtime role (store.roles)."""

from __future__ import annotations

from typing import Annotated

import typer

# The settings and the store (sqlalchemy, alembic) are imported inside the commands: the rest of
# the command line starts without them.

db_app = typer.Typer(
    help="Migrate the case store and grant the runtime database role.", no_args_is_help=True
)

MigrationUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        help="SQLAlchemy URL of the schema owner; default: PRIORAUTH_MIGRATION_DATABASE_URL, "
        "else PRIORAUTH_DATABASE_URL.",
        show_default=False,
    ),
]


@db_app.command("migrate")
def migrate(database_url: MigrationUrl = None) -> None:
    """Bring the schema to head, then grant PRIORAUTH_DATABASE_RUNTIME_ROLE if it is set."""
    from config.settings import get_settings
    from store.migrate import head_revision, upgrade

    settings = get_settings()
    url = database_url or settings.resolved_migration_database_url
    upgrade(url)
    typer.echo(f"database at revision {head_revision()}")
    if settings.database_runtime_role:
        grant_runtime_role(settings.database_runtime_role, database_url=url)


@db_app.command("grant-runtime")
def grant_runtime_role(
    role: Annotated[str, typer.Argument(help="The runtime role the API and the worker use.")],
    database_url: MigrationUrl = None,
) -> None:
    """Grant ROLE what the API and the worker need and no more: no DDL, no TRUNCATE, and only
    SELECT and INSERT on append-only tables (audit_events, and any table with a
    `<table>_append_only` trigger). Run again after every migration."""
    from config.settings import get_settings
    from store.database import make_engine
    from store.roles import RoleGrantError, grant_runtime

    url = database_url or get_settings().resolved_migration_database_url
    engine = make_engine(url)
    try:
        grants = grant_runtime(engine, role)
    except RoleGrantError as exc:
        typer.echo(f"cannot grant '{role}': {exc}", err=True)
        raise typer.Exit(code=2) from exc
    finally:
        engine.dispose()
    typer.echo(
        f"granted '{role}' in schema '{grants.schema}': append-only (SELECT, INSERT): "
        f"{', '.join(grants.append_only) or 'none'}; read-write: {len(grants.read_write)} tables"
    )


@db_app.command("check")
def check(
    database_url: Annotated[
        str | None,
        typer.Option("--database-url", help="Default: PRIORAUTH_DATABASE_URL."),
    ] = None,
) -> None:
    """Exit 0 if the schema is at head (what the API and the worker check at start), else 2."""
    from config.settings import get_settings
    from store.database import normalize_url
    from store.migrate import SchemaNotAtHeadError, head_revision, require_head

    url = database_url or get_settings().resolved_database_url
    shown = normalize_url(url).render_as_string(hide_password=True)
    try:
        require_head(url)
    except SchemaNotAtHeadError as exc:
        typer.echo(f"{shown}: {exc}", err=True)
        raise typer.Exit(code=2) from exc
    typer.echo(f"{shown}: at revision {head_revision()}")
