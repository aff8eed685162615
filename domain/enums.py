"""Vocabularies shared by every layer: regimes, urgency, X12 review actions, case states."""

from __future__ import annotations

from enum import StrEnum


class Regime(StrEnum):
    """The body of rules that governs a member's coverage (and so every clock of the case)."""

    MEDICARE_ADVANTAGE = "medicare_advantage"
    MEDICARE_PART_D = "medicare_part_d"
    MEDICAID_MANAGED_CARE = "medicaid_managed_care"
    CHIP_MANAGED_CARE = "chip_managed_care"
    ERISA_GROUP = "erisa_group"
    ACA_INDIVIDUAL = "aca_individual"
    STATE_INSURED = "state_insured"


class Urgency(StrEnum):
    STANDARD = "standard"
    EXPEDITED = "expedited"


class ServiceTiming(StrEnum):
    PRE_SERVICE = "pre_service"
    CONCURRENT = "concurrent"
    POST_SERVICE = "post_service"


class ItemType(StrEnum):
    SERVICE = "service"
    PART_B_DRUG = "part_b_drug"
    DRUG = "drug"


class RequestType(StrEnum):
    BENEFIT = "benefit"
    PAYMENT = "payment"
    EXCEPTION = "exception"


class ReviewAction(StrEnum):
    """X12 element 306 (HCR01) action codes a 278 response / PAS ClaimResponse may carry."""

    CERTIFIED_IN_TOTAL = "A1"
    CERTIFIED_PARTIAL = "A2"
    NOT_CERTIFIED = "A3"
    PENDED = "A4"
    MODIFIED = "A6"
    CANCELLED = "C"
    CONTACT_PAYER = "CT"
    NO_ACTION_REQUIRED = "NA"


class ItemOutcome(StrEnum):
    """What priorauth makes of one item's review action."""

    APPROVED = "approved"
    PARTIALLY_APPROVED = "partially_approved"
    APPROVED_MODIFIED = "approved_modified"
    DENIED = "denied"
    PENDED = "pended"
    CANCELLED = "cancelled"
    NEEDS_MANUAL_FOLLOWUP = "needs_manual_followup"
    NOT_REQUIRED = "not_required"
    NEEDS_HUMAN_REVIEW = "needs_human_review"


REVIEW_ACTION_OUTCOMES: dict[ReviewAction, ItemOutcome] = {
    ReviewAction.CERTIFIED_IN_TOTAL: ItemOutcome.APPROVED,
    ReviewAction.CERTIFIED_PARTIAL: ItemOutcome.PARTIALLY_APPROVED,
    ReviewAction.NOT_CERTIFIED: ItemOutcome.DENIED,
    ReviewAction.PENDED: ItemOutcome.PENDED,
    ReviewAction.MODIFIED: ItemOutcome.APPROVED_MODIFIED,
    ReviewAction.CANCELLED: ItemOutcome.CANCELLED,
    ReviewAction.CONTACT_PAYER: ItemOutcome.NEEDS_MANUAL_FOLLOWUP,
    ReviewAction.NO_ACTION_REQUIRED: ItemOutcome.NOT_REQUIRED,
}

# Outcomes after which the member may appeal (the rest of the item was not granted).
ADVERSE_OUTCOMES = frozenset({ItemOutcome.DENIED, ItemOutcome.PARTIALLY_APPROVED})
# Outcomes that settle an item: no further payer decision is awaited for it.
FINAL_OUTCOMES = frozenset(
    {
        ItemOutcome.APPROVED,
        ItemOutcome.PARTIALLY_APPROVED,
        ItemOutcome.APPROVED_MODIFIED,
        ItemOutcome.DENIED,
        ItemOutcome.CANCELLED,
        ItemOutcome.NOT_REQUIRED,
    }
)


def outcome_for_review_action(code: str | None) -> ItemOutcome:
    """Map a raw X12 306 code to an outcome; anything unknown needs a human, never a crash.

    Codes arrive trimmed or not, in either case; `PENDEDCODE` (the PAS test kit's placeholder)
    and codes outside the 278 HCR01 subset (e.g. A5) are deliberately not guessed.
    """
    if not code:
        return ItemOutcome.NEEDS_HUMAN_REVIEW
    try:
        return REVIEW_ACTION_OUTCOMES[ReviewAction(code.strip().upper())]
    except ValueError:
        return ItemOutcome.NEEDS_HUMAN_REVIEW


class ContactChannel(StrEnum):
    CALL = "call"
    PORTAL = "portal"
    FAX = "fax"
    EMAIL = "email"
    MAIL = "mail"
    PEER_TO_PEER = "peer_to_peer"


class ContactDirection(StrEnum):
    OUTBOUND = "outbound"
    INBOUND = "inbound"


class DecisionSource(StrEnum):
    PAS = "pas"
    X12_278 = "x12_278"
    WEBHOOK = "webhook"
    MANUAL = "manual"
    SANDBOX = "sandbox"
    API = "api"  # pushed by an integration key through the REST API
