"""`PayerActivities` on the real store: the gateway gets the stored request; unknown cases fail."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities import errors
from activities.models import InquireInput, SubmitInput
from activities.payer import PayerActivities
from activities.store_recorder import StoreRecorder
from domain.case.vocabulary import SubmissionKind
from domain.models import PayerDecision
from domain.payer_gateway import GatewayReceipt, GatewaySubmission
from store import cases
from store.database import transaction
from tests.workflows.conftest import request

pytestmark = pytest.mark.postgres
T0 = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
CASE = "pay0001"


@dataclass
class RecordingGateway:
    """Keeps what it was sent; accepts every submission, knows no decision."""

    sent: list[GatewaySubmission] = field(default_factory=list)

    async def submit(self, submission: GatewaySubmission) -> GatewayReceipt:
        self.sent.append(submission)
        return GatewayReceipt(submission_id=f"SUB-{len(self.sent)}", accepted_at=T0)

    async def inquire_decision(self, submission: GatewaySubmission) -> PayerDecision | None:
        self.sent.append(submission)
        return None


def payer(engine: Engine) -> tuple[PayerActivities, RecordingGateway]:
    gateway = RecordingGateway()
    return PayerActivities(gateway, StoreRecorder(engine)), gateway


async def test_submit_and_inquire_send_the_stored_request(engine: Engine) -> None:
    stored = request(lines=2)
    with transaction(engine) as session:
        cases.create_case(session=session, case_id=CASE, request=stored, received_at=T0)
    activities, gateway = payer(engine)
    env = ActivityEnvironment()

    result = await env.run(
        activities.submit_to_payer,
        SubmitInput(case_id=CASE, key=f"{CASE}:submit:1", kind=SubmissionKind.INITIAL),
    )
    found = await env.run(
        activities.inquire_payer, InquireInput(case_id=CASE, key=f"{CASE}:inquire:1")
    )

    assert result.submission_id == "SUB-1"
    assert found is None
    assert [(s.case_id, s.submission_key, s.request) for s in gateway.sent] == [
        (CASE, f"{CASE}:submit:1", stored),
        (CASE, f"{CASE}:inquire:1", stored),
    ]


async def test_an_unknown_case_fails_without_retry(engine: Engine) -> None:
    activities, gateway = payer(engine)
    env = ActivityEnvironment()
    submit = SubmitInput(case_id="nope0001", key="nope0001:submit:1", kind=SubmissionKind.INITIAL)
    inquire = InquireInput(case_id="nope0001", key="nope0001:inquire:1")
    with pytest.raises(ApplicationError) as submitting:
        await env.run(activities.submit_to_payer, submit)
    with pytest.raises(ApplicationError) as inquiring:
        await env.run(activities.inquire_payer, inquire)
    for failure in (submitting, inquiring):
        assert failure.value.type == errors.CASE_NOT_FOUND
        assert failure.value.non_retryable
    assert gateway.sent == []
