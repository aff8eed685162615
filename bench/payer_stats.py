"""Payer performance benchmark: server time of /payers/performance (and its CSV) at 100,000 cases.

    python bench/payer_stats.py [--cases 100000] [--requests 30] [--postgres-url URL] [--no-sqlite]

(PostgreSQL also when PRIORAUTH_BENCH_POSTGRES_URL is set.) The store is filled like
`bench/api.py` does (cases over four years, seven payers, four teams), then every case gets
what the page reads: the payer's decision clock (7 days), a first final decision between 6 hours
and 17 days after receipt (a pended answer first for one in eleven; a third denied, with one of
four reason codes; the newest open cases undecided), and an appeal for half of the denials
(overturned or upheld). Each view is requested in process (httpx ASGITransport) by a signed-in
person: case manager `cm-7` (two of the four teams: half the cases) and UR staff (every case).
Server time is the wall clock of one request: session check, the two statements, charts and
rendering. Goal: p99 under 1 s at 100,000 cases (a report page, not a work list).
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # `python bench/payer_stats.py`: run from the repository root
    sys.path[0] = str(Path(__file__).resolve().parents[1])

import argparse
import asyncio
import os
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, text

from api.app import create_app
from bench.api import NOW, _client, _sqlite_row, bench_settings, databases, fill, percentile
from bench.web import _add_people, _signed_in
from config.logging import configure_logging
from domain.appeals import AppealLevel
from store.database import make_engine

GOAL_MS = 1000
ZONE = "America/Chicago"  # the bench settings' organization zone (the default)
REASONS = [
    ("CO-50", "Not medically necessary"),
    ("N-100", "Experimental or investigational"),
    ("CO-197", "Precertification absent"),
    ("CO-15", "Authorization number missing or invalid"),
]
DECISION_COLUMNS = [
    "id", "case_id", "decision_id", "source", "decided_at", "received_at", "recorded_at",
]  # fmt: skip
ITEM_COLUMNS = ["decision_pk", "case_id", "sequence", "outcome", "reason_code", "reason_text"]
DEADLINE_COLUMNS = [
    "case_id", "key", "revision", "label", "obligor", "due_at", "starts_at", "rule", "rule_id",
    "convention", "explanation", "met_at", "superseded", "created_at", "updated_at",
]  # fmt: skip
APPEAL_COLUMNS = [
    "case_id", "level", "number", "expedited", "status", "sequences", "filed_at", "decided_at",
    "arguments", "requested_peer_to_peer", "created_at", "updated_at",
]  # fmt: skip


@dataclass
class View:
    name: str
    who: str
    path: str
    params: dict[str, str] = field(default_factory=dict)
    samples: list[float] = field(default_factory=list)
    size: int = 0


def views() -> list[View]:
    year_ago = (NOW - timedelta(days=365)).date().replace(day=1).isoformat()
    four_years = (NOW - timedelta(days=4 * 366)).date().isoformat()
    today = NOW.date().isoformat()
    every_quarter = {"period": "quarter", "from": four_years, "to": today}
    return [
        View("last 12 months by month (default)", "cm", "/payers/performance"),
        View("last 12 months by month (default)", "ur", "/payers/performance"),
        View("4 years by quarter", "cm", "/payers/performance", every_quarter),
        View("4 years by quarter", "ur", "/payers/performance", every_quarter),
        View("one payer, 12 months", "ur", "/payers/performance",
             {"period": "month", "from": year_ago, "to": today, "payer": "P03"}),
        View("CSV, 4 years by quarter", "ur", "/payers/performance.csv", every_quarter),
    ]  # fmt: skip


def history(case_id: str, n: int, received: datetime, decided: bool) -> dict[str, list[Any]]:
    """The clock, decisions, items and appeal of case n (rows as column lists)."""
    found: dict[str, list[Any]] = {"deadlines": [], "decisions": [], "items": [], "appeals": []}
    found["deadlines"].append(
        [case_id, "initial_decision", 1, "Payer decision on the request", "payer",
         received + timedelta(days=7), received, "42 CFR 422.568(b)(1)", "ma.initial.standard",
         "calendar days from receipt", "7 calendar days", None, False, received, received]
    )  # fmt: skip
    if not decided:
        return found
    hours = 6 + (n * 7919) % 400
    steps: list[tuple[str, datetime, str]] = []
    if n % 11 == 0:
        steps.append(("pended", received + timedelta(hours=hours / 3), "pended"))
    denied = n % 3 == 0
    decided_at = received + timedelta(hours=hours)
    steps.append(("final", decided_at, "denied" if denied else "approved"))
    for index, (name, at, outcome) in enumerate(steps):
        pk = 2 * n + index + 1
        found["decisions"].append([pk, case_id, name, "pas", at, at, at])
        code, reason = REASONS[n % len(REASONS)] if outcome == "denied" else (None, None)
        found["items"].append([pk, case_id, 1, outcome, code, reason])
    if denied and n % 2 == 0:
        filed = decided_at + timedelta(days=3)
        status = "overturned" if n % 4 == 0 else "upheld"
        found["appeals"].append(
            [case_id, AppealLevel.PLAN_RECONSIDERATION.value, 1, False, status, "[1]", filed,
             filed + timedelta(days=20), "[]", False, filed, filed]
        )  # fmt: skip
    return found


def add_history(url: str, count: int) -> dict[str, int]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            cases = connection.execute(
                text("SELECT case_id, received_at, status FROM cases ORDER BY case_id")
            ).all()
        tables: dict[str, list[list[Any]]] = {
            "deadlines": [], "decisions": [], "items": [], "appeals": [],
        }  # fmt: skip
        for n, (case_id, received, status) in enumerate(cases):
            received = _aware(received)
            decided = status not in ("opened", "submitted", "pended")
            for table, rows in history(case_id, n, received, decided).items():
                tables[table] += rows
        _load(engine, "case_deadlines", DEADLINE_COLUMNS, tables["deadlines"])
        _load(engine, "payer_decisions", DECISION_COLUMNS, tables["decisions"])
        _load(engine, "payer_decision_items", ITEM_COLUMNS, tables["items"])
        _load(engine, "appeals", APPEAL_COLUMNS, tables["appeals"])
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))
        _add_people(engine)
        return {table: len(rows) for table, rows in tables.items()}
    finally:
        engine.dispose()


def _aware(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)  # type: ignore[no-any-return]


def _load(engine: Engine, table: str, columns: list[str], rows: list[list[Any]]) -> None:
    if not rows:
        return
    if engine.dialect.name == "postgresql":
        raw = engine.raw_connection()
        try:
            with raw.cursor().copy(  # type: ignore[attr-defined]
                f"COPY {table} ({', '.join(columns)}) FROM STDIN"
            ) as copy:
                for row in rows:
                    copy.write_row(row)
            raw.commit()
        finally:
            raw.close()
        return
    statement = text(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(':' + c for c in columns)})"
    )
    with engine.begin() as connection:
        connection.execute(statement, [_sqlite_row(columns, tuple(row)) for row in rows])


async def time_views(url: str, requests: int, tmp: Path) -> list[View]:
    settings = bench_settings(url, tmp, web_idle_timeout_minutes=720)
    app = create_app(settings, temporal_client=None)
    chosen = views()
    async with app.router.lifespan_context(app), _client(app) as cm, _client(app) as ur:
        clients = {"cm": cm, "ur": ur}
        for who, http in clients.items():
            await _signed_in(http, who)
        for i in range(requests + 3):
            for view in chosen:
                began = time.perf_counter()
                response = await clients[view.who].get(view.path, params=view.params)
                elapsed = (time.perf_counter() - began) * 1000
                assert response.status_code == 200, (view.name, response.status_code)
                if i >= 3:
                    view.samples.append(elapsed)
                    view.size = max(view.size, len(response.content))
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=30, help="timed requests per view")
    parser.add_argument("--postgres-url", default=os.environ.get("PRIORAUTH_BENCH_POSTGRES_URL"))
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    args = parser.parse_args()
    configure_logging("WARNING", "console")
    with (
        tempfile.TemporaryDirectory() as name,
        databases(args.postgres_url, Path(name), not args.no_sqlite) as dbs,
    ):
        for backend, url in dbs:
            began = time.perf_counter()
            fill(url, args.cases)
            counts = add_history(url, args.cases)
            print(
                f"{backend}: {args.cases:,} cases, {counts['decisions']:,} decisions, "
                f"{counts['appeals']:,} appeals (filled in {time.perf_counter() - began:.0f} s)",
                flush=True,
            )
            missed = 0
            for view in asyncio.run(time_views(url, args.requests, Path(name))):
                p50, p99 = percentile(view.samples, 0.5), percentile(view.samples, 0.99)
                met = p99 < GOAL_MS and view.size < 200_000
                missed += not met
                label = f"{view.name} [{view.who}]"
                print(
                    f"  {backend} {label:<44} p50 {p50:7.1f} ms  p99 {p99:7.1f} ms  "
                    f"{view.size / 1024:6.1f} KB  {'' if met else 'MISSED'}",
                    flush=True,
                )
            print(
                f"{backend}: {args.requests} requests per view; goal p99 < {GOAL_MS} ms and "
                f"< 200 KB: {'met by every view' if not missed else f'{missed} MISSED'}; "
                f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs",
                flush=True,
            )


if __name__ == "__main__":
    main()
