"""Cases and everything in them: members, coverage, providers, service lines, decisions, appeals.

One pydantic model per concept, shared by workflows, activities, the API and the store mapping.
Validation is what a case manager would want: every rejection names its field and says why.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, Self
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from domain import limits
from domain.codes import (
    normalize_icd10cm,
    normalize_npi,
    normalize_procedure_code,
    normalize_state,
    normalize_timezone,
)
from domain.deadlines.query import CareCategory
from domain.enums import (
    ADVERSE_OUTCOMES,
    ContactChannel,
    ContactDirection,
    DecisionSource,
    ItemOutcome,
    ItemType,
    Regime,
    RequestType,
    ServiceTiming,
    Urgency,
    outcome_for_review_action,
)

NPI = Annotated[str, AfterValidator(normalize_npi)]
ICD10CM = Annotated[str, AfterValidator(normalize_icd10cm)]
StateCode = Annotated[str, AfterValidator(normalize_state)]
TimeZoneName = Annotated[str, AfterValidator(normalize_timezone)]
NonBlank = Annotated[str, Field(min_length=1, max_length=limits.LONG_TEXT)]
ShortText = limits.ShortText
CASE_ID_PATTERN = rf"^[A-Za-z0-9][A-Za-z0-9_-]{{2,{limits.CASE_ID - 1}}}$"


class DomainModel(BaseModel):
    """Base for every domain model: unknown fields are errors, strings are trimmed."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, hide_input_in_errors=True)


class Address(DomainModel):
    line1: NonBlank
    line2: str | None = None
    city: ShortText
    state: StateCode
    postal_code: Annotated[str, Field(pattern=r"^\d{5}(-\d{4})?$")]


class Member(DomainModel):
    """The patient. Everything here is PHI: it stays in the store, never in logs or histories."""

    member_id: ShortText
    first_name: ShortText
    last_name: ShortText
    # Optional because payer messages (PAS bundles) do not always carry it; letters that need
    # it say so by name when it is missing.
    birth_date: date | None = None
    group_number: str | None = None
    phone: str | None = None
    address: Address | None = None

    @field_validator("birth_date")
    @classmethod
    def _born_in_past(cls, value: date | None) -> date | None:
        if value is None:
            return None
        if value > datetime.now(UTC).date():
            raise ValueError("birth date is in the future")
        if value.year < 1890:
            raise ValueError("birth date is before 1890")
        return value

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class Payer(DomainModel):
    """The utilization-management organization that decides, and where appeals go."""

    name: ShortText
    payer_id: ShortText
    timezone: TimeZoneName = "America/New_York"
    phone: str | None = None
    fax: str | None = None
    appeals_address: Address | None = None
    appeals_fax: str | None = None


class Coverage(DomainModel):
    regime: Regime
    payer: Payer
    plan_name: ShortText
    plan_id: str | None = None
    state: StateCode | None = None
    # Medicaid/CHIP managed care: the 7-day clock follows the contract's rating period.
    rating_period_start: date | None = None
    # ERISA group plans may have one or two mandatory internal appeal levels.
    appeal_levels: Annotated[int, Field(ge=1, le=2)] = 1
    # Medicare Advantage continuity of care (42 CFR 422.112(b)(8)): the first day of coverage
    # under this plan for an enrollee who joined in an active course of treatment.
    continuity_of_care_from: date | None = None

    @model_validator(mode="after")
    def _regime_needs(self) -> Self:
        medicaid = {Regime.MEDICAID_MANAGED_CARE, Regime.CHIP_MANAGED_CARE}
        if self.regime in medicaid and self.state is None:
            raise ValueError("state is required for Medicaid and CHIP managed care coverage")
        if self.regime == Regime.STATE_INSURED and self.state is None:
            raise ValueError("state is required for state-regulated insured coverage")
        if self.appeal_levels == 2 and self.regime != Regime.ERISA_GROUP:
            raise ValueError("only ERISA group plans may have two internal appeal levels")
        if self.continuity_of_care_from is not None and self.regime != Regime.MEDICARE_ADVANTAGE:
            raise ValueError(
                "continuity_of_care_from applies to Medicare Advantage coverage only "
                "(42 CFR 422.112(b)(8))"
            )
        return self


class Provider(DomainModel):
    """A requesting or servicing provider, identified by NPI.

    Atypical providers have no NPI, and payer messages sometimes carry an identifier that fails
    the NPI check; those arrive as `other_identifier` instead, so nothing is invented.
    """

    npi: NPI | None = None
    other_identifier: Annotated[str | None, Field(max_length=80)] = None
    name: ShortText
    tin: Annotated[str | None, Field(pattern=r"^\d{2}-?\d{7}$")] = None
    specialty: str | None = None
    phone: str | None = None
    fax: str | None = None
    address: Address | None = None

    @model_validator(mode="after")
    def _identified(self) -> Self:
        if self.npi is None and not self.other_identifier:
            raise ValueError("npi is required (other_identifier only for providers without one)")
        return self

    @property
    def identifier_label(self) -> str:
        return f"NPI {self.npi}" if self.npi else f"ID {self.other_identifier}"


