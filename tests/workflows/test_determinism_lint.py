"""Workflow code stays deterministic: an AST scan of `workflows/` and `domain/case/` for calls
that differ between a run and its replay (wall clock, randomness, new ids, real sleeps, threads,
I/O). The sandbox cannot be relied on for this: it passes the case logic and `domain` through
(docs/workflows.md, "Sandbox"), so this lint and the replay of committed histories are the
determinism checks.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCANNED = [*sorted((ROOT / "workflows").glob("*.py")), *sorted((ROOT / "domain/case").glob("*.py"))]
# Client-side helpers that live in the package but never run inside a workflow.
CLIENT_SIDE = {"workflows/start.py", "workflows/reconcile.py"}

FORBIDDEN_CALLS = {
    "datetime.now": "use workflow.now() (or take `now` as an argument)",
    "datetime.utcnow": "use workflow.now()",
    "datetime.today": "use workflow.now()",
    "date.today": "use workflow.now().date() in the payer's zone",
    "time.time": "use workflow.now()",
    "time.monotonic": "use workflow.now()",
    "time.perf_counter": "use workflow.now()",
    "time.sleep": "use workflow.sleep() / wait_condition(timeout=...)",
    "asyncio.sleep": "use workflow.sleep() / wait_condition(timeout=...)",
    "uuid.uuid1": "use workflow.uuid4()",
    "uuid.uuid4": "use workflow.uuid4()",
    "os.urandom": "use workflow.random()",
    "os.getenv": "workflow input, not the environment",
    "open": "I/O belongs in an activity",
}
FORBIDDEN_MODULES = {
    "random": "use workflow.random()",
    "secrets": "use workflow.random()",
    "threading": "no threads in workflow code",
    "concurrent": "no threads or processes in workflow code",
    "multiprocessing": "no processes in workflow code",
    "subprocess": "I/O belongs in an activity",
    "socket": "I/O belongs in an activity",
    "requests": "I/O belongs in an activity",
    "httpx": "I/O belongs in an activity",
    "sqlalchemy": "the store is reached through activities",
    "sqlmodel": "the store is reached through activities",
    "store": "the store is reached through activities",
}


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = _dotted(node.value)
        return f"{inner}.{node.attr}" if inner else None
    return None


def problems(source: str) -> list[str]:
    """What in `source` would make a workflow non-deterministic (empty: nothing)."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
            )
            for name in names:
                top = name.split(".")[0]
                if top in FORBIDDEN_MODULES:
                    found.append(f"line {node.lineno}: import {name}: {FORBIDDEN_MODULES[top]}")
            if isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    dotted = f"{node.module}.{alias.name}"
                    if dotted in FORBIDDEN_CALLS:
                        found.append(f"line {node.lineno}: from-import {dotted}")
        elif isinstance(node, ast.Call):
            name = _dotted(node.func)
            if name is None:
                continue
            for forbidden, advice in FORBIDDEN_CALLS.items():
                if name == forbidden or name.endswith(f".{forbidden}"):
                    found.append(f"line {node.lineno}: {name}(): {advice}")
    return found


@pytest.mark.parametrize(
    "path",
    [p for p in SCANNED if str(p.relative_to(ROOT)) not in CLIENT_SIDE],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_workflow_code_is_deterministic(path: Path) -> None:
    assert problems(path.read_text()) == []


@pytest.mark.parametrize(
    "snippet",
    [
        "from datetime import datetime\nx = datetime.now()",
        "import datetime\nx = datetime.datetime.now()",
        "from datetime import date\nx = date.today()",
        "import random",
        "import uuid\nx = uuid.uuid4()",
        "import asyncio\nasync def f():\n    await asyncio.sleep(1)",
        "import threading",
        "x = open('f')",
        "import time\nx = time.time()",
    ],
)
def test_the_lint_catches(snippet: str) -> None:
    assert problems(snippet)
