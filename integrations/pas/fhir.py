"""FHIR R4 plumbing shared by the PAS parsers and builders.

- Canonical URLs of the Da Vinci PAS profiles and extensions, and the X12 code systems, with the
  `http://` / `https://codesystem.x12.org` spellings normalized to one form.
- Structural parsing with the `fhir.resources.R4B` models (PAS is FHIR R4; the package's default
  R5 models reject PAS bundles). Structural parsing is not PAS validation: the PAS rules (Claim
  first, references resolvable inside the bundle, required elements) are checked by the callers.
- Small typed accessors over the plain JSON that structural parsing normalized, a reference
  index over a bundle's entries, and a walker that finds every `Reference.reference`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from fhir.resources.R4B.bundle import Bundle as R4BBundle
from pydantic import ValidationError

from integrations.pas.errors import IssueCode, PasIssue

JSON = dict[str, Any]

PAS_SD = "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/"
PROFILE_REQUEST_BUNDLE = PAS_SD + "profile-pas-request-bundle"
PROFILE_INQUIRY_REQUEST_BUNDLE = PAS_SD + "profile-pas-inquiry-request-bundle"
PROFILE_RESPONSE_BUNDLE = PAS_SD + "profile-pas-response-bundle"
PROFILE_INQUIRY_RESPONSE_BUNDLE = PAS_SD + "profile-pas-inquiry-response-bundle"
PROFILE_CLAIM = PAS_SD + "profile-claim"
PROFILE_CLAIM_UPDATE = PAS_SD + "profile-claim-update"
PROFILE_CLAIM_INQUIRY = PAS_SD + "profile-claim-inquiry"
PROFILE_CLAIM_RESPONSE = PAS_SD + "profile-claimresponse"
PROFILE_CLAIM_INQUIRY_RESPONSE = PAS_SD + "profile-claiminquiryresponse"
PROFILE_SUBSCRIBER = PAS_SD + "profile-subscriber"
PROFILE_BENEFICIARY = PAS_SD + "profile-beneficiary"
PROFILE_COVERAGE = PAS_SD + "profile-coverage"
PROFILE_INSURER = PAS_SD + "profile-insurer"
PROFILE_REQUESTOR = PAS_SD + "profile-requestor"
PROFILE_PRACTITIONER = PAS_SD + "profile-practitioner"

EXT_LEVEL_OF_SERVICE = PAS_SD + "extension-levelOfServiceCode"
EXT_CERTIFICATION_TYPE = PAS_SD + "extension-certificationType"
EXT_SERVICE_ITEM_REQUEST_TYPE = PAS_SD + "extension-serviceItemRequestType"
EXT_REQUESTED_SERVICE = PAS_SD + "extension-requestedService"
EXT_ITEM_TRACE_NUMBER = PAS_SD + "extension-itemTraceNumber"
EXT_REVIEW_ACTION = PAS_SD + "extension-reviewAction"
EXT_REVIEW_ACTION_CODE = PAS_SD + "extension-reviewActionCode"
EXT_ITEM_PREAUTH_PERIOD = PAS_SD + "extension-itemPreAuthPeriod"
EXT_ITEM_PREAUTH_ISSUE_DATE = PAS_SD + "extension-itemPreAuthIssueDate"
EXT_ITEM_AUTHORIZED_DETAIL = PAS_SD + "extension-itemAuthorizedDetail"
EXT_ITEM_REQUESTED_SERVICE_DATE = PAS_SD + "extension-itemRequestedServiceDate"

SUBSCRIPTION_STATUS_PROFILE = (
    "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/"
    "backport-subscription-status-r4"
)
SUBSCRIPTION_NOTIFICATION_PROFILE = (
    "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/"
    "backport-subscription-notification-r4"
)
PAS_SUBSCRIPTION_TOPIC = "http://hl7.org/fhir/us/davinci-pas/SubscriptionTopic/PASSubscriptionTopic"

X12_BASE = "https://codesystem.x12.org/005010/"
X12_REVIEW_ACTION = X12_BASE + "306"
X12_REVIEW_DECISION_REASON = X12_BASE + "886"
X12_LEVEL_OF_SERVICE = X12_BASE + "1338"
X12_CERTIFICATION_TYPE = X12_BASE + "1322"
X12_REQUEST_CATEGORY = X12_BASE + "1525"
X12_SERVICE_TYPE = X12_BASE + "1365"
X12_ENTITY_IDENTIFIER = X12_BASE + "98"

NPI_SYSTEM = "http://hl7.org/fhir/sid/us-npi"
ICD10CM_SYSTEM = "http://hl7.org/fhir/sid/icd-10-cm"
CPT_SYSTEM = "http://www.ama-assn.org/go/cpt"
HCPCS_SYSTEM = "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"
HCPCS_SYSTEMS = frozenset(
    {
        HCPCS_SYSTEM,
        "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets",
        "https://bluebutton.cms.gov/resources/codesystem/hcpcs",
        "urn:oid:2.16.840.1.113883.6.285",
    }
)
POS_SYSTEM = "https://www.cms.gov/Medicare/Coding/place-of-service-codes/Place_of_Service_Code_Set"
PROCESS_PRIORITY_SYSTEM = "http://terminology.hl7.org/CodeSystem/processpriority"
CLAIM_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/claim-type"
ADJUDICATION_SYSTEM = "http://terminology.hl7.org/CodeSystem/adjudication"
DIAGNOSIS_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/ex-diagnosistype"
V2_0203_SYSTEM = "http://terminology.hl7.org/CodeSystem/v2-0203"
COVERAGE_CLASS_SYSTEM = "http://terminology.hl7.org/CodeSystem/coverage-class"

# Resource types a reference may point to, per PAS element.
PROVIDER_TYPES = frozenset({"Practitioner", "PractitionerRole", "Organization"})
REQUESTED_SERVICE_TYPES = frozenset(
    {"ServiceRequest", "DeviceRequest", "MedicationRequest", "NutritionOrder"}
)


def normalize_system(system: str | None) -> str | None:
    """One spelling per code system: X12 systems as `https://codesystem.x12.org/...`."""
    if system is None:
        return None
    value = system.strip().rstrip("/")
    lowered = value.lower()
    for prefix in ("http://codesystem.x12.org/", "https://codesystem.x12.org/"):
        if lowered.startswith(prefix):
            return "https://codesystem.x12.org/" + value[len(prefix) :]
    return value


def is_x12(system: str | None, element: str) -> bool:
    """Whether `system` is the X12 code list `element` (any scheme, any X12 version path)."""
    normalized = normalize_system(system) or ""
    return (
        normalized.startswith("https://codesystem.x12.org/")
        and normalized.rsplit("/", 1)[-1] == element
    )


# --- typed accessors over plain JSON -------------------------------------------------------


def as_obj(value: object) -> JSON | None:
    return value if isinstance(value, dict) else None


def child(node: JSON | None, key: str) -> JSON | None:
    return as_obj(node.get(key)) if node is not None else None


def children(node: JSON | None, key: str) -> list[JSON]:
    if node is None:
        return []
    value = node.get(key)
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, dict)]


def text(node: JSON | None, key: str) -> str | None:
    if node is None:
        return None
    value = node.get(key)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def texts(node: JSON | None, key: str) -> list[str]:
    if node is None:
        return []
    value = node.get(key)
    if not isinstance(value, list):
        return []
    return [item.strip() for item in value if isinstance(item, str) and item.strip()]


def integer(node: JSON | None, key: str) -> int | None:
    if node is None:
        return None
    value = node.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return None


def number(node: JSON | None, key: str) -> float | None:
    if node is None:
        return None
    value = node.get(key)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return None


def boolean(node: JSON | None, key: str) -> bool | None:
    if node is None:
        return None
    value = node.get(key)
    return value if isinstance(value, bool) else None


def _url_is(url: str, name: str) -> bool:
    """Extension urls match in full, by their last path segment, or as a bare sub-extension."""
    if "/" not in name:
        return url == name or url.rsplit("/", 1)[-1] == name
    return url == name or url.rsplit("/", 1)[-1] == name.rsplit("/", 1)[-1]


def extensions(node: JSON | None, name: str) -> list[JSON]:
    """Extensions of `node` whose url is `name` (a full url or its last segment)."""
    found = []
    for ext in children(node, "extension"):
        url = text(ext, "url")
        if url is not None and _url_is(url, name):
            found.append(ext)
    return found


def extension(node: JSON | None, name: str) -> JSON | None:
    found = extensions(node, name)
    return found[0] if found else None


@dataclass(frozen=True)
class Coding:
    system: str | None
    code: str
    display: str | None

    @property
    def token(self) -> str:
        return f"{self.system}#{self.code}" if self.system else self.code


def codings(concept: JSON | None) -> list[Coding]:
    result = []
    for coding in children(concept, "coding"):
        code = text(coding, "code")
        if code is None:
            continue
        result.append(
            Coding(normalize_system(text(coding, "system")), code, text(coding, "display"))
        )
    return result


def first_coding(concept: JSON | None, *systems: str) -> Coding | None:
    """The first coding of `concept`, preferring one from `systems` (normalized) if given."""
    found = codings(concept)
    if systems:
        wanted = {normalize_system(system) for system in systems}
        for coding in found:
            if coding.system in wanted:
                return coding
    return found[0] if found else None


def x12_coding(concept: JSON | None, element: str) -> Coding | None:
    found = codings(concept)
    for coding in found:
        if is_x12(coding.system, element):
            return coding
    return found[0] if found else None


def parse_date(value: object) -> date | None:
    """The calendar date of a FHIR date/dateTime string (`2005-05-02`, `2005-05-02T11:01:00Z`)."""
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def parse_instant(value: object) -> datetime | None:
    """An aware datetime from a FHIR dateTime/instant; a bare date becomes midnight UTC."""
    if not isinstance(value, str) or not value.strip():
        return None
    raw = value.strip()
    if len(raw) == 10:
        day = parse_date(raw)
        return datetime(day.year, day.month, day.day, tzinfo=UTC) if day else None
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    # FHIR requires a zone whenever a time is given; a zoneless time is read as UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def fhir_instant(moment: datetime) -> str:
    """An aware datetime as FHIR instant text (UTC, second precision, `Z`)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: FHIR instants carry a time zone")
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def profiles(resource: JSON | None) -> list[str]:
    return texts(child(resource, "meta"), "profile")


