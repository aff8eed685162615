"""Group commit: queued units share one transaction, a bad unit fails alone, the chain holds.

Batches are forced, not hoped for: a first unit holds the writer (inside its transaction)
until the other threads' units are seen in the committer's queue, so they are certainly
taken along by the next writer together. Every wait has a timeout, so a bug fails, never hangs.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, TypeVar

import pytest
from sqlalchemy import Connection, Engine, event
from sqlalchemy import select as sa_select
from sqlmodel import col, select

from activities.case_store import CaseNotFoundError
from activities.models import EscalationInput
from activities.store_recorder import StoreRecorder
from domain.case.transition import TaskSpec, Transition
from domain.case.vocabulary import CaseStatus
from domain.escalation import TaskQueue
from store import cases, tasks
from store.audit import timeline, verify_chain
from store.database import connection_transaction, read_session, session_on, transaction
from store.errors import IdempotencyConflictError, NotFoundError
from store.group_commit import GroupCommit
from store.records import AuditEvent, CaseSummary, VerifyResult
from store.tables import AuditEventRow, CaseRow
from store.transitions import TransitionWrites
from tests.store import samples

T = TypeVar("T")
AT = datetime(2026, 3, 4, 16, 30, tzinfo=UTC)
WAIT = 20.0  # seconds: a bound for waits that end at once when the code works


class CommitCounter:
    """Counts the COMMITs of an engine's connections (a `commit` event listener)."""

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()

    def __call__(self, _connection: object) -> None:
        with self._lock:
            self.count += 1


@pytest.fixture
def commits(engine: Engine) -> Iterator[CommitCounter]:
    counter = CommitCounter()
    event.listen(engine, "commit", counter)
    try:
        yield counter
    finally:
        event.remove(engine, "commit", counter)


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.001)


def hold_writer(
    committer: GroupCommit, first: Callable[[Connection], T], jobs: Sequence[Callable[[], Any]]
) -> tuple[Future[T], list[Future[Any]]]:
    """Run `first` through `committer`; while it holds the writer (inside its transaction),
    start each job in a thread of its own, one at a time, each only once the previous one's
    unit is in the committer's queue (so the queue holds them in `jobs` order); then let
    `first` commit. Each job must queue exactly one unit (`committer.run`) before anything
    else. Returns the futures of `first` and of the jobs, all done."""
    entered, release = threading.Event(), threading.Event()

    def blocker(connection: Connection) -> T:
        result = first(connection)
        entered.set()
        if not release.wait(WAIT):
            raise TimeoutError("the test never released the first unit")
        return result

    with ThreadPoolExecutor(max_workers=len(jobs) + 1) as pool:
        try:
            held = pool.submit(committer.run, blocker)
            wait_for(lambda: entered.is_set() or held.done(), "the first unit to hold the writer")
            assert entered.is_set(), held.result()
            futures: list[Future[Any]] = []
            for queued, job in enumerate(jobs, start=1):
                futures.append(pool.submit(job))
                wait_for(partial(_queued, committer, queued), f"{queued} units in the queue")
        finally:
            release.set()
    return held, futures


def _queued(committer: GroupCommit, count: int) -> bool:
    with committer._queue_guard:
        return len(committer._queue) == count


def append_unit(
    key: str, *, action: str = "step", case_id: str | None = None
) -> Callable[[Connection], AuditEvent]:
    """A unit of work that appends one audit event through the store's writer and returns the
    event stored under `key` (the earlier one, for a key seen before)."""

    def work(connection: Connection) -> AuditEvent:
        with TransitionWrites(connection) as writes:
            writes.append_event_once(
                idempotency_key=key,
                action=action,
                actor="system",
                summary=f"{action} {key}",
                case_id=case_id,
                details={"key": key},
                occurred_at=AT,
            )
        events = AuditEventRow.__table__
        row = (
            connection.execute(sa_select(events).where(events.c.idempotency_key == key))
            .mappings()
            .one()
        )
        return AuditEvent.model_validate(dict(row))

    return work


