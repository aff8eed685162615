"""My work: a person's open cases with patient, service and the next clock; scope, search by
name in a POST body, filter errors, the self-refreshing list, PHI reads recorded."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, update
from sqlmodel import select

from domain.case.transition import Transition
from domain.case.vocabulary import CaseStatus
from store.cases import create_case
from store.database import read_session, transaction
from store.tables import PhiReadRow, WebSessionRow
from store.types import utcnow
from tests.store import samples
from tests.store.writes import set_case_columns, writing
from tests.web.conftest import Browser, add_person


def open_case(
    engine: Engine,
    case_id: str,
    *,
    team: str,
    assignee: str | None,
    last_name: str,
    due_in: timedelta,
) -> None:
    now = utcnow()
    member = {**samples.request().member.model_dump(mode="json"), "last_name": last_name}
    with transaction(engine) as session:
        create_case(
            session=session,
            case_id=case_id,
            request=samples.request(member=member, codes=("E0601",)),
            received_at=now - timedelta(days=2),
            team=team,
        )
    with writing(engine) as writes:
        writes.record(
            Transition(
                case_id=case_id,
                key=f"{case_id}:test:1",
                event="case_submitted",
                summary="submitted",
                occurred_at=now,
                status=CaseStatus.SUBMITTED,
                assignee=assignee,
                deadlines=[samples.deadline(due=now + due_in, starts_at=now - timedelta(days=2))],
            )
        )
    with transaction(engine) as session:
        set_case_columns(session=session, case_id=case_id, next_due_at=now + due_in)


async def test_my_cases_show_patient_service_and_the_payers_clock(
    engine: Engine, browser: Browser
) -> None:
    add_person(engine, "casey", teams=("ortho",))
    open_case(
        engine,
        "case-mine",
        team="ortho",
        assignee="casey",
        last_name="Hartley",
        due_in=timedelta(hours=5),
    )
    open_case(
        engine,
        "case-cardio",
        team="cardio",
        assignee=None,
        last_name="Okafor",
        due_in=timedelta(hours=1),
    )
    await browser.sign_in("casey")
    page = await browser.get("/")
    assert page.status_code == 200
    assert "Hartley, Testa" in page.text or "Hartley," in page.text
    assert "E0601" in page.text and "Example Health Plan" in page.text
    assert "due in 5 h" in page.text or "due in 4 h 59 min" in page.text
    assert "payer&#39;s clock" in page.text or "payer's clock" in page.text
    assert "stage-escalated" in page.text  # over 80 % of the two-day window is gone
    assert "Okafor" not in page.text  # another team's case
    everyone = await browser.post("/", {"show": "team"})
    assert "Hartley" in everyone.text and "Okafor" not in everyone.text
    with read_session(engine) as session:
        reads = session.exec(select(PhiReadRow.case_id, PhiReadRow.actor)).all()
    assert ("case-mine", "case_manager:casey") in reads
    assert all(case_id != "case-cardio" for case_id, _ in reads)


async def test_search_by_patient_name_travels_in_the_body(engine: Engine, browser: Browser) -> None:
    add_person(engine, "casey", teams=("ortho",))
    open_case(
        engine, "case-a", team="ortho", assignee=None, last_name="Hartley", due_in=timedelta(days=3)
    )
    open_case(
        engine, "case-b", team="ortho", assignee=None, last_name="Moreno", due_in=timedelta(days=3)
    )
    open_case(
        engine,
        "case-c",
        team="cardio",
        assignee=None,
        last_name="Hartwell",
        due_in=timedelta(days=3),
    )
    await browser.sign_in("casey")
    found = await browser.post("/", {"q": "hart"})
    assert found.status_code == 200
    assert "Search results" in found.text
    assert "Hartley" in found.text
    assert "Moreno" not in found.text and "Hartwell" not in found.text  # another team's


async def test_a_bad_filter_is_named_and_the_list_still_shows(
    engine: Engine, browser: Browser
) -> None:
    add_person(engine, "casey", teams=("ortho",))
    await browser.sign_in("casey")
    response = await browser.post("/", {"due_within": "soon", "payer": "EXH01"})
    assert response.status_code == 422
    assert 'id="due_within-error"' in response.text
    assert 'value="EXH01"' in response.text  # the person's other values are kept


async def test_the_background_refresh_does_not_keep_a_session_alive(
    engine: Engine, browser: Browser
) -> None:
    add_person(engine, "casey")
    await browser.sign_in("casey")
    ten_minutes_ago = utcnow() - timedelta(minutes=10)
    with transaction(engine) as session:
        session.execute(update(WebSessionRow).values(last_seen_at=ten_minutes_ago))
    rows = await browser.post("/work/rows", headers={"X-Background-Refresh": "1"})
    assert rows.status_code == 200
    assert "<html" not in rows.text and "My tasks" in rows.text
    with read_session(engine) as session:
        seen = session.exec(select(WebSessionRow.last_seen_at)).one()
    assert abs((seen - ten_minutes_ago).total_seconds()) < 1
    await browser.post("/work/rows")  # a person's own click counts
    with read_session(engine) as session:
        seen = session.exec(select(WebSessionRow.last_seen_at)).one()
    assert seen > ten_minutes_ago + timedelta(minutes=9)
