"""The case vocabulary: every state, kind and outcome a case, its tasks and its appeals can have.

One place for the words of the case, so the workflows, the store, the API and the letters
cannot drift apart. Pure enums; imports nothing but the standard library.
"""

from __future__ import annotations

from enum import StrEnum


class CaseStatus(StrEnum):
    OPENED = "opened"
    SUBMITTED = "submitted"
    PENDED = "pended"
    APPROVED = "approved"
    PARTIALLY_APPROVED = "partially_approved"
    DENIED = "denied"
    IN_APPEAL = "in_appeal"
    NEEDS_ATTENTION = "needs_attention"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"


class AppealStatus(StrEnum):
    DRAFTING = "drafting"
    AWAITING_SIGNOFF = "awaiting_signoff"
    SUBMITTED = "submitted"
    OVERTURNED = "overturned"
    PARTIALLY_OVERTURNED = "partially_overturned"
    UPHELD = "upheld"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"


class SubmissionKind(StrEnum):
    INITIAL = "initial"
    RESUBMISSION = "resubmission"
    CANCEL = "cancel"
    APPEAL = "appeal"


class AppealOutcome(StrEnum):
    OVERTURNED = "overturned"
    PARTIALLY_OVERTURNED = "partially_overturned"
    UPHELD = "upheld"


class Phase(StrEnum):
    """Where the case workflow's main loop is (finer than `CaseStatus`)."""

    SUBMIT = "submit"
    AWAIT_DECISION = "await_decision"
    PENDED = "pended"
    ADVERSE = "adverse"
    IN_APPEAL = "in_appeal"
    NEXT_LEVEL_OFFERED = "next_level_offered"
    AUTHORIZED = "authorized"
    DONE = "done"


class TaskKind(StrEnum):
    """The work items the engine opens for people (the escalation ladder's are
    `escalation_task_kind(rung)`; the store accepts any short kind)."""

    INFORMATION_REQUESTED = "information_requested"
    PAYER_NEEDS_ATTENTION = "payer_needs_attention"
    PAYER_REJECTED = "payer_rejected"
    ADVERSE_DECISION = "adverse_decision"
    PEER_TO_PEER = "peer_to_peer"
    UNITS_EXHAUSTED = "units_exhausted"
    NEXT_LEVEL_OFFERED = "next_level_offered"
    APPEAL_WINDOW_MISSED = "appeal_window_missed"
    SIGN_APPEAL_LETTER = "sign_appeal_letter"
    DEADLINE_UNKNOWN = "deadline_unknown"
    STORE_REJECTED = "store_rejected"
    WORKFLOW_UNSTARTABLE = "workflow_unstartable"


def escalation_task_kind(rung_name: str) -> str:
    """The task kind of an escalation rung (the ladder's rungs are configurable)."""
    return f"escalation_{rung_name}"


class CaseEvent(StrEnum):
    """What a step of a case is called in its timeline and audit trail."""

    CASE_OPENED = "case_opened"
    SUBMITTED = "submitted"
    RESUBMITTED = "resubmitted"
    PAYER_REJECTED = "payer_rejected"
    PAYER_DECISION = "payer_decision"
    PAYER_DECISION_STALE = "payer_decision_stale"
    PAYER_EXTENSION = "payer_extension"
    INFORMATION_SUPPLIED = "information_supplied"
    PEER_TO_PEER_REQUESTED = "peer_to_peer_requested"
    DENIAL_ACCEPTED = "denial_accepted"
    APPEAL_FILED = "appeal_filed"
    APPEAL_FORWARDED = "appeal_forwarded"
    APPEAL_OVERTURNED = "appeal_overturned"
    APPEAL_UPHELD = "appeal_upheld"
    APPEAL_WINDOW_MISSED = "appeal_window_missed"
    ASSIGNED = "assigned"
    NOTE = "note"
    CONTACT = "contact"
    UNITS_USED = "units_used"
    CASE_WITHDRAWN = "case_withdrawn"
    CASE_CLOSED = "case_closed"
    DEADLINE_UNKNOWN = "deadline_unknown"
    ESCALATION = "escalation"
    STORE_REJECTED = "store_rejected"
    # The appeal workflow's steps.
    APPEAL_OPENED = "appeal_opened"
    APPEAL_LETTER_READY = "appeal_letter_ready"
    APPEAL_LETTER_MISSING = "appeal_letter_missing"
    APPEAL_SUBMITTED = "appeal_submitted"
    APPEAL_CLOCK_STARTED = "appeal_clock_started"
    APPEAL_DECIDED = "appeal_decided"
    APPEAL_DEADLINE_MISSED = "appeal_deadline_missed"
    APPEAL_CLOSED = "appeal_closed"
