"""Fault drills on the whole stack: nothing is lost, nothing is done twice, the audit holds.

Each drill opens cases through the API of a running stack (separate worker, API, sandbox payer
and Temporal dev server processes, `tests.drills.stack`), breaks something while they are in
flight, and then checks what a user would: every case reaches the state the payer's answer
implies, the payer saw exactly one submission per case, every payer decision was applied once,
and the audit chain verifies. The figures go to the terminal summary ("fault drills").

(a) the worker is killed with SIGKILL mid-flight and a new one started;
(b) the Temporal dev server is stopped and started again on its database mid-flight;
(c) the payer decides but its notification is lost: `$inquire` reconciliation finds it;
(d) payer notifications arrive twice and out of order: applied once, the newest wins.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from domain.case.prior_auth import INQUIRY_ACTOR
from domain.case.vocabulary import CaseStatus
from store import audit, cases
from store.database import read_session
from tests.drills.conftest import DrillFigures
from tests.drills.stack import Stack, eventually
from tests.workflows.conftest import request

pytestmark = [pytest.mark.temporal]

SYNC = "payer:pas"  # the audit actor of an answer the payer gave to the submission itself


@dataclass
class Expected:
    """The state a case must reach, how many payer decisions it applies on the way (fewer
    when a later one arrives before an earlier one: the earlier is then never news), and who
    must have delivered the last one (None: any channel)."""

    status: CaseStatus
    decisions: tuple[int, int]
    last_by: str | None = None


# What the sandbox payer does with each service code (tests/drills/conftest.py SANDBOX_SCRIPT).
BY_CODE = {
    # Approved or denied in the answer to the submission: delivered by the submission itself,
    # never left for a reconciliation poll to find.
    "27447": Expected(CaseStatus.APPROVED, (1, 1), SYNC),
    "E0601": Expected(CaseStatus.DENIED, (1, 1), SYNC),
    # Pended (A4), then approved by rest-hook notification (or by inquiry if that was lost).
    "97110": Expected(CaseStatus.APPROVED, (1, 2)),
}
APPLIED = "payer_decision"  # the audit action of an applied payer decision
MID_FLIGHT_CASES = 24
SETTLE_SECONDS = 150.0  # a killed worker's payer call is retried after its 60 s timeout


@dataclass
class Outcome:
    reached: list[str]
    lost: dict[str, str]
    submissions: dict[str, int]
    # case -> [(action, decision id, actor)] of the payer decisions in its audit trail
    decisions: dict[str, list[tuple[str, str, str]]]
    chain_ok: bool
    claims: dict[str, dict[str, Any]]

    @property
    def duplicated(self) -> int:
        return sum(max(0, n - 1) for n in self.submissions.values())

    @property
    def resent(self) -> int:
        """Posts the payer got again under a transaction it had seen (a retried activity)."""
        return sum(
            max(0, self.claims[c]["posts"] - self.claims[c]["submissions"])
            for c in self.submissions
            if c in self.claims
        )

    @property
    def by_inquiry(self) -> int:
        """Cases whose last decision was found by asking the payer (`$inquire`)."""
        return sum(
            1
            for trail in self.decisions.values()
            if [actor for action, _, actor in trail if action == APPLIED][-1:] == [INQUIRY_ACTOR]
        )

    def note(self, prefix: str = "") -> str:
        return (
            f"{prefix}{self.resent} resent with the same key, {self.by_inquiry} decided by $inquire"
        )


def _decision_id(summary: str) -> str:
    found = re.match(r"Payer decision (\S+?):? ", summary)
    assert found, summary
    return found.group(1)


def case_request(member_id: str, code: str) -> dict[str, Any]:
    payload = request(member_id=member_id).model_dump(mode="json")
    payload["service_lines"][0]["code"] = code
    return payload


async def open_cases(
    stack: Stack, members_and_codes: list[tuple[str, str]]
) -> dict[str, tuple[str, str]]:
    """Open the cases through the API, a few at a time, as several clerks would."""
    gate = asyncio.Semaphore(6)

    async def one(http: httpx.AsyncClient, member_id: str, code: str) -> str:
        async with gate:
            return await stack.open_case(http, case_request(member_id, code))

    async with httpx.AsyncClient(timeout=30) as http:
        ids = await asyncio.gather(*(one(http, m, c) for m, c in members_and_codes))
    return dict(zip(ids, members_and_codes, strict=True))


def mixed(tag: str, n: int) -> list[tuple[str, str]]:
    codes = list(BY_CODE)
    return [(f"{tag}{i:04d}", codes[i % len(codes)]) for i in range(n)]


def statuses(store: Engine, case_ids: list[str]) -> dict[str, CaseStatus]:
    with read_session(store) as session:
        return {c: cases.get_case_summary(session=session, case_id=c).status for c in case_ids}


async def settle(
    stack: Stack, store: Engine, expected: dict[str, Expected], *, seconds: float
) -> Outcome:
    """Wait (polling the store, up to `seconds`) for every case's expected state, then count."""
    deadline = time.monotonic() + seconds
    while True:
        now = await asyncio.to_thread(statuses, store, list(expected))
        if all(now[c] == e.status for c, e in expected.items()) or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.25)
    claims = await stack.payer_claims()
    with read_session(store) as session:
        decisions = {
            case_id: [
                (e.action, _decision_id(e.summary), e.actor)
                for e in audit.timeline(session=session, case_id=case_id)
                if e.action.startswith(APPLIED)
            ]
            for case_id in expected
        }
        chain_ok = audit.verify_chain(session=session).ok
    return Outcome(
        reached=[c for c, e in expected.items() if now[c] == e.status],
        lost={c: now[c].value for c, e in expected.items() if now[c] != e.status},
        submissions={c: claims.get(c, {}).get("submissions", 0) for c in expected},
        decisions=decisions,
        chain_ok=chain_ok,
        claims=claims,
    )


