"""PAS `Claim/$submit` (and `$inquire`) request bundles from an EHR → priorauth requests.

priorauth acts as the PAS intermediary: an EHR posts a PAS Request Bundle, we check it and open
a case. Three layers, each with its own failure mode:

1. Structure: the bundle must be FHIR R4 (`fhir.resources.R4B`).
2. PAS rules, checked here: a `collection` bundle with identifier and timestamp, the Claim first,
   `use = preauthorization`, every reference resolvable inside the bundle (fullUrl, `Type/id`,
   `urn:uuid:`), patient / insurer / provider / Coverage present, items with a sequence and a
   productOrService code, at least one diagnosis. A failure of 1 or 2 raises
   `PasValidationError` (one OperationOutcome issue per problem) and nothing is started.
3. The priorauth case: `PasIntake.request` is the `PriorAuthRequest`. What a valid PAS bundle
   may leave doubtful is mapped as it is, with a `warnings` entry naming the element: no birth
   date, an X12 service-type code instead of CPT/HCPCS (`CodeSystem.X12_SERVICE_TYPE`), no
   service date, a provider identifier that fails the NPI check or is not an NPI (kept as
   `Provider.other_identifier`). The PAS test-kit bundles are such requests and open cases.
   What a case truly cannot hold (no member id, no member name, no plan mapping for the insurer,
   a requesting provider without a name or without any identifier, a code that is neither
   CPT/HCPCS nor an X12 service type, a service period with an end but no start...) is a gap:
   `request` is None and `gaps` says precisely what is missing; nothing is invented.
   `require_request()` turns the gaps into a `PasValidationError`.

The regulatory regime is not in a PAS bundle: the caller passes `PayerPlanMappings` (per payer
identifier, plus a default), and without one the intake reports the gap.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from domain.codes import normalize_icd10cm, normalize_npi, normalize_procedure_code
from domain.enums import ItemType, Regime, Urgency
from domain.errors import field_problems
from domain.models import (
    Address,
    Attachment,
    CodeSystem,
    Coverage,
    Diagnosis,
    Member,
    Payer,
    PriorAuthRequest,
    Provider,
    ServiceLine,
)
from integrations.pas.errors import IssueCode, PasIssue, PasValidationError, operation_outcome
from integrations.pas.fhir import (
    CPT_SYSTEM,
    EXT_CERTIFICATION_TYPE,
    EXT_ITEM_TRACE_NUMBER,
    EXT_LEVEL_OF_SERVICE,
    EXT_REQUESTED_SERVICE,
    EXT_SERVICE_ITEM_REQUEST_TYPE,
    HCPCS_SYSTEMS,
    ICD10CM_SYSTEM,
    JSON,
    NPI_SYSTEM,
    PROFILE_CLAIM_INQUIRY,
    PROFILE_INQUIRY_REQUEST_BUNDLE,
    PROVIDER_TYPES,
    REQUESTED_SERVICE_TYPES,
    X12_SERVICE_TYPE,
    BundleIndex,
    Coding,
    Entry,
    child,
    children,
    codings,
    extension,
    first_coding,
    integer,
    is_x12,
    iter_references,
    normalize_system,
    number,
    parse_date,
    parse_instant,
    parse_r4_bundle,
    profiles,
    reference_of,
    text,
    texts,
    x12_coding,
)
from integrations.pas.response_builder import (
    ClaimResponseSpec,
    ItemResult,
    build_claim_response,
    build_response_bundle,
)

CASE_IDENTIFIER_SYSTEM = "urn:priorauth:case"

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


# --- the parsed request --------------------------------------------------------------------


class PasIdentifier(BaseModel):
    model_config = ConfigDict(frozen=True, hide_input_in_errors=True)

    system: str | None = None
    value: str

    @classmethod
    def from_fhir(cls, node: JSON | None) -> PasIdentifier | None:
        value = text(node, "value")
        return cls(system=text(node, "system"), value=value) if value else None

    def to_fhir(self) -> JSON:
        return (
            {"system": self.system, "value": self.value} if self.system else {"value": self.value}
        )


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


# --- PAS rules -----------------------------------------------------------------------------


class _Checked:
    """What the PAS rule check found, reused to build the intake."""

    def __init__(self) -> None:
        self.issues: list[PasIssue] = []
        self.kind: Literal["submit", "inquiry"] = "submit"
        self.index: BundleIndex | None = None
        self.claim: Entry | None = None
        self.patient: Entry | None = None
        self.insurer: Entry | None = None
        self.provider: Entry | None = None
        self.coverage: Entry | None = None

    def add(
        self,
        code: IssueCode,
        diagnostics: str,
        expression: str | None,
        severity: Literal["error", "warning"] = "error",
    ) -> None:
        self.issues.append(
            PasIssue(severity=severity, code=code, diagnostics=diagnostics, expression=expression)
        )


def _required_reference(
    checked: _Checked,
    element: str,
    allowed: frozenset[str],
    *,
    node: JSON | None,
    expression: str,
) -> Entry | None:
    """Check that a required reference is present and points at an allowed resource type.

    Unresolvable references are reported once, by the walk over every reference.
    """
    assert checked.index is not None and checked.claim is not None
    reference = reference_of(node)
    if reference is None:
        kinds = " or ".join(sorted(allowed))
        checked.add(
            "required",
            f"{element} is missing: a PAS Claim must reference its {kinds} in the bundle",
            expression,
        )
        return None
    target = checked.index.resolve(reference, checked.claim)
    if target is None:
        return None
    if target.resource_type not in allowed:
        kinds = " or ".join(sorted(allowed))
        checked.add(
            "invalid",
            f"{element} references {target.label}, a {target.resource_type}; it must be a {kinds}",
            expression,
        )
        return None
    return target


def _check_references(checked: _Checked) -> None:
    assert checked.index is not None
    for entry in checked.index.entries:
        for path, reference in iter_references(entry.resource, entry.path):
            if checked.index.resolve(reference, entry) is not None:
                continue
            where = _readable(path, checked)
            checked.add(
                "not-found",
                f"{where}: reference '{reference}' does not resolve to any entry of the bundle "
                "(no entry has that fullUrl or resource type and id); a PAS request bundle "
                "must contain every resource it references",
                path,
            )


def _readable(path: str, checked: _Checked) -> str:
    assert checked.index is not None
    prefix = "Bundle.entry["
    if path.startswith(prefix):
        index_text, _, rest = path[len(prefix) :].partition("]")
        if index_text.isdigit():
            entry = checked.index.entry_at(int(index_text))
            if entry is not None and entry.resource_type and rest.startswith(".resource"):
                return entry.resource_type + rest[len(".resource") :]
    return path


def _check_request_bundle(bundle: JSON) -> _Checked:
    checked = _Checked()
    bundle_type = text(bundle, "type")
    if bundle_type is None:
        checked.add(
            "required",
            "Bundle.type is missing; a PAS request bundle is a 'collection'",
            "Bundle.type",
        )
    elif bundle_type != "collection":
        checked.add(
            "invalid",
            f"Bundle.type is '{bundle_type}'; a PAS request bundle is a 'collection'",
            "Bundle.type",
        )
    if child(bundle, "identifier") is None:
        checked.add(
            "required",
            "Bundle.identifier is missing: a PAS request bundle carries the submitter's "
            "transaction identifier",
            "Bundle.identifier",
        )
    if text(bundle, "timestamp") is None:
        checked.add(
            "required",
            "Bundle.timestamp is missing (required by the PAS request bundle)",
            "Bundle.timestamp",
        )

    raw_entries = bundle.get("entry")
    if not isinstance(raw_entries, list) or not raw_entries:
        checked.add(
            "structure",
            "Bundle.entry is empty: the bundle carries no Claim, so it is not a PAS request "
            "(a PAS request bundle starts with the Claim, followed by every resource it "
            "references)",
            "Bundle.entry",
        )
        return checked

    index = BundleIndex(bundle)
    checked.index = index
    seen_urls: dict[str, int] = {}
    for position, raw in enumerate(raw_entries):
        entry_node = raw if isinstance(raw, dict) else None
        if child(entry_node, "resource") is None:
            checked.add(
                "required",
                f"Bundle.entry[{position}] has no resource",
                f"Bundle.entry[{position}].resource",
            )
        url = text(entry_node, "fullUrl")
        if url is None:
            checked.add(
                "required",
                f"Bundle.entry[{position}].fullUrl is missing; PAS bundle entries are "
                "identified by fullUrl",
                f"Bundle.entry[{position}].fullUrl",
                severity="warning",
            )
        elif url in seen_urls:
            checked.add(
                "invalid",
                f"Bundle.entry[{position}].fullUrl '{url}' repeats Bundle.entry"
                f"[{seen_urls[url]}].fullUrl; fullUrls must be unique in a bundle",
                f"Bundle.entry[{position}].fullUrl",
            )
        else:
            seen_urls[url] = position

    first = index.entry_at(0)
    if first is None or first.resource_type != "Claim":
        claims = index.of_type("Claim")
        if first is None:
            what = "Bundle.entry[0] has no resource"
        else:
            what = f"Bundle.entry[0] is a {first.resource_type or 'resource without a type'}"
        if claims:
            detail = f"the Claim is at Bundle.entry[{claims[0].index}]; it must come first"
        elif first is not None and first.resource_type == "ClaimResponse":
            detail = "there is no Claim: this looks like a PAS response bundle, not a request"
        else:
            detail = "there is no Claim: this is not a PAS request bundle"
        checked.add(
            "structure",
            f"{what}; {detail}",
            "Bundle.entry[0].resource",
        )
        _check_references(checked)
        return checked

    claim = first
    checked.claim = claim
    node = claim.resource
    path = claim.path
    if PROFILE_CLAIM_INQUIRY in profiles(node) or PROFILE_INQUIRY_REQUEST_BUNDLE in profiles(
        bundle
    ):
        checked.kind = "inquiry"
    use = text(node, "use")
    if use is None:
        checked.add(
            "required",
            "Claim.use is missing; a PAS Claim has use 'preauthorization'",
            f"{path}.use",
        )
    elif use != "preauthorization":
        checked.add(
            "invalid",
            f"Claim.use is '{use}'; a PAS Claim has use 'preauthorization'",
            f"{path}.use",
        )
    checked.patient = _required_reference(
        checked,
        "Claim.patient",
        frozenset({"Patient"}),
        node=child(node, "patient"),
        expression=f"{path}.patient",
    )
    checked.insurer = _required_reference(
        checked,
        "Claim.insurer",
        frozenset({"Organization"}),
        node=child(node, "insurer"),
        expression=f"{path}.insurer",
    )
    checked.provider = _required_reference(
        checked,
        "Claim.provider",
        PROVIDER_TYPES,
        node=child(node, "provider"),
        expression=f"{path}.provider",
    )
    insurances = children(node, "insurance")
    if not insurances:
        checked.add(
            "required",
            "Claim.insurance is missing: a PAS Claim names the member's Coverage",
            f"{path}.insurance",
        )
    else:
        focal = next((i for i, ins in enumerate(insurances) if ins.get("focal") is True), 0)
        checked.coverage = _required_reference(
            checked,
            f"Claim.insurance[{focal}].coverage",
            frozenset({"Coverage"}),
            node=child(insurances[focal], "coverage"),
            expression=f"{path}.insurance[{focal}].coverage",
        )

    items = children(node, "item")
    if not items and checked.kind == "submit":
        checked.add(
            "required",
            "Claim.item is missing: a PAS Claim requests at least one item",
            f"{path}.item",
        )
    for position, item in enumerate(items):
        where = f"{path}.item[{position}]"
        sequence = integer(item, "sequence")
        if sequence is None:
            checked.add(
                "required", f"Claim.item[{position}].sequence is missing", f"{where}.sequence"
            )
        elif sequence < 1:
            checked.add(
                "invalid",
                f"Claim.item[{position}].sequence must be a positive integer",
                f"{where}.sequence",
            )
        if not codings(child(item, "productOrService")):
            checked.add(
                "required",
                f"Claim.item[{position}].productOrService has no coding with a code: "
                "the payer cannot tell what is requested",
                f"{where}.productOrService",
            )
        requested = extension(item, EXT_REQUESTED_SERVICE)
        target_ref = reference_of(child(requested, "valueReference"))
        if target_ref is not None:
            target = index.resolve(target_ref, claim)
            if target is not None and target.resource_type not in REQUESTED_SERVICE_TYPES:
                checked.add(
                    "invalid",
                    f"Claim.item[{position}] requestedService references {target.label}; it "
                    "must be a ServiceRequest, DeviceRequest, MedicationRequest or NutritionOrder",
                    f"{where}.extension",
                )

    diagnoses = children(node, "diagnosis")
    if not diagnoses and checked.kind == "submit":
        checked.add(
            "required",
            "Claim.diagnosis is missing: priorauth needs at least one ICD-10-CM diagnosis",
            f"{path}.diagnosis",
        )
    for position, diagnosis in enumerate(diagnoses):
        if child(diagnosis, "diagnosisCodeableConcept") is None and (
            reference_of(child(diagnosis, "diagnosisReference")) is None
        ):
            checked.add(
                "required",
                f"Claim.diagnosis[{position}] has neither diagnosisCodeableConcept nor "
                "diagnosisReference",
                f"{path}.diagnosis[{position}]",
            )
    _check_references(checked)
    return checked


# --- mapping to the case request -----------------------------------------------------------


def _identifiers(resource: JSON) -> list[PasIdentifier]:
    found = []
    for node in children(resource, "identifier"):
        identifier = PasIdentifier.from_fhir(node)
        if identifier is not None:
            found.append(identifier)
    return found


def _npi(resource: JSON) -> str | None:
    for node in children(resource, "identifier"):
        if normalize_system(text(node, "system")) == NPI_SYSTEM:
            return text(node, "value")
    return None


def _human_name(resource: JSON) -> tuple[str | None, str | None, str | None]:
    """(given, family, display) of the first usable name (official first)."""
    names = children(resource, "name")
    names.sort(key=lambda n: 0 if text(n, "use") == "official" else 1)
    for name in names:
        given = texts(name, "given")
        family = text(name, "family")
        full = text(name, "text")
        display = full or " ".join([*given, family or ""]).strip() or None
        if given or family or full:
            return (given[0] if given else None), family, display
    return None, None, None


def _party(entry: Entry, index: BundleIndex) -> PasParty:
    resource = entry.resource
    resource_type = entry.resource_type or "Resource"
    is_org = resource_type == "Organization"
    name = text(resource, "name") if is_org else _human_name(resource)[2]
    npi = _npi(resource)
    if resource_type == "PractitionerRole":
        # A role carries neither name nor (usually) NPI: take them from its practitioner,
        # else from its organization.
        for key in ("practitioner", "organization"):
            ref = reference_of(child(resource, key))
            target = index.resolve(ref, entry) if ref else None
            if target is not None:
                name = name or (
                    text(target.resource, "name")
                    if target.resource_type == "Organization"
                    else _human_name(target.resource)[2]
                )
                npi = npi or _npi(target.resource)
    problem = None
    if npi is not None:
        try:
            npi = normalize_npi(npi)
        except ValueError as exc:
            problem = str(exc)
    return PasParty(
        reference=entry.reference,
        resource_type=resource_type,
        full_url=entry.full_url,
        name=name,
        npi=npi,
        npi_problem=problem,
        identifiers=_identifiers(resource),
        resource=resource,
    )


def _telecom(resource: JSON, system: str) -> str | None:
    for point in children(resource, "telecom"):
        if text(point, "system") == system:
            return text(point, "value")
    return None


def _address(resource: JSON) -> Address | None:
    for node in children(resource, "address"):
        lines = texts(node, "line")
        try:
            return Address(
                line1=lines[0] if lines else "",
                line2=lines[1] if len(lines) > 1 else None,
                city=text(node, "city") or "",
                state=text(node, "state") or "",
                postal_code=text(node, "postalCode") or "",
            )
        except ValidationError:
            return None
    return None


def _member_id(patient: Entry, coverage: Entry | None) -> tuple[str | None, str | None]:
    if coverage is not None:
        subscriber_id = text(coverage.resource, "subscriberId")
        if subscriber_id:
            return subscriber_id, "Coverage.subscriberId"
        identifiers = children(coverage.resource, "identifier")
        for node in identifiers:
            if any(c.code == "MB" for c in codings(child(node, "type"))) and text(node, "value"):
                return text(node, "value"), "Coverage.identifier (MB)"
        for node in identifiers:
            if text(node, "value"):
                return text(node, "value"), "Coverage.identifier"
    identifiers = children(patient.resource, "identifier")
    for node in identifiers:
        system = (text(node, "system") or "").rstrip("/")
        is_member = any(c.code == "MB" for c in codings(child(node, "type")))
        if (is_member or system.upper().endswith("/MIN")) and text(node, "value"):
            return text(node, "value"), f"Patient.identifier ({text(node, 'system') or 'MB'})"
    for node in identifiers:
        if text(node, "value"):
            return text(node, "value"), "Patient.identifier"
    return None, None


def _coverage_class(coverage: Entry | None, kind: str) -> tuple[str | None, str | None]:
    if coverage is None:
        return None, None
    for node in children(coverage.resource, "class"):
        if any(c.code == kind for c in codings(child(node, "type"))):
            return text(node, "value"), text(node, "name")
    return None, None


def _concept_label(concept: JSON | None) -> str | None:
    coding = first_coding(concept)
    return text(concept, "text") or (coding.display if coding else None)


def _requested_details(
    target: Entry | None,
) -> tuple[float | None, date | None, date | None, str | None]:
    """(quantity, start, end, description) from the ServiceRequest/DeviceRequest/... an item
    points at, for what `Claim.item` itself leaves out."""
    if target is None:
        return None, None, None, None
    resource = target.resource
    quantity = number(child(resource, "quantityQuantity"), "value")
    start = parse_date(resource.get("occurrenceDateTime"))
    end = None
    period = child(resource, "occurrencePeriod")
    if period is not None:
        start, end = parse_date(period.get("start")), parse_date(period.get("end"))
    description = _concept_label(child(resource, "code")) or _concept_label(
        child(resource, "codeCodeableConcept")
    )
    if target.resource_type == "MedicationRequest":
        dispense = child(resource, "dispenseRequest")
        quantity = number(child(dispense, "quantity"), "value")
        validity = child(dispense, "validityPeriod")
        if validity is not None:
            start, end = parse_date(validity.get("start")), parse_date(validity.get("end"))
        description = _concept_label(child(resource, "medicationCodeableConcept"))
    return quantity, start, end, description


_PROCEDURE_SYSTEMS = frozenset(normalize_system(s) for s in (CPT_SYSTEM, *HCPCS_SYSTEMS))


def _product_coding(concept: JSON | None) -> Coding | None:
    """The item's code: a CPT/HCPCS coding first, else an X12 service type, else the first."""
    found = codings(concept)
    procedure = next((c for c in found if c.system in _PROCEDURE_SYSTEMS), None)
    service_type = next((c for c in found if is_x12(c.system, "1365")), None)
    return procedure or service_type or (found[0] if found else None)


