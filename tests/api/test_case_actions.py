"""The table of case actions and the API agree: every action is bound to an Update of the
right workflow taking the action's message, every Update the workflows declare is an action
(or listed as not offered), every group of performers has roles, and each route is the table's."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any, cast

from fastapi import FastAPI
from fastapi.routing import APIRoute
from temporalio import workflow

from api.case_actions import BINDINGS, ROLES, UNOFFERED_UPDATES, update_id
from api.routes.actions import router
from domain.case.actions import ACTIONS, BY_NAME, Performers, Target
from domain.case.messages import AppealDecisionInput, PayerDecisionInput
from domain.case.vocabulary import AppealOutcome
from domain.models import PayerDecision
from worker import TemporalDecisionSink
from workflows.appeal import AppealWorkflow
from workflows.prior_auth import PriorAuthWorkflow

WORKFLOWS: dict[Target, type] = {Target.CASE: PriorAuthWorkflow, Target.APPEAL: AppealWorkflow}


def _updates(cls: type) -> dict[str, Any]:
    return dict(workflow._Definition.must_from_class(cls).updates)


def test_every_action_is_bound_and_every_binding_is_an_action() -> None:
    names = [action.name for action in ACTIONS]
    assert len(set(names)) == len(names)
    assert set(BINDINGS) == set(names)


def test_each_action_sends_an_update_of_its_workflow_taking_its_message() -> None:
    for action in ACTIONS:
        defn = BINDINGS[action.name].update._defn
        declared = _updates(WORKFLOWS[action.target])
        assert declared.get(defn.name) is defn, (action.name, defn.name)
        assert defn.arg_types == [action.message], action.name


def test_every_update_the_workflows_declare_is_an_action_or_listed_unoffered() -> None:
    sent = {BINDINGS[action.name].update._defn.name for action in ACTIONS}
    unoffered = {update._defn.name for update in UNOFFERED_UPDATES}
    for cls in WORKFLOWS.values():
        for name in _updates(cls):
            assert name in sent or name in unoffered, f"{cls.__name__}.{name} is in no action"
    assert not sent & unoffered


def test_every_group_of_performers_has_roles() -> None:
    assert set(ROLES) == set(Performers)


def test_the_routes_are_the_tables() -> None:
    app = FastAPI()
    app.include_router(router)
    routes = {r.name: r for r in router.routes if isinstance(r, APIRoute)}
    schema = app.openapi()
    for action in ACTIONS:
        route = routes[action.name]
        assert route.path == "/api/v1/cases/{case_id}" + action.path
        assert route.methods == {action.method}
        operation = schema["paths"][route.path][action.method.lower()]
        body = operation["requestBody"]["content"]["application/json"]["schema"]
        assert body["$ref"].endswith("/" + action.body.__name__)
        headers = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
        assert ("Idempotency-Key" in headers) == action.idempotency_key, action.name
        assert f"`{action.event.value}`" in operation["description"]


async def test_one_decision_gets_one_update_id_from_the_worker_and_the_api() -> None:
    """The worker's decision sink and the API's action give the same Update id, so Temporal
    drops a decision delivered both ways."""
    sent: list[str] = []

    class Handle:
        async def start_update(self, update: Any, message: Any, *, id: str, **_: Any) -> None:
            sent.append(id)

    class Client:
        def get_workflow_handle_for(self, run: Any, workflow_id: str) -> Handle:
            return Handle()

    sink = TemporalDecisionSink(cast(Any, Client()))
    decided = datetime(2026, 11, 2, tzinfo=UTC)
    await sink.appeal_decision("c-1", 1, "AD-1", AppealOutcome.UPHELD, decided, None)
    decision = PayerDecision.model_validate(
        {
            "decision_id": "D-1",
            "decided_at": decided,
            "items": [{"sequence": 1, "review_action_code": "A1"}],
        }
    )
    await sink.payer_decision("c-1", decision, None)

    caller = cast(Any, SimpleNamespace(actor=None, key="k-1"))
    by_api = [
        update_id(
            BY_NAME["record_appeal_decision"],
            AppealDecisionInput(
                decision_id="AD-1", outcome=AppealOutcome.UPHELD, decided_at=decided
            ),
            caller,
        ),
        update_id(BY_NAME["record_payer_decision"], PayerDecisionInput(decision=decision), caller),
    ]
    assert sent == by_api