class CodeSystem(StrEnum):
    """What a service line's code is: a procedure code, or an X12 service type (PAS/278)."""

    CPT_HCPCS = "cpt_hcpcs"
    X12_SERVICE_TYPE = "x12_service_type"


class ServiceLine(DomainModel):
    """One requested item; payers decide per item, traced by `sequence`."""

    sequence: Annotated[int, Field(ge=1, le=999)]
    code_system: CodeSystem = CodeSystem.CPT_HCPCS
    code: Annotated[str, Field(min_length=1, max_length=limits.SERVICE_CODE)]
    description: NonBlank
    units: Annotated[int, Field(ge=1, le=100_000)] = 1
    place_of_service: Annotated[str | None, Field(pattern=r"^\d{2}$")] = None
    modifiers: list[Annotated[str, Field(pattern=r"^[A-Z0-9]{2}$")]] = Field(
        default_factory=list, max_length=4
    )
    # Optional: a request may name no date yet (PAS service-type requests often do not).
    start_date: date | None = None
    end_date: date | None = None

    @field_validator("code")
    @classmethod
    def _code_format(cls, value: str, info: ValidationInfo) -> str:
        system = info.data.get("code_system", CodeSystem.CPT_HCPCS)
        if system == CodeSystem.X12_SERVICE_TYPE:
            code = value.strip().upper()
            if not (1 <= len(code) <= 2 and code.isalnum()):
                raise ValueError(f"'{value}' is not an X12 service type code (1-2 characters)")
            return code
        return normalize_procedure_code(value)

    @model_validator(mode="after")
    def _dates_in_order(self) -> Self:
        if self.end_date is not None:
            if self.start_date is None:
                raise ValueError("end_date is given without start_date")
            if self.end_date < self.start_date:
                raise ValueError("end_date is before start_date")
        return self


class Diagnosis(DomainModel):
    code: ICD10CM
    description: str | None = None
    primary: bool = False


class Attachment(DomainModel):
    """Clinical evidence by reference (document id or URL); the content lives elsewhere."""

    reference: NonBlank
    title: NonBlank
    content_type: str = "application/pdf"
    loinc_code: Annotated[str | None, Field(pattern=r"^\d{1,7}-\d$")] = None


class PriorAuthRequest(DomainModel):
    """What a case manager (or an EHR through PAS) asks the payer to authorize."""

    member: Member
    coverage: Coverage
    requesting_provider: Provider
    servicing_provider: Provider | None = None
    service_lines: Annotated[list[ServiceLine], Field(min_length=1, max_length=50)]
    diagnoses: Annotated[list[Diagnosis], Field(min_length=1, max_length=12)]
    urgency: Urgency = Urgency.STANDARD
    urgency_justification: str | None = None
    service_timing: ServiceTiming = ServiceTiming.PRE_SERVICE
    item_type: ItemType = ItemType.SERVICE
    request_type: RequestType = RequestType.BENEFIT
    hospitalized: bool = False
    # What the request is for where a state clock depends on it (Texas: one hour for
    # post-stabilization or life-threatening care, 72 hours for discharge services).
    care_category: CareCategory | None = None
    subject_to_prior_authorization: bool = True
    attachments: list[Attachment] = Field(default_factory=list)
    clinical_summary: str | None = Field(default=None, max_length=20_000)
    external_reference: str | None = Field(default=None, max_length=limits.EXTERNAL_REFERENCE)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        sequences = [line.sequence for line in self.service_lines]
        if len(set(sequences)) != len(sequences):
            raise ValueError("service_lines: each line needs its own sequence number")
        if self.urgency == Urgency.EXPEDITED and not (self.urgency_justification or "").strip():
            raise ValueError(
                "urgency_justification is required for an expedited request "
                "(why the standard time frame could seriously jeopardize life, health "
                "or the ability to regain maximum function)"
            )
        if sum(1 for d in self.diagnoses if d.primary) > 1:
            raise ValueError("diagnoses: at most one diagnosis can be primary")
        regime = self.coverage.regime
        if self.item_type == ItemType.PART_B_DRUG and regime != Regime.MEDICARE_ADVANTAGE:
            raise ValueError("item_type part_b_drug applies to Medicare Advantage coverage only")
        if self.request_type == RequestType.EXCEPTION and regime != Regime.MEDICARE_PART_D:
            raise ValueError("request_type exception applies to Medicare Part D coverage only")
        return self

    def line(self, sequence: int) -> ServiceLine:
        for line in self.service_lines:
            if line.sequence == sequence:
                return line
        raise KeyError(sequence)


