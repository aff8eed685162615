"""The PHI read log: recorded in one statement per request, listed newest first, and kept by the
database itself: UPDATE and DELETE (and TRUNCATE on PostgreSQL) are refused."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, event, text
from sqlalchemy.exc import IntegrityError
from typer.testing import CliRunner

from cli import app as cli_app
from store.database import connection_transaction, read_session
from store.migrate import current_revision, head_revision, upgrade_engine
from store.phi_reads import list_reads, record_reads, record_reads_now
from tests.store.audit_guard import downgrade_engine

AT = datetime(2026, 3, 4, 16, 30, tzinfo=UTC)
APPEND_ONLY = "phi_reads is append-only"


def _rows(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        result = connection.execute(text("SELECT * FROM phi_reads ORDER BY id"))
        return [dict(row) for row in result.mappings()]


def _fill(engine: Engine) -> None:
    record_reads_now(
        engine,
        actor="case_manager:alice",
        case_ids=["case-1"],
        route="GET /api/v1/cases/{case_id}",
        request_id="r1",
    )
    record_reads_now(
        engine, actor="ur_staff:bob", case_ids=["case-1", "case-2"], route="GET /x", request_id=None
    )


def test_reads_are_recorded_in_one_statement_and_listed_newest_first(engine: Engine) -> None:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "phi_reads" in statement:
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        with connection_transaction(engine) as connection:
            written = record_reads(
                connection,
                actor="ur_staff:bob",
                case_ids=["case-1", "case-2", "case-1", "case-3"],
                route="GET /api/v1/example",
                at=AT,
            )
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert written == 3  # a case read twice in one response is one read
    assert len(statements) == 1
    with read_session(engine) as session:
        first = list_reads(session=session)
    assert [(r.case_id, r.actor, r.read_at) for r in reversed(first.items)] == [
        ("case-1", "ur_staff:bob", AT),
        ("case-2", "ur_staff:bob", AT),
        ("case-3", "ur_staff:bob", AT),
    ]

    _fill(engine)
    with read_session(engine) as session:
        case_1 = list_reads(session=session, case_id="case-1")
        alice = list_reads(session=session, actor="case_manager:alice")
        everything = list_reads(session=session, limit=2)
    assert [(r.actor, r.route) for r in case_1.items] == [
        ("ur_staff:bob", "GET /x"),
        ("case_manager:alice", "GET /api/v1/cases/{case_id}"),
        ("ur_staff:bob", "GET /api/v1/example"),
    ]
    assert case_1.total == 3
    assert [(r.case_id, r.request_id) for r in alice.items] == [("case-1", "r1")]
    assert everything.total == 6 and len(everything.items) == 2
    assert everything.items[0].read_id > everything.items[1].read_id


def test_nothing_to_record_writes_nothing(engine: Engine) -> None:
    assert record_reads_now(engine, actor="a:b", case_ids=[], route="GET /") == 0
    assert _rows(engine) == []


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE phi_reads SET actor = 'admin:nobody' WHERE id = 1",
        "UPDATE phi_reads SET case_id = case_id",
        "DELETE FROM phi_reads WHERE id = 2",
        "DELETE FROM phi_reads",
        "TRUNCATE phi_reads",
    ],
)
def test_rows_cannot_be_changed_or_deleted(engine: Engine, statement: str) -> None:
    if statement.startswith("TRUNCATE") and engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE")
    _fill(engine)
    before = _rows(engine)
    with pytest.raises(IntegrityError) as caught, engine.begin() as connection:
        connection.execute(text(statement))
    assert f"{APPEND_ONLY}: {statement.split()[0]} is not allowed" in str(caught.value)
    assert _rows(engine) == before
    _fill(engine)  # appends still work
    assert len(_rows(engine)) == len(before) * 2


def test_the_migration_goes_down_and_up_again(engine: Engine) -> None:
    _fill(engine)
    downgrade_engine(engine, "0002")
    with engine.connect() as connection:
        tables = set(engine.dialect.get_table_names(connection))
        columns = {c["name"] for c in engine.dialect.get_columns(connection, "cases")}
    assert "phi_reads" not in tables and "team" not in columns
    upgrade_engine(engine)
    assert current_revision(engine) == head_revision()
    assert _rows(engine) == []
    _fill(engine)  # SQLite's triggers are per row: a DELETE of no row would not fire them
    with pytest.raises(IntegrityError, match=APPEND_ONLY), engine.begin() as connection:
        connection.execute(text("DELETE FROM phi_reads"))


def test_the_audit_reads_command_lists_them(engine: Engine, database_url: str) -> None:
    _fill(engine)
    # Through the whole command line, whose start-up sends log lines to standard error.
    result = CliRunner().invoke(
        cli_app, ["audit", "reads", "--case-id", "case-2", "--database-url", database_url]
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()  # log lines go to stderr
    assert len(lines) == 2, result.stdout
    assert lines[0].endswith("ur_staff:bob  case-2  GET /x")
    assert lines[1] == "(1 of 1 reads)"
    alice = CliRunner().invoke(
        cli_app,
        ["audit", "reads", "--reader", "case_manager:alice", "--database-url", database_url],
    )
    assert "case_manager:alice  case-1  GET /api/v1/cases/{case_id}  request r1" in alice.stdout
