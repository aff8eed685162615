"""`priorauth case ...`: what a case manager sees at the terminal, and the exit codes scripts
rely on (0 done, 2 bad input with the reason, 1 the server failed)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from cli import app
from commands import case as case_commands
from commands.api_client import ApiClient
from tests.domain.factories import request_data

runner = CliRunner()


def _serve(monkeypatch: pytest.MonkeyPatch, answer: httpx.Response) -> list[httpx.Request]:
    """Point the CLI at a fake API that records requests and gives one canned answer."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answer

    monkeypatch.setattr(
        case_commands,
        "client_factory",
        lambda: ApiClient("http://api.test", "key-1", transport=httpx.MockTransport(handler)),
    )
    return seen


def _write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "request.json"
    path.write_text(json.dumps(data))
    return path


def test_open_prints_the_case_number(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen = _serve(
        monkeypatch,
        httpx.Response(201, json={"case_id": "c-1", "case_number": "PA-2026-000042"}),
    )
    result = runner.invoke(app, ["case", "open", str(_write(tmp_path, request_data()))])
    assert result.exit_code == 0, result.output
    assert "opened PA-2026-000042  case id c-1" in result.output
    assert seen[0].url.path == "/api/v1/cases"
    assert seen[0].headers["X-API-Key"] == "key-1"
    assert json.loads(seen[0].content)["member"]["member_id"] == "W123456789"


def test_an_invalid_request_file_exits_2_naming_each_field_and_sends_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = _serve(monkeypatch, httpx.Response(500))
    data = request_data(requesting_provider={"npi": "1234567890", "name": "Dr. X"})
    data["service_lines"][0]["code"] = "XYZ"
    result = runner.invoke(app, ["case", "open", str(_write(tmp_path, data))])
    assert result.exit_code == 2
    assert "requesting_provider.npi: NPI check digit does not match" in result.output
    assert "service_lines.0.code" in result.output
    assert seen == []


def test_unreadable_file_and_api_refusals(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = runner.invoke(app, ["case", "open", str(tmp_path / "nope.json")])
    assert missing.exit_code == 2 and "cannot read" in missing.output
    _serve(
        monkeypatch,
        httpx.Response(
            409,
            json={"detail": "case c-1 refused the action: nothing to appeal", "errors": []},
        ),
    )
    refused = runner.invoke(app, ["case", "appeal", "c-1"])
    assert refused.exit_code == 2
    assert "nothing to appeal" in refused.output
    _serve(monkeypatch, httpx.Response(503, json={"detail": "Temporal is unreachable"}))
    down = runner.invoke(app, ["case", "appeal", "c-1"])
    assert down.exit_code == 1 and "Temporal is unreachable" in down.output


def test_open_names_the_team_and_the_idempotency_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = _serve(
        monkeypatch,
        httpx.Response(201, json={"case_id": "c-1", "case_number": "PA-2026-000042"}),
    )
    result = runner.invoke(
        app,
        [
            "case",
            "open",
            str(_write(tmp_path, request_data())),
            "--team",
            "ortho",
            "--idempotency-key",
            "k-1",
        ],
    )
    assert result.exit_code == 0, result.output
    assert seen[0].url.params["team"] == "ortho"
    assert "assignee" not in seen[0].url.params
    assert seen[0].headers["Idempotency-Key"] == "k-1"


def test_renew_posts_to_the_case_and_prints_the_renewal(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = _serve(
        monkeypatch,
        httpx.Response(201, json={"case_id": "c-2", "case_number": "PA-2026-000043"}),
    )
    result = runner.invoke(app, ["case", "renew", "c-1"])
    assert result.exit_code == 0, result.output
    assert "renewal PA-2026-000043  case id c-2" in result.output
    assert (seen[0].method, seen[0].url.path) == ("POST", "/api/v1/cases/c-1/renew")
    _serve(
        monkeypatch,
        httpx.Response(409, json={"detail": "case PA-1 has no authorized item to renew"}),
    )
    refused = runner.invoke(app, ["case", "renew", "c-1"])
    assert refused.exit_code == 2 and "no authorized item" in refused.output