def stored_events(engine: Engine) -> dict[str, AuditEvent]:
    """Every audit event, by idempotency key."""
    with read_session(engine) as session:
        rows = session.exec(select(AuditEventRow).order_by(col(AuditEventRow.sequence))).all()
        events = [AuditEvent.model_validate(row, from_attributes=True) for row in rows]
    return {e.idempotency_key: e for e in events}


def verify(engine: Engine) -> VerifyResult:
    with read_session(engine) as session:
        return verify_chain(session=session, batch_size=7)  # several batches


def test_queued_units_share_one_transaction(engine: Engine, commits: CommitCounter) -> None:
    committer = GroupCommit(engine)
    keys = [f"queued:{n}" for n in range(5)]
    ran_on: dict[str, int] = {}

    def unit(key: str) -> Callable[[Connection], AuditEvent]:
        append = append_unit(key)

        def work(connection: Connection) -> AuditEvent:
            ran_on[key] = threading.get_ident()
            return append(connection)

        return work

    held, futures = hold_writer(
        committer, unit("first"), [partial(committer.run, unit(key)) for key in keys]
    )
    first = held.result()
    results = [future.result() for future in futures]

    # Each caller got its own unit's result; the batch ran in arrival order, chained after the
    # first unit's event exactly as separate transactions would have.
    assert first.idempotency_key == "first" and first.sequence == 1
    assert [r.idempotency_key for r in results] == keys
    assert [r.sequence for r in results] == [2, 3, 4, 5, 6]
    # Two transactions: the first unit's, then one for the five units queued behind it,
    # all run by one writer thread.
    assert commits.count == 2
    assert len({ran_on[key] for key in keys}) == 1
    assert stored_events(engine) == {e.idempotency_key: e for e in [first, *results]}
    assert verify(engine) == VerifyResult(events_checked=6, last_sequence=6)
    assert committer._queue == []


def test_a_batch_takes_at_most_max_batch_units(engine: Engine, commits: CommitCounter) -> None:
    committer = GroupCommit(engine, max_batch=2)
    keys = [f"queued:{n}" for n in range(5)]
    held, futures = hold_writer(
        committer, append_unit("first"), [partial(committer.run, append_unit(k)) for k in keys]
    )
    results = [held.result(), *(future.result() for future in futures)]
    assert [r.idempotency_key for r in results] == ["first", *keys]
    assert [r.sequence for r in results] == [1, 2, 3, 4, 5, 6]
    assert commits.count == 1 + 3  # the first unit, then batches of 2, 2 and 1
    assert verify(engine) == VerifyResult(events_checked=6, last_sequence=6)


@pytest.mark.parametrize(
    ("kind", "position", "error"),
    [
        ("value-error", 0, ValueError),
        ("idempotency-conflict", 3, IdempotencyConflictError),
        ("unknown-case", 5, NotFoundError),
    ],
)
def test_a_failing_unit_in_a_batch_fails_alone(
    engine: Engine,
    commits: CommitCounter,
    kind: str,
    position: int,
    error: type[Exception],
) -> None:
    committer = GroupCommit(engine)
    good_keys = [f"queued:{n}" for n in range(5)]

    def bad(connection: Connection) -> AuditEvent:
        written = append_unit("bad")(connection)  # written first: must not survive
        if kind == "value-error":
            raise ValueError("a bad unit")
        if kind == "idempotency-conflict":  # queued:0, earlier in the same batch, has "step"
            append_unit("queued:0", action="another-action")(connection)
        else:
            with TransitionWrites(connection) as writes:
                writes.set_case_state(case_id="no-such-case", status=None, assignee=None, at=AT)
        return written

    units: list[Callable[[Connection], AuditEvent]] = [append_unit(key) for key in good_keys]
    units.insert(position, bad)
    held, futures = hold_writer(
        committer, append_unit("first"), [partial(committer.run, unit) for unit in units]
    )
    assert held.result().sequence == 1
    bad_future = futures.pop(position)

    # The bad unit's caller gets its own exception, the store's typed error included.
    with pytest.raises(error) as caught:
        bad_future.result()
    if kind == "unknown-case":
        assert str(caught.value) == "case no-such-case not found"
    # The others' writes are committed, once each, still in arrival order.
    results = [future.result() for future in futures]
    assert [r.idempotency_key for r in results] == good_keys
    assert [r.sequence for r in results] == [2, 3, 4, 5, 6]
    events = stored_events(engine)
    assert events == {e.idempotency_key: e for e in [held.result(), *results]}
    assert "bad" not in events
    assert events["queued:0"].action == "step"
    assert verify(engine) == VerifyResult(events_checked=6, last_sequence=6)
    # The failed batch was rolled back and each unit ran again alone: the first unit's commit
    # and one per good unit; the bad unit's own transaction rolled back too.
    assert commits.count == 1 + len(good_keys)


