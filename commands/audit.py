"""`priorauth audit`: check the tamper-evident audit trail, read a case's timeline, and list
who read which case's PHI (`audit reads`)."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy import Engine

from config.settings import get_settings
from store.audit import timeline, verify_chain
from store.database import make_engine, normalize_url, read_session
from store.migrate import current_revision
from store.phi_reads import list_reads

audit_app = typer.Typer(
    help="Inspect the tamper-evident audit trail (hash-chained, append-only).",
    no_args_is_help=True,
)

DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        help="SQLAlchemy URL of the case store; default: PRIORAUTH_DATABASE_URL or the "
        "SQLite file under PRIORAUTH_DATA_DIR.",
        show_default=False,
    ),
]


@audit_app.command()
def verify(database_url: DatabaseUrl = None) -> None:
    """Walk the whole chain; exit 0 if intact, 1 at the first broken link, 2 if no store."""
    engine = _engine(database_url)
    try:
        with read_session(engine) as session:
            result = verify_chain(session=session)
    finally:
        engine.dispose()
    if result.broken is None:
        typer.echo(f"audit chain intact: {result.events_checked} events")
        return
    broken = result.broken
    typer.echo(
        f"audit chain broken at sequence {broken.sequence} "
        f"(event {broken.event_id or 'missing'}): {broken.kind}: {broken.message}",
        err=True,
    )
    typer.echo(f"{result.events_checked} events before it verified", err=True)
    raise typer.Exit(code=1)


@audit_app.command("timeline")
def show_timeline(case_id: str, database_url: DatabaseUrl = None) -> None:
    """Print one case's audit events in order (who, what, when, why, rule cited)."""
    engine = _engine(database_url)
    try:
        with read_session(engine) as session:
            events = timeline(session=session, case_id=case_id)
    finally:
        engine.dispose()
    if not events:
        typer.echo(f"no audit events for case {case_id}")
        return
    for event in events:
        rule = f" [{event.rule_cited}]" if event.rule_cited else ""
        typer.echo(
            f"{event.sequence:>8}  {event.occurred_at.isoformat()}  {event.actor}  "
            f"{event.action}: {event.summary}{rule}"
        )


@audit_app.command("reads")
def reads(
    case_id: Annotated[str | None, typer.Option("--case-id", help="Only this case.")] = None,
    reader: Annotated[
        str | None, typer.Option(help="Only this reader, e.g. case_manager:alice.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    database_url: DatabaseUrl = None,
) -> None:
    """Who read which case's PHI, when and through which route, newest first."""
    engine = _engine(database_url)
    try:
        with read_session(engine) as session:
            page = list_reads(
                session=session, case_id=case_id, actor=reader, limit=limit, offset=offset
            )
    finally:
        engine.dispose()
    for item in page.items:
        typer.echo(
            f"{item.read_at.isoformat()}  {item.actor}  {item.case_id}  {item.route}"
            + (f"  request {item.request_id}" if item.request_id else "")
        )
    typer.echo(f"({len(page.items)} of {page.total} reads)")


def _engine(database_url: str | None) -> Engine:
    url = normalize_url(database_url or get_settings().resolved_database_url)
    engine = make_engine(url)
    shown = url.render_as_string(hide_password=True)
    try:
        revision = current_revision(engine)
    except Exception as exc:
        engine.dispose()
        typer.echo(f"cannot open the case store at {shown}: {type(exc).__name__}", err=True)
        raise typer.Exit(code=2) from exc
    if revision is None:
        engine.dispose()
        typer.echo(
            f"the case store at {shown} has no schema yet (run `python -m store.migrate`)",
            err=True,
        )
        raise typer.Exit(code=2)
    return engine
