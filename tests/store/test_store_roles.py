"""The runtime role (PostgreSQL): after the owner migrates and grants it, the role the API and
the worker log in as does the application's writes but cannot change the schema nor change,
delete or truncate audit rows; a process that does not migrate on start checks the schema."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError
from typer.testing import CliRunner

from commands.db import db_app
from domain.case.transition import TaskSpec, Transition
from domain.case.vocabulary import CaseStatus
from domain.escalation import TaskQueue
from store import audit
from store.cases import create_case, get_case_summary
from store.database import make_engine, read_session, transaction
from store.migrate import prepare_schema
from store.records import TaskStatus
from store.roles import RoleGrantError, grant_runtime
from tests.conftest import url_text
from tests.store import samples
from tests.store.writes import task_id, writing

AT = datetime(2026, 3, 4, 16, 30, tzinfo=UTC)
APPEND_ONLY_TRIGGER = "CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "


@pytest.fixture
def runtime_role(engine: Engine) -> Iterator[str]:
    if engine.dialect.name != "postgresql":
        pytest.skip("database roles exist on PostgreSQL only")
    role = f"priorauth_rt_{secrets.token_hex(4)}"
    with engine.begin() as connection:
        connection.execute(text(f"CREATE ROLE {role} LOGIN"))
    yield role
    with engine.begin() as connection:
        connection.execute(text(f"DROP OWNED BY {role}"))
        connection.execute(text(f"DROP ROLE {role}"))


@pytest.fixture
def as_runtime(database_url: str, runtime_role: str, engine: Engine) -> Iterator[Engine]:
    """An engine on the test's database that logs in as the granted runtime role."""
    grant_runtime(engine, runtime_role)
    runtime = make_engine(url_text(make_url(database_url).set(username=runtime_role)))
    try:
        yield runtime
    finally:
        runtime.dispose()


def _denied(engine: Engine, statement: str) -> None:
    with pytest.raises(ProgrammingError) as caught, engine.begin() as connection:
        connection.execute(text(statement))
    assert "InsufficientPrivilege" in type(caught.value.orig).__name__ or "must be owner" in str(
        caught.value
    )


def _append(engine: Engine, n: int) -> None:
    with writing(engine) as writes:
        writes.append_event_once(
            idempotency_key=f"case-700:{n}:step",
            case_id="case-700",
            action="note-added",
            actor="api-key:reviewer",
            summary=f"note {n}",
            occurred_at=AT,
        )


def test_the_runtime_role_appends_audit_events_but_cannot_change_them(
    as_runtime: Engine,
) -> None:
    _append(as_runtime, 1)
    _append(as_runtime, 2)
    with read_session(as_runtime) as session:
        assert audit.verify_chain(session=session).events_checked == 2
    for statement in (
        "UPDATE audit_events SET summary = 'rewritten'",
        "DELETE FROM audit_events",
        "TRUNCATE audit_events",
        "ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only",
        "DROP TRIGGER audit_events_append_only ON audit_events",
        "ALTER TABLE audit_events ADD COLUMN note text",
        "DROP TABLE audit_events CASCADE",
        "TRUNCATE cases CASCADE",
        "ALTER TABLE cases ADD COLUMN note text",
        "CREATE TABLE intruder (id int)",
        "UPDATE alembic_version SET version_num = '0001'",
    ):
        _denied(as_runtime, statement)


