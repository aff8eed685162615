"""Group commit: units of work that queue while a transaction is being written share the next one.

Every workflow transition is a short write transaction, and all of them serialize: on SQLite
behind the one database writer, on both databases behind the audit chain's head row. In a busy
worker the transaction that holds the lock also waits for the interpreter lock at each statement
(the threads decoding and encoding workflow payloads keep it busy), so a 1 ms transaction holds
the writer for 10 ms or more and the store, not Temporal, sets the pace.

`GroupCommit.run(work)` queues `work` (a function of a Core connection, in a transaction) and
waits for the writer. The thread that gets it takes everything queued by then and runs it all in
one transaction: one BEGIN, one COMMIT and one lock hand-over for the lot, in arrival order, so
each audit event chains onto the previous one exactly as separate transactions would. Every unit
still sees its own result or its own exception: when a batch fails, it is rolled back and each
unit runs again in a transaction of its own, so one bad unit fails alone and nothing is
half-written. Units must therefore be repeatable (touch only the connection, idempotent by key),
as activity retries require anyway.

Transactions are `store.database.connection_transaction`s: no ORM session per transaction. A
unit that needs the ORM opens `store.database.session_on(connection)` for itself; the session is
flushed and closed when the unit returns, so the next unit reads rows afresh, not objects a
previous one left behind.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy import Connection, Engine

from store.database import connection_transaction

R = TypeVar("R")


@dataclass(eq=False)
class _Unit(Generic[R]):
    work: Callable[[Connection], R]
    result: R | None = None
    error: BaseException | None = None
    done: bool = False

    def outcome(self) -> R:
        if self.error is not None:
            raise self.error
        return self.result  # type: ignore[return-value]


@dataclass(eq=False)
class GroupCommit:
    """Runs units of work for one engine, several to a transaction when they queue up."""

    engine: Engine
    max_batch: int = 64
    _queue: list[_Unit[Any]] = field(default_factory=list)
    _queue_guard: threading.Lock = field(default_factory=threading.Lock)
    _writer: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if self.max_batch < 1:
            raise ValueError("max_batch must be at least 1")

    def run(self, work: Callable[[Connection], R]) -> R:
        """Run `work(connection)` in a committed transaction (possibly shared); its result or
        error."""
        unit: _Unit[R] = _Unit(work)
        with self._queue_guard:
            self._queue.append(unit)
        while True:
            with self._writer:
                if unit.done:  # an earlier writer took it along
                    return unit.outcome()
                with self._queue_guard:
                    batch = self._queue[: self.max_batch]
                    del self._queue[: self.max_batch]
                self._write(batch)
                if unit.done:
                    return unit.outcome()

    def _write(self, batch: list[_Unit[Any]]) -> None:
        try:
            if len(batch) > 1 and self._write_together(batch):
                return
            for unit in batch:
                self._write_alone(unit)
        finally:
            # Whatever happened (even an interrupt), no caller waits for a unit nobody will run.
            for unit in batch:
                if not unit.done:
                    unit.error, unit.done = RuntimeError("the group commit was interrupted"), True

    def _write_together(self, batch: list[_Unit[Any]]) -> bool:
        """One transaction for the whole batch; False (all rolled back) if any unit failed."""
        try:
            with connection_transaction(self.engine) as connection:
                results = [unit.work(connection) for unit in batch]
        except Exception:
            return False
        for unit, result in zip(batch, results, strict=True):
            unit.result, unit.done = result, True
        return True

    def _write_alone(self, unit: _Unit[Any]) -> None:
        try:
            with connection_transaction(self.engine) as connection:
                unit.result = unit.work(connection)
        except Exception as exc:
            unit.error = exc
        unit.done = True
