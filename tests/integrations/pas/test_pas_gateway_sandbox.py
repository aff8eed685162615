"""The PAS gateway against the sandbox payer, in process (httpx ASGITransport)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from domain.case.vocabulary import AppealOutcome, SubmissionKind
from domain.enums import ItemOutcome
from domain.models import PayerDecision, RequestForInformation
from domain.payer_gateway import GatewaySubmission
from integrations.pas.errors import PasGatewayError, PasRejectedError, PasUnsupportedError
from integrations.pas.gateway import PasGateway
from integrations.pas.responses import parse_subscription_notification
from integrations.sandbox_payer import SandboxScript, SandboxState, create_sandbox_app
from integrations.sandbox_payer.script import SandboxBehaviour, SandboxRule
from integrations.webhook_signature import WEBHOOK_ID, WEBHOOK_SIGNATURE, identify_sender
from tests.integrations.pas_helpers import line, load, make_request

SECRET = "sandbox-test-secret"
NOW = datetime(2026, 11, 2, 14, 30, tzinfo=UTC)


@dataclass
class RecordingSink:
    decisions: list[tuple[str, PayerDecision, RequestForInformation | None]] = field(
        default_factory=list
    )

    async def payer_decision(
        self, case_id: str, decision: PayerDecision, rfi: RequestForInformation | None
    ) -> None:
        self.decisions.append((case_id, decision, rfi))

    async def appeal_decision(
        self,
        case_id: str,
        level_number: int,
        decision_id: str,
        outcome: AppealOutcome,
        decided_at: datetime,
        note: str | None,
    ) -> None:
        raise AssertionError("PAS carries no appeal decisions")


@dataclass
class Receiver:
    """priorauth's rest-hook endpoint, reduced to capturing what arrives."""

    bodies: list[bytes] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/pas/notify")
        async def notify(request: Request) -> JSONResponse:
            self.bodies.append(await request.body())
            self.headers.append(dict(request.headers))
            return JSONResponse({}, status_code=200)

        return app


@dataclass
class Harness:
    gateway: PasGateway
    sink: RecordingSink
    receiver: Receiver
    sandbox: SandboxState
    client: httpx.AsyncClient


def _script(**changes: Any) -> SandboxScript:
    script = SandboxScript.default().model_copy(
        update={"pend_seconds": 0.01, "webhook_secret": SECRET, **changes}
    )
    return script


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    receiver = Receiver()
    notify_client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=receiver.app()), base_url="http://priorauth"
    )
    app = create_sandbox_app(
        _script(), "http://priorauth/pas/notify", notify_client=notify_client, clock=lambda: NOW
    )
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://payer")
    sink = RecordingSink()
    gateway = PasGateway(
        "http://payer", submitter_id="MERCY-01", sink=sink, client=client, clock=lambda: NOW
    )
    yield Harness(gateway, sink, receiver, app.state.sandbox, client)
    await app.state.sandbox.aclose()
    await client.aclose()
    await notify_client.aclose()


def _submission(
    case_id: str,
    *lines: dict[str, Any],
    member_id: str = "W123456789",
    kind: SubmissionKind = SubmissionKind.INITIAL,
    key: str | None = None,
) -> GatewaySubmission:
    request = make_request(service_lines=list(lines) or [line(1, "27447")])
    request = request.model_copy(
        update={"member": request.member.model_copy(update={"member_id": member_id})}
    )
    return GatewaySubmission(
        case_id=case_id,
        submission_key=key or f"{case_id}-{kind.value}",
        kind=kind,
        request=request,
    )


async def test_approve(harness: Harness) -> None:
    receipt = await harness.gateway.submit(_submission("case-a", line(1, "27447")))

    assert not receipt.duplicate
    assert receipt.payer_reference is not None and receipt.payer_reference.startswith("SBX-")
    [(case_id, decision, rfi)] = harness.sink.decisions
    assert case_id == "case-a" and rfi is None
    [item] = decision.items
    assert item.outcome == ItemOutcome.APPROVED
    assert item.review_action_code == "A1"
    assert item.authorization_number is not None and item.authorization_number.startswith("SBX001")
    assert (item.authorized_start, item.authorized_end) == (date(2026, 12, 1), date(2027, 3, 1))
    assert item.approved_units == 1


