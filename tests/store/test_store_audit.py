"""The audit trail: idempotent appends, a verifiable chain, tampering found, no forks."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from commands.audit import audit_app
from store.audit import timeline, verify_chain
from store.database import read_session
from store.errors import IdempotencyConflictError
from store.records import AuditEvent, VerifyResult
from tests.store.audit_guard import tamper
from tests.store.writes import appended

AT = datetime(2026, 3, 4, 16, 30, tzinfo=UTC)


def _append(engine: Engine, key: str, case_id: str = "case-400", **fields: object) -> AuditEvent:
    values: dict[str, object] = {
        "action": "decision-recorded",
        "actor": "payer",
        "summary": "Payer denied line 1 (A3)",
        "rule_cited": "42 CFR 422.568(b)",
        "details": {"decision_id": "dec-001", "sequences": [1], "outcome": "denied"},
        "occurred_at": AT,
    }
    values.update(fields)
    return appended(engine, idempotency_key=key, case_id=case_id, **values)


def _fill(engine: Engine, count: int) -> None:
    for n in range(1, count + 1):
        _append(engine, f"case-{400 + n % 3}:{n}:step", case_id=f"case-{400 + n % 3}")


def _verify(engine: Engine) -> VerifyResult:
    with read_session(engine) as session:
        return verify_chain(session=session, batch_size=3)  # several batches


def _sql(engine: Engine, statement: str, **params: object) -> None:
    """Tamper with audit rows: the database refuses UPDATE/DELETE there (see
    test_store_audit_append_only.py), so this lifts that guard for the one statement."""
    tamper(engine, statement, **params)


def test_append_is_idempotent_by_key(engine: Engine) -> None:
    first = _append(engine, "case-400:7:decision-recorded")
    retry = _append(engine, "case-400:7:decision-recorded", summary="retried", occurred_at=None)
    assert retry == first
    assert first.sequence == 1
    assert first.occurred_at == AT and first.occurred_at.tzinfo is UTC
    with pytest.raises(IdempotencyConflictError):
        _append(engine, "case-400:7:decision-recorded", action="letter-stored")
    assert _verify(engine) == VerifyResult(events_checked=1, last_sequence=1)


def test_events_chain_and_come_back_as_written(engine: Engine) -> None:
    event = _append(
        engine,
        "case-400:1:opened",
        action="case-opened",
        actor="api-key:intake",
        details={"due": date(2026, 3, 9), "lines": (1, 2), "units": 1.5, 3: "int key"},
    )
    assert event.details == {"due": "2026-03-09", "lines": [1, 2], "units": 1.5, "3": "int key"}
    second = _append(engine, "case-400:2:submitted", action="submitted", actor="system")
    assert second.prev_hash == event.hash
    assert len({event.hash, second.hash}) == 2
    with read_session(engine) as session:
        assert timeline(session=session, case_id="case-400") == [event, second]
        assert timeline(session=session, case_id="case-999") == []


def test_intact_chain_verifies(engine: Engine) -> None:
    assert _verify(engine) == VerifyResult(events_checked=0, last_sequence=0)
    _fill(engine, 10)
    result = _verify(engine)
    assert result.ok
    assert (result.events_checked, result.last_sequence) == (10, 10)


def test_an_edited_row_is_named(engine: Engine) -> None:
    _fill(engine, 8)
    _sql(engine, "UPDATE audit_events SET summary = 'nothing happened' WHERE sequence = 5")
    result = _verify(engine)
    assert result.broken is not None
    assert (result.broken.sequence, result.broken.kind) == (5, "edited")
    assert result.events_checked == 4


def test_edited_details_are_found(engine: Engine) -> None:
    _fill(engine, 4)
    _sql(
        engine,
        "UPDATE audit_events SET details = :d WHERE sequence = 2",
        d='{"outcome": "approved"}',
    )
    broken = _verify(engine).broken
    assert broken is not None and (broken.sequence, broken.kind) == (2, "edited")


def test_an_edit_with_a_recomputed_hash_breaks_the_next_link(engine: Engine) -> None:
    _fill(engine, 6)
    _sql(engine, "UPDATE audit_events SET hash = :h WHERE sequence = 3", h="f" * 64)
    broken = _verify(engine).broken
    # Row 3 no longer matches its own hash; a forger who fixes that still breaks row 4's link.
    assert broken is not None and (broken.sequence, broken.kind) == (3, "edited")


def test_a_broken_prev_hash_is_named(engine: Engine) -> None:
    _fill(engine, 6)
    _sql(engine, "UPDATE audit_events SET prev_hash = :h WHERE sequence = 4", h="0" * 64)
    broken = _verify(engine).broken
    assert broken is not None and (broken.sequence, broken.kind) == (4, "prev_link")


def test_a_deleted_row_is_a_gap(engine: Engine) -> None:
    _fill(engine, 7)
    with read_session(engine) as session:
        next_event = timeline(session=session, case_id="case-401")[1]  # sequence 4
    _sql(engine, "DELETE FROM audit_events WHERE sequence = 3")
    broken = _verify(engine).broken
    assert broken is not None
    assert (broken.sequence, broken.kind, broken.event_id) == (3, "gap", next_event.event_id)


def test_a_deleted_tail_is_found(engine: Engine) -> None:
    _fill(engine, 5)
    _sql(engine, "DELETE FROM audit_events WHERE sequence = 5")
    broken = _verify(engine).broken
    assert broken is not None and (broken.sequence, broken.kind) == (5, "tail")


def test_concurrent_appends_never_fork(engine: Engine) -> None:
    threads, per_thread = 4, 50

    def worker(thread: int) -> list[int]:
        return [
            _append(engine, f"case-{thread}:{n}:step", case_id=f"case-{thread}").sequence
            for n in range(per_thread)
        ]

    with ThreadPoolExecutor(max_workers=threads) as pool:
        sequences = [s for batch in pool.map(worker, range(threads)) for s in batch]
    assert sorted(sequences) == list(range(1, threads * per_thread + 1))
    result = _verify(engine)
    assert result.ok, result.broken
    assert result.events_checked == threads * per_thread


def test_concurrent_retries_of_the_same_keys_write_once(engine: Engine) -> None:
    def worker(_: int) -> list[str]:
        return [_append(engine, f"case-400:{n}:step").event_id for n in range(20)]

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(worker, range(4)))
    assert all(result == results[0] for result in results)
    assert _verify(engine) == VerifyResult(events_checked=20, last_sequence=20)


def test_naive_occurred_at_is_refused(engine: Engine) -> None:
    with pytest.raises(ValueError, match="naive"):
        _append(engine, "case-400:1:x", occurred_at=datetime(2026, 3, 4, 16, 30))


def test_verify_command(engine: Engine, database_url: str) -> None:
    _fill(engine, 3)
    runner = CliRunner()
    ok = runner.invoke(audit_app, ["verify", "--database-url", database_url])
    assert ok.exit_code == 0, ok.output
    assert "audit chain intact: 3 events" in ok.output

    shown = runner.invoke(audit_app, ["timeline", "case-401", "--database-url", database_url])
    assert shown.exit_code == 0
    assert "decision-recorded" in shown.output

    _sql(engine, "UPDATE audit_events SET actor = 'someone else' WHERE sequence = 2")
    broken = runner.invoke(audit_app, ["verify", "--database-url", database_url])
    assert broken.exit_code == 1
    assert "broken at sequence 2" in broken.output
    assert "edited" in broken.output


def test_verify_command_without_a_schema(database_url: str) -> None:
    result = CliRunner().invoke(audit_app, ["verify", "--database-url", database_url])
    assert result.exit_code == 2
    assert "no schema" in result.output
