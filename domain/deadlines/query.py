"""Inputs and outputs of the deadline engine (the JSON vocabulary of `priorauth deadline`)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from domain.codes import normalize_state, normalize_timezone
from domain.enums import ItemType, Regime, RequestType, ServiceTiming, Urgency


class DeadlineEvent(StrEnum):
    INITIAL_REQUEST_DECISION = "initial_request_decision"
    EXTENSION = "extension"
    PENDING_INFORMATION_DECISION = "pending_information_decision"
    INCOMPLETE_CLAIM_NOTICE = "incomplete_claim_notice"
    PROCEDURAL_DEFECT_NOTICE = "procedural_defect_notice"
    APPEAL_FILING_WINDOW = "appeal_filing_window"
    APPEAL_DECISION = "appeal_decision"
    NEXT_LEVEL_AUTO_FORWARD = "next_level_auto_forward"
    EXTERNAL_REVIEW_FILING_WINDOW = "external_review_filing_window"
    EXTERNAL_REVIEW_PRELIMINARY_REVIEW = "external_review_preliminary_review"
    EXTERNAL_REVIEW_DECISION = "external_review_decision"
    STATE_FAIR_HEARING_FILING_WINDOW = "state_fair_hearing_filing_window"
    CONTINUATION_OF_BENEFITS_FILING_WINDOW = "continuation_of_benefits_filing_window"
    TERMINATION_ADVANCE_NOTICE = "termination_advance_notice"
    IRE_RECONSIDERATION_FILING_WINDOW = "ire_reconsideration_filing_window"
    CONTINUITY_OF_CARE_TRANSITION_END = "continuity_of_care_transition_end"


class CareCategory(StrEnum):
    """What a request is for, where a state clock depends on it (Texas).

    `post_stabilization`: care after an emergency condition is stabilized; `life_threatening`:
    a life-threatening condition; `discharge_services`: services or equipment needed to
    discharge a hospitalized recipient, requested by the inpatient (acute care) provider.
    """

    POST_STABILIZATION = "post_stabilization"
    LIFE_THREATENING = "life_threatening"
    DISCHARGE_SERVICES = "discharge_services"


class DeadlineError(ValueError):
    """The rules cannot answer this query: an input is missing or no rule exists for it.

    The message names the missing input or the combination that has no rule; the engine never
    guesses a date.
    """


class DeadlineQuery(BaseModel):
    """One question to the regulatory clock. Fields a rule does not need are ignored by it."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    regime: Regime
    event: DeadlineEvent
    state: Annotated[str | None, AfterValidator(lambda v: v and normalize_state(v))] = None
    base_event: DeadlineEvent | None = None
    urgency: Urgency = Urgency.STANDARD
    service_timing: ServiceTiming = ServiceTiming.PRE_SERVICE
    item_type: ItemType = ItemType.SERVICE
    request_type: RequestType = RequestType.BENEFIT
    received_at: AwareDatetime | None = None
    timezone: Annotated[str, AfterValidator(normalize_timezone)] = "America/New_York"
    extension_taken: bool = False
    notice_date: date | None = None
    rating_period_start: date | None = None
    appeal_levels: Annotated[int, Field(ge=1, le=2)] = 1
    hospitalized: bool = False
    all_information_received_at: AwareDatetime | None = None
    info_request_sent_at: AwareDatetime | None = None
    claimant_response_at: AwareDatetime | None = None
    supporting_statement_received_at: AwareDatetime | None = None
    intended_effective_date: date | None = None
    subject_to_prior_authorization: bool = True
    # Optional fields added with the engine (defaults keep earlier queries unchanged).
    expedite_refused: bool = False
    """The plan refused to expedite: the standard clock runs from receipt (ambiguity A1)."""
    info_response_due_at: AwareDatetime | None = None
    """End of the period given to supply missing information (ERISA urgent claims, >= 48 h)."""
    approved_period_ends_at: AwareDatetime | None = None
    """End of the approved course of treatment (ERISA urgent concurrent requests)."""
    count_observed_holidays: bool = False
    """Also treat 5 U.S.C. 6103(b) observed days as federal holidays (ambiguity A9)."""
    care_category: CareCategory | None = None
    """Texas: post-stabilization / life-threatening care (1 hour) and discharge services
    (72 hours, Medicaid/CHIP) have their own clocks."""
    enrollment_date: date | None = None
    """Medicare Advantage continuity of care: the date coverage under the new plan begins."""


class DeadlineResult(BaseModel):
    """A due moment with the rule behind it, ready to show to a case manager."""

    model_config = ConfigDict(frozen=True)

    due_at: AwareDatetime
    rule: str
    convention: str
    explanation: str
    rule_id: str
    regime: Regime
    event: DeadlineEvent
    flags: list[str] = Field(default_factory=list)
