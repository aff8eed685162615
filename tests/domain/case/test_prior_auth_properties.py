"""Property tests (hypothesis) of the prior-auth case over random message sequences.

Invariants: no deadline is lost or silently moved (every change is in a step's Transition; only
an appeal filing hands the filing window to its appeal), every adverse decision opens an appeal
window or a `deadline_unknown` task, a closed case keeps no open task but those its closing
step opened for review, the same message twice is a no-op, and an older payer answer never
undoes a newer one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.appeals import AppealLevel
from domain.case.appeal_result import AppealResult
from domain.case.messages import PayerExtensionInput
from domain.case.prior_auth_rules import APPEAL_WINDOW
from domain.case.state import CaseState
from domain.case.step import find_deadline, is_active
from domain.case.transition import Transition
from domain.case.vocabulary import AppealStatus, CaseEvent, Phase, TaskKind
from domain.deadlines import DeadlineEvent, DeadlineQuery, DeadlineResult
from domain.enums import ItemOutcome
from domain.models import ItemDecision
from tests.domain.case.prior_auth_factories import (
    T0,
    Driver,
    decision,
    engine,
    item,
    rfi,
    supply,
)

OUTCOMES = [
    ItemOutcome.APPROVED,
    ItemOutcome.APPROVED,
    ItemOutcome.DENIED,
    ItemOutcome.DENIED,
    ItemOutcome.DENIED,
    ItemOutcome.PENDED,
    ItemOutcome.PARTIALLY_APPROVED,
    ItemOutcome.NOT_REQUIRED,
    ItemOutcome.NEEDS_HUMAN_REVIEW,
]

decide = st.tuples(
    st.just("decide"),
    st.sampled_from(["d-1", "d-2", "d-3", "d-4", "d-5"]),
    st.integers(min_value=1, max_value=6),  # decided on day
    st.lists(
        st.tuples(st.sampled_from([1, 2]), st.sampled_from(OUTCOMES), st.booleans()),
        min_size=1,
        max_size=2,
        unique_by=lambda t: t[0],
    ),
    st.booleans(),  # with a request for information
)
extend = st.tuples(
    st.just("extend"), st.sampled_from(["n-1", "n-2"]), st.one_of(st.none(), st.integers(5, 40))
)
supply_ = st.tuples(st.just("supply"), st.sampled_from(["s-1", "s-2"]))
simple = st.tuples(
    st.sampled_from(
        ["peer_to_peer", "accept", "withdraw", "note", "assign", "window_missed", "file_appeal"]
    )
)
appeal_result = st.tuples(
    st.just("appeal_result"),
    st.sampled_from(
        [
            AppealStatus.OVERTURNED,
            AppealStatus.PARTIALLY_OVERTURNED,
            AppealStatus.UPHELD,
            AppealStatus.WITHDRAWN,
            AppealStatus.EXPIRED,
        ]
    ),
)
actions = st.lists(
    st.one_of(
        decide, decide, decide, extend, supply_, simple, simple, appeal_result, appeal_result
    ),
    max_size=20,
)


def _no_appeal_rules(question: DeadlineQuery) -> DeadlineResult | None:
    """An engine without appeal rules: every filing window is a `deadline_unknown` task."""
    if question.event == DeadlineEvent.APPEAL_FILING_WINDOW:
        return None
    return engine(question)


@dataclass
class Model:
    """What the store would hold of the case's tasks, and the newest payer answer per item."""

    open_tasks: dict[str, tuple[str, str | None, datetime | None]] = field(default_factory=dict)
    newest: dict[int, datetime] = field(default_factory=dict)

    def apply(self, transition: Transition) -> None:
        for key, (kind, deadline_key, due_at) in list(self.open_tasks.items()):
            if transition.closing(kind=kind, key=key, deadline_key=deadline_key, due_at=due_at):
                del self.open_tasks[key]
        for task in transition.tasks:
            self.open_tasks[task.key] = (task.kind, task.deadline_key, task.due_at)


