"""`priorauth letter`: list the letter kinds and render a letter from a case file, serverless.

    priorauth letter kinds
    priorauth letter render --kind appeal_level1 --case examples/letters/ma_appeal.json \\
        --out appeal.docx [--pdf] [--now 2026-11-23T09:00:00-06:00] [--templates DIR]

Exit codes: 0 written; 2 bad input (invalid case file, missing fields, inconsistent input),
nothing written; 1 a template or the PDF conversion failed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from domain.enums import Regime
from letters.kinds import SPECS, LetterKind

# The settings, the case file model and the renderer (jinja2, python-docx) are imported inside
# `render`: the rest of the command line starts without them.
if TYPE_CHECKING:
    from letters import LetterCaseFile

letter_app = typer.Typer(
    help="Appeal and case letters: list the kinds, render a .docx (and PDF) from a case file.",
    no_args_is_help=True,
)

BAD_INPUT = 2
PDF_TIMEOUT_SECONDS = 180


@letter_app.command("kinds")
def kinds() -> None:
    """List the letter kinds and the fields each one needs."""
    for spec in SPECS.values():
        typer.secho(f"{spec.kind.value}", bold=True)
        typer.echo(f"  {spec.title}")
        typer.echo(f"  {spec.description}")
        typer.echo("  needs:")
        for requirement in spec.requires:
            typer.echo(f"    - {requirement.label}  <- {requirement.hint}")
        for regime in Regime:
            extra = spec.requires_by_regime.get(regime, ())
            for requirement in extra:
                typer.echo(f"    - [{regime.value}] {requirement.label}  <- {requirement.hint}")
        typer.echo("")


@letter_app.command("render")
def render(
    kind: Annotated[LetterKind, typer.Option("--kind", help="Letter kind (see `kinds`).")],
    case: Annotated[Path, typer.Option("--case", help="Case file (JSON, LetterCaseFile).")],
    out: Annotated[Path, typer.Option("--out", help="Where to write the .docx.")],
    pdf: Annotated[
        bool, typer.Option("--pdf", help="Also write a PDF (needs LibreOffice).")
    ] = False,
    now: Annotated[
        str | None,
        typer.Option(help="Letter moment, ISO 8601 with offset (default: now); fixes the output."),
    ] = None,
    templates: Annotated[
        Path | None,
        typer.Option(help="Template override directory (default: settings)."),
    ] = None,
) -> None:
    """Render one letter from a case file; nothing is written when input is missing."""
    from config.settings import get_settings
    from letters import (
        LetterInputError,
        LetterTemplateError,
        MissingLetterFields,
        context_from_case_file,
        render_letter,
        write_letter,
    )

    moment = _moment(now)
    case_file = _load_case_file(case)
    settings = get_settings()
    try:
        context = context_from_case_file(
            case_file, kind=kind, now=moment, organization=settings.organization
        )
        letter = render_letter(context, override_dir=templates or settings.template_override_dir)
    except MissingLetterFields as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(BAD_INPUT) from None
    except LetterInputError as exc:
        typer.echo(f"letter '{kind.value}': {exc}", err=True)
        raise typer.Exit(BAD_INPUT) from None
    except LetterTemplateError as exc:
        typer.echo(f"template error: {exc}", err=True)
        raise typer.Exit(1) from None
    write_letter(letter, out)
    typer.echo(
        f"wrote {out} ({letter.kind.value}, template {letter.template_version} "
        f"[{letter.template_origin}], sha256 {letter.checksum})"
    )
    for note in context.deadline_notes:
        typer.echo(f"note: {note}", err=True)
    facts = (context.payer_deadline, context.filing_deadline, context.missed_deadline)
    for fact in (f for f in facts if f is not None):
        for flag in fact.flags:
            typer.echo(f"note: {fact.label}: {flag}", err=True)
    if pdf:
        _convert_to_pdf(out)


def _moment(value: str | None) -> datetime:
    if value is None:
        return datetime.now(UTC)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        typer.echo(f"--now: '{value}' is not an ISO 8601 date-time", err=True)
        raise typer.Exit(BAD_INPUT) from None
    if parsed.tzinfo is None:
        typer.echo("--now needs a UTC offset (e.g. 2026-11-23T09:00:00-06:00)", err=True)
        raise typer.Exit(BAD_INPUT)
    return parsed


def _load_case_file(path: Path) -> LetterCaseFile:
    from pydantic import ValidationError

    from domain.errors import describe
    from letters import LetterCaseFile

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        typer.echo(f"cannot read case file {path}: {exc.strerror}", err=True)
        raise typer.Exit(BAD_INPUT) from None
    try:
        return LetterCaseFile.model_validate(json.loads(text))
    except json.JSONDecodeError as exc:
        typer.echo(f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno})", err=True)
        raise typer.Exit(BAD_INPUT) from None
    except ValidationError as exc:
        typer.echo(f"{path}: invalid case file ({exc.error_count()} problems):", err=True)
        typer.echo(describe(exc), err=True)
        raise typer.Exit(BAD_INPUT) from None


def _convert_to_pdf(docx: Path) -> None:
    office = shutil.which("soffice") or shutil.which("libreoffice")
    if office is None:
        typer.echo(
            "PDF not written: converting to PDF needs LibreOffice (`soffice` or `libreoffice` "
            "on PATH). The .docx was written.",
            err=True,
        )
        return
    with tempfile.TemporaryDirectory(prefix="priorauth-soffice-") as profile:
        # A private profile: a desktop LibreOffice that is already running would lock the default.
        command = [
            office,
            f"-env:UserInstallation={Path(profile).as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(docx.parent.resolve()),
            str(docx.resolve()),
        ]
        try:
            result = subprocess.run(
                command, capture_output=True, text=True, timeout=PDF_TIMEOUT_SECONDS, check=False
            )
        except subprocess.TimeoutExpired:
            typer.echo(f"PDF conversion timed out after {PDF_TIMEOUT_SECONDS} s", err=True)
            raise typer.Exit(1) from None
    target = docx.with_suffix(".pdf")
    if result.returncode != 0 or not target.exists():
        typer.echo(
            f"PDF conversion failed: {result.stderr.strip() or result.stdout.strip()}", err=True
        )
        raise typer.Exit(1)
    typer.echo(f"wrote {target}")
