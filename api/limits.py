"""Input limits enforced before any route sees a request: body size, JSON depth, request ids.

Two pure ASGI middlewares (no `BaseHTTPMiddleware`), installed by `install_input_limits`:

- `RequestIdGuard` (outermost) refuses an `X-Request-ID` header that is too long or carries
  characters other than letters, digits and `._:/+=-`: the id is echoed into a response header
  and every log line of the request.
- `BodyLimits` reads the request body as it streams in and counts the bytes, so a missing or
  lying `Content-Length` cannot get past it: over the route's limit the answer is 413 and the
  route never runs. FHIR routes (`/fhir/...`, PAS bundles) have a larger limit than the rest.
  A body within the limit is then scanned for JSON nesting depth (a bracket count that skips
  strings, no parsing), numbers of more than 1,000 digits (Python's parser raises a ValueError
  past 4,300) and a `\\u0000` escape (PostgreSQL text cannot hold NUL); a NUL in the path or
  query string is refused too. Only then is the body handed, whole, to the route.

Refusals use the API's error shapes: an `ErrorBody` problem body on JSON routes, an
OperationOutcome (`application/fhir+json`) on FHIR routes, each naming the field.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate, cycle
from operator import mul
from typing import Any

from fastapi import FastAPI
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import ErrorBody, FieldError
from config.logging import get_logger
from config.settings import Settings

log = get_logger("priorauth.api")

FHIR_PREFIX = "/fhir/"
# Non-FHIR routes that take a whole PAS bundle (a multipart upload): the FHIR body limit.
BUNDLE_UPLOAD_PATHS = frozenset({"/cases/new/pas"})
REQUEST_ID_HEADER = b"x-request-id"
REQUEST_ID = re.compile(rb"[A-Za-z0-9._:/+=-]{1,128}")
MAX_CONTENT_LENGTH_DIGITS = 18  # int() of a 5,000-digit header would raise, not answer

_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_BRACKETS_TO_SQUARE = bytes.maketrans(b"{}", b"[]")
_BRACKET_RUN = re.compile(rb"\[+|\]+")
# A \u0000 escape preceded by an even number of backslashes (an odd count escapes the `\`).
_NUL_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
# Python refuses to convert integers of more than 4,300 digits (a ValueError, not a JSON error).
MAX_NUMBER_DIGITS = 1000
_LONG_NUMBER = re.compile(rb"[0-9]{%d}" % (MAX_NUMBER_DIGITS + 1))


def outside_strings(body: bytes) -> bytes:
    """The bytes of a JSON text that are not inside a string (structure, numbers, literals)."""
    # Drop escaped backslashes, then escaped quotes: every `"` left delimits a string.
    plain = body.replace(b"\\\\", b"").replace(b'\\"', b"")
    return b"".join(plain.split(b'"')[::2])


def json_depth(structure: bytes) -> int:
    """How deeply arrays and objects nest (0 for a scalar), given `outside_strings(body)`.

    Malformed JSON gets a number too (the parser refuses it afterwards); unclosed brackets
    count as open. Linear in the body's size.
    """
    brackets = structure.translate(_BRACKETS_TO_SQUARE, _NOT_BRACKETS)
    # Removing every empty pair `[]` lowers the depth by exactly one; cheap while it shrinks a
    # lot (a typical body is mostly leaves). Then count the rest run by run.
    peeled = 0
    while brackets:
        shorter = brackets.replace(b"[]", b"")
        removed = len(brackets) - len(shorter)
        if removed == 0:
            break
        peeled += 1
        brackets = shorter
        if removed * 8 < len(brackets) + removed:
            break
    if not brackets:
        return peeled
    signs = cycle((1, -1) if brackets[0] == ord("[") else (-1, 1))
    runs: list[bytes] = _BRACKET_RUN.findall(brackets)
    levels: list[int] = list(accumulate(map(mul, map(len, runs), signs)))
    return peeled + max(0, max(levels))


def has_nul_escape(body: bytes) -> bool:
    return b"\\u0000" in body and _NUL_ESCAPE.search(body) is not None


def is_fhir(path: str) -> bool:
    return path.startswith(FHIR_PREFIX)


async def refuse(
    send: Send, *, path: str, status: int, field: str, message: str, fhir_code: str
) -> None:
    """Answer with the route family's error shape, naming the field at fault."""
    headers: list[tuple[bytes, bytes]]
    if is_fhir(path):
        issue = {"severity": "error", "code": fhir_code, "diagnostics": f"{field}: {message}"}
        content: dict[str, Any] = {"resourceType": "OperationOutcome", "issue": [issue]}
        media_type = b"application/fhir+json"
    else:
        problem = ErrorBody(
            detail=f"invalid request: {field}: {message}",
            errors=[FieldError(field=field, message=message)],
        )
        content = problem.model_dump()
        media_type = b"application/json"
    payload = json.dumps(content).encode()
    headers = [(b"content-type", media_type), (b"content-length", str(len(payload)).encode())]
    if status == 413:
        headers.append((b"connection", b"close"))  # the rest of the body is not read
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