# --- structural validation -----------------------------------------------------------------


def _fhirpath(loc: tuple[int | str, ...], root: str) -> str:
    path = root
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part in ("root", "__root__") or "[" in part or part.startswith("function-"):
            continue
        else:
            path += f".{part}"
    return path


def readable_path(expression: str, data: object) -> str:
    """`Bundle.entry[0].resource.created` → `ClaimResponse.created` when entry 0 is one."""
    prefix = "Bundle.entry["
    if not expression.startswith(prefix):
        return expression
    index_text, _, rest = expression[len(prefix) :].partition("]")
    if not index_text.isdigit() or not rest.startswith(".resource"):
        return expression
    root = as_obj(data)
    entries = root.get("entry") if root is not None else None
    if not isinstance(entries, list) or int(index_text) >= len(entries):
        return expression
    resource = child(as_obj(entries[int(index_text)]), "resource")
    resource_type = text(resource, "resourceType")
    if resource_type is None:
        return expression
    return resource_type + rest[len(".resource") :]


def _issue_from_pydantic(error: Any, data: object, root: str) -> PasIssue:
    loc = tuple(error.get("loc", ()))
    expression = _fhirpath(loc, root)
    where = readable_path(expression, data)
    kind = str(error.get("type", ""))
    message = str(error.get("msg", "invalid")).rstrip(".")
    code: IssueCode
    if kind.endswith("missing"):
        code = "required"
        reason = f"{where} is required but missing ({message})"
    elif kind == "extra_forbidden":
        code = "structure"
        reason = f"{where} is not an element of this FHIR R4 resource"
    else:
        code = "structure"
        reason = f"{where} is not valid FHIR R4: {message}"
    return PasIssue(code=code, diagnostics=reason, expression=expression)


