"""Batch files, the way an SFTP mailbox connects to a clearinghouse.

- `BatchFolders`: the outbound folder (278 requests we leave for the clearinghouse) and the
  inbound folder (278 responses, 999s and TA1s it leaves for us). Every file is written under a
  hidden temporary name and renamed into place (atomic on one file system), so a reader never
  sees half a file. Read inbound files move to `processed/`, or `review/` when they went to
  the review queue.
- `BatchGateway`: a `PayerGateway` that writes the submission's 278 to the outbound folder
  (one file per trace number: writing it again replaces the same file) and answers with a
  receipt; the answers come through the inbound folder.
- `InboundMailbox`: reads one inbound message and matches it to its submission by the trace
  number (a 278 response's TRN02 / BHT03) or the control number (a 999's AK102, a TA1's
  TA101) in the ledger: a decision goes to the `DecisionSink`, an acceptance is noted, and
  anything that matches no submission or no case (or a rejection arriving after the
  submission was answered) goes to the review queue, never to a guessed case.
- `poll_inbound` / `poll_inbound_forever`: the worker's loop over the inbound folder.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import structlog

from domain.clearinghouse_ledger import ANSWERED, TraceEntry, TraceLedger, TraceState
from domain.models import PriorAuthRequest
from domain.payer_gateway import DecisionSink, GatewayReceipt, GatewaySubmission, PayerGateway
from integrations.clearinghouse.answers import Answer, acknowledgment_answer, read_answer
from integrations.clearinghouse.request import Trading, build_submission_278, reserve_trace
from integrations.x12 import Acknowledgment, X12Error, X12RejectedError, parse_any

log = structlog.stdlib.get_logger("priorauth.clearinghouse")

SUFFIXES = (".x12", ".edi", ".txt")
DEFAULT_TIMEZONE = "America/New_York"


def _utcnow() -> datetime:
    return datetime.now(UTC)


def write_atomically(folder: Path, name: str, text: str) -> Path:
    """Write `text` to `folder/name` so that no reader ever sees a partial file."""
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / name
    temporary = folder / f".{name}.{os.getpid()}.tmp"
    with temporary.open("w", encoding="utf-8", newline="") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, final)
    return final


def stamped_name(kind: str, key: str) -> str:
    """A file name that sorts by arrival: nanoseconds, kind, key."""
    return f"{time.time_ns():020d}-{kind}-{key}.x12"


@dataclass(frozen=True)
class BatchFolders:
    outbound: Path
    inbound: Path

    @property
    def processed(self) -> Path:
        return self.inbound / "processed"

    @property
    def review(self) -> Path:
        return self.inbound / "review"

    def write_outbound(self, trace_number: str, text: str) -> Path:
        return write_atomically(self.outbound, f"278-{trace_number}.x12", text)

    def inbound_files(self) -> list[Path]:
        """Complete inbound files, oldest name first (temporary files are hidden)."""
        if not self.inbound.is_dir():
            return []
        return sorted(
            path
            for path in self.inbound.iterdir()
            if path.is_file() and not path.name.startswith(".") and path.suffix.lower() in SUFFIXES
        )

    def file_away(self, path: Path, *, reviewed: bool) -> Path:
        folder = self.review if reviewed else self.processed
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / path.name
        os.replace(path, target)
        return target


class BatchGateway:
    """`PayerGateway` leaving 278 files in the outbound folder (answers come inbound)."""

    def __init__(
        self,
        folders: BatchFolders,
        *,
        ledger: TraceLedger,
        trading: Trading,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.folders = folders
        self.ledger = ledger
        self.trading = trading
        self.clock = clock

    async def submit(self, submission: GatewaySubmission) -> GatewayReceipt:
        entry = await reserve_trace(self.ledger, submission, self.clock())
        duplicate = entry.state in ANSWERED
        if not duplicate:
            x12 = build_submission_278(submission, entry, self.trading, self.clock())
            await asyncio.to_thread(self.folders.write_outbound, entry.trace_number, x12)
            await asyncio.to_thread(self.ledger.mark_attempt, entry.trace_number, self.clock())
            entry = await asyncio.to_thread(
                self.ledger.record, entry.trace_number, state=TraceState.ACCEPTED, now=self.clock()
            )
        return GatewayReceipt(
            submission_id=entry.trace_number,
            accepted_at=entry.sent_at or self.clock(),
            duplicate=duplicate,
        )


Handled = Literal["applied", "acknowledged", "rejected", "queued"]


@dataclass(frozen=True)
class InboundResult:
    handled: Handled
    kind: str
    trace_number: str | None = None
    case_id: str | None = None
    detail: str = ""


class InboundMailbox:
    """Applies inbound clearinghouse messages to their submissions (see the module docstring).

    `load_request` gives a case's stored request (None: no such case); it lets a 278 response's
    lines be matched to the case's lines."""

    def __init__(
        self,
        ledger: TraceLedger,
        sink: DecisionSink,
        load_request: Callable[[str], PriorAuthRequest | None],
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.ledger = ledger
        self.sink = sink
        self.load_request = load_request
        self.clock = clock

    async def handle(self, text: str, source: str) -> InboundResult:
        try:
            parsed = parse_any(text)
        except X12RejectedError as exc:
            return await self._rejected_278(text, source, exc)
        except X12Error as exc:
            return await self._queue(text, source, "unreadable", [], None, f"not readable: {exc}")
        if isinstance(parsed, Acknowledgment):
            return await self._acknowledgment(text, source, parsed)
        return await self._response(text, source, parsed.trace_numbers)

    async def _find(self, traces: list[str]) -> TraceEntry | None:
        for trace in traces:
            entry = await asyncio.to_thread(self.ledger.find_trace, trace)
            if entry is not None:
                return entry
        return None

    async def _response(self, text: str, source: str, traces: list[str]) -> InboundResult:
        entry = await self._find(traces)
        if entry is None:
            return await self._queue(
                text, source, "278", traces, None, "no submission was sent with this trace number"
            )
        request = await asyncio.to_thread(self.load_request, entry.case_id)
        if request is None:
            return await self._queue(
                text,
                source,
                "278",
                traces,
                None,
                f"trace {entry.trace_number} belongs to a case that does not exist",
            )
        try:
            answer = read_answer(
                text,
                trace=entry.trace_number,
                request=request,
                timezone=request.coverage.payer.timezone or DEFAULT_TIMEZONE,
                received_at=self.clock(),
            )
        except X12Error as exc:
            return await self._queue(text, source, "278", traces, entry.case_id, str(exc))
        await self._record(entry, answer)
        assert answer.decision is not None
        await self.sink.payer_decision(entry.case_id, answer.decision, None)
        return InboundResult("applied", "278", entry.trace_number, entry.case_id)

    async def _rejected_278(self, text: str, source: str, exc: X12RejectedError) -> InboundResult:
        entry = await self._find(exc.trace_numbers)
        if entry is None:
            return await self._queue(
                text,
                source,
                "278",
                exc.trace_numbers,
                None,
                "a rejection (AAA) for no submission we sent",
            )
        answer = Answer(TraceState.REJECTED, "278", error=str(exc))
        await self._record(entry, answer)
        return await self._queue(
            text,
            source,
            "278",
            [entry.trace_number],
            entry.case_id,
            f"the payer rejected the 278 after it was sent: {exc}",
            handled="rejected",
        )

    async def _acknowledgment(self, text: str, source: str, ack: Acknowledgment) -> InboundResult:
        number = ack.acknowledged_control_number.strip()
        entry = (
            await asyncio.to_thread(self.ledger.find_control_number, int(number))
            if number.isdigit()
            else None
        )
        if entry is None:
            return await self._queue(
                text,
                source,
                ack.kind,
                [],
                None,
                f"the {ack.kind} acknowledges control number {number or '(none)'}, which we did "
                "not send",
            )
        answer = acknowledgment_answer(ack)
        if answer.state is TraceState.ACCEPTED:
            await asyncio.to_thread(
                self.ledger.record,
                entry.trace_number,
                state=entry.state,
                now=self.clock(),
                acknowledgment=answer.acknowledgment,
            )
            return InboundResult("acknowledged", ack.kind, entry.trace_number, entry.case_id)
        await self._record(entry, answer)
        return await self._queue(
            text,
            source,
            ack.kind,
            [entry.trace_number],
            entry.case_id,
            answer.error or f"the {ack.kind} rejects the 278",
            handled="rejected",
        )

    async def _record(self, entry: TraceEntry, answer: Answer) -> None:
        await asyncio.to_thread(
            self.ledger.record,
            entry.trace_number,
            state=answer.state,
            now=self.clock(),
            decision=answer.decision.model_dump(mode="json") if answer.decision else None,
            acknowledgment=answer.acknowledgment,
            error=answer.error,
        )

    async def _queue(
        self,
        text: str,
        source: str,
        kind: str,
        traces: list[str],
        case_id: str | None,
        reason: str,
        *,
        handled: Handled = "queued",
    ) -> InboundResult:
        queued = await asyncio.to_thread(
            self.ledger.queue_for_review,
            source=source,
            kind=kind,
            trace_numbers=traces,
            case_id=case_id,
            reason=reason,
            payload=text,
            now=self.clock(),
        )
        log.warning(
            "clearinghouse_message_for_review", review_id=queued.id, kind=kind, source=source
        )
        return InboundResult(handled, kind, traces[0] if traces else None, case_id, reason)


async def poll_inbound(folders: BatchFolders, mailbox: InboundMailbox) -> list[InboundResult]:
    """Handle every complete inbound file once, oldest first, and file each away."""
    results = []
    for path in await asyncio.to_thread(folders.inbound_files):
        text = await asyncio.to_thread(path.read_text, encoding="utf-8-sig")
        result = await mailbox.handle(text, path.name)
        await asyncio.to_thread(
            folders.file_away, path, reviewed=result.handled in ("queued", "rejected")
        )
        log.info(
            "clearinghouse_inbound",
            file=path.name,
            handled=result.handled,
            kind=result.kind,
            case_id=result.case_id,
        )
        results.append(result)
    return results


async def poll_inbound_forever(
    folders: BatchFolders, mailbox: InboundMailbox, *, interval: float, stop: asyncio.Event
) -> None:
    """`poll_inbound` every `interval` seconds until `stop` is set. A file whose delivery fails
    (the Temporal server unreachable) stays in the folder and is tried again next time."""
    while not stop.is_set():
        try:
            await poll_inbound(folders, mailbox)
        except Exception:  # keep polling: the file stays and is retried
            log.exception("clearinghouse_inbound_failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)


if TYPE_CHECKING:

    def _implements_payer_gateway(gateway: BatchGateway) -> PayerGateway:
        return gateway
