"""The API's exception handlers: every failure a route lets through becomes an `ErrorBody`.

Store and Temporal failures that reach a route are mapped here, in one place, so a caller
never sees a 500 for them: a constraint violation is 409, a value the store cannot hold or
data that fails validation 422, a database or Temporal that cannot be reached 503 with
`Retry-After`. Their bodies and log lines name the error class, never the database's message
(it may quote the value, PHI). A `ServiceError` carries its own status and fields.

Separate from `api.errors` (the body shapes, which `api.service` builds on) so that neither
imports the other.
"""

from __future__ import annotations

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy import exc as sa_exc
from temporalio.client import WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.service import RPCError

from api.errors import ErrorBody, FieldError, pydantic_error_body, validation_error_body
from api.service import ServiceError
from config.logging import get_logger
from store.cursor import BadCursorError
from store.errors import ConflictError, InvalidTransitionError, NotFoundError

log = get_logger("priorauth.api")

RETRY_AFTER_SECONDS = 5


async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    body = validation_error_body(exc)
    return JSONResponse(
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT, content=body.model_dump()
    )


async def _on_service_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ServiceError)
    body = ErrorBody(detail=exc.detail, errors=exc.errors)
    return _respond(exc.status, body)


def _respond(status_code: int, body: ErrorBody) -> JSONResponse:
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if status_code == 503 else None
    return JSONResponse(status_code=status_code, content=body.model_dump(), headers=headers)


def _failure(request: Request, exc: Exception, status_code: int, detail: str) -> JSONResponse:
    log.warning(
        "request_failed",
        method=request.method,
        path=request.url.path,
        status=status_code,
        error_type=type(exc).__name__,
    )
    return _respond(status_code, ErrorBody(detail=detail))


async def _on_store_error(request: Request, exc: Exception) -> JSONResponse:
    """Store and Temporal failures by class (see the module docstring)."""
    if isinstance(exc, ValidationError):
        return _respond(422, pydantic_error_body(exc))
    if isinstance(exc, BadCursorError):
        reason = str(exc).removeprefix("cursor: ")
        body = ErrorBody(
            detail=f"invalid request: cursor: {reason}",
            errors=[FieldError(field="cursor", message=reason)],
        )
        return _respond(422, body)
    if isinstance(exc, NotFoundError):
        return _respond(404, ErrorBody(detail=f"{exc.kind} {exc.key} not found"))
    if isinstance(exc, ConflictError | InvalidTransitionError):
        return _respond(409, ErrorBody(detail=str(exc)))
    if isinstance(exc, sa_exc.IntegrityError):
        detail = "the request conflicts with stored data (a duplicate or a missing reference)"
        return _failure(request, exc, 409, detail)
    if isinstance(exc, sa_exc.DataError):
        detail = "a value does not fit the store (too long, or out of range)"
        return _failure(request, exc, 422, detail)
    if isinstance(exc, RPCError | WorkflowUpdateRPCTimeoutOrCancelledError):
        return _failure(request, exc, 503, "Temporal is unreachable; retry later")
    # OperationalError, InterfaceError, pool TimeoutError, DisconnectionError
    return _failure(request, exc, 503, "the database is unavailable; retry later")


# The classes `_on_store_error` answers for.
STORE_FAILURES: tuple[type[Exception], ...] = (
    ValidationError,
    BadCursorError,
    NotFoundError,
    ConflictError,
    InvalidTransitionError,
    sa_exc.IntegrityError,
    sa_exc.DataError,
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.TimeoutError,
    sa_exc.DisconnectionError,
    RPCError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(ServiceError, _on_service_error)
    for failure in STORE_FAILURES:
        app.add_exception_handler(failure, _on_store_error)
