"""`priorauth deadline`: compute regulatory due moments from JSON queries.

Reads one JSON object (a `DeadlineQuery`) or a JSON array of them from stdin, or from
`--file PATH`, and prints one result object, or an array of results in the same order. Bad JSON,
an invalid query (the field and the reason are named) or a query no rule can answer prints a
message on stderr, nothing on stdout, and exits with status 2; for an array the message names
the index of the element that failed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

EXIT_BAD_INPUT = 2


class _RejectedError(Exception):
    """One query that cannot be answered; the message is shown as is."""


def deadline(
    file: Annotated[
        Path | None,
        typer.Option(
            "--file",
            "-f",
            help="Read the query (object) or queries (array) from this JSON file, not stdin.",
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Compute regulatory due moments from JSON queries (stdin or --file), print JSON results."""
    try:
        text = file.read_text(encoding="utf-8") if file is not None else sys.stdin.read()
    except OSError as exc:
        _fail(f"cannot read {file}: {exc.strerror or exc}")
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        _fail(f"invalid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})")
    if isinstance(payload, list):
        results = []
        for index, item in enumerate(payload):
            try:
                results.append(_answer(item))
            except _RejectedError as exc:
                _fail(f"item {index}: {exc}")
        output: Any = results
    elif isinstance(payload, dict):
        try:
            output = _answer(payload)
        except _RejectedError as exc:
            _fail(str(exc))
    else:
        _fail("expected one JSON object (a deadline query) or an array of them")
    typer.echo(json.dumps(output, indent=2, ensure_ascii=False))


def _answer(item: object) -> dict[str, Any]:
    # The engine and pydantic load on the first query, not for `--help` or the other commands.
    from pydantic import ValidationError

    from domain.deadlines import DeadlineError, DeadlineQuery, compute_deadline
    from domain.errors import describe

    try:
        query = DeadlineQuery.model_validate(item)
    except ValidationError as exc:
        raise _RejectedError("invalid query: " + describe(exc).replace("\n", "; ")) from exc
    try:
        return compute_deadline(query).model_dump(mode="json")
    except DeadlineError as exc:
        raise _RejectedError(str(exc)) from exc


def _fail(message: str) -> NoReturn:
    typer.echo(f"priorauth deadline: {message}", err=True)
    raise typer.Exit(code=EXIT_BAD_INPUT)