async def test_deny_with_reason(harness: Harness) -> None:
    await harness.gateway.submit(_submission("case-d", line(1, "E0601")))

    [item] = harness.sink.decisions[0][1].items
    assert item.outcome == ItemOutcome.DENIED
    assert item.reason_text == "Not medically necessary per policy MP-123"
    assert item.reason_code == "MN"
    assert item.authorization_number is None


async def test_partial(harness: Harness) -> None:
    await harness.gateway.submit(_submission("case-p", line(1, "J1745", units=10)))

    [item] = harness.sink.decisions[0][1].items
    assert item.outcome == ItemOutcome.PARTIALLY_APPROVED
    assert item.approved_units == 5
    assert item.reason_text == "Approved 5 of 10 units requested."


async def test_modified(harness: Harness) -> None:
    await harness.gateway.submit(_submission("case-m", line(1, "72148")))

    [item] = harness.sink.decisions[0][1].items
    assert item.outcome == ItemOutcome.APPROVED_MODIFIED
    assert item.modification is not None
    assert "freestanding imaging center" in item.modification
    assert (item.authorized_start, item.authorized_end) == (date(2026, 12, 1), date(2026, 12, 31))


async def test_pend_then_notify_then_inquire(harness: Harness) -> None:
    submission = _submission("case-n", line(1, "97110", units=12), line(2, "27447"))
    await harness.gateway.submit(submission)

    [(_, first, _)] = harness.sink.decisions
    assert [i.outcome for i in first.items] == [ItemOutcome.PENDED, ItemOutcome.APPROVED]

    await harness.sandbox.wait_idle()
    [body] = harness.receiver.bodies
    [headers] = harness.receiver.headers
    # Signed the Standard Webhooks way under the payer's secret (the receiver's view).
    assert identify_sender(body, headers, {"SANDBOX": SECRET}).payer_id == "SANDBOX"
    assert headers[WEBHOOK_ID].startswith("msg_")
    assert headers["content-type"] == "application/fhir+json"
    notification = parse_subscription_notification(json.loads(body))
    assert notification.event_number == 1
    assert notification.subscription == SandboxScript().subscription_url
    decision = notification.decision
    assert decision is not None
    assert [i.outcome for i in decision.items] == [ItemOutcome.APPROVED, ItemOutcome.APPROVED]
    assert decision.decision_id != first.decision_id
    # The notification names the case's Claim identifier and the member.
    assert "case-n" in {i.value for i in notification.request_identifiers}
    assert notification.member_id == "W123456789"

    inquiry = await harness.gateway.inquire(submission.request, case_id="case-n")
    assert inquiry.inquiry
    assert inquiry.decision is not None
    assert inquiry.decision.decision_id == decision.decision_id  # same answer: a duplicate
    # The `InquiringGateway` capability the case workflow's reconciliation polls use.
    polled = await harness.gateway.inquire_decision(submission)
    assert polled is not None and polled.decision_id == decision.decision_id
    assert len(harness.sink.decisions) == 1  # $inquire does not push to the sink


async def test_pended_submit_carries_no_rfi_without_a_request(harness: Harness) -> None:
    await harness.gateway.submit(_submission("case-r", line(1, "97110")))
    assert harness.sink.decisions[0][2] is None


async def test_never_answer(harness: Harness) -> None:
    await harness.gateway.submit(_submission("case-x", line(1, "97110"), member_id="NEVER-42"))

    [item] = harness.sink.decisions[0][1].items
    assert item.outcome == ItemOutcome.PENDED
    await harness.sandbox.wait_idle()
    assert harness.receiver.bodies == []


async def test_duplicate_submission_is_not_resent(harness: Harness) -> None:
    submission = _submission("case-dup", line(1, "27447"))
    first = await harness.gateway.submit(submission)
    again = await harness.gateway.submit(submission)

    assert again.duplicate and again.submission_id == first.submission_id
    assert len(harness.sink.decisions) == 1
    assert len(harness.sandbox.claims) == 1


async def test_cancel(harness: Harness) -> None:
    await harness.gateway.submit(_submission("case-c", line(1, "97110")))
    await harness.gateway.submit(
        _submission("case-c", line(1, "97110"), kind=SubmissionKind.CANCEL)
    )

    cancel = harness.sink.decisions[-1][1]
    assert [i.outcome for i in cancel.items] == [ItemOutcome.CANCELLED]
    await harness.sandbox.wait_idle()
    assert harness.receiver.bodies == []  # the pended decision is dropped after a cancel


