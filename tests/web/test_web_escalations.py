"""Escalations: open escalation tasks grouped by stage and sorted by due moment; who may use
the page and whose tasks they see; bulk claim, assign and complete through the task rules
(store changed, audit events written), refusals reported, CSRF required."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from domain.escalation import EscalationLadder, describe_rung
from store.database import read_session
from store.records import TaskRecord, TaskStatus
from store.tables import AuditEventRow, PhiReadRow
from tests.web.conftest import Browser
from tests.web.escalation_seed import audit_actions, reread, seed_world


def groups(page: str) -> list[tuple[str, list[str]]]:
    """(heading, case numbers in order) of each stage section."""
    found = []
    for match in re.finditer(
        r'<section class="card" aria-labelledby="group-[^"]+".*?</section>', page, re.S
    ):
        block = match.group(0)
        heading = re.search(r"<h2[^>]*>(.*?)</h2>", block, re.S)
        assert heading is not None
        text = html.unescape(re.sub(r"<[^>]+>", "", heading.group(1))).strip()
        found.append((" ".join(text.split()), re.findall(r'data-case-number="([^"]+)"', block)))
    return found


def result(page: str) -> str:
    start = page.index(">", page.index('id="bulk-result"')) + 1
    return " ".join(
        html.unescape(re.sub(r"<[^>]+>", " ", page[start : page.index("</div>", start)])).split()
    )


@pytest.fixture
def world(engine: Engine) -> dict[str, TaskRecord]:
    return seed_world(engine)


async def test_groups_by_stage_each_sorted_by_due_moment(
    engine: Engine, browser: Browser, world: dict[str, TaskRecord]
) -> None:
    await browser.sign_in("uma")
    page = await browser.get("/escalations")
    assert page.status_code == 200
    number = {name: task.case_number for name, task in world.items()}
    eighty = describe_rung(next(r for r in EscalationLadder().payer if r.name == "eighty"))
    assert groups(page.text) == [
        ("Past due (1)", [number["late"]]),
        (f"{eighty[:1].upper()}{eighty[1:]} (2)", [number["soon"], number["later"]]),
        ("Other escalation tasks (1)", [number["other"]]),
    ]
    text = html.unescape(page.text)
    assert "Okafor" in text and "E0601" in text  # the case's patient and service
    assert "payer's clock" in text and "due in 1 h" in text  # the task's clock, counted down
    assert f'<a href="/cases/case-soon">{number["soon"]}</a>' in page.text
    assert f'id="select-task-{world["soon"].task_id}"' in page.text
    assert f"Select task {number['soon']}" in page.text
    with read_session(engine) as session:  # the PHI on screen was recorded as read
        read = set(
            session.exec(
                select(PhiReadRow.case_id).where(
                    PhiReadRow.actor == "ur_staff:uma", PhiReadRow.route == "GET /escalations"
                )
            )
        )
    assert read == {"case-late", "case-soon", "case-later", "case-other"}


async def test_a_case_manager_is_refused(
    engine: Engine, browser: Browser, world: dict[str, TaskRecord]
) -> None:
    await browser.sign_in("casey")
    page = await browser.get("/escalations")
    assert page.status_code == 403
    assert "for UR staff" in page.text
    assert world["soon"].case_number not in page.text
    sent = await browser.post(
        "/escalations/bulk", {"action": "claim", "task_id": str(world["soon"].task_id)}
    )
    assert sent.status_code == 403
    assert reread(engine, world["soon"]).assignee == "uma"


async def test_ur_staff_see_their_teams_tasks_only_a_supervisor_everyones(
    engine: Engine, browser: Browser, second_browser: Browser, world: dict[str, TaskRecord]
) -> None:
    await browser.sign_in("uma")
    mine = html.unescape((await browser.get("/escalations")).text)
    assert world["theirs"].case_number not in mine  # Ulrich's, not open to Uma
    everyone = html.unescape((await browser.get("/escalations", show="everyone")).text)
    assert world["theirs"].case_number in everyone
    for page in (mine, everyone):
        assert world["cardio"].case_number not in page and "Zeller" not in page
    await second_browser.sign_in("bea")
    cardio = html.unescape((await second_browser.get("/escalations", show="everyone")).text)
    assert world["cardio"].case_number in cardio
    assert world["soon"].case_number not in cardio and "Okafor" not in cardio

    await browser.http.post("/logout", data={"csrf_token": browser.csrf})
    await browser.sign_in("sam")
    supervisor = html.unescape((await browser.get("/escalations")).text)
    for task in world.values():
        assert task.case_number in supervisor


async def test_bulk_claim_assign_and_complete_change_the_store_and_are_audited(
    engine: Engine, browser: Browser, world: dict[str, TaskRecord]
) -> None:
    await browser.sign_in("uma")
    await browser.get("/escalations")
    picker = (await browser.get("/escalations")).text
    assert '<option value="ulrich">' in picker and '<option value="bea">' not in picker
    assert '<option value="casey">' not in picker
    late, later = world["late"], world["later"]
    claimed = await browser.post(
        "/escalations/bulk",
        {"action": "claim", "task_id": [str(late.task_id), str(later.task_id)]},
    )
    assert claimed.status_code == 200
    assert result(claimed.text).startswith("2 tasks claimed (assigned to you).")
    assert reread(engine, late).assignee == "uma" and reread(engine, later).assignee == "uma"
    assert audit_actions(engine, "case-late")[-1] == "task_reassigned"

    assigned = await browser.post(
        "/escalations/bulk",
        {
            "action": "assign",
            "person": "ulrich",
            "task_id": [str(late.task_id), str(later.task_id)],
        },
    )
    assert result(assigned.text).startswith("2 tasks assigned to Ulrich.")
    assert reread(engine, late).assignee == "ulrich" and reread(engine, later).assignee == "ulrich"
    assert audit_actions(engine, "case-later").count("task_reassigned") == 2

    soon = world["soon"]
    completed = await browser.post(
        "/escalations/bulk",
        {"action": "complete", "note": "Payer called back", "task_id": [str(soon.task_id)]},
    )
    assert result(completed.text).startswith("1 task completed.")
    done = reread(engine, soon)
    assert done.status == TaskStatus.DONE and done.completed_by == "ur_staff:uma"
    with read_session(engine) as session:
        actor, summary = session.exec(
            select(AuditEventRow.actor, AuditEventRow.summary).where(
                AuditEventRow.case_id == "case-soon", AuditEventRow.action == "task_completed"
            )
        ).one()
    assert actor == "ur_staff:uma" and "Payer called back" in summary
    listed = [number for _, numbers in groups(completed.text) for number in numbers]
    assert soon.case_number not in listed and world["other"].case_number in listed


async def test_tasks_out_of_reach_or_already_completed_are_reported_and_left_alone(
    engine: Engine, browser: Browser, world: dict[str, TaskRecord]
) -> None:
    await browser.sign_in("uma")
    await browser.get("/escalations")
    soon, cardio, later = world["soon"], world["cardio"], world["later"]
    await browser.post("/escalations/bulk", {"action": "complete", "task_id": str(soon.task_id)})
    before = audit_actions(engine, "case-cardio")
    sent = await browser.post(
        "/escalations/bulk",
        {
            "action": "claim",
            "task_id": [str(later.task_id), str(soon.task_id), str(cardio.task_id), "999999"],
        },
    )
    assert sent.status_code == 200
    summary = result(sent.text)
    assert summary.startswith("1 task claimed (assigned to you); 3 not changed.")
    assert f"{soon.case_number} (task {soon.task_id}): already completed" in summary
    assert f"task {cardio.task_id}: not found, or not a case of your teams" in summary
    assert cardio.case_number not in summary  # nothing of the other team's case is told
    assert "task 999999: not found" in summary
    assert reread(engine, cardio).assignee is None
    assert audit_actions(engine, "case-cardio") == before
    assert reread(engine, soon).assignee == "uma" and reread(engine, soon).status == TaskStatus.DONE
    assert reread(engine, later).assignee == "uma"

    nobody = await browser.post(
        "/escalations/bulk", {"action": "assign", "person": "bea", "task_id": str(later.task_id)}
    )
    assert nobody.status_code == 422
    assert "not one of the UR staff of your teams" in html.unescape(nobody.text)
    assert reread(engine, later).assignee == "uma"


async def test_a_bulk_post_without_the_csrf_token_is_refused(
    engine: Engine, browser: Browser, world: dict[str, TaskRecord]
) -> None:
    await browser.sign_in("uma")
    await browser.get("/escalations")
    forged = await browser.http.post(
        "/escalations/bulk", data={"action": "claim", "task_id": str(world["later"].task_id)}
    )
    assert forged.status_code == 403
    wrong = await browser.http.post(
        "/escalations/bulk",
        data={"csrf_token": "x" * 43, "action": "claim", "task_id": str(world["later"].task_id)},
    )
    assert wrong.status_code == 403
    assert reread(engine, world["later"]).assignee is None
