"""Payer-facing routes: PAS $submit with the test-kit fixtures, rest-hook notifications,
and the signed webhook. The sender is decided by its credential (a Standard Webhooks signature
under one payer's secret, or a payer-bound API key) before the body is parsed; a message only
reaches that payer's case, found by an indexed identifier; forged, stale, hostile and replayed
deliveries change nothing."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import SecretStr

from config.settings import ApiKey, Role
from integrations.webhook_signature import (
    WEBHOOK_ID,
    WEBHOOK_SIGNATURE,
    WEBHOOK_TIMESTAMP,
    sign_headers,
)
from tests.api.conftest import (
    KEYS,
    PAYER_ID,
    PAYER_SECRET,
    SCOPE_KEYS,
    Stack,
    denial,
    request_body,
)
from tests.integrations.pas_helpers import CONFORMANT, load

pytestmark = [pytest.mark.temporal, pytest.mark.postgres]

FHIR_JSON = "application/fhir+json"
CASE_SYSTEM = "urn:priorauth:case"


async def submit(stack: Stack, bundle: Any, role: str = "integration") -> Any:
    content = bundle if isinstance(bundle, bytes) else json.dumps(bundle).encode()
    return await stack.http.post(
        "/fhir/Claim/$submit",
        content=content,
        headers={"X-API-Key": KEYS[role], "Content-Type": FHIR_JSON},
    )


def case_id_of(response_bundle: dict[str, Any]) -> str:
    claim_response = response_bundle["entry"][0]["resource"]
    return next(i["value"] for i in claim_response["identifier"] if i["system"] == CASE_SYSTEM)


@pytest.mark.parametrize("fixture", CONFORMANT)
async def test_conformant_pas_bundles_open_cases(stack: Stack, fixture: str) -> None:
    bundle = load(fixture)
    response = await submit(stack, bundle)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(FHIR_JSON)
    answer = response.json()
    assert answer["resourceType"] == "Bundle"
    claim_response = answer["entry"][0]["resource"]
    assert claim_response["resourceType"] == "ClaimResponse"
    assert claim_response["outcome"] == "queued"
    case_id = case_id_of(answer)
    detail = await stack.case(case_id)
    assert detail["request"]["member"]["member_id"] == "12345678901"
    assert detail["request"]["external_reference"] == "111099"
    events = (await stack.get(f"/api/v1/cases/{case_id}/timeline")).json()["events"]
    assert events[0]["actor"] == "integration:dev-integration"
    assert events[0]["details"] == {"channel": "pas"}

    # The same bundle again: the same case, nothing new.
    again = await submit(stack, bundle)
    assert case_id_of(again.json()) == case_id
    assert (await stack.get("/api/v1/cases")).json()["total"] == 1


@pytest.mark.parametrize(
    ("fixture", "expression"),
    [
        ("nonconformant_pas_bundle_v110.json", "Bundle.entry"),
        ("missing_referenced_resource_request_bundle.json", "Bundle.entry[0].resource"),
        ("conformant_pas_inquire_bundle_v110.json", "Bundle.entry[0].resource"),
        ("valid_pa_response_bundle.json", "Bundle.entry[0].resource"),
    ],
)
async def test_broken_bundles_are_refused_precisely(
    stack: Stack, fixture: str, expression: str
) -> None:
    response = await submit(stack, load(fixture))
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith(FHIR_JSON)
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    errors = [i for i in outcome["issue"] if i["severity"] in ("error", "fatal")]
    assert errors
    assert any(expression in e for i in errors for e in i.get("expression", []))
    assert (await stack.get("/api/v1/cases")).json()["total"] == 0


async def test_not_json_and_unmappable_bundles(stack: Stack) -> None:
    garbage = await submit(stack, b"{not json")
    assert garbage.status_code == 400
    assert garbage.json()["issue"][0]["code"] == "structure"
    bundle = load("conformant_pas_bundle_v110.json")
    for entry in bundle["entry"]:
        if entry["resource"]["resourceType"] == "Coverage":
            entry["resource"].pop("subscriberId", None)
            entry["resource"].pop("identifier", None)
        if entry["resource"]["resourceType"] == "Patient":
            entry["resource"].pop("identifier", None)
    gap = await submit(stack, bundle)
    assert gap.status_code == 422, gap.text
    assert gap.json()["resourceType"] == "OperationOutcome"


# ---------------------------------------------------------------- PAS notifications

KIT_PAYER = "789312"  # the insurer of the PAS test kit's conformant bundle
KIT_TRACE = "111099"  # its Claim identifier (patient event trace number)
KIT_SECRET = "kit-payer-secret-for-tests-0001"
BOUND_KEY = "kit-payer-integration-key-for-tests"
UNSIGNED = "the request is not signed by a known payer (Standard Webhooks headers)"


def bind_kit_payer(stack: Stack) -> dict[str, str]:
    """The kit payer gets a webhook secret and an integration key bound to it."""
    stack.settings.webhook_secrets[KIT_PAYER] = SecretStr(KIT_SECRET)
    stack.settings.api_keys = [
        *stack.settings.effective_api_keys,
        ApiKey(
            name="kit-payer", key=SecretStr(BOUND_KEY), role=Role.INTEGRATION, payer_id=KIT_PAYER
        ),
    ]
    return {"X-API-Key": BOUND_KEY, "Content-Type": FHIR_JSON}


def kit_notification(identifiers: list[dict[str, str]], **claim_response: Any) -> bytes:
    """The test kit's notification, its ClaimResponse echoing `identifiers`."""
    notification = load("PAS_notification_example_full_resource.json")
    resource = notification["entry"][1]["resource"]
    resource["identifier"] = identifiers
    resource.update(claim_response)
    return json.dumps(notification).encode()