async def test_appeal_is_not_a_pas_message(harness: Harness) -> None:
    with pytest.raises(PasUnsupportedError) as caught:
        await harness.gateway.submit(
            _submission("case-ap", line(1, "27447"), kind=SubmissionKind.APPEAL)
        )
    assert isinstance(caught.value, PasRejectedError) and not caught.value.retryable


async def test_hold_times_out_retryably() -> None:
    script = _script(
        rules=[SandboxRule(code_prefix="2", behaviour=SandboxBehaviour.HOLD)], hold_seconds=30
    )
    app = create_sandbox_app(script, None, clock=lambda: NOW)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://payer"
    ) as client:
        gateway = PasGateway("http://payer", submitter_id="S", client=client, timeout=0.2)
        with pytest.raises(PasGatewayError) as caught:
            await gateway.submit(_submission("case-h", line(1, "27447")))
    assert caught.value.retryable
    assert "timed out after 0.2 s" in str(caught.value)


async def test_sandbox_refuses_a_non_pas_bundle_with_an_operation_outcome(
    harness: Harness,
) -> None:
    reply = await harness.client.post(
        "http://payer/Claim/$submit", json=load("nonconformant_pas_bundle_v110.json")
    )
    assert reply.status_code == 400
    assert reply.headers["content-type"].startswith("application/fhir+json")
    assert reply.json()["issue"][0]["expression"] == ["Bundle.entry"]


async def test_sandbox_answers_the_test_kit_bundle(harness: Harness) -> None:
    reply = await harness.client.post(
        "http://payer/Claim/$submit", json=load("conformant_pas_bundle_v110.json")
    )
    assert reply.status_code == 200
    claim_response = reply.json()["entry"][0]["resource"]
    assert claim_response["identifier"][0]["value"] == "111099"
    assert claim_response["item"][0]["itemSequence"] == 1

    inquiry = await harness.client.post(
        "http://payer/Claim/$inquire", json=load("conformant_pas_inquire_bundle_v110.json")
    )
    assert inquiry.status_code == 200
    assert inquiry.json()["meta"]["profile"] == [
        "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/profile-pas-inquiry-response-bundle"
    ]


async def test_rejection_and_server_errors_are_classified() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.headers.get("content-type") != "application/fhir+json":
            return httpx.Response(415)
        status = 503 if b'"27447"' in request.content else 422
        return httpx.Response(
            status,
            json={
                "resourceType": "OperationOutcome",
                "issue": [{"severity": "error", "code": "invalid", "diagnostics": "bad member"}],
            },
        )

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        gateway = PasGateway("https://payer.example/fhir", submitter_id="S", client=client)
        with pytest.raises(PasGatewayError) as unavailable:
            await gateway.submit(_submission("case-503", line(1, "27447")))
        with pytest.raises(PasRejectedError) as rejected:
            await gateway.submit(_submission("case-422", line(1, "97110")))

    assert unavailable.value.retryable and unavailable.value.status_code == 503
    assert not rejected.value.retryable and rejected.value.status_code == 422
    assert "bad member" in str(rejected.value)


async def test_connection_error_is_retryable() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        gateway = PasGateway("https://payer.example", submitter_id="S", client=client)
        with pytest.raises(PasGatewayError) as caught:
            await gateway.submit(_submission("case-e", line(1, "27447")))
    assert caught.value.retryable


async def test_forwarding_an_ehr_bundle(harness: Harness) -> None:
    response = await harness.gateway.submit_bundle(load("conformant_pas_bundle_v110.json"))

    assert response.decision is not None
    assert response.decision.items[0].outcome == ItemOutcome.APPROVED  # default: approve
    assert response.trace_numbers() == {"111099"}
    assert harness.sink.decisions == []


