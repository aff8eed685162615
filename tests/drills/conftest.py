"""Fixtures for the fault drills: one whole stack per store backend, and the figures table.

The stack (Temporal dev server, sandbox PAS payer, API, worker: separate processes, see
`tests.drills.stack`) is shared by the drills of one backend and always stopped at the end,
also when a drill fails. Each drill records its figures with `drill_figures`; they are printed
in the terminal summary of every run, so `make test` shows them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine

from store.database import make_engine
from store.migrate import upgrade
from tests.conftest import backends, empty_database
from tests.drills.stack import Stack
from tests.workflows.conftest import TEST_CODEC_KEYS

# How the sandbox payer answers the drills' requests (member rules first, then codes).
PEND_SECONDS = 2.0
SANDBOX_SCRIPT = {
    "rules": [
        # Decided after a moment, but the rest-hook notification never leaves the payer.
        {
            "member_contains": "LOSTNOTE",
            "behaviour": "pend_then_approve",
            "pend_seconds": 1.0,
            "drop_notification": True,
        },
        # Pended, then decided only when a drill says so (`/sandbox/claims/{key}/decide`).
        {"member_contains": "QUIET", "behaviour": "never_answer"},
        {"code_prefix": "27447", "behaviour": "approve"},
        {"code_prefix": "97110", "behaviour": "pend_then_approve"},
        {"code_prefix": "E0601", "behaviour": "deny", "reason": "Not medically necessary"},
    ],
    "pend_seconds": PEND_SECONDS,
}


@dataclass
class DrillFigures:
    """One drill's result as the summary prints it."""

    drill: str
    backend: str
    cases: int
    reached: int
    lost: int
    duplicated: int
    chain_ok: bool
    seconds: float
    note: str = ""


FIGURES = pytest.StashKey[list[DrillFigures]]()


@pytest.fixture
def drill_figures(request: pytest.FixtureRequest) -> list[DrillFigures]:
    return request.config.stash.setdefault(FIGURES, [])


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    figures = terminalreporter.config.stash.get(FIGURES, [])
    if not figures:
        return
    terminalreporter.section("fault drills")
    terminalreporter.write_line(
        f"{'drill':<40}{'store':<12}{'cases':>6}{'reached':>9}{'lost':>6}"
        f"{'duplicated':>12}{'chain':>7}{'seconds':>9}  note"
    )
    for f in figures:
        terminalreporter.write_line(
            f"{f.drill:<40}{f.backend:<12}{f.cases:>6}{f.reached:>9}{f.lost:>6}"
            f"{f.duplicated:>12}{'ok' if f.chain_ok else 'BROKEN':>7}{f.seconds:>9.1f}  {f.note}"
        )


@pytest.fixture(scope="module", params=backends())
def drill_database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """An empty database for one stack (see tests.conftest.empty_database)."""
    return empty_database(request, tmp_path_factory, "drill")


@pytest.fixture(scope="module")
async def stack(
    drill_database: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Stack]:
    upgrade(drill_database)
    running = Stack(
        root=tmp_path_factory.mktemp("drill-stack"),
        database_url=drill_database,
        codec_keys=TEST_CODEC_KEYS,
        sandbox_script=SANDBOX_SCRIPT,
    )
    try:
        await running.start()
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def store(drill_database: str) -> Iterator[Engine]:
    engine = make_engine(drill_database)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def backend(drill_database: str) -> str:
    return "postgresql" if drill_database.startswith("postgresql") else "sqlite"