def signed(body: bytes, secret: str = KIT_SECRET, **kwargs: Any) -> dict[str, str]:
    return {**sign_headers(body, secret, **kwargs), "Content-Type": FHIR_JSON}


async def kit_case(stack: Stack) -> str:
    opened = await submit(stack, load("conformant_pas_bundle_v110.json"))
    case_id = case_id_of(opened.json())
    await stack.eventually(lambda: stack.live_status(case_id), lambda s: s is not None)
    return case_id


async def received(stack: Stack, case_id: str) -> list[dict[str, Any]]:
    events = (await stack.get(f"/api/v1/cases/{case_id}/timeline")).json()["events"]
    return [e for e in events if e["action"] == "payer_decision_received"]


async def test_pas_notification_applies_once(stack: Stack) -> None:
    headers = bind_kit_payer(stack)
    case_id = await kit_case(stack)
    notification = kit_notification([{"system": "urn:x:trace", "value": KIT_TRACE}])
    first = await stack.http.post("/fhir/notifications", content=notification, headers=headers)
    assert first.status_code == 200, first.text
    assert first.json()["handled"] == "applied"
    assert first.json()["case_id"] == case_id  # found by the trace number the payer echoed
    second = await stack.http.post("/fhir/notifications", content=notification, headers=headers)
    assert second.json()["handled"] == "duplicate"
    view = (await stack.case(case_id))["live"]
    assert view["status"] == "needs_attention"  # PENDEDCODE: not guessed, a person looks
    assert len(view["decision_ids"]) == 1
    [event] = await received(stack, case_id)
    assert event["actor"] == "integration:kit-payer"  # the key's name, not the body's say

    # A signed delivery needs no API key; a forged one is refused.
    third = await stack.http.post(
        "/fhir/notifications", content=notification, headers=signed(notification)
    )
    assert third.json()["handled"] == "duplicate", third.text
    forged = signed(notification, "wrong-secret-0123456789")
    refused = await stack.http.post("/fhir/notifications", content=notification, headers=forged)
    assert refused.status_code == 401
    assert len(await received(stack, case_id)) == 1


@pytest.mark.parametrize("kind", ["case_id", "case_number", "trace_number", "pre_auth_ref"])
async def test_notification_finds_its_case_by_each_identifier(stack: Stack, kind: str) -> None:
    bind_kit_payer(stack)
    case_id = await kit_case(stack)
    number = (await stack.case(case_id))["summary"]["case_number"]
    identifiers = {
        "case_id": [{"system": CASE_SYSTEM, "value": case_id}],
        "case_number": [{"system": "urn:x:any", "value": number}],
        "trace_number": [{"system": "urn:x:trace", "value": KIT_TRACE}],
        "pre_auth_ref": [{"system": "urn:x:unknown", "value": "not-ours"}],
    }[kind]
    if kind == "pre_auth_ref":
        # The payer's first message (found by trace number) told us its pre-auth reference.
        first = kit_notification(
            [{"system": "urn:x:trace", "value": KIT_TRACE}], preAuthRef="PAYER-REF-42"
        )
        reply = await stack.http.post("/fhir/notifications", content=first, headers=signed(first))
        assert reply.json()["case_id"] == case_id, reply.text
        body = kit_notification(
            identifiers, preAuthRef="PAYER-REF-42", created="2026-12-02T10:00:00Z"
        )
    else:
        body = kit_notification(identifiers)
    response = await stack.http.post("/fhir/notifications", content=body, headers=signed(body))
    assert response.status_code == 200, response.text
    assert response.json()["case_id"] == case_id
    assert {e["actor"] for e in await received(stack, case_id)} == {f"payer:{KIT_PAYER}"}


