"""Cases, decisions, contacts: round trips through the database and idempotent writes."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, func
from sqlmodel import select

from domain.case.transition import Transition
from domain.case.vocabulary import CaseStatus
from domain.enums import ItemOutcome, Regime, Urgency
from store.cases import (
    create_case,
    get_case,
    get_case_summary,
    get_request,
    next_case_number,
)
from store.database import transaction
from store.errors import ConflictError, IdempotencyConflictError, NotFoundError
from store.tables import (
    AuditEventRow,
    CaseRow,
    ContactRow,
    DecisionItemRow,
    DecisionRow,
    ServiceLineRow,
)
from store.transitions import TransitionWrites
from tests.store import samples
from tests.store.writes import writing


def _count(engine: Engine, table: type) -> int:
    with transaction(engine) as session:
        return session.exec(select(func.count()).select_from(table)).one()


def test_full_case_round_trip(engine: Engine) -> None:
    request = samples.request(codes=("27447", "20610"))
    with transaction(engine) as session:
        created = create_case(
            session=session, case_id="case-001", request=request, received_at=samples.RECEIVED
        )
        with TransitionWrites(session.connection()) as writes:
            writes.insert_decision(case_id="case-001", decision=samples.denial())
            writes.add_contact(
                idempotency_key="case-001:c1", case_id="case-001", entry=samples.call()
            )
    with transaction(engine) as session:
        case = get_case(session=session, case_id="case-001")

    assert case == created.model_copy(
        update={"decisions": case.decisions, "contacts": case.contacts}
    )
    assert case.request == request
    assert case.request.member.address is not None
    assert case.request.service_lines[1].code == "20610"
    assert case.case_number == f"PA-2026-{1:06d}"
    assert case.received_at == samples.RECEIVED
    assert case.received_at.tzinfo is UTC
    [decision] = case.decisions
    assert decision == samples.denial()
    assert decision.decided_at.tzinfo is UTC
    assert decision.received_at == datetime(2026, 3, 4, 22, 31, 5, 123456, tzinfo=UTC)
    assert decision.items[0].outcome == ItemOutcome.DENIED
    assert case.contacts == [samples.call()]
    assert case.contacts[0].occurred_at.tzinfo is UTC


def test_get_request_reads_only_the_request(engine: Engine) -> None:
    request = samples.request(codes=("27447", "20610"))
    with transaction(engine) as session:
        create_case(
            session=session, case_id="case-003", request=request, received_at=samples.RECEIVED
        )
        with TransitionWrites(session.connection()) as writes:
            writes.insert_decision(case_id="case-003", decision=samples.denial())
    with transaction(engine) as session:
        found = get_request(session=session, case_id="case-003")
    assert found == request
    assert found.member.address is not None


def test_get_request_of_an_unknown_case_is_not_found(engine: Engine) -> None:
    with pytest.raises(NotFoundError), transaction(engine) as session:
        get_request(session=session, case_id="nope-000")


def test_summary_has_the_listing_columns(engine: Engine) -> None:
    request = samples.request(regime="erisa_group", urgency="expedited", payer_id="ACME7")
    with transaction(engine) as session:
        create_case(
            session=session,
            case_id="case-002",
            request=request,
            received_at=samples.RECEIVED,
            assignee="nurse.kim",
        )
        summary = get_case_summary(session=session, case_id="case-002")
    assert summary.regime == Regime.ERISA_GROUP
    assert summary.urgency == Urgency.EXPEDITED
    assert summary.payer_id == "ACME7"
    assert summary.assignee == "nurse.kim"
    assert summary.status == CaseStatus.OPENED
    assert summary.closed_at is None
    assert summary.created_at.tzinfo is UTC


def test_create_case_is_idempotent_by_case_id(engine: Engine) -> None:
    request = samples.request()
    for _ in range(2):
        with transaction(engine) as session:
            case = create_case(
                session=session, case_id="case-003", request=request, received_at=samples.RECEIVED
            )
            assert case.case_number == "PA-2026-000001"
    assert _count(engine, CaseRow) == 1
    assert _count(engine, ServiceLineRow) == 1
    # The retry did not consume a case number.
    with transaction(engine) as session:
        assert next_case_number(session=session, year=2026) == "PA-2026-000002"


def test_a_different_request_under_the_same_case_id_is_refused(engine: Engine) -> None:
    with transaction(engine) as session:
        create_case(
            session=session,
            case_id="case-004",
            request=samples.request(),
            received_at=samples.RECEIVED,
        )
    with pytest.raises(IdempotencyConflictError), transaction(engine) as session:
        create_case(
            session=session,
            case_id="case-004",
            request=samples.request(codes=("29881",)),
            received_at=samples.RECEIVED,
        )


def test_a_caller_chosen_case_number_is_kept_and_unique(engine: Engine) -> None:
    with transaction(engine) as session:
        case = create_case(
            session=session,
            case_id="case-005",
            request=samples.request(),
            received_at=samples.RECEIVED,
            case_number="LEGACY-77",
        )
    assert case.case_number == "LEGACY-77"
    with pytest.raises(ConflictError), transaction(engine) as session:
        create_case(
            session=session,
            case_id="case-006",
            request=samples.request(),
            received_at=samples.RECEIVED,
            case_number="LEGACY-77",
        )


def test_naive_received_at_and_bad_case_ids_are_refused(engine: Engine) -> None:
    with transaction(engine) as session:
        with pytest.raises(ValueError, match="naive"):
            create_case(
                session=session,
                case_id="case-007",
                request=samples.request(),
                received_at=datetime(2026, 3, 2, 9, 15),
            )
        with pytest.raises(ValueError, match="case_id"):
            create_case(
                session=session,
                case_id="bad id!",
                request=samples.request(),
                received_at=samples.RECEIVED,
            )


def test_case_numbers_are_unique_and_gap_free_under_concurrency(engine: Engine) -> None:
    def open_case(index: int) -> str:
        with transaction(engine) as session:
            case = create_case(
                session=session,
                case_id=f"conc-{index:03d}",
                request=samples.request(),
                received_at=samples.RECEIVED,
            )
            return case.case_number

    with ThreadPoolExecutor(max_workers=4) as pool:
        numbers = list(pool.map(open_case, range(24)))
    assert sorted(numbers) == [f"PA-2026-{n:06d}" for n in range(1, 25)]


def test_case_numbers_count_per_year(engine: Engine) -> None:
    with transaction(engine) as session:
        assert next_case_number(session=session, year=2026) == "PA-2026-000001"
        assert next_case_number(session=session, year=2026) == "PA-2026-000002"
        assert next_case_number(session=session, year=2027) == "PA-2027-000001"


def test_the_writer_sets_status_assignee_and_next_due(engine: Engine) -> None:
    due = datetime(2026, 3, 9, 23, 59, tzinfo=samples.CHICAGO)
    at = datetime(2026, 3, 4, 16, 30, tzinfo=UTC)
    with transaction(engine) as session:
        create_case(
            session=session,
            case_id="case-008",
            request=samples.request(),
            received_at=samples.RECEIVED,
            assignee="nurse.kim",
        )
    with writing(engine) as writes:
        writes.set_case_state(
            case_id="case-008", status=CaseStatus.SUBMITTED, assignee="nurse.kim", at=at
        )
        writes.put_deadlines(case_id="case-008", deadlines=[samples.deadline(due=due)])
    with transaction(engine) as session:
        summary = get_case_summary(session=session, case_id="case-008")
    assert (summary.status, summary.assignee) == (CaseStatus.SUBMITTED, "nurse.kim")
    assert summary.next_due_at == due
    with writing(engine) as writes:
        writes.set_case_state(case_id="case-008", status=CaseStatus.CLOSED, assignee=None, at=at)
    with transaction(engine) as session:
        summary = get_case_summary(session=session, case_id="case-008")
        case = get_case(session=session, case_id="case-008")
    assert summary.assignee is None
    assert summary.closed_at == at
    assert summary.next_due_at == due
    assert summary.next_due_at is not None and summary.next_due_at.tzinfo is UTC
    assert case.status == CaseStatus.CLOSED
    with pytest.raises(NotFoundError), writing(engine) as writes:
        writes.set_case_state(case_id="nope-000", status=CaseStatus.CLOSED, assignee=None, at=at)


def test_decisions_are_recorded_once_per_decision_id(engine: Engine) -> None:
    with transaction(engine) as session:
        create_case(
            session=session,
            case_id="case-009",
            request=samples.request(codes=("27447", "20610")),
            received_at=samples.RECEIVED,
        )
    for new in (True, False):
        with writing(engine) as writes:
            assert new is writes.insert_decision(
                case_id="case-009", decision=samples.approval(sequences=(1, 2))
            )
    # A redelivery with other content changes nothing: the first write wins.
    with writing(engine) as writes:
        assert not writes.insert_decision(
            case_id="case-009", decision=samples.approval(sequences=(1,))
        )
    with transaction(engine) as session:
        assert get_case(session=session, case_id="case-009").decisions == [
            samples.approval(sequences=(1, 2))
        ]
    assert _count(engine, DecisionRow) == 1
    assert _count(engine, DecisionItemRow) == 2
    with writing(engine) as writes:
        writes.insert_decision(case_id="case-009", decision=samples.denial("dec-xyz"))
    with transaction(engine) as session:
        case = get_case(session=session, case_id="case-009")
    assert [d.decision_id for d in case.decisions] == ["dec-xyz", "dec-002"]  # by decided_at
    assert case.latest_item_decisions()[1].authorization_number == "AUTH-0001"


def test_a_step_of_an_unknown_case_is_not_found_and_writes_nothing(engine: Engine) -> None:
    step = Transition(
        case_id="nope-000",
        key="nope-000:case:00001",
        event="payer_decision",
        summary="decided",
        occurred_at=samples.RECEIVED,
        decision=samples.denial(),
    )
    with pytest.raises(NotFoundError), writing(engine) as writes:
        writes.record(step)
    assert _count(engine, DecisionRow) == 0
    assert _count(engine, AuditEventRow) == 0


def test_contacts_are_logged_once_per_key(engine: Engine) -> None:
    with transaction(engine) as session:
        create_case(
            session=session,
            case_id="case-010",
            request=samples.request(),
            received_at=samples.RECEIVED,
        )
    for new, summary in ((True, "first"), (False, "retry with other text")):
        with writing(engine) as writes:
            assert new is writes.add_contact(
                idempotency_key="case-010:5:call",
                case_id="case-010",
                entry=samples.call(summary),
                recorded_by="nurse.kim",
            )
    with transaction(engine) as session:
        [entry] = get_case(session=session, case_id="case-010").contacts
    assert entry.summary == "first"
    assert _count(engine, ContactRow) == 1
