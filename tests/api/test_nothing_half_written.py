"""Nothing half-written: what a workflow needs is checked before the case is stored, every
string at its maximum length goes through API, store and workflow, a case stored while its
workflow could not start is started by the reconciler, and store or Temporal failures reach the
caller as 409/422/503 with a body, never 500. Real app, worker and dev server."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import pytest
from pydantic import Field, ValidationError
from sqlalchemy import exc as sa_exc
from sqlalchemy import text
from temporalio.client import WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

import api.routes.cases
import runtime.reconcile
from activities.store_recorder import StoreRecorder
from api import service
from domain import limits
from domain.case.facts import CaseFacts
from runtime.reconcile import reconcile_once
from store.database import read_session
from store.unstarted import unstarted_cases
from tests.api.conftest import Stack, request_body
from worker import start_reconciler
from workflows import start as workflows_start

pytestmark = [pytest.mark.temporal, pytest.mark.postgres]


def longest(prefix: str, length: int) -> str:
    return (prefix + "x" * length)[:length]


def request_at_maximum_lengths() -> dict[str, Any]:
    body = request_body(
        attachments=[
            {
                "reference": longest("doc-", limits.LONG_TEXT),
                "title": longest("Imaging report ", limits.LONG_TEXT),
            }
        ]
    )
    body["member"].update(
        member_id=longest("W", limits.SHORT_TEXT),
        first_name=longest("Testa", limits.SHORT_TEXT),
        last_name=longest("Patientson", limits.SHORT_TEXT),
    )
    body["coverage"]["payer"].update(
        name=longest("Example Health Plan ", limits.SHORT_TEXT),
        payer_id=longest("EXH01-", limits.SHORT_TEXT),
    )
    body["coverage"]["plan_name"] = longest("Example Advantage PPO ", limits.SHORT_TEXT)
    body["requesting_provider"]["name"] = longest("Dr. Ortho Example ", limits.SHORT_TEXT)
    body["service_lines"][0]["description"] = longest("Total knee arthroplasty ", limits.LONG_TEXT)
    return body


async def test_every_string_at_its_maximum_goes_through_store_and_workflow(stack: Stack) -> None:
    assignee = longest("cm-", limits.ACTOR)
    response = await stack.http.post(
        "/api/v1/cases",
        json=request_at_maximum_lengths(),
        params={"assignee": assignee},
        headers=stack.headers("case_manager"),
    )
    assert response.status_code == 201, response.text
    case_id = response.json()["case_id"]
    await stack.eventually(lambda: stack.live_status(case_id), lambda s: s == "submitted")

    contact = {
        "channel": "call",
        "occurred_at": datetime.now(UTC).isoformat(),
        "counterpart": longest("Payer UM desk ", limits.COUNTERPART),
        "reference_number": longest("REF-", limits.REFERENCE_NUMBER),
        "summary": longest("Called about the request. ", 5_000),
    }
    logged = await stack.post(f"/api/v1/cases/{case_id}/contacts", contact)
    assert logged.status_code == 200, logged.text
    new_assignee = longest("cm-other-", limits.ACTOR)
    moved = await stack.post(f"/api/v1/cases/{case_id}/assign", {"assignee": new_assignee})
    assert moved.status_code == 200, moved.text

    # Approved with no end date: the case closes, so the decision comes last.
    decision = {
        "decision_id": longest("d-approve-", limits.SHORT_TEXT),
        "decided_at": datetime.now(UTC).isoformat(),
        "items": [
            {
                "sequence": 1,
                "review_action_code": longest("A1", limits.REVIEW_ACTION_CODE),
                "outcome": "approved",
                "authorization_number": longest("AUTH-", limits.SHORT_TEXT),
            }
        ],
    }
    answer = await stack.post(f"/api/v1/cases/{case_id}/decisions", {"decision": decision})
    assert answer.status_code == 200, answer.text
    detail = await stack.eventually(
        lambda: stack.case(case_id),
        lambda d: (
            d["summary"]["status"] == "approved"
            and d["contacts"]
            and d["summary"]["assignee"] == new_assignee
        ),
    )
    item = detail["decisions"][0]["items"][0]
    assert item["authorization_number"] == decision["items"][0]["authorization_number"]
    assert item["review_action_code"] == decision["items"][0]["review_action_code"]
    assert detail["contacts"][0]["reference_number"] == contact["reference_number"]
    assert detail["request"]["coverage"]["payer"]["payer_id"] == longest("EXH01-", 120)
    assert not [t for t in detail["tasks"] if t["kind"] == "store_rejected"]


async def test_a_request_the_workflow_cannot_take_is_refused_before_anything_is_stored(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: the case was committed, then the workflow facts refused a 61-character payer
    id (their old limit), and every retry answered 500. A workflow model narrower than the
    domain again (here: put back on purpose) now means a 422 naming the field, and no case."""

    class NarrowFacts(CaseFacts):
        payer_id: Annotated[str, Field(min_length=1, max_length=60)]

    monkeypatch.setattr(workflows_start, "CaseFacts", NarrowFacts)
    body = request_body()
    body["coverage"]["payer"]["payer_id"] = longest("EXH01-", 61)
    response = await stack.post("/api/v1/cases", body, **{"Idempotency-Key": "narrow-1"})
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["coverage.payer.payer_id"]
    assert (await stack.get("/api/v1/cases")).json()["total"] == 0


