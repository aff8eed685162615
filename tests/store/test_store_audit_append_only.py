"""The database itself keeps the audit trail append-only: UPDATE and DELETE are refused.

Revision 0002 adds the triggers (SQLite and PostgreSQL, where TRUNCATE is refused too); appends
and verification work as before, and the revision migrates down and up again.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

from store.audit import verify_chain
from store.database import connection_transaction, read_session
from store.migrate import current_revision, head_revision, upgrade_engine
from store.records import AuditEvent, VerifyResult
from store.transitions import TransitionWrites
from tests.store.audit_guard import BEFORE_APPEND_ONLY, downgrade_engine
from tests.store.writes import appended

AT = datetime(2026, 3, 4, 16, 30, tzinfo=UTC)
APPEND_ONLY = "audit_events is append-only"


def _append(engine: Engine, n: int) -> AuditEvent:
    return appended(
        engine,
        idempotency_key=f"case-500:{n}:step",
        case_id="case-500",
        action="note-added",
        actor="api-key:reviewer",
        summary=f"note {n}",
        details={"n": n},
        occurred_at=AT,
    )


def _fill(engine: Engine, count: int) -> list[AuditEvent]:
    return [_append(engine, n) for n in range(1, count + 1)]


def _rows(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        result = connection.execute(text("SELECT * FROM audit_events ORDER BY sequence"))
        return [dict(row) for row in result.mappings()]


def _verify(engine: Engine) -> VerifyResult:
    with read_session(engine) as session:
        return verify_chain(session=session)


def _refused(engine: Engine, statement: str, **params: object) -> IntegrityError:
    with pytest.raises(IntegrityError) as caught, engine.begin() as connection:
        connection.execute(text(statement), params)
    assert APPEND_ONLY in str(caught.value)
    return caught.value


def _guards(engine: Engine) -> set[str]:
    """The append-only triggers (and, on PostgreSQL, their function) in this database."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            found = connection.execute(
                text(
                    "SELECT name FROM sqlite_master "
                    "WHERE type = 'trigger' AND tbl_name = 'audit_events'"
                )
            ).scalars()
            return set(found)
        triggers = connection.execute(
            text(
                "SELECT tgname FROM pg_trigger "
                "WHERE tgrelid = 'audit_events'::regclass AND NOT tgisinternal"
            )
        ).scalars()
        functions = connection.execute(
            text(
                "SELECT proname || '()' FROM pg_proc "
                "WHERE proname = 'audit_events_append_only' "
                "AND pronamespace = current_schema()::regnamespace"
            )
        ).scalars()
        return set(triggers) | set(functions)


@pytest.mark.parametrize(
    ("statement", "params"),
    [
        ("UPDATE audit_events SET summary = 'nothing happened' WHERE sequence = 2", {}),
        ("UPDATE audit_events SET hash = :h, prev_hash = :h WHERE sequence = 3", {"h": "f" * 64}),
        ("UPDATE audit_events SET actor = actor", {}),
    ],
    ids=["summary", "hashes", "every-row-no-change"],
)
def test_an_update_is_refused_and_changes_nothing(
    engine: Engine, statement: str, params: dict[str, object]
) -> None:
    _fill(engine, 4)
    before = _rows(engine)
    error = _refused(engine, statement, **params)
    assert "UPDATE is not allowed" in str(error)
    assert _rows(engine) == before
    assert _verify(engine) == VerifyResult(events_checked=4, last_sequence=4)


def test_a_delete_is_refused_and_the_rows_stay(engine: Engine) -> None:
    _fill(engine, 5)
    before = _rows(engine)
    statements = ["DELETE FROM audit_events WHERE sequence = 5", "DELETE FROM audit_events"]
    if engine.dialect.name == "postgresql":
        statements.append("TRUNCATE audit_events")  # fires no DELETE trigger; refused as well
    for statement in statements:
        error = _refused(engine, statement)
        assert f"{statement.split()[0]} is not allowed" in str(error)
        assert _rows(engine) == before
    assert _verify(engine) == VerifyResult(events_checked=5, last_sequence=5)


def test_a_refused_write_rolls_back_its_whole_transaction(engine: Engine) -> None:
    _fill(engine, 2)
    with (
        pytest.raises(IntegrityError, match=APPEND_ONLY),
        connection_transaction(engine) as connection,
    ):
        with TransitionWrites(connection) as writes:
            writes.append_event_once(
                idempotency_key="case-500:3:step",
                case_id="case-500",
                action="note-added",
                actor="system",
                summary="appended, then the tampering fails",
                occurred_at=AT,
            )
        connection.execute(text("DELETE FROM audit_events WHERE sequence = 1"))
    assert [row["sequence"] for row in _rows(engine)] == [1, 2]
    assert _verify(engine) == VerifyResult(events_checked=2, last_sequence=2)


def test_appends_still_work_after_refused_writes(engine: Engine) -> None:
    first = _fill(engine, 3)
    _refused(engine, "UPDATE audit_events SET summary = 'x' WHERE sequence = 1")
    _refused(engine, "DELETE FROM audit_events WHERE sequence = 3")
    fourth = _append(engine, 4)
    assert (fourth.sequence, fourth.prev_hash) == (4, first[-1].hash)
    assert _append(engine, 4) == fourth  # an idempotent retry reads, never rewrites
    assert _verify(engine) == VerifyResult(events_checked=4, last_sequence=4)


def test_the_migration_goes_down_and_up_again(engine: Engine) -> None:
    events = _fill(engine, 3)
    guarded = _guards(engine)
    expected = (
        {"audit_events_no_update", "audit_events_no_delete"}
        if engine.dialect.name == "sqlite"
        else {"audit_events_append_only", "audit_events_append_only()"}
    )
    assert guarded == expected

    downgrade_engine(engine, BEFORE_APPEND_ONLY)
    assert current_revision(engine) == BEFORE_APPEND_ONLY
    assert _guards(engine) == set()
    with engine.begin() as connection:  # no guard: the write goes through
        connection.execute(text("UPDATE audit_events SET actor = actor"))

    upgrade_engine(engine)
    assert current_revision(engine) == head_revision()
    assert _guards(engine) == expected
    _refused(engine, "UPDATE audit_events SET actor = actor")
    assert _append(engine, 4).prev_hash == events[-1].hash
    assert _verify(engine) == VerifyResult(events_checked=4, last_sequence=4)


def test_the_whole_schema_goes_down_to_base_and_up_again(engine: Engine) -> None:
    _fill(engine, 2)
    downgrade_engine(engine, "base")
    assert current_revision(engine) is None
    upgrade_engine(engine)
    assert current_revision(engine) == head_revision()
    assert _rows(engine) == []
    assert _append(engine, 1).sequence == 1
    _refused(engine, "DELETE FROM audit_events")
    assert _verify(engine) == VerifyResult(events_checked=1, last_sequence=1)