def _act(driver: Driver, action: tuple[object, ...]) -> str | None:
    name = action[0]
    if name == "decide":
        _, decision_id, day, lines, with_rfi = action
        at = T0 + timedelta(days=day)  # type: ignore[arg-type]
        items = [
            item(seq, outcome, authorized_end=(at + timedelta(days=90)).date() if end else None)
            for seq, outcome, end in lines  # type: ignore[attr-defined]
        ]
        return driver.decide(decision(decision_id, *items, at=at, rfi=rfi() if with_rfi else None))  # type: ignore[arg-type]
    if name == "extend":
        _, notice_id, days = action
        new_due = driver.now + timedelta(days=days) if days is not None else None  # type: ignore[arg-type]
        message = PayerExtensionInput(
            notice_id=notice_id,  # type: ignore[arg-type]
            noticed_at=driver.now,
            reason="More time",
            new_due_at=new_due,
        )
        return driver.extend(message)
    if name == "supply":
        return driver.supply(supply(action[1]))  # type: ignore[arg-type]
    if name == "appeal_result":
        status = action[1]
        decided = T0 + timedelta(days=40)
        result = AppealResult(
            level=driver.state.appeals[-1].level
            if driver.state.appeals
            else AppealLevel.PLAN_RECONSIDERATION,
            number=driver.state.appeals[-1].number if driver.state.appeals else 1,
            status=status,  # type: ignore[arg-type]
            decided_at=decided
            if status not in (AppealStatus.WITHDRAWN, AppealStatus.EXPIRED)
            else None,
            decision_id="a-1",
            items=[ItemDecision(sequence=1, outcome=ItemOutcome.APPROVED)]
            if status == AppealStatus.PARTIALLY_OVERTURNED
            else [],
        )
        return driver.appeal_result(result)
    return getattr(driver, str(name))()  # type: ignore[no-any-return]


def _check_deadlines(before: CaseState, after: CaseState, steps: list[Transition]) -> None:
    """Every deadline that appeared, changed or went is named by a step of this action."""
    named: dict[str, object] = {}
    for step in steps:
        for deadline in step.deadlines:
            named[deadline.key] = deadline
    handed_over = any(
        s.event in (CaseEvent.APPEAL_FILED, CaseEvent.APPEAL_FORWARDED) for s in steps
    )
    old = {d.key: d for d in before.deadlines}
    new = {d.key: d for d in after.deadlines}
    for key, deadline in new.items():
        if old.get(key) != deadline:
            assert named.get(key) == deadline, f"{key} changed silently"
            assert deadline.rule
    for key in old.keys() - new.keys():
        assert handed_over and key in (APPEAL_WINDOW, "next_level_filing_window"), key
        assert is_active(old[key])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(actions, st.booleans())
def test_case_invariants(plan: list[tuple[object, ...]], rule_less_appeals: bool) -> None:
    driver = Driver(answer=_no_appeal_rules if rule_less_appeals else engine)
    model = Model()
    driver.open()
    for step in driver.transitions:
        model.apply(step)
    closing: Transition | None = None
    for action in plan:
        driver.now += timedelta(hours=7)
        before, done = driver.state, len(driver.transitions)
        problem = _act(driver, action)
        steps = driver.transitions[done:]
        if problem is not None:
            assert steps == [] and driver.state == before, action
            continue
        if before.phase == Phase.DONE:
            assert steps == [], "a closed case takes no step"
        for step in steps:
            model.apply(step)
            if step.event == CaseEvent.PAYER_DECISION and driver.state.phase == Phase.ADVERSE:
                window = {d.key: d for d in step.deadlines}.get(APPEAL_WINDOW)
                unknown = any(
                    s.event == CaseEvent.DEADLINE_UNKNOWN
                    and [t.kind for t in s.tasks] == [TaskKind.DEADLINE_UNKNOWN]
                    for s in steps
                )
                assert (window is not None and is_active(window)) or unknown
        _check_deadlines(before, driver.state, steps)
        if driver.state.phase == Phase.ADVERSE and not rule_less_appeals:
            window = find_deadline(driver.state.deadlines, APPEAL_WINDOW)
            assert window is not None and is_active(window)
        if driver.state.phase == Phase.DONE and before.phase != Phase.DONE:
            closing = steps[-1]
        if closing is not None:
            assert set(model.open_tasks) <= {t.key for t in closing.tasks}
            assert not [d for d in driver.state.deadlines if is_active(d)]
        # The same message again changes nothing.
        if action[0] in ("decide", "extend", "supply"):
            state, count = driver.state, len(driver.transitions)
            assert _act(driver, action) is None
            assert driver.state == state and len(driver.transitions) == count, action
        # An older payer answer never undoes a newer one.
        if action[0] == "decide" and action[1] not in before.decision_ids:
            for line in action[3]:  # type: ignore[attr-defined]
                at = T0 + timedelta(days=action[2])  # type: ignore[arg-type]
                model.newest[line[0]] = max(model.newest.get(line[0], at), at)
        if action[0] == "appeal_result":
            model.newest = {i.sequence: i.decided_at for i in driver.state.items if i.decided_at}
        for current in driver.state.items:
            if current.sequence in model.newest:
                assert current.decided_at == model.newest[current.sequence]
