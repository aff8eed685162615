"""Every case action of the table has its `priorauth case` command, and each command posts to
the action's route a body the action's model accepts (hand-written and made commands alike)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import typer
from typer.core import TyperGroup
from typer.testing import CliRunner

from cli import app
from commands import case as case_commands
from commands.api_client import ApiClient
from domain.case.actions import ACTIONS, CaseAction, Target

runner = CliRunner()
NOW = datetime.now(UTC).isoformat()
DECISION = {
    "decision_id": "D-1",
    "decided_at": NOW,
    "items": [{"sequence": 1, "review_action_code": "A1"}],
}

# How each hand-written command is called (the others get their body from --body).
WRITTEN: dict[str, list[str]] = {
    "decide": ["decision.json"],
    "appeal": ["--sequence", "1", "--argument", "Medically necessary"],
    "sign-off": ["--appeal", "2", "--letter-id", "L-1"],
    "contact": ["--channel", "portal", "--summary", "Checked status"],
    "withdraw": ["--reason", "Patient moved"],
    "assign": ["dev-ur-staff"],
    "note": ["Patient called"],
}
# A body for each made command, written to a --body file.
BODIES: dict[str, dict[str, Any]] = {
    "supply-information": {"attachments": [{"reference": "DOC-1", "title": "Notes"}]},
    "extension": {"notice_id": "N-1", "noticed_at": NOW, "reason": "Needs review"},
    "peer-to-peer": {"preferred_windows": ["Mon 8-10"]},
    "peer-to-peer-outcome": {"occurred_at": NOW, "summary": "Upheld"},
    "appeal-decision": {"decision_id": "AD-1", "outcome": "upheld", "decided_at": NOW},
    "accept-denial": {"reason": "Patient chose PT"},
    "units-used": {"sequence": 1, "units": 2, "used_on": "2026-12-01"},
}


def _serve(monkeypatch: pytest.MonkeyPatch) -> list[httpx.Request]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        view = {"case_id": "c-1", "status": "denied", "phase": "adverse"}
        answer = {"case_id": "c-1", "appeal_number": 2, "letter_id": "L-1", "status": "submitted"}
        return httpx.Response(200, json={**answer, "view": view})

    monkeypatch.setattr(
        case_commands,
        "client_factory",
        lambda: ApiClient("http://api.test", "key-1", transport=httpx.MockTransport(handler)),
    )
    return seen


def _path(action: CaseAction[Any, Any]) -> str:
    return "/api/v1/cases/c-1" + action.path.replace("{appeal_number}", "2")


def test_every_action_has_a_command_and_every_command_an_example() -> None:
    group = typer.main.get_command(app)
    assert isinstance(group, TyperGroup)
    case = group.commands["case"]
    assert isinstance(case, TyperGroup)
    commands = set(case.list_commands(typer.Context(case)))
    clis = [action.cli for action in ACTIONS]
    assert len(set(clis)) == len(clis)
    assert set(clis) <= commands
    assert set(clis) == set(WRITTEN) | set(BODIES)


@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: a.cli)
def test_each_command_posts_a_valid_body_to_its_route(
    action: CaseAction[Any, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = _serve(monkeypatch)
    monkeypatch.chdir(tmp_path)
    Path("decision.json").write_text(json.dumps(DECISION))
    if action.cli in WRITTEN:
        argv = WRITTEN[action.cli]
    else:
        Path("body.json").write_text(json.dumps(BODIES[action.cli]))
        argv = [
            "--body",
            "body.json",
            *(["--appeal", "2"] if action.target is Target.APPEAL else []),
        ]
    result = runner.invoke(app, ["case", action.cli, "c-1", *argv])
    assert result.exit_code == 0, result.output
    (request,) = seen
    assert (request.method, request.url.path) == (action.method, _path(action))
    action.body.model_validate(json.loads(request.content))


def test_a_made_command_takes_plain_fields_as_options(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = _serve(monkeypatch)
    argv = ["case", "appeal-decision", "c-1", "--appeal", "2", "--decision-id", "AD-7"]
    argv += ["--outcome", "overturned", "--decided-at", "2026-11-02T14:30:00-06:00"]
    result = runner.invoke(app, argv)
    assert result.exit_code == 0, result.output
    assert "appeal 2: submitted" in result.output
    assert seen[0].url.path == "/api/v1/cases/c-1/appeals/2/decision"
    assert json.loads(seen[0].content) == {
        "decision_id": "AD-7",
        "outcome": "overturned",
        "decided_at": "2026-11-02T14:30:00-06:00",
    }
    keyed = runner.invoke(
        app,
        [
            "case",
            "peer-to-peer",
            "c-1",
            "--preferred-windows",
            "Tue 9-11",
            "--idempotency-key",
            "k-1",
        ],
    )
    assert keyed.exit_code == 0, keyed.output
    assert seen[1].headers["Idempotency-Key"] == "k-1"
    assert json.loads(seen[1].content) == {"preferred_windows": ["Tue 9-11"]}


def test_a_made_command_checks_the_body_before_sending(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = _serve(monkeypatch)
    result = runner.invoke(app, ["case", "extension", "c-1", "--notice-id", "N-1"])
    assert result.exit_code == 2
    assert "not a valid PayerExtensionBody" in result.output
    assert "noticed_at" in result.output and "reason" in result.output
    assert seen == []
