"""`priorauth sandbox-payer` wiring: the command builds the app and hands it to uvicorn."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI

from commands.sandbox_payer import sandbox_payer
from integrations.sandbox_payer import SandboxBehaviour, SandboxState


def test_command_serves_the_scripted_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    served: dict[str, Any] = {}

    def fake_run(app: FastAPI, **options: Any) -> None:
        served.update(app=app, **options)

    monkeypatch.setattr(uvicorn, "run", fake_run)
    script = tmp_path / "script.json"
    script.write_text(json.dumps({"default_behaviour": "deny", "pend_seconds": 0}))

    sandbox_payer(port=8123, script=script, notify_url="http://127.0.0.1:8000/pas/notify")

    assert served["port"] == 8123 and served["host"] == "127.0.0.1"
    state = served["app"].state.sandbox
    assert isinstance(state, SandboxState)
    assert state.notify_url == "http://127.0.0.1:8000/pas/notify"
    assert state.script.default_behaviour == SandboxBehaviour.DENY
