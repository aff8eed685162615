"""Which messages an appeal level takes in its current state: the rules its Update
validators apply (a ValueError rejects the Update before it enters the history)."""

from __future__ import annotations

from domain.case.appeal_state import AppealSetup, AppealState
from domain.case.messages import AppealDecisionInput, SignOffInput
from domain.case.vocabulary import AppealStatus


def check_sign_off(state: AppealState, message: SignOffInput) -> None:
    """Only a letter awaiting sign-off can be signed, and only the letter rendered for it."""
    if state.status != AppealStatus.AWAITING_SIGNOFF:
        raise ValueError(f"the appeal is not awaiting sign-off ({state.status.value})")
    if state.letter_id is not None and message.letter_id != state.letter_id:
        raise ValueError("letter_id does not match the letter awaiting sign-off")


def check_decision(setup: AppealSetup, state: AppealState, message: AppealDecisionInput) -> None:
    """A decision comes once the appeal is submitted, about its own items; the same decision
    delivered again is accepted (and changes nothing)."""
    if state.decision is not None and state.decision.decision_id == message.decision_id:
        return
    if state.status != AppealStatus.SUBMITTED or state.decision is not None:
        raise ValueError(f"the appeal does not await a decision ({state.status.value})")
    unknown = sorted({i.sequence for i in message.items} - set(setup.sequences))
    if unknown:
        raise ValueError(f"decision names items outside this appeal: {unknown}")


def check_withdraw(state: AppealState) -> None:
    """Only an open appeal can be withdrawn."""
    if not state.is_open:
        raise ValueError(f"the appeal is already {state.status.value}")
