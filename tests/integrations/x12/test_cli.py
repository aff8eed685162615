"""`priorauth x12 request|parse`: exit 0 done, 2 malformed file or invalid request (the located
error), 1 a well-formed rejection (printed)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from cli import app
from integrations.x12.envelope import read_interchange
from tests.integrations.x12.helpers import CORPUS, KNEE, knee_data

runner = CliRunner()


def test_request_prints_a_valid_278() -> None:
    result = runner.invoke(
        app,
        [
            "x12",
            "request",
            str(KNEE),
            "--trace",
            "CASE0001",
            "--sender",
            "CLINIC01",
            "--receiver",
            "ACMECLEARING",
        ],
    )
    assert result.exit_code == 0, result.output
    interchange = read_interchange(result.stdout)
    assert interchange.sender.id == "CLINIC01" and interchange.receiver.id == "ACMECLEARING"
    assert interchange.transactions()[0].kind == "278"


def test_an_invalid_request_exits_2_naming_the_field(tmp_path: Path) -> None:
    data = knee_data()
    data["member"]["last_name"] = "L" * 61
    path = tmp_path / "request.json"
    path.write_text(json.dumps(data))
    result = runner.invoke(app, ["x12", "request", str(path)])
    assert result.exit_code == 2
    assert "member.last_name" in result.stderr and "NM103" in result.stderr


def test_parse_prints_the_decision_as_the_api_shapes_it() -> None:
    result = runner.invoke(app, ["x12", "parse", str(CORPUS / "denial_a3.x12")])
    assert result.exit_code == 0, result.output
    decision = json.loads(result.stdout)
    assert decision["source"] == "x12_278"
    assert decision["items"][0]["outcome"] == "denied"
    assert decision["items"][0]["reason_code"] == "0V"


def test_a_malformed_file_exits_2_with_the_location(tmp_path: Path) -> None:
    text = (CORPUS / "approval_a1.x12").read_text().replace("SE*25*0001", "SE*9*0001")
    path = tmp_path / "bad.x12"
    path.write_text(text)
    result = runner.invoke(app, ["x12", "parse", str(path)])
    assert result.exit_code == 2
    assert "SE01, segment 27" in result.stderr


def test_an_aaa_rejection_exits_1_and_prints_it() -> None:
    result = runner.invoke(app, ["x12", "parse", str(CORPUS / "aaa_2000e_diagnosis.x12")])
    assert result.exit_code == 1
    rejection = json.loads(result.stdout)["rejections"][0]
    assert (rejection["loop"], rejection["reject_reason_code"]) == ("2000E", "AF")
    assert "Invalid/missing diagnosis code(s)" in result.stderr


def test_acknowledgments_exit_0_or_1() -> None:
    accepted = runner.invoke(app, ["x12", "parse", str(CORPUS / "999_accepted.x12")])
    assert accepted.exit_code == 0 and json.loads(accepted.stdout)["status"] == "A"
    rejected = runner.invoke(app, ["x12", "parse", str(CORPUS / "ta1_rejected.x12")])
    assert rejected.exit_code == 1 and json.loads(rejected.stdout)["status"] == "R"
    assert "ISA06" in rejected.stderr


def test_a_trace_mismatch_exits_2() -> None:
    result = runner.invoke(
        app, ["x12", "parse", str(CORPUS / "approval_a1.x12"), "--trace", "OTHER"]
    )
    assert result.exit_code == 2 and "OTHER" in result.stderr