def record(
    figures: list[DrillFigures],
    drill: str,
    backend: str,
    outcome: Outcome,
    started: float,
    note: str = "",
) -> None:
    figures.append(
        DrillFigures(
            drill=drill,
            backend=backend,
            cases=len(outcome.submissions),
            reached=len(outcome.reached),
            lost=len(outcome.lost),
            duplicated=outcome.duplicated,
            chain_ok=outcome.chain_ok,
            seconds=time.monotonic() - started,
            note=outcome.note(note),
        )
    )


def assert_nothing_lost_or_doubled(
    outcome: Outcome, expected: dict[str, Expected], stack: Stack
) -> None:
    assert outcome.lost == {}, (
        f"cases not in their expected state: {outcome.lost}\n"
        + stack.log(stack.worker_name)[-4000:]
    )
    assert outcome.submissions == dict.fromkeys(expected, 1), "the payer saw a case twice or never"
    for case_id, want in expected.items():
        applied = [
            (d, actor) for action, d, actor in outcome.decisions[case_id] if action == APPLIED
        ]
        ids = [d for d, _ in applied]
        assert len(set(ids)) == len(ids), f"{case_id}: a payer decision applied twice: {ids}"
        low, high = want.decisions
        assert low <= len(applied) <= high, f"{case_id}: {outcome.decisions[case_id]}"
        if want.last_by is not None:
            assert applied[-1][1] == want.last_by, f"{case_id}: {outcome.decisions[case_id]}"
    assert outcome.chain_ok


def expected_for(opened: dict[str, tuple[str, str]]) -> dict[str, Expected]:
    return {case_id: BY_CODE[code] for case_id, (_, code) in opened.items()}


async def mid_flight(stack: Stack, opened: dict[str, tuple[str, str]]) -> int:
    """Wait until the payer has seen some of the cases (not necessarily all): the moment to
    break something. Returns how many it had seen."""

    async def some_seen() -> int | None:
        claims = await stack.payer_claims()
        seen = sum(1 for c in opened if c in claims)
        return seen if seen >= len(opened) // 4 else None

    return await eventually(some_seen, seconds=60, what="the payer seeing the first cases")


# ---------------------------------------------------------------------------------- drills


async def test_a_worker_killed_mid_flight_loses_and_doubles_nothing(
    stack: Stack, store: Engine, backend: str, drill_figures: list[DrillFigures]
) -> None:
    started = time.monotonic()
    opened = await open_cases(stack, mixed("KILL", MID_FLIGHT_CASES))
    seen = await mid_flight(stack, opened)
    stack.kill_worker()
    stack.start_worker()
    await stack.wait_worker_ready()
    expected = expected_for(opened)
    outcome = await settle(stack, store, expected, seconds=SETTLE_SECONDS)
    note = f"killed with {seen} of {len(opened)} at the payer; "
    record(drill_figures, "a: worker SIGKILL mid-flight", backend, outcome, started, note)
    assert_nothing_lost_or_doubled(outcome, expected, stack)