async def test_no_member_id_fallback(stack: Stack) -> None:
    """The kit's notification names only its own trace number and our member: no case."""
    headers = bind_kit_payer(stack)
    case_id = await kit_case(stack)
    notification = json.dumps(load("PAS_notification_example_full_resource.json")).encode()
    for sent in (headers, signed(notification)):
        response = await stack.http.post("/fhir/notifications", content=notification, headers=sent)
        assert response.status_code == 404, response.text
        assert response.json()["resourceType"] == "OperationOutcome"
        assert "12345678901" not in response.text  # the member id is not echoed
    assert (await stack.case(case_id))["live"]["decision_ids"] == []


async def test_notification_for_no_case_is_404(stack: Stack) -> None:
    headers = bind_kit_payer(stack)
    notification = kit_notification([{"system": "urn:x:trace", "value": KIT_TRACE}])
    response = await stack.http.post("/fhir/notifications", content=notification, headers=headers)
    assert response.status_code == 404
    assert response.json()["resourceType"] == "OperationOutcome"


async def test_a_payer_cannot_decide_another_payers_case(stack: Stack) -> None:
    """Signed by EXH01 (or posted with a key bound to it) for the kit payer's case: refused."""
    bind_kit_payer(stack)
    stack.settings.api_keys = [
        *stack.settings.api_keys,
        ApiKey(
            name="exh01",
            key=SecretStr("exh01-integration-key-for-tests"),
            role=Role.INTEGRATION,
            payer_id=PAYER_ID,
        ),
    ]
    case_id = await kit_case(stack)
    body = kit_notification(
        [{"system": CASE_SYSTEM, "value": case_id}, {"system": "urn:x", "value": KIT_TRACE}]
    )
    by_signature = await stack.http.post(
        "/fhir/notifications", content=body, headers=signed(body, PAYER_SECRET)
    )
    by_key = await stack.http.post(
        "/fhir/notifications",
        content=body,
        headers={"X-API-Key": "exh01-integration-key-for-tests", "Content-Type": FHIR_JSON},
    )
    for response in (by_signature, by_key):
        assert response.status_code == 404, response.text
    assert (await stack.case(case_id))["live"]["decision_ids"] == []
    assert await received(stack, case_id) == []


async def test_a_key_bound_to_no_payer_cannot_apply_decisions(stack: Stack) -> None:
    await kit_case(stack)
    body = kit_notification([{"system": "urn:x:trace", "value": KIT_TRACE}])
    headers = {"X-API-Key": SCOPE_KEYS["unbound"], "Content-Type": FHIR_JSON}
    response = await stack.http.post("/fhir/notifications", content=body, headers=headers)
    assert response.status_code == 403
    assert "not bound to a payer" in response.json()["detail"]


def hostile_headers(body: bytes) -> dict[str, dict[str, Any]]:
    good = sign_headers(body, PAYER_SECRET)
    return {
        "no headers": {},
        "old home-made header": {"X-Priorauth-Signature": "t=1,v1=00"},
        "missing webhook-id": {k: v for k, v in good.items() if k != WEBHOOK_ID},
        "non-ASCII signature": {**good, WEBHOOK_SIGNATURE: "v1,é€".encode()},
        "non-ASCII id": {**good, WEBHOOK_ID: "msg_☃".encode()},
        "400-digit timestamp": {**good, WEBHOOK_TIMESTAMP: "9" * 400},
        "negative timestamp": {**good, WEBHOOK_TIMESTAMP: "-1"},
        "stale timestamp": sign_headers(body, PAYER_SECRET, timestamp=int(time.time()) - 3600),
        "future timestamp": sign_headers(body, PAYER_SECRET, timestamp=int(time.time()) + 3600),
        "unknown payer": sign_headers(body, "a-secret-no-payer-has-0001"),
        "bad signature": {**good, WEBHOOK_SIGNATURE: "v1," + "A" * 44},
        "signature of another body": sign_headers(body + b" ", PAYER_SECRET),
    }


