"""The PAS rules a `Claim/$submit` or `$inquire` request bundle must meet before it is mapped.

`check_request_bundle` reports one `PasIssue` per problem, with the FHIRPath the client can
act on: a `collection` bundle with identifier and timestamp, unique fullUrls, the Claim first,
`use = preauthorization`, patient / insurer / provider / Coverage referenced with the right
resource types, items with a sequence and a productOrService code, diagnoses (items and
diagnoses only for `$submit`), and every reference resolvable inside the bundle (fullUrl,
`Type/id`, `urn:uuid:`). The entries it resolved are kept on the `CheckedBundle` for the
mapping to a case. Structural FHIR R4 validity is checked elsewhere (`fhir.parse_r4_bundle`).
"""

from __future__ import annotations

from typing import Literal

from integrations.pas.errors import IssueCode, PasIssue
from integrations.pas.fhir import (
    EXT_REQUESTED_SERVICE,
    JSON,
    PROFILE_CLAIM_INQUIRY,
    PROFILE_INQUIRY_REQUEST_BUNDLE,
    PROVIDER_TYPES,
    REQUESTED_SERVICE_TYPES,
    BundleIndex,
    Entry,
    child,
    children,
    codings,
    extension,
    integer,
    iter_references,
    profiles,
    reference_of,
    text,
)


class CheckedBundle:
    """What the PAS rule check found: its issues, and the entries the mapping reuses."""

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


def check_request_bundle(bundle: JSON) -> CheckedBundle:
    """Check the PAS rules on a request bundle (plain JSON); `issues` lists every violation."""
    checked = CheckedBundle()
    _check_header(checked, bundle)
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
    checked.index = BundleIndex(bundle)
    _check_entries(checked, raw_entries)
    claim = _claim_first(checked)
    if claim is not None:
        checked.claim = claim
        if PROFILE_CLAIM_INQUIRY in profiles(claim.resource) or (
            PROFILE_INQUIRY_REQUEST_BUNDLE in profiles(bundle)
        ):
            checked.kind = "inquiry"
        _check_claim(checked, claim)
        _check_items(checked, claim)
        _check_diagnoses(checked, claim)
    _check_references(checked)
    return checked


def _check_header(checked: CheckedBundle, bundle: JSON) -> None:
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


def _check_entries(checked: CheckedBundle, raw_entries: list[object]) -> None:
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


def _claim_first(checked: CheckedBundle) -> Entry | None:
    """The first entry when it is the Claim; else an issue saying where the Claim is, if any."""
    assert checked.index is not None
    first = checked.index.entry_at(0)
    if first is not None and first.resource_type == "Claim":
        return first
    claims = checked.index.of_type("Claim")
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
    checked.add("structure", f"{what}; {detail}", "Bundle.entry[0].resource")
    return None


def _check_claim(checked: CheckedBundle, claim: Entry) -> None:
    """`Claim.use` and the parties: patient, insurer, provider and the (focal) Coverage."""
    node = claim.resource
    path = claim.path
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


def _check_items(checked: CheckedBundle, claim: Entry) -> None:
    assert checked.index is not None
    path = claim.path
    items = children(claim.resource, "item")
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
            target = checked.index.resolve(target_ref, claim)
            if target is not None and target.resource_type not in REQUESTED_SERVICE_TYPES:
                checked.add(
                    "invalid",
                    f"Claim.item[{position}] requestedService references {target.label}; it "
                    "must be a ServiceRequest, DeviceRequest, MedicationRequest or NutritionOrder",
                    f"{where}.extension",
                )


def _check_diagnoses(checked: CheckedBundle, claim: Entry) -> None:
    path = claim.path
    diagnoses = children(claim.resource, "diagnosis")
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


def _required_reference(
    checked: CheckedBundle,
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


def _check_references(checked: CheckedBundle) -> None:
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


def _readable(path: str, checked: CheckedBundle) -> str:
    """`Bundle.entry[3].resource.x` as `Claim.x` (the resource type), for diagnostics."""
    assert checked.index is not None
    prefix = "Bundle.entry["
    if path.startswith(prefix):
        index_text, _, rest = path[len(prefix) :].partition("]")
        if index_text.isdigit():
            entry = checked.index.entry_at(int(index_text))
            if entry is not None and entry.resource_type and rest.startswith(".resource"):
                return entry.resource_type + rest[len(".resource") :]
    return path
