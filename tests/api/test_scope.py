"""Least privilege: who sees and acts on which case, which reads of PHI are recorded, and whose
name a hand-entered payer decision carries.

Keys (tests/api/conftest.py): `case_manager` (team "default"), `team_a` (team-a), `team_b`
(team-b and team-b2), `ur_staff`, `admin`, `integration` (bound to payer EXH01), `other_payer`
(bound to OTH02), `unbound` (an integration key bound to no payer).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import text

from store.database import transaction
from store.letters import store_letter
from tests.api.conftest import OTHER_PAYER_ID, PAYER_ID, Stack, denial, request_body
from tests.store.writes import task_id, writing

pytestmark = [pytest.mark.temporal, pytest.mark.postgres]


async def open_case(stack: Stack, role: str, *, payer_id: str = PAYER_ID, **params: str) -> str:
    body = request_body()
    body["coverage"]["payer"]["payer_id"] = payer_id
    response = await stack.http.post(
        "/api/v1/cases", json=body, params=params, headers=stack.headers(role)
    )
    assert response.status_code == 201, response.text
    case_id: str = response.json()["case_id"]
    return case_id


async def listed(stack: Stack, role: str, path: str = "/api/v1/cases") -> set[str]:
    response = await stack.get(path, role, limit=500)
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["total"] == len(page["items"])  # the count is scoped like the page
    return {item["case_id"] for item in page["items"]}


def case_routes(case_id: str) -> list[tuple[str, str, Any]]:
    """Every route under /cases/{id} a case manager may call, with a body it would accept."""
    c = f"/api/v1/cases/{case_id}"
    now = datetime.now(UTC).isoformat()
    return [
        ("GET", c, None),
        ("GET", f"{c}/timeline", None),
        ("GET", f"{c}/letters", None),
        ("GET", f"{c}/letters/some-letter", None),
        ("POST", f"{c}/letters/preview", {"kind": "claim_file_request"}),
        ("POST", f"{c}/decisions", {"decision": denial("D-X")}),
        ("POST", f"{c}/extensions", {"notice_id": "E", "noticed_at": now, "reason": "r"}),
        ("POST", f"{c}/supply-information", {"attachments": [{"reference": "d", "title": "t"}]}),
        ("POST", f"{c}/peer-to-peer", {}),
        ("POST", f"{c}/peer-to-peer/outcome", {"occurred_at": now, "summary": "s"}),
        ("POST", f"{c}/appeals", {}),
        ("POST", f"{c}/appeals/1/sign-off", {}),
        ("POST", f"{c}/appeals/1/decision", {"decision_id": "R", "outcome": "upheld"}),
        ("POST", f"{c}/withdraw", {"reason": "r"}),
        ("POST", f"{c}/assign", {"assignee": "someone"}),
        ("POST", f"{c}/notes", {"text": "t"}),
        ("POST", f"{c}/contacts", {"channel": "portal", "occurred_at": now, "summary": "s"}),
        ("POST", f"{c}/accept-denial", {"reason": "r"}),
    ]


async def assert_hidden(stack: Stack, role: str, case_id: str) -> None:
    """Every case route answers `role` exactly as it answers for a case that does not exist."""
    for method, path, body in case_routes(case_id):
        response = await stack.http.request(method, path, json=body, headers=stack.headers(role))
        assert response.status_code == 404, (role, method, path, response.text)
        assert response.json()["detail"] == f"case {case_id} not found", path
        missing = path.replace(case_id, "cmissing00000000000000000")
        other = await stack.http.request(method, missing, json=body, headers=stack.headers(role))
        assert other.status_code == 404
        assert other.json()["detail"] == "case cmissing00000000000000000 not found"


def phi_reads(stack: Stack) -> list[dict[str, Any]]:
    with stack.engine.connect() as connection:
        rows = connection.execute(text("SELECT * FROM phi_reads ORDER BY id"))
        return [dict(row) for row in rows.mappings()]


async def test_case_managers_see_and_act_on_their_teams_cases_only(stack: Stack) -> None:
    case_a = await open_case(stack, "team_a")
    case_b = await open_case(stack, "team_b")
    case_b2 = await open_case(stack, "team_b", team="team-b2")

    assert await listed(stack, "team_a") == {case_a}
    assert await listed(stack, "team_b") == {case_b, case_b2}
    assert await listed(stack, "case_manager") == set()  # team "default" has no case here
    assert await listed(stack, "ur_staff") == {case_a, case_b, case_b2}
    assert await listed(stack, "admin") == {case_a, case_b, case_b2}
    assert (await stack.case(case_a, "team_a"))["summary"]["team"] == "team-a"
    assert (await stack.case(case_b2, "team_b"))["summary"]["team"] == "team-b2"
    for role in ("ur_staff", "admin"):
        assert (await stack.case(case_a, role))["summary"]["case_id"] == case_a

    await assert_hidden(stack, "team_a", case_b)
    await assert_hidden(stack, "team_b", case_a)

    # The case's own team can act on it.
    note = await stack.post(f"/api/v1/cases/{case_a}/notes", {"text": "checked"}, "team_a")
    assert note.status_code == 200, note.text


async def test_a_case_opens_in_one_of_the_callers_teams(stack: Stack) -> None:
    refused = await stack.http.post(
        "/api/v1/cases",
        json=request_body(),
        params={"team": "team-b"},
        headers=stack.headers("team_a"),
    )
    assert refused.status_code == 403
    assert refused.json()["errors"] == [
        {"field": "team", "message": "not one of your teams (team-a)"}
    ]
    malformed = await stack.http.post(
        "/api/v1/cases",
        json=request_body(),
        params={"team": "a b"},
        headers=stack.headers("team_a"),
    )
    assert malformed.status_code == 422
    assert malformed.json()["errors"][0]["field"] == "team"
    assert await listed(stack, "ur_staff") == set()  # nothing was stored

    for_team_a = await open_case(stack, "ur_staff", team="team-a")  # UR staff: any team
    assert await listed(stack, "team_a") == {for_team_a}


async def test_queues_and_tasks_are_scoped(stack: Stack) -> None:
    case_a = await open_case(stack, "team_a")
    case_b = await open_case(stack, "team_b")
    with writing(stack.engine) as writes:
        for case_id in (case_a, case_b):
            for queue in ("ur", None):
                writes.create_task(
                    idempotency_key=f"test-{case_id}-{queue}",
                    case_id=case_id,
                    kind="ur_queue" if queue else "reminder",
                    title="Look at this case",
                    queue=queue,
                )
    tasks = {
        (case_id, queue): task_id(stack.engine, f"test-{case_id}-{queue}")
        for case_id in (case_a, case_b)
        for queue in ("ur", None)
    }
    assert await listed(stack, "team_a", "/api/v1/queues/mine") == {case_a}
    escalations = (await stack.get("/api/v1/queues/escalations", "team_a")).json()
    assert {task["case_id"] for task in escalations["items"]} == {case_a}
    assert escalations["total"] == 1
    everyone = (await stack.get("/api/v1/queues/escalations", "ur_staff")).json()
    assert {task["case_id"] for task in everyone["items"]} == {case_a, case_b}

    hidden = await stack.post(f"/api/v1/tasks/{tasks[case_b, None]}/complete", {}, "team_a")
    assert hidden.status_code == 404
    assert hidden.json()["detail"] == f"task {tasks[case_b, None]} not found"
    moved = await stack.post(
        f"/api/v1/tasks/{tasks[case_b, None]}/reassign", {"assignee": "x"}, "team_a"
    )
    assert moved.status_code == 404
    done = await stack.post(f"/api/v1/tasks/{tasks[case_a, None]}/complete", {}, "team_a")
    assert done.status_code == 200 and done.json()["status"] == "done"


async def test_integration_keys_see_only_their_payers_cases(stack: Stack) -> None:
    ours = await open_case(stack, "case_manager")  # payer EXH01
    theirs = await open_case(stack, "other_payer", payer_id=OTHER_PAYER_ID)

    assert await listed(stack, "integration") == {ours}
    assert await listed(stack, "other_payer") == {theirs}
    assert await listed(stack, "unbound") == set()
    filtered = (await stack.get("/api/v1/cases", "integration", payer=OTHER_PAYER_ID)).json()
    assert filtered["total"] == 0  # a filter cannot widen the scope

    assert (await stack.case(ours, "integration"))["summary"]["payer_id"] == PAYER_ID
    for role, hidden in (("integration", theirs), ("other_payer", ours), ("unbound", ours)):
        response = await stack.get(f"/api/v1/cases/{hidden}", role)
        assert response.status_code == 404, (role, response.text)
        decided = await stack.post(
            f"/api/v1/cases/{hidden}/decisions", {"decision": denial("D-9")}, role
        )
        assert decided.status_code == 404, (role, decided.text)

    # An unbound key may still open a case (intake); it cannot read it back.
    intake = await open_case(stack, "unbound")
    assert (await stack.get(f"/api/v1/cases/{intake}", "unbound")).status_code == 404


async def test_every_phi_read_is_recorded_once(stack: Stack) -> None:
    case_id = await open_case(stack, "team_a")
    with transaction(stack.engine) as session:
        letter = store_letter(
            session=session,
            idempotency_key=f"test-letter-{case_id}",
            case_id=case_id,
            kind="appeal_level1",
            template_version="test",
            content=b"not really a docx",
            context={},
        )
    preview = f"/api/v1/cases/{case_id}/letters/preview"
    await stack.get("/api/v1/cases", "team_a")  # rows without PHI: not recorded
    await stack.get(f"/api/v1/cases/{case_id}/letters", "team_a")  # metadata only
    assert (await stack.get(f"/api/v1/cases/{case_id}", "team_b")).status_code == 404
    lacking = await stack.post(preview, {"kind": "claim_file_request"}, "team_a")
    assert lacking.status_code == 422  # no letter without a denial: nothing was shown
    assert phi_reads(stack) == []

    # The claim-file request letter needs a denial (admin reads are recorded too: count after).
    await stack.eventually(
        lambda: stack.case(case_id, "admin"),
        lambda d: (d["live"] or {}).get("status") in ("opened", "submitted"),
    )
    await stack.post(f"/api/v1/cases/{case_id}/decisions", {"decision": denial("D-1")}, "team_a")
    await stack.eventually(lambda: stack.case(case_id, "admin"), lambda d: d["decisions"])
    before = len(phi_reads(stack))

    reads = [
        ("GET", f"/api/v1/cases/{case_id}", None, "GET /api/v1/cases/{case_id}"),
        (
            "GET",
            f"/api/v1/cases/{case_id}/timeline",
            None,
            "GET /api/v1/cases/{case_id}/timeline",
        ),
        (
            "GET",
            f"/api/v1/cases/{case_id}/letters/{letter.letter_id}",
            None,
            "GET /api/v1/cases/{case_id}/letters/{letter_id}",
        ),
        (
            "POST",
            preview,
            {"kind": "claim_file_request"},
            "POST " + preview.replace(case_id, "{case_id}"),
        ),
    ]
    for n, (method, path, body, route) in enumerate(reads, start=1):
        headers = stack.headers("team_a", **{"X-Request-ID": f"req-{n}"})
        response = await stack.http.request(method, path, json=body, headers=headers)
        assert response.status_code == 200, (path, response.text)
        rows = phi_reads(stack)
        assert len(rows) == before + n, path
        assert {k: rows[-1][k] for k in ("actor", "case_id", "route", "request_id")} == {
            "actor": "case_manager:team_a",
            "case_id": case_id,
            "route": route,
            "request_id": f"req-{n}",
        }

    page = await stack.get("/api/v1/audit/phi-reads", "admin", reader="case_manager:team_a")
    assert page.status_code == 200, page.text
    assert page.json()["total"] == len(reads)
    assert [item["route"] for item in page.json()["items"]] == [r[3] for r in reversed(reads)]
    by_case = (await stack.get("/api/v1/audit/phi-reads", "admin", case_id=case_id)).json()
    assert by_case["total"] == len(phi_reads(stack))
    for role in ("case_manager", "ur_staff", "integration"):
        assert (await stack.get("/api/v1/audit/phi-reads", role)).status_code == 403


async def decision_actors(stack: Stack, case_id: str, decision_id: str) -> set[str]:
    """Who the case's audit trail credits with the decision (API receipt and workflow event)."""
    await stack.eventually(lambda: stack.case(case_id, "admin"), lambda d: d["decisions"])
    events = (await stack.get(f"/api/v1/cases/{case_id}/timeline", "admin")).json()["events"]
    return {e["actor"] for e in events if f"Payer decision {decision_id}" in e["summary"]}


