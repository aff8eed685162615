"""A small, hand-built history of two payers' answers, for the payer performance tests.

Each `Request` says in plain words what happened to one case; `build` writes it through the
store's one writer (`store.transitions`) as the engine would: the case, its decision clock,
its payer decisions (a pended answer first where `pended_first`), its appeal. The tests count
the expected figures from these inputs, not from the code under test.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from domain.case.transition import Transition
from domain.case.vocabulary import CaseStatus
from domain.models import PayerDecision
from store.cases import create_case
from store.database import transaction
from tests.store import samples
from tests.store.writes import writing

ZONE = "America/Chicago"
CHICAGO = ZoneInfo(ZONE)
CLOCK = timedelta(days=7)  # the payer's decision clock of every request here


@dataclass(frozen=True)
class Request:
    case_id: str
    payer_id: str
    team: str
    received: datetime
    outcome: str | None  # "approved" / "denied" / None (no decision yet)
    hours_to_decision: float = 0
    reason: tuple[str, str] | None = None  # a denial's code and text
    appeal: str | None = None  # the appeal's outcome: "overturned", "upheld", "submitted"
    pended_first: bool = False

    @property
    def late(self) -> bool:
        return self.outcome is not None and timedelta(hours=self.hours_to_decision) > CLOCK


def _march(day: int) -> datetime:
    return datetime(2026, 3, day, 9, 0, tzinfo=CHICAGO)


NOT_NECESSARY = ("CO-50", "Not medically necessary per policy MP-123")
EXPERIMENTAL = ("N-100", "Experimental or investigational")
ACME = "ACME"
BOLT = "BOLT"
HISTORY = [
    Request("acme-1", ACME, "ortho", _march(2), "approved", 24),
    Request("acme-2", ACME, "ortho", _march(3), "approved", 48, pended_first=True),
    Request("acme-3", ACME, "ortho", _march(4), "denied", 72, NOT_NECESSARY, "overturned"),
    Request("acme-4", ACME, "ortho", _march(5), "denied", 96, NOT_NECESSARY, "upheld"),
    Request("acme-5", ACME, "ortho", _march(6), "denied", 240, EXPERIMENTAL),
    Request("acme-6", ACME, "ortho", datetime(2026, 4, 1, 9, 0, tzinfo=CHICAGO), None),
    Request("bolt-1", BOLT, "cardio", _march(9), "approved", 5),
    Request("bolt-2", BOLT, "cardio", _march(10), "denied", 30, EXPERIMENTAL, "overturned"),
]


def build(engine: Engine, history: list[Request] = HISTORY) -> None:
    for request in history:
        _write(engine, request)


def _write(engine: Engine, request: Request) -> None:
    # In UTC: an aware local time plus a timedelta is wall-clock arithmetic (DST on March 8).
    received = request.received.astimezone(UTC)
    with transaction(engine) as session:
        create_case(
            session=session,
            case_id=request.case_id,
            request=samples.request(
                payer_id=request.payer_id, payer_name=f"{request.payer_id} Plan"
            ),
            received_at=request.received,
            team=request.team,
        )
    steps: list[Transition] = [
        _step(
            request,
            "opened",
            request.received,
            status=CaseStatus.SUBMITTED,
            deadlines=[samples.deadline(due=received + CLOCK, starts_at=request.received)],
        )
    ]
    decided_at = received + timedelta(hours=request.hours_to_decision)
    if request.pended_first:
        pended_at = received + timedelta(hours=request.hours_to_decision / 4)
        steps.append(
            _step(request, "pended", pended_at, decision=_decision("pend", pended_at, "pended"))
        )
    if request.outcome is not None:
        decision = _decision("final", decided_at, request.outcome, request.reason)
        steps.append(_step(request, "decided", decided_at, decision=decision))
    if request.appeal is not None:
        filed = decided_at + timedelta(days=2)
        decided = filed + timedelta(days=10) if request.appeal != "submitted" else None
        appeal = samples.appeal(status=request.appeal, filed_at=filed, decided_at=decided)
        steps.append(_step(request, "appeal", filed, appeal=appeal))
    with writing(engine) as writes:
        for step in steps:
            writes.record(step)


def _step(request: Request, name: str, at: datetime, **fields: object) -> Transition:
    return Transition.model_validate(
        {
            "case_id": request.case_id,
            "key": f"{request.case_id}:test:{name}",
            "event": name,
            "summary": name,
            "occurred_at": at,
            **fields,
        }
    )


def _decision(
    name: str, at: datetime, outcome: str, reason: tuple[str, str] | None = None
) -> PayerDecision:
    item: dict[str, object] = {"sequence": 1, "outcome": outcome}
    if reason is not None:
        item |= {"reason_code": reason[0], "reason_text": reason[1]}
    return PayerDecision.model_validate({"decision_id": name, "decided_at": at, "items": [item]})