@pytest.mark.parametrize("path", ["/api/v1/payer-events", "/fhir/notifications"])
async def test_hostile_headers_get_one_401_and_change_nothing(stack: Stack, path: str) -> None:
    case = await opened(stack)
    event = {
        "event_id": "EV-H",
        "case_id": case["case_id"],
        "type": "decision",
        "decision": denial("WH-H"),
    }
    body = json.dumps(event).encode()
    nested = b"[" * 100_000 + b"]" * 100_000
    answers = set()
    for name, headers in hostile_headers(body).items():
        response = await stack.http.post(path, content=body, headers=headers)
        assert response.status_code == 401, (name, response.text)
        answers.add(response.text)
    assert len(answers) == 1  # unknown payer, missing header and bad signature look alike
    assert UNSIGNED in answers.pop()
    # A body too deep to parse is refused by the input limits before anything reads it.
    deep = await stack.http.post(path, content=nested, headers={})
    assert deep.status_code in (400, 422), deep.text
    assert "nested deeper" in deep.text
    live = (await stack.case(case["case_id"]))["live"]
    assert live["decision_ids"] == []


# ---------------------------------------------------------------- signed payer webhook


async def opened(stack: Stack, **overrides: Any) -> dict[str, Any]:
    response = await stack.post("/api/v1/cases", request_body(**overrides))
    data: dict[str, Any] = response.json()
    await stack.eventually(
        lambda: stack.live_status(data["case_id"]), lambda s: s in ("opened", "submitted")
    )
    return data


async def deliver(
    stack: Stack,
    event: dict[str, Any],
    secret: str = PAYER_SECRET,
    headers: dict[str, str] | None = None,
    **sign_args: Any,
) -> Any:
    body = json.dumps(event).encode()
    sent = {"Content-Type": "application/json"}
    if headers is not None:
        sent.update(headers)
    elif secret:
        sent.update(sign_headers(body, secret, **sign_args))
    return await stack.http.post("/api/v1/payer-events", content=body, headers=sent)


async def test_signed_webhook_decision(stack: Stack) -> None:
    case = await opened(stack)
    event = {
        "payer_id": "EXH01",
        "event_id": "EV-1",
        "case_number": case["case_number"],
        "type": "decision",
        "decision": denial("WH-1"),
    }
    for forged in (
        await deliver(stack, event, secret="not-the-secret-0123456789"),
        await deliver(stack, event, secret=""),
        await deliver(stack, event, timestamp=int(time.time()) - 3600),
    ):
        assert forged.status_code == 401, forged.text
    # The body may not name another payer than the signer.
    other = await deliver(stack, {**event, "payer_id": "OTHER"})
    assert other.status_code == 403
    assert other.json()["errors"][0]["field"] == "payer_id"
    # Nothing was applied: no decision recorded (the case itself moves on to "submitted").
    live = (await stack.case(case["case_id"]))["live"]
    assert live["decision_ids"] == [] and live["status"] in ("opened", "submitted")

    applied = await deliver(stack, event)
    assert applied.status_code == 200, applied.text
    assert applied.json() == {
        "case_id": case["case_id"],
        "applied": True,
        "duplicate": False,
        "status": "denied",
    }
    again = await deliver(stack, event)  # a new message id, the same decision id
    assert again.json()["duplicate"] is True
    events = (await stack.get(f"/api/v1/cases/{case['case_id']}/timeline")).json()["events"]
    received = [e for e in events if e["action"] == "payer_decision_received"]
    assert len(received) == 1 and received[0]["actor"] == "payer:EXH01"


async def test_replayed_message_id_is_a_duplicate_applied_once(stack: Stack) -> None:
    case = await opened(stack)
    event = {
        "event_id": "EV-R",
        "case_id": case["case_id"],
        "type": "decision",
        "decision": denial("WH-R"),
    }
    body = json.dumps(event).encode()
    headers = {
        **sign_headers(body, PAYER_SECRET, message_id="msg_replay"),
        "Content-Type": "application/json",
    }
    first = await stack.http.post("/api/v1/payer-events", content=body, headers=headers)
    assert first.json()["applied"] is True, first.text
    replay = await stack.http.post("/api/v1/payer-events", content=body, headers=headers)
    assert replay.status_code == 200
    assert replay.json() == {
        "case_id": case["case_id"],
        "applied": False,
        "duplicate": True,
        "status": None,
    }
    # Another body under the same message id (re-signed, fresh timestamp) is not applied.
    changed = {**event, "event_id": "EV-R2", "decision": denial("WH-R2")}
    late = await deliver(stack, changed, message_id="msg_replay")
    assert late.json()["duplicate"] is True
    live = (await stack.case(case["case_id"]))["live"]
    assert live["decision_ids"] == ["WH-R"]