async def test_pend_then_deny_notifies_the_denial() -> None:
    receiver = Receiver()
    rules = [
        SandboxRule(
            code_prefix="97",
            behaviour=SandboxBehaviour.PEND_THEN_DENY,
            pend_seconds=0,
            reason="Exceeds 12 visits per plan year (policy PT-7)",
            reason_code="0D",
        )
    ]
    async with (
        httpx.AsyncClient(transport=httpx.ASGITransport(app=receiver.app())) as notify_client,
    ):
        app = create_sandbox_app(
            _script(rules=rules, webhook_secret=None),
            "http://priorauth/pas/notify",
            notify_client=notify_client,
        )
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://payer"
        ) as client:
            gateway = PasGateway("http://payer", submitter_id="S", client=client)
            await gateway.submit(_submission("case-pd", line(1, "97110", units=20)))
            await app.state.sandbox.wait_idle()

    [body] = receiver.bodies
    assert WEBHOOK_SIGNATURE not in receiver.headers[0]  # no secret, no signature
    decision = parse_subscription_notification(json.loads(body)).decision
    assert decision is not None
    [item] = decision.items
    assert item.outcome == ItemOutcome.DENIED
    assert item.reason_text == "Exceeds 12 visits per plan year (policy PT-7)"
    assert item.reason_code == "0D"


# ---------------------------------------------------------------- drill controls (/sandbox/...)


async def test_drill_controls_count_submissions_apart_from_resends(harness: Harness) -> None:
    submission = _submission("case-c", line(1, "27447"))
    bundle = harness.gateway.bundle_for(submission)
    await harness.gateway.submit_bundle(bundle)
    await harness.gateway.submit_bundle(bundle)  # a retried activity: same Bundle.identifier
    counts = (await harness.client.get("/sandbox/claims")).json()
    assert counts["case-c"]["submissions"] == 1
    assert counts["case-c"]["posts"] == 2
    # The same request under a new key is a second submission: what the drills call duplicated.
    await harness.gateway.submit(_submission("case-c", line(1, "27447"), key="case-c-again"))
    counts = (await harness.client.get("/sandbox/claims")).json()
    assert (counts["case-c"]["submissions"], counts["case-c"]["posts"]) == (2, 3)


async def test_a_dropped_notification_is_decided_but_never_sent() -> None:
    receiver = Receiver()
    rules = [
        SandboxRule(
            code_prefix="97",
            behaviour=SandboxBehaviour.PEND_THEN_APPROVE,
            pend_seconds=0,
            drop_notification=True,
        )
    ]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=receiver.app())
    ) as notify_client:
        app = create_sandbox_app(
            _script(rules=rules), "http://priorauth/pas/notify", notify_client=notify_client
        )
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://payer"
        ) as client:
            gateway = PasGateway("http://payer", submitter_id="S", client=client)
            submission = _submission("case-lost", line(1, "97110"))
            await gateway.submit(submission)
            await app.state.sandbox.wait_idle()
            found = await gateway.inquire_decision(submission)
            counts = (await client.get("/sandbox/claims")).json()["case-lost"]

    assert receiver.bodies == []
    assert (counts["dropped"], counts["notified"], counts["inquiries"]) == (1, 0, 1)
    assert found is not None and [i.outcome for i in found.items] == [ItemOutcome.APPROVED]


async def test_drill_controls_decide_and_send_any_decision_again(harness: Harness) -> None:
    await harness.gateway.submit(_submission("case-q", line(1, "27447"), member_id="WNEVER1"))
    made = await harness.client.post(
        "/sandbox/claims/case-q/decide", json={"behaviours": ["approve", "deny"]}
    )
    assert made.json() == {"versions": [2, 3]}
    assert harness.receiver.bodies == []  # deciding does not notify
    for version in (3, 2, 3):
        sent = await harness.client.post(f"/sandbox/claims/case-q/notify/{version}")
        assert sent.json() == {"status_code": 200, "error": None}
    decisions = []
    for body, headers in zip(harness.receiver.bodies, harness.receiver.headers, strict=True):
        assert identify_sender(body, headers, {"SANDBOX": SECRET}).payer_id == "SANDBOX"
        decision = parse_subscription_notification(json.loads(body)).decision
        assert decision is not None
        decisions.append(decision)
    newer, older, again = decisions
    assert [d.items[0].outcome for d in decisions] == [
        ItemOutcome.DENIED,
        ItemOutcome.APPROVED,
        ItemOutcome.DENIED,
    ]
    assert older.decided_at < newer.decided_at  # a second apart: PAS instants have seconds
    assert again.decision_id == newer.decision_id
    missing = await harness.client.post("/sandbox/claims/case-q/notify/9")
    assert missing.status_code == 404
    bad = await harness.client.post("/sandbox/claims/case-q/decide", json={"behaviours": ["x"]})
    assert bad.status_code == 400
