"""Build PAS ClaimResponse bundles and R4 Subscriptions Backport notifications.

Used by the intermediary side (`intake.build_pas_submit_response`: "queued, A4 pended") and by
the sandbox payer (approve / deny / partial / modified / pend). Everything is plain FHIR R4 JSON;
`responses.parse_claim_response_bundle` reads what this module writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from integrations.pas.fhir import (
    ADJUDICATION_SYSTEM,
    CLAIM_TYPE_SYSTEM,
    EXT_ITEM_AUTHORIZED_DETAIL,
    EXT_ITEM_PREAUTH_ISSUE_DATE,
    EXT_ITEM_PREAUTH_PERIOD,
    EXT_REVIEW_ACTION,
    EXT_REVIEW_ACTION_CODE,
    JSON,
    PAS_SUBSCRIPTION_TOPIC,
    PROFILE_CLAIM_INQUIRY_RESPONSE,
    PROFILE_CLAIM_RESPONSE,
    PROFILE_INQUIRY_RESPONSE_BUNDLE,
    PROFILE_RESPONSE_BUNDLE,
    SUBSCRIPTION_NOTIFICATION_PROFILE,
    SUBSCRIPTION_STATUS_PROFILE,
    X12_REVIEW_ACTION,
    X12_REVIEW_DECISION_REASON,
    fhir_instant,
)

REVIEW_ACTION_DISPLAY: dict[str, str] = {
    "A1": "Certified in total",
    "A2": "Certified - partial",
    "A3": "Not Certified",
    "A4": "Pended",
    "A6": "Modified",
    "C": "Cancelled",
    "CT": "Contact Payer",
    "NA": "No Action Required",
}

ClaimResponseOutcome = Literal["queued", "complete", "error", "partial"]


@dataclass(frozen=True)
class CodeSpec:
    code: str
    system: str | None = None
    display: str | None = None

    def concept(self) -> JSON:
        coding: JSON = {"code": self.code}
        if self.system:
            coding = {"system": self.system, **coding}
        if self.display:
            coding["display"] = self.display
        return {"coding": [coding]}


@dataclass(frozen=True)
class AddedItem:
    """What the payer authorized instead of the requested item (A6 → `ClaimResponse.addItem`)."""

    product_or_service: CodeSpec
    quantity: int | None = None
    start: date | None = None
    end: date | None = None
    number: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class ItemResult:
    """The review outcome of one requested item, as it goes into `ClaimResponse.item`."""

    sequence: int
    review_action: str
    display: str | None = None
    number: str | None = None
    reason_code: str | None = None
    reason_display: str | None = None
    note: str | None = None
    period_start: date | None = None
    period_end: date | None = None
    issue_date: date | None = None
    authorized_quantity: int | None = None
    authorized_code: CodeSpec | None = None
    added: AddedItem | None = None


def review_action_extension(
    code: str,
    *,
    display: str | None = None,
    number: str | None = None,
    reason_code: str | None = None,
    reason_display: str | None = None,
) -> JSON:
    """`extension-reviewAction` with its code, certification number and decision reason."""
    parts: list[JSON] = []
    if number:
        parts.append({"url": "number", "valueString": number})
    if reason_code:
        parts.append(
            {
                "url": "reasonCode",
                "valueCodeableConcept": CodeSpec(
                    reason_code, X12_REVIEW_DECISION_REASON, reason_display
                ).concept(),
            }
        )
    parts.append(
        {
            "url": EXT_REVIEW_ACTION_CODE,
            "valueCodeableConcept": CodeSpec(
                code, X12_REVIEW_ACTION, display or REVIEW_ACTION_DISPLAY.get(code)
            ).concept(),
        }
    )
    return {"url": EXT_REVIEW_ACTION, "extension": parts}


def _adjudication(review_action: JSON) -> list[JSON]:
    return [
        {
            "extension": [review_action],
            "category": {"coding": [{"system": ADJUDICATION_SYSTEM, "code": "submitted"}]},
        }
    ]


def _period(start: date | None, end: date | None) -> JSON:
    period: JSON = {}
    if start is not None:
        period["start"] = start.isoformat()
    if end is not None:
        period["end"] = end.isoformat()
    return period


@dataclass
class ClaimResponseSpec:
    """Everything a PAS ClaimResponse carries; `build_claim_response` renders it."""

    id: str
    created: datetime
    patient: JSON
    insurer: JSON
    requestor: JSON
    items: list[ItemResult]
    outcome: ClaimResponseOutcome = "complete"
    identifiers: list[JSON] = field(default_factory=list)
    request: JSON | None = None
    pre_auth_ref: str | None = None
    disposition: str | None = None
    claim_type: JSON | None = None
    inquiry: bool = False
    communication_requests: list[JSON] = field(default_factory=list)


def build_claim_response(spec: ClaimResponseSpec) -> JSON:
    notes: list[JSON] = []
    items: list[JSON] = []
    add_items: list[JSON] = []
    for result in spec.items:
        extensions: list[JSON] = []
        if result.issue_date is not None:
            extensions.append(
                {"url": EXT_ITEM_PREAUTH_ISSUE_DATE, "valueDate": result.issue_date.isoformat()}
            )
        if result.period_start is not None or result.period_end is not None:
            extensions.append(
                {
                    "url": EXT_ITEM_PREAUTH_PERIOD,
                    "valuePeriod": _period(result.period_start, result.period_end),
                }
            )
        if result.authorized_quantity is not None or result.authorized_code is not None:
            detail: list[JSON] = []
            if result.authorized_code is not None:
                detail.append(
                    {
                        "url": "productOrServiceCode",
                        "valueCodeableConcept": result.authorized_code.concept(),
                    }
                )
            if result.authorized_quantity is not None:
                detail.append(
                    {"url": "quantity", "valueQuantity": {"value": result.authorized_quantity}}
                )
            extensions.append({"url": EXT_ITEM_AUTHORIZED_DETAIL, "extension": detail})
        item: JSON = {}
        if extensions:
            item["extension"] = extensions
        item["itemSequence"] = result.sequence
        if result.note:
            notes.append({"number": len(notes) + 1, "type": "print", "text": result.note})
            item["noteNumber"] = [len(notes)]
        item["adjudication"] = _adjudication(
            review_action_extension(
                result.review_action,
                display=result.display,
                number=result.number,
                reason_code=result.reason_code,
                reason_display=result.reason_display,
            )
        )
        items.append(item)
        if result.added is not None:
            added = result.added
            add_item: JSON = {
                "itemSequence": [result.sequence],
                "productOrService": added.product_or_service.concept(),
            }
            if added.start is not None and added.end is None:
                add_item["servicedDate"] = added.start.isoformat()
            elif added.start is not None or added.end is not None:
                add_item["servicedPeriod"] = _period(added.start, added.end)
            if added.quantity is not None:
                add_item["quantity"] = {"value": added.quantity}
            if added.note:
                notes.append({"number": len(notes) + 1, "type": "print", "text": added.note})
                add_item["noteNumber"] = [len(notes)]
            add_item["adjudication"] = _adjudication(
                review_action_extension("A1", number=added.number)
            )
            add_items.append(add_item)

    resource: JSON = {
        "resourceType": "ClaimResponse",
        "id": spec.id,
        "meta": {
            "profile": [PROFILE_CLAIM_INQUIRY_RESPONSE if spec.inquiry else PROFILE_CLAIM_RESPONSE]
        },
    }
    if spec.identifiers:
        resource["identifier"] = spec.identifiers
    resource.update(
        {
            "status": "active",
            "type": spec.claim_type
            or {"coding": [{"system": CLAIM_TYPE_SYSTEM, "code": "professional"}]},
            "use": "preauthorization",
            "patient": spec.patient,
            "created": fhir_instant(spec.created),
            "insurer": spec.insurer,
            "requestor": spec.requestor,
        }
    )
    if spec.request is not None:
        resource["request"] = spec.request
    resource["outcome"] = spec.outcome
    if spec.disposition:
        resource["disposition"] = spec.disposition
    if spec.pre_auth_ref:
        resource["preAuthRef"] = spec.pre_auth_ref
    if items:
        resource["item"] = items
    if add_items:
        resource["addItem"] = add_items
    if notes:
        resource["processNote"] = notes
    if spec.communication_requests:
        resource["communicationRequest"] = spec.communication_requests
    return resource


def build_response_bundle(
    claim_response: JSON,
    *,
    claim_response_url: str,
    others: list[tuple[str, JSON]],
    timestamp: datetime,
    bundle_id: str,
    identifier: JSON | None = None,
    inquiry: bool = False,
) -> JSON:
    """A PAS (inquiry) response bundle: the ClaimResponse first, then what it references."""
    bundle: JSON = {
        "resourceType": "Bundle",
        "id": bundle_id,
        "meta": {
            "profile": [PROFILE_INQUIRY_RESPONSE_BUNDLE if inquiry else PROFILE_RESPONSE_BUNDLE]
        },
    }
    if identifier is not None:
        bundle["identifier"] = identifier
    bundle["type"] = "collection"
    bundle["timestamp"] = fhir_instant(timestamp)
    entries = [{"fullUrl": claim_response_url, "resource": claim_response}]
    seen = {claim_response_url}
    for url, resource in others:
        if url in seen:
            continue
        seen.add(url)
        entries.append({"fullUrl": url, "resource": resource})
    bundle["entry"] = entries
    return bundle


def build_notification_bundle(
    response_bundle: JSON,
    *,
    subscription_url: str,
    event_number: int,
    timestamp: datetime,
    notification_id: str,
    topic: str = PAS_SUBSCRIPTION_TOPIC,
) -> JSON:
    """A `full-resource` rest-hook notification (R4 Backport history bundle).

    As in the PAS test kit's example: the SubscriptionStatus (Parameters) first, then the
    response bundle's entries, the ClaimResponse as the event's focus and the rest as
    additional context.
    """
    entries = [e for e in response_bundle.get("entry", []) if isinstance(e, dict)]
    focus = entries[0]["fullUrl"] if entries else None
    event: list[JSON] = [
        {"name": "event-number", "valueString": str(event_number)},
        {"name": "timestamp", "valueInstant": fhir_instant(timestamp)},
    ]
    if focus:
        event.append({"name": "focus", "valueReference": {"reference": focus}})
    for entry in entries[1:]:
        event.append(
            {"name": "additional-context", "valueReference": {"reference": entry["fullUrl"]}}
        )
    status: JSON = {
        "resourceType": "Parameters",
        "id": notification_id,
        "meta": {"profile": [SUBSCRIPTION_STATUS_PROFILE]},
        "parameter": [
            {"name": "subscription", "valueReference": {"reference": subscription_url}},
            {"name": "topic", "valueCanonical": topic},
            {"name": "status", "valueCode": "active"},
            {"name": "type", "valueCode": "event-notification"},
            {"name": "events-since-subscription-start", "valueString": str(event_number)},
            {"name": "notification-event", "part": event},
        ],
    }
    history: list[Any] = [
        {
            "fullUrl": f"urn:uuid:{notification_id}",
            "resource": status,
            "request": {"method": "GET", "url": f"{subscription_url}/$status"},
            "response": {"status": "200"},
        }
    ]
    for entry in entries:
        resource = entry["resource"]
        resource_type = resource.get("resourceType", "Resource")
        resource_id = resource.get("id")
        history.append(
            {
                "fullUrl": entry["fullUrl"],
                "resource": resource,
                "request": {
                    "method": "PUT" if resource_id else "POST",
                    "url": f"{resource_type}/{resource_id}" if resource_id else resource_type,
                },
                "response": {"status": "200" if resource_id else "201"},
            }
        )
    return {
        "resourceType": "Bundle",
        "id": f"notification-{notification_id}",
        "meta": {"profile": [SUBSCRIPTION_NOTIFICATION_PROFILE]},
        "type": "history",
        "timestamp": fhir_instant(timestamp),
        "entry": history,
    }
