"""Throwaway PostgreSQL databases for tests and benchmarks (never used by the application)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL

from store.database import normalize_url


@contextmanager
def scratch_postgres_database(
    server_url: str, *, prefix: str = "priorauth_scratch"
) -> Iterator[URL]:
    """Create a uniquely named database on `server_url`'s server, yield its URL, then drop it.

    Raises sqlalchemy's `OperationalError` when the server cannot be reached (5 s timeout).
    """
    server = normalize_url(server_url)
    admin = create_engine(server, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(4)}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield server.set(database=name)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
