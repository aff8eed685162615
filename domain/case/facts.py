"""What the case engine may know about a case: the non-identifying facts and the options.

The facts carry the case id and what the clocks need (regime, state, urgency, timing, service
codes and units, dates); names, birth dates and member ids stay in the store.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import AwareDatetime, Field

from domain import limits
from domain.case.base import Actor, CaseId, Model
from domain.deadlines import CareCategory, DeadlineEvent, DeadlineQuery
from domain.enums import ItemType, Regime, RequestType, ServiceTiming, Urgency
from domain.escalation import EscalationLadder
from domain.models import PriorAuthRequest
from domain.peer_to_peer import PeerToPeerWindow
from domain.polling import PollSchedule


class LineFacts(Model):
    sequence: Annotated[int, Field(ge=1, le=999)]
    code: Annotated[str, Field(min_length=1, max_length=limits.SERVICE_CODE)]
    units: Annotated[int, Field(ge=1)] = 1


class CaseFacts(Model):
    """What the workflow may know about a case: no names, birth dates or member ids."""

    case_id: CaseId
    regime: Regime
    payer_id: limits.ShortText
    received_at: AwareDatetime
    lines: Annotated[list[LineFacts], Field(min_length=1, max_length=50)]
    state: str | None = None
    urgency: Urgency = Urgency.STANDARD
    service_timing: ServiceTiming = ServiceTiming.PRE_SERVICE
    item_type: ItemType = ItemType.SERVICE
    request_type: RequestType = RequestType.BENEFIT
    payer_timezone: str = "America/New_York"
    rating_period_start: date | None = None
    appeal_levels: Annotated[int, Field(ge=1, le=2)] = 1
    hospitalized: bool = False
    care_category: CareCategory | None = None
    subject_to_prior_authorization: bool = True
    continuity_of_care_from: date | None = None
    # The payer's peer-to-peer policy for this line of business (payer directory), if known.
    peer_to_peer_window: PeerToPeerWindow | None = None
    assignee: Actor | None = None

    @classmethod
    def from_request(
        cls,
        case_id: str,
        request: PriorAuthRequest,
        received_at: datetime,
        assignee: str | None = None,
    ) -> CaseFacts:
        """The non-identifying facts of a validated request (what the API starts a case with)."""
        coverage = request.coverage
        return cls(
            case_id=case_id,
            regime=coverage.regime,
            payer_id=coverage.payer.payer_id,
            received_at=received_at,
            lines=[
                LineFacts(sequence=line.sequence, code=line.code, units=line.units)
                for line in request.service_lines
            ],
            state=coverage.state,
            urgency=request.urgency,
            service_timing=request.service_timing,
            item_type=request.item_type,
            request_type=request.request_type,
            payer_timezone=coverage.payer.timezone,
            rating_period_start=coverage.rating_period_start,
            appeal_levels=coverage.appeal_levels,
            hospitalized=request.hospitalized,
            care_category=request.care_category,
            continuity_of_care_from=coverage.continuity_of_care_from,
            subject_to_prior_authorization=request.subject_to_prior_authorization,
            assignee=assignee,
        )

    def deadline_query(self, event: DeadlineEvent, **changes: object) -> DeadlineQuery:
        """The deadline engine's question about `event` for this case (`changes` override)."""
        fields: dict[str, object] = {
            "regime": self.regime,
            "event": event,
            "state": self.state,
            "urgency": self.urgency,
            "service_timing": self.service_timing,
            "item_type": self.item_type,
            "request_type": self.request_type,
            "received_at": self.received_at,
            "timezone": self.payer_timezone,
            "rating_period_start": self.rating_period_start,
            "appeal_levels": self.appeal_levels,
            "hospitalized": self.hospitalized,
            "care_category": self.care_category,
            "subject_to_prior_authorization": self.subject_to_prior_authorization,
        }
        fields.update(changes)
        return DeadlineQuery.model_validate(fields)


class CaseOptions(Model):
    ladder: EscalationLadder = Field(default_factory=EscalationLadder)
    # Let the payer decide without us submitting (tests, or a request the payer already has).
    submit_to_payer: bool = True
    # When to ask the payer while its decision is awaited (`domain.polling`).
    polling: PollSchedule = Field(default_factory=PollSchedule)