def _requested_dates(target: Entry | None) -> tuple[object, ...]:
    """The raw date elements `_requested_details` reads from a requested resource."""
    if target is None:
        return ()
    resource = target.resource
    return (
        resource.get("occurrenceDateTime"),
        child(resource, "occurrencePeriod"),
        child(child(resource, "dispenseRequest"), "validityPeriod"),
    )


def _partial_date(*values: object) -> bool:
    """Whether a date (or a period's start/end) is present but not a full YYYY-MM-DD date."""
    for value in values:
        if isinstance(value, dict):
            if _partial_date(value.get("start"), value.get("end")):
                return True
        elif isinstance(value, str) and value.strip() and parse_date(value) is None:
            return True
    return False


class _Builder:
    """Maps a checked PAS bundle to a `PasIntake`, collecting gaps instead of failing."""

    def __init__(self, bundle: JSON, checked: _Checked, plans: PayerPlanMappings) -> None:
        assert checked.index is not None and checked.claim is not None
        assert checked.patient is not None and checked.insurer is not None
        assert checked.provider is not None
        self.bundle = bundle
        self.index = checked.index
        self.claim = checked.claim
        self.patient = checked.patient
        self.insurer = checked.insurer
        self.provider_entry = checked.provider
        self.coverage = checked.coverage
        self.kind = checked.kind
        self.plans = plans
        self.gaps: list[PasIssue] = []
        self.warnings: list[PasIssue] = [i for i in checked.issues if not i.is_error]
        # Claim.item positions whose only service date is partial (a year or a month).
        self.partial_dates: set[int] = set()

    def gap(self, code: IssueCode, diagnostics: str, expression: str | None) -> None:
        self.gaps.append(PasIssue(code=code, diagnostics=diagnostics, expression=expression))

    def warn(self, code: IssueCode, diagnostics: str, expression: str | None) -> None:
        self.warnings.append(
            PasIssue(severity="warning", code=code, diagnostics=diagnostics, expression=expression)
        )

    def _domain_problems(self, exc: ValidationError, where: str, expression: str) -> None:
        for problem in field_problems(exc):
            self.gap("business-rule", f"{where}: {problem.field}: {problem.message}", expression)

    # -- items ------------------------------------------------------------------------------

    def items(self) -> list[PasItem]:
        claim = self.claim.resource
        used: set[int] = set()
        found: list[PasItem] = []
        raw_items = children(claim, "item")
        declared = {integer(item, "sequence") for item in raw_items}
        for position, node in enumerate(raw_items):
            sequence = integer(node, "sequence") or position + 1
            line_sequence = sequence
            if line_sequence in used:
                free = (n for n in range(1, 1000) if n not in used and n not in declared)
                line_sequence = next(free, sequence)
                earlier = next((i.index for i in found if i.sequence == sequence), None)
                repeats = f"Claim.item[{earlier}].sequence" if earlier is not None else "another"
                self.warn(
                    "business-rule",
                    f"Claim.item[{position}].sequence {sequence} repeats {repeats}; priorauth "
                    f"numbers this item {line_sequence} internally and echoes sequence "
                    f"{sequence}, so responses cannot tell the two items apart",
                    f"{self.claim.path}.item[{position}].sequence",
                )
            used.add(line_sequence)
            concept = child(node, "productOrService")
            coding = _product_coding(concept)
            assert coding is not None  # checked by the PAS rules
            requested_ref = reference_of(
                child(extension(node, EXT_REQUESTED_SERVICE), "valueReference")
            )
            target = self.index.resolve(requested_ref, self.claim) if requested_ref else None
            r_quantity, r_start, r_end, r_description = _requested_details(target)
            start = parse_date(node.get("servicedDate"))
            end = None
            period = child(node, "servicedPeriod")
            if period is not None:
                start, end = parse_date(period.get("start")), parse_date(period.get("end"))
            if start is None and end is None:
                start, end = r_start, r_end
            if start is None and _partial_date(
                node.get("servicedDate"),
                child(node, "servicedPeriod"),
                *_requested_dates(target),
            ):
                self.partial_dates.add(position)
            quantity = number(child(node, "quantity"), "value")
            if quantity is None:
                quantity = r_quantity
            modifiers = [c.code for m in children(node, "modifier") for c in codings(m)]
            location = first_coding(child(node, "locationCodeableConcept"))
            certification = x12_coding(
                child(extension(node, EXT_CERTIFICATION_TYPE), "valueCodeableConcept"), "1322"
            )
            category = x12_coding(
                child(extension(node, EXT_SERVICE_ITEM_REQUEST_TYPE), "valueCodeableConcept"),
                "1525",
            )
            trace = child(extension(node, EXT_ITEM_TRACE_NUMBER), "valueIdentifier")
            found.append(
                PasItem(
                    index=position,
                    sequence=sequence,
                    line_sequence=line_sequence,
                    product_or_service=PasCode(
                        system=coding.system, code=coding.code, display=coding.display
                    ),
                    description=coding.display or text(concept, "text") or r_description,
                    modifiers=modifiers,
                    quantity=quantity,
                    start_date=start,
                    end_date=end,
                    place_of_service=location.code if location else None,
                    certification_type=certification.code if certification else None,
                    request_category=category.code if category else None,
                    requested_resource_type=target.resource_type if target else None,
                    requested_resource=target.label if target else None,
                    trace_number=text(trace, "value"),
                )
            )
        return found

    def service_lines(self, items: list[PasItem]) -> list[ServiceLine]:
        lines = []
        for item in items:
            where = f"Claim.item[{item.index}]"
            expression = f"{self.claim.path}.item[{item.index}]"
            ok = True
            code_system, code = self.line_code(item, where, expression)
            if code is None:
                ok = False
            if item.start_date is None and item.end_date is not None:
                ok = False
                self.gap(
                    "required",
                    f"{where}: the service period has an end but no start date (servicedPeriod, "
                    "or the requested resource's occurrencePeriod); a service line with an end "
                    "date needs its start date",
                    f"{expression}.servicedPeriod",
                )
            elif item.start_date is None:
                what = (
                    "has only a partial service date (a year or month, not YYYY-MM-DD)"
                    if item.index in self.partial_dates
                    else "has no service date (servicedDate, servicedPeriod, or the occurrence "
                    "of the requested ServiceRequest/DeviceRequest)"
                )
                self.warn(
                    "required",
                    f"{where} {what}; the line is kept without a service date",
                    f"{expression}.serviced",
                )
            units = 1
            if item.quantity is not None:
                if item.quantity < 1 or not math.isclose(item.quantity, round(item.quantity)):
                    ok = False
                    self.gap(
                        "value",
                        f"{where}.quantity {item.quantity:g} is not a whole number of units "
                        "(at least 1)",
                        f"{expression}.quantity",
                    )
                else:
                    units = round(item.quantity)
            place = item.place_of_service
            if place is not None and not (len(place) == 2 and place.isdigit()):
                self.warn(
                    "value",
                    f"{where}.locationCodeableConcept '{place}' is not a CMS "
                    "place-of-service code; left out",
                    f"{expression}.location",
                )
                place = None
            if not ok or code is None:
                continue
            kind = "X12 service type" if code_system == CodeSystem.X12_SERVICE_TYPE else "service"
            try:
                lines.append(
                    ServiceLine(
                        sequence=item.line_sequence,
                        code_system=code_system,
                        code=code,
                        description=item.description or f"Requested {kind} {code}",
                        units=units,
                        place_of_service=place,
                        modifiers=item.modifiers,
                        start_date=item.start_date,
                        end_date=item.end_date,
                    )
                )
            except ValidationError as exc:
                self._domain_problems(exc, where, expression)
        return lines

    def line_code(
        self, item: PasItem, where: str, expression: str
    ) -> tuple[CodeSystem, str | None]:
        """The line's code system and normalized code; None (and a gap) when it has neither
        a CPT/HCPCS code nor an X12 service type code."""
        code = item.product_or_service
        label = f"'{code.code}'" + (f" ({code.display})" if code.display else "")
        expression = f"{expression}.productOrService"
        if is_x12(code.system, "1365"):
            service_type = code.code.strip().upper()
            if not (1 <= len(service_type) <= 2 and service_type.isalnum()):
                self.gap(
                    "code-invalid",
                    f"{where}.productOrService: {label} is not an X12 service type code "
                    f"({X12_SERVICE_TYPE}: 1-2 letters or digits)",
                    expression,
                )
                return CodeSystem.X12_SERVICE_TYPE, None
            self.warn(
                "business-rule",
                f"{where}.productOrService: {label} is an X12 service type code "
                f"({X12_SERVICE_TYPE}), not a CPT/HCPCS procedure code; the line is kept as "
                "that service type, which says what kind of service is asked for but not "
                "which procedure",
                expression,
            )
            return CodeSystem.X12_SERVICE_TYPE, service_type
        try:
            return CodeSystem.CPT_HCPCS, normalize_procedure_code(code.code)
        except ValueError as exc:
            self.gap("code-invalid", f"{where}.productOrService: {exc}", expression)
            return CodeSystem.CPT_HCPCS, None

    # -- diagnoses --------------------------------------------------------------------------

    def diagnoses(self) -> list[PasDiagnosis]:
        found: list[PasDiagnosis] = []
        for position, node in enumerate(children(self.claim.resource, "diagnosis")):
            concept = child(node, "diagnosisCodeableConcept")
            if concept is None:
                ref = reference_of(child(node, "diagnosisReference"))
                target = self.index.resolve(ref, self.claim) if ref else None
                concept = child(target.resource, "code") if target else None
            coding = first_coding(concept, ICD10CM_SYSTEM)
            if coding is None:
                self.gap(
                    "required",
                    f"Claim.diagnosis[{position}] carries no diagnosis code",
                    f"{self.claim.path}.diagnosis[{position}]",
                )
                continue
            primary = any(
                c.code in ("principal", "ABK") for t in children(node, "type") for c in codings(t)
            )
            found.append(
                PasDiagnosis(
                    sequence=integer(node, "sequence"),
                    code=PasCode(system=coding.system, code=coding.code, display=coding.display),
                    primary=primary,
                )
            )
        found.sort(key=lambda d: d.sequence if d.sequence is not None else 1000)
        if found and not any(d.primary for d in found):
            # As in the X12 278 HI segment, the first diagnosis is the principal one.
            found[0] = found[0].model_copy(update={"primary": True})
        return found

    def domain_diagnoses(self, diagnoses: list[PasDiagnosis]) -> list[Diagnosis]:
        result = []
        primary_taken = False
        for position, diagnosis in enumerate(diagnoses):
            expression = f"{self.claim.path}.diagnosis[{position}]"
            code = diagnosis.code
            if code.system not in (ICD10CM_SYSTEM, None):
                self.gap(
                    "code-invalid",
                    f"Claim.diagnosis[{position}]: '{code.code}' is from {code.system}; "
                    "priorauth needs ICD-10-CM diagnoses",
                    expression,
                )
                continue
            try:
                normalized = normalize_icd10cm(code.code)
            except ValueError as exc:
                self.gap("code-invalid", f"Claim.diagnosis[{position}]: {exc}", expression)
                continue
            primary = diagnosis.primary and not primary_taken
            primary_taken = primary_taken or primary
            result.append(Diagnosis(code=normalized, description=code.display, primary=primary))
        return result

    # -- parties ----------------------------------------------------------------------------

    def member(self, member_id: str | None, source: str | None) -> Member | None:
        patient = self.patient.resource
        path = self.patient.path
        given, family, display = _human_name(patient)
        if (given is None or family is None) and display and len(display.split()) >= 2:
            given, family = display.split()[0], display.split()[-1]
        birth_raw = patient.get("birthDate")
        birth = parse_date(birth_raw)
        missing = False
        if member_id is None:
            missing = True
            self.gap(
                "required",
                "no member id: neither Coverage.subscriberId, Coverage.identifier nor a member "
                "identifier on the Patient",
                f"{self.coverage.path if self.coverage else path}.subscriberId",
            )
        if given is None or family is None:
            missing = True
            self.gap(
                "required",
                "Patient.name needs a given and a family name for the case",
                f"{path}.name",
            )
        if birth is None:
            what = (
                "is only a partial date (a year or month, not YYYY-MM-DD)"
                if _partial_date(birth_raw)
                else "is missing"
            )
            self.warn(
                "required",
                f"Patient.birthDate {what}; the case is opened without the member's date of "
                "birth (confirm it with the member or the payer before a letter needs it)",
                f"{path}.birthDate",
            )
        if missing:
            return None
        group_id, _ = _coverage_class(self.coverage, "group")
        try:
            return Member(
                member_id=member_id or "",
                first_name=given or "",
                last_name=family or "",
                birth_date=birth,
                group_number=group_id,
                phone=_telecom(patient, "phone"),
                address=_address(patient),
            )
        except ValidationError as exc:
            self._domain_problems(exc, "Patient", path)
            return None

    def provider_model(
        self, entry: Entry, party: PasParty, element: str, *, required: bool
    ) -> Provider | None:
        """The provider, identified by its NPI, else (with a warning) by another identifier.

        An NPI-system identifier that fails the NPI check is not fixed: it becomes the
        provider's `other_identifier`. Without a name or any identifier there is no provider
        (a gap when required; the optional servicing provider is left out with a warning).
        """
        expression = f"{entry.path}.identifier"
        label = f"{element} ({party.label})"
        npi: str | None = None
        other: str | None = None
        problem: str | None = None
        note: tuple[IssueCode, str] | None = None
        if party.name is None:
            problem = f"{label} has no name"
            expression = f"{entry.path}.name"
        elif party.npi is not None and party.npi_problem is None:
            npi = party.npi
        elif party.npi is not None:
            other = party.npi
            note = (
                "invalid",
                f"{label}: identifier '{party.npi}' (system {NPI_SYSTEM}) fails the NPI check "
                f"({party.npi_problem}); it is kept as the provider's other identifier, not "
                "as an NPI",
            )
        elif party.identifiers:
            fallback = party.identifiers[0]
            other = fallback.value
            note = (
                "required",
                f"{label} has no NPI identifier (system {NPI_SYSTEM}); it is identified by its "
                f"identifier '{fallback.value}' (system {fallback.system or 'not given'}) "
                "instead",
            )
        else:
            problem = f"{label} has no identifier: neither an NPI (system {NPI_SYSTEM}) nor another"
        if problem is not None:
            if required:
                self.gap("required", problem, expression)
            else:
                self.warn("required", f"{problem}; the servicing provider is left out", expression)
            return None
        try:
            provider = Provider(
                npi=npi,
                other_identifier=other,
                name=(party.name or "")[:120],
                phone=_telecom(entry.resource, "phone"),
                fax=_telecom(entry.resource, "fax"),
                address=_address(entry.resource),
            )
        except ValidationError as exc:
            if required:
                self._domain_problems(exc, element, expression)
            else:
                for found in field_problems(exc):
                    self.warn(
                        "value",
                        f"{label}: {found.field}: {found.message}; the servicing provider is "
                        "left out",
                        expression,
                    )
            return None
        if note is not None:
            self.warn(note[0], note[1], expression)
        return provider

    def servicing(self, requester: PasParty) -> Provider | None:
        for position, team in enumerate(children(self.claim.resource, "careTeam")):
            ref = reference_of(child(team, "provider"))
            target = self.index.resolve(ref, self.claim) if ref else None
            if target is None or target.resource_type not in PROVIDER_TYPES:
                continue
            if target is self.provider_entry:
                continue
            party = _party(target, self.index)
            if party.npi is not None and party.npi == requester.npi:
                continue
            return self.provider_model(
                target, party, f"Claim.careTeam[{position}].provider", required=False
            )
        return None

    def coverage_model(self, insurer: PasParty) -> tuple[Coverage | None, PlanMapping | None]:
        plan = self.plans.lookup(insurer.identifiers, insurer.name)
        expression = f"{self.claim.path}.insurer"
        if plan is None:
            known = ", ".join(i.value for i in insurer.identifiers) or "none"
            self.gap(
                "business-rule",
                f"the PAS bundle does not say which regulatory regime governs this coverage and "
                f"no plan mapping matches the insurer {insurer.label} (identifiers: {known}); "
                "configure a PlanMapping for this payer",
                expression,
            )
            return None, None
        payer_id = plan.payer_id or (insurer.identifiers[0].value if insurer.identifiers else None)
        name = insurer.name
        if payer_id is None or name is None:
            self.gap(
                "required",
                f"Claim.insurer ({insurer.label}) needs a name and an identifier (or a "
                "payer_id in its plan mapping)",
                expression,
            )
            return None, plan
        plan_id, plan_name = _coverage_class(self.coverage, "plan")
        if plan_id is not None and plan_id == plan_name:
            plan_id = None  # a class that only names the plan (value is required in FHIR)
        try:
            payer = Payer(name=name[:120], payer_id=payer_id, timezone=plan.payer_timezone)
            coverage = Coverage(
                regime=plan.regime,
                payer=payer,
                plan_name=plan_name or plan.plan_name,
                plan_id=plan_id or plan.plan_id,
                state=plan.state,
                appeal_levels=plan.appeal_levels,
            )
        except ValidationError as exc:
            self._domain_problems(exc, "coverage (from the plan mapping)", expression)
            return None, plan
        return coverage, plan

    def attachments(self) -> list[Attachment]:
        found = []
        for position, info in enumerate(children(self.claim.resource, "supportingInfo")):
            attachment = child(info, "valueAttachment")
            reference = reference_of(child(info, "valueReference"))
            url = text(attachment, "url") if attachment else None
            target = url or reference
            if target is None:
                continue
            loinc = first_coding(child(info, "code"), "http://loinc.org")
            title = (
                text(attachment, "title")
                or _concept_label(child(info, "code"))
                or _concept_label(child(info, "category"))
                or "Supporting document"
            )
            try:
                found.append(
                    Attachment(
                        reference=target,
                        title=title,
                        content_type=text(attachment, "contentType") or "application/pdf",
                        loinc_code=loinc.code
                        if loinc and loinc.system == "http://loinc.org"
                        else None,
                    )
                )
            except ValidationError:
                self.warn(
                    "value",
                    f"Claim.supportingInfo[{position}] was left out: not a usable attachment",
                    f"{self.claim.path}.supportingInfo[{position}]",
                )
        return found

    # -- urgency ----------------------------------------------------------------------------

    def urgency(self) -> tuple[Urgency, str | None, str | None, str | None]:
        claim = self.claim.resource
        priority = first_coding(child(claim, "priority"))
        level = x12_coding(
            child(extension(claim, EXT_LEVEL_OF_SERVICE), "valueCodeableConcept"), "1338"
        )
        priority_code = priority.code if priority else None
        level_code = level.code if level else None
        if priority_code in ("stat", "urgent"):
            return Urgency.EXPEDITED, f"Claim.priority '{priority_code}'", priority_code, level_code
        if level_code in ("U", "03"):
            label = level.display if level and level.display else level_code
            return (
                Urgency.EXPEDITED,
                f"X12 level of service {level_code} ({label})",
                priority_code,
                level_code,
            )
        return Urgency.STANDARD, None, priority_code, level_code

    # -- all together -----------------------------------------------------------------------

    def build(self) -> PasIntake:
        claim = self.claim.resource
        patient = _party(self.patient, self.index)
        insurer = _party(self.insurer, self.index)
        requester = _party(self.provider_entry, self.index)
        coverage_entry = self.coverage
        coverage_party = (
            _party(coverage_entry, self.index)
            if coverage_entry is not None
            else PasParty(reference="", resource_type="Coverage")
        )
        items = self.items()
        diagnoses = self.diagnoses()
        urgency, urgency_source, priority, level = self.urgency()
        member_id, member_source = _member_id(self.patient, coverage_entry)
        certification_types = [i.certification_type for i in items if i.certification_type]
        claim_identifiers = _identifiers(claim)
        first_identifier = next(iter(children(claim, "identifier")), None)
        trace_assigner = PasIdentifier.from_fhir(
            child(child(first_identifier, "assigner"), "identifier")
        )
        transaction = PasIdentifier.from_fhir(child(self.bundle, "identifier"))
        submitter = next(
            (i for i in requester.identifiers if normalize_system(i.system) == NPI_SYSTEM),
            requester.identifiers[0] if requester.identifiers else None,
        )

        request: PriorAuthRequest | None = None
        plan: PlanMapping | None = None
        if self.kind == "submit":
            member = self.member(member_id, member_source)
            coverage, plan = self.coverage_model(insurer)
            provider = self.provider_model(
                self.provider_entry, requester, "Claim.provider", required=True
            )
            servicing = self.servicing(requester)
            lines = self.service_lines(items)
            domain_diagnoses = self.domain_diagnoses(diagnoses)
            attachments = self.attachments()
            if not self.gaps and member and coverage and provider:
                item_type = ItemType.SERVICE
                if any(i.requested_resource_type == "MedicationRequest" for i in items):
                    item_type = (
                        ItemType.PART_B_DRUG
                        if coverage.regime == Regime.MEDICARE_ADVANTAGE
                        else ItemType.DRUG
                    )
                justification = None
                if urgency == Urgency.EXPEDITED:
                    justification = (
                        f"The requesting provider asked for expedited review in the PAS request "
                        f"({urgency_source}): applying the standard time frame could seriously "
                        "jeopardize the member's life, health or ability to regain maximum "
                        "function."
                    )
                try:
                    request = PriorAuthRequest(
                        member=member,
                        coverage=coverage,
                        requesting_provider=provider,
                        servicing_provider=servicing,
                        service_lines=lines,
                        diagnoses=domain_diagnoses,
                        urgency=urgency,
                        urgency_justification=justification,
                        item_type=item_type,
                        attachments=attachments,
                        external_reference=claim_identifiers[0].value
                        if claim_identifiers
                        else None,
                    )
                except ValidationError as exc:
                    self._domain_problems(exc, "case request", self.claim.path)

        return PasIntake(
            kind=self.kind,
            transaction_identifier=transaction,
            bundle_timestamp=parse_instant(self.bundle.get("timestamp")),
            claim_id=text(claim, "id"),
            claim_full_url=self.claim.full_url,
            claim_identifiers=claim_identifiers,
            claim_type=child(claim, "type"),
            created=parse_instant(claim.get("created")),
            external_reference=claim_identifiers[0].value if claim_identifiers else None,
            submitter_identifier=submitter,
            trace_assigner=trace_assigner,
            member_id=member_id,
            member_id_source=member_source,
            patient=patient,
            insurer=insurer,
            requester=requester,
            coverage=coverage_party,
            items=items,
            diagnoses=diagnoses,
            urgency=urgency,
            urgency_source=urgency_source,
            priority=priority,
            level_of_service=level,
            certification_type=certification_types[0] if certification_types else None,
            plan=plan,
            request=request,
            gaps=self.gaps,
            warnings=self.warnings,
        )


