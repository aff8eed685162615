"""Deadlines by key with revisions, the case's next due moment, and appeals by level."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, func
from sqlmodel import select

from domain.appeals import AppealLevel
from domain.case.vocabulary import AppealStatus
from domain.models import Obligor
from store.appeals import get_appeal, list_appeals, upsert_appeal
from store.cases import create_case, get_case_summary
from store.database import transaction
from store.deadlines import (
    list_deadlines,
    mark_deadline_met,
    upsert_deadline,
)
from store.errors import NotFoundError
from store.tables import AppealRow, DeadlineRow
from tests.store import samples

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


def test_same_deadline_twice_is_one_row(engine: Engine, case_id: str) -> None:
    for _ in range(2):
        with transaction(engine) as session:
            stored = upsert_deadline(
                session=session, case_id=case_id, deadline=samples.deadline(due=DUE)
            )
    assert stored == samples.deadline(due=DUE)
    assert stored.due_at.tzinfo is UTC
    with transaction(engine) as session:
        assert session.exec(select(func.count()).select_from(DeadlineRow)).one() == 1
        assert get_case_summary(session=session, case_id=case_id).next_due_at == DUE


def test_a_new_due_moment_supersedes_the_old_one(engine: Engine, case_id: str) -> None:
    extended = DUE + samples.hours(14 * 24)
    with transaction(engine) as session:
        upsert_deadline(session=session, case_id=case_id, deadline=samples.deadline(due=DUE))
        upsert_deadline(
            session=session,
            case_id=case_id,
            deadline=samples.deadline(due=extended, explanation="14-day extension taken"),
        )
        current = list_deadlines(session=session, case_id=case_id)
        history = list_deadlines(session=session, case_id=case_id, include_superseded=True)
        summary = get_case_summary(session=session, case_id=case_id)
    assert [d.due_at for d in current] == [extended]
    assert [(d.due_at, d.superseded) for d in history] == [(DUE, True), (extended, False)]
    assert summary.next_due_at == extended


def test_next_due_is_the_earliest_open_deadline(engine: Engine, case_id: str) -> None:
    appeal_due = DUE + samples.hours(60 * 24)
    with transaction(engine) as session:
        upsert_deadline(session=session, case_id=case_id, deadline=samples.deadline(due=DUE))
        upsert_deadline(
            session=session,
            case_id=case_id,
            deadline=samples.deadline(
                "appeal_filing", due=appeal_due, obligor=Obligor.PROVIDER, label="File appeal"
            ),
        )
        assert get_case_summary(session=session, case_id=case_id).next_due_at == DUE
        met = mark_deadline_met(
            session=session,
            case_id=case_id,
            key="initial_decision",
            met_at=datetime(2026, 3, 4, 22, 0, tzinfo=UTC),
        )
        assert met.met_at == datetime(2026, 3, 4, 22, 0, tzinfo=UTC)
        assert get_case_summary(session=session, case_id=case_id).next_due_at == appeal_due
        # Withdrawn: superseded in place, nothing is due any more.
        upsert_deadline(
            session=session,
            case_id=case_id,
            deadline=samples.deadline(
                "appeal_filing",
                due=appeal_due,
                obligor=Obligor.PROVIDER,
                label="File appeal",
                superseded=True,
            ),
        )
        assert get_case_summary(session=session, case_id=case_id).next_due_at is None
    with pytest.raises(NotFoundError), transaction(engine) as session:
        mark_deadline_met(session=session, case_id=case_id, key="nope", met_at=DUE)


def test_appeals_upsert_by_level(engine: Engine, case_id: str) -> None:
    filed = datetime(2026, 3, 20, 15, 0, tzinfo=samples.CHICAGO)
    with transaction(engine) as session:
        first = upsert_appeal(session=session, case_id=case_id, appeal=samples.appeal())
        assert first == samples.appeal()
        upsert_appeal(
            session=session,
            case_id=case_id,
            appeal=samples.appeal(status=AppealStatus.SUBMITTED, filed_at=filed),
        )
        upsert_appeal(
            session=session,
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
