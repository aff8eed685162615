"""The prior-authorization case's rules that need no step: which phase takes which message.

The constants name the case's deadlines and the phase sets; `summarize` maps item outcomes to a
status and phase; the `*_problem` functions are the Update validators' rules (None: the message
is welcome, or a duplicate that changes nothing).
"""

from __future__ import annotations

from datetime import datetime

from domain import deadline_keys
from domain.case.messages import (
    ContactInput,
    FileAppealInput,
    PayerDecisionInput,
    PayerExtensionInput,
    SupplyInformationInput,
    UnitsUsedInput,
    contact_problems,
    units_used_problems,
)
from domain.case.state import CaseState, ItemState
from domain.case.vocabulary import CaseStatus, Phase, TaskKind
from domain.enums import ADVERSE_OUTCOMES, ItemOutcome

INITIAL_DECISION = deadline_keys.INITIAL_DECISION
INFORMATION_RESPONSE = deadline_keys.INFORMATION_RESPONSE
APPEAL_WINDOW = deadline_keys.APPEAL_WINDOW
NEXT_LEVEL_WINDOW = deadline_keys.NEXT_LEVEL_WINDOW
PEER_TO_PEER_WINDOW = deadline_keys.PEER_TO_PEER_WINDOW

GRANTED = frozenset(
    {ItemOutcome.APPROVED, ItemOutcome.PARTIALLY_APPROVED, ItemOutcome.APPROVED_MODIFIED}
)
ATTENTION = frozenset({ItemOutcome.NEEDS_HUMAN_REVIEW, ItemOutcome.NEEDS_MANUAL_FOLLOWUP})
OPEN_FOR_DECISIONS = frozenset(
    {
        Phase.SUBMIT,
        Phase.AWAIT_DECISION,
        Phase.PENDED,
        Phase.ADVERSE,
        Phase.NEXT_LEVEL_OFFERED,
        Phase.AUTHORIZED,
    }
)
APPEALABLE = frozenset({Phase.ADVERSE, Phase.NEXT_LEVEL_OFFERED})
# While the payer's decision is awaited, the case asks the payer on `domain.polling`'s schedule.
AWAITING = frozenset({Phase.AWAIT_DECISION, Phase.PENDED})
# Tasks about the payer's previous answer: a new payer decision makes them moot.
DECISION_TASKS = (
    TaskKind.INFORMATION_REQUESTED,
    TaskKind.PAYER_NEEDS_ATTENTION,
    TaskKind.PAYER_REJECTED,
    TaskKind.ADVERSE_DECISION,
    TaskKind.PEER_TO_PEER,
    TaskKind.NEXT_LEVEL_OFFERED,
)
# How far in the future a contact's time may be (clock skew between a phone and the server).


def summarize(items: list[ItemState]) -> tuple[CaseStatus, Phase]:
    """The case status and next phase implied by the per-item outcomes."""
    outcomes = [item.outcome for item in items]
    if any(o is None or o == ItemOutcome.PENDED for o in outcomes):
        if any(o in ATTENTION for o in outcomes):
            return CaseStatus.NEEDS_ATTENTION, Phase.AWAIT_DECISION
        if ItemOutcome.PENDED in outcomes:
            return CaseStatus.PENDED, Phase.AWAIT_DECISION
        return CaseStatus.SUBMITTED, Phase.AWAIT_DECISION
    if any(o in ATTENTION for o in outcomes):
        return CaseStatus.NEEDS_ATTENTION, Phase.AWAIT_DECISION
    granted = any(o in GRANTED for o in outcomes)
    adverse = any(o in ADVERSE_OUTCOMES for o in outcomes)
    if adverse:
        return (CaseStatus.PARTIALLY_APPROVED if granted else CaseStatus.DENIED), Phase.ADVERSE
    if granted:
        return CaseStatus.APPROVED, Phase.AUTHORIZED
    return CaseStatus.CLOSED, Phase.DONE


def adverse_sequences(state: CaseState) -> list[int]:
    return [i.sequence for i in state.items if i.outcome in ADVERSE_OUTCOMES]


def decision_problem(state: CaseState, message: PayerDecisionInput) -> str | None:
    """Why the case cannot take this payer decision now (None: it can, or a duplicate)."""
    if message.decision.decision_id in state.decision_ids:
        return None  # a duplicate delivery is accepted and changes nothing
    if state.phase not in OPEN_FOR_DECISIONS:
        return f"the case does not accept payer decisions while {state.phase}"
    known = {item.sequence for item in state.items}
    unknown = sorted({i.sequence for i in message.decision.items} - known)
    if unknown:
        return f"decision names items the case does not have: {unknown}"
    return None


def extension_problem(state: CaseState, message: PayerExtensionInput, now: datetime) -> str | None:
    if message.notice_id in state.extension_ids:
        return None
    if state.phase not in (Phase.SUBMIT, Phase.AWAIT_DECISION, Phase.PENDED):
        return "an extension applies only while the payer's decision is awaited"
    if message.new_due_at is not None and message.new_due_at <= now:
        return "new_due_at is in the past"
    return None


def supply_problem(state: CaseState, message: SupplyInformationInput) -> str | None:
    if message.submission_id in state.supply_ids:
        return None
    if state.phase != Phase.PENDED:
        return "the payer has not asked for information"
    return None


def file_appeal_problem(state: CaseState, message: FileAppealInput, *, filing: bool) -> str | None:
    """`filing`: an appeal request is already being acted on."""
    if state.phase not in APPEALABLE:
        return f"nothing to appeal while the case is {state.status.value}"
    if filing:
        return "an appeal is already being filed"
    if message.sequences is not None:
        extra = sorted(set(message.sequences) - set(adverse_sequences(state)))
        if extra or not message.sequences:
            return f"only adverse items can be appealed (not {extra})"
    return None


def peer_to_peer_problem(state: CaseState) -> str | None:
    if state.phase not in APPEALABLE:
        return "a peer-to-peer review follows an adverse decision"
    return None


def accept_denial_problem(state: CaseState) -> str | None:
    if state.phase not in APPEALABLE:
        return "there is no adverse decision to accept"
    return None


def withdraw_problem(state: CaseState) -> str | None:
    if state.phase == Phase.DONE:
        return "the case is already closed"
    return None


def open_problem(state: CaseState) -> str | None:
    """Assign, note and contact work in every state but closed."""
    if state.phase == Phase.DONE:
        return "the case is closed"
    return None


def units_used_problem(state: CaseState, message: UnitsUsedInput, now: datetime) -> str | None:
    """Units are recorded against a granted item of an authorized case, within its dates."""
    for field, found in units_used_problems(message, now).items():
        return f"{field} {found}"
    if state.phase != Phase.AUTHORIZED:
        return "units are recorded against an authorization: the case has none in force"
    item = next((i for i in state.items if i.sequence == message.sequence), None)
    if item is None:
        return f"the case has no item {message.sequence}"
    if item.outcome not in GRANTED:
        return f"item {message.sequence} is not authorized"
    start, end = item.authorized_start, item.authorized_end
    if start is not None and message.used_on < start:
        return f"item {message.sequence} is authorized from {start.isoformat()}"
    if end is not None and message.used_on > end:
        return f"item {message.sequence}'s authorization ended on {end.isoformat()}: renew it"
    return None


def contact_problem(state: CaseState, message: ContactInput, now: datetime) -> str | None:
    problem = open_problem(state)
    if problem is not None:
        return problem
    for field, found in contact_problems(message.contact, now).items():
        return f"{field} {found}"
    return None