def parse_pas_request_bundle(
    data: object, plans: PayerPlanMappings | PlanMapping | None = None
) -> PasIntake:
    """Check a PAS `Claim/$submit` or `$inquire` request bundle and map it to a case request.

    `plans` supplies what PAS does not carry (regime, plan name, payer time zone): a single
    `PlanMapping` applies to every payer. Raises `PasValidationError` for a bundle that is not
    valid PAS; a valid bundle always gives a `PasIntake` (see the module docstring for `gaps`).
    """
    mappings = (
        PayerPlanMappings(default=plans)
        if isinstance(plans, PlanMapping)
        else plans or PayerPlanMappings()
    )
    normalized, issues = parse_r4_bundle(data)
    bundle = normalized
    if bundle is None and isinstance(data, dict) and data.get("resourceType") == "Bundle":
        bundle = data  # still report the PAS rules, on the raw JSON
    if bundle is None:
        raise PasValidationError(issues, "not a PAS request bundle")
    checked = _check_request_bundle(bundle)
    issues = [*checked.issues, *issues]
    if normalized is None or any(issue.is_error for issue in issues):
        raise PasValidationError(issues, "not a valid PAS request bundle")
    return _Builder(normalized, checked, mappings).build()


# --- the intermediary's synchronous answer -------------------------------------------------


