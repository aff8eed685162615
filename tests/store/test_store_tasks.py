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
from store.tasks import (
    cancel_open_tasks,
    cancel_task,
    complete_task,
    create_task,
    get_task,
    list_tasks,
    reassign_task,
    ur_queue,
)
from tests.store import samples

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
    for title in ("Call payer: decision due tomorrow", "retry"):
        with transaction(engine) as session:
            task = create_task(
                session=session,
                idempotency_key="case-300:12:call-payer",
                case_id="case-300",
                kind=TaskKind.PAYER_NEEDS_ATTENTION,
                title=title,
                due_at=T0,
                queue="ur",
                deadline_key="initial_decision",
            )
    assert task.title == "Call payer: decision due tomorrow"
    assert task.status == TaskStatus.OPEN
    assert task.case_number == "PA-2026-000001"
    assert task.due_at == T0
    with transaction(engine) as session:
        assert session.exec(select(func.count()).select_from(TaskRow)).one() == 1


def test_complete_reassign_cancel(engine: Engine, case_ids: list[str]) -> None:
    with transaction(engine) as session:
        first = create_task(
            session=session,
            idempotency_key="k1",
            case_id="case-300",
            kind=TaskKind.INFORMATION_REQUESTED,
            title="Remind",
        )
        second = create_task(
            session=session,
            idempotency_key="k2",
            case_id="case-300",
            kind=TaskKind.APPEAL_WINDOW_MISSED,
            title="Escalate",
            assignee="nurse.kim",
        )
    with transaction(engine) as session:
        moved = reassign_task(
            session=session, task_id=second.task_id, assignee="supervisor.ray", queue="leads"
        )
        assert (moved.assignee, moved.queue) == ("supervisor.ray", "leads")
        done = complete_task(session=session, task_id=first.task_id, completed_by="nurse.kim")
        again = complete_task(session=session, task_id=first.task_id, completed_by="someone")
        assert done.status == again.status == TaskStatus.DONE
        assert again.completed_by == "nurse.kim"
        with pytest.raises(InvalidTransitionError):
            cancel_task(session=session, task_id=first.task_id, cancelled_by="x")
        with pytest.raises(InvalidTransitionError):
            reassign_task(session=session, task_id=first.task_id, assignee="x")
        cancelled = cancel_task(session=session, task_id=second.task_id, cancelled_by="system")
        assert cancelled.status == TaskStatus.CANCELLED
        with pytest.raises(InvalidTransitionError):
            complete_task(session=session, task_id=second.task_id, completed_by="x")
        with pytest.raises(NotFoundError):
            get_task(session=session, task_id=999_999)


def test_cancel_open_tasks_of_a_deadline(engine: Engine, case_ids: list[str]) -> None:
    with transaction(engine) as session:
        for index, key in enumerate(["initial_decision", "initial_decision", "appeal_filing"]):
            create_task(
                session=session,
                idempotency_key=f"case-300:{index}",
                case_id="case-300",
                kind=TaskKind.INFORMATION_REQUESTED,
                title="Reminder",
                deadline_key=key,
            )
        cancelled = cancel_open_tasks(
            session=session,
            case_id="case-300",
            deadline_key="initial_decision",
            cancelled_by="system",
        )
        assert cancelled == 2
        open_tasks = list_tasks(session=session, case_id="case-300", status=TaskStatus.OPEN)
    assert [t.deadline_key for t in open_tasks] == ["appeal_filing"]


def test_ur_queue_lists_open_tasks_most_urgent_first(engine: Engine, case_ids: list[str]) -> None:
    dues = [T0 + samples.hours(h) for h in (30, -5, 2, 10)] + [None]
    with transaction(engine) as session:
        tasks = [
            create_task(
                session=session,
                idempotency_key=f"q{index}",
                case_id=case_ids[index % 2],
                kind=TaskKind.PEER_TO_PEER,
                title=f"Review {index}",
                due_at=due,
                queue="ur",
                assignee="nurse.kim" if index % 2 else None,
            )
            for index, due in enumerate(dues)
        ]
        complete_task(session=session, task_id=tasks[2].task_id, completed_by="nurse.kim")
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
    with transaction(engine) as session:
        for index in range(6):
            create_task(
                session=session,
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
