"""Migrating on start: on in dev and test, off in production, where the API and the worker only
check that the schema is at head and refuse to start, saying what to run, when it is not."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from commands.db import db_app
from config.settings import Settings
from store.database import make_engine
from store.migrate import SchemaNotAtHeadError, current_revision, head_revision, prepare_schema
from tests.store.audit_guard import downgrade_engine

pytestmark = pytest.mark.postgres


def test_migrate_on_start_defaults_by_environment() -> None:
    assert Settings(environment="dev").effective_migrate_on_start is True
    assert Settings(environment="test").effective_migrate_on_start is True
    production = Settings.model_construct(environment="production", migrate_on_start=None)
    assert production.effective_migrate_on_start is False
    assert Settings(environment="dev", migrate_on_start=False).effective_migrate_on_start is False


def test_the_migration_url_defaults_to_the_database_url() -> None:
    settings = Settings(environment="test", database_url="sqlite:///x.db")
    assert settings.resolved_migration_database_url == "sqlite:///x.db"
    settings = Settings(
        environment="test",
        database_url="postgresql://app@db/p",
        migration_database_url="postgresql://owner@db/p",
    )
    assert settings.resolved_migration_database_url == "postgresql://owner@db/p"


def test_an_unmigrated_store_is_refused_with_what_to_run(database_url: str) -> None:
    with pytest.raises(SchemaNotAtHeadError) as caught:
        prepare_schema(database_url, migrate=False)
    message = str(caught.value)
    assert "not migrated" in message and f"needs revision {head_revision()}" in message
    assert "python -m store.migrate" in message and "PRIORAUTH_MIGRATION_DATABASE_URL" in message
    checked = CliRunner().invoke(db_app, ["check", "--database-url", database_url])
    assert checked.exit_code == 2 and "not migrated" in checked.stderr


def test_a_store_behind_head_is_refused(database_url: str) -> None:
    prepare_schema(database_url, migrate=True)
    engine = make_engine(database_url)
    try:
        downgrade_engine(engine, "0001")
        with pytest.raises(SchemaNotAtHeadError, match="at revision 0001"):
            prepare_schema(database_url, migrate=False)
        prepare_schema(database_url, migrate=True)
        assert current_revision(engine) == head_revision()
        prepare_schema(database_url, migrate=False)
    finally:
        engine.dispose()


def test_the_api_does_not_start_on_an_unmigrated_store_when_not_migrating(
    database_url: str,
) -> None:
    settings = Settings(environment="test", database_url=database_url, migrate_on_start=False)
    app = create_app(settings)
    with pytest.raises(SchemaNotAtHeadError), TestClient(app):
        pass
    engine = make_engine(database_url)
    try:
        assert current_revision(engine) is None  # it did not migrate either
    finally:
        engine.dispose()


@pytest.mark.parametrize("command", [["api", "--port", "1"], ["worker"]])
def test_servers_refuse_an_unmigrated_store_with_one_paragraph_and_exit_2(
    database_url: str, tmp_path: Path, command: list[str]
) -> None:
    """`priorauth api` / `priorauth worker` that may not migrate stop before serving."""
    env = {
        **os.environ,
        "PRIORAUTH_ENVIRONMENT": "test",
        "PRIORAUTH_MIGRATE_ON_START": "false",
        "PRIORAUTH_DATABASE_URL": database_url,
        "PRIORAUTH_DATA_DIR": str(tmp_path),
    }
    done = subprocess.run(
        [str(Path(sys.executable).parent / "priorauth"), *command],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "not migrated" in done.stderr and "this release needs revision" in done.stderr
    assert "Traceback" not in done.stderr
