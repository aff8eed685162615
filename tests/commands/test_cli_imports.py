"""The command line starts fast because `--help` and `priorauth deadline` import none of the
heavy libraries: the modules a fresh interpreter holds after building the app, rendering every
command's help and answering one deadline query (a guard on the import set, not on timing)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import letters

ROOT = Path(__file__).resolve().parents[2]

# Loaded only by the commands that need them (store, servers, Temporal, letters, API client).
HEAVY = (
    "alembic",
    "cryptography",
    "docx",
    "fastapi",
    "httpx",
    "jinja2",
    "pydantic_settings",
    "sqlalchemy",
    "sqlmodel",
    "starlette",
    "temporalio",
    "uvicorn",
)

SCRIPT = """
import json, sys
import typer
from typer.testing import CliRunner
from cli import app

def paths(command, prefix):
    yield prefix
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from paths(sub, [*prefix, name])

def loaded():
    return sorted({name.split(".")[0] for name in sys.modules})

runner = CliRunner()
helps = {}
for path in paths(typer.main.get_command(app), []):
    helps[" ".join(["priorauth", *path])] = runner.invoke(app, [*path, "--help"]).exit_code
after_help = loaded()
query = {"regime": "medicare_advantage", "event": "initial_request_decision",
         "received_at": "2026-03-02T10:00:00-05:00"}
answer = runner.invoke(app, ["deadline"], input=json.dumps(query))
print(json.dumps({"helps": helps, "after_help": after_help, "deadline_exit": answer.exit_code,
                  "deadline_out": answer.stdout, "after_deadline": loaded()}))
"""


def _probe() -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_help_and_a_deadline_query_import_no_heavy_library() -> None:
    probe = _probe()
    helps = probe["helps"]
    assert {"priorauth", "priorauth case open", "priorauth letter render"} <= set(helps)
    assert all(code == 0 for code in helps.values()), helps
    assert [name for name in HEAVY if name in probe["after_help"]] == []
    assert probe["deadline_exit"] == 0
    assert json.loads(probe["deadline_out"])["rule_id"] == "ma.od.standard.pa.2026"
    assert [name for name in HEAVY if name in probe["after_deadline"]] == []


def test_every_public_letters_name_loads_on_first_use() -> None:
    # `letters` resolves its names lazily (so the command line can read `letters.kinds` alone):
    # each exported name must have a home, and each home must define it.
    assert sorted(letters._HOMES) == sorted(letters.__all__)
    for name in letters.__all__:
        assert getattr(letters, name) is not None