def build_pas_submit_response(
    intake: PasIntake,
    case_id: str,
    status: Literal["queued", "pended"] = "queued",
    *,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The PAS Response Bundle priorauth returns to the EHR for an accepted `$submit`.

    Every requested item is echoed with its own `sequence` and review action A4 (pended), the
    ClaimResponse carries the Claim's identifiers plus `urn:priorauth:case|<case id>`, and the
    EHR learns the decision later through its PAS subscription. `queued`: accepted, not yet at
    the payer (`outcome = queued`); `pended`: the payer has pended it for review
    (`outcome = complete`, the processing is done, the decision is not).
    """
    moment = now or datetime.now(UTC)
    response_id = f"{case_id}-response"
    identifiers = [i.to_fhir() for i in intake.claim_identifiers]
    identifiers.append({"system": CASE_IDENTIFIER_SYSTEM, "value": case_id})
    request_ref: JSON = {}
    if intake.claim_identifiers:
        request_ref["identifier"] = intake.claim_identifiers[0].to_fhir()
    if intake.claim_id:
        request_ref["reference"] = f"Claim/{intake.claim_id}"
    note = (
        "Received by priorauth and queued for the payer; the decision follows by notification."
        if status == "queued"
        else "Pended for review by the payer; the decision follows by notification."
    )
    spec = ClaimResponseSpec(
        id=response_id,
        created=moment,
        patient={"reference": intake.patient.reference},
        insurer={"reference": intake.insurer.reference},
        requestor={"reference": intake.requester.reference},
        identifiers=identifiers,
        request=request_ref or None,
        outcome="queued" if status == "queued" else "complete",
        disposition=note,
        claim_type=intake.claim_type,
        items=[ItemResult(sequence=item.sequence, review_action="A4") for item in intake.items],
    )
    claim_response = build_claim_response(spec)
    url = f"urn:uuid:{_uuid_for(case_id, 'claim-response')}"
    others = [
        (party.full_url or party.reference, party.resource)
        for party in (intake.patient, intake.insurer, intake.requester)
        if party.resource
    ]
    return build_response_bundle(
        claim_response,
        claim_response_url=url,
        others=others,
        timestamp=moment,
        bundle_id=f"{case_id}-response-bundle",
        identifier={"system": CASE_IDENTIFIER_SYSTEM, "value": case_id},
    )


def _uuid_for(case_id: str, what: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"urn:priorauth:{case_id}:{what}"))


__all__ = [
    "CASE_IDENTIFIER_SYSTEM",
    "PasCode",
    "PasDiagnosis",
    "PasIdentifier",
    "PasIntake",
    "PasItem",
    "PasParty",
    "PayerPlanMappings",
    "PlanMapping",
    "build_pas_submit_response",
    "parse_pas_request_bundle",
]