async def test_a_failed_message_can_be_retried_with_its_id(stack: Stack) -> None:
    case = await opened(stack)
    event = {"event_id": "EV-F", "case_id": case["case_id"], "type": "extension"}
    failed = await deliver(stack, event, message_id="msg_retry")
    assert failed.status_code == 422  # no extension given: nothing applied, id given back
    fixed = {
        **event,
        "extension": {
            "notice_id": "N-F",
            "noticed_at": datetime.now(UTC).isoformat(),
            "reason": "Review",
        },
    }
    retried = await deliver(stack, fixed, message_id="msg_retry")
    assert retried.status_code == 200, retried.text
    assert retried.json()["applied"] is True


async def test_audit_actor_and_source_come_from_the_credential(stack: Stack) -> None:
    case = await opened(stack)
    decision = {**denial("WH-SRC"), "source": "manual"}
    event = {
        "event_id": "EV-SRC",
        "case_id": case["case_id"],
        "type": "decision",
        "decision": decision,
    }
    assert (await deliver(stack, event)).status_code == 200
    events = (await stack.get(f"/api/v1/cases/{case['case_id']}/timeline")).json()["events"]
    [entry] = [e for e in events if e["action"] == "payer_decision_received"]
    assert entry["actor"] == "payer:EXH01"
    detail = await stack.case(case["case_id"])
    [recorded] = [d for d in detail["decisions"] if d["decision_id"] == "WH-SRC"]
    assert recorded["source"] == "webhook"


async def test_signed_webhook_information_request_and_extension(stack: Stack) -> None:
    case = await opened(stack)
    now = datetime.now(UTC)
    rfi = {
        "payer_id": "EXH01",
        "event_id": "EV-RFI",
        "case_id": case["case_id"],
        "type": "information_request",
        "information_request": {
            "requested_at": now.isoformat(),
            "items_requested": ["Operative report"],
            "respond_by": (now + timedelta(days=7)).isoformat(),
        },
    }
    response = await deliver(stack, rfi)
    assert response.json()["status"] == "pended", response.text
    ext = {
        "payer_id": "EXH01",
        "event_id": "EV-EXT",
        "case_id": case["case_id"],
        "type": "extension",
        "extension": {
            "notice_id": "N-1",
            "noticed_at": now.isoformat(),
            "reason": "Awaiting specialist review",
        },
    }
    assert (await deliver(stack, ext)).status_code == 200
    missing = await deliver(stack, {**ext, "extension": None})
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "extension"
    invalid = await deliver(stack, {**ext, "type": "bogus"})
    assert invalid.status_code == 422
    assert invalid.json()["errors"][0]["field"] == "type"


async def test_webhook_cannot_touch_another_payers_case(stack: Stack) -> None:
    body = request_body()
    body["coverage"]["payer"]["payer_id"] = "OTHER01"
    other = (await stack.post("/api/v1/cases", body)).json()
    event = {
        "payer_id": "EXH01",
        "event_id": "EV-X",
        "case_id": other["case_id"],
        "type": "decision",
        "decision": denial("WH-X"),
    }
    assert (await deliver(stack, event)).status_code == 403


async def test_the_dev_sandbox_secret_reaches_any_payers_case(stack: Stack) -> None:
    """In dev/test the sandbox payer (`priorauth dev` registers it as SANDBOX) plays every
    payer; its notification reaches an EXH01 case, audited as the sandbox."""
    stack.settings.webhook_secrets["SANDBOX"] = SecretStr("sandbox-secret-for-tests-0001")
    case = await opened(stack)
    event = {"event_id": "EV-SBX", "case_id": case["case_id"], "type": "decision"}
    response = await deliver(
        stack, {**event, "decision": denial("WH-SBX")}, secret="sandbox-secret-for-tests-0001"
    )
    assert response.status_code == 200, response.text
    events = (await stack.get(f"/api/v1/cases/{case['case_id']}/timeline")).json()["events"]
    [entry] = [e for e in events if e["action"] == "payer_decision_received"]
    assert entry["actor"] == "payer:SANDBOX"


async def test_deeply_nested_signed_bodies_are_4xx(stack: Stack) -> None:
    """Past the signature, a body nested too deep is refused with a clear 4xx, never a 500."""
    bind_kit_payer(stack)
    for depth in (100, 100_000):
        nested = b'{"a":' * depth + b"1" + b"}" * depth
        notification = await stack.http.post(
            "/fhir/notifications", content=nested, headers=signed(nested)
        )
        assert notification.status_code == 400, notification.text
        assert "nested deeper" in notification.json()["issue"][0]["diagnostics"]
        event = await stack.http.post(
            "/api/v1/payer-events",
            content=nested,
            headers={**sign_headers(nested, PAYER_SECRET), "Content-Type": "application/json"},
        )
        # The deepest body is also past the size limit of a JSON route (api.limits).
        assert event.status_code == (422 if len(nested) <= 256 * 1024 else 413), event.text
