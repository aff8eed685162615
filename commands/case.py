"""`priorauth case`: open, list, show and act on cases through the HTTP API.

    priorauth case open request.json [--assignee NAME] [--team TEAM] [--idempotency-key KEY]
    priorauth case list [--status denied] [--overdue] [--q 000123] [--json]
    priorauth case show CASE_ID
    priorauth case decide CASE_ID decision.json
    priorauth case appeal CASE_ID [--sequence 1] [--expedited] [--argument TEXT]
    priorauth case sign-off CASE_ID [--appeal 1]
    priorauth case contact CASE_ID --channel call --reference REF --summary TEXT
    priorauth case withdraw CASE_ID --reason TEXT
    priorauth case assign CASE_ID NAME
    priorauth case note CASE_ID TEXT
    priorauth case supply-information | extension | peer-to-peer | peer-to-peer-outcome |
                   appeal-decision | accept-denial CASE_ID [--<field> VALUE ...] [--body FILE]

Every case action (`domain.case.actions`) has its command: the ones above by hand, the others
made from the action's body model (commands/case_actions.py).

The API is `PRIORAUTH_API_URL` with the key `PRIORAUTH_API_KEY` (see commands/api_client.py).
Exit codes: 0 done; 2 bad input or an action the case refused (the reason, and each field error
on its own line, go to stderr); 1 the API could not be reached or failed. `--json` prints the
API's answer as JSON for scripts.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn
from zoneinfo import ZoneInfo

import typer
from typer.core import TyperGroup

from domain.case.vocabulary import CaseStatus
from domain.enums import ContactChannel, ContactDirection, Regime
from store.records import CaseState

# The API client (httpx) and the request model (pydantic) are imported where they are used:
# `--help` and the other commands start without them.
if TYPE_CHECKING:
    from typer import _click  # typer's own click (it vendors click)

    from commands.api_client import ApiClient
    from domain.case.actions import CaseAction


class CaseCommands(TyperGroup):
    """The hand-written case commands, then one made from the table for each other case action
    (commands/case_actions.py). Those are built when first listed or called: the table imports
    the message models, which `priorauth --help` does without."""

    _made: dict[str, _click.Command] | None = None

    def made(self) -> dict[str, _click.Command]:
        if self._made is None:
            from commands.case_actions import made_commands

            self._made = made_commands(set(self.commands), send_action)
        return self._made

    def list_commands(self, ctx: _click.Context) -> list[str]:
        return [*super().list_commands(ctx), *self.made()]

    def get_command(self, ctx: _click.Context, cmd_name: str) -> _click.Command | None:
        return super().get_command(ctx, cmd_name) or self.made().get(cmd_name)


case_app = typer.Typer(
    cls=CaseCommands,
    help="Open, list, show and act on prior-authorization cases (through the HTTP API).",
    no_args_is_help=True,
)

BAD_INPUT = 2
FAILED = 1
JsonFlag = Annotated[bool, typer.Option("--json", help="Print the API's answer as JSON.")]
CaseIdArg = Annotated[str, typer.Argument(help="The case id (from `case open` or `case list`).")]


def _api_client() -> ApiClient:
    from commands.api_client import ApiClient

    return ApiClient()


# Tests replace this to talk to an in-process app.
client_factory: Callable[[], ApiClient] = _api_client


def fail(message: str, lines: list[str] | None = None, code: int = BAD_INPUT) -> NoReturn:
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    for line in lines or []:
        typer.echo(f"  {line}", err=True)
    raise typer.Exit(code)


def call(action: Callable[[ApiClient], Any]) -> Any:
    """Run one API call; turn its failure into the documented exit code."""
    from commands.api_client import ApiError

    with client_factory() as client:
        try:
            return action(client)
        except ApiError as exc:
            fail(exc.detail, exc.field_errors, BAD_INPUT if exc.is_client_error else FAILED)


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror}")
    except json.JSONDecodeError as exc:
        fail(f"{path} is not JSON: {exc}")


def emit(data: Any, as_json: bool, human: Callable[[Any], None]) -> None:
    if as_json:
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        human(data)


def _when(value: str | None, zone: str | None = None) -> str:
    """An instant from the API (UTC) in the reader's zone: the payer's for a case, else local."""
    if not value:
        return "-"
    moment = datetime.fromisoformat(value)
    local = moment.astimezone(ZoneInfo(zone)) if zone else moment.astimezone()
    return local.strftime("%Y-%m-%d %H:%M %Z")


def print_view(data: Any) -> None:
    view = data.get("view", data)
    typer.echo(f"case {view.get('case_id')}: {view.get('status')} ({view.get('phase')})")
    if view.get("closed_reason"):
        typer.echo(f"  {view['closed_reason']}")


# ---------------------------------------------------------------- open / list / show


@case_app.command("open")
def open_case(
    file: Annotated[Path, typer.Argument(help="A PriorAuthRequest as JSON.")],
    assignee: Annotated[str | None, typer.Option(help="Default: you (case managers).")] = None,
    idempotency_key: Annotated[
        str | None, typer.Option(help="Repeat the command with the same key: same case.")
    ] = None,
    team: Annotated[
        str | None, typer.Option(help="One of your teams; default: your first team.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Open a case from a request file; the case's workflow starts at once."""
    from pydantic import ValidationError

    from domain.errors import describe
    from domain.models import PriorAuthRequest

    data = read_json(file)
    try:
        PriorAuthRequest.model_validate(data)
    except ValidationError as exc:
        fail(f"{file} is not a valid request:", describe(exc).splitlines())
    params = {"assignee": assignee, "team": team}
    opened = call(
        lambda c: c.request(
            "POST",
            "/api/v1/cases",
            json=data,
            params=params,
            headers={"Idempotency-Key": idempotency_key} if idempotency_key else None,
        )
    )
    emit(
        opened,
        as_json,
        lambda o: typer.echo(f"opened {o['case_number']}  case id {o['case_id']}"),
    )


