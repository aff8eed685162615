"""HTML forms made from pydantic models: the fields a body model has, the form's values back
into the model's shape, and errors by field.

An action's form is its body model (`domain.case.actions`), so a new action gets a form without
a template of its own. Field names are the dotted paths pydantic uses in its error locations
(`decision.items.0.reason_text`), so an error lands next to its input. Moments are typed in the
organization's time zone (`datetime-local` inputs have none).
"""

from __future__ import annotations

import types
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Annotated, Any, Union, get_args, get_origin
from zoneinfo import ZoneInfo

from annotated_types import MaxLen
from pydantic import AwareDatetime, BaseModel, ValidationError

# Fields the person never types: the channel's own bookkeeping, derived displays.
SKIPPED = frozenset({"source", "received_at", "review_action_display"})
LONG_TEXT = 300  # longer strings get a textarea
# Free-text fields of unbounded length that are prose (others, e.g. codes, stay one line).
PROSE = frozenset({"summary", "reason", "text", "note", "reason_text", "modification"})


@dataclass(frozen=True)
class FormField:
    name: str  # the dotted path, also the input's name and (with - for .) its id
    label: str
    kind: str  # text, textarea, number, checkbox, datetime, date, select, lines, numbers
    required: bool
    choices: tuple[str, ...] = ()
    help: str = ""

    @property
    def input_id(self) -> str:
        return "f-" + self.name.replace(".", "-").replace("_", "-")


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """The type inside Optional / Annotated, and whether None is allowed."""
    optional = False
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            args = [a for a in get_args(annotation) if a is not type(None)]
            optional = optional or len(args) < len(get_args(annotation))
            annotation = args[0] if len(args) == 1 else str
        else:
            return annotation, optional


def _kind(name: str, annotation: Any, metadata: list[Any]) -> str | None:
    if annotation is bool:
        return "checkbox"
    if annotation in (int, float):
        return "number"
    if annotation in (datetime, AwareDatetime):
        return "datetime"
    if annotation is date:
        return "date"
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return "select"
    if annotation is str:
        longest = next((m.max_length for m in metadata if isinstance(m, MaxLen)), None)
        long = longest > LONG_TEXT if longest is not None else name in PROSE
        return "textarea" if long else "text"
    if get_origin(annotation) is list:
        inner, _ = _unwrap(get_args(annotation)[0])
        if inner is str:
            return "lines"
        if inner is int:
            return "numbers"
    return None


def form_fields(
    model: type[BaseModel],
    *,
    rows: int = 1,
    prefix: str = "",
    needed: bool = True,
    skipped: frozenset[str] = SKIPPED,
) -> list[FormField]:
    """The inputs of `model`, nested models flattened; a list of models gets `rows` rows.
    An input is marked required only when it and every model around it are (`needed`).
    `skipped` names the fields left out (by default the channel's bookkeeping)."""
    found: list[FormField] = []
    for name, info in model.model_fields.items():
        if name in skipped:
            continue
        path = f"{prefix}{name}"
        annotation, optional = _unwrap(info.annotation)
        label = info.title or name.replace("_", " ").capitalize()
        here = needed and info.is_required() and not optional
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            found += form_fields(
                annotation, rows=rows, prefix=f"{path}.", needed=here, skipped=skipped
            )
            continue
        if get_origin(annotation) is list:
            inner, _ = _unwrap(get_args(annotation)[0])
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                for row in range(rows):
                    row_needed = here and row == 0
                    found += form_fields(
                        inner,
                        rows=rows,
                        prefix=f"{path}.{row}.",
                        needed=row_needed,
                        skipped=skipped,
                    )
                continue
        kind = _kind(name, annotation, list(info.metadata))
        if kind is None:
            continue
        choices = tuple(e.value for e in annotation) if kind == "select" else ()
        required = here and kind != "checkbox"
        found.append(FormField(path, label, kind, required, choices, info.description or ""))
    return found


def form_values(fields: list[FormField], form: dict[str, str], zone: str) -> dict[str, Any]:
    """The form's values in the model's shape: blank inputs left out (the model's defaults
    apply), rows left wholly blank dropped, moments in `zone`."""
    data: dict[str, Any] = {}
    for field in fields:
        raw = form.get(field.name, "")
        value = _value(field, raw.strip(), zone)
        if value is not None:
            _put(data, field.name.split("."), value)
    return _lists(data)  # type: ignore[no-any-return]


def _value(field: FormField, raw: str, zone: str) -> Any:
    if field.kind == "checkbox":
        return True if raw else None
    if not raw:
        return None
    if field.kind == "lines":
        return [line.strip() for line in raw.splitlines() if line.strip()]
    if field.kind == "numbers":
        parts = [part.strip() for part in raw.replace(";", ",").split(",") if part.strip()]
        return [int(part) if part.isdigit() else part for part in parts]
    if field.kind == "datetime":
        try:
            moment = datetime.fromisoformat(raw)
        except ValueError:
            return raw  # the model names what is wrong
        return moment.replace(tzinfo=ZoneInfo(zone)) if moment.tzinfo is None else moment
    return raw


def _put(data: dict[str, Any], path: list[str], value: Any) -> None:
    for part in path[:-1]:
        data = data.setdefault(part, {})
    data[path[-1]] = value


def _lists(node: Any) -> Any:
    """{"0": {...}, "1": {...}} -> [{...}, {...}], recursively."""
    if not isinstance(node, dict):
        return node
    converted = {key: _lists(value) for key, value in node.items()}
    if converted and all(key.isdigit() for key in converted):
        return [converted[key] for key in sorted(converted, key=int)]
    return converted


def errors_by_field(exc: ValidationError, fields: list[FormField]) -> dict[str, str]:
    """pydantic's errors keyed by the input they belong to; an error of a whole model (a rule
    between fields) goes to that model's first input, one of the whole form to `_form`."""
    names = [field.name for field in fields]
    found: dict[str, str] = {}
    for error in exc.errors():
        path = ".".join(str(part) for part in error["loc"])
        message = str(error["msg"]).removeprefix("Value error, ")
        target = (
            path
            if path in names
            else next((name for name in names if path and name.startswith(path + ".")), "_form")
        )
        found.setdefault(target, message)
    return found


def field_errors(pairs: list[tuple[str, str]], fields: list[FormField]) -> dict[str, str]:
    """The API's own field errors (`FieldError`: field path, message) keyed by input."""
    names = [field.name for field in fields]
    found: dict[str, str] = {}
    for path, message in pairs:
        target = (
            path
            if path in names
            else next((name for name in names if name.startswith(path + ".")), "_form")
        )
        found.setdefault(target, message)
    return found


def initial_values(form: dict[str, str]) -> dict[str, str]:
    return {key: value for key, value in form.items() if key != "csrf_token"}
