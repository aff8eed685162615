"""Property-based fuzzing of the API from its own OpenAPI document (schemathesis + hypothesis).

For every operation and every role (one API key per role, and no key) schemathesis generates
requests that fit the schema and requests that do not; each is sent in process to the running
app (httpx `ASGITransport` on the app's own event loop, so the Temporal client and worker the
app uses stay on theirs) and checked with schemathesis' `not_a_server_error`. Hypothesis runs in
a worker thread and hands each request to the event loop.

Used by tests/api/test_fuzz.py (a bounded run in the test suite) and bench/fuzz.py (`make
fuzz`, many more examples).
"""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode

from api.security import API_KEY_HEADER

ROLES: list[str | None] = [None, "case_manager", "ur_staff", "integration", "admin"]
MODES = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
REQUEST_TIMEOUT = 60.0


@dataclass(frozen=True)
class ServerError:
    """One request answered with a 5xx (or that raised), with what is needed to replay it."""

    operation: str
    role: str | None
    mode: str
    request: str
    status: int
    response: str


@dataclass
class Figures:
    requests: int = 0
    statuses: collections.Counter[int] = field(default_factory=collections.Counter)
    by_operation: collections.Counter[str] = field(default_factory=collections.Counter)
    errors: list[ServerError] = field(default_factory=list)
    unsatisfiable: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def server_errors(self) -> int:
        return sum(count for status, count in self.statuses.items() if status >= 500)

    def summary(self) -> str:
        statuses = ", ".join(f"{s}: {n}" for s, n in sorted(self.statuses.items()))
        return (
            f"fuzz: {self.requests} requests over {len(self.by_operation)} operations in "
            f"{self.seconds:.0f} s; statuses {statuses}; 5xx: {self.server_errors}"
        )


def load_schema(app: Any) -> Any:
    return schemathesis.openapi.from_dict(app.openapi())


def operations(schema: Any) -> list[Any]:
    return [result.ok() for result in schema.get_all_operations()]


def _describe(kwargs: dict[str, Any]) -> str:
    body = kwargs.get("json", kwargs.get("data"))
    shown = repr(body)
    if len(shown) > 600:
        shown = shown[:600] + "..."
    headers = {k: v for k, v in kwargs["headers"].items() if k.lower() != API_KEY_HEADER.lower()}
    params = kwargs.get("params")
    return f"{kwargs['method']} {kwargs['url']} params={params} headers={headers} body={shown}"


def _header_bytes(headers: dict[str, Any]) -> dict[str, bytes]:
    # httpx encodes str headers as ASCII; a generated non-ASCII value is sent as UTF-8 bytes.
    return {
        name: value if isinstance(value, bytes) else str(value).encode("utf-8")
        for name, value in headers.items()
    }


async def _send(http: httpx.AsyncClient, kwargs: dict[str, Any]) -> httpx.Response:
    content: Any = None
    data = kwargs.get("data")
    if isinstance(data, (bytes, str)):
        content = data
    elif data is not None:
        content = str(data)
    return await http.request(
        kwargs["method"],
        kwargs["url"],
        params=kwargs.get("params") or None,
        headers=_header_bytes(kwargs["headers"]),
        json=kwargs.get("json") if "json" in kwargs else None,
        content=content,
    )


def fuzz(
    *,
    app: Any,
    http: httpx.AsyncClient,
    loop: asyncio.AbstractEventLoop,
    keys: dict[str, str],
    examples: int,
    seed: int | None = None,
    case_id: str | None = None,
    skip: Callable[[Any, str | None], bool] | None = None,
    tolerated: Callable[[ServerError], bool] | None = None,
) -> Figures:
    """Run `examples` generated requests per operation, role and generation mode (blocking:
    call it from a thread other than `loop`'s). With `case_id` (an open case), about half the
    requests to `/cases/{case_id}/...` name that case, so actions reach its workflow.
    `tolerated` marks known 5xx kept out of `Figures.errors` (still counted in the statuses)."""
    figures = Figures()
    schema = load_schema(app)
    started = time.perf_counter()
    for operation in operations(schema):
        for mode in MODES:
            strategy = operation.as_strategy(generation_mode=mode)
            if case_id is not None and "{case_id}" in operation.path:
                real = operation.as_strategy(
                    generation_mode=mode, path_parameters={"case_id": case_id}
                )
                strategy = st.one_of(strategy, real)
            for role in ROLES:
                if skip is not None and skip(operation, role):
                    continue
                _run_one(
                    operation,
                    strategy,
                    role,
                    mode,
                    http,
                    loop,
                    keys,
                    examples,
                    seed,
                    figures,
                    tolerated,
                )
    figures.seconds = time.perf_counter() - started
    return figures


def _run_one(
    operation: Any,
    strategy: Any,
    role: str | None,
    mode: GenerationMode,
    http: httpx.AsyncClient,
    loop: asyncio.AbstractEventLoop,
    keys: dict[str, str],
    examples: int,
    seed: int | None,
    figures: Figures,
    tolerated: Callable[[ServerError], bool] | None,
) -> None:
    label = f"{operation.method.upper()} {operation.path}"

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=seed is None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    @given(case=strategy)
    def check(case: Any) -> None:
        kwargs = case.as_transport_kwargs(base_url="http://priorauth")
        kwargs["headers"] = {
            k: v for k, v in kwargs["headers"].items() if k.lower() != API_KEY_HEADER.lower()
        }
        if role is not None:
            kwargs["headers"][API_KEY_HEADER] = keys[role]
        future = asyncio.run_coroutine_threadsafe(_send(http, kwargs), loop)
        figures.requests += 1
        figures.by_operation[label] += 1
        try:
            response = future.result(timeout=REQUEST_TIMEOUT)
        except Exception as exc:  # the app raised instead of answering: a 500 to a client
            figures.statuses[500] += 1
            error = ServerError(label, role, mode.value, _describe(kwargs), 500, repr(exc)[:300])
            if tolerated is None or not tolerated(error):
                figures.errors.append(error)
            return
        figures.statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=[not_a_server_error])
        except Exception:
            error = ServerError(
                label,
                role,
                mode.value,
                _describe(kwargs),
                response.status_code,
                response.text[:300],
            )
            if tolerated is None or not tolerated(error):
                figures.errors.append(error)

    if seed is not None:
        check = _seeded(check, seed)
    try:
        check()
    except Unsatisfiable:  # nothing to get wrong (e.g. negative mode, no parameters)
        figures.unsatisfiable.append(f"{label} {mode.value}")


def _seeded(test: Callable[[], None], seed: int) -> Callable[[], None]:
    from hypothesis import seed as hypothesis_seed

    seeded: Callable[[], None] = hypothesis_seed(seed)(test)
    return seeded
