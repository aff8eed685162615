"""Hostile input gets a 4xx naming the field and changes nothing: body size limits (declared,
undeclared, lying and chunked), JSON nesting depth checked before any parsing, NUL characters,
paging parameters out of range (the escalations offset=451 was a 500), and header limits."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from api import payer_input
from domain.models import PriorAuthRequest
from store._base import MAX_OFFSET
from store.cases import create_case
from store.database import transaction
from tests.api.conftest import KEYS, Stack, request_body
from tests.store.writes import writing

pytestmark = [pytest.mark.temporal, pytest.mark.postgres]

KIB = 1024
SMALL_LIMIT = 256 * KIB
FHIR_LIMIT = 5 * KIB * KIB
JSON_ROUTES = ["/api/v1/cases", "/api/v1/payer-events", "/api/v1/cases/x/notes"]
FHIR_ROUTES = ["/fhir/Claim/$submit", "/fhir/notifications"]


def padded_case(size: int) -> bytes:
    """A valid case request padded with `size` bytes of JSON whitespace."""
    return json.dumps(request_body()).encode() + b" " * size


def json_headers(stack: Stack, role: str = "case_manager") -> dict[str, str]:
    return stack.headers(role, **{"Content-Type": "application/json"})


async def total_cases(stack: Stack) -> int:
    total: int = (await stack.get("/api/v1/cases")).json()["total"]
    return total


def assert_problem(response: Any, status: int, field: str, reason: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["errors"] == [{"field": field, "message": body["errors"][0]["message"]}]
    assert reason in body["errors"][0]["message"]
    assert field in body["detail"]


def assert_outcome(response: Any, status: int, code: str, reason: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/fhir+json")
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    [issue] = outcome["issue"]
    assert issue["code"] == code
    assert reason in issue["diagnostics"]


async def chunks(body: bytes, size: int = 16 * KIB) -> AsyncIterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


# ---------------------------------------------------------------- body size


async def test_oversize_body_with_content_length_is_413_and_stores_nothing(stack: Stack) -> None:
    fits = await stack.http.post(
        "/api/v1/cases", content=padded_case(4 * KIB), headers=json_headers(stack)
    )
    assert fits.status_code == 201, fits.text
    response = await stack.http.post(
        "/api/v1/cases", content=padded_case(SMALL_LIMIT), headers=json_headers(stack)
    )
    assert_problem(response, 413, "body", "larger than 262,144 bytes")
    assert await total_cases(stack) == 1


@pytest.mark.parametrize("declared", [None, "100"], ids=["chunked", "lying-content-length"])
async def test_oversize_body_without_honest_length_is_413(
    stack: Stack, declared: str | None
) -> None:
    headers = json_headers(stack)
    if declared is not None:
        headers["Content-Length"] = declared
    response = await stack.http.post(
        "/api/v1/cases", content=chunks(padded_case(SMALL_LIMIT)), headers=headers
    )
    if declared is None:
        assert response.request.headers["transfer-encoding"] == "chunked"
    assert_problem(response, 413, "body", "larger than")
    assert await total_cases(stack) == 0


async def test_chunked_body_within_the_limit_is_read_whole(stack: Stack) -> None:
    response = await stack.http.post(
        "/api/v1/cases",
        content=chunks(padded_case(100 * KIB), size=1000),
        headers=json_headers(stack),
    )
    assert response.status_code == 201, response.text
    assert await total_cases(stack) == 1


async def test_fhir_routes_take_pas_sized_bodies_and_no_more(stack: Stack) -> None:
    bundle = json.dumps({"resourceType": "Bundle", "padding": "x" * (2 * KIB * KIB)}).encode()
    headers = {**stack.headers("integration"), "Content-Type": "application/fhir+json"}
    read = await stack.http.post("/fhir/Claim/$submit", content=bundle, headers=headers)
    assert read.status_code == 400  # read and refused as a bundle, not for its size
    assert "larger than" not in read.text
    as_case = await stack.http.post("/api/v1/cases", content=bundle, headers=headers)
    assert_problem(as_case, 413, "body", "larger than")

    huge = b'{"padding": "' + b"x" * FHIR_LIMIT + b'"}'
    for route in FHIR_ROUTES:
        for content in (huge, chunks(huge, size=256 * KIB)):
            response = await stack.http.post(route, content=content, headers=headers)
            assert_outcome(response, 413, "too-long", "larger than 5,242,880 bytes")
    assert await total_cases(stack) == 0


async def test_content_length_that_is_not_a_number_is_400(stack: Stack) -> None:
    for value in ("abc", "-1", "9" * 5000):
        response = await stack.http.post(
            "/api/v1/cases",
            content=b"{}",
            headers={**json_headers(stack), "Content-Length": value},
        )
        assert_problem(response, 400, "Content-Length", "not a byte count")


# ---------------------------------------------------------------- JSON depth


def nested(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


@pytest.mark.parametrize("route", JSON_ROUTES + FHIR_ROUTES)
async def test_deep_json_is_refused_before_anything_parses_it(
    stack: Stack, route: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed: list[bytes] = []
    real = payer_input.load_json
    monkeypatch.setattr(payer_input, "load_json", lambda body: parsed.append(body) or real(body))
    headers = {**stack.headers("integration"), "Content-Type": "application/json"}
    deep = b"[" * 200_000 + b"]" * 200_000  # 400 kB: crashes a recursive parser
    began = time.perf_counter()
    responses = [
        await stack.http.post(route, content=body, headers=headers)
        for body in (nested(33), b"[" * 200_000, deep[: SMALL_LIMIT - 1])
    ]
    elapsed = time.perf_counter() - began
    for response in responses:
        if route.startswith("/fhir/"):
            assert_outcome(response, 400, "too-costly", "nested deeper than 32 levels")
        else:
            assert_problem(response, 422, "body", "nested deeper than 32 levels")
    assert parsed == []
    assert elapsed < 2.0, f"three refusals took {elapsed:.2f} s"
    assert await total_cases(stack) == 0


async def test_depth_counts_structure_not_brackets_in_strings(stack: Stack) -> None:
    body = request_body(clinical_summary="[{" * 100)
    body["member"]["extra"] = json.loads(nested(20))  # 22 levels in all: under the limit
    response = await stack.post("/api/v1/cases", body)
    assert response.status_code == 422, response.text  # an unknown field, not the depth
    assert [e["field"] for e in response.json()["errors"]] == ["member.extra"]
    ok = await stack.post("/api/v1/cases", request_body(clinical_summary='"[{\\' * 100))
    assert ok.status_code == 201, ok.text


@pytest.mark.parametrize("route", ["/api/v1/cases", *FHIR_ROUTES, "/api/v1/payer-events"])
async def test_numbers_too_long_to_convert_are_refused(stack: Stack, route: str) -> None:
    headers = {**stack.headers("integration"), "Content-Type": "application/json"}
    body = b'{"resourceType": "Bundle", "total": ' + b"7" * 5000 + b"}"
    response = await stack.http.post(route, content=body, headers=headers)
    if route.startswith("/fhir/"):
        assert_outcome(response, 400, "too-long", "more than 1,000 digits")
    else:
        assert_problem(response, 422, "body", "more than 1,000 digits")
    in_a_string = json.dumps(request_body(clinical_summary="7" * 5000)).encode()
    assert (await stack.http.post(route, content=in_a_string, headers=headers)).status_code < 500


# ---------------------------------------------------------------- NUL characters


async def test_nul_characters_are_refused_and_store_nothing(stack: Stack) -> None:
    body = json.dumps(request_body(clinical_summary="before\u0000after")).encode()
    response = await stack.http.post("/api/v1/cases", content=body, headers=json_headers(stack))
    assert_problem(response, 422, "body", "NUL characters")
    escaped_backslash = json.dumps(request_body(clinical_summary="C:\\u0000dir")).encode()
    assert b"\\\\u0000" in escaped_backslash  # text, not a NUL: accepted
    accepted = await stack.http.post(
        "/api/v1/cases", content=escaped_backslash, headers=json_headers(stack)
    )
    assert accepted.status_code == 201, accepted.text
    query = await stack.http.get("/api/v1/cases?q=a%00b", headers=json_headers(stack))
    assert_problem(query, 422, "query", "NUL characters")
    path = await stack.http.get("/api/v1/cases/a%00b", headers=json_headers(stack))
    assert_problem(path, 422, "path", "NUL characters")
    assert await total_cases(stack) == 1


# ---------------------------------------------------------------- paging


def seed_escalations(stack: Stack, count: int) -> None:
    """`count` open tasks on each escalation queue, due one hour apart, interleaved."""
    start = datetime(2026, 12, 1, tzinfo=UTC)
    with transaction(stack.engine) as session:
        create_case(
            session=session,
            case_id="c-limits",
            request=PriorAuthRequest.model_validate(request_body()),
            received_at=start,
        )
    with writing(stack.engine) as writes:
        for n in range(2 * count):
            writes.create_task(
                idempotency_key=f"esc-{n}",
                case_id="c-limits",
                kind="ur_queue",
                title=f"Escalation {n}",
                due_at=start + timedelta(hours=n),
                queue="ur" if n % 2 == 0 else "supervisor",
            )


async def test_escalations_page_past_the_first_page_of_each_queue(stack: Stack) -> None:
    seed_escalations(stack, 260)
    everything: list[str] = []
    for offset in range(0, 520, 200):
        page = await stack.get("/api/v1/queues/escalations", "ur_staff", limit=200, offset=offset)
        assert page.status_code == 200, page.text
        assert page.json()["total"] == 520
        everything += [task["title"] for task in page.json()["items"]]
    assert everything == [f"Escalation {n}" for n in range(520)]
    past = await stack.get("/api/v1/queues/escalations", "ur_staff", offset=451)
    assert past.status_code == 200, past.text
    assert [t["title"] for t in past.json()["items"]][:2] == ["Escalation 451", "Escalation 452"]
    beyond = await stack.get("/api/v1/queues/escalations", "ur_staff", offset=600)
    assert beyond.status_code == 200 and beyond.json()["items"] == []
    ur_only = await stack.get("/api/v1/queues/escalations", "ur_staff", queue="ur", offset=259)
    assert [t["title"] for t in ur_only.json()["items"]] == ["Escalation 518"]


LISTINGS = [
    "/api/v1/cases",
    "/api/v1/queues/mine",
    "/api/v1/queues/escalations",
    "/api/v1/queues/overdue",
]


@pytest.mark.parametrize("path", LISTINGS)
async def test_paging_out_of_range_is_422_naming_the_parameter(stack: Stack, path: str) -> None:
    cases = [
        ({"offset": 451}, 200, None),
        ({"offset": MAX_OFFSET}, 200, None),
        ({"offset": MAX_OFFSET + 1}, 422, "offset"),  # deeper pages go by cursor
        ({"offset": 10**30}, 422, "offset"),
        ({"offset": -1}, 422, "offset"),
        ({"limit": 501}, 422, "limit"),
        ({"limit": "9" * 5000}, 422, "limit"),
        ({"limit": "ten"}, 422, "limit"),
    ]
    for params, status, field in cases:
        response = await stack.get(path, "ur_staff", **params)
        assert response.status_code == status, (params, response.text)
        if field is not None:
            assert [e["field"] for e in response.json()["errors"]] == [field]


async def test_query_values_out_of_range_name_the_parameter(stack: Stack) -> None:
    for params, field in [
        ({"due_before": "not-a-date"}, "due_before"),
        ({"due_before": "99999-01-01T00:00:00Z"}, "due_before"),
        ({"status": "lost"}, "status.0"),
        ({"regime": "x" * 10_000}, "regime"),
        ({"sort": "sideways"}, "sort"),
        ({"q": "x" * 65}, "q"),
    ]:
        response = await stack.get("/api/v1/cases", **params)
        assert response.status_code == 422, (params, response.text)
        assert [e["field"] for e in response.json()["errors"]] == [field]
    escalation = await stack.get("/api/v1/queues/escalations", "ur_staff", queue="nowhere")
    assert [e["field"] for e in escalation.json()["errors"]] == ["queue"]


@pytest.mark.parametrize("action", ["complete", "reassign"])
async def test_task_ids_past_the_column_range_are_422(stack: Stack, action: str) -> None:
    for task_id, status in [(2**31 - 1, 404), (2**31, 422), (10**40, 422), (0, 422)]:
        body = {"assignee": None} if action == "reassign" else {}
        response = await stack.post(f"/api/v1/tasks/{task_id}/{action}", body, "ur_staff")
        assert response.status_code == status, (task_id, response.text)
        if status == 422:
            assert "task_id" in [e["field"] for e in response.json()["errors"]]


async def test_empty_letter_id_on_sign_off_is_422(stack: Stack) -> None:
    opened = await stack.post("/api/v1/cases", request_body())
    case_id = opened.json()["case_id"]
    response = await stack.post(f"/api/v1/cases/{case_id}/appeals/1/sign-off", {"letter_id": ""})
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["letter_id"]


# ---------------------------------------------------------------- headers


async def test_idempotency_key_longer_than_200_is_422_and_stores_nothing(stack: Stack) -> None:
    response = await stack.post("/api/v1/cases", request_body(), **{"Idempotency-Key": "k" * 201})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["Idempotency-Key"]
    assert await total_cases(stack) == 0


@pytest.mark.parametrize(
    "request_id",
    ["r" * 129, "has space", "semi;colon", "caf\u00e9", 'quote"d', "{json}"],
)
async def test_unsafe_request_id_is_refused_before_it_is_logged(
    stack: Stack, request_id: str, capsys: pytest.CaptureFixture[str]
) -> None:
    response = await stack.http.get(
        "/api/v1/cases",
        headers={"X-API-Key": KEYS["case_manager"], "X-Request-ID": request_id.encode()},
    )
    assert_problem(response, 400, "X-Request-ID", "1 to 128 letters, digits")
    assert "x-request-id" not in response.headers
    assert request_id not in capsys.readouterr().out


async def test_safe_request_id_is_echoed(stack: Stack) -> None:
    for request_id in ("r" * 128, "9f1c2d3e-aaaa-4bbb-8ccc-0123456789ab", "lb:1/2+3=4.5_6"):
        response = await stack.http.get(
            "/api/v1/cases", headers={**stack.headers("case_manager"), "X-Request-ID": request_id}
        )
        assert response.status_code == 200
        assert response.headers["x-request-id"] == request_id
