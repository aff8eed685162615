"""Deadlines by key with revisions, the case's next due moment, and appeals by level, as the
store's writer (`store.transitions`) keeps them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, func
from sqlmodel import select

from domain.appeals import AppealLevel
from domain.case.vocabulary import AppealStatus
from domain.models import CaseDeadline, Obligor
from store.appeals import get_appeal, list_appeals
from store.cases import create_case, get_case_summary
from store.database import transaction
from store.deadlines import list_deadlines
from store.errors import NotFoundError
from store.tables import AppealRow, DeadlineRow
from tests.store import samples
from tests.store.writes import writing

DUE = datetime(2026, 3, 9, 23, 59, tzinfo=samples.CHICAGO)


@pytest.fixture
def case_id(engine: Engine) -> str:
    with transaction(engine) as session:
        create_case(
            session=session,
            case_id="case-100",
            request=samples.request(),
            received_at=samples.RECEIVED,
        )
    return "case-100"


def _put(engine: Engine, case_id: str, *deadlines: CaseDeadline) -> None:
    with writing(engine) as writes:
        writes.put_deadlines(case_id=case_id, deadlines=list(deadlines))


def test_same_deadline_twice_is_one_row(engine: Engine, case_id: str) -> None:
    for _ in range(2):
        _put(engine, case_id, samples.deadline(due=DUE))
    with transaction(engine) as session:
        [stored] = list_deadlines(session=session, case_id=case_id, include_superseded=True)
        assert session.exec(select(func.count()).select_from(DeadlineRow)).one() == 1
        assert get_case_summary(session=session, case_id=case_id).next_due_at == DUE
    assert stored == samples.deadline(due=DUE)
    assert stored.due_at.tzinfo is UTC


def test_a_new_due_moment_supersedes_the_old_one(engine: Engine, case_id: str) -> None:
    extended = DUE + samples.hours(14 * 24)
    _put(engine, case_id, samples.deadline(due=DUE))
    _put(engine, case_id, samples.deadline(due=extended, explanation="14-day extension taken"))
    with transaction(engine) as session:
        current = list_deadlines(session=session, case_id=case_id)
        history = list_deadlines(session=session, case_id=case_id, include_superseded=True)
        summary = get_case_summary(session=session, case_id=case_id)
    assert [d.due_at for d in current] == [extended]
    assert [(d.due_at, d.superseded) for d in history] == [(DUE, True), (extended, False)]
    assert summary.next_due_at == extended


def test_next_due_is_the_earliest_open_deadline(engine: Engine, case_id: str) -> None:
    appeal_due = DUE + samples.hours(60 * 24)
    appeal = samples.deadline(
        "appeal_filing", due=appeal_due, obligor=Obligor.PROVIDER, label="File appeal"
    )

    def next_due() -> datetime | None:
        with transaction(engine) as session:
            return get_case_summary(session=session, case_id=case_id).next_due_at

    _put(engine, case_id, samples.deadline(due=DUE), appeal)
    assert next_due() == DUE
    met_at = datetime(2026, 3, 4, 22, 0, tzinfo=UTC)
    _put(engine, case_id, samples.deadline(due=DUE, met_at=met_at))  # met: updated in place
    with transaction(engine) as session:
        [met, _] = list_deadlines(session=session, case_id=case_id, include_superseded=True)
    assert (met.key, met.met_at, met.superseded) == ("initial_decision", met_at, False)
    assert next_due() == appeal_due
    # Withdrawn: superseded in place, nothing is due any more.
    _put(engine, case_id, appeal.model_copy(update={"superseded": True}))
    assert next_due() is None


def test_appeals_upsert_by_level(engine: Engine, case_id: str) -> None:
    filed = datetime(2026, 3, 20, 15, 0, tzinfo=samples.CHICAGO)
    with writing(engine) as writes:
        writes.upsert_appeal(case_id=case_id, appeal=samples.appeal())
    with transaction(engine) as session:
        assert list_appeals(session=session, case_id=case_id) == [samples.appeal()]
    with writing(engine) as writes:
        writes.upsert_appeal(
            case_id=case_id,
            appeal=samples.appeal(status=AppealStatus.SUBMITTED, filed_at=filed),
        )
        writes.upsert_appeal(
            case_id=case_id,
            appeal=samples.appeal(level=AppealLevel.IRE_RECONSIDERATION, number=2),
        )
    with transaction(engine) as session:
        appeals = list_appeals(session=session, case_id=case_id)
        assert session.exec(select(func.count()).select_from(AppealRow)).one() == 2
        level_one = get_appeal(
            session=session, case_id=case_id, level=AppealLevel.PLAN_RECONSIDERATION
        )
    assert [a.number for a in appeals] == [1, 2]
    assert level_one.status == AppealStatus.SUBMITTED
    assert level_one.filed_at == filed
    assert level_one.arguments == samples.appeal().arguments
    with pytest.raises(NotFoundError), transaction(engine) as session:
        get_appeal(session=session, case_id=case_id, level=AppealLevel.ALJ_HEARING)
