"""`Claim.item`s of a checked PAS request bundle → `PasItem`s and the case's `ServiceLine`s.

Each item keeps the PAS `sequence` it was sent with and gets a unique `line_sequence` for the
case (a repeated sequence is renumbered, with a warning). What `Claim.item` leaves out (quantity,
service dates, description) is taken from the ServiceRequest / DeviceRequest /
MedicationRequest its `requestedService` extension points at. A CPT/HCPCS code is preferred; an
X12 service type code is kept as such with a warning; anything else, a non-whole quantity or a
service period with an end but no start is a gap. A missing or partial service date is a warning.
"""

from __future__ import annotations

import math
from datetime import date

from pydantic import ValidationError

from domain.codes import normalize_procedure_code
from domain.models import CodeSystem, ServiceLine
from integrations.pas.fhir import (
    CPT_SYSTEM,
    EXT_CERTIFICATION_TYPE,
    EXT_ITEM_TRACE_NUMBER,
    EXT_REQUESTED_SERVICE,
    EXT_SERVICE_ITEM_REQUEST_TYPE,
    HCPCS_SYSTEMS,
    JSON,
    X12_SERVICE_TYPE,
    Coding,
    Entry,
    child,
    children,
    codings,
    extension,
    first_coding,
    integer,
    is_x12,
    normalize_system,
    number,
    parse_date,
    reference_of,
    text,
    x12_coding,
)
from integrations.pas.intake_context import MappingContext, concept_label, partial_date
from integrations.pas.intake_models import PasCode, PasItem


def read_items(ctx: MappingContext) -> list[PasItem]:
    """Every `Claim.item` as sent, each with its unique case line number."""
    claim = ctx.claim.resource
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
            ctx.warn(
                "business-rule",
                f"Claim.item[{position}].sequence {sequence} repeats {repeats}; priorauth "
                f"numbers this item {line_sequence} internally and echoes sequence "
                f"{sequence}, so responses cannot tell the two items apart",
                f"{ctx.claim.path}.item[{position}].sequence",
            )
        used.add(line_sequence)
        concept = child(node, "productOrService")
        coding = _product_coding(concept)
        assert coding is not None  # checked by the PAS rules
        requested_ref = reference_of(
            child(extension(node, EXT_REQUESTED_SERVICE), "valueReference")
        )
        target = ctx.index.resolve(requested_ref, ctx.claim) if requested_ref else None
        r_quantity, r_start, r_end, r_description = _requested_details(target)
        start = parse_date(node.get("servicedDate"))
        end = None
        period = child(node, "servicedPeriod")
        if period is not None:
            start, end = parse_date(period.get("start")), parse_date(period.get("end"))
        if start is None and end is None:
            start, end = r_start, r_end
        if start is None and partial_date(
            node.get("servicedDate"),
            child(node, "servicedPeriod"),
            *_requested_dates(target),
        ):
            ctx.partial_dates.add(position)
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


def service_lines(ctx: MappingContext, items: list[PasItem]) -> list[ServiceLine]:
    """The case's service lines; an item with a gap (code, quantity, period) gets no line."""
    lines = []
    for item in items:
        where = f"Claim.item[{item.index}]"
        expression = f"{ctx.claim.path}.item[{item.index}]"
        ok = True
        code_system, code = _line_code(ctx, item, where, expression)
        if code is None:
            ok = False
        if item.start_date is None and item.end_date is not None:
            ok = False
            ctx.gap(
                "required",
                f"{where}: the service period has an end but no start date (servicedPeriod, "
                "or the requested resource's occurrencePeriod); a service line with an end "
                "date needs its start date",
                f"{expression}.servicedPeriod",
            )
        elif item.start_date is None:
            what = (
                "has only a partial service date (a year or month, not YYYY-MM-DD)"
                if item.index in ctx.partial_dates
                else "has no service date (servicedDate, servicedPeriod, or the occurrence "
                "of the requested ServiceRequest/DeviceRequest)"
            )
            ctx.warn(
                "required",
                f"{where} {what}; the line is kept without a service date",
                f"{expression}.serviced",
            )
        units = 1
        if item.quantity is not None:
            if item.quantity < 1 or not math.isclose(item.quantity, round(item.quantity)):
                ok = False
                ctx.gap(
                    "value",
                    f"{where}.quantity {item.quantity:g} is not a whole number of units "
                    "(at least 1)",
                    f"{expression}.quantity",
                )
            else:
                units = round(item.quantity)
        place = item.place_of_service
        if place is not None and not (len(place) == 2 and place.isdigit()):
            ctx.warn(
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
            ctx.domain_problems(exc, where, expression)
    return lines


def _line_code(
    ctx: MappingContext, item: PasItem, where: str, expression: str
) -> tuple[CodeSystem, str | None]:
    """The line's code system and normalized code; None (and a gap) when it has neither
    a CPT/HCPCS code nor an X12 service type code."""
    code = item.product_or_service
    label = f"'{code.code}'" + (f" ({code.display})" if code.display else "")
    expression = f"{expression}.productOrService"
    if is_x12(code.system, "1365"):
        service_type = code.code.strip().upper()
        if not (1 <= len(service_type) <= 2 and service_type.isalnum()):
            ctx.gap(
                "code-invalid",
                f"{where}.productOrService: {label} is not an X12 service type code "
                f"({X12_SERVICE_TYPE}: 1-2 letters or digits)",
                expression,
            )
            return CodeSystem.X12_SERVICE_TYPE, None
        ctx.warn(
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
        ctx.gap("code-invalid", f"{where}.productOrService: {exc}", expression)
        return CodeSystem.CPT_HCPCS, None


# -- diagnoses --------------------------------------------------------------------------


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
    description = concept_label(child(resource, "code")) or concept_label(
        child(resource, "codeCodeableConcept")
    )
    if target.resource_type == "MedicationRequest":
        dispense = child(resource, "dispenseRequest")
        quantity = number(child(dispense, "quantity"), "value")
        validity = child(dispense, "validityPeriod")
        if validity is not None:
            start, end = parse_date(validity.get("start")), parse_date(validity.get("end"))
        description = concept_label(child(resource, "medicationCodeableConcept"))
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