class RequestIdGuard:
    """400 for an `X-Request-ID` that could not safely be echoed and logged."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for name, value in scope["headers"]:
                if name == REQUEST_ID_HEADER and REQUEST_ID.fullmatch(value) is None:
                    # Outside the request-id middleware: this is the request's only log line.
                    log.info(
                        "request",
                        method=scope["method"],
                        path=scope["path"],
                        status=400,
                        refused="X-Request-ID",
                    )
                    await refuse(
                        send,
                        path=scope["path"],
                        status=400,
                        field="X-Request-ID",
                        message="use 1 to 128 letters, digits or ._:/+=- characters",
                        fhir_code="value",
                    )
                    return
        await self.app(scope, receive, send)


class BodyLimits:
    """413 past the route's byte limit (counted as the body streams in); 4xx for JSON nested
    deeper than `max_json_depth`, a NUL escape, or a NUL in the path or query string."""

    def __init__(
        self, app: ASGIApp, *, max_body_bytes: int, max_fhir_body_bytes: int, max_json_depth: int
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_fhir_body_bytes = max_fhir_body_bytes
        self.max_json_depth = max_json_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        fhir = is_fhir(path)
        bad_status = 400 if fhir else 422

        if "\x00" in path or b"%00" in scope.get("query_string", b""):
            where = "path" if "\x00" in path else "query"
            await refuse(
                send,
                path=path,
                status=bad_status,
                field=where,
                message="NUL characters are not allowed",
                fhir_code="value",
            )
            return

        carries_bundle = fhir or path in BUNDLE_UPLOAD_PATHS  # the web form's PAS upload
        limit = self.max_fhir_body_bytes if carries_bundle else self.max_body_bytes
        too_large = f"the body is larger than {limit:,} bytes"
        declared = _content_length(scope)
        if declared == -1:
            await refuse(
                send,
                path=path,
                status=400,
                field="Content-Length",
                message="not a byte count",
                fhir_code="structure",
            )
            return
        if declared is not None and declared > limit:
            await refuse(
                send, path=path, status=413, field="body", message=too_large, fhir_code="too-long"
            )
            return

        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # client went away: let the app see it
                await self.app(scope, _replay(b"".join(chunks), message, receive), send)
                return
            chunk: bytes = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await refuse(
                    send,
                    path=path,
                    status=413,
                    field="body",
                    message=too_large,
                    fhir_code="too-long",
                )
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)

        if body:
            structure = outside_strings(body)
            if json_depth(structure) > self.max_json_depth:
                await refuse(
                    send,
                    path=path,
                    status=bad_status,
                    field="body",
                    message=f"JSON nested deeper than {self.max_json_depth} levels",
                    fhir_code="too-costly",
                )
                return
            if _LONG_NUMBER.search(structure) is not None:
                await refuse(
                    send,
                    path=path,
                    status=bad_status,
                    field="body",
                    message=f"a JSON number has more than {MAX_NUMBER_DIGITS:,} digits",
                    fhir_code="too-long",
                )
                return
            if has_nul_escape(body):
                await refuse(
                    send,
                    path=path,
                    status=bad_status,
                    field="body",
                    message="NUL characters (\\u0000) are not allowed",
                    fhir_code="value",
                )
                return
        await self.app(scope, _replay(body, None, receive), send)


def _content_length(scope: Scope) -> int | None:
    """The declared length; None when absent, -1 when it is not a plain byte count."""
    for name, value in scope["headers"]:
        if name == b"content-length":
            text = value.strip()
            if not text.isdigit() or len(text) > MAX_CONTENT_LENGTH_DIGITS:
                return -1
            return int(text)
    return None


def _replay(body: bytes, pending: Message | None, receive: Receive) -> Receive:
    """A `receive` that gives the app the whole body in one message, then defers to the
    server (for `http.disconnect`)."""
    first: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]
    if pending is not None:
        first.append(pending)

    async def replay() -> Message:
        if first:
            return first.pop(0)
        return await receive()

    return replay


def install_input_limits(app: FastAPI, settings: Settings) -> None:
    """Wire both middlewares: the request-id guard outside everything (before the request-id
    middleware logs the header), the body limits inside (its refusals are logged as usual)."""
    app.user_middleware.insert(0, Middleware(RequestIdGuard))
    app.user_middleware.append(
        Middleware(
            BodyLimits,
            max_body_bytes=settings.max_body_bytes,
            max_fhir_body_bytes=settings.max_fhir_body_bytes,
            max_json_depth=settings.max_json_depth,
        )
    )
