"""Engines, units of work and the UTC column type."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, update
from sqlalchemy.exc import StatementError

from store.cases import create_case, get_case_summary
from store.database import (
    connection_transaction,
    make_engine,
    normalize_url,
    read_session,
    session_on,
    transaction,
)
from store.errors import NotFoundError
from store.migrate import upgrade_engine
from store.tables import CaseRow
from store.transitions import TransitionWrites
from tests.store import samples

AT = datetime(2026, 3, 4, 16, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("url", "driver"),
    [
        ("postgresql://u@db:5432/pa", "postgresql+psycopg"),
        ("postgres://u@db/pa", "postgresql+psycopg"),
        ("postgresql+psycopg://u@db/pa", "postgresql+psycopg"),
        ("sqlite:///var/priorauth.db", "sqlite"),
    ],
)
def test_urls_get_the_psycopg_driver(url: str, driver: str) -> None:
    assert normalize_url(url).drivername == driver


def test_sqlite_connections_are_configured(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'nested' / 'store.db'}")
    try:
        with read_session(engine) as session:
            pragmas = {
                name: session.connection().exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("journal_mode", "foreign_keys", "busy_timeout")
            }
        assert pragmas == {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 30_000}
    finally:
        engine.dispose()


def test_a_failed_unit_of_work_leaves_nothing(engine: Engine) -> None:
    with pytest.raises(NotFoundError), transaction(engine) as session:
        create_case(
            session=session,
            case_id="case-500",
            request=samples.request(),
            received_at=samples.RECEIVED,
        )
        with TransitionWrites(session.connection()) as writes:
            writes.set_case_state(case_id="case-404", status=None, assignee="x", at=AT)
    with read_session(engine) as session, pytest.raises(NotFoundError):
        get_case_summary(session=session, case_id="case-500")


def test_a_connection_transaction_commits_its_session_and_statements_together(
    engine: Engine,
) -> None:
    def unit(case_id: str, then_fail: bool) -> None:
        with connection_transaction(engine) as connection:
            with session_on(connection) as session:
                create_case(
                    session=session,
                    case_id=case_id,
                    request=samples.request(),
                    received_at=samples.RECEIVED,
                    assignee="nurse.kim",
                )
            # The session's writes are flushed when its block ends: the statements see them.
            with TransitionWrites(connection) as writes:
                assert writes.assignee_of(case_id) == "nurse.kim"
                if then_fail:
                    writes.set_case_state(case_id="case-404", status=None, assignee=None, at=AT)

    unit("case-503", then_fail=False)
    with pytest.raises(NotFoundError):
        unit("case-504", then_fail=True)
    with read_session(engine) as session:
        assert get_case_summary(session=session, case_id="case-503").assignee == "nurse.kim"
        with pytest.raises(NotFoundError):
            get_case_summary(session=session, case_id="case-504")


@pytest.mark.parametrize(
    "begin",
    [transaction, connection_transaction],
    ids=["transaction", "connection_transaction"],
)
def test_sqlite_units_of_work_that_read_hold_the_write_lock_already(
    tmp_path: Path, begin: Callable[[Engine], AbstractContextManager[Any]]
) -> None:
    path = tmp_path / "store.db"
    engine = make_engine(f"sqlite:///{path}")
    other = sqlite3.connect(path, timeout=0, isolation_level=None)  # another process, say
    try:
        upgrade_engine(engine)
        with begin(engine) as bind:  # a session or a connection
            assert bind.execute(select(func.count()).select_from(CaseRow)).scalar() == 0
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        other.execute("BEGIN IMMEDIATE")  # free again once the unit has ended
        other.execute("ROLLBACK")
    finally:
        other.close()
        engine.dispose()


def test_datetimes_come_back_in_utc(engine: Engine) -> None:
    plus_five = timezone(timedelta(hours=5, minutes=30))
    due = datetime(2026, 3, 9, 23, 59, 59, 999_999, tzinfo=plus_five)
    with transaction(engine) as session:
        create_case(
            session=session,
            case_id="case-501",
            request=samples.request(),
            received_at=samples.RECEIVED,
        )
        with TransitionWrites(session.connection()) as writes:
            writes.put_deadlines(case_id="case-501", deadlines=[samples.deadline(due=due)])
    with read_session(engine) as session:
        summary = get_case_summary(session=session, case_id="case-501")
    assert summary.next_due_at == due
    assert summary.next_due_at is not None and summary.next_due_at.tzinfo is UTC
    assert summary.next_due_at.hour == 18 and summary.next_due_at.microsecond == 999_999


def test_a_naive_datetime_never_reaches_the_database(engine: Engine) -> None:
    naive = update(CaseRow).values(next_due_at=datetime(2026, 3, 9, 12, 0))
    with pytest.raises(StatementError, match="naive"), transaction(engine) as session:
        session.exec(naive)


def test_an_in_memory_sqlite_store_works() -> None:
    engine = make_engine("sqlite://")
    try:
        upgrade_engine(engine)
        with transaction(engine) as session:
            create_case(
                session=session,
                case_id="case-502",
                request=samples.request(),
                received_at=samples.RECEIVED,
            )
        with read_session(engine) as session:
            assert get_case_summary(session=session, case_id="case-502").case_number
    finally:
        engine.dispose()
