"""`priorauth deadline`: JSON in, JSON out, exit 2 with the field named on bad input."""

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from commands.deadline import deadline

ROOT = Path(__file__).resolve().parents[2]

app = typer.Typer()
app.command("deadline")(deadline)


@app.callback()
def root() -> None:
    """Stand-in for the root `priorauth` app."""


runner = CliRunner()

MA_STANDARD = {
    "regime": "medicare_advantage",
    "event": "initial_request_decision",
    "received_at": "2026-03-02T10:00:00-05:00",
}
EXTERNAL_REVIEW = {
    "regime": "erisa_group",
    "event": "external_review_filing_window",
    "notice_date": "2026-10-30",
}


def invoke(payload: Any, *args: str) -> Any:
    text = payload if isinstance(payload, str) else json.dumps(payload)
    return runner.invoke(app, ["deadline", *args], input=text)


def test_one_object_gives_one_result() -> None:
    result = invoke(MA_STANDARD)
    assert result.exit_code == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["due_at"] == "2026-03-09T23:59:59-04:00"
    assert body["rule"] == "42 CFR 422.568(b)(1)(ii) as amended by CMS-0057-F (89 FR 8758)"
    assert body["convention"] == "calendar_days_end_of_day_local"
    assert body["rule_id"] == "ma.od.standard.pa.2026"
    assert body["explanation"].endswith("by end of day 2026-03-09 America/New_York.")
    assert body["flags"] == []


def test_array_gives_results_in_order() -> None:
    result = invoke([MA_STANDARD, EXTERNAL_REVIEW])
    assert result.exit_code == 0, result.stderr
    body = json.loads(result.stdout)
    assert [item["due_at"] for item in body] == [
        "2026-03-09T23:59:59-04:00",
        "2027-03-01T23:59:59-05:00",
    ]


def test_file_option(tmp_path: Path) -> None:
    source = tmp_path / "queries.json"
    source.write_text(json.dumps([EXTERNAL_REVIEW]), encoding="utf-8")
    result = runner.invoke(app, ["deadline", "--file", str(source)])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)[0]["rule_id"] == "erisa.external_review.filing"


@pytest.mark.parametrize(
    ("payload", "words"),
    [
        ("{not json", ["invalid JSON"]),
        ("42", ["expected one JSON object"]),
        ({**MA_STANDARD, "received_at": "2026-03-02T10:00:00"}, ["received_at", "timezone"]),
        ({**MA_STANDARD, "regime": "medicare"}, ["regime"]),
        ({**MA_STANDARD, "colour": "blue"}, ["colour", "not permitted"]),
        ({"regime": "medicare_advantage", "event": "initial_request_decision"}, ["received_at"]),
        (
            {**EXTERNAL_REVIEW, "regime": "medicare_advantage"},
            ["medicare_advantage", "external_review_filing_window"],
        ),
    ],
)
def test_bad_input_exits_2_with_the_reason_on_stderr(payload: Any, words: list[str]) -> None:
    result = invoke(payload)
    assert result.exit_code == 2
    assert result.stdout == ""
    for word in words:
        assert word in result.stderr


def test_array_with_a_bad_element_names_its_index_and_prints_nothing() -> None:
    bad = {"regime": "erisa_group", "event": "appeal_decision"}
    result = invoke([MA_STANDARD, EXTERNAL_REVIEW, bad])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "item 2" in result.stderr
    assert "received_at" in result.stderr


def test_missing_file_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["deadline", "--file", str(tmp_path / "absent.json")])
    assert result.exit_code == 2
    assert result.stdout == ""


def test_real_process_reads_stdin_and_exits_2_on_error() -> None:
    script = "import typer; from commands.deadline import deadline; typer.run(deadline)"
    good = subprocess.run(
        [sys.executable, "-c", script],
        input=json.dumps(MA_STANDARD),
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert good.returncode == 0, good.stderr
    assert json.loads(good.stdout)["due_at"] == "2026-03-09T23:59:59-04:00"
    bad = subprocess.run(
        [sys.executable, "-c", script],
        input=json.dumps({**MA_STANDARD, "received_at": None}),
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert bad.returncode == 2
    assert bad.stdout == ""
    assert "received_at" in bad.stderr
