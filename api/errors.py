"""Error bodies the API returns: every 4xx names the field and the reason.

The shapes (`ErrorBody`, `FieldError`), the bodies built from pydantic and FastAPI validation
errors, and the documented error responses of the routes. The handlers that turn exceptions
into these bodies are in `api.error_handlers`.
"""

from __future__ import annotations

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from domain.errors import field_problems


class FieldError(BaseModel):
    field: str
    message: str


class ErrorBody(BaseModel):
    """Shape of every error response: a summary plus, for validation errors, one entry per field."""

    detail: str
    errors: list[FieldError] = []


def _field(loc: tuple[int | str, ...]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header"}:
        parts = parts[1:]
    return ".".join(parts) or "(request)"


def validation_error_body(exc: RequestValidationError) -> ErrorBody:
    errors = []
    for error in exc.errors():
        message = str(error.get("msg", "invalid"))
        message = message.removeprefix("Value error, ")
        errors.append(FieldError(field=_field(tuple(error.get("loc", ()))), message=message))
    summary = "; ".join(f"{e.field}: {e.message}" for e in errors[:5])
    return ErrorBody(detail=f"invalid request: {summary}", errors=errors)


def pydantic_error_body(exc: ValidationError, prefix: str = "") -> ErrorBody:
    """A pydantic error raised outside FastAPI's own parsing, in the same shape as a 422."""
    errors = [
        FieldError(field=f"{prefix}{p.field}" if prefix else p.field, message=p.message)
        for p in field_problems(exc)
    ]
    summary = "; ".join(f"{e.field}: {e.message}" for e in errors[:5])
    return ErrorBody(detail=f"invalid request: {summary}", errors=errors)


# Documented error responses shared by routes (OpenAPI).
ERRORS_AUTH: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorBody, "description": "Missing or unknown API key"},
    403: {"model": ErrorBody, "description": "The key's role may not do this"},
}
ERRORS_VALIDATION: dict[int | str, dict[str, object]] = {
    422: {"model": ErrorBody, "description": "Invalid input; each bad field is named"},
}
ERRORS_NOT_FOUND: dict[int | str, dict[str, object]] = {
    404: {"model": ErrorBody, "description": "No such resource"},
}
ERRORS_CONFLICT: dict[int | str, dict[str, object]] = {
    409: {
        "model": ErrorBody,
        "description": "The case refused the action in its current state (the reason is given)",
    },
}
ERRORS_UNAVAILABLE: dict[int | str, dict[str, object]] = {
    503: {
        "model": ErrorBody,
        "description": "Temporal or the database is unreachable; retry after `Retry-After` s",
    },
}