def parse_r4_bundle(data: object) -> tuple[JSON | None, list[PasIssue]]:
    """Validate `data` against the FHIR R4 Bundle model.

    Returns the normalized JSON (what the R4B model serializes: numbers as numbers, no unknown
    elements) and no issues, or None and one issue per structural problem.
    """
    if not isinstance(data, dict):
        return None, [
            PasIssue(
                code="structure",
                diagnostics=f"expected a FHIR Bundle (a JSON object), got {type(data).__name__}",
                expression="Bundle",
            )
        ]
    if data.get("resourceType") != "Bundle":
        found = data.get("resourceType")
        return None, [
            PasIssue(
                code="structure",
                diagnostics=(
                    f"expected resourceType 'Bundle', got {found!r}"
                    if isinstance(found, str)
                    else "resourceType is missing: a PAS message is a FHIR Bundle"
                ),
                expression="Bundle.resourceType",
            )
        ]
    try:
        bundle = R4BBundle.model_validate(data)
        normalized = json.loads(bundle.model_dump_json())
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
        return None, [_issue_from_pydantic(error, data, "Bundle") for error in errors]
    # fhir.resources raises plain KeyError/TypeError/ValueError for some inputs (an unknown
    # resourceType, odd nesting); all of them mean "not a structurally valid R4 Bundle".
    except Exception as exc:
        detail = str(exc)[:200]
        return None, [
            PasIssue(
                code="structure",
                diagnostics=(
                    f"the bundle is not structurally valid FHIR R4 ({type(exc).__name__}: {detail})"
                ),
                expression="Bundle",
            )
        ]
    if not isinstance(normalized, dict):
        return None, [PasIssue(code="structure", diagnostics="not a Bundle", expression="Bundle")]
    return normalized, []