def _temporal_down(*args: Any, **kwargs: Any) -> Any:
    raise RPCError("connection refused", RPCStatusCode.UNAVAILABLE, b"")


def _unstarted(stack: Stack) -> list[str]:
    with read_session(stack.engine) as session:
        found = unstarted_cases(
            session.connection(), created_before=datetime.now(UTC) + timedelta(hours=1), limit=50
        )
    return [case.case_id for case in found]


async def unstarted_now(stack: Stack) -> list[str]:
    return _unstarted(stack)


async def test_a_case_stored_while_temporal_is_down_is_started_by_the_reconciler(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as patch:
        patch.setattr(service, "start_case", _temporal_down)
        response = await stack.post("/api/v1/cases", request_body())
    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"]
    assert "retry" in response.json()["detail"]
    (case_id,) = [c["case_id"] for c in (await stack.get("/api/v1/cases")).json()["items"]]
    assert _unstarted(stack) == [case_id]
    assert (await stack.case(case_id))["live_error"] == "no workflow for this case"

    # Within the grace period the reconciler leaves the case to the caller still opening it.
    young = await reconcile_once(
        stack.client, stack.engine, task_queue=stack.settings.task_queue, grace=timedelta(hours=1)
    )
    assert (young.started, young.marked) == (0, 0)

    done = await reconcile_once(
        stack.client, stack.engine, task_queue=stack.settings.task_queue, grace=timedelta(0)
    )
    assert (done.started, done.marked, done.unstartable, done.failed) == (1, 0, 0, 0)
    assert _unstarted(stack) == []
    await stack.eventually(lambda: stack.live_status(case_id), lambda s: s == "submitted")

    decision = {
        "decision_id": "d-after-reconcile",
        "decided_at": datetime.now(UTC).isoformat(),
        "items": [{"sequence": 1, "review_action_code": "A1", "authorization_number": "AU-1"}],
    }
    answer = await stack.post(f"/api/v1/cases/{case_id}/decisions", {"decision": decision})
    assert answer.status_code == 200, answer.text
    await stack.eventually(
        lambda: stack.case(case_id), lambda d: d["summary"]["status"] == "approved"
    )
    again = await reconcile_once(
        stack.client, stack.engine, task_queue=stack.settings.task_queue, grace=timedelta(0)
    )
    assert (again.started, again.marked) == (0, 0)


async def test_the_reconciler_waits_while_temporal_is_down(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "start_case", _temporal_down)
    assert (await stack.post("/api/v1/cases", request_body())).status_code == 503

    monkeypatch.setattr(runtime.reconcile, "start_case", _temporal_down)
    down = await reconcile_once(
        stack.client, stack.engine, task_queue=stack.settings.task_queue, grace=timedelta(0)
    )
    assert (down.started, down.failed) == (0, 1)
    assert len(_unstarted(stack)) == 1  # still unmarked: the next pass tries again


async def test_a_closed_workflow_is_never_started_again(stack: Stack) -> None:
    response = await stack.post("/api/v1/cases", request_body())
    case_id = response.json()["case_id"]
    await stack.eventually(lambda: stack.live_status(case_id), lambda s: s == "submitted")
    withdrawn = await stack.post(f"/api/v1/cases/{case_id}/withdraw", {"reason": "Not needed"})
    assert withdrawn.status_code == 200, withdrawn.text
    handle = stack.client.get_workflow_handle(f"case-{case_id}")
    await handle.result()
    closed = await handle.describe()
    assert closed.status == WorkflowExecutionStatus.COMPLETED

    # A store that shows the case unopened and unmarked (as a case stored before this marker
    # existed would be): the reconciler asks Temporal, which refuses a second run.
    with stack.engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE cases SET status = 'opened', workflow_started_at = NULL "
                "WHERE case_id = :case_id"
            ),
            {"case_id": case_id},
        )
    done = await reconcile_once(
        stack.client, stack.engine, task_queue=stack.settings.task_queue, grace=timedelta(0)
    )
    assert (done.started, done.marked) == (0, 1)
    after = await handle.describe()
    assert after.run_id == closed.run_id
    assert after.status == WorkflowExecutionStatus.COMPLETED
    assert _unstarted(stack) == []


