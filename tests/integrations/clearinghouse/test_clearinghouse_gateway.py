"""The clearinghouse gateway against the sandbox clearinghouse in process (httpx ASGITransport),
on a store ledger (SQLite and PostgreSQL): each scripted answer, and one trace per submission
across a restart."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from domain.case.vocabulary import SubmissionKind
from domain.clearinghouse_ledger import TraceState, trace_number_for
from domain.enums import ItemOutcome
from domain.payer_gateway import PayerRejectedError
from integrations.clearinghouse.batch import InboundMailbox, poll_inbound
from integrations.clearinghouse.errors import ClearinghouseError, ClearinghouseRejectedError
from integrations.sandbox_clearinghouse import ClearinghouseScript
from tests.integrations.clearinghouse.helpers import request_for, rig, submission

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_an_approval_reaches_the_case_with_its_certification_number(
    engine: Engine, tmp_path: Path
) -> None:
    async with rig(engine, tmp_path) as r:
        receipt = await r.gateway.submit(submission("GRP88812345"))
        ((case_id, decision),) = r.sink.decisions
        assert case_id == "case-ch-1"
        assert [item.outcome for item in decision.items] == [ItemOutcome.APPROVED]
        assert decision.items[0].authorization_number.startswith("SBXCH-")
        trace = trace_number_for("case-ch-1:submit:1")
        assert receipt.submission_id == trace and not receipt.duplicate
        entry = r.ledger.find_trace(trace)
        assert entry is not None and entry.state is TraceState.DECIDED and entry.attempts == 1
        assert r.sandbox.traces[trace].mailed == ["999"]


async def test_a_denial_carries_the_payers_reason(engine: Engine, tmp_path: Path) -> None:
    async with rig(engine, tmp_path) as r:
        await r.gateway.submit(submission("GRP-DENY-7"))
        ((_, decision),) = r.sink.decisions
        (item,) = decision.items
        assert item.outcome == ItemOutcome.DENIED
        assert item.reason_code == "0V"
        assert "conservative therapy" in (item.reason_text or "").lower()


async def test_pended_then_denied_arrives_through_the_mailbox(
    engine: Engine, tmp_path: Path
) -> None:
    async with rig(engine, tmp_path) as r:
        await r.gateway.submit(submission("GRP-PENDDENY-1"))
        ((_, pended),) = r.sink.decisions
        assert [i.outcome for i in pended.items] == [ItemOutcome.PENDED]
        await r.sandbox.wait_idle()
        mailbox = InboundMailbox(r.ledger, r.sink, lambda case_id: request_for("GRP-PENDDENY-1"))
        results = await poll_inbound(r.folders, mailbox)
        assert [(x.handled, x.kind) for x in results] == [
            ("acknowledged", "999"),
            ("applied", "278"),
        ]
        final = r.sink.decisions[-1][1]
        assert [i.outcome for i in final.items] == [ItemOutcome.DENIED]
        assert final.decision_id != pended.decision_id
        entry = r.ledger.find_trace(trace_number_for("case-ch-1:submit:1"))
        assert entry is not None
        assert (entry.state, entry.acknowledgment) == (TraceState.DECIDED, "A")
        assert r.folders.inbound_files() == []
        assert len(list(r.folders.processed.iterdir())) == 2


async def test_an_aaa_rejection_is_final_and_names_the_reason(
    engine: Engine, tmp_path: Path
) -> None:
    async with rig(engine, tmp_path) as r:
        with pytest.raises(ClearinghouseRejectedError) as raised:
            await r.gateway.submit(submission("GRP-AAA-1"))
        assert isinstance(raised.value, PayerRejectedError)
        assert "75" in str(raised.value) and "AAA" in str(raised.value)
        # Asked again (a retried activity), it fails the same way without sending again.
        with pytest.raises(ClearinghouseRejectedError):
            await r.new_gateway().submit(submission("GRP-AAA-1"))
        trace = trace_number_for("case-ch-1:submit:1")
        assert r.sandbox.traces[trace].posts == 1
        assert r.sink.decisions == []


async def test_a_rejecting_999_names_segment_and_element(engine: Engine, tmp_path: Path) -> None:
    async with rig(engine, tmp_path) as r:
        with pytest.raises(ClearinghouseRejectedError) as raised:
            await r.gateway.submit(submission("GRP-REJECT999-1"))
        message = str(raised.value)
        assert "999" in message and "NM1" in message and "NM109" in message
        entry = r.ledger.find_trace(trace_number_for("case-ch-1:submit:1"))
        assert entry is not None and entry.state is TraceState.REJECTED


async def test_a_timeout_is_retried_with_the_same_trace(engine: Engine, tmp_path: Path) -> None:
    script = ClearinghouseScript.default().model_copy(update={"timeout_seconds": 0.5})
    async with rig(engine, tmp_path, script, timeout=0.1) as r:
        with pytest.raises(ClearinghouseError) as raised:
            await r.gateway.submit(submission("GRP-TIMEOUT-1"))
        assert not isinstance(raised.value, PayerRejectedError)
        trace = trace_number_for("case-ch-1:submit:1")
        entry = r.ledger.find_trace(trace)
        assert entry is not None and entry.state is TraceState.SENDING
        receipt = await r.new_gateway(timeout=5.0).submit(submission("GRP-TIMEOUT-1"))
        assert receipt.submission_id == trace
        assert r.sandbox.received == {trace: 2}  # the same trace, twice: one request
        assert len(r.sink.decisions) == 1


async def test_a_restarted_worker_does_not_send_an_answered_submission_again(
    engine: Engine, tmp_path: Path
) -> None:
    async with rig(engine, tmp_path) as r:
        first = await r.gateway.submit(submission("GRP-PEND-2"))
        again = await r.new_gateway().submit(submission("GRP-PEND-2"))
        assert again.duplicate and again.submission_id == first.submission_id
        assert r.sandbox.traces[first.submission_id].posts == 1
        # The kept answer is handed over again (the workflow dedupes it by decision id).
        assert [d.decision_id for _, d in r.sink.decisions] == [
            r.sink.decisions[0][1].decision_id
        ] * 2


async def test_another_submission_of_the_case_gets_its_own_trace(
    engine: Engine, tmp_path: Path
) -> None:
    async with rig(engine, tmp_path) as r:
        one = await r.gateway.submit(submission("GRP88812345", key="case-ch-1:submit:1"))
        two = await r.gateway.submit(
            submission("GRP88812345", key="case-ch-1:resubmit:2", kind=SubmissionKind.RESUBMISSION)
        )
        assert one.submission_id != two.submission_id
        assert len(r.sandbox.traces) == 2


async def test_refused_credentials_are_not_a_payer_rejection(
    engine: Engine, tmp_path: Path
) -> None:
    async with rig(engine, tmp_path, password="wrong") as r:
        with pytest.raises(ClearinghouseError, match="credentials") as raised:
            await r.gateway.submit(submission("GRP88812345"))
        assert not isinstance(raised.value, PayerRejectedError)


async def test_an_appeal_cannot_travel_as_a_278(engine: Engine, tmp_path: Path) -> None:
    async with rig(engine, tmp_path) as r:
        with pytest.raises(ClearinghouseRejectedError, match="appeal"):
            await r.gateway.submit(submission("GRP88812345", kind=SubmissionKind.APPEAL))
        assert r.sandbox.traces == {}
