"""Turn pydantic validation errors into field-named messages for people and HTTP clients."""

from __future__ import annotations

from pydantic import BaseModel, ValidationError


class FieldProblem(BaseModel):
    field: str
    message: str


def field_problems(exc: ValidationError) -> list[FieldProblem]:
    """One entry per error, `field` as a dotted path (service_lines.0.code), `message` plain."""
    problems = []
    for error in exc.errors(include_url=False):
        field = ".".join(str(part) for part in error["loc"]) or "(request)"
        message = error["msg"]
        for prefix in ("Value error, ", "Assertion failed, "):
            message = message.removeprefix(prefix)
        problems.append(FieldProblem(field=field, message=message))
    return problems


def describe(exc: ValidationError) -> str:
    """All problems, one per line, as a CLI prints them."""
    return "\n".join(f"{p.field}: {p.message}" for p in field_problems(exc))