def _raising(error: Exception) -> Any:
    def fail(*args: Any, **kwargs: Any) -> Any:
        raise error

    return fail


STORE_FAILURES = [
    pytest.param(
        sa_exc.IntegrityError("INSERT", {}, Exception("duplicate key")), 409, id="integrity"
    ),
    pytest.param(sa_exc.DataError("INSERT", {}, Exception("value too long")), 422, id="data"),
    pytest.param(
        sa_exc.OperationalError("SELECT", {}, Exception("server closed the connection")),
        503,
        id="connection-lost",
    ),
    pytest.param(RPCError("unavailable", RPCStatusCode.UNAVAILABLE, b""), 503, id="temporal"),
]


@pytest.mark.parametrize(("error", "status"), STORE_FAILURES)
async def test_store_and_temporal_failures_are_answered_with_a_status_and_a_body(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, error: Exception, status: int
) -> None:

    monkeypatch.setattr(api.routes.cases, "list_cases", _raising(error))
    response = await stack.get("/api/v1/cases")
    assert response.status_code == status, response.text
    body = response.json()
    assert body["detail"] and "duplicate key" not in body["detail"]
    assert "value too long" not in body["detail"]
    assert ("Retry-After" in response.headers) == (status == 503)


async def test_invalid_data_raised_by_the_service_is_a_422_naming_the_field(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:

    try:
        CaseFacts.model_validate({"case_id": "c1"})
    except ValidationError as exc:
        invalid = exc
    monkeypatch.setattr(service, "open_case", _raising(invalid))
    response = await stack.post("/api/v1/cases", request_body())
    assert response.status_code == 422, response.text
    assert "regime" in {error["field"] for error in response.json()["errors"]}


async def test_a_step_the_store_refuses_becomes_a_ur_task_and_the_case_keeps_answering(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: the refused write was retried forever while the workflow held its lock, so the
    Update (and every later one) never answered. Now: StoreRejected, a UR task, and the case
    goes on."""

    response = await stack.post("/api/v1/cases", request_body())
    case_id = response.json()["case_id"]
    await stack.eventually(lambda: stack.live_status(case_id), lambda s: s == "submitted")

    write = StoreRecorder._write_transition

    def refuse_contacts(self: StoreRecorder, record: Any, connection: Any) -> bool:
        if record.event == "contact":
            raise sa_exc.DataError("INSERT", {}, Exception("value too long for type"))
        return write(self, record, connection)

    monkeypatch.setattr(StoreRecorder, "_write_transition", refuse_contacts)
    contact = {
        "channel": "portal",
        "occurred_at": datetime.now(UTC).isoformat(),
        "summary": "Checked the portal: still under review.",
    }
    logged = await stack.post(f"/api/v1/cases/{case_id}/contacts", contact)
    assert logged.status_code == 200, logged.text
    noted = await stack.post(f"/api/v1/cases/{case_id}/notes", {"text": "Still answering"})
    assert noted.status_code == 200, noted.text

    queue = await stack.eventually(
        lambda: stack.get("/api/v1/queues/escalations", "ur_staff"),
        lambda r: any(t["case_id"] == case_id for t in r.json()["items"]),
    )
    (task,) = [t for t in queue.json()["items"] if t["case_id"] == case_id]
    assert task["kind"] == "store_rejected" and task["queue"] == "ur"
    assert task["title"].startswith("Needs attention")
    timeline = (await stack.get(f"/api/v1/cases/{case_id}/timeline")).json()
    actions = [event["action"] for event in timeline["events"]]
    assert "store_rejected" in actions and "note" in actions and "contact" not in actions
    detail = await stack.case(case_id)
    assert detail["contacts"] == [] and detail["summary"]["status"] == "submitted"


async def test_the_worker_reconciles_at_start_and_then_periodically(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:

    with monkeypatch.context() as patch:
        patch.setattr(service, "start_case", _temporal_down)
        assert (await stack.post("/api/v1/cases", request_body())).status_code == 503
    settings = stack.settings.model_copy(
        update={"reconcile_interval_seconds": 0.2, "reconcile_grace_seconds": 0}
    )
    stop = asyncio.Event()
    loop = start_reconciler(settings, stack.client, stack.engine, stop)
    assert loop is not None
    try:
        await stack.eventually(lambda: unstarted_now(stack), lambda u: u == [])
        # A case left unstarted later is found by a later pass.
        with monkeypatch.context() as patch:
            patch.setattr(service, "start_case", _temporal_down)
            assert (await stack.post("/api/v1/cases", request_body())).status_code == 503
        await stack.eventually(lambda: unstarted_now(stack), lambda u: u == [])
    finally:
        stop.set()
        await asyncio.wait_for(loop, timeout=10)
    off = settings.model_copy(update={"reconcile_interval_seconds": 0})
    assert start_reconciler(off, stack.client, stack.engine, stop) is None
    for case in (await stack.get("/api/v1/cases")).json()["items"]:
        await stack.eventually(
            lambda case_id=case["case_id"]: stack.live_status(case_id), lambda s: s == "submitted"
        )


async def test_a_stored_request_no_workflow_can_take_gets_a_ur_task(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A case stored by an older release with a value today's models refuse: the reconciler
    cannot start it, says so once on the UR queue, and leaves it unmarked."""
    with monkeypatch.context() as patch:
        patch.setattr(service, "start_case", _temporal_down)
        assert (await stack.post("/api/v1/cases", request_body())).status_code == 503
    (case_id,) = _unstarted(stack)
    with stack.engine.begin() as connection:
        stored = connection.execute(
            text("SELECT request FROM cases WHERE case_id = :c"), {"c": case_id}
        ).scalar_one()
        request = stored if isinstance(stored, dict) else json.loads(stored)
        request["coverage"]["payer"]["payer_id"] = "P" * (limits.SHORT_TEXT + 10)
        connection.execute(
            text("UPDATE cases SET request = :r WHERE case_id = :c"),
            {"r": json.dumps(request), "c": case_id},
        )
    for _ in range(2):
        done = await reconcile_once(
            stack.client, stack.engine, task_queue=stack.settings.task_queue, grace=timedelta(0)
        )
        assert (done.started, done.marked, done.unstartable) == (0, 0, 1)
    assert _unstarted(stack) == [case_id]
    queue = (await stack.get("/api/v1/queues/escalations", "ur_staff")).json()["items"]
    tasks = [t for t in queue if t["case_id"] == case_id]
    assert [t["kind"] for t in tasks] == ["workflow_unstartable"]
    assert "coverage.payer.payer_id" in (tasks[0]["note"] or "")
    assert "P" * 20 not in (tasks[0]["note"] or "")
