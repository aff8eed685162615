"""Benchmark the case store: audit appends per second, one transaction each.

    python bench/store.py [--events N] [--postgres-url URL]

SQLite runs on a temporary file. PostgreSQL runs when PRIORAUTH_TEST_POSTGRES_URL or
--postgres-url names a server, in a scratch database created and dropped here. Each append is
a whole unit of work through the store's writer (`store.transitions`: lock the chain head,
insert, move the head, commit), the way a step is recorded; the chain is verified afterwards.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

# Run as a script, this file's folder comes first on the import path and this module, named
# like the package it measures, would shadow `store`.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != _HERE]

from store.audit import verify_chain  # noqa: E402
from store.database import connection_transaction, make_engine, read_session  # noqa: E402
from store.migrate import upgrade  # noqa: E402
from store.scratch import scratch_postgres_database  # noqa: E402
from store.transitions import TransitionWrites  # noqa: E402


def appends_per_second(url: str, events: int) -> float:
    upgrade(url)
    engine = make_engine(url)
    try:
        occurred = datetime(2026, 3, 4, 16, 30, tzinfo=UTC)
        started = time.perf_counter()
        for n in range(events):
            with connection_transaction(engine) as connection, TransitionWrites(connection) as w:
                w.append_event_once(
                    idempotency_key=f"bench-{n % 97}:{n}:decision-recorded",
                    case_id=f"bench-{n % 97}",
                    action="decision-recorded",
                    actor="payer",
                    summary="Payer denied line 1 (A3)",
                    rule_cited="42 CFR 422.568(b)",
                    details={"decision_id": f"dec-{n}", "sequences": [1], "outcome": "denied"},
                    occurred_at=occurred,
                )
        elapsed = time.perf_counter() - started
        with read_session(engine) as session:
            result = verify_chain(session=session)
        if not result.ok or result.events_checked != events:
            raise SystemExit(f"chain check failed after the benchmark: {result}")
        return events / elapsed
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--postgres-url", default=os.environ.get("PRIORAUTH_TEST_POSTGRES_URL"))
    args = parser.parse_args()

    results: list[str] = []
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        results.append(f"sqlite {appends_per_second(url, args.events):,.0f}/s")
    if args.postgres_url:
        with scratch_postgres_database(args.postgres_url, prefix="priorauth_bench") as database:
            rate = appends_per_second(database.render_as_string(hide_password=False), args.events)
        results.append(f"postgresql {rate:,.0f}/s")
    else:
        results.append("postgresql skipped (set PRIORAUTH_TEST_POSTGRES_URL or --postgres-url)")
    print(f"audit appends: {', '.join(results)} ({args.events:,} events, one transaction each)")


if __name__ == "__main__":
    main()