@case_app.command("renew")
def renew(case_id: CaseIdArg, as_json: JsonFlag = False) -> None:
    """Renew the case's authorization: open the linked concurrent-review case (once per case;
    again prints the same renewal)."""
    opened = call(lambda c: c.post(f"/api/v1/cases/{case_id}/renew", {}))
    emit(
        opened,
        as_json,
        lambda o: typer.echo(f"renewal {o['case_number']}  case id {o['case_id']}"),
    )


@case_app.command("list")
def list_cases(
    status: Annotated[list[CaseStatus] | None, typer.Option(help="Repeatable.")] = None,
    assignee: str | None = None,
    payer: Annotated[str | None, typer.Option(help="Payer id.")] = None,
    regime: Regime | None = None,
    overdue: Annotated[bool, typer.Option(help="Only open cases past due.")] = False,
    q: Annotated[str | None, typer.Option(help="Case-number prefix, or its serial.")] = None,
    state: Annotated[
        CaseState | None,
        typer.Option(help="open, closed or all (default: open; all with --status or --q)."),
    ] = None,
    member_id: Annotated[
        str | None, typer.Option(help="Member id prefix (sent in a request body, not the URL).")
    ] = None,
    name: Annotated[
        str | None,
        typer.Option(help='Patient "last first" name prefix (sent in a body, not the URL).'),
    ] = None,
    limit: int = 50,
    offset: int = 0,
    cursor: Annotated[str | None, typer.Option(help="The next page's cursor.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """List cases, most urgent first."""
    if member_id or name:
        body = {
            "member_id": member_id,
            "patient_name": name,
            "case_number": q,
            "state": (state or CaseState.ALL).value,
            "limit": limit,
            "cursor": cursor,
        }
        found = call(lambda c: c.post("/api/v1/cases/search", {k: v for k, v in body.items() if v}))
        emit(found, as_json, print_table)
        return
    page = call(
        lambda c: c.get(
            "/api/v1/cases",
            status=[s.value for s in status or []],
            assignee=assignee,
            payer=payer,
            regime=regime.value if regime else None,
            overdue=overdue or None,
            q=q,
            state=state.value if state else None,
            limit=limit,
            offset=offset or None,
            cursor=cursor,
        )
    )
    emit(page, as_json, print_table)


def print_table(page: Any) -> None:
    header = ("CASE NUMBER", "CASE ID", "STATUS", "PAYER", "ASSIGNEE", "NEXT DUE (UTC)")
    rows = [
        (
            item["case_number"],
            item["case_id"],
            item["status"],
            item["payer_id"],
            item.get("assignee") or "-",
            _when(item.get("next_due_at")),
        )
        for item in page["items"]
    ]
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        typer.echo(
            "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True))
        )
    shown = f"{page['offset'] + 1}-{page['offset'] + len(rows)}" if rows else "0"
    typer.echo(f"({shown} of {count_text(page)})")
    next_page_hint(page)


def count_text(page: Any) -> str:
    """The page's total, "1,000+" when the count stopped at its cap."""
    return f"{page['total']:,}+" if page.get("total_capped") else str(page["total"])


def next_page_hint(page: Any) -> None:
    if page.get("next_cursor"):
        typer.echo(f"next page: --cursor {page['next_cursor']}")


@case_app.command("show")
def show(case_id: CaseIdArg, as_json: JsonFlag = False) -> None:
    """One case: items, decisions, deadlines with their rules, tasks, letters, contacts."""
    detail = call(lambda c: c.get(f"/api/v1/cases/{case_id}"))
    emit(detail, as_json, print_detail)


def print_detail(detail: Any) -> None:
    summary = detail["summary"]
    live = detail.get("live") or {}
    typer.secho(f"{summary['case_number']}  ({summary['case_id']})", bold=True)
    typer.echo(
        f"status {live.get('status', summary['status'])}, {summary['regime']}, "
        f"payer {summary['payer_name']} ({summary['payer_id']}), "
        f"assignee {summary.get('assignee') or '-'}"
    )
    typer.echo("items:")
    states = {item["sequence"]: item for item in live.get("items", [])}
    for line in detail["request"]["service_lines"]:
        state = states.get(line["sequence"], {})
        typer.echo(
            f"  {line['sequence']}. {line['code']} x{line['units']}: "
            f"{state.get('outcome') or 'awaiting decision'}"
            + (f" — {state['reason_text']}" if state.get("reason_text") else "")
        )
    zone = detail["request"]["coverage"]["payer"].get("timezone")
    if detail["deadlines"]:
        typer.echo(f"deadlines ({zone}):")
        for d in detail["deadlines"]:
            met = f", met {_when(d['met_at'], zone)}" if d.get("met_at") else ""
            typer.echo(f"  {_when(d['due_at'], zone)}  {d['label']}{met}  [{d['rule']}]")
    sections: list[tuple[str, list[Any], Callable[[Any], str]]] = [
        ("tasks", detail["tasks"], lambda t: f"  #{t['task_id']} {t['status']}: {t['title']}"),
        ("letters", detail["letters"], lambda x: f"  {x['letter_id']} {x['kind']}"),
        (
            "contacts",
            detail["contacts"],
            lambda x: f"  {_when(x['occurred_at'], zone)} {x['channel']}: {x['summary']}",
        ),
    ]
    for title, items, fmt in sections:
        if items:
            typer.echo(f"{title}:")
            for item in items:
                typer.echo(fmt(item))
    if detail.get("live_error"):
        typer.echo(f"(live status unavailable: {detail['live_error']})")


# ---------------------------------------------------------------- actions


@case_app.command("decide")
def decide(
    case_id: CaseIdArg,
    file: Annotated[
        Path, typer.Argument(help="A PayerDecision, or {decision, information_request}, as JSON.")
    ],
    as_json: JsonFlag = False,
) -> None:
    """Record a payer decision by hand (the same decision_id again changes nothing)."""
    data = read_json(file)
    body = data if isinstance(data, dict) and "decision" in data else {"decision": data}
    result = call(lambda c: c.post(f"/api/v1/cases/{case_id}/decisions", body))
    emit(result, as_json, print_view)


@case_app.command("appeal")
def appeal(
    case_id: CaseIdArg,
    sequence: Annotated[
        list[int] | None, typer.Option(help="Item to appeal (repeatable); default: all adverse.")
    ] = None,
    expedited: bool = False,
    argument: Annotated[list[str] | None, typer.Option(help="Repeatable.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """File an appeal of the adverse decision; the letter is drafted for sign-off."""
    body = {"sequences": sequence or None, "expedited": expedited, "arguments": argument or []}
    result = call(lambda c: c.post(f"/api/v1/cases/{case_id}/appeals", body))
    emit(result, as_json, print_view)


@case_app.command("sign-off")
def sign_off(
    case_id: CaseIdArg,
    appeal_number: Annotated[int, typer.Option("--appeal", help="Appeal level number.")] = 1,
    letter_id: str | None = None,
    as_json: JsonFlag = False,
) -> None:
    """Sign the appeal letter off; the appeal is then submitted."""
    result = call(
        lambda c: c.post(
            f"/api/v1/cases/{case_id}/appeals/{appeal_number}/sign-off", {"letter_id": letter_id}
        )
    )
    emit(result, as_json, lambda r: typer.echo(f"appeal {r['appeal_number']}: {r['status']}"))


@case_app.command("contact")
def contact(
    case_id: CaseIdArg,
    channel: Annotated[ContactChannel, typer.Option()],
    summary: Annotated[str, typer.Option(help="What was said or sent.")],
    reference: Annotated[
        str | None, typer.Option(help="Call reference / fax confirmation (required for both).")
    ] = None,
    direction: ContactDirection = ContactDirection.OUTBOUND,
    counterpart: str | None = None,
    at: Annotated[
        datetime | None, typer.Option(help="When (with a time zone); default: now.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Log a call, portal check, fax or letter with the payer."""
    moment = at or datetime.now(UTC)
    if moment.tzinfo is None:
        fail("--at needs a time zone, e.g. 2026-11-02T14:30:00-06:00")
    body = {
        "channel": channel.value,
        "direction": direction.value,
        "occurred_at": moment.isoformat(),
        "counterpart": counterpart,
        "reference_number": reference,
        "summary": summary,
    }
    result = call(lambda c: c.post(f"/api/v1/cases/{case_id}/contacts", body))
    emit(result, as_json, lambda r: typer.echo(f"contact logged on case {r['case_id']}"))


@case_app.command("withdraw")
def withdraw(
    case_id: CaseIdArg,
    reason: Annotated[str, typer.Option(help="Why the case is withdrawn.")],
    as_json: JsonFlag = False,
) -> None:
    """Withdraw the case (the payer is told when a decision is outstanding)."""
    result = call(lambda c: c.post(f"/api/v1/cases/{case_id}/withdraw", {"reason": reason}))
    emit(result, as_json, print_view)


@case_app.command("assign")
def assign(
    case_id: CaseIdArg,
    assignee: Annotated[str, typer.Argument(help="The API key name of the new assignee.")],
    as_json: JsonFlag = False,
) -> None:
    """Give the case to someone."""
    result = call(lambda c: c.post(f"/api/v1/cases/{case_id}/assign", {"assignee": assignee}))
    emit(result, as_json, lambda r: typer.echo(f"assigned to {r['view'].get('assignee')}"))


@case_app.command("note")
def note(
    case_id: CaseIdArg,
    text: Annotated[str, typer.Argument(help="The note.")],
    as_json: JsonFlag = False,
) -> None:
    """Add a note to the case's timeline."""
    result = call(lambda c: c.post(f"/api/v1/cases/{case_id}/notes", {"text": text}))
    emit(result, as_json, lambda r: typer.echo(f"note added to case {r['case_id']}"))


# ---------------------------------------------------------------- actions from the table


def send_action(
    action: CaseAction[Any, Any],
    case_id: str,
    appeal_number: int | None,
    body_file: Path | None,
    idempotency_key: str | None,
    as_json: bool,
    fields: dict[str, Any],
) -> None:
    """Check the body against the action's model, then post it to the action's route."""
    from pydantic import ValidationError

    from commands.case_actions import action_path
    from domain.case.actions import Target
    from domain.errors import describe

    data: dict[str, Any] = {}
    if body_file is not None:
        loaded = read_json(body_file)
        if not isinstance(loaded, dict):
            fail(f"{body_file} is not a JSON object")
        data.update(loaded)
    data.update(fields)
    try:
        body = action.body.model_validate(data).model_dump(mode="json", exclude_unset=True)
    except ValidationError as exc:
        fail(f"not a valid {action.body.__name__}:", describe(exc).splitlines())
    path = action_path(action, case_id, appeal_number)
    result = call(lambda c: c.post(path, body, idempotency_key=idempotency_key))
    if action.target is Target.APPEAL:
        emit(result, as_json, lambda r: typer.echo(f"appeal {r['appeal_number']}: {r['status']}"))
    else:
        emit(result, as_json, print_view)
