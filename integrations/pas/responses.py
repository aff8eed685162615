"""PAS ClaimResponse bundles and subscription notifications → priorauth `PayerDecision`s.

Per item the decision is the X12 306 code in `item.adjudication.extension(reviewAction)` (both
`http://` and `https://codesystem.x12.org` spellings), mapped by `domain.enums`: a code outside
the 278 HCR01 subset (the test kit's `PENDEDCODE`, `A5`, ...) becomes `needs_human_review` with
its display kept, never a crash and never a guess. The rest of the mapping:

| PAS element                                    | priorauth                                   |
|------------------------------------------------|---------------------------------------------|
| reviewAction `number`                          | authorization number (approving outcomes)   |
| reviewAction `reasonCode` (X12 886)            | `reason_code`                               |
| `processNote` (via `item.noteNumber`)          | `reason_text`, verbatim                     |
| `itemPreAuthPeriod`                            | authorized start / end (approving outcomes) |
| `itemAuthorizedDetail.quantity`                | approved units                              |
| A6 + `addItem` (by `itemSequence`)             | `modification` text, units, window          |
| `preAuthRef` (else the first review number)    | `payer_reference`                           |
| `created`                                      | `decided_at`                                |

`decision_id` is a digest of the ClaimResponse's identity (identifiers, else id), its `created`
(else `meta.lastUpdated`) and the per-item outcomes, so a re-delivered response (the same
notification twice, or a `$submit` answer repeated by `$inquire`) is recognized as a duplicate
while a new answer for the same claim is not.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from domain.enums import DecisionSource, ItemOutcome, outcome_for_review_action
from domain.limits import REVIEW_ACTION_CODE
from domain.models import ItemDecision, PayerDecision, RequestForInformation
from integrations.pas.errors import IssueCode, PasIssue, PasValidationError
from integrations.pas.fhir import (
    EXT_ITEM_AUTHORIZED_DETAIL,
    EXT_ITEM_PREAUTH_PERIOD,
    EXT_REVIEW_ACTION,
    EXT_REVIEW_ACTION_CODE,
    JSON,
    PROFILE_CLAIM_INQUIRY_RESPONSE,
    PROFILE_INQUIRY_RESPONSE_BUNDLE,
    BundleIndex,
    Entry,
    child,
    children,
    codings,
    extension,
    extensions,
    first_coding,
    integer,
    is_x12,
    number,
    parse_date,
    parse_instant,
    parse_r4_bundle,
    profiles,
    reference_of,
    text,
)
from integrations.pas.identifiers import PasIdentifier

APPROVING = frozenset(
    {ItemOutcome.APPROVED, ItemOutcome.PARTIALLY_APPROVED, ItemOutcome.APPROVED_MODIFIED}
)


class PasResponse(BaseModel):
    """A parsed PAS response: the decision plus what identifies the request it answers."""

    decision: PayerDecision | None = None
    outcome: str | None = None
    inquiry: bool = False
    claim_response_id: str | None = None
    claim_response_url: str | None = None
    identifiers: list[PasIdentifier] = Field(default_factory=list)
    request_reference: str | None = None
    request_identifiers: list[PasIdentifier] = Field(default_factory=list)
    member_id: str | None = None
    patient_identifiers: list[PasIdentifier] = Field(default_factory=list)
    requestor_identifiers: list[PasIdentifier] = Field(default_factory=list)
    pre_auth_ref: str | None = None
    created: datetime | None = None
    errors: list[str] = Field(default_factory=list)
    rfi: RequestForInformation | None = None
    warnings: list[PasIssue] = Field(default_factory=list)

    @property
    def pended(self) -> bool:
        """True while no item has a final answer (every item pended / queued)."""
        if self.decision is None:
            return self.outcome == "queued"
        return all(item.outcome == ItemOutcome.PENDED for item in self.decision.items)

    def trace_numbers(self) -> set[str]:
        """Identifier values to find the case by (ClaimResponse and request identifiers).

        PAS payers echo the Claim's trace number but not always its system (the test kit
        writes `.../fhir/PATIENT_EVENT_TRACE_NUMBER` in the Claim and
        `.../PATIENT_EVENT_TRACE_NUMBER` in the response), so match on values.
        """
        return {i.value for i in [*self.identifiers, *self.request_identifiers]}


class PasNotification(BaseModel):
    """An R4 Subscriptions Backport notification about a PAS ClaimResponse."""

    notification_type: str | None = None
    subscription: str | None = None
    topic: str | None = None
    status: str | None = None
    events_since_start: int | None = None
    event_number: int | None = None
    event_timestamp: datetime | None = None
    focus: str | None = None
    response: PasResponse | None = None
    warnings: list[PasIssue] = Field(default_factory=list)

    @property
    def decision(self) -> PayerDecision | None:
        return self.response.decision if self.response is not None else None

    @property
    def member_id(self) -> str | None:
        return self.response.member_id if self.response is not None else None

    @property
    def request_identifiers(self) -> list[PasIdentifier]:
        if self.response is None:
            return []
        return [*self.response.request_identifiers, *self.response.identifiers]

    @property
    def request_reference(self) -> str | None:
        return self.response.request_reference if self.response is not None else None


# --- review actions ------------------------------------------------------------------------


def _review_action(node: JSON) -> JSON | None:
    """The reviewAction extension of an item: on its adjudication (PAS 2.x) or on the item."""
    for adjudication in children(node, "adjudication"):
        found = extension(adjudication, EXT_REVIEW_ACTION)
        if found is not None:
            return found
    return extension(node, EXT_REVIEW_ACTION)


def _review_code(action: JSON | None) -> tuple[str | None, str | None, str | None]:
    """(code, display, code system) of a reviewAction, X12 306 coding first."""
    if action is None:
        return None, None, None
    concept = child(extension(action, EXT_REVIEW_ACTION_CODE), "valueCodeableConcept")
    if concept is None:
        concept = child(extension(action, "code"), "valueCodeableConcept")
    found = codings(concept)
    for coding in found:
        if is_x12(coding.system, "306"):
            return coding.code.strip(), coding.display, coding.system
    if found:
        return found[0].code.strip(), found[0].display, found[0].system
    return None, text(concept, "text"), None


def _sub_string(action: JSON | None, name: str) -> str | None:
    node = extension(action, name)
    return text(node, "valueString") or text(child(node, "valueIdentifier"), "value")


def _digest(payload: object) -> str:
    raw = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(raw.encode()).hexdigest()


def _notes(claim_response: JSON) -> dict[int, str]:
    notes: dict[int, str] = {}
    for position, note in enumerate(children(claim_response, "processNote")):
        body = text(note, "text")
        if body is None:
            continue
        key = integer(note, "number")
        notes[key if key is not None else -(position + 1)] = body
    return notes


def _add_items_for(claim_response: JSON, sequence: int) -> list[JSON]:
    found = []
    for add_item in children(claim_response, "addItem"):
        sequences = add_item.get("itemSequence")
        if isinstance(sequences, list) and sequence in sequences:
            found.append(add_item)
    return found


def _describe_add_item(
    add_item: JSON, notes: dict[int, str]
) -> tuple[str, int | None, date | None, date | None]:
    coding = first_coding(child(add_item, "productOrService"))
    quantity = number(child(add_item, "quantity"), "value")
    start = parse_date(add_item.get("servicedDate"))
    end = None
    period = child(add_item, "servicedPeriod")
    if period is not None:
        start, end = parse_date(period.get("start")), parse_date(period.get("end"))
    parts = []
    if coding is not None:
        parts.append(coding.code + (f" ({coding.display})" if coding.display else ""))
    if quantity is not None:
        parts.append(f"{quantity:g} unit(s)")
    if start is not None:
        parts.append(f"from {start.isoformat()}" + (f" to {end.isoformat()}" if end else ""))
    for key in add_item.get("noteNumber") or []:
        if isinstance(key, int) and key in notes:
            parts.append(notes[key])
    units = int(quantity) if quantity is not None and quantity >= 0 else None
    return "Authorized instead: " + ", ".join(parts), units, start, end


class _ResponseParser:
    def __init__(self, bundle: JSON, index: BundleIndex, entry: Entry) -> None:
        self.bundle = bundle
        self.index = index
        self.entry = entry
        self.resource = entry.resource
        self.path = entry.path
        self.warnings: list[PasIssue] = []
        self.notes_for_decision: list[str] = []

    def warn(self, code: IssueCode, diagnostics: str, expression: str) -> None:
        self.warnings.append(
            PasIssue(severity="warning", code=code, diagnostics=diagnostics, expression=expression)
        )

    def item(
        self, position: int, node: JSON, notes: dict[int, str], line_sequence: int
    ) -> ItemDecision:
        where = f"{self.path}.item[{position}]"
        action = _review_action(node)
        code, display, _ = _review_code(action)
        if action is None or code is None:
            self.warn(
                "required",
                f"ClaimResponse.item[{position}] has no reviewAction code "
                "(item.adjudication.extension(reviewAction)); it needs human review",
                f"{where}.adjudication",
            )
        outcome = outcome_for_review_action(code)
        review_number = _sub_string(action, "number")
        reason = first_coding(child(extension(action, "reasonCode"), "valueCodeableConcept"))
        item_notes = [
            notes[key]
            for key in node.get("noteNumber") or []
            if isinstance(key, int) and key in notes
        ]
        if not item_notes and not any(
            isinstance(i.get("noteNumber"), list) and i.get("noteNumber")
            for i in children(self.resource, "item")
        ):
            # Notes that no item points at belong to the whole response.
            item_notes = list(notes.values())
        reason_text = "\n".join(item_notes) or None

        start = end = None
        period = child(extension(node, EXT_ITEM_PREAUTH_PERIOD), "valuePeriod")
        if period is not None:
            start, end = parse_date(period.get("start")), parse_date(period.get("end"))
        units: int | None = None
        for detail in extensions(node, EXT_ITEM_AUTHORIZED_DETAIL):
            quantity = number(child(extension(detail, "quantity"), "valueQuantity"), "value")
            if quantity is not None and quantity >= 0:
                units = int(quantity)
        modification = None
        if outcome == ItemOutcome.APPROVED_MODIFIED:
            added = _add_items_for(self.resource, integer(node, "itemSequence") or 0)
            if added:
                modification, added_units, added_start, added_end = _describe_add_item(
                    added[0], notes
                )
                units = units if units is not None else added_units
                start, end = start or added_start, end or added_end
            else:
                self.warn(
                    "required",
                    f"ClaimResponse.item[{position}] is A6 (modified) but no addItem names "
                    "its sequence: what was authorized is unknown",
                    f"{self.path}.addItem",
                )
        approving = outcome in APPROVING
        authorization = review_number or (text(self.resource, "preAuthRef") if approving else None)
        fields: dict[str, Any] = {
            "sequence": line_sequence,
            "review_action_code": code,
            "review_action_display": display,
            "reason_code": reason.code if reason else None,
            "reason_text": reason_text,
            "modification": modification,
        }
        if approving:
            fields.update(
                authorization_number=authorization,
                approved_units=units,
                authorized_start=start,
                authorized_end=end,
            )
        label = f"{code} ({display})" if display else str(code)
        if code is not None and outcome == ItemOutcome.NEEDS_HUMAN_REVIEW:
            self.notes_for_decision.append(
                f"Item {line_sequence}: review action {label} is not an X12 278 HCR01 action "
                "code priorauth knows; the item waits for human review."
            )
        if outcome == ItemOutcome.DENIED and not (reason_text or fields["reason_code"]):
            self.notes_for_decision.append(
                f"Item {line_sequence}: the payer returned {label} without a reason code or "
                "processNote; CMS-0057-F requires a specific reason for every denial, so the "
                "item waits for human review (ask the payer for the reason)."
            )
            fields["outcome"] = ItemOutcome.NEEDS_HUMAN_REVIEW
        try:
            return ItemDecision(**fields)
        except ValidationError as exc:
            self.warn(
                "value",
                f"ClaimResponse.item[{position}] could not be read as a decision "
                f"({'; '.join(e['msg'] for e in exc.errors())}); it needs human review",
                where,
            )
            fits = code is None or len(code) <= REVIEW_ACTION_CODE
            return ItemDecision(
                sequence=line_sequence,
                # A code longer than any X12 action code is kept as the display text only.
                review_action_code=code if fits else None,
                review_action_display=display if fits else label,
                outcome=ItemOutcome.NEEDS_HUMAN_REVIEW,
            )

    def rfi(self, created: datetime) -> RequestForInformation | None:
        requested: list[str] = []
        respond_by: datetime | None = None
        reference: str | None = None
        targets = []
        for node in children(self.resource, "communicationRequest"):
            ref = reference_of(node)
            target = self.index.resolve(ref, self.entry) if ref else None
            if target is not None:
                targets.append(target)
        if not targets:
            targets = [*self.index.of_type("CommunicationRequest"), *self.index.of_type("Task")]
        for target in targets:
            resource = target.resource
            reference = reference or target.label
            for payload in children(resource, "payload"):
                label = (
                    text(payload, "contentString")
                    or text(child(payload, "contentAttachment"), "title")
                    or text(child(payload, "contentReference"), "display")
                )
                concept = child(payload, "contentCodeableConcept")
                coding = first_coding(concept)
                label = label or text(concept, "text") or (coding.display if coding else None)
                if label:
                    requested.append(label)
            for task_input in children(resource, "input"):
                concept = child(task_input, "valueCodeableConcept") or child(task_input, "type")
                coding = first_coding(concept)
                label = text(task_input, "valueString") or text(concept, "text")
                label = label or (coding.display or coding.code if coding else None)
                if label:
                    requested.append(label)
            period = child(resource, "occurrencePeriod") or child(
                child(resource, "restriction"), "period"
            )
            due = parse_instant(period.get("end")) if period is not None else None
            due = due or parse_instant(resource.get("occurrenceDateTime"))
            respond_by = respond_by or due
        if not requested:
            return None
        try:
            return RequestForInformation(
                requested_at=created,
                items_requested=requested,
                respond_by=respond_by,
                reference=reference,
            )
        except ValidationError:
            return None


def _identity(claim_response: JSON, entry: Entry) -> list[str]:
    identifiers = sorted(
        f"{text(node, 'system') or ''}|{text(node, 'value')}"
        for node in children(claim_response, "identifier")
        if text(node, "value")
    )
    return identifiers or [text(claim_response, "id") or entry.full_url or ""]


def _check_response_bundle(bundle: JSON) -> tuple[list[PasIssue], Entry | None, BundleIndex]:
    issues: list[PasIssue] = []

    def add(code: IssueCode, diagnostics: str, expression: str, warning: bool = False) -> None:
        issues.append(
            PasIssue(
                severity="warning" if warning else "error",
                code=code,
                diagnostics=diagnostics,
                expression=expression,
            )
        )

    bundle_type = text(bundle, "type")
    if bundle_type != "collection":
        add(
            "invalid" if bundle_type else "required",
            f"Bundle.type is {bundle_type!r}; a PAS response bundle is a 'collection'",
            "Bundle.type",
        )
    if text(bundle, "timestamp") is None:
        add(
            "required",
            "Bundle.timestamp is missing (required by the PAS response bundle)",
            "Bundle.timestamp",
        )
    index = BundleIndex(bundle)
    first = index.entry_at(0)
    if first is None or first.resource_type != "ClaimResponse":
        found = first.resource_type if first is not None else None
        if found == "OperationOutcome" and first is not None:
            details = "; ".join(
                text(i, "diagnostics") or text(child(i, "details"), "text") or "?"
                for i in children(first.resource, "issue")
            )
            detail = f"the bundle carries an OperationOutcome instead: {details}"
        elif found == "Claim":
            detail = "this is a PAS request bundle, not a response"
        else:
            detail = "a PAS response bundle starts with its ClaimResponse"
        add(
            "structure",
            f"Bundle.entry[0] is {('a ' + found) if found else 'missing'}; {detail}",
            "Bundle.entry[0].resource",
        )
        return issues, None, index
    resource = first.resource
    path = first.path
    if text(resource, "created") is None:
        add(
            "required",
            "ClaimResponse.created is missing: it is required (1..1) and is when the payer decided",
            f"{path}.created",
        )
    if text(resource, "outcome") is None:
        add("required", "ClaimResponse.outcome is missing (required)", f"{path}.outcome")
    for element in ("patient", "insurer", "requestor"):
        ref = reference_of(child(resource, element))
        if ref is None:
            add(
                "required",
                f"ClaimResponse.{element} is missing (required by the PAS ClaimResponse)",
                f"{path}.{element}",
                warning=element == "requestor",
            )
        elif index.resolve(ref, first) is None:
            add(
                "not-found",
                f"ClaimResponse.{element}: reference '{ref}' does not resolve to any entry of "
                "the bundle (a PAS response bundle carries the resources it references)",
                f"{path}.{element}",
                warning=True,
            )
    items = children(resource, "item")
    if not items and text(resource, "outcome") != "error":
        add(
            "required",
            "ClaimResponse.item is missing: the response carries no decision on any item",
            f"{path}.item",
        )
    for position, item in enumerate(items):
        sequence = integer(item, "itemSequence")
        if sequence is None or not 1 <= sequence <= 999:
            add(
                "required" if sequence is None else "value",
                f"ClaimResponse.item[{position}].itemSequence is "
                f"{'missing' if sequence is None else sequence}: it must echo the requested "
                "item's sequence (1-999)",
                f"{path}.item[{position}].itemSequence",
            )
    return issues, first, index


def parse_claim_response_details(
    data: object,
    *,
    received_at: datetime | None = None,
    source: DecisionSource = DecisionSource.PAS,
    sequence_map: Mapping[int, Sequence[int]] | None = None,
) -> PasResponse:
    """Parse a PAS (inquiry) response bundle into a `PasResponse`.

    `sequence_map` (PAS item sequence → the case's line sequences, in order) resolves requests
    whose items repeated a sequence; without it the sequences are taken as they are. Raises
    `PasValidationError` when the bundle is not a usable PAS response; a response whose
    ClaimResponse has `outcome = error` and no items gives `decision = None` and `errors`.
    """
    normalized, issues = parse_r4_bundle(data)
    bundle = normalized
    if bundle is None and isinstance(data, dict) and data.get("resourceType") == "Bundle":
        bundle = data
    if bundle is None:
        raise PasValidationError(issues, "not a PAS response bundle")
    rule_issues, entry, index = _check_response_bundle(bundle)
    issues = [*rule_issues, *issues]
    if normalized is None or entry is None or any(i.is_error for i in issues):
        raise PasValidationError(issues, "not a valid PAS response bundle")
    claim_response = entry.resource
    created = parse_instant(claim_response.get("created"))
    assert created is not None  # checked above
    parser = _ResponseParser(normalized, index, entry)
    parser.warnings.extend(i for i in issues if not i.is_error)
    notes = _notes(claim_response)

    occurrences: dict[int, int] = {}
    decisions: dict[int, ItemDecision] = {}
    for position, node in enumerate(children(claim_response, "item")):
        sequence = integer(node, "itemSequence")
        assert sequence is not None
        seen = occurrences.get(sequence, 0)
        occurrences[sequence] = seen + 1
        line = sequence
        if sequence_map is not None and sequence in sequence_map:
            mapped = list(sequence_map[sequence])
            line = mapped[seen] if seen < len(mapped) else line
        if line in decisions:
            parser.warn(
                "business-rule",
                f"ClaimResponse.item[{position}].itemSequence {sequence} repeats an earlier "
                "item; only the first decision for it is applied",
                f"{entry.path}.item[{position}].itemSequence",
            )
            continue
        decisions[line] = parser.item(position, node, notes, line)

    errors = []
    for error in children(claim_response, "error"):
        coding = first_coding(child(error, "code"))
        if coding is not None:
            errors.append(coding.code + (f" ({coding.display})" if coding.display else ""))

    decision: PayerDecision | None = None
    items = list(decisions.values())
    pre_auth_ref = text(claim_response, "preAuthRef")
    if items:
        digest = _digest(
            {
                "identity": _identity(claim_response, entry),
                "at": text(claim_response, "created")
                or text(child(claim_response, "meta"), "lastUpdated"),
                "items": [
                    [i.sequence, i.review_action_code, i.authorization_number] for i in items
                ],
            }
        )
        numbers = [
            _sub_string(_review_action(n), "number") for n in children(claim_response, "item")
        ]
        note_parts = [text(claim_response, "disposition"), *parser.notes_for_decision]
        note = "\n".join(part for part in note_parts if part) or None
        decision = PayerDecision(
            decision_id=f"pas-{digest[:40]}",
            source=source,
            decided_at=created,
            received_at=received_at,
            payer_reference=pre_auth_ref or next((n for n in numbers if n), None),
            items=items,
            note=note[:10_000] if note else None,
        )

    patient = index.resolve(reference_of(child(claim_response, "patient")) or "", entry)
    patient_identifiers = [
        identifier
        for node in children(patient.resource if patient else None, "identifier")
        if (identifier := PasIdentifier.from_fhir(node)) is not None
    ]
    requestor = index.resolve(reference_of(child(claim_response, "requestor")) or "", entry)
    request = child(claim_response, "request")
    request_identifier = PasIdentifier.from_fhir(child(request, "identifier"))
    has_pended = any(i.outcome == ItemOutcome.PENDED for i in items)
    return PasResponse(
        decision=decision,
        outcome=text(claim_response, "outcome"),
        inquiry=PROFILE_CLAIM_INQUIRY_RESPONSE in profiles(claim_response)
        or PROFILE_INQUIRY_RESPONSE_BUNDLE in profiles(normalized),
        claim_response_id=text(claim_response, "id"),
        claim_response_url=entry.full_url,
        identifiers=[
            identifier
            for node in children(claim_response, "identifier")
            if (identifier := PasIdentifier.from_fhir(node)) is not None
        ],
        request_reference=reference_of(request),
        request_identifiers=[request_identifier] if request_identifier else [],
        member_id=_member_id(patient_identifiers, patient),
        patient_identifiers=patient_identifiers,
        requestor_identifiers=[
            identifier
            for node in children(requestor.resource if requestor else None, "identifier")
            if (identifier := PasIdentifier.from_fhir(node)) is not None
        ],
        pre_auth_ref=pre_auth_ref,
        created=created,
        errors=errors,
        rfi=parser.rfi(created) if has_pended else None,
        warnings=parser.warnings,
    )


def _member_id(identifiers: list[PasIdentifier], patient: Entry | None) -> str | None:
    if patient is not None:
        for node in children(patient.resource, "identifier"):
            if any(c.code == "MB" for c in codings(child(node, "type"))) and text(node, "value"):
                return text(node, "value")
    for identifier in identifiers:
        if (identifier.system or "").rstrip("/").upper().endswith("/MIN"):
            return identifier.value
    return identifiers[0].value if identifiers else None


def parse_claim_response_bundle(
    data: object,
    *,
    received_at: datetime | None = None,
    source: DecisionSource = DecisionSource.PAS,
    sequence_map: Mapping[int, Sequence[int]] | None = None,
) -> PayerDecision:
    """The `PayerDecision` in a PAS response bundle (see the module docstring for the mapping).

    Raises `PasValidationError` for a bundle that is not a usable PAS response, including a
    ClaimResponse that rejects the request (`outcome = error`, no items).
    """
    response = parse_claim_response_details(
        data, received_at=received_at, source=source, sequence_map=sequence_map
    )
    if response.decision is None:
        reasons = "; ".join(response.errors) or "no error code given"
        raise PasValidationError(
            [
                PasIssue(
                    code="business-rule",
                    diagnostics=(
                        f"ClaimResponse.outcome is '{response.outcome}' and no item was decided: "
                        f"the payer rejected the request ({reasons})"
                    ),
                    expression="Bundle.entry[0].resource.error",
                )
            ],
            "the PAS response carries no decision",
        )
    return response.decision


# --- subscription notifications ------------------------------------------------------------

_ENTRY_PATH = re.compile(r"^Bundle\.entry\[(\d+)\]")


def _parameters(resource: JSON) -> dict[str, Any]:
    """Backport R4 SubscriptionStatus (a Parameters resource) as a name → value map."""
    values: dict[str, Any] = {}
    events: list[dict[str, Any]] = []
    for parameter in children(resource, "parameter"):
        name = text(parameter, "name")
        if name is None:
            continue
        if name == "notification-event":
            event: dict[str, Any] = {}
            for part in children(parameter, "part"):
                part_name = text(part, "name")
                if part_name is not None:
                    event.setdefault(part_name, _value(part))
            events.append(event)
        else:
            values.setdefault(name, _value(parameter))
    values["notification-event"] = events
    return values


def _value(node: JSON) -> Any:
    for key, value in node.items():
        if key.startswith("value"):
            if isinstance(value, dict):
                return reference_of(value) or value
            return value
    return None


def _status_fields(resource: JSON) -> dict[str, Any]:
    """SubscriptionStatus fields from either the R4 Parameters or the R4B resource."""
    if text(resource, "resourceType") == "Parameters":
        params = _parameters(resource)
        events = params["notification-event"]
        return {
            "subscription": params.get("subscription"),
            "topic": params.get("topic"),
            "status": params.get("status"),
            "type": params.get("type"),
            "events": params.get("events-since-subscription-start"),
            "event_number": events[0].get("event-number") if events else None,
            "timestamp": events[0].get("timestamp") if events else None,
            "focus": events[0].get("focus") if events else None,
        }
    events = children(resource, "notificationEvent")
    first = events[0] if events else None
    return {
        "subscription": reference_of(child(resource, "subscription")),
        "topic": text(resource, "topic"),
        "status": text(resource, "status"),
        "type": text(resource, "type"),
        "events": resource.get("eventsSinceSubscriptionStart"),
        "event_number": first.get("eventNumber") if first else None,
        "timestamp": first.get("timestamp") if first else None,
        "focus": reference_of(child(first, "focus")),
    }


def _as_int(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _remap(issue: PasIssue, positions: list[int]) -> PasIssue:
    """Point an issue found in the rebuilt response bundle back at the notification's entry."""
    if issue.expression is None:
        return issue
    match = _ENTRY_PATH.match(issue.expression)
    if match is None or int(match.group(1)) >= len(positions):
        return issue
    expression = f"Bundle.entry[{positions[int(match.group(1))]}]" + issue.expression[match.end() :]
    return issue.model_copy(update={"expression": expression})


def parse_subscription_notification(
    data: object,
    *,
    received_at: datetime | None = None,
    sequence_map: Mapping[int, Sequence[int]] | None = None,
) -> PasNotification:
    """Parse a PAS rest-hook notification (R4 Subscriptions Backport `history` bundle).

    The SubscriptionStatus comes first; for `full-resource` content the PAS response follows,
    either as its entries (ClaimResponse as the event focus, the rest as additional context, as
    in the PAS test kit) or as one nested response Bundle. Handshakes and heartbeats, and
    `id-only` notifications whose focus is not in the bundle, give `response = None`.
    """
    normalized, issues = parse_r4_bundle(data)
    if normalized is None:
        raise PasValidationError(issues, "not a subscription notification bundle")
    bundle = normalized
    if text(bundle, "type") != "history":
        raise PasValidationError(
            [
                PasIssue(
                    code="invalid",
                    diagnostics=(
                        f"Bundle.type is {text(bundle, 'type')!r}; a subscription notification "
                        "is a 'history' bundle"
                    ),
                    expression="Bundle.type",
                )
            ],
            "not a subscription notification bundle",
        )
    index = BundleIndex(bundle)
    first = index.entry_at(0)
    if first is None or first.resource_type not in ("Parameters", "SubscriptionStatus"):
        found = first.resource_type if first is not None else "missing"
        raise PasValidationError(
            [
                PasIssue(
                    code="structure",
                    diagnostics=(
                        f"Bundle.entry[0] is {found}; a subscription notification starts with "
                        "its SubscriptionStatus (a Parameters resource in FHIR R4)"
                    ),
                    expression="Bundle.entry[0].resource",
                )
            ],
            "not a subscription notification bundle",
        )
    fields = _status_fields(first.resource)
    notification = PasNotification(
        notification_type=fields["type"] if isinstance(fields["type"], str) else None,
        subscription=fields["subscription"] if isinstance(fields["subscription"], str) else None,
        topic=fields["topic"] if isinstance(fields["topic"], str) else None,
        status=fields["status"] if isinstance(fields["status"], str) else None,
        events_since_start=_as_int(fields["events"]),
        event_number=_as_int(fields["event_number"]),
        event_timestamp=parse_instant(fields["timestamp"]),
        focus=fields["focus"] if isinstance(fields["focus"], str) else None,
    )
    if notification.notification_type in ("handshake", "heartbeat"):
        return notification

    target: Entry | None = index.resolve(notification.focus, first) if notification.focus else None
    if target is None:
        candidates = [e for e in index.entries if e.resource_type in ("ClaimResponse", "Bundle")]
        target = candidates[0] if candidates else None
    if target is None:
        if notification.focus:
            # id-only content: the focus lives on the payer's server; reconcile with $inquire.
            return notification.model_copy(
                update={
                    "warnings": [
                        PasIssue(
                            severity="information",
                            code="not-found",
                            diagnostics=(
                                f"the notification's focus '{notification.focus}' is not in the "
                                "bundle (id-only content); fetch it or use $inquire"
                            ),
                            expression="Bundle.entry[0].resource",
                        )
                    ]
                }
            )
        raise PasValidationError(
            [
                PasIssue(
                    code="required",
                    diagnostics=(
                        "the event notification carries no focus and no ClaimResponse: nothing "
                        "to apply"
                    ),
                    expression="Bundle.entry",
                )
            ],
            "the notification carries no PAS response",
        )

    moment = text(bundle, "timestamp") or (
        notification.event_timestamp.isoformat() if notification.event_timestamp else None
    )
    if target.resource_type == "Bundle":
        response_bundle: JSON = target.resource
        positions = []
    else:
        others = [e for e in index.entries if e is not target and e is not first]
        positions = [target.index, *(e.index for e in others)]
        response_bundle = {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [
                {"fullUrl": e.full_url, "resource": e.resource}
                if e.full_url
                else {"resource": e.resource}
                for e in [target, *others]
            ],
        }
        if moment is not None:
            response_bundle["timestamp"] = moment
    try:
        response = parse_claim_response_details(
            response_bundle,
            received_at=received_at,
            sequence_map=sequence_map,
        )
    except PasValidationError as exc:
        remapped = [_remap(issue, positions) for issue in exc.issues] if positions else exc.issues
        raise PasValidationError(remapped, "the notification's PAS response is not valid") from None
    if positions:
        response = response.model_copy(
            update={"warnings": [_remap(issue, positions) for issue in response.warnings]}
        )
    return notification.model_copy(update={"response": response})


__all__ = [
    "PasNotification",
    "PasResponse",
    "parse_claim_response_bundle",
    "parse_claim_response_details",
    "parse_subscription_notification",
]
