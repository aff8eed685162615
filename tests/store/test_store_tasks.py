"""Tasks: one per key, their state changes, and the UR queue's order."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, func
from sqlmodel import select

from domain.case.vocabulary import TaskKind
from store.cases import create_case
from store.database import transaction
from store.errors import InvalidTransitionError, NotFoundError
from store.records import TaskStatus
from store.tables import TaskRow
from store.tasks import get_task, list_tasks, ur_queue
from store.transitions import OpenTask
from tests.store import samples
from tests.store.writes import task_id, writing

T0 = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)


@pytest.fixture
def case_ids(engine: Engine) -> list[str]:
    ids = ["case-300", "case-301"]
    with transaction(engine) as session:
        for case_id in ids:
            create_case(
                session=session,
                case_id=case_id,
                request=samples.request(),
                received_at=samples.RECEIVED,
            )
    return ids


def test_a_retried_activity_creates_one_task(engine: Engine, case_ids: list[str]) -> None:
    for new, title in ((True, "Call payer: decision due tomorrow"), (False, "retry")):
        with writing(engine) as writes:
            assert new is writes.create_task(
                idempotency_key="case-300:12:call-payer",
                case_id="case-300",
                kind=TaskKind.PAYER_NEEDS_ATTENTION,
                title=title,
                due_at=T0,
                queue="ur",
                deadline_key="initial_decision",
            )
    with transaction(engine) as session:
        task = get_task(session=session, task_id=task_id(engine, "case-300:12:call-payer"))
        assert session.exec(select(func.count()).select_from(TaskRow)).one() == 1
    assert task.title == "Call payer: decision due tomorrow"
    assert task.status == TaskStatus.OPEN
    assert task.case_number == "PA-2026-000001"
    assert task.due_at == T0


def test_complete_reassign_cancel(engine: Engine, case_ids: list[str]) -> None:
    with writing(engine) as writes:
        writes.create_task(
            idempotency_key="k1",
            case_id="case-300",
            kind=TaskKind.INFORMATION_REQUESTED,
            title="Remind",
        )
        writes.create_task(
            idempotency_key="k2",
            case_id="case-300",
            kind=TaskKind.APPEAL_WINDOW_MISSED,
            title="Escalate",
            assignee="nurse.kim",
        )
    first, second = task_id(engine, "k1"), task_id(engine, "k2")
    t1, t2 = T0 + samples.hours(1), T0 + samples.hours(2)
    with writing(engine) as writes:
        writes.reassign_task(task_id=second, assignee="supervisor.ray", queue="leads", at=t1)
        writes.reassign_task(task_id=first, assignee=None, at=t1)  # the queue stays
        assert writes.close_task(task_id=first, status=TaskStatus.DONE, by="nurse.kim", at=t1)
        assert not writes.close_task(task_id=first, status=TaskStatus.DONE, by="someone", at=t2)
        with pytest.raises(InvalidTransitionError):
            writes.close_task(task_id=first, status=TaskStatus.CANCELLED, by="x", at=t2)
        with pytest.raises(InvalidTransitionError):
            writes.reassign_task(task_id=first, assignee="x", at=t2)
        assert writes.close_task(task_id=second, status=TaskStatus.CANCELLED, by="system", at=t2)
        with pytest.raises(InvalidTransitionError):
            writes.close_task(task_id=second, status=TaskStatus.DONE, by="x", at=t2)
        with pytest.raises(NotFoundError):
            writes.close_task(task_id=999_999, status=TaskStatus.DONE, by="x", at=t2)
        with pytest.raises(NotFoundError):
            writes.reassign_task(task_id=999_999, assignee="x", at=t2)
    with transaction(engine) as session:
        done = get_task(session=session, task_id=first)
        cancelled = get_task(session=session, task_id=second)
        with pytest.raises(NotFoundError):
            get_task(session=session, task_id=999_999)
    assert (done.status, done.completed_by, done.completed_at) == (TaskStatus.DONE, "nurse.kim", t1)
    assert (done.assignee, done.queue) == (None, None)
    assert (cancelled.status, cancelled.completed_by) == (TaskStatus.CANCELLED, "system")
    assert (cancelled.assignee, cancelled.queue) == ("supervisor.ray", "leads")


def test_cancel_open_tasks_of_a_deadline(engine: Engine, case_ids: list[str]) -> None:
    with writing(engine) as writes:
        for index, key in enumerate(["initial_decision", "initial_decision", "appeal_filing"]):
            writes.create_task(
                idempotency_key=f"case-300:{index}",
                case_id="case-300",
                kind=TaskKind.INFORMATION_REQUESTED,
                title="Reminder",
                deadline_key=key,
            )

    def of_the_deadline(task: OpenTask) -> tuple[TaskStatus, str] | None:
        return (TaskStatus.CANCELLED, "system") if task.deadline_key == "initial_decision" else None

    with writing(engine) as writes:
        cancelled = writes.close_open_tasks_where(case_id="case-300", decide=of_the_deadline, at=T0)
    assert cancelled == 2
    with transaction(engine) as session:
        open_tasks = list_tasks(session=session, case_id="case-300", status=TaskStatus.OPEN)
    assert [t.deadline_key for t in open_tasks] == ["appeal_filing"]


def test_ur_queue_lists_open_tasks_most_urgent_first(engine: Engine, case_ids: list[str]) -> None:
    dues = [T0 + samples.hours(h) for h in (30, -5, 2, 10)] + [None]
    with writing(engine) as writes:
        for index, due in enumerate(dues):
            writes.create_task(
                idempotency_key=f"q{index}",
                case_id=case_ids[index % 2],
                kind=TaskKind.PEER_TO_PEER,
                title=f"Review {index}",
                due_at=due,
                queue="ur",
                assignee="nurse.kim" if index % 2 else None,
            )
    with writing(engine) as writes:
        writes.close_task(
            task_id=task_id(engine, "q2"), status=TaskStatus.DONE, by="nurse.kim", at=T0
        )
    with transaction(engine) as session:
        page = ur_queue(session=session, queue="ur")
        assert page.total == 4
        assert [t.title for t in page.items] == ["Review 1", "Review 3", "Review 0", "Review 4"]
        assert [t.case_number for t in page.items[:2]] == ["PA-2026-000002"] * 2
        second_page = ur_queue(session=session, queue="ur", limit=2, offset=2)
        assert [t.title for t in second_page.items] == ["Review 0", "Review 4"]
        assert second_page.total == 4
        mine = ur_queue(session=session, assignee="nurse.kim")
        assert [t.title for t in mine.items] == ["Review 1", "Review 3"]
        due_soon = ur_queue(session=session, due_before=T0 + samples.hours(12))
        assert [t.title for t in due_soon.items] == ["Review 1", "Review 3"]
        with pytest.raises(ValueError):
            ur_queue(session=session, limit=0)


def test_ur_queue_pages_several_queues_in_due_order(engine: Engine, case_ids: list[str]) -> None:
    with writing(engine) as writes:
        for index in range(6):
            writes.create_task(
                idempotency_key=f"m{index}",
                case_id=case_ids[0],
                kind=TaskKind.PEER_TO_PEER,
                title=f"Task {index}",
                due_at=T0 + samples.hours(index),
                queue=["ur", "supervisor", "assignee"][index % 3],
            )
    with transaction(engine) as session:
        page = ur_queue(session=session, queues={"ur", "supervisor"}, limit=2, offset=1)
        assert [t.title for t in page.items] == ["Task 1", "Task 3"]
        assert page.total == 4
        with pytest.raises(ValueError, match="offset"):
            ur_queue(session=session, queues={"ur"}, offset=1_000_001)
