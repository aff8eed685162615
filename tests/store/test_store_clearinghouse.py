"""The clearinghouse trace ledger and review queue on SQLite and PostgreSQL: one trace per
submission key, control numbers that identify it, the kept decision, the queue a person works."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from domain.clearinghouse_ledger import TraceState, trace_number_for
from store.clearinghouse import (
    StoreTraceLedger,
    list_unmatched,
    resolve_unmatched,
    traces_of_case,
)
from store.database import read_session, transaction

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


def test_a_submission_key_has_one_trace_however_often_it_is_reserved(engine: Engine) -> None:
    ledger = StoreTraceLedger(engine)
    first = ledger.reserve(
        submission_key="c1:submit:1", case_id="c1", kind="initial", payer_id="ACMEHP", now=NOW
    )
    # A restarted worker (a new ledger on the same store) reserves the same submission again.
    again = StoreTraceLedger(engine).reserve(
        submission_key="c1:submit:1",
        case_id="c1",
        kind="initial",
        payer_id="ACMEHP",
        now=NOW + timedelta(minutes=5),
    )
    other = ledger.reserve(
        submission_key="c1:resubmit:2",
        case_id="c1",
        kind="resubmission",
        payer_id="ACMEHP",
        now=NOW,
    )
    assert again == first
    assert first.trace_number == trace_number_for("c1:submit:1")
    assert first.state is TraceState.SENDING and first.sent_at is None
    assert other.trace_number != first.trace_number
    assert other.control_number != first.control_number
    assert ledger.find_control_number(first.control_number) == first
    with read_session(engine) as session:
        assert [e.submission_key for e in traces_of_case(session=session, case_id="c1")] == [
            "c1:submit:1",
            "c1:resubmit:2",
        ]


def test_the_ledger_keeps_attempts_state_and_the_last_decision(engine: Engine) -> None:
    ledger = StoreTraceLedger(engine)
    entry = ledger.reserve(
        submission_key="c2:submit:1", case_id="c2", kind="initial", payer_id="ACMEHP", now=NOW
    )
    ledger.mark_attempt(entry.trace_number, NOW)
    ledger.mark_attempt(entry.trace_number, NOW + timedelta(seconds=30))
    ledger.record(
        entry.trace_number, state=TraceState.PENDED, now=NOW, decision={"decision_id": "d1"}
    )
    ledger.record(entry.trace_number, state=TraceState.PENDED, now=NOW, acknowledgment="A")
    found = ledger.find_trace(entry.trace_number)
    assert found is not None
    assert (found.attempts, found.sent_at) == (2, NOW)
    assert (found.state, found.acknowledgment) == (TraceState.PENDED, "A")
    assert found.decision == {"decision_id": "d1"}
    assert ledger.find_trace("PA-NOT-SENT") is None


def test_the_review_queue_lists_open_messages_until_a_person_resolves_them(
    engine: Engine,
) -> None:
    ledger = StoreTraceLedger(engine)
    first = ledger.queue_for_review(
        source="a.x12",
        kind="278",
        trace_numbers=["T1"],
        case_id=None,
        reason="no submission was sent with this trace number",
        payload="ISA...",
        now=NOW,
    )
    second = ledger.queue_for_review(
        source="realtime",
        kind="999",
        trace_numbers=[],
        case_id="c3",
        reason="rejected",
        payload="ISA...",
        now=NOW + timedelta(seconds=1),
    )
    with transaction(engine) as session:
        resolved = resolve_unmatched(
            session=session, message_id=first.id, actor="ur:pat", now=NOW + timedelta(hours=1)
        )
    assert resolved.resolved_by == "ur:pat"
    with read_session(engine) as session:
        assert [m.id for m in list_unmatched(session=session)] == [second.id]
        everything = list_unmatched(session=session, include_resolved=True)
    assert [m.id for m in everything] == [first.id, second.id]
    assert everything[0].trace_numbers == ["T1"]
