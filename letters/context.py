"""`LetterContext`: every fact one letter states, frozen as JSON.

Plain data: the templates only read it, and its JSON is stored with the letter so the same
document can be rendered again byte for byte. `letters.build.build_letter_context` gathers it
from a case.
"""

from __future__ import annotations

import datetime as dt
from datetime import date

from pydantic import AwareDatetime, Field

from domain.appeals import AppealLevel
from domain.enums import Regime
from domain.models import CodeSystem
from letters.clocks import DeadlineFact
from letters.inputs import (
    Addressee,
    Letterhead,
    PriorTreatment,
    RequestFlags,
    Signer,
)
from letters.kinds import LetterKind
from letters.legal import RegimeLaw
from letters.model import LetterModel

SERVICE_TYPE_LABEL = "X12 service type"
NOT_ON_FILE = "not on file"


class LabeledValue(LetterModel):
    label: str
    value: str


class MemberFacts(LetterModel):
    full_name: str
    birth_date: date | None = None
    member_id: str
    group_number: str | None = None
    age: int | None = None


class PlanFacts(LetterModel):
    regime: Regime
    regime_label: str
    payer_name: str
    payer_id: str
    plan_name: str
    plan_id: str | None = None
    state: str | None = None
    timezone: str


class ProviderFacts(LetterModel):
    name: str
    npi: str | None = None
    identifier: str
    tin: str | None = None
    specialty: str | None = None
    phone: str | None = None
    fax: str | None = None


class ServiceRow(LetterModel):
    sequence: int
    code_system: CodeSystem = CodeSystem.CPT_HCPCS
    code: str
    modifiers: list[str] = Field(default_factory=list)
    description: str
    units: int
    place_of_service: str | None = None
    dates: str
    decision: str | None = None

    @property
    def procedure_code(self) -> bool:
        """A CPT/HCPCS code; otherwise an X12 service type (PAS), which names no procedure."""
        return self.code_system is CodeSystem.CPT_HCPCS

    @property
    def code_label(self) -> str:
        """The code with its system where it is not a procedure code: "X12 service type 3"."""
        if self.procedure_code:
            return self.code + (f"-{'-'.join(self.modifiers)}" if self.modifiers else "")
        return f"{SERVICE_TYPE_LABEL} {self.code}"

    @property
    def service_label(self) -> str:
        """What the line asks for: the description, prefixed by a service-type code."""
        if self.procedure_code:
            return self.description
        return f"{self.code_label} — {self.description}"


class DiagnosisRow(LetterModel):
    code: str
    description: str | None = None
    primary: bool = False


class QuotedReason(LetterModel):
    """One reason as the payer wrote it, with the lines it applies to."""

    text: str | None = None
    reason_code: str | None = None
    policy_cited: str | None = None
    sequences: list[int]
    codes: list[str]


class DenialFacts(LetterModel):
    decision_id: str
    reference: str | None = None
    decided_at: AwareDatetime
    decided_on: date
    notice_date: date | None = None
    reasons: list[QuotedReason] = Field(default_factory=list)
    criterion: str | None = None
    partial: bool = False


class AppealFacts(LetterModel):
    level: AppealLevel
    level_title: str
    number: int
    expedited: bool
    filed_at: AwareDatetime | None = None
    decided_at: AwareDatetime | None = None
    outcome_note: str | None = None


class NextLevel(LetterModel):
    level: AppealLevel
    title: str
    decided_by: str
    auto_forwarded: bool


class Exhibit(LetterModel):
    number: int
    title: str
    description: str | None = None
    date: dt.date | None = None
    reference: str | None = None


class Argument(LetterModel):
    criterion: str
    rebuttal: str | None = None
    exhibits: list[int] = Field(default_factory=list)


class PeerToPeerFacts(LetterModel):
    availability: list[str]
    callback_phone: str | None = None
    contact_name: str
    payer_line: str | None = None


class LetterContext(LetterModel):
    """Everything one letter states. Templates read it; its JSON reproduces the letter."""

    kind: LetterKind
    generated_at: AwareDatetime
    letter_date: date
    letter_date_display: str
    case_id: str
    reference: str
    request_received_at: AwareDatetime
    letterhead: Letterhead
    addressee: Addressee
    re_block: list[LabeledValue]
    member: MemberFacts
    plan: PlanFacts
    provider: ProviderFacts
    servicing_provider: ProviderFacts | None = None
    services: list[ServiceRow]
    dates_of_service: str
    diagnoses: list[DiagnosisRow]
    denial: DenialFacts | None = None
    appeal: AppealFacts | None = None
    next_level: NextLevel | None = None
    expedited: bool = False
    urgency_justification: str | None = None
    clinical_summary: str | None = None
    prior_treatments: list[PriorTreatment] = Field(default_factory=list)
    arguments: list[Argument] = Field(default_factory=list)
    guideline_citations: list[str] = Field(default_factory=list)
    exhibits: list[Exhibit] = Field(default_factory=list)
    law: RegimeLaw
    next_steps: list[str] = Field(default_factory=list)
    payer_deadline: DeadlineFact | None = None
    filing_deadline: DeadlineFact | None = None
    missed_deadline: DeadlineFact | None = None
    missed_stage: str | None = None
    # Medicare Advantage: the case's continuity-of-care transition (42 CFR 422.112(b)(8)).
    continuity_of_care: DeadlineFact | None = None
    missed_deemed_authorized: bool = False
    deadline_notes: list[str] = Field(default_factory=list)
    # What the signer must check or complete before sending (facts the case does not have).
    drafting_notes: list[str] = Field(default_factory=list)
    requests: RequestFlags
    automated_review_suspected: bool = False
    peer_to_peer: PeerToPeerFacts | None = None
    review_body: Addressee | None = None
    signer: Signer | None = None
    on_behalf_of_member: bool = False
    requested_action: str | None = None
    cc: list[str] = Field(default_factory=list)
