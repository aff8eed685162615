"""Batch folders and the inbound mailbox: atomic outbound files, inbound 278 / 999 / TA1 matched
by trace or control number, and the review queue for what matches nothing (never a guess)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from domain.case.vocabulary import SubmissionKind
from domain.clearinghouse_ledger import TraceState, trace_number_for
from domain.enums import ItemOutcome
from domain.models import PriorAuthRequest
from integrations.clearinghouse.batch import (
    BatchFolders,
    BatchGateway,
    InboundMailbox,
    poll_inbound,
)
from integrations.sandbox_clearinghouse.responses import read_request, response_278
from integrations.x12 import ControlNumbers, build_999
from store.clearinghouse import StoreTraceLedger, list_unmatched
from store.database import read_session
from tests.integrations.clearinghouse.helpers import TRADING, RecordingSink, request_for, submission
from tests.integrations.x12.helpers import corpus

pytestmark = pytest.mark.anyio
NOW = datetime(2026, 12, 5, 15, 0, tzinfo=UTC)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def folders(tmp_path: Path) -> BatchFolders:
    return BatchFolders(outbound=tmp_path / "out", inbound=tmp_path / "in")


def requests_of(*case_ids: str) -> dict[str, PriorAuthRequest]:
    return {case_id: request_for("GRP88812345") for case_id in case_ids}


async def test_the_outbound_278_is_one_complete_file_per_trace(
    engine: Engine, tmp_path: Path
) -> None:
    box = folders(tmp_path)
    gateway = BatchGateway(box, ledger=StoreTraceLedger(engine), trading=TRADING)
    receipt = await gateway.submit(submission("GRP88812345"))
    again = await gateway.submit(submission("GRP88812345"))
    trace = trace_number_for("case-ch-1:submit:1")
    assert receipt.submission_id == trace and again.duplicate
    (written,) = list(box.outbound.iterdir())  # no temporary file left beside it
    assert written.name == f"278-{trace}.x12"
    received = read_request(written.read_text())
    assert received.trace == trace
    entry = StoreTraceLedger(engine).find_trace(trace)
    assert entry is not None and entry.state is TraceState.ACCEPTED


async def test_inbound_999_and_278_find_their_submission(engine: Engine, tmp_path: Path) -> None:
    box = folders(tmp_path)
    ledger = StoreTraceLedger(engine)
    await BatchGateway(box, ledger=ledger, trading=TRADING).submit(submission("GRP88812345"))
    (outbound,) = box.outbound.iterdir()
    sent = outbound.read_text()
    received = read_request(sent)
    ack = build_999(
        sent,
        sender=received.receiver,
        receiver=received.sender,
        controls=ControlNumbers(7, 7),
        now=NOW,
    )
    answer = response_278(received, action="A1", now=NOW, control=8, certification="AUTH1")
    (box.inbound).mkdir()
    (box.inbound / "0001-999.x12").write_text(ack)
    (box.inbound / "0002-278.x12").write_text(answer)
    (box.inbound / ".0003-278.x12.tmp").write_text("half a file")  # still being written
    sink = RecordingSink()
    mailbox = InboundMailbox(ledger, sink, requests_of("case-ch-1").get)
    results = await poll_inbound(box, mailbox)
    assert [(r.handled, r.case_id) for r in results] == [
        ("acknowledged", "case-ch-1"),
        ("applied", "case-ch-1"),
    ]
    ((_, decision),) = sink.decisions
    assert decision.items[0].outcome == ItemOutcome.APPROVED
    assert decision.items[0].authorization_number == "AUTH1"
    entry = ledger.find_trace(received.trace)
    assert entry is not None and (entry.state, entry.acknowledgment) == (TraceState.DECIDED, "A")
    assert [p.name for p in box.inbound.iterdir() if p.is_file()] == [".0003-278.x12.tmp"]


async def test_a_278_for_an_unknown_trace_goes_to_the_review_queue(
    engine: Engine, tmp_path: Path
) -> None:
    box = folders(tmp_path)
    box.inbound.mkdir(parents=True)
    (box.inbound / "approval.x12").write_text(corpus("approval_a1.x12"))
    sink = RecordingSink()
    results = await poll_inbound(
        box, InboundMailbox(StoreTraceLedger(engine), sink, lambda _: None)
    )
    assert [r.handled for r in results] == ["queued"]
    assert sink.decisions == []
    with read_session(engine) as session:
        (queued,) = list_unmatched(session=session)
    assert (queued.kind, queued.source, queued.trace_numbers) == (
        "278",
        "approval.x12",
        ["CASE0001"],
    )
    assert "no submission" in queued.reason and queued.case_id is None
    assert (box.review / "approval.x12").exists()


async def test_a_278_whose_case_is_gone_is_not_applied(engine: Engine, tmp_path: Path) -> None:
    box = folders(tmp_path)
    ledger = StoreTraceLedger(engine)
    await BatchGateway(box, ledger=ledger, trading=TRADING).submit(submission("GRP88812345"))
    (outbound,) = box.outbound.iterdir()
    received = read_request(outbound.read_text())
    box.inbound.mkdir()
    (box.inbound / "a.x12").write_text(response_278(received, action="A1", now=NOW, control=3))
    sink = RecordingSink()
    results = await poll_inbound(box, InboundMailbox(ledger, sink, lambda _: None))
    assert [r.handled for r in results] == ["queued"]
    assert sink.decisions == []
    with read_session(engine) as session:
        (queued,) = list_unmatched(session=session)
    assert "does not exist" in queued.reason


async def test_an_acknowledgment_of_a_control_number_we_never_sent_is_queued(
    engine: Engine, tmp_path: Path
) -> None:
    box = folders(tmp_path)
    box.inbound.mkdir(parents=True)
    (box.inbound / "ta1.x12").write_text(corpus("ta1_rejected.x12"))
    (box.inbound / "999.x12").write_text(corpus("999_accepted.x12"))
    (box.inbound / "junk.x12").write_text("not X12 at all")
    results = await poll_inbound(
        box, InboundMailbox(StoreTraceLedger(engine), RecordingSink(), lambda _: None)
    )
    assert sorted((r.kind, r.handled) for r in results) == [
        ("999", "queued"),
        ("TA1", "queued"),
        ("unreadable", "queued"),
    ]


async def test_a_rejecting_999_after_the_answer_goes_to_a_person(
    engine: Engine, tmp_path: Path
) -> None:
    box = folders(tmp_path)
    ledger = StoreTraceLedger(engine)
    gateway = BatchGateway(box, ledger=ledger, trading=TRADING)
    await gateway.submit(submission("GRP88812345", kind=SubmissionKind.INITIAL))
    (outbound,) = box.outbound.iterdir()
    received = read_request(outbound.read_text())
    from integrations.sandbox_clearinghouse.responses import rejecting_999

    box.inbound.mkdir()
    (box.inbound / "r.x12").write_text(rejecting_999(received, now=NOW, control=4))
    results = await poll_inbound(box, InboundMailbox(ledger, RecordingSink(), lambda _: None))
    assert [(r.handled, r.case_id) for r in results] == [("rejected", "case-ch-1")]
    entry = ledger.find_trace(received.trace)
    assert (
        entry is not None and entry.state is TraceState.REJECTED and "NM109" in (entry.error or "")
    )
    with read_session(engine) as session:
        (queued,) = list_unmatched(session=session)
    assert queued.case_id == "case-ch-1"