async def test_b_temporal_restarted_mid_flight_loses_and_doubles_nothing(
    stack: Stack, store: Engine, backend: str, drill_figures: list[DrillFigures]
) -> None:
    started = time.monotonic()
    opened = await open_cases(stack, mixed("RESTART", MID_FLIGHT_CASES))
    seen = await mid_flight(stack, opened)
    await stack.restart_temporal()
    expected = expected_for(opened)
    outcome = await settle(stack, store, expected, seconds=SETTLE_SECONDS)
    note = f"stopped with {seen} of {len(opened)} at the payer; "
    record(drill_figures, "b: Temporal restart mid-flight", backend, outcome, started, note)
    assert_nothing_lost_or_doubled(outcome, expected, stack)


async def test_c_lost_notification_is_recovered_by_inquiry(
    stack: Stack, store: Engine, backend: str, drill_figures: list[DrillFigures]
) -> None:
    started = time.monotonic()
    # The payer pends, decides a second later, and its notification never leaves.
    opened = await open_cases(stack, [(f"LOSTNOTE{i:02d}", "97110") for i in range(4)])
    expected = {c: Expected(CaseStatus.APPROVED, (2, 2), INQUIRY_ACTOR) for c in opened}
    outcome = await settle(stack, store, expected, seconds=60)
    dropped = sum(outcome.claims[c]["dropped"] for c in opened)
    note = f"{dropped} notifications dropped; "
    record(drill_figures, "c: notification lost", backend, outcome, started, note)
    assert_nothing_lost_or_doubled(outcome, expected, stack)
    for case_id in opened:
        claim = outcome.claims[case_id]
        assert (claim["dropped"], claim["notified"]) == (1, 0)  # nothing reached the API
        assert claim["inquiries"] >= 1


async def test_d_duplicate_and_out_of_order_notifications_apply_once_newest_wins(
    stack: Stack, store: Engine, backend: str, drill_figures: list[DrillFigures]
) -> None:
    started = time.monotonic()
    # The payer pends (A4) and stays silent until told to decide.
    opened = await open_cases(stack, [(f"QUIET{i:02d}", "27447") for i in range(3)])
    pended = {c: Expected(CaseStatus.PENDED, (1, 1), SYNC) for c in opened}
    outcome = await settle(stack, store, pended, seconds=60)
    assert outcome.lost == {}
    for case_id in opened:
        # The payer approves (v2), then, a second later, reverses to a denial (v3).
        path = f"/sandbox/claims/{case_id}"
        made = await stack.payer("POST", f"{path}/decide", {"behaviours": ["approve", "deny"]})
        older, newer = made["versions"]
        # Delivered: the newer, the older, the newer again.
        for version in (newer, older, newer):
            sent = await stack.payer("POST", f"{path}/notify/{version}")
            assert sent["status_code"] == 200, sent
    expected = {c: Expected(CaseStatus.DENIED, (2, 2)) for c in opened}
    outcome = await settle(stack, store, expected, seconds=30)
    kept = sum(a == "payer_decision_stale" for c in opened for a, _, _ in outcome.decisions[c])
    note = f"{3 * len(opened)} notifications, {kept} older kept as stale; "
    record(drill_figures, "d: notifications twice, out of order", backend, outcome, started, note)
    assert_nothing_lost_or_doubled(outcome, expected, stack)
    for case_id in opened:
        trail = outcome.decisions[case_id]
        actions = Counter(a for a, _, _ in trail if a in (APPLIED, "payer_decision_stale"))
        # The pended answer and the denial applied once each (the denial by notification or,
        # if a reconciliation poll came first, by inquiry); the older approval, arriving after
        # the denial, is kept for the record only.
        assert actions == {"payer_decision": 2, "payer_decision_stale": 1}, actions
        stale = {d for a, d, _ in trail if a == "payer_decision_stale"}
        assert not stale & {d for a, d, _ in trail if a == APPLIED}
