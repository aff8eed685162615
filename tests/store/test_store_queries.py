"""Case listings: every filter, sorting, pagination, and speed on 10,000+ cases."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, insert

from domain.case.vocabulary import CaseStatus
from domain.enums import Regime
from store.cases import create_case
from store.database import read_session, transaction
from store.queries import list_cases
from store.records import CaseFilter, CaseSort
from store.tables import CaseRow
from store.transitions import TransitionWrites
from tests.store import samples

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
KIM = ["case-a01", "case-a03", "case-a06"]


@pytest.fixture
def cases(engine: Engine) -> Engine:
    """Six cases across payers, regimes, assignees, statuses and due moments."""
    specs = [
        # case id, payer, regime, assignee, status, due (hours from NOW), codes
        ("case-a01", "EXH01", "medicare_advantage", "nurse.kim", "submitted", -3, ("27447",)),
        ("case-a02", "EXH01", "medicare_advantage", "nurse.lee", "pended", 5, ("20610",)),
        ("case-a03", "ACME7", "erisa_group", "nurse.kim", "denied", 48, ("27447", "20610")),
        ("case-a04", "ACME7", "erisa_group", None, "submitted", -1, ("29881",)),
        ("case-a05", "EXH01", "aca_individual", None, "closed", -10, ("27447",)),
        ("case-a06", "EXH01", "medicare_advantage", "nurse.kim", "opened", None, ("27447",)),
    ]
    with transaction(engine) as session:
        for index, (case_id, payer, regime, assignee, status, due, codes) in enumerate(specs):
            create_case(
                session=session,
                case_id=case_id,
                request=samples.request(payer_id=payer, regime=regime, codes=codes),
                received_at=samples.RECEIVED + timedelta(hours=index),
                assignee=assignee,
            )
            with TransitionWrites(session.connection()) as writes:
                writes.set_case_state(
                    case_id=case_id, status=CaseStatus(status), assignee=assignee, at=NOW
                )
                if due is not None:
                    deadline = samples.deadline(due=NOW + timedelta(hours=due))
                    writes.put_deadlines(case_id=case_id, deadlines=[deadline])
    return engine


def _ids(engine: Engine, **filters: object) -> list[str]:
    with read_session(engine) as session:
        page = list_cases(session=session, filters=CaseFilter.model_validate(filters))
    assert page.total == len(page.items)
    return [c.case_id for c in page.items]


def test_default_order_is_by_next_due_moment(cases: Engine) -> None:
    assert _ids(cases) == ["case-a05", "case-a01", "case-a04", "case-a02", "case-a03", "case-a06"]
    assert _ids(cases, sort=CaseSort.NEWEST)[:2] == ["case-a06", "case-a05"]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"status": ["submitted"]}, ["case-a01", "case-a04"]),
        ({"status": ["pended", "denied"]}, ["case-a02", "case-a03"]),
        ({"assignee": "nurse.kim"}, KIM),
        ({"unassigned": True}, ["case-a05", "case-a04"]),
        ({"payer_id": "ACME7"}, ["case-a04", "case-a03"]),
        ({"regime": Regime.ERISA_GROUP}, ["case-a04", "case-a03"]),
        ({"service_code": "20610"}, ["case-a02", "case-a03"]),
        ({"service_code": " 29881 "}, ["case-a04"]),
        ({"due_before": NOW}, ["case-a05", "case-a01", "case-a04"]),
        ({"overdue_as_of": NOW}, ["case-a01", "case-a04"]),  # closed cases are not overdue
        ({"search": "000003"}, ["case-a03"]),
        (
            {"search": "pa-2026-00000", "assignee": "nurse.kim"},
            ["case-a01", "case-a03", "case-a06"],
        ),
        ({"search": "%"}, []),  # LIKE wildcards are text
        ({"payer_id": "EXH01", "assignee": "nurse.kim", "status": ["submitted"]}, ["case-a01"]),
    ],
)
def test_filters(cases: Engine, filters: dict[str, object], expected: list[str]) -> None:
    assert _ids(cases, **filters) == expected


def test_pagination_reports_the_total(cases: Engine) -> None:
    with read_session(cases) as session:
        pages = [
            list_cases(session=session, limit=4, offset=0),
            list_cases(session=session, limit=4, offset=4),
        ]
    assert [p.total for p in pages] == [6, 6]
    assert [len(p.items) for p in pages] == [4, 2]
    assert {c.case_id for p in pages for c in p.items} == {f"case-a0{n}" for n in range(1, 7)}


def test_listing_stays_fast_on_ten_thousand_cases(engine: Engine) -> None:
    payload = samples.request().model_dump(mode="json")
    statuses = ["submitted", "pended", "denied", "approved", "closed"]
    rows = [
        {
            "case_id": f"bulk-{n:05d}",
            "case_number": f"PA-2025-{n:06d}",
            "status": statuses[n % 5],
            "regime": "medicare_advantage" if n % 3 else "erisa_group",
            "payer_id": f"PAYER{n % 40:02d}",
            "payer_name": "Example Health Plan",
            "assignee": f"nurse.{n % 25}",
            "urgency": "standard",
            "request": payload,
            "received_at": NOW - timedelta(minutes=n),
            "created_at": NOW,
            "updated_at": NOW,
            "next_due_at": NOW + timedelta(minutes=(n * 37) % 20_000 - 10_000),
        }
        for n in range(10_000)
    ]
    with transaction(engine) as session:
        session.exec(insert(CaseRow), params=rows)
    filters = [
        CaseFilter(),
        CaseFilter(status=[CaseStatus.PENDED], assignee="nurse.1"),
        CaseFilter(overdue_as_of=NOW, payer_id="PAYER07"),
        CaseFilter(search="001234"),
    ]
    with read_session(engine) as session:
        list_cases(session=session)  # warm up
        started = time.perf_counter()
        pages = [
            list_cases(session=session, filters=f, limit=50, offset=100, count_cap=None)
            for f in filters
        ]
        elapsed = time.perf_counter() - started
    assert pages[0].total == 10_000
    assert len(pages[0].items) == 50
    assert pages[1].total == 400
    assert all(c.status == CaseStatus.PENDED for c in pages[1].items)
    assert pages[3].total == 1
    assert elapsed < 2.0, f"four list queries on 10,000 cases took {elapsed:.2f}s"
