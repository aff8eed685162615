"""Database fixtures for every test folder (add other fixtures in a subfolder's conftest).

`database_url` is an empty database per test, on SQLite (a temp file) and, when
PRIORAUTH_TEST_POSTGRES_URL is set, on PostgreSQL too: one uniquely named database per test
session (dropped at the end), one schema per test inside it. If the variable is set and
PostgreSQL cannot be reached, the PostgreSQL tests fail; they never skip. `engine` is the same
database migrated to the latest revision. Every test runs with PRIORAUTH_ENVIRONMENT=test.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Iterator
from contextlib import ExitStack

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import OperationalError

from config.logging import RedactingHandler
from store.database import make_engine, normalize_url
from store.migrate import upgrade
from store.scratch import scratch_postgres_database

POSTGRES_ENV = "PRIORAUTH_TEST_POSTGRES_URL"

# Settings default to production; the suite (and every process it starts) runs as `test`, which
# allows the sandbox and simulated payers but, like production, has no built-in API keys.
os.environ["PRIORAUTH_ENVIRONMENT"] = "test"


def backends() -> list[object]:
    """The stores a database fixture runs on: SQLite, and PostgreSQL when configured."""
    backends: list[object] = [pytest.param("sqlite", id="sqlite")]
    if os.environ.get(POSTGRES_ENV):
        backends.append(pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres))
    return backends


def url_text(url: URL) -> str:
    """A URL as a string that still connects (str(url) masks the password)."""
    return url.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[URL]:
    """A fresh database for this test session on the server of PRIORAUTH_TEST_POSTGRES_URL."""
    server = os.environ[POSTGRES_ENV]
    with ExitStack() as stack:
        try:
            database = stack.enter_context(
                scratch_postgres_database(server, prefix="priorauth_test")
            )
        except OperationalError as exc:
            shown = normalize_url(server).render_as_string(hide_password=True)
            pytest.fail(
                f"{POSTGRES_ENV} is set, but PostgreSQL at {shown} is unreachable: {exc.orig}. "
                f"Start PostgreSQL, or unset {POSTGRES_ENV} to run the SQLite tests only.",
                pytrace=False,
            )
        yield database


def empty_database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, prefix: str
) -> str:
    """The URL of an empty, unmigrated database on `request.param`'s store: a SQLite file, or
    a new schema in the session's PostgreSQL scratch database (dropped with it, so no per-use
    DROP that could wait on a connection left open)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp(prefix) / 'priorauth.db'}"
    database: URL = request.getfixturevalue("postgres_database")
    schema = f"{prefix}_{secrets.token_hex(6)}"
    setup = create_engine(database)
    with setup.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    setup.dispose()
    return url_text(database.update_query_dict({"options": f"-csearch_path={schema}"}))


@pytest.fixture(params=backends())
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The URL of an empty, unmigrated database that belongs to this test alone."""
    return empty_database(request, tmp_path_factory, "test")


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on this test's database, migrated to the latest revision."""
    upgrade(database_url)
    engine = make_engine(database_url)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture(autouse=True)
def _logging_set_up_by_a_test_ends_with_it() -> Iterator[None]:
    """A test that configures logging (an API app under test does) must not leave its handler
    behind: it writes to the standard output of whatever runs next, such as a command whose
    output a later test parses."""
    root = logging.getLogger()
    before = set(root.handlers)
    yield
    for handler in root.handlers[:]:
        if isinstance(handler, RedactingHandler) and handler not in before:
            root.removeHandler(handler)
