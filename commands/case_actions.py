"""`priorauth case <action>` commands made from the table of case actions.

Every action of `domain.case.actions` is a `priorauth case` command named by its `cli`. The
hand-written commands of `commands.case` keep their shapes (positional arguments, a decision
file); for every other action a command is made here from the action's body model:

    priorauth case <cli> CASE_ID [--appeal N] [--body FILE] [--<field> VALUE ...]
                         [--idempotency-key KEY] [--json]

A field of plain values (text, numbers, dates, a choice, a list of those) is an option; nested
fields come from `--body`, a JSON object the options are laid over. The body is checked against
the action's model before anything is sent (exit 2 naming each field). `commands.case` lists
these commands only when asked for its commands (`priorauth --help` does without the models).
tests/commands/test_cli_case_actions.py checks that every action has its command and that each
sends a body its model accepts.
"""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Union

import typer
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from typer import _click  # typer's own click (it vendors click)
from typer.core import TyperGroup

from domain.case.actions import ACTIONS, CaseAction, Target

# What a made command does: (action, case id, appeal number, --body file, Idempotency-Key,
# --json, the fields given as options).
Send = Callable[
    [CaseAction[Any, Any], str, int | None, Path | None, str | None, bool, dict[str, Any]], None
]


def _inner(annotation: Any) -> tuple[Any, bool]:
    """The annotation without `| None`, and whether None was allowed."""
    if typing.get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return annotation, False


def _is_plain(annotation: Any) -> bool:
    """Text, a number, a date or a choice: something a command-line value can spell."""
    return isinstance(annotation, type) and not issubclass(annotation, BaseModel)


def option_for(name: str, field: FieldInfo) -> inspect.Parameter | None:
    """The command-line option of a body field, or None when it must come from `--body`."""
    annotation, _ = _inner(field.annotation)
    flag = "--" + name.replace("_", "-")
    help_text = field.description or ""
    if annotation is bool:
        kind: Any = bool | None
    elif isinstance(annotation, type) and issubclass(annotation, Enum):
        kind = annotation | None
    elif typing.get_origin(annotation) is list:
        (item,) = typing.get_args(annotation) or (Any,)
        if not _is_plain(item):
            return None
        kind = list[str] | None
        help_text = (help_text + " (repeatable)").strip()
    elif _is_plain(annotation):
        kind = str | None
    else:
        return None
    return inspect.Parameter(
        name,
        inspect.Parameter.KEYWORD_ONLY,
        annotation=Annotated[kind, typer.Option(flag, help=help_text or None)],
        default=None,
    )


def options_for(body: type[BaseModel]) -> list[inspect.Parameter]:
    return [p for n, f in body.model_fields.items() if (p := option_for(n, f)) is not None]


def make_command(action: CaseAction[Any, Any], send: Send) -> Callable[..., None]:
    """A typer command for `action` (its signature is built from the body model)."""
    fields = options_for(action.body)
    nested = [name for name in action.body.model_fields if name not in {p.name for p in fields}]
    body_help = f"A JSON {action.body.__name__}; the options are laid over it." + (
        f" Gives {', '.join(nested)}." if nested else ""
    )

    def command(**values: Any) -> None:
        send(
            action,
            values.pop("case_id"),
            values.pop("appeal_number", None),
            values.pop("body_file"),
            values.pop("idempotency_key", None),
            values.pop("as_json"),
            {k: v for k, v in values.items() if v is not None and v != []},
        )

    parameters = [
        inspect.Parameter(
            "case_id",
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
            annotation=Annotated[
                str, typer.Argument(help="The case id (from `case open` or `case list`).")
            ],
        ),
        *fields,
        inspect.Parameter(
            "body_file",
            inspect.Parameter.KEYWORD_ONLY,
            annotation=Annotated[
                Path | None,
                typer.Option("--body", help=body_help),
            ],
            default=None,
        ),
        inspect.Parameter(
            "as_json",
            inspect.Parameter.KEYWORD_ONLY,
            annotation=Annotated[
                bool, typer.Option("--json", help="Print the API's answer as JSON.")
            ],
            default=False,
        ),
    ]
    if action.target is Target.APPEAL:
        parameters.insert(
            1,
            inspect.Parameter(
                "appeal_number",
                inspect.Parameter.KEYWORD_ONLY,
                annotation=Annotated[int, typer.Option("--appeal", help="Appeal level number.")],
                default=1,
            ),
        )
    if action.idempotency_key:
        parameters.append(
            inspect.Parameter(
                "idempotency_key",
                inspect.Parameter.KEYWORD_ONLY,
                annotation=Annotated[
                    str | None, typer.Option(help="Repeat with the same key: applied once.")
                ],
                default=None,
            )
        )
    command.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    command.__name__ = action.name
    command.__doc__ = action.doc
    return command


def made_commands(taken: set[str], send: Send) -> dict[str, _click.Command]:
    """A click command for each case action whose command is not in `taken` (hand-written)."""
    made = typer.Typer()
    for action in ACTIONS:
        if action.cli not in taken:
            made.command(action.cli)(make_command(action, send))
    if not made.registered_commands:
        return {}
    made.callback()(lambda: None)  # always a group, even of one command
    group = typer.main.get_command(made)
    assert isinstance(group, TyperGroup)
    return dict(group.commands)


def action_path(action: CaseAction[Any, Any], case_id: str, appeal_number: int | None) -> str:
    path = action.path.replace("{appeal_number}", str(appeal_number))
    return f"/api/v1/cases/{case_id}{path}"
