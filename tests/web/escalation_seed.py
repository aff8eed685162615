"""Escalation tasks for the web tests: cases with a running payer clock, tasks on the UR and
supervisor queues (written through the store's writer, as the escalation ladder writes them),
and the people of two teams who work them."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine
from sqlmodel import col, select

from domain.case.transition import Transition
from domain.case.vocabulary import CaseStatus, escalation_task_kind
from store import tasks as store_tasks
from store.cases import create_case
from store.database import read_session, transaction
from store.records import TaskRecord
from store.tables import AuditEventRow, TaskRow
from store.types import utcnow
from tests.store import samples
from tests.store.writes import writing
from tests.web.conftest import add_person


def open_case(engine: Engine, case_id: str, *, team: str, last_name: str, due_in: timedelta) -> str:
    """A submitted case whose payer clock (`initial_decision`) is due in `due_in`."""
    now = utcnow()
    member = {**samples.request().member.model_dump(mode="json"), "last_name": last_name}
    with transaction(engine) as session:
        case = create_case(
            session=session,
            case_id=case_id,
            request=samples.request(member=member, codes=("E0601",)),
            received_at=now - timedelta(days=2),
            team=team,
        )
    with writing(engine) as writes:
        writes.record(
            Transition(
                case_id=case_id,
                key=f"{case_id}:test:1",
                event="case_submitted",
                summary="submitted",
                occurred_at=now,
                status=CaseStatus.SUBMITTED,
                deadlines=[samples.deadline(due=now + due_in, starts_at=now - timedelta(days=2))],
            )
        )
    return case.case_number


def escalate(
    engine: Engine,
    case_id: str,
    *,
    rung: str = "eighty",
    queue: str = "ur",
    due_in: timedelta,
    assignee: str | None = None,
    kind: str | None = None,
) -> TaskRecord:
    key = f"{case_id}:rung:{rung}"
    with writing(engine) as writes:
        writes.create_task(
            idempotency_key=key,
            case_id=case_id,
            kind=kind or escalation_task_kind(rung),
            title=f"{rung}: payer deadline approaching",
            due_at=utcnow() + due_in,
            assignee=assignee,
            queue=queue,
            deadline_key="initial_decision",
        )
    return task_by_key(engine, key)


def task_by_key(engine: Engine, key: str) -> TaskRecord:
    with read_session(engine) as session:
        row = session.exec(select(TaskRow).where(TaskRow.idempotency_key == key)).one()
        assert row.id is not None
        return store_tasks.get_task(session=session, task_id=row.id)


def reread(engine: Engine, task: TaskRecord) -> TaskRecord:
    with read_session(engine) as session:
        return store_tasks.get_task(session=session, task_id=task.task_id)


def audit_actions(engine: Engine, case_id: str) -> list[str]:
    with read_session(engine) as session:
        return list(
            session.exec(
                select(AuditEventRow.action)
                .where(AuditEventRow.case_id == case_id)
                .order_by(col(AuditEventRow.sequence))
            ).all()
        )


def seed_world(engine: Engine) -> dict[str, TaskRecord]:
    """UR staff Uma and Ulrich (team ortho), Bea (UR, team cardio), supervisor Sam (admin),
    case manager Casey (ortho); escalation tasks on ortho and cardio cases."""
    add_person(engine, "uma", role="ur_staff", teams=("ortho",))
    add_person(engine, "ulrich", role="ur_staff", teams=("ortho", "spine"))
    add_person(engine, "bea", role="ur_staff", teams=("cardio",))
    add_person(engine, "sam", role="admin", teams=("ortho",))
    add_person(engine, "casey", role="case_manager", teams=("ortho",))
    numbers = {
        name: open_case(engine, f"case-{name}", team=team, last_name=last, due_in=due)
        for name, team, last, due in (
            ("late", "ortho", "Hartley", -timedelta(hours=3)),
            ("soon", "ortho", "Okafor", timedelta(hours=2)),
            ("later", "ortho", "Novak", timedelta(hours=9)),
            ("other", "ortho", "Quist", timedelta(days=1)),
            ("theirs", "ortho", "Ramos", timedelta(hours=1)),
            ("cardio", "cardio", "Zeller", timedelta(hours=1)),
        )
    }
    tasks = {
        "late": escalate(
            engine, "case-late", rung="missed", queue="supervisor", due_in=-timedelta(hours=3)
        ),
        "later": escalate(engine, "case-later", due_in=timedelta(hours=9)),
        "soon": escalate(engine, "case-soon", due_in=timedelta(hours=2), assignee="uma"),
        "other": escalate(engine, "case-other", due_in=timedelta(days=1), kind="store_rejected"),
        "theirs": escalate(engine, "case-theirs", due_in=timedelta(hours=1), assignee="ulrich"),
        "cardio": escalate(engine, "case-cardio", due_in=timedelta(hours=1)),
    }
    assert {name: task.case_number for name, task in tasks.items()} == numbers
    return tasks
