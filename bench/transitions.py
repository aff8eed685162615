"""Benchmark the store's cost of a workflow transition: CPU ms and SQL statements per transition.

    python bench/transitions.py [--cases N] [--postgres-url URL]

Each case takes the four transitions of an approval (`bench/cases.py`'s path): opened with its
decision deadline, submitted, the payer's approval (a decision, the deadline met, an
authorization deadline), closed (that deadline superseded, every task closed), each through
`StoreRecorder.record_transition` in a transaction of its own, single-threaded. CPU is
`time.process_time` of this process (the interpreter and the database driver; on PostgreSQL not
the server). SQLite runs on a temporary file; PostgreSQL when PRIORAUTH_TEST_POSTGRES_URL or
--postgres-url names a server, in a scratch database created and dropped here.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

# Run as a script, this file's folder comes first on the import path and bench/store.py, named
# like the package it measures, would shadow `store`.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

from sqlalchemy import Engine, event  # noqa: E402

from activities.store_recorder import StoreRecorder  # noqa: E402
from bench.sample import bench_request  # noqa: E402
from domain.case.transition import TaskClosure, Transition  # noqa: E402
from domain.case.vocabulary import CaseStatus  # noqa: E402
from domain.models import CaseDeadline, Obligor, PayerDecision  # noqa: E402
from store import cases  # noqa: E402
from store.audit import verify_chain  # noqa: E402
from store.database import make_engine, read_session, transaction  # noqa: E402
from store.migrate import upgrade  # noqa: E402
from store.scratch import scratch_postgres_database  # noqa: E402

T0 = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
DECISION_TASKS = ("information_requested", "payer_needs_attention", "payer_rejected")


def approval(case_id: str) -> list[Transition]:
    """The transitions of an approved case, as the workflow records them."""
    decision_due = CaseDeadline(
        key="initial_decision",
        label="Payer decision due",
        obligor=Obligor.PAYER,
        due_at=T0 + timedelta(days=7),
        rule="42 CFR 422.568(b)(1)",
        rule_id="ma.standard.preservice",
        convention="calendar_days",
        explanation="7 calendar days from receipt of the request.",
        starts_at=T0,
    )
    authorization = CaseDeadline(
        key="authorization_expiry",
        label="Authorization period ends",
        obligor=Obligor.PROVIDER,
        due_at=T0 + timedelta(days=90),
        rule="Payer authorization (validity window)",
        rule_id="payer-authorization-window",
        convention="end_of_day_local",
        explanation="Renew or extend the authorization before it lapses.",
        starts_at=T0 + timedelta(days=2),
    )
    decision = PayerDecision.model_validate(
        {
            "decision_id": f"{case_id}-decision",
            "source": "webhook",
            "decided_at": T0 + timedelta(days=2),
            "received_at": T0 + timedelta(days=2, minutes=1),
            "payer_reference": "REF-1",
            "items": [
                {
                    "sequence": 1,
                    "review_action_code": "A1",
                    "authorization_number": "AUTH-1",
                    "approved_units": 12,
                    "authorized_start": "2026-12-03",
                    "authorized_end": "2027-03-01",
                }
            ],
        }
    )

    def step(seq: int, event: str, status: CaseStatus, **fields: Any) -> Transition:
        return Transition(
            case_id=case_id,
            key=f"{case_id}:case:{seq:05d}",
            event=event,
            summary=f"{event} ({case_id})",
            occurred_at=T0 + timedelta(hours=seq),
            status=status,
            assignee="cm-bench",
            **fields,
        )

    return [
        step(1, "case_opened", CaseStatus.OPENED, deadlines=[decision_due], rule="42 CFR 422.568"),
        step(
            2,
            "submitted",
            CaseStatus.SUBMITTED,
            close_tasks=[TaskClosure(kind="payer_rejected", status="done")],
            details={"submission_id": f"sub-{case_id}", "payer_reference": "REF-1"},
        ),
        step(
            3,
            "payer_decision",
            CaseStatus.APPROVED,
            actor="payer",
            decision=decision,
            deadlines=[
                decision_due.model_copy(update={"met_at": T0 + timedelta(days=2)}),
                authorization,
            ],
            close_tasks=[TaskClosure(kind=kind) for kind in DECISION_TASKS],
        ),
        step(
            4,
            "case_closed",
            CaseStatus.CLOSED,
            deadlines=[authorization.model_copy(update={"superseded": True})],
            close_tasks=[TaskClosure()],
        ),
    ]


class StatementCounter:
    """Counts the statements SQLite runs (its trace callback, BEGIN and COMMIT included): the
    store runs some on the DBAPI cursor, past SQLAlchemy's events."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, _statement: str) -> None:
        self.count += 1

    def watch(self, dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        if hasattr(dbapi_connection, "set_trace_callback"):  # sqlite3
            dbapi_connection.set_trace_callback(self)


def measure(url: str, n_cases: int) -> tuple[float, float | None]:
    """(CPU ms, SQLite statements or None) per transition over `n_cases` approval cases."""
    upgrade(url)
    engine = make_engine(url)
    try:
        return _measure(engine, n_cases)
    finally:
        engine.dispose()


def _measure(engine: Engine, n_cases: int) -> tuple[float, float | None]:
    request = bench_request()
    warmup = 5
    ids = [f"bench{n:06d}" for n in range(warmup + n_cases)]
    with transaction(engine) as session:
        for case_id in ids:
            cases.create_case(session=session, case_id=case_id, request=request, received_at=T0)
    recorder = StoreRecorder(engine)
    records = {case_id: approval(case_id) for case_id in ids}
    for case_id in ids[:warmup]:
        for record in records[case_id]:
            recorder.record_transition(record)
    counter = StatementCounter()
    event.listen(engine, "checkout", counter.watch)
    started = time.process_time()
    for case_id in ids[warmup:]:
        for record in records[case_id]:
            if not recorder.record_transition(record):
                raise SystemExit(f"{record.key} was not new")
    cpu = time.process_time() - started
    event.remove(engine, "checkout", counter.watch)
    with read_session(engine) as session:
        result = verify_chain(session=session)
    transitions = 4 * n_cases
    if not result.ok or result.events_checked != 4 * len(ids):
        raise SystemExit(f"chain check failed after the benchmark: {result}")
    statements = counter.count / transitions if engine.dialect.name == "sqlite" else None
    return 1000 * cpu / transitions, statements


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--postgres-url", default=os.environ.get("PRIORAUTH_TEST_POSTGRES_URL"))
    args = parser.parse_args()

    results: list[tuple[str, float, float | None]] = []
    with tempfile.TemporaryDirectory() as folder:
        results.append(("sqlite", *measure(f"sqlite:///{Path(folder) / 'bench.db'}", args.cases)))
    if args.postgres_url:
        with scratch_postgres_database(args.postgres_url, prefix="priorauth_bench") as database:
            url = database.render_as_string(hide_password=False)
            results.append(("postgresql", *measure(url, args.cases)))
    else:
        print("postgresql skipped (set PRIORAUTH_TEST_POSTGRES_URL or --postgres-url)")
    for name, cpu_ms, statements in results:
        counted = "" if statements is None else f", {statements:.1f} statements"
        print(
            f"{name}: {cpu_ms:.2f} ms CPU{counted} per transition "
            f"({args.cases} approval cases, 4 transitions each, one transaction each)"
        )


if __name__ == "__main__":
    main()
