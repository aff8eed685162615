"""structlog through the stdlib: one configuration for our code, Temporal, uvicorn and SQLAlchemy.

JSON lines when stdout is not a terminal, a readable console when it is. Every line, ours or a
library's, passes one formatter whose last step before rendering is `redact_phi`
(`config.redaction`): exceptions and stacks are turned into text first, so a traceback or a
validation error echoing its input is scrubbed like the message itself.

Every process configures logging at start (`configure_logging`: worker, CLI commands, sandbox
payer); the API factory calls `ensure_logging`, which configures only a process nobody has
configured yet (plain `uvicorn api.app:create_app --factory`) and routes uvicorn's own loggers
through the root handler.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable, MutableMapping
from typing import Any, TextIO

import structlog
from structlog.types import EventDict, Processor

from config.redaction import PHI_KEYS, REDACTED, redact_phi, scrub_text

__all__ = [
    "PHI_KEYS",
    "REDACTED",
    "configure_logging",
    "ensure_logging",
    "get_logger",
    "logging_configured",
    "redact_phi",
    "scrub_text",
]

# Loggers that install their own handlers (uvicorn's default dictConfig): routed to the root.
ADOPTED_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")


class RedactingHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The one root handler; it marks the process as configured. With no stream given it
    writes to whatever `sys.stdout` (or `sys.stderr`) is at the time (tests swap them)."""

    def __init__(self, stream: TextIO | None = None, *, to_stderr: bool = False) -> None:
        self._fixed = stream
        self._to_stderr = to_stderr
        super().__init__(self.stream)

    @property
    def stream(self) -> TextIO:
        if self._fixed is not None:
            return self._fixed
        return sys.stderr if self._to_stderr else sys.stdout

    @stream.setter
    def stream(self, value: TextIO) -> None:
        if self._fixed is not None:
            self._fixed = value


def _flatten_temporal_extra(_: Any, __: str, event_dict: EventDict) -> EventDict:
    """Temporal puts workflow/activity info in `extra`; lift the ids so lines carry case ids."""
    for key in ("temporal_workflow", "temporal_activity"):
        info = event_dict.get(key)
        if isinstance(info, MutableMapping):
            workflow_id = info.get("workflow_id")
            if isinstance(workflow_id, str) and workflow_id.startswith("case-"):
                event_dict.setdefault("workflow_id", workflow_id)
    return event_dict


def _stack_as_text(_: Any, __: str, event_dict: EventDict) -> EventDict:
    """A stdlib record's `stack_info` is already text: keep it as `stack` for the redactor."""
    stack = event_dict.pop("stack_info", None)
    if isinstance(stack, str):
        event_dict["stack"] = stack
    elif stack:
        event_dict["stack_info"] = stack
        return structlog.processors.StackInfoRenderer()(_, __, event_dict)
    return event_dict


def shared_processors() -> list[Processor]:
    """What every event gets before formatting (structlog's and foreign records alike)."""
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),
        _flatten_temporal_extra,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]


def final_processors(renderer: Processor) -> list[Processor]:
    """The formatter's chain: exception and stack to text, THEN redaction, then rendering."""
    return [
        structlog.stdlib.ProcessorFormatter.remove_processors_meta,
        _stack_as_text,
        structlog.processors.format_exc_info,
        redact_phi,
        renderer,
    ]


def make_formatter(as_json: bool) -> structlog.stdlib.ProcessorFormatter:
    renderer: Processor = (
        structlog.processors.JSONRenderer()
        if as_json
        else structlog.dev.ConsoleRenderer(exception_formatter=structlog.dev.plain_traceback)
    )
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared_processors(), processors=final_processors(renderer)
    )


def configure_logging(
    level: str = "INFO",
    fmt: str = "auto",
    quiet_loggers: Iterable[str] = (),
    stream: TextIO | None = None,
    *,
    to_stderr: bool = False,
) -> None:
    """Configure structlog and the stdlib root logger (lines go to `stream`, standard output by
    default, standard error with `to_stderr`: commands whose output is their result). Calling
    it again replaces the configuration: handlers are never doubled."""
    out = stream if stream is not None else (sys.stderr if to_stderr else sys.stdout)
    as_json = fmt == "json" or (fmt == "auto" and not out.isatty())
    structlog.configure(
        processors=[
            *shared_processors(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = RedactingHandler(stream, to_stderr=to_stderr)
    handler.setFormatter(make_formatter(as_json))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Python warnings (pydantic's serializer warnings quote the value) become log lines too;
    # off then on, so the hook is installed again if something (a test runner) replaced it.
    logging.captureWarnings(False)
    logging.captureWarnings(True)
    adopt_library_loggers()
    for name in quiet_loggers:
        logging.getLogger(name).setLevel(logging.WARNING)


def adopt_library_loggers() -> None:
    """Loggers with handlers of their own (uvicorn's dictConfig) lose them and propagate to the
    root, so their lines are formatted and redacted like ours."""
    for name in ADOPTED_LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True


def logging_configured() -> bool:
    return any(isinstance(h, RedactingHandler) for h in logging.getLogger().handlers)


def ensure_logging(level: str = "INFO", fmt: str = "auto") -> None:
    """Configure logging unless this process already has (idempotent); always adopt uvicorn's
    loggers, which uvicorn configures after our entry points run."""
    if logging_configured():
        adopt_library_loggers()
    else:
        configure_logging(level, fmt)


def get_logger(name: str | None = None) -> structlog.stdlib.BoundLogger:
    logger: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(name)
    return logger