class Interrupt(BaseException):
    """Not an Exception: what a KeyboardInterrupt or a cancelled thread looks like."""


def test_an_interrupted_batch_leaves_no_caller_waiting(
    engine: Engine, commits: CommitCounter
) -> None:
    committer = GroupCommit(engine)

    def interrupted(connection: Connection) -> AuditEvent:
        append_unit("interrupted")(connection)
        raise Interrupt

    units = [append_unit("queued:0"), interrupted, append_unit("queued:2")]
    held, futures = hold_writer(
        committer, append_unit("first"), [partial(committer.run, unit) for unit in units]
    )
    assert held.result().sequence == 1
    # Nothing is retried after an interrupt: the writer's caller sees the interrupt, the callers
    # whose units it had taken along an error; nobody waits for ever, nothing is half-written.
    errors = [future.exception() for future in futures]
    assert sum(isinstance(e, Interrupt) for e in errors) == 1
    others = [e for e in errors if not isinstance(e, Interrupt)]
    assert len(others) == 2
    assert all(isinstance(e, RuntimeError) and "interrupted" in str(e) for e in others)
    assert set(stored_events(engine)) == {"first"}
    assert commits.count == 1
    # The committer still works.
    assert committer.run(append_unit("after")).sequence == 2
    assert committer._queue == []
    assert verify(engine) == VerifyResult(events_checked=2, last_sequence=2)


def test_batched_appends_from_many_threads_chain(engine: Engine, commits: CommitCounter) -> None:
    committer = GroupCommit(engine)
    threads, per_thread = 8, 5

    def worker(thread: int) -> list[AuditEvent]:
        return [
            committer.run(append_unit(f"t{thread}:{n}", case_id=f"case-{thread}"))
            for n in range(per_thread)
        ]

    # Each thread's first unit queues behind the first one: at least those 8 share a batch.
    held, futures = hold_writer(
        committer, append_unit("first"), [partial(worker, t) for t in range(threads)]
    )
    returned = [held.result(), *(e for future in futures for e in future.result())]
    total = 1 + threads * per_thread

    assert sorted(e.sequence for e in returned) == list(range(1, total + 1))
    for future in futures:  # each thread's units in its own order
        sequences = [e.sequence for e in future.result()]
        assert sequences == sorted(sequences)
    # Every caller got the event as stored, hash and link included.
    assert stored_events(engine) == {e.idempotency_key: e for e in returned}
    result = verify(engine)
    assert result.ok, result.broken
    assert (result.events_checked, result.last_sequence) == (total, total)
    with read_session(engine) as session:
        assert [e.idempotency_key for e in timeline(session=session, case_id="case-3")] == [
            f"t3:{n}" for n in range(per_thread)
        ]
    # The first unit's transaction, one for the 8 forced together, at most one for each other.
    assert commits.count <= 1 + 1 + threads * (per_thread - 1)


