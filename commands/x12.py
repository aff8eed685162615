"""`priorauth x12`: build a 278 request from a case request, read a 278 response, 999 or TA1.

    priorauth x12 request CASE_REQUEST.json [--sender ID --receiver ID --trace T ...]
    priorauth x12 parse FILE [--trace T] [--request CASE_REQUEST.json] [--timezone ZONE]

`parse` prints a 278 response's decision as JSON, the same shape as the API's decision (it can
be given to `priorauth case decide`), or a 999 / TA1 as JSON. Exit codes: 0 done; 2 a malformed
file or an invalid request (the located error on stderr); 1 a well-formed rejection (AAA, a
rejecting 999 or TA1), printed as JSON on stdout with the reason on stderr.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

# The X12 package (pydantic models) is imported inside the commands: `priorauth --help` starts
# without it.

x12_app = typer.Typer(help="X12 278 requests and responses, 999 and TA1.", no_args_is_help=True)

BAD_INPUT = 2
REJECTED = 1


def _fail(message: str, code: int = BAD_INPUT) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(code)


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        _fail(f"{path}: cannot read it ({exc.strerror})")
    except UnicodeDecodeError:
        _fail(f"{path}: not UTF-8 text")


def _read_json(path: Path, what: str) -> Any:
    try:
        return json.loads(_read_text(path))
    except json.JSONDecodeError as exc:
        _fail(f"{path}: not JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}) ({what})")


def _load_request(path: Path) -> Any:
    from pydantic import ValidationError

    from domain.errors import describe
    from domain.models import PriorAuthRequest

    try:
        return PriorAuthRequest.model_validate(_read_json(path, "a PriorAuthRequest"))
    except ValidationError as exc:
        _fail(f"{path} is not a valid request:\n{describe(exc)}")


@x12_app.command("request")
def request_command(
    file: Annotated[Path, typer.Argument(help="A PriorAuthRequest as JSON (as `case open`).")],
    sender: Annotated[str, typer.Option(help="Our interchange id (ISA06, GS02).")] = "PRIORAUTH",
    receiver: Annotated[
        str, typer.Option(help="The clearinghouse's or payer's id (ISA08, GS03).")
    ] = "CLEARINGHOUSE",
    trace: Annotated[
        str | None, typer.Option(help="Patient event trace number (TRN02); default from now.")
    ] = None,
    originator: Annotated[
        str, typer.Option(help="TRN03: 1 + EIN, or 9 + an assigned id (10 characters).")
    ] = "9PRIORAUTH",
    control_number: Annotated[int, typer.Option(help="ISA13 and GS06.")] = 1,
    subscriber: Annotated[
        Path | None,
        typer.Option(
            help="JSON {member_id, first_name, last_name, relationship, birth_date} "
            "when the patient is a dependent."
        ),
    ] = None,
    certification_type: Annotated[str, typer.Option(help="UM02: I, R, S, 3, 4 ...")] = "I",
    test: Annotated[bool, typer.Option("--test", help="ISA15 T (test) instead of P.")] = False,
    one_line: Annotated[bool, typer.Option(help="No line break after each segment.")] = False,
) -> None:
    """Print the X12 278 request for a case request (validated; never an invalid 278)."""
    from datetime import date

    from integrations.x12 import ControlNumbers, Party, Subscriber, X12Error, build_278_request

    request = _load_request(file)
    dependent = None
    if subscriber is not None:
        data = _read_json(subscriber, "a subscriber")
        if not isinstance(data, dict):
            _fail(f"{subscriber}: the subscriber is a JSON object")
        try:
            birth = data.get("birth_date")
            dependent = Subscriber(
                member_id=str(data["member_id"]),
                first_name=str(data["first_name"]),
                last_name=str(data["last_name"]),
                relationship=str(data.get("relationship", "19")),
                birth_date=date.fromisoformat(birth) if birth else None,
            )
        except KeyError as exc:
            _fail(f"{subscriber}: subscriber.{exc.args[0]} is required")
        except ValueError as exc:
            _fail(f"{subscriber}: subscriber.birth_date: {exc}")
    now = datetime.now().astimezone()
    try:
        text = build_278_request(
            request,
            sender=Party(sender),
            receiver=Party(receiver),
            controls=ControlNumbers(control_number, control_number),
            trace=trace or now.strftime("PA%Y%m%d%H%M%S"),
            originator=originator,
            now=now,
            subscriber=dependent,
            certification_type=certification_type,
            usage="T" if test else "P",
            line_breaks=not one_line,
        )
    except X12Error as exc:
        _fail(f"{file}: cannot make a valid 278: {exc}")
    typer.echo(text, nl=False)


@x12_app.command("parse")
def parse_command(
    file: Annotated[Path, typer.Argument(help="A 278 response, 999 or TA1 interchange.")],
    trace: Annotated[
        str | None, typer.Option(help="The trace number the case sent; checked against TRN.")
    ] = None,
    request: Annotated[
        Path | None,
        typer.Option(help="The case request, to match service levels to its lines."),
    ] = None,
    timezone: Annotated[
        str, typer.Option(help="The payer's zone for BHT's date and time.")
    ] = "America/New_York",
) -> None:
    """Print a 278 response's decision (the API's decision JSON), or a 999 / TA1, as JSON."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from integrations.x12 import (
        Acknowledgment,
        X12AcknowledgmentError,
        X12Error,
        X12RejectedError,
        parse_any,
        raise_for_rejection,
    )

    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        _fail(f"--timezone: '{timezone}' is not an IANA time zone")
    case_request = _load_request(request) if request is not None else None
    text = _read_text(file)
    try:
        parsed = parse_any(text, trace=trace, request=case_request, timezone=timezone)
    except X12RejectedError as exc:
        typer.echo(json.dumps(exc.as_json(), indent=2))
        _fail(f"{file}: {exc}", REJECTED)
    except X12Error as exc:
        _fail(f"{file}: {exc}")
    if isinstance(parsed, Acknowledgment):
        typer.echo(json.dumps(parsed.as_json(), indent=2))
        try:
            raise_for_rejection(parsed)
        except X12AcknowledgmentError as exc:
            _fail(f"{file}: {exc}", REJECTED)
        return
    typer.echo(parsed.decision.model_dump_json(indent=2))
    for warning in parsed.warnings:
        typer.echo(f"warning: {warning}", err=True)
