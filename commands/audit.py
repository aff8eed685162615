"""`priorauth audit`: check the tamper-evident audit trail, read a case's timeline, sign
anchors of the chain head to keep outside the database (store.anchor), and list who read which
case's PHI (`audit reads`)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

# The store (sqlalchemy, alembic) is imported inside the commands: the rest of the command line
# starts without it.
if TYPE_CHECKING:
    from sqlalchemy import Engine

    from store.anchor import AuditAnchor

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


AnchorFile = Annotated[
    Path | None,
    typer.Option(
        "--anchor",
        help="Also check this anchor (from `priorauth audit anchor`): its signature, and that "
        "the chain still holds the anchored event with the anchored hash.",
        show_default=False,
    ),
]


@audit_app.command()
def verify(database_url: DatabaseUrl = None, anchor: AnchorFile = None) -> None:
    """Walk the whole chain; exit 0 if intact, 1 at the first broken link, 2 if no store or
    the chain does not match the anchor."""
    from store.anchor import AnchorMismatchError, check_anchor
    from store.audit import verify_chain
    from store.database import read_session

    signed = _load_anchor(anchor) if anchor is not None else None
    keys = _anchor_keys() if signed is not None else []
    engine = _engine(database_url)
    mismatch = None
    try:
        with read_session(engine) as session:
            result = verify_chain(session=session)
            if signed is not None and result.broken is None:
                try:
                    check_anchor(session=session, anchor=signed, keys=keys)
                except AnchorMismatchError as exc:
                    mismatch = str(exc)
    finally:
        engine.dispose()
    if mismatch is not None:
        typer.echo(f"audit chain does not match the anchor {anchor}: {mismatch}", err=True)
        raise typer.Exit(code=2)
    if result.broken is None:
        checked = f"audit chain intact: {result.events_checked} events"
        if signed is not None:
            checked += (
                f"; matches the anchor of {signed.anchored_at.isoformat()} "
                f"({signed.events} events, key '{signed.key_id}')"
            )
        typer.echo(checked)
        return
    broken = result.broken
    typer.echo(
        f"audit chain broken at sequence {broken.sequence} "
        f"(event {broken.event_id or 'missing'}): {broken.kind}: {broken.message}",
        err=True,
    )
    typer.echo(f"{result.events_checked} events before it verified", err=True)
    raise typer.Exit(code=1)


@audit_app.command("anchor")
def anchor_command(
    database_url: DatabaseUrl = None,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out-dir",
            help="Also write each anchor to a new file in this directory "
            "(anchor-<time>-<events>.json); keep it outside the database host.",
            show_default=False,
        ),
    ] = None,
    every: Annotated[
        float | None,
        typer.Option(
            "--every",
            min=1.0,
            help="Repeat every this many seconds until stopped (a scheduler in one process).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Verify the chain and print a signed anchor of its head (JSON, HMAC-SHA256 under the
    newest PRIORAUTH_AUDIT_ANCHOR_KEYS key). Exit 1 if the chain is broken (nothing is
    signed), 2 if no key or no store."""
    from store.anchor import make_anchor
    from store.audit import verify_chain
    from store.database import read_session

    keys = _anchor_keys()
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
    while True:
        engine = _engine(database_url)
        try:
            with read_session(engine) as session:
                result = verify_chain(session=session)
                signed = make_anchor(session=session, keys=keys) if result.ok else None
        finally:
            engine.dispose()
        if signed is None:
            assert result.broken is not None
            typer.echo(
                f"not anchoring: audit chain broken at sequence {result.broken.sequence}: "
                f"{result.broken.message}",
                err=True,
            )
            raise typer.Exit(code=1)
        text = signed.model_dump_json()
        typer.echo(text)
        if out_dir is not None:
            _write_new(out_dir, signed, text)
        if every is None:
            return
        time.sleep(every)


def _write_new(out_dir: Path, signed: AuditAnchor, text: str) -> None:
    """Write `text` to a new file (never overwriting one), flushed to disk."""
    stamp = signed.anchored_at.strftime("%Y%m%dT%H%M%S%fZ")
    path = out_dir / f"anchor-{stamp}-{signed.events}.json"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    with os.fdopen(fd, "w") as handle:
        handle.write(text + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def _anchor_keys() -> list[tuple[str, bytes]]:
    from config.settings import get_settings
    from store.anchor import AnchorKeyError, parse_anchor_keys

    entries = [key.get_secret_value() for key in get_settings().audit_anchor_keys]
    try:
        return parse_anchor_keys(entries)
    except AnchorKeyError as exc:
        typer.echo(f"PRIORAUTH_AUDIT_ANCHOR_KEYS: {exc}", err=True)
        raise typer.Exit(code=2) from exc


def _load_anchor(path: Path) -> AuditAnchor:
    from pydantic import ValidationError

    from store.anchor import AuditAnchor

    try:
        return AuditAnchor.model_validate_json(path.read_bytes())
    except OSError as exc:
        typer.echo(f"--anchor: cannot read {path} ({exc.strerror})", err=True)
        raise typer.Exit(code=2) from exc
    except ValidationError as exc:
        fields = ", ".join(
            ".".join(str(part) for part in error["loc"]) or "(document)" for error in exc.errors()
        )
        typer.echo(f"--anchor: {path} is not an audit anchor (invalid: {fields})", err=True)
        raise typer.Exit(code=2) from exc


@audit_app.command("timeline")
def show_timeline(case_id: str, database_url: DatabaseUrl = None) -> None:
    """Print one case's audit events in order (who, what, when, why, rule cited)."""
    from store.audit import timeline
    from store.database import read_session

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
    from store.database import read_session
    from store.phi_reads import list_reads

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
    from config.settings import get_settings
    from store.database import make_engine, normalize_url
    from store.migrate import current_revision

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