class ItemDecision(DomainModel):
    """The payer's decision on one service line, as X12 306 code plus what was authorized."""

    sequence: Annotated[int, Field(ge=1, le=999)]
    review_action_code: Annotated[str | None, Field(max_length=limits.REVIEW_ACTION_CODE)] = None
    review_action_display: str | None = None
    outcome: ItemOutcome | None = None
    authorization_number: Annotated[str | None, Field(max_length=limits.SHORT_TEXT)] = None
    approved_units: Annotated[int | None, Field(ge=0, le=limits.STORED_INT)] = None
    authorized_start: date | None = None
    authorized_end: date | None = None
    reason_code: str | None = None
    reason_text: str | None = Field(default=None, max_length=10_000)
    policy_cited: str | None = None
    modification: str | None = None

    @model_validator(mode="after")
    def _derive_outcome(self) -> Self:
        if self.outcome is None:
            self.outcome = outcome_for_review_action(self.review_action_code)
        if (
            self.authorized_start is not None
            and self.authorized_end is not None
            and self.authorized_end < self.authorized_start
        ):
            raise ValueError("authorized_end is before authorized_start")
        if self.outcome == ItemOutcome.DENIED and not (self.reason_text or self.reason_code):
            raise ValueError(
                "a denial needs a specific reason (reason_text or reason_code; CMS-0057-F)"
            )
        return self

    @property
    def resolved_outcome(self) -> ItemOutcome:
        return self.outcome or ItemOutcome.NEEDS_HUMAN_REVIEW

    @property
    def is_adverse(self) -> bool:
        return self.resolved_outcome in ADVERSE_OUTCOMES


class PayerDecision(DomainModel):
    """One response from the payer covering one or more items.

    `decision_id` is the payer's (or the channel's) identifier of this response; applying the
    same decision twice is a no-op, so duplicate webhook or PAS deliveries change nothing.
    """

    decision_id: ShortText
    source: DecisionSource = DecisionSource.MANUAL
    decided_at: AwareDatetime
    received_at: AwareDatetime | None = None
    payer_reference: str | None = None
    items: Annotated[list[ItemDecision], Field(min_length=1)]
    note: str | None = Field(default=None, max_length=10_000)
    notice_date: date | None = None

    @model_validator(mode="after")
    def _unique_items(self) -> Self:
        sequences = [item.sequence for item in self.items]
        if len(set(sequences)) != len(sequences):
            raise ValueError("items: each item sequence may appear once per decision")
        return self


class RequestForInformation(DomainModel):
    """The payer pended the request and asks for more (X12 PWK / LOINC attachment codes)."""

    requested_at: AwareDatetime
    items_requested: Annotated[list[NonBlank], Field(min_length=1)]
    respond_by: AwareDatetime | None = None
    reference: str | None = None


class ContactLogEntry(DomainModel):
    """A call, portal check, fax or letter exchanged with the payer: evidence for appeals."""

    channel: ContactChannel
    direction: ContactDirection = ContactDirection.OUTBOUND
    occurred_at: AwareDatetime
    counterpart: str | None = Field(default=None, max_length=limits.COUNTERPART)
    reference_number: str | None = Field(default=None, max_length=limits.REFERENCE_NUMBER)
    summary: Annotated[str, Field(min_length=1, max_length=5_000)]
    follow_up_due: AwareDatetime | None = None

    @model_validator(mode="after")
    def _reference_for_calls(self) -> Self:
        if self.channel in {ContactChannel.CALL, ContactChannel.FAX} and not self.reference_number:
            raise ValueError(
                f"reference_number is required for a {self.channel.value} "
                "(call reference or fax confirmation number)"
            )
        return self


def utc_iso(moment: datetime) -> str:
    """An aware datetime as ISO 8601 in UTC (how the store keeps every instant)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: every instant must carry its time zone")
    return moment.astimezone(ZoneInfo("UTC")).isoformat()


class Obligor(StrEnum):
    """Whose clock it is: the payer must act, or we (provider / member side) must."""

    PAYER = "payer"
    PROVIDER = "provider"


class CaseDeadline(DomainModel):
    """A due moment attached to a case, with the rule that set it (from the deadline engine)."""

    key: Annotated[str, Field(min_length=1, max_length=limits.SHORT_TEXT)]
    label: ShortText
    obligor: Obligor
    due_at: AwareDatetime
    rule: str
    rule_id: Annotated[str, Field(max_length=limits.SHORT_TEXT)]
    convention: str
    explanation: str
    starts_at: AwareDatetime | None = None
    met_at: AwareDatetime | None = None
    superseded: bool = False
