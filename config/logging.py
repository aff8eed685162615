"""structlog through the stdlib: one configuration for our code, Temporal, uvicorn and SQLAlchemy.

JSON lines when stdout is not a terminal, a readable console when it is. A redaction processor
masks PHI keys so names, birth dates and member ids never reach a log line.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable, Mapping, MutableMapping
from typing import Any, TextIO

import structlog
from structlog.types import EventDict, Processor

# Keys whose values are PHI wherever they appear (in any nesting).
PHI_KEYS = frozenset(
    {
        "name",
        "first_name",
        "last_name",
        "full_name",
        "member_name",
        "patient_name",
        "birth_date",
        "dob",
        "date_of_birth",
        "member_id",
        "subscriber_id",
        "ssn",
        "address",
        "phone",
        "email",
        "member",
        "patient",
    }
)
REDACTED = "[redacted]"
_SSN = re.compile(r"\b\d{3}-\d{2}-\d{4}\b")


def _redact_value(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: (REDACTED if k in PHI_KEYS else _redact_value(v)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact_value(v) for v in value]
    if isinstance(value, str):
        return _SSN.sub(REDACTED, value)
    return value


def redact_phi(_: Any, __: str, event_dict: EventDict) -> EventDict:
    """Mask PHI keys (at any depth) and SSN-shaped strings; case ids pass untouched."""
    for key in list(event_dict):
        if key in PHI_KEYS:
            event_dict[key] = REDACTED
        elif key != "event":
            event_dict[key] = _redact_value(event_dict[key])
    if isinstance(event_dict.get("event"), str):
        event_dict["event"] = _SSN.sub(REDACTED, event_dict["event"])
    return event_dict


def _flatten_temporal_extra(_: Any, __: str, event_dict: EventDict) -> EventDict:
    """Temporal puts workflow/activity info in `extra`; lift the ids so lines carry case ids."""
    for key in ("temporal_workflow", "temporal_activity"):
        info = event_dict.get(key)
        if isinstance(info, MutableMapping):
            workflow_id = info.get("workflow_id")
            if isinstance(workflow_id, str) and workflow_id.startswith("case-"):
                event_dict.setdefault("workflow_id", workflow_id)
    return event_dict


def shared_processors() -> list[Processor]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),
        _flatten_temporal_extra,
        redact_phi,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]


def configure_logging(
    level: str = "INFO",
    fmt: str = "auto",
    quiet_loggers: Iterable[str] = (),
    stream: TextIO | None = None,
) -> None:
    """Configure structlog and the stdlib root logger once per process (lines go to `stream`,
    standard output by default)."""
    out = stream if stream is not None else sys.stdout
    as_json = fmt == "json" or (fmt == "auto" and not out.isatty())
    renderer: Processor = (
        structlog.processors.JSONRenderer()
        if as_json
        else structlog.dev.ConsoleRenderer(exception_formatter=structlog.dev.plain_traceback)
    )
    structlog.configure(
        processors=[
            *shared_processors(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared_processors(),
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info if as_json else _identity,
            renderer,
        ],
    )
    handler = logging.StreamHandler(out)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in quiet_loggers:
        logging.getLogger(name).setLevel(logging.WARNING)


def _identity(_: Any, __: str, event_dict: EventDict) -> EventDict:
    return event_dict


def get_logger(name: str | None = None) -> structlog.stdlib.BoundLogger:
    logger: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(name)
    return logger
