"""Web workspace benchmark: server time of the My work and Escalations pages at hospital scale.

    python bench/web.py [--cases 10000] [--requests 200] [--postgres-url URL] [--no-sqlite]

The store is filled like `bench/api.py` does (cases over four years, the newest open, tasks in
the escalation queues), plus the running deadline of every open case (what each row's clock
shows). Each page is then requested in process (httpx ASGITransport, no network) by a signed-in
person: case manager `cm-7` (two of the four teams), a UR staff member who sees every case
(My work) or their team's escalations, and a supervisor (admin) who sees every escalation.
Server time is the wall clock of one request, session check, queries, rendering and the PHI
read record included. Goal (issue 13): p99 < 100 ms at 10,000 cases; pages under 200 KB.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # `python bench/web.py`: run from the repository root's view
    sys.path[0] = str(Path(__file__).resolve().parents[1])

import argparse
import asyncio
import os
import re
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import Engine, text

from api.app import create_app
from api.web.passwords import hash_password
from bench.api import NOW, _client, bench_settings, databases, fill, percentile
from config.logging import configure_logging
from store import users as store_users
from store.database import make_engine, transaction

PASSWORD = "bench password, long enough"
PEOPLE = {
    "cm": ("cm-7", "case_manager", ["team-1", "team-3"]),
    "ur": ("bench-ur", "ur_staff", ["team-0"]),
    "sup": ("bench-supervisor", "admin", ["team-0"]),
}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
DEADLINE_COLUMNS = [
    "case_id", "key", "revision", "label", "obligor", "due_at", "starts_at", "rule", "rule_id",
    "convention", "explanation", "met_at", "superseded", "created_at", "updated_at",
]  # fmt: skip


@dataclass
class Page:
    name: str
    who: str
    method: str
    path: str
    form: dict[str, str] = field(default_factory=dict)
    samples: list[float] = field(default_factory=list)
    size: int = 0


def pages() -> list[Page]:
    return [
        Page("My work", "cm", "GET", "/"),
        Page("My work, all I can see", "cm", "POST", "/", {"show": "team"}),
        Page("My work, list refresh", "cm", "POST", "/work/rows", {"show": "mine"}),
        Page("My work, due within 3 days", "cm", "POST", "/", {"show": "team", "due_within": "3"}),
        Page("My work, patient name search", "cm", "POST", "/", {"q": "Anber"}),
        Page("My work (UR staff, every case)", "ur", "POST", "/", {"show": "team"}),
        Page("Escalations (UR staff, open to me)", "ur", "GET", "/escalations"),
        Page("Escalations (UR staff, my team's)", "ur", "GET", "/escalations?show=everyone"),
        Page("Escalations (supervisor, every case)", "sup", "GET", "/escalations"),
    ]


def add_deadlines(url: str) -> int:
    """The running payer clock of every open case (due at its next due moment)."""
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            open_cases = connection.execute(
                text(
                    "SELECT case_id, received_at, next_due_at FROM cases "
                    "WHERE status NOT IN ('closed', 'withdrawn') AND next_due_at IS NOT NULL"
                )
            ).all()
            rows = [_deadline(case_id, received, due) for case_id, received, due in open_cases]
            if rows:
                names = ", ".join(DEADLINE_COLUMNS)
                values = ", ".join(f":{c}" for c in DEADLINE_COLUMNS)
                connection.execute(
                    text(f"INSERT INTO case_deadlines ({names}) VALUES ({values})"), rows
                )
            connection.execute(text("ANALYZE"))
        _add_people(engine)
        return len(rows)
    finally:
        engine.dispose()


def _deadline(case_id: str, received: Any, due: Any) -> dict[str, Any]:
    return {
        "case_id": case_id, "key": "initial_decision", "revision": 1,
        "label": "Payer decision due", "obligor": "payer", "due_at": due,
        "starts_at": received, "rule": "42 CFR 422.568(b)(1)", "rule_id": "ma.initial.standard",
        "convention": "calendar days from receipt", "explanation": "7 calendar days",
        "met_at": None, "superseded": False, "created_at": received, "updated_at": received,
    }  # fmt: skip


def _add_people(engine: Engine) -> None:
    hashed = hash_password(PASSWORD)
    with transaction(engine) as session:
        for username, role, teams in PEOPLE.values():
            store_users.add_user(
                session, username=username, display_name=username, role=role, teams=teams,
                password_hash=hashed, now=NOW,
            )  # fmt: skip


async def _signed_in(http: httpx.AsyncClient, who: str) -> str:
    username = PEOPLE[who][0]
    response = await http.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 303, response.text
    page = await http.get("/")
    found = CSRF.search(page.text)
    assert found, "no CSRF token on My work"
    return found.group(1)


async def time_pages(url: str, requests: int, tmp: Path) -> list[Page]:
    # The bench's own sessions would time out in a long run: a day of idle time is allowed.
    settings = bench_settings(url, tmp, web_idle_timeout_minutes=720)
    app = create_app(settings, temporal_client=None)
    chosen = pages()
    async with app.router.lifespan_context(app):
        clients: dict[str, tuple[httpx.AsyncClient, str]] = {}
        opened = []
        for who in PEOPLE:
            context = _client(app)
            http = await context.__aenter__()
            opened.append(context)
            clients[who] = (http, await _signed_in(http, who))
        try:
            for i in range(requests + 10):
                for page in chosen:
                    http, csrf = clients[page.who]
                    began = time.perf_counter()
                    if page.method == "GET":
                        response = await http.get(page.path)
                    else:
                        response = await http.post(
                            page.path, data={"csrf_token": csrf, **page.form}
                        )
                    elapsed = (time.perf_counter() - began) * 1000
                    assert response.status_code == 200, (page.name, response.status_code)
                    if i >= 10:
                        page.samples.append(elapsed)
                        page.size = max(page.size, len(response.content))
        finally:
            for context in opened:
                await context.__aexit__(None, None, None)
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page")
    parser.add_argument("--postgres-url")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    args = parser.parse_args()
    configure_logging("WARNING", "console")
    with (
        tempfile.TemporaryDirectory() as name,
        databases(args.postgres_url, Path(name), not args.no_sqlite) as dbs,
    ):
        tmp = Path(name)
        for backend, url in dbs:
            fill(url, args.cases)
            clocks = add_deadlines(url)
            print(
                f"{backend}: {args.cases:,} cases ({clocks:,} open with a running clock)",
                flush=True,
            )
            missed = 0
            for page in asyncio.run(time_pages(url, args.requests, tmp)):
                p50, p99 = percentile(page.samples, 0.5), percentile(page.samples, 0.99)
                met = p99 < 100 and page.size < 200_000
                missed += not met
                label = f"{page.name} [{page.who}]"
                print(
                    f"  {backend} {label:<42} p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  "
                    f"{page.size / 1024:6.1f} KB  {'' if met else 'MISSED'}",
                    flush=True,
                )
            print(
                f"{backend}: {args.requests} requests per page; goal p99 < 100 ms and < 200 KB: "
                f"{'met by every page' if not missed else f'{missed} MISSED'}; "
                f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs",
                flush=True,
            )


if __name__ == "__main__":
    main()
