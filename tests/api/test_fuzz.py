"""Property-based API fuzz: every operation of the OpenAPI document, every role (and no key),
requests that fit the schema and requests that do not; no answer may be a 5xx.

The app runs with a real Temporal dev server and worker (the `stack` fixture), so the action
routes are exercised for real rather than answering 503. Examples are bounded (and derandomized)
so the run takes about a minute; `make fuzz` runs many more with a random seed.
"""

from __future__ import annotations

import asyncio
import os

import pytest

from tests.api.conftest import KEYS, Stack, request_body
from tests.api.fuzzing import fuzz

pytestmark = [pytest.mark.temporal]

EXAMPLES = int(os.environ.get("PRIORAUTH_FUZZ_EXAMPLES", "4"))


async def test_no_request_gets_a_server_error(stack: Stack) -> None:
    opened = await stack.post("/api/v1/cases", request_body())
    assert opened.status_code == 201, opened.text
    loop = asyncio.get_running_loop()
    figures = await asyncio.to_thread(
        fuzz,
        app=stack.app,
        http=stack.http,
        loop=loop,
        keys=KEYS,
        examples=EXAMPLES,
        case_id=opened.json()["case_id"],
    )
    print(figures.summary())
    assert figures.requests > 0
    assert not figures.errors, "5xx answers:\n" + "\n".join(
        f"{e.operation} role={e.role} mode={e.mode}: {e.status} {e.response}\n  {e.request}"
        for e in figures.errors
    )
