"""Listing at scale: cursor pages (stable, no duplicate or gap while cases change), refused
cursors, capped counts, open/closed views, indexed prefix search, the task queue's cursor."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, text

from domain.case.vocabulary import CaseStatus
from store.cases import create_case
from store.cursor import BadCursorError
from store.database import read_session, transaction
from store.migrate import alembic_config, upgrade, upgrade_engine
from store.queries import list_cases
from store.records import CaseFilter, CasePage, CaseSort, CaseState
from store.scope import CaseScope
from store.tasks import ur_queue
from tests.store import samples
from tests.store.writes import set_case_columns, writing

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def _open(
    engine: Engine, n: int, *, due: int | None, status: str = "submitted", **member: str
) -> str:
    case_id = f"case-{n:03d}"
    overrides = {}
    if member:
        overrides["member"] = {**samples.request().member.model_dump(mode="json"), **member}
    with transaction(engine) as session:
        create_case(
            session=session,
            case_id=case_id,
            request=samples.request(**overrides),
            received_at=samples.RECEIVED + timedelta(minutes=n),
            team="ortho" if n % 2 else "cardio",
        )
        set_case_columns(
            session=session,
            case_id=case_id,
            status=CaseStatus(status),
            next_due_at=None if due is None else NOW + timedelta(hours=due),
        )
    return case_id


@pytest.fixture
def many(engine: Engine) -> Engine:
    """40 cases: due moments with ties, some without one, a few closed."""
    for n in range(40):
        due = None if n % 7 == 0 else (n * 13) % 17 - 8  # ties on the due moment
        _open(engine, n, due=due, status="closed" if n % 9 == 4 else "submitted")
    return engine


def _page(engine: Engine, **kwargs: object) -> CasePage:
    with read_session(engine) as session:
        return list_cases(session=session, **kwargs)  # type: ignore[arg-type]


def _walk(engine: Engine, size: int, **kwargs: object) -> list[str]:
    seen: list[str] = []
    cursor = None
    for _ in range(100):
        page = _page(engine, limit=size, cursor=cursor, **kwargs)
        seen += [c.case_id for c in page.items]
        cursor = page.next_cursor
        if cursor is None:
            return seen
    raise AssertionError("the cursor never ended")


@pytest.mark.parametrize("sort", [CaseSort.DUE, CaseSort.NEWEST])
@pytest.mark.parametrize("size", [1, 4, 7, 39, 40, 41])
def test_cursor_pages_give_the_one_page_order(many: Engine, sort: CaseSort, size: int) -> None:
    filters = CaseFilter(sort=sort)
    whole = [c.case_id for c in _page(many, filters=filters, limit=500).items]
    assert len(whole) == 40
    assert _walk(many, size, filters=filters) == whole
    if sort == CaseSort.DUE:  # cases without a due moment come last
        dues = [c.next_due_at for c in _page(many, filters=filters, limit=500).items]
        first_none = dues.index(None)
        assert all(d is None for d in dues[first_none:]) and first_none == 34


def test_scoped_and_filtered_pages_by_cursor(many: Engine) -> None:
    scope = CaseScope(teams=frozenset({"ortho"}))
    filters = CaseFilter(state=CaseState.OPEN)
    whole = [c.case_id for c in _page(many, filters=filters, scope=scope, limit=500).items]
    assert whole and all(int(i[-3:]) % 2 for i in whole)
    assert _walk(many, 3, filters=filters, scope=scope) == whole


def test_no_duplicate_or_gap_while_cases_change_between_pages(many: Engine) -> None:
    first = _page(many, limit=10)
    served = [c.case_id for c in first.items]
    last_due = first.items[-1].next_due_at
    assert last_due is not None
    # Between the pages: new cases arrive before and after the cursor, a served case is closed,
    # one not yet served moves later.
    _open(many, 100, due=-50)  # sorts before the cursor: a later page must not shift
    _open(many, 101, due=500)
    _open(many, 102, due=None)
    with transaction(many) as session:
        set_case_columns(session=session, case_id=served[0], status=CaseStatus.CLOSED)
        moved = next(c.case_id for c in _page(many, limit=500).items[15:] if c.next_due_at)
        set_case_columns(session=session, case_id=moved, next_due_at=NOW + timedelta(hours=400))
    rest = _walk_from(many, first.next_cursor)
    everything = served + rest
    assert len(everything) == len(set(everything)), "a case was served twice"
    originally = {f"case-{n:03d}" for n in range(40)}
    assert originally <= set(everything), "a case was skipped"
    assert "case-101" in rest and "case-102" in rest
    assert "case-100" not in everything  # it sorts before what was served: next time


def _walk_from(engine: Engine, cursor: str | None) -> list[str]:
    seen: list[str] = []
    while cursor is not None:
        page = _page(engine, limit=10, cursor=cursor)
        seen += [c.case_id for c in page.items]
        cursor = page.next_cursor
    return seen


def test_offset_pages_still_work_and_hand_out_a_cursor(many: Engine) -> None:
    whole = [c.case_id for c in _page(many, limit=500).items]
    second = _page(many, limit=10, offset=10)
    assert [c.case_id for c in second.items] == whole[10:20]
    assert second.next_cursor is not None
    assert [c.case_id for c in _page(many, limit=10, cursor=second.next_cursor).items] == (
        whole[20:30]
    )


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "not a cursor",
        "eyJ2IjoxfQ",  # {"v":1}: no listing
        base64.urlsafe_b64encode(b'{"v":1,"l":"x","k":[]}').decode(),
        "A" * 600,
        "%%%",
    ],
)
def test_a_cursor_not_made_by_the_listing_is_refused(many: Engine, cursor: str) -> None:
    with pytest.raises(BadCursorError, match="cursor"):
        _page(many, limit=5, cursor=cursor)


def test_an_edited_or_foreign_cursor_is_refused(many: Engine) -> None:
    cursor = _page(many, limit=5).next_cursor
    assert cursor is not None
    payload = json.loads(base64.urlsafe_b64decode(cursor + "=="))
    edited = dict(payload, k=[payload["k"][0], "not a time", payload["k"][2]])
    forged = base64.urlsafe_b64encode(json.dumps(edited).encode()).decode()
    with pytest.raises(BadCursorError):
        _page(many, limit=5, cursor=forged)
    with pytest.raises(BadCursorError, match="another listing"):
        _page(many, limit=5, cursor=cursor, filters=CaseFilter(payer_id="EXH01"))
    with pytest.raises(BadCursorError, match="not both"):
        _page(many, limit=5, cursor=cursor, offset=5)


def test_counts_stop_at_the_cap(many: Engine) -> None:
    page = _page(many, limit=5, count_cap=12)
    assert (page.total, page.total_capped) == (12, True)
    assert _page(many, limit=5, count_cap=40).total_capped is False
    exact = _page(many, limit=5, count_cap=None)
    assert (exact.total, exact.total_capped) == (40, False)
    assert _page(many, limit=5).total == 40  # under the default cap: exact


def test_open_and_closed_views(many: Engine) -> None:
    opened = _page(many, filters=CaseFilter(state=CaseState.OPEN), limit=500)
    closed = _page(many, filters=CaseFilter(state=CaseState.CLOSED), limit=500)
    assert all(c.status != CaseStatus.CLOSED for c in opened.items)
    assert {c.status for c in closed.items} == {CaseStatus.CLOSED}
    assert opened.total + closed.total == 40


@pytest.fixture
def people(engine: Engine) -> Engine:
    names = [
        ("Smith", "John", "W100-200"),
        ("Smith", "Anna", "w100 300"),
        ("Smithers", "Waylon", "W200-100"),
        ("Müller-Lüdenscheidt", "José", "X55"),
        ("O'Brien", "Pat", "W100-201"),
    ]
    for n, (last, first, member_id) in enumerate(names):
        _open(engine, n, due=n, last_name=last, first_name=first, member_id=member_id)
    return engine


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ({"patient_name": "smith"}, ["case-001", "case-000", "case-002"]),  # name, then id
        ({"patient_name": "Smith, John"}, ["case-000"]),
        ({"patient_name": "SMITH  j"}, ["case-000"]),
        ({"patient_name": "muller-ludensch"}, ["case-003"]),
        ({"patient_name": "obrien"}, ["case-004"]),
        ({"patient_name": "..."}, []),
        ({"member_id": "w100"}, ["case-000", "case-004", "case-001"]),
        ({"member_id": "W100-20"}, ["case-000", "case-004"]),
        ({"member_id": "%"}, []),
        ({"search": "PA-2026-00000"}, [f"case-{n:03d}" for n in range(5)]),
        ({"search": "000003"}, ["case-002"]),
        ({"search": "2026-000005"}, ["case-004"]),
        ({"search": "pa_2026"}, []),
    ],
)
def test_prefix_search(people: Engine, term: dict[str, str], expected: list[str]) -> None:
    page = _page(people, filters=CaseFilter.model_validate(term), limit=50)
    assert [c.case_id for c in page.items] == expected


def test_search_pages_by_cursor_without_phi_in_the_cursor(people: Engine) -> None:
    filters = CaseFilter(patient_name="smith")
    first = _page(people, filters=filters, limit=2)
    assert first.next_cursor is not None
    decoded = base64.urlsafe_b64decode(first.next_cursor + "==").decode()
    assert "smith" not in decoded.lower() and "john" not in decoded.lower()
    second = _page(people, filters=filters, limit=2, cursor=first.next_cursor)
    assert [c.case_id for c in first.items + second.items] == ["case-001", "case-000", "case-002"]
    assert second.next_cursor is None


def test_search_within_scope_and_state(people: Engine) -> None:
    scope = CaseScope(teams=frozenset({"cardio"}))  # even case numbers
    page = _page(people, filters=CaseFilter(patient_name="smith"), scope=scope)
    assert [c.case_id for c in page.items] == ["case-000", "case-002"]
    with transaction(people) as session:
        set_case_columns(session=session, case_id="case-000", status=CaseStatus.WITHDRAWN)
    still = _page(people, filters=CaseFilter(patient_name="smith john"))
    assert [c.case_id for c in still.items] == ["case-000"]  # closed cases stay searchable
    opened = _page(people, filters=CaseFilter(patient_name="smith john", state=CaseState.OPEN))
    assert opened.items == []


def test_task_queue_pages_by_cursor(engine: Engine) -> None:
    _open(engine, 1, due=1)
    with writing(engine) as writes:
        for n in range(23):
            writes.create_task(
                idempotency_key=f"t-{n}",
                case_id="case-001",
                kind="ur_queue",
                title=f"Task {n}",
                due_at=None if n % 5 == 0 else NOW + timedelta(hours=n % 4),
                queue="ur" if n % 2 else "supervisor",
            )
    with read_session(engine) as session:
        whole = [t.task_id for t in ur_queue(session=session, limit=500).items]
        walked: list[int] = []
        cursor = None
        while True:
            page = ur_queue(session=session, limit=4, cursor=cursor)
            walked += [t.task_id for t in page.items]
            cursor = page.next_cursor
            if cursor is None:
                break
        assert walked == whole and len(whole) == 23
        assert ur_queue(session=session, limit=4, count_cap=10).total_capped is True
        with pytest.raises(BadCursorError):
            ur_queue(
                session=session, queue="ur", cursor=ur_queue(session=session, limit=4).next_cursor
            )


def test_revision_0006_fills_the_search_keys_of_existing_cases(database_url: str) -> None:
    upgrade(database_url, "0005")
    request = samples.request().model_dump(mode="json")
    request["member"].update(member_id="ab 12", last_name="Ñúñez", first_name="Iñés")
    from store.database import make_engine

    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO cases (case_id, case_number, status, regime, payer_id, "
                    "payer_name, urgency, request, received_at, created_at, updated_at) VALUES "
                    "('old-1', 'PA-2025-000001', 'closed', 'erisa_group', 'P', 'P', 'standard', "
                    ":request, :at, :at, :at)"
                ),
                {"request": json.dumps(request), "at": datetime(2025, 1, 1)},
            )
        config = alembic_config()
        config.attributes["concurrent_index_rows"] = 1  # PostgreSQL: the CONCURRENTLY path
        upgrade_engine(engine, config=config)
        with engine.connect() as connection:
            keys = connection.execute(
                text("SELECT member_key, name_key FROM cases WHERE case_id = 'old-1'")
            ).one()
        assert tuple(keys) == ("AB12", "nunez ines")
        page = _page(engine, filters=CaseFilter(patient_name="nunez"))
        assert [c.case_id for c in page.items] == ["old-1"]
    finally:
        engine.dispose()