def through_transaction(engine: Engine) -> Callable[[Callable[[Connection], Any]], Any]:
    def run(work: Callable[[Connection], Any]) -> Any:
        with connection_transaction(engine) as connection:
            return work(connection)

    return run


def through_group_commit(engine: Engine) -> Callable[[Callable[[Connection], Any]], Any]:
    return GroupCommit(engine).run


@pytest.mark.parametrize(
    "runner", [through_transaction, through_group_commit], ids=["transaction", "group-commit"]
)
def test_a_unit_alone_behaves_like_a_transaction(
    engine: Engine,
    commits: CommitCounter,
    runner: Callable[[Engine], Callable[[Callable[[Connection], Any]], Any]],
) -> None:
    run = runner(engine)
    written = run(append_unit("alone:1"))
    assert (written.idempotency_key, written.sequence) == ("alone:1", 1)
    assert commits.count == 1
    assert stored_events(engine) == {"alone:1": written}

    error = ValueError("a bad unit")

    def failing(connection: Connection) -> None:
        append_unit("alone:2")(connection)
        raise error

    with pytest.raises(ValueError) as caught:
        run(failing)
    assert caught.value is error
    with pytest.raises(IdempotencyConflictError):
        run(append_unit("alone:1", action="another-action"))
    assert commits.count == 1  # both rolled back
    assert stored_events(engine) == {"alone:1": written}

    assert run(append_unit("alone:1")) == written  # a retry: the stored event, nothing new
    assert run(append_unit("alone:3")).sequence == 2
    assert commits.count == 3
    assert verify(engine) == VerifyResult(events_checked=2, last_sequence=2)


T0 = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
STATUSES = [
    CaseStatus.SUBMITTED,
    CaseStatus.PENDED,
    CaseStatus.DENIED,
    CaseStatus.IN_APPEAL,
    CaseStatus.APPROVED,
]


def transition(case_id: str, seq: int) -> Transition:
    return Transition(
        case_id=case_id,
        key=f"{case_id}:case:{seq:05d}",
        event="step",
        summary=f"step {seq}",
        occurred_at=T0 + timedelta(hours=seq),
        status=STATUSES[seq - 1],
        assignee=f"cm-{seq}",
        tasks=[
            TaskSpec(
                key=f"{case_id}:case:task:{seq:05d}",
                kind="follow_up",
                queue=TaskQueue.ASSIGNEE,
                title=f"follow up {seq}",
            )
        ],
    )


def escalation(case_id: str) -> EscalationInput:
    return EscalationInput(
        case_id=case_id,
        key=f"{case_id}:escalation:1",
        task=TaskSpec(
            key=f"{case_id}:escalation:task:1",
            kind="escalation",
            queue=TaskQueue.SUPERVISOR,
            title="Decision overdue",
        ),
        summary="decision overdue",
        occurred_at=T0 + timedelta(days=1),
    )


