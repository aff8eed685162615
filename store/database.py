"""Engines, sessions and units of work for SQLite (default) and PostgreSQL (production).

SQLite: WAL journal, a busy timeout and foreign keys on every connection, and transactions that
begin with `BEGIN IMMEDIATE`. A deferred SQLite transaction that reads and then writes fails
at once with "database is locked" when another writer committed in between (the busy timeout
does not apply to that case); taking the write lock up front makes concurrent writers simply
wait their turn. `read_session` opts out for read-only work so readers never queue behind writers.

`transaction` is a unit of work on an ORM session; `connection_transaction` the same on a Core
connection, for writes that need no ORM (the session's own machinery is a good part of a short
transaction's CPU), and `session_on` joins a session to such a connection's transaction.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import StaticPool
from sqlmodel import Session

SQLITE_BUSY_TIMEOUT_MS = 30_000
# Execution option read by the SQLite "begin" hook: "IMMEDIATE" (default) or "DEFERRED".
SQLITE_BEGIN = "priorauth_sqlite_begin"


def normalize_url(url: str) -> URL:
    """Parse `url`; plain `postgresql://` / `postgres://` URLs get the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            url = "postgresql+psycopg://" + url.removeprefix(prefix)
    return make_url(url)


def make_engine(url: str | URL, *, echo: bool = False) -> Engine:
    """An engine for a SQLite file (or memory) or a PostgreSQL database (psycopg 3).

    `hide_parameters`: statement parameters (a request's PHI) never reach a log line or the
    text of a database error."""
    parsed = normalize_url(url) if isinstance(url, str) else url
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, echo=echo)
    return create_engine(parsed, echo=echo, pool_pre_ping=True, hide_parameters=True)


def _sqlite_engine(url: URL, *, echo: bool) -> Engine:
    in_memory = url.database in (None, "", ":memory:")
    options: dict[str, Any] = {"connect_args": {"check_same_thread": False}}
    if in_memory:
        options["poolclass"] = StaticPool  # one connection, or each would see its own database
    else:
        Path(url.database or "").parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, echo=echo, hide_parameters=True, **options)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" hook below emit BEGIN (pysqlite's own would be deferred and
        # would also break SAVEPOINT handling).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get(SQLITE_BEGIN, "IMMEDIATE")
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions for units of work; objects stay readable after commit."""
    return sessionmaker(bind=engine, class_=Session, expire_on_commit=False)


_SQLITE_WRITERS: weakref.WeakKeyDictionary[Engine, threading.RLock] = weakref.WeakKeyDictionary()
_SQLITE_WRITERS_GUARD = threading.Lock()


def _writer_lock(engine: Engine) -> threading.RLock | None:
    """SQLite takes one writer at a time. Threads of one process queue on a lock and wake the
    moment it is free; left to SQLite's busy handler they would sleep in steps of up to 100 ms.
    Other processes still meet the busy timeout."""
    if engine.dialect.name != "sqlite":
        return None
    with _SQLITE_WRITERS_GUARD:
        lock = _SQLITE_WRITERS.get(engine)
        if lock is None:
            lock = _SQLITE_WRITERS[engine] = threading.RLock()
        return lock


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """One unit of work = one commit: commits on success, rolls back on any exception."""
    lock = _writer_lock(engine)
    with (
        lock or nullcontext(),
        Session(engine, expire_on_commit=False) as session,
        session.begin(),
    ):
        yield session


@contextmanager
def connection_transaction(engine: Engine) -> Iterator[Connection]:
    """`transaction` without the ORM, for the hottest writes: a Core connection, committed on
    success, rolled back on any exception. Same writer lock, same `BEGIN` (the engine's hook)."""
    lock = _writer_lock(engine)
    with lock or nullcontext(), engine.begin() as connection:
        yield connection


@contextmanager
def session_on(connection: Connection) -> Iterator[Session]:
    """A session in `connection`'s transaction, for ORM work within a `connection_transaction`:
    the transaction stays the connection owner's to commit or roll back. Flushed when the block
    ends without error, then closed: the objects it loaded stay readable, detached."""
    with Session(connection, expire_on_commit=False) as session:
        yield session
        session.flush()


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    """A session for queries only (API listings); never commits, never waits for writers.

    On PostgreSQL its statements share one snapshot (REPEATABLE READ; a transaction that only
    reads never fails to serialize), so a listing's capped count and its page agree even
    while a case changes between the two statements."""
    if engine.dialect.name == "postgresql":
        bind = engine.execution_options(isolation_level="REPEATABLE READ")
    else:
        bind = engine.execution_options(**{SQLITE_BEGIN: "DEFERRED"})
    with Session(bind, expire_on_commit=False) as session:
        try:
            yield session
        finally:
            session.rollback()
