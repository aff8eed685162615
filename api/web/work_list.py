"""The rows of a work list: a page of case summaries decorated with the patient, service and
next clock (`store.work_rows`), and the filter form that chose them.

Shared by My work and the escalation page. Every term a person types travels in a POST body,
never in a URL (a patient's name is PHI); every listed case's PHI read is recorded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from api.security import Actor
from api.web import clock_display
from domain.case.vocabulary import CaseStatus
from domain.enums import Regime
from store.queries import list_cases
from store.records import CaseFilter, CasePage, CaseState, CaseSummary, WorkRowFacts
from store.work_rows import work_row_facts

PAGE_SIZE = 50
CASE_NUMBER = re.compile(r"^(PA-?)?\d{4}-\d{1,6}$|^\d{3,6}$", re.IGNORECASE)
DUE_WITHIN_DAYS = (1, 3, 7, 14)


class WorkFilters(BaseModel):
    """The filter form of a work list (all optional; empty strings mean "any")."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    show: str = "mine"  # mine | team (every case the person may see)
    status: CaseStatus | None = None
    payer: str = Field(default="", max_length=60)
    regime: Regime | None = None
    due_within: int | None = Field(default=None, ge=1, le=365)
    q: str = Field(default="", max_length=64)
    cursor: str = Field(default="", max_length=2000)


@dataclass(frozen=True)
class WorkRow:
    case: CaseSummary
    facts: WorkRowFacts | None
    stage: clock_display.Stage


@dataclass(frozen=True)
class WorkPage:
    rows: list[WorkRow]
    total: int
    total_capped: bool
    next_cursor: str | None


def case_filter(filters: WorkFilters, actor: Actor, now: datetime) -> CaseFilter:
    return CaseFilter(
        state=CaseState.OPEN if filters.status is None else CaseState.ALL,
        status=[filters.status] if filters.status else None,
        assignee=actor.name if filters.show == "mine" else None,
        payer_id=filters.payer or None,
        regime=filters.regime,
        due_before=now + timedelta(days=filters.due_within) if filters.due_within else None,
    )


def load_page(session: Session, filters: WorkFilters, actor: Actor, now: datetime) -> WorkPage:
    if filters.q:
        page = _search(session, filters.q, actor)
    else:
        page = list_cases(
            session=session,
            filters=case_filter(filters, actor, now),
            limit=PAGE_SIZE,
            cursor=filters.cursor or None,
            scope=actor.scope,
        )
    facts = work_row_facts(session, [case.case_id for case in page.items])
    rows = [_row(case, facts.get(case.case_id), now) for case in page.items]
    return WorkPage(rows, page.total, page.total_capped, page.next_cursor)


def _search(session: Session, term: str, actor: Actor) -> CasePage:
    """One box for case number, member id or patient name: a case number when it looks like
    one, else member-id prefix matches, else patient-name prefix matches."""
    tries: list[dict[str, Any]] = ([{"search": term}] if CASE_NUMBER.match(term) else []) + [
        {"member_id": term},
        {"patient_name": term},
    ]
    page: CasePage | None = None
    for terms in tries:
        page = list_cases(
            session=session,
            filters=CaseFilter(state=CaseState.ALL, **terms),
            limit=PAGE_SIZE,
            scope=actor.scope,
        )
        if page.items:
            return page
    assert page is not None
    return page


def _row(case: CaseSummary, facts: WorkRowFacts | None, now: datetime) -> WorkRow:
    clock = facts.next_clock if facts else None
    stage = (
        clock_display.stage(clock.due_at, now, starts_at=clock.starts_at)
        if clock
        else clock_display.Stage.NONE
    )
    return WorkRow(case=case, facts=facts, stage=stage)
