"""Case scope in the store: listings and queues filter by team and payer in SQL; a case outside
the scope is "not found"; cases migrated from before teams belong to the team "default"."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, text

from store import tasks as store_tasks
from store.cases import create_case
from store.database import read_session, transaction
from store.errors import NotFoundError
from store.migrate import upgrade_engine
from store.queries import list_cases
from store.records import CaseFilter
from store.scope import EVERY_CASE, CaseScope, require_case_in_scope
from store.transitions import TransitionWrites
from tests.store import samples
from tests.store.audit_guard import downgrade_engine

# case id -> (team, payer)
CASES = {
    "case-t1": ("team-a", "EXH01"),
    "case-t2": ("team-a", "ACME7"),
    "case-t3": ("team-b", "EXH01"),
    "case-t4": ("team-c", "ACME7"),
}


@pytest.fixture
def cases(engine: Engine) -> Engine:
    with transaction(engine) as session:
        for index, (case_id, (team, payer)) in enumerate(CASES.items()):
            create_case(
                session=session,
                case_id=case_id,
                request=samples.request(payer_id=payer),
                received_at=samples.RECEIVED + timedelta(hours=index),
                team=team,
            )
            with TransitionWrites(session.connection()) as writes:
                writes.create_task(
                    idempotency_key=f"{case_id}:ur",
                    case_id=case_id,
                    kind="ur_queue",
                    title="Review",
                    queue="ur",
                )
    return engine


def _listed(engine: Engine, scope: CaseScope, **filters: object) -> tuple[set[str], int]:
    with read_session(engine) as session:
        page = list_cases(
            session=session, filters=CaseFilter.model_validate(filters), limit=2, scope=scope
        )
        rest = list_cases(
            session=session,
            filters=CaseFilter.model_validate(filters),
            limit=500,
            offset=2,
            scope=scope,
        )
    return {item.case_id for item in [*page.items, *rest.items]}, page.total


@pytest.mark.parametrize(
    ("scope", "expected"),
    [
        (EVERY_CASE, set(CASES)),
        (CaseScope(teams=frozenset({"team-a"})), {"case-t1", "case-t2"}),
        (CaseScope(teams=frozenset({"team-a", "team-c"})), {"case-t1", "case-t2", "case-t4"}),
        (CaseScope(payer_ids=frozenset({"EXH01"})), {"case-t1", "case-t3"}),
        (CaseScope(teams=frozenset({"team-a"}), payer_ids=frozenset({"ACME7"})), {"case-t2"}),
        (CaseScope(teams=frozenset()), set()),
        (CaseScope(payer_ids=frozenset()), set()),
        (CaseScope(teams=frozenset({"nobody"})), set()),
    ],
    ids=["all", "one-team", "two-teams", "payer", "team-and-payer", "no-team", "no-payer", "none"],
)
def test_listings_and_lookups_keep_to_the_scope(
    cases: Engine, scope: CaseScope, expected: set[str]
) -> None:
    found, total = _listed(cases, scope)
    assert found == expected
    assert total == len(expected)  # the count is of the scoped set, not of every case
    with read_session(cases) as session:
        for case_id in CASES:
            if case_id in expected:
                assert require_case_in_scope(session, case_id, scope).case_id == case_id
            else:
                with pytest.raises(NotFoundError):
                    require_case_in_scope(session, case_id, scope)
        queue = store_tasks.ur_queue(session=session, queue="ur", scope=scope)
    assert {task.case_id for task in queue.items} == expected
    assert queue.total == len(expected)


def test_a_filter_never_widens_the_scope(cases: Engine) -> None:
    team_a = CaseScope(teams=frozenset({"team-a"}))
    assert _listed(cases, team_a, payer_id="EXH01") == ({"case-t1"}, 1)
    assert _listed(cases, team_a, search="nothing-like-this") == (set(), 0)


def test_cases_from_before_teams_belong_to_the_default_team(engine: Engine) -> None:
    downgrade_engine(engine, "0002")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO cases (case_id, case_number, status, regime, payer_id, payer_name, "
                "urgency, request, received_at, created_at, updated_at) VALUES ('case-old', "
                "'PA-2026-000001', 'opened', 'medicare_advantage', 'EXH01', 'Example', "
                "'standard', :request, :at, :at, :at)"
            ),
            {"request": samples.request().model_dump_json(), "at": samples.RECEIVED},
        )
    upgrade_engine(engine)
    with read_session(engine) as session:
        row = require_case_in_scope(session, "case-old", CaseScope(teams=frozenset({"default"})))
        assert row.team == "default"
