"""A letter quotes the case's deadlines as the engine recorded them, through the letter activity.

The worker's letter activity loads the case's deadlines from the store; the letter cites the
same due moment and rule as the stored row, including a revision an extension made.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from activities.letters import LetterActivities
from activities.letters_renderer import LettersPackageRenderer
from activities.models import LetterInput
from activities.store_recorder import StoreRecorder
from domain.appeals import AppealLevel
from domain.case.facts import CaseFacts
from domain.case.read_model import Appeal
from domain.case.transition import Transition
from domain.case.vocabulary import AppealStatus
from domain.deadline_keys import (
    APPEAL_WINDOW,
    CONTINUITY_OF_CARE,
    INITIAL_DECISION,
    appeal_decision_key,
)
from domain.deadlines import DeadlineEvent, DeadlineResult, compute_deadline
from domain.models import CaseDeadline, Obligor, PayerDecision
from letters import LetterContext
from store import cases
from store import letters as store_letters
from store.database import read_session, transaction
from tests.letters.helpers import Reader
from tests.workflows.conftest import deny, request

pytestmark = pytest.mark.postgres
CASE = "ltr0001"
# Far enough back that every clock below has passed (a missed-deadline letter says so).
T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(days=90)


def recorded(key: str, obligor: Obligor, result: DeadlineResult) -> CaseDeadline:
    return CaseDeadline(
        key=key,
        label=key,
        obligor=obligor,
        due_at=result.due_at,
        rule=result.rule,
        rule_id=result.rule_id,
        convention=result.convention,
        explanation=result.explanation,
        starts_at=T0,
    )


def step(
    seq: int, deadlines: list[CaseDeadline], decision: PayerDecision | None = None
) -> Transition:
    return Transition.model_validate(
        {
            "case_id": CASE,
            "key": f"{CASE}:case:{seq:05d}",
            "event": "step",
            "summary": f"step {seq}",
            "occurred_at": T0 + timedelta(hours=seq),
            "deadlines": deadlines,
            "decision": decision,
        }
    )


def open_case(engine: Engine) -> tuple[StoreRecorder, CaseFacts]:
    with transaction(engine) as session:
        cases.create_case(session=session, case_id=CASE, request=request(), received_at=T0)
    return StoreRecorder(engine), CaseFacts.from_request(CASE, request(), T0, None)


def letter_context(engine: Engine, recorder: StoreRecorder, letter: LetterInput) -> LetterContext:
    ref = LetterActivities(LettersPackageRenderer(), recorder).render_letter(letter)
    with read_session(engine) as session:
        stored = store_letters.get_letter(session=session, letter_id=ref.letter_id)
    return LetterContext.model_validate_json(stored.context["context_json"])


@pytest.mark.parametrize("handed_over", [True, False])
def test_a_missed_deadline_letter_quotes_the_clock_an_extension_moved(
    engine: Engine, handed_over: bool
) -> None:
    recorder, facts = open_case(engine)
    query = facts.deadline_query(DeadlineEvent.INITIAL_REQUEST_DECISION)
    first = recorded(INITIAL_DECISION, Obligor.PAYER, compute_deadline(query))
    extended = recorded(
        INITIAL_DECISION,
        Obligor.PAYER,
        compute_deadline(query.model_copy(update={"extension_taken": True})),
    )
    assert extended.due_at > first.due_at and extended.rule != first.rule
    assert recorder.record_transition(step(1, [first]))
    assert recorder.record_transition(step(2, [extended]))  # the payer took its extension

    context = letter_context(
        engine,
        recorder,
        LetterInput(
            case_id=CASE,
            key=f"{CASE}:letter:missed:{handed_over}",
            kind="missed_deadline",
            deadline=extended if handed_over else None,
        ),
    )
    missed = context.missed_deadline
    assert missed is not None
    assert (missed.due_at, missed.rule, missed.source) == (
        extended.due_at,
        extended.rule,
        "recorded",
    )
    assert context.missed_stage == "initial"


def test_an_appeal_letter_quotes_the_recorded_window_and_decision_clock(engine: Engine) -> None:
    recorder, facts = open_case(engine)
    decided = T0 + timedelta(days=3)
    window_query = facts.deadline_query(
        DeadlineEvent.APPEAL_FILING_WINDOW, received_at=decided, notice_date=decided.date()
    )
    window = recorded(APPEAL_WINDOW, Obligor.PROVIDER, compute_deadline(window_query))
    decision_query = facts.deadline_query(
        DeadlineEvent.APPEAL_DECISION, received_at=decided, extension_taken=True
    )
    decision = recorded(appeal_decision_key(1), Obligor.PAYER, compute_deadline(decision_query))
    denial = PayerDecision(
        decision_id="d-deny", decided_at=decided, items=[deny()], notice_date=decided.date()
    )
    assert recorder.record_transition(step(1, [window, decision], denial))

    context = letter_context(
        engine,
        recorder,
        LetterInput(
            case_id=CASE,
            key=f"{CASE}:appeal-1:letter",
            kind="appeal",
            appeal_level=AppealLevel.PLAN_RECONSIDERATION,
            appeal_number=1,
            sequences=[1],
            arguments=["The member meets every criterion of the plan's policy."],
        ),
    )
    assert context.filing_deadline is not None and context.payer_deadline is not None
    assert (context.filing_deadline.due_at, context.filing_deadline.rule) == (
        window.due_at,
        window.rule,
    )
    assert (context.payer_deadline.due_at, context.payer_deadline.rule) == (
        decision.due_at,
        decision.rule,
    )
    assert {context.filing_deadline.source, context.payer_deadline.source} == {"recorded"}


def test_a_missed_appeal_clock_is_quoted_with_the_appeal_it_belongs_to(engine: Engine) -> None:
    recorder, facts = open_case(engine)
    filed = T0 + timedelta(days=5)
    query = facts.deadline_query(
        DeadlineEvent.APPEAL_DECISION, received_at=filed, extension_taken=True
    )
    clock = recorded(appeal_decision_key(1), Obligor.PAYER, compute_deadline(query))
    denial = PayerDecision(decision_id="d-deny", decided_at=T0 + timedelta(days=2), items=[deny()])
    appeal = Appeal(
        level=AppealLevel.PLAN_RECONSIDERATION,
        number=1,
        sequences=[1],
        status=AppealStatus.SUBMITTED,
        filed_at=filed,
    )
    assert recorder.record_transition(step(1, [], denial))
    assert recorder.record_transition(step(2, [clock]).model_copy(update={"appeal": appeal}))

    context = letter_context(
        engine,
        recorder,
        LetterInput(
            case_id=CASE, key=f"{CASE}:letter:missed:a1", kind="missed_deadline", deadline=clock
        ),
    )
    missed = context.missed_deadline
    assert missed is not None and context.missed_stage == "appeal"
    assert (missed.due_at, missed.rule, missed.source) == (clock.due_at, clock.rule, "recorded")
    assert context.appeal is not None


def test_an_appeal_letter_cites_the_continuity_of_care_transition(engine: Engine) -> None:
    recorder, facts = open_case(engine)
    joined = (T0 - timedelta(days=10)).date()
    transition = recorded(
        CONTINUITY_OF_CARE,
        Obligor.PAYER,
        compute_deadline(
            facts.deadline_query(
                DeadlineEvent.CONTINUITY_OF_CARE_TRANSITION_END, enrollment_date=joined
            )
        ),
    )
    denial = PayerDecision(decision_id="d-deny", decided_at=T0 + timedelta(days=3), items=[deny()])
    assert recorder.record_transition(step(1, [transition], denial))
    letter = LetterInput(
        case_id=CASE,
        key=f"{CASE}:appeal-1:letter",
        kind="appeal",
        appeal_level=AppealLevel.PLAN_RECONSIDERATION,
        appeal_number=1,
        sequences=[1],
    )
    context = letter_context(engine, recorder, letter)
    cited = context.continuity_of_care
    assert cited is not None
    assert (cited.due_at, cited.rule) == (transition.due_at, transition.rule)
    assert "422.112(b)(8)" in cited.rule
    with read_session(engine) as session:
        (stored,) = store_letters.list_letters(session=session, case_id=CASE)
        content = store_letters.get_letter_content(session=session, letter_id=stored.letter_id)
    words = Reader(content).text
    assert "joined this plan during an active course of treatment" in words
    assert cited.due_display in words
