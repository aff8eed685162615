"""The models of a PAS request intake: what the caller supplies, and what the bundle said.

`PlanMapping` / `PayerPlanMappings` carry the coverage facts a PAS bundle does not (regulatory
regime, plan name, payer time zone), configured per payer. `PasIntake` is a PAS request bundle
that passed the PAS rules, with its parties, items and diagnoses as found and, when one can be
made, the case's `PriorAuthRequest` (else `gaps` says what is missing).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.enums import Regime, Urgency
from domain.models import PriorAuthRequest
from integrations.pas.errors import PasIssue, PasValidationError, operation_outcome
from integrations.pas.fhir import text
from integrations.pas.identifiers import PasIdentifier

# --- what the caller tells us that a PAS bundle does not -----------------------------------


class PlanMapping(BaseModel):
    """The coverage facts a PAS bundle does not carry, configured per payer."""

    model_config = ConfigDict(extra="forbid")

    regime: Regime
    plan_name: str = Field(min_length=1, max_length=120)
    plan_id: str | None = None
    state: str | None = None
    payer_id: str | None = None
    payer_timezone: str = "America/New_York"
    appeal_levels: int = 1


class PayerPlanMappings(BaseModel):
    """Plan mappings keyed by payer identifier (`value` or `system|value`) or payer name."""

    model_config = ConfigDict(extra="forbid")

    by_payer: dict[str, PlanMapping] = Field(default_factory=dict)
    default: PlanMapping | None = None

    def lookup(self, identifiers: Iterable[PasIdentifier], name: str | None) -> PlanMapping | None:
        keys = {key.strip().casefold(): mapping for key, mapping in self.by_payer.items()}
        for identifier in identifiers:
            for key in (f"{identifier.system}|{identifier.value}", identifier.value):
                if key.casefold() in keys:
                    return keys[key.casefold()]
        if name and name.strip().casefold() in keys:
            return keys[name.strip().casefold()]
        return self.default


class PasCode(BaseModel):
    model_config = ConfigDict(frozen=True)

    system: str | None = None
    code: str
    display: str | None = None


class PasParty(BaseModel):
    """A resource the Claim points at (patient, insurer, requesting provider), as found."""

    model_config = ConfigDict(hide_input_in_errors=True)

    reference: str
    resource_type: str
    full_url: str | None = None
    name: str | None = None
    npi: str | None = None
    npi_problem: str | None = None
    identifiers: list[PasIdentifier] = Field(default_factory=list)
    resource: dict[str, Any] = Field(default_factory=dict, repr=False)

    @property
    def label(self) -> str:
        resource_id = text(self.resource, "id")
        return f"{self.resource_type}/{resource_id}" if resource_id else self.reference


class PasItem(BaseModel):
    """One `Claim.item` as sent; `line_sequence` is the unique number the case uses for it."""

    index: int
    sequence: int
    line_sequence: int
    product_or_service: PasCode
    description: str | None = None
    modifiers: list[str] = Field(default_factory=list)
    quantity: float | None = None
    start_date: date | None = None
    end_date: date | None = None
    place_of_service: str | None = None
    certification_type: str | None = None
    request_category: str | None = None
    requested_resource_type: str | None = None
    requested_resource: str | None = None
    trace_number: str | None = None


class PasDiagnosis(BaseModel):
    sequence: int | None = None
    code: PasCode
    primary: bool = False


class PasIntake(BaseModel):
    """A PAS request bundle that passed the PAS rules, with the case request if one can be made."""

    model_config = ConfigDict(hide_input_in_errors=True)

    kind: Literal["submit", "inquiry"]
    transaction_identifier: PasIdentifier | None = None
    bundle_timestamp: datetime | None = None
    claim_id: str | None = None
    claim_full_url: str | None = None
    claim_identifiers: list[PasIdentifier] = Field(default_factory=list)
    claim_type: dict[str, Any] | None = None
    created: datetime | None = None
    external_reference: str | None = None
    submitter_identifier: PasIdentifier | None = None
    trace_assigner: PasIdentifier | None = None
    member_id: str | None = None
    member_id_source: str | None = None
    patient: PasParty
    insurer: PasParty
    requester: PasParty
    coverage: PasParty
    items: list[PasItem] = Field(default_factory=list)
    diagnoses: list[PasDiagnosis] = Field(default_factory=list)
    urgency: Urgency = Urgency.STANDARD
    urgency_source: str | None = None
    priority: str | None = None
    level_of_service: str | None = None
    certification_type: str | None = None
    plan: PlanMapping | None = None
    request: PriorAuthRequest | None = None
    gaps: list[PasIssue] = Field(default_factory=list)
    warnings: list[PasIssue] = Field(default_factory=list)

    def require_request(self) -> PriorAuthRequest:
        """The case request, or a `PasValidationError` naming everything that is missing."""
        if self.request is not None:
            return self.request
        raise PasValidationError(
            [*self.gaps, *self.warnings],
            "the PAS request is valid but priorauth cannot open a case from it",
        )

    def to_operation_outcome(self) -> dict[str, Any]:
        """Gaps and warnings as an OperationOutcome (informational 'ok' when there are none)."""
        return operation_outcome([*self.gaps, *self.warnings])

    def line_for_sequence(self, sequence: int) -> int | None:
        """The case's line sequence for a PAS item sequence (first item when it repeats)."""
        for item in self.items:
            if item.sequence == sequence:
                return item.line_sequence
        return None
