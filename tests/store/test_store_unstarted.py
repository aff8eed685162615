"""The marker of cases whose workflow runs, and the permanent errors of a transition write.

A case is unmarked until its first recorded step (or the reconciler) marks it; the reconciler's
read goes through the partial index, so it stays cheap however many cases are marked.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, insert, text
from sqlmodel import SQLModel
from temporalio.exceptions import ApplicationError

from activities.case_store import CaseStoreActivities, StoreRejectedError
from activities.letters import LetterActivities, PlainTextRenderer
from activities.models import LetterInput, LetterRef
from activities.store_recorder import StoreRecorder
from domain.case.transition import Transition
from domain.case.vocabulary import CaseStatus
from domain.enums import DecisionSource, ItemOutcome
from domain.models import ItemDecision, PayerDecision
from store.cases import create_case
from store.database import connection_transaction, make_engine, read_session, transaction
from store.migrate import upgrade
from store.transitions import TransitionWrites
from store.unstarted import mark_started, unstarted_cases
from tests.store import samples

pytestmark = pytest.mark.postgres
CASES = SQLModel.metadata.tables["cases"]
LATER = datetime.now(UTC) + timedelta(hours=1)


def _create(engine: Engine, case_id: str) -> None:
    with transaction(engine) as session:
        create_case(
            session=session,
            case_id=case_id,
            request=samples.request(),
            received_at=samples.RECEIVED,
        )


def _unstarted(engine: Engine, **kwargs: object) -> list[str]:
    with read_session(engine) as session:
        found = unstarted_cases(
            session.connection(),
            created_before=kwargs.pop("created_before", LATER),  # type: ignore[arg-type]
            limit=kwargs.pop("limit", 100),  # type: ignore[arg-type]
            **kwargs,  # type: ignore[arg-type]
        )
    return [case.case_id for case in found]


def test_a_new_case_is_unstarted_until_its_first_step_is_recorded(engine: Engine) -> None:
    _create(engine, "case-a")
    _create(engine, "case-b")
    assert _unstarted(engine) == ["case-a", "case-b"]
    assert _unstarted(engine, created_before=datetime.now(UTC) - timedelta(minutes=5)) == []

    first = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
    for at in (first, first + timedelta(hours=1)):
        with connection_transaction(engine) as connection, TransitionWrites(connection) as w:
            w.set_case_state(case_id="case-a", status=CaseStatus.SUBMITTED, assignee=None, at=at)
    assert _unstarted(engine) == ["case-b"]
    with engine.connect() as connection:
        marked = connection.execute(
            text("SELECT workflow_started_at FROM cases WHERE case_id = 'case-a'")
        ).scalar_one()
    assert marked is not None
    assert str(marked).startswith("2026-03-04 12:00")  # the first step's moment is kept

    with connection_transaction(engine) as connection:
        assert mark_started(connection, ["case-b", "case-a"], datetime.now(UTC)) == 1
    assert _unstarted(engine) == []


def test_unstarted_cases_page_in_creation_order(engine: Engine) -> None:
    for name in ("p1", "p2", "p3", "p4", "p5"):
        _create(engine, f"case-{name}")
    with read_session(engine) as session:
        first = unstarted_cases(session.connection(), created_before=LATER, limit=2)
        rest = unstarted_cases(
            session.connection(),
            created_before=LATER,
            limit=10,
            after=(first[-1].created_at, first[-1].case_id),
        )
    assert [c.case_id for c in first + rest] == [f"case-p{i}" for i in range(1, 6)]
    assert all(case.status == CaseStatus.OPENED for case in rest)
    assert rest[0].request["member"]["member_id"] == "W123456789"  # what a start needs


def test_the_reconciler_reads_through_the_partial_index(engine: Engine) -> None:
    """20,000 marked cases and 3 unmarked: the read is an index search, not a table scan."""
    now = datetime.now(UTC)
    request = samples.request().model_dump(mode="json")
    rows = [
        {
            "case_id": f"bulk-{i:06d}",
            "case_number": f"PA-2026-{i:06d}",
            "status": "submitted",
            "regime": "medicare_advantage",
            "payer_id": "EXH01",
            "payer_name": "Example Health Plan",
            "urgency": "standard",
            "request": request,
            "received_at": now,
            "created_at": now - timedelta(minutes=10),
            "updated_at": now,
            "workflow_started_at": None if i % 7000 == 1 else now,
        }
        for i in range(20_000)
    ]
    with engine.begin() as connection:
        connection.execute(insert(CASES), rows)
        if engine.dialect.name == "postgresql":
            connection.execute(text("ANALYZE cases"))
    assert _unstarted(engine, created_before=now) == ["bulk-000001", "bulk-007001", "bulk-014001"]

    with read_session(engine) as session:
        connection = session.connection()
        where = "workflow_started_at IS NULL AND created_at < :cutoff ORDER BY created_at LIMIT 200"
        explain = "EXPLAIN QUERY PLAN" if engine.dialect.name == "sqlite" else "EXPLAIN"
        plan = connection.execute(
            text(f"{explain} SELECT case_id FROM cases WHERE {where}"), {"cutoff": now}
        ).all()
    assert "ix_cases_workflow_unstarted" in " ".join(str(row) for row in plan)


def _refused_record(case_id: str, dialect: str) -> Transition:
    """A step the store cannot hold, as a model without the limit would have let through
    (built without validation): on PostgreSQL a review action code longer than its column;
    SQLite keeps any length, so there a decision without its (NOT NULL) id."""
    item = ItemDecision.model_construct(
        sequence=1,
        review_action_code="X" * 40,
        review_action_display=None,
        outcome=ItemOutcome.NEEDS_HUMAN_REVIEW,
        authorization_number=None,
        approved_units=None,
        authorized_start=None,
        authorized_end=None,
        reason_code=None,
        reason_text=None,
        policy_cited=None,
        modification=None,
    )
    decision = PayerDecision.model_construct(
        decision_id=None if dialect == "sqlite" else "d-long",
        source=DecisionSource.MANUAL,
        decided_at=datetime.now(UTC),
        received_at=None,
        payer_reference=None,
        items=[item],
        note=None,
        notice_date=None,
    )
    record = Transition(
        case_id=case_id,
        key=f"{case_id}:case:00001",
        event="payer_decision",
        summary="decision",
        occurred_at=datetime.now(UTC),
    )
    return record.model_copy(update={"decision": decision})


def test_a_write_the_store_refuses_is_a_non_retryable_activity_error(engine: Engine) -> None:
    _create(engine, "case-long")
    record = _refused_record("case-long", engine.dialect.name)
    recorder = StoreRecorder(engine)
    with pytest.raises(StoreRejectedError) as raised:
        recorder.record_transition(record)
    assert raised.value.kind == (
        "IntegrityError" if engine.dialect.name == "sqlite" else "DataError"
    )

    with pytest.raises(ApplicationError) as failure:
        CaseStoreActivities(recorder).record_transition(record)
    assert failure.value.non_retryable
    assert failure.value.type == "StoreRejected"
    assert "XXXX" not in str(failure.value)  # the refused value is never quoted
    # Nothing of the step was kept (its audit event was rolled back with the rest).
    with engine.connect() as connection:
        events = connection.execute(text("SELECT count(*) FROM audit_events")).scalar_one()
    assert events == 0


def test_migration_0004_marks_the_cases_a_workflow_has_written_to(database_url: str) -> None:
    """Cases stored before the marker: past `opened` they are marked (a workflow wrote their
    status), `opened` ones stay for the reconciler to check with Temporal."""
    upgrade(database_url, "0002")
    engine = make_engine(database_url)
    try:
        now = datetime.now(UTC)
        with engine.begin() as connection:
            for case_id, status in (("old-opened", "opened"), ("old-denied", "denied")):
                connection.execute(
                    text(
                        "INSERT INTO cases (case_id, case_number, status, regime, payer_id, "
                        "payer_name, urgency, request, received_at, created_at, updated_at) "
                        "VALUES (:id, :number, :status, 'medicare_advantage', 'EXH01', 'Plan', "
                        "'standard', '{}', :now, :now, :now)"
                    ),
                    {"id": case_id, "number": f"PA-{case_id}", "status": status, "now": now},
                )
        upgrade(database_url)
        with engine.connect() as connection:
            marks = dict(
                connection.execute(text("SELECT case_id, workflow_started_at FROM cases")).all()
            )
        assert marks["old-opened"] is None
        assert marks["old-denied"] is not None
    finally:
        engine.dispose()


def test_a_letter_the_store_refuses_is_a_non_retryable_activity_error(engine: Engine) -> None:
    """The workflow takes it as "no letter" and asks for one by hand, instead of retrying."""

    class RefusingRecorder(StoreRecorder):
        def save_letter(self, case_id: str, key: str, **kwargs: Any) -> LetterRef:
            raise StoreRejectedError("DataError")

    _create(engine, "case-l")
    recorder = RefusingRecorder(engine)
    activities = LetterActivities(PlainTextRenderer(), recorder)
    with pytest.raises(ApplicationError) as failure:
        activities.render_letter(
            LetterInput(case_id="case-l", key="case-l:appeal-1:letter", kind="appeal")
        )
    assert failure.value.non_retryable
    assert failure.value.type == "StoreRejected"
