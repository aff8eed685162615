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


# ---------------------------------------------------------------- redaction after formatting

PHI = ("Testa", "Patientson", "W987654321", "1958-04-12")


def _json_lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines()]


def test_a_validation_error_with_a_birth_date_reaches_the_log_without_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The reported leak: pydantic echoes its input (`input_value=...`) in the exception text,
    which used to be formatted after redaction. A model without `hide_input_in_errors`, so the
    formatter alone must catch it."""
    from datetime import date

    from pydantic import BaseModel, ValidationError

    class Loose(BaseModel):
        member_id: str
        birth_date: date
        note: int

    configure_logging("DEBUG", "json")
    try:
        Loose.model_validate(
            {"member_id": "W987654321", "birth_date": "1958-04-12", "note": "Testa Patientson"}
        )
    except ValidationError:
        structlog.stdlib.get_logger("priorauth.test").exception("intake_failed", case_id="c-1")
        logging.getLogger("temporalio.activity").warning(
            "Completing activity as failed", exc_info=True
        )
    out = capsys.readouterr().out
    lines = _json_lines(out)
    assert [line["event"] for line in lines] == ["intake_failed", "Completing activity as failed"]
    assert all("ValidationError" in str(line["exception"]) for line in lines)
    assert "note" in str(lines[0]["exception"])  # the field and the reason survive
    leaked = [value for value in PHI if value.lower() in out.lower()]
    assert leaked == []


def test_console_format_redacts_tracebacks_too(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", "console")
    try:
        raise ValueError("lookup failed for member_id=W987654321 born 04/12/1958")
    except ValueError:
        logging.getLogger("uvicorn.error").exception("Exception in ASGI application")
    out = capsys.readouterr().out
    assert "Exception in ASGI application" in out and "ValueError" in out
    assert "W987654321" not in out and "1958" not in out


def test_python_warnings_become_redacted_log_lines(capsys: pytest.CaptureFixture[str]) -> None:
    import warnings

    configure_logging("INFO", "json")
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.warn(
            "serialized value may not be as expected: member_id='W987654321'", stacklevel=1
        )
    captured = capsys.readouterr()
    [line] = _json_lines(captured.out)
    assert line["logger"] == "py.warnings" and "serialized value" in str(line["event"])
    assert "W987654321" not in captured.out + captured.err


def test_stack_info_is_redacted(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", "json")
    logging.getLogger("priorauth.test").info("where am i, member=%s", PHI[0], stack_info=True)
    [line] = _json_lines(capsys.readouterr().out)
    assert "test_stack_info_is_redacted" in str(line["stack"])
    assert "Testa" not in json.dumps(line)


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        (
            "1 validation error for Member\nbirth_date\n  Input should be a valid date "
            "[type=date_from_datetime_parsing, input_value={'member_id': 'W987654321', 'first"
            "...te': '1958-04-12'}, input_type=dict]",
            ["birth_date", "Input should be a valid date", "input_type=dict"],
        ),
        (
            "Member(member_id='W987654321', first_name='Testa', last_name='Patientson', "
            "birth_date=datetime.date(1958, 4, 12))",
            ["Member(member_id="],
        ),
        (
            "[{'type': 'missing', 'loc': ('body', 'x'), 'msg': 'Field required', "
            "'input': {'member': {'first_name': 'Testa', 'last_name': 'Patientson'}}}]",
            ["'loc': ('body', 'x')", "Field required"],
        ),
        ('{"birthDate": "1958-04-12", "name": [{"family": "Patientson", "given": ["Testa"]}]}', []),
        ("GET /api/v1/cases?member-id=W987654321&status=open HTTP/1.1", ["status=open"]),
        ("born 04/12/1958", ["born"]),
        ("born 4-12-1958", ["born"]),
        ("born 19580412", ["born"]),
        ("born April 12, 1958", ["born"]),
        ("born 12 Apr 1958", ["born"]),
        ("Member ID: W987654321", ["Member ID"]),
        # protobuf text format and JSON inside JSON escape their quotes
        (r"message: \"payer refused Member(member_id=\'W987654321\', x=1)\"", ["x=1"]),
        (r'{"body": "{\"last_name\": \"Patientson\", \"units\": 3}"}', ['\\"units']),
        ("call 555-010-7788 or testa.patientson@example.org", ["call"]),
    ],
)
def test_scrub_text_masks_phi_in_free_text(text: str, kept: list[str]) -> None:
    from config.logging import scrub_text

    scrubbed = scrub_text(text)
    assert REDACTED in scrubbed
    for value in (*PHI, "04/12/1958", "4-12-1958", "19580412", "April 12", "12 Apr", "7788"):
        assert value not in scrubbed, (value, scrubbed)
    assert "patientson" not in scrubbed.lower()
    for fragment in kept:
        assert fragment in scrubbed


def test_scrub_text_leaves_ids_and_codes_alone() -> None:
    from config.logging import scrub_text

    text = "case_transition case-e2e1958041212 key=c1:submit:1 code=27447 status=denied"
    assert scrub_text(text) == text


def test_redaction_masks_camel_and_kebab_keys_and_objects() -> None:
    from datetime import date

    from domain.models import Member

    member = Member(member_id="W987654321", first_name="Testa", last_name="Patientson")
    event = redact_phi(
        None,
        "info",
        {
            "event": "x",
            "memberId": "W987654321",
            "Birth-Date": date(1958, 4, 12),
            "detail": {"subscriberId": "W987654321", "seen": member},
            "count": 3,
        },
    )
    assert event["memberId"] == REDACTED and event["Birth-Date"] == REDACTED
    assert event["detail"]["subscriberId"] == REDACTED  # type: ignore[index]
    assert not any(value in json.dumps(event, default=str) for value in PHI)
    assert event["count"] == 3


# ---------------------------------------------------------------- configured in every process


def test_configuring_twice_keeps_one_handler() -> None:
    configure_logging("INFO", "json")
    configure_logging("DEBUG", "json")
    from config.logging import RedactingHandler

    root = logging.getLogger()
    assert [type(h) for h in root.handlers] == [RedactingHandler]
    assert root.level == logging.DEBUG


def test_the_api_factory_configures_logging_and_routes_uvicorn_through_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """What `uvicorn api.app:create_app --factory` does: uvicorn applies its own dictConfig
    (handlers on its loggers, propagation off), then calls the factory."""
    import logging.config

    from uvicorn.config import LOGGING_CONFIG

    from api.app import create_app
    from config.settings import Settings

    logging.getLogger().handlers.clear()
    logging.config.dictConfig(LOGGING_CONFIG)
    create_app(
        Settings(environment="test", data_dir=tmp_path, log_level="DEBUG", log_format="json")
    )
    logging.getLogger("uvicorn.access").info(
        '%s - "%s %s HTTP/%s" %d',
        "127.0.0.1:5000",
        "GET",
        "/api/v1/cases?member_id=W987654321",
        "1.1",
        200,
    )
    logging.getLogger("uvicorn.error").error("Exception in ASGI application: first_name='Testa'")
    lines = _json_lines(capsys.readouterr().out)
    assert [line["logger"] for line in lines] == ["uvicorn.access", "uvicorn.error"]
    assert logging.getLogger().level == logging.DEBUG
    text = json.dumps(lines)
    assert "W987654321" not in text and "Testa" not in text
    assert "/api/v1/cases?member_id=" in text


def test_every_cli_command_logs_through_the_redacting_formatter_to_stderr(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from typer.testing import CliRunner

    from cli import app
    from config.logging import RedactingHandler

    monkeypatch.setenv("PRIORAUTH_LOG_LEVEL", "debug")
    logging.getLogger().handlers.clear()
    result = CliRunner().invoke(app, ["deadline", "--help"])
    assert result.exit_code == 0
    [handler] = logging.getLogger().handlers
    assert isinstance(handler, RedactingHandler) and handler._to_stderr
    assert logging.getLogger().level == logging.DEBUG


async def test_temporal_core_lines_are_forwarded_to_python_logging(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The Rust core writes its warnings to stderr unless forwarded; the client every process
    connects with forwards them to `temporalio.core`, i.e. through the redacting formatter."""
    from temporalio.client import Client

    from config import temporal
    from config.settings import Settings

    seen: dict[str, object] = {}

    async def fake_connect(target: str, **options: object) -> None:
        seen.update(options)

    monkeypatch.setattr(Client, "connect", fake_connect)
    await temporal.connect(Settings(environment="test", data_dir=tmp_path))
    assert seen["runtime"] is temporal.core_runtime()  # one per process
    forwarding = temporal.CORE_LOGGING.forwarding
    assert forwarding is not None and forwarding.logger is logging.getLogger("temporalio.core")
    assert temporal.CORE_LOGGING.filter == temporal.LoggingConfig.default.filter