# --- entries and references ----------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One bundle entry (or a contained resource, then `contained_in` is its container)."""

    index: int
    full_url: str | None
    resource: JSON
    contained_in: Entry | None = None

    @property
    def resource_type(self) -> str | None:
        return text(self.resource, "resourceType")

    @property
    def id(self) -> str | None:
        return text(self.resource, "id")

    @property
    def path(self) -> str:
        if self.contained_in is not None:
            return f"{self.contained_in.path}.contained.where(id='{self.id}')"
        return f"Bundle.entry[{self.index}].resource"

    @property
    def label(self) -> str:
        if self.resource_type and self.id:
            return f"{self.resource_type}/{self.id}"
        return self.full_url or f"entry[{self.index}]"

    @property
    def reference(self) -> str:
        """How other resources in a bundle we build refer to this one."""
        return self.full_url or self.label


class BundleIndex:
    """Resolves references between the entries of one bundle (fullUrl, `Type/id`, `#id`)."""

    def __init__(self, bundle: JSON) -> None:
        self.entries: list[Entry] = []
        for index, raw in enumerate(bundle.get("entry") or []):
            entry = as_obj(raw)
            resource = child(entry, "resource")
            if entry is None or resource is None:
                continue
            self.entries.append(Entry(index, text(entry, "fullUrl"), resource))
        self._by_url = {e.full_url: e for e in self.entries if e.full_url}

    def of_type(self, resource_type: str) -> list[Entry]:
        return [e for e in self.entries if e.resource_type == resource_type]

    def entry_at(self, index: int) -> Entry | None:
        for entry in self.entries:
            if entry.index == index:
                return entry
        return None

    def resolve(self, reference: str, source: Entry | None = None) -> Entry | None:
        ref = reference.strip()
        if not ref:
            return None
        if ref.startswith("#"):
            if source is None:
                return None
            for contained in children(source.resource, "contained"):
                if text(contained, "id") == ref[1:]:
                    return Entry(source.index, None, contained, contained_in=source)
            return None
        if ref in self._by_url:
            return self._by_url[ref]
        if ref.startswith("urn:") or "://" in ref:
            return None
        parts = ref.split("/")
        if len(parts) not in (2, 4) or (len(parts) == 4 and parts[2] != "_history"):
            return None
        resource_type, resource_id = parts[0], parts[1]
        # Relative to the referring entry's RESTful base first (FHIR bundle resolution rules).
        base_url = source.full_url if source is not None else None
        if base_url and "://" in base_url and base_url.count("/") >= 4:
            base = base_url.rsplit("/", 2)[0]
            found = self._by_url.get(f"{base}/{resource_type}/{resource_id}")
            if found is not None:
                return found
        matches = [
            e for e in self.entries if e.resource_type == resource_type and e.id == resource_id
        ]
        return matches[0] if len(matches) == 1 else None


_MAX_DEPTH = 40


def iter_references(node: object, path: str, depth: int = 0) -> Iterator[tuple[str, str]]:
    """Every `Reference.reference` under `node` as (FHIRPath, reference text).

    Narrative (`text.div`) is skipped; contained resources are walked like any other element.
    """
    if depth > _MAX_DEPTH:
        return
    if isinstance(node, dict):
        reference = node.get("reference")
        if isinstance(reference, str):
            yield path, reference
        for key, value in node.items():
            if key == "text" and isinstance(value, dict) and "div" in value:
                continue
            if isinstance(value, list):
                for position, item in enumerate(value):
                    yield from iter_references(item, f"{path}.{key}[{position}]", depth + 1)
            elif isinstance(value, dict):
                yield from iter_references(value, f"{path}.{key}", depth + 1)


def reference_of(node: JSON | None) -> str | None:
    """The `reference` text of a Reference element, if any."""
    return text(node, "reference")