def test_recorder_transitions_from_many_threads_are_recorded_once(
    engine: Engine, commits: CommitCounter
) -> None:
    case_ids = [f"gc{n:04d}" for n in range(4)]
    with transaction(engine) as session:
        for case_id in case_ids:
            cases.create_case(
                session=session,
                case_id=case_id,
                request=samples.request(),
                received_at=samples.RECEIVED,
            )
    recorder = StoreRecorder(engine)

    def record_case(case_id: str) -> list[tuple[bool, bool]]:
        # Each step twice in a row, as an activity retry after a lost reply would.
        recorded = [
            (recorder.record_transition(record), recorder.record_transition(record))
            for record in (transition(case_id, seq) for seq in range(1, 6))
        ]
        escalated = escalation(case_id)
        recorded.append(
            (recorder.record_escalation(escalated), recorder.record_escalation(escalated))
        )
        return recorded

    # The four cases' first steps and a step of an unknown case are forced into one batch.
    jobs: list[Callable[[], object]] = [partial(record_case, case_id) for case_id in case_ids]
    jobs.insert(2, partial(recorder.record_transition, transition("gcnone", 1)))
    held, futures = hold_writer(recorder.commits, append_unit("first"), jobs)
    held.result()
    unknown = futures.pop(2)
    with pytest.raises(CaseNotFoundError):
        unknown.result()
    for future in futures:
        assert future.result() == [(True, False)] * 6

    with read_session(engine) as session:
        for case_id in case_ids:
            events = timeline(session=session, case_id=case_id)
            assert [e.idempotency_key for e in events] == [
                *(f"{case_id}:case:{seq:05d}" for seq in range(1, 6)),
                f"{case_id}:escalation:1",
            ]
            summary = cases.get_case_summary(session=session, case_id=case_id)
            assert (summary.status, summary.assignee) == (CaseStatus.APPROVED, "cm-5")
            recorded_tasks = tasks.list_tasks(session=session, case_id=case_id)
            assert sorted(t.idempotency_key for t in recorded_tasks) == sorted(
                [
                    *(f"{case_id}:case:task:{seq:05d}" for seq in range(1, 6)),
                    f"{case_id}:escalation:task:1",
                ]
            )
        assert timeline(session=session, case_id="gcnone") == []
    assert "gcnone:case:00001" not in stored_events(engine)
    total = 1 + len(case_ids) * 6
    assert verify(engine) == VerifyResult(events_checked=total, last_sequence=total)


def test_concurrent_retries_of_one_step_in_one_batch_record_it_once(engine: Engine) -> None:
    with transaction(engine) as session:
        cases.create_case(
            session=session, case_id="gc0001", request=samples.request(), received_at=T0
        )
    recorder = StoreRecorder(engine)
    step = transition("gc0001", 1)
    # Both attempts in one transaction: the second sees the first's (uncommitted) event.
    held, futures = hold_writer(
        recorder.commits,
        append_unit("first"),
        [partial(recorder.record_transition, step) for _ in range(2)],
    )
    held.result()
    assert [future.result() for future in futures] == [True, False]
    with read_session(engine) as session:
        assert [e.idempotency_key for e in timeline(session=session, case_id="gc0001")] == [
            step.key
        ]
        assert [t.idempotency_key for t in tasks.list_tasks(session=session, case_id="gc0001")] == [
            "gc0001:case:task:00001"
        ]


def test_a_unit_reads_what_earlier_units_of_its_batch_wrote(engine: Engine) -> None:
    with transaction(engine) as session:
        cases.create_case(
            session=session, case_id="gc0001", request=samples.request(), received_at=T0
        )
    committer = GroupCommit(engine)

    def load_row(connection: Connection) -> CaseRow:
        with session_on(connection) as session:
            row = session.get(CaseRow, "gc0001")
            assert row is not None
            return row

    def assign(connection: Connection) -> None:  # an UPDATE the loaded row does not see
        with TransitionWrites(connection) as writes:
            writes.set_case_state(
                case_id="gc0001", status=CaseStatus.PENDED, assignee="cm-1", at=T0
            )

    def read_summary(connection: Connection) -> CaseSummary:
        with session_on(connection) as session:
            return cases.get_case_summary(session=session, case_id="gc0001")

    held, futures = hold_writer(
        committer,
        append_unit("first"),
        [partial(committer.run, unit) for unit in (load_row, assign, read_summary)],
    )
    held.result()
    row, _, summary = (future.result() for future in futures)
    # The third unit reads the row afresh, not the object the first one loaded.
    assert (summary.status, summary.assignee) == (CaseStatus.PENDED, "cm-1")
    # A returned ORM row stays readable, as it was when its unit ran.
    assert (row.case_id, row.status, row.assignee) == ("gc0001", "opened", None)