async def test_a_decision_entered_by_hand_is_credited_to_the_caller(stack: Stack) -> None:
    by_hand, pushed = [await open_case(stack, "case_manager") for _ in range(2)]
    for case_id in (by_hand, pushed):
        await stack.eventually(
            lambda c=case_id: stack.live_status(c), lambda s: s in ("opened", "submitted")
        )
    path = f"/api/v1/cases/{by_hand}/decisions"
    forged = await stack.post(path, {"decision": {**denial("D-1"), "source": "pas"}})
    assert forged.status_code == 422
    assert forged.json()["errors"][0]["field"] == "decision.source"
    accepted = await stack.post(path, {"decision": denial("D-1")}, "case_manager")
    assert accepted.status_code == 200, accepted.text

    path = f"/api/v1/cases/{pushed}/decisions"
    forged = await stack.post(path, {"decision": {**denial("D-2"), "source": "pas"}}, "integration")
    assert forged.status_code == 422
    accepted = await stack.post(path, {"decision": denial("D-2")}, "integration")
    assert accepted.status_code == 200, accepted.text

    assert await decision_actors(stack, by_hand, "D-1") == {"staff:case_manager:dev-case-manager"}
    assert await decision_actors(stack, pushed, "D-2") == {"integration:dev-integration"}
    sources = [
        (await stack.case(case_id, "admin"))["decisions"][0]["source"]
        for case_id in (by_hand, pushed)
    ]
    assert sources == ["manual", "api"]