def test_the_runtime_role_does_the_applications_writes(as_runtime: Engine) -> None:
    with transaction(as_runtime) as session:
        create_case(
            session=session,
            case_id="case-701",
            request=samples.request(),
            received_at=samples.RECEIVED,
        )
    review = TaskSpec(
        key="case-701:review", kind="review", title="Review the request", queue=TaskQueue.UR
    )
    submitted = Transition(
        case_id="case-701",
        key="case-701:case:00001",
        event="submitted",
        summary="Submitted to the payer",
        occurred_at=AT,
        status=CaseStatus.SUBMITTED,
        assignee="cm-ann",
        deadlines=[samples.deadline(due=AT + samples.hours(72))],
        tasks=[review],
        decision=samples.denial(),
        appeal=samples.appeal(),
        contact=samples.call(),
    )
    with writing(as_runtime) as writes:
        assert writes.record(submitted)
        assert writes.record_escalation(
            key="case-701:escalation:1",
            case_id="case-701",
            task=TaskSpec(
                key="case-701:escalation:1",
                kind="escalation_half",
                title="Half",
                queue=TaskQueue.ASSIGNEE,
            ),
            summary="Half the time is gone",
            occurred_at=AT,
        )
    review_id = task_id(as_runtime, "case-701:review")
    with writing(as_runtime) as writes:
        writes.reassign_task(task_id=review_id, assignee="cm-bob", at=AT)
        assert writes.close_task(task_id=review_id, status=TaskStatus.DONE, by="cm-bob", at=AT)
    with read_session(as_runtime) as session:
        assert get_case_summary(session=session, case_id="case-701").status == "submitted"
        assert audit.verify_chain(session=session).events_checked == 2


def test_tables_marked_by_an_append_only_trigger_get_select_and_insert_only(
    engine: Engine, runtime_role: str, database_url: str
) -> None:
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE payer_messages_log (id serial, body text)"))
        connection.execute(
            text(
                "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'append-only'; END $$"
            )
        )
        connection.execute(
            text(
                APPEND_ONLY_TRIGGER.format(table="payer_messages_log")
                + "FOR EACH STATEMENT EXECUTE FUNCTION refuse()"
            )
        )
    grants = grant_runtime(engine, runtime_role)
    assert set(grants.append_only) == {"audit_events", "phi_reads", "payer_messages_log"}
    assert "cases" in grants.read_write and "alembic_version" not in grants.read_write
    runtime = make_engine(url_text(make_url(database_url).set(username=runtime_role)))
    try:
        with runtime.begin() as connection:
            connection.execute(text("INSERT INTO payer_messages_log (body) VALUES ('m')"))
        _denied(runtime, "UPDATE payer_messages_log SET body = 'x'")
        _denied(runtime, "DELETE FROM payer_messages_log")
    finally:
        runtime.dispose()


def test_granting_again_keeps_the_rule_after_a_new_migration(
    engine: Engine, runtime_role: str
) -> None:
    grant_runtime(engine, runtime_role)
    with engine.begin() as connection:  # a later migration adds a table
        connection.execute(text("CREATE TABLE later_table (id int)"))
    assert "later_table" in grant_runtime(engine, runtime_role).read_write


def test_a_missing_or_superuser_role_is_refused(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        with pytest.raises(RoleGrantError, match="PostgreSQL only"):
            grant_runtime(engine, "anyone")
        return
    with pytest.raises(RoleGrantError, match="'no_such_role' does not exist"):
        grant_runtime(engine, "no_such_role")
    with pytest.raises(RoleGrantError, match="superuser"):
        grant_runtime(engine, "postgres")


def test_a_runtime_process_checks_the_schema_instead_of_migrating(
    database_url: str, runtime_role: str, engine: Engine
) -> None:
    # The owner migrated and granted (the `engine` fixture migrated): the check passes as
    # the runtime role, which can read the revision but not migrate.
    grant_runtime(engine, runtime_role)
    runtime_url = url_text(make_url(database_url).set(username=runtime_role))
    prepare_schema(runtime_url, migrate=False)
    checked = CliRunner().invoke(db_app, ["check", "--database-url", runtime_url])
    assert checked.exit_code == 0, checked.output
    # Migrating on start with a migration URL: the owner migrates and grants the role again.
    prepare_schema(runtime_url, migrate=True, migration_url=database_url, runtime_role=runtime_role)
    _append(make_engine(runtime_url), 1)


def test_grant_runtime_command(engine: Engine, runtime_role: str, database_url: str) -> None:
    done = CliRunner().invoke(
        db_app, ["grant-runtime", runtime_role, "--database-url", database_url]
    )
    assert done.exit_code == 0, done.output
    assert "append-only (SELECT, INSERT): audit_events" in done.stdout
    missing = CliRunner().invoke(
        db_app, ["grant-runtime", "nobody_x", "--database-url", database_url]
    )
    assert missing.exit_code == 2 and "does not exist" in missing.stderr
