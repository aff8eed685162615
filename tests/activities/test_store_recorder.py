"""`StoreRecorder` on the real store: tasks closed by transitions, appeals upserted, retries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from activities.store_recorder import StoreRecorder
from domain.appeals import AppealLevel
from domain.case.read_model import Appeal
from domain.case.transition import TaskClosure, TaskSpec, Transition
from domain.case.vocabulary import AppealStatus
from domain.escalation import TaskQueue
from domain.models import CaseDeadline, Obligor
from store import appeals, cases, deadlines, tasks
from store.database import read_session, transaction
from store.records import TaskStatus
from tests.workflows.conftest import request

pytestmark = pytest.mark.postgres
T0 = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
CASE = "rec0001"


def window(**changes: object) -> CaseDeadline:
    deadline = CaseDeadline(
        key="appeal_filing_window",
        label="File the appeal",
        obligor=Obligor.PROVIDER,
        due_at=T0 + timedelta(days=65),
        rule="42 CFR 422.582(b)",
        rule_id="ma.appeal.filing",
        convention="calendar_days",
        explanation="65 days from the notice.",
        starts_at=T0,
    )
    return deadline.model_copy(update=changes)


def step(seq: int, **fields: object) -> Transition:
    return Transition.model_validate(
        {
            "case_id": CASE,
            "key": f"{CASE}:case:{seq:05d}",
            "event": "step",
            "summary": f"step {seq}",
            "occurred_at": T0 + timedelta(hours=seq),
            **fields,
        }
    )


def task(kind: str, seq: int, deadline_key: str | None = None) -> TaskSpec:
    return TaskSpec(
        key=f"{CASE}:case:task:{kind}:{seq:05d}",
        kind=kind,
        queue=TaskQueue.UR,
        title=kind,
        due_at=window().due_at if deadline_key else None,
        deadline_key=deadline_key,
    )


def states(engine: Engine) -> dict[str, tuple[TaskStatus, str | None]]:
    with read_session(engine) as session:
        return {
            t.idempotency_key.split(":")[3]: (t.status, t.completed_by)
            for t in tasks.list_tasks(session=session, case_id=CASE)
        }


def test_transitions_close_tasks_once_and_upsert_the_appeal(engine: Engine) -> None:
    with transaction(engine) as session:
        cases.create_case(session=session, case_id=CASE, request=request(), received_at=T0)
    recorder = StoreRecorder(engine)
    denial = step(
        1,
        deadlines=[window()],
        tasks=[task("adverse_decision", 1), task("reminder", 1, "appeal_filing_window")],
    )
    assert recorder.record_transition(denial)
    appeal = Appeal(level=AppealLevel.PLAN_RECONSIDERATION, number=1, sequences=[1])
    filed = step(
        2,
        close_tasks=[TaskClosure(kind="adverse_decision", status="done", by="cm-ann")],
        tasks=[task("sign_appeal_letter", 2)],
        appeal=appeal,
    )
    assert recorder.record_transition(filed)
    assert states(engine) == {
        "adverse_decision": (TaskStatus.DONE, "cm-ann"),
        "reminder": (TaskStatus.OPEN, None),  # the window is still open
        "sign_appeal_letter": (TaskStatus.OPEN, None),
    }
    submitted = step(
        3,
        deadlines=[window(met_at=T0 + timedelta(hours=3))],
        close_tasks=[TaskClosure(kind="sign_appeal_letter", status="done", by="dr-b")],
        appeal=appeal.model_copy(
            update={"status": AppealStatus.SUBMITTED, "filed_at": T0 + timedelta(hours=3)}
        ),
    )
    assert recorder.record_transition(submitted)
    # A retry of an older step after later ones changes nothing (and closes nothing again).
    assert not recorder.record_transition(filed)
    assert not recorder.record_transition(submitted)
    assert states(engine) == {
        "adverse_decision": (TaskStatus.DONE, "cm-ann"),
        "reminder": (TaskStatus.CANCELLED, "system"),
        "sign_appeal_letter": (TaskStatus.DONE, "dr-b"),
    }
    with read_session(engine) as session:
        [stored] = appeals.list_appeals(session=session, case_id=CASE)
        assert stored.status == AppealStatus.SUBMITTED
        assert stored.filed_at == T0 + timedelta(hours=3)
        [recorded] = deadlines.list_deadlines(session=session, case_id=CASE)
        assert recorded.met_at == T0 + timedelta(hours=3)
        closed = tasks.list_tasks(session=session, case_id=CASE, status=TaskStatus.DONE)
        assert {t.completed_at for t in closed} == {
            T0 + timedelta(hours=2),
            T0 + timedelta(hours=3),
        }


def test_a_closing_step_retried_spares_tasks_created_after_it(engine: Engine) -> None:
    with transaction(engine) as session:
        cases.create_case(session=session, case_id=CASE, request=request(), received_at=T0)
    recorder = StoreRecorder(engine)
    close_all = step(1, close_tasks=[TaskClosure(by="cm-ann")])
    assert recorder.record_transition(step(0, tasks=[task("old", 0)]))
    assert recorder.record_transition(close_all)
    assert recorder.record_transition(step(2, tasks=[task("new", 2)]))
    assert not recorder.record_transition(close_all)
    assert states(engine) == {
        "old": (TaskStatus.CANCELLED, "cm-ann"),
        "new": (TaskStatus.OPEN, None),
    }
