"""PHI never reaches a log line: the redaction processor, through structlog and stdlib logging."""

import json
import logging
from pathlib import Path

import pytest
import structlog

from config.logging import REDACTED, configure_logging, redact_phi


def test_redaction_masks_phi_keys_at_any_depth() -> None:
    event = redact_phi(
        None,
        "info",
        {
            "event": "case opened for SSN 123-45-6789",
            "case_id": "c-1",
            "member_id": "W123",
            "details": {"first_name": "Testa", "units": 3, "lines": [{"birth_date": "1958"}]},
        },
    )
    assert event["case_id"] == "c-1"
    assert event["member_id"] == REDACTED
    assert event["details"] == {
        "first_name": REDACTED,
        "units": 3,
        "lines": [{"birth_date": REDACTED}],
    }
    assert "123-45-6789" not in event["event"]


def test_json_lines_from_structlog_and_stdlib_carry_no_phi(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("INFO", "json")
    structlog.contextvars.bind_contextvars(case_id="c-42")
    try:
        structlog.stdlib.get_logger("priorauth.test").info(
            "decision recorded", last_name="Patientson", outcome="denied"
        )
        logging.getLogger("temporalio.activity").warning(
            "activity failed", extra={"member_id": "W123456789"}
        )
    finally:
        structlog.contextvars.clear_contextvars()
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["event"] for line in lines] == ["decision recorded", "activity failed"]
    assert all(line["case_id"] == "c-42" for line in lines)
    text = json.dumps(lines)
    assert "Patientson" not in text and "W123456789" not in text
    assert lines[0]["outcome"] == "denied"


def test_lines_go_to_the_stream_given_and_only_there(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    handlers = logging.getLogger().handlers[:]
    with (tmp_path / "worker.log").open("w") as stream:
        configure_logging("INFO", "auto", stream=stream)  # a file is not a terminal: JSON
        try:
            structlog.stdlib.get_logger("priorauth.test").info("case_transition", case_id="c-7")
            logging.getLogger("temporalio.worker").info("worker started")
        finally:
            logging.getLogger().handlers[:] = handlers  # later tests log elsewhere
    lines = [json.loads(line) for line in (tmp_path / "worker.log").read_text().splitlines()]
    assert [(line["event"], line.get("case_id")) for line in lines] == [
        ("case_transition", "c-7"),
        ("worker started", None),
    ]
    assert capsys.readouterr().out == ""
