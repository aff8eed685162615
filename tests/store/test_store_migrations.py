"""Alembic owns the schema: the migrations apply, are repeatable, and match the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlmodel import SQLModel

import store.tables  # noqa: F401  (the models the schema must match)
from store.database import make_engine
from store.migrate import current_revision, head_revision, upgrade
from store.tables import GENESIS_HASH


def test_migrated_schema_matches_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == []


def test_upgrade_creates_every_table_and_seeds_the_chain_head(engine: Engine) -> None:
    tables = set(inspect(engine).get_table_names())
    assert tables >= set(SQLModel.metadata.tables) | {"alembic_version"}
    assert current_revision(engine) == head_revision()
    with engine.connect() as connection:
        head = connection.execute(text("SELECT * FROM audit_chain_head")).mappings().all()
    assert [dict(row) for row in head] == [{"id": 1, "last_sequence": 0, "last_hash": GENESIS_HASH}]


def test_upgrade_twice_changes_nothing(database_url: str) -> None:
    upgrade(database_url)
    upgrade(database_url)
    engine = make_engine(database_url)
    try:
        assert current_revision(engine) == head_revision()
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT count(*) FROM audit_chain_head")).scalar()
        assert rows == 1
    finally:
        engine.dispose()


def test_an_unmigrated_database_has_no_revision(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        assert current_revision(engine) is None
    finally:
        engine.dispose()
