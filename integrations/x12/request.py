"""Build the X12 278 request (005010X217) from a case's `PriorAuthRequest`.

Loops written: 2000A/2010A the UMO (the payer, NM1*X3 with its payer id), 2000B/2010B the
requester (NM1*1P, NPI under XX, or the TIN under 24 for a provider without NPI; address and
phone when known), 2000C/2010C the subscriber (NM1*IL, member id under MI, DMG), 2000D/2010D the
dependent when the patient is not the subscriber (`subscriber=` given), 2000E the patient event
(TRN trace number, UM with request category HS, certification type, service type, place of
service and level of service U for expedited requests, DTP*AAH event dates, HI diagnoses ABK
then ABF, the servicing provider as 2010E NM1*SJ), and one 2000F per procedure line (TRN
`<trace>-<sequence>`, UM, DTP*472, SV1 professional or SV2 institutional when the patient is
hospitalized, HSD visits when a line asks for several units over a date range). A line whose code
is an X12 service type is the 2000E's UM03 (one per 278).

Everything is checked before the text is returned (structure.py); a case that cannot make a
valid 278 raises `X12ValidationError` naming the case field.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from domain.enums import Urgency
from domain.models import Address, CodeSystem, PriorAuthRequest, Provider, ServiceLine
from integrations.x12 import codes
from integrations.x12.envelope import ControlNumbers, Party, envelope
from integrations.x12.errors import X12Error, X12ValidationError
from integrations.x12.structure import check_elements, check_levels, walk_278
from integrations.x12.tokenizer import DEFAULT_SEPARATORS, Segment, Separators

VERSION = "005010X217"
DEFAULT_ORIGINATOR = "9PRIORAUTH"
MEDICAL_CARE = "1"  # service type code when the lines are procedure codes
HONORIFICS = frozenset({"DR", "DR.", "MR", "MR.", "MS", "MS.", "MRS", "MRS."})


@dataclass(frozen=True)
class Subscriber:
    """The subscriber when the patient (the case's member) is a dependent: the member id is the
    subscriber's, the patient is reported in 2010D with the relationship (INS02)."""

    member_id: str
    first_name: str
    last_name: str
    relationship: str = "19"  # the patient's relationship to the subscriber (19 child)
    birth_date: date | None = None


class _Writer:
    """Segments as lists of elements, each remembering which case field its elements came from."""

    def __init__(self, separators: Separators) -> None:
        self.separators = separators
        self.segments: list[list[str]] = []
        self.fields: list[dict[int, str]] = []

    def add(self, *elements: str, fields: dict[int, str] | None = None) -> None:
        self.segments.append(list(elements))
        self.fields.append(fields or {})


def _digits(value: str) -> str:
    return "".join(c for c in value if c.isdigit())


def _date(value: date) -> str:
    return value.strftime("%Y%m%d")


def _period(start: date, end: date | None) -> tuple[str, str]:
    if end is None or end == start:
        return "D8", _date(start)
    return "RD8", f"{_date(start)}-{_date(end)}"


def _person_name(name: str) -> tuple[str, str]:
    words = [w for w in name.split() if w.upper() not in HONORIFICS] or name.split()
    if len(words) == 1:
        return words[0], ""
    return words[-1], " ".join(words[:-1])


def _provider(writer: _Writer, entity: str, provider: Provider, path: str) -> None:
    if provider.npi is not None:
        qualifier, identifier, id_field = "XX", provider.npi, f"{path}.npi"
    elif provider.tin:
        qualifier, identifier, id_field = "24", _digits(provider.tin), f"{path}.tin"
    else:
        raise X12ValidationError(
            "a 278 identifies the provider by NPI (or, without one, by TIN); "
            f"{path}.other_identifier cannot be sent",
            segment="NM1",
            element="NM109",
            field=f"{path}.npi",
        )
    person = provider.npi is not None and provider.npi.startswith("1")
    if person:
        last, first = _person_name(provider.name)
        writer.add(
            "NM1",
            entity,
            "1",
            last,
            first,
            "",
            "",
            "",
            qualifier,
            identifier,
            fields={3: f"{path}.name", 4: f"{path}.name", 9: id_field},
        )
    else:
        writer.add(
            "NM1",
            entity,
            "2",
            provider.name,
            "",
            "",
            "",
            "",
            qualifier,
            identifier,
            fields={3: f"{path}.name", 9: id_field},
        )


def _address(writer: _Writer, address: Address | None, path: str) -> None:
    if address is None:
        return
    writer.add(
        "N3", address.line1, address.line2 or "", fields={1: f"{path}.line1", 2: f"{path}.line2"}
    )
    writer.add(
        "N4",
        address.city,
        address.state,
        address.postal_code.replace("-", ""),
        fields={1: f"{path}.city", 2: f"{path}.state", 3: f"{path}.postal_code"},
    )


def _procedure(line: ServiceLine, component: str) -> str:
    return component.join(["HC", line.code, *line.modifiers])


def _lines(request: PriorAuthRequest) -> tuple[ServiceLine | None, list[tuple[int, ServiceLine]]]:
    service_type: ServiceLine | None = None
    procedures = []
    for index, line in enumerate(request.service_lines):
        if line.code_system == CodeSystem.X12_SERVICE_TYPE:
            if service_type is not None:
                raise X12ValidationError(
                    f"a 278 carries one service type (2000E UM03); line {service_type.sequence} "
                    f"already has '{service_type.code}': request line {line.sequence} separately",
                    segment="UM",
                    element="UM03",
                    field=f"service_lines.{index}.code_system",
                )
            service_type = line
        else:
            procedures.append((index, line))
    return service_type, procedures


def build_278_request(
    request: PriorAuthRequest,
    *,
    sender: Party,
    receiver: Party,
    controls: ControlNumbers,
    trace: str,
    now: datetime,
    originator: str = DEFAULT_ORIGINATOR,
    subscriber: Subscriber | None = None,
    certification_type: str = "I",
    separators: Separators = DEFAULT_SEPARATORS,
    usage: str = "P",
    line_breaks: bool = True,
) -> str:
    """The 278 request interchange for `request` (see the module docstring).

    `trace` is the patient event trace number (TRN02, echoed in the response; 1-50 characters),
    `originator` the TRN03 company id (10 characters: 1 + EIN, or 9 + an assigned id), `now` the
    moment written into ISA/GS/BHT (in its own zone). Raises `X12ValidationError`.
    """
    if not 1 <= len(trace) <= 50 or any(
        c in trace for c in (separators.element, separators.segment, separators.component)
    ):
        raise X12ValidationError(
            f"the trace number must be 1-50 characters without separators, got '{trace}'",
            segment="TRN",
            element="TRN02",
            field="trace",
        )
    if len(originator) != 10 or originator[0] not in "19":
        raise X12ValidationError(
            f"the originator id must be 10 characters starting with 1 (EIN) or 9, got "
            f"'{originator}'",
            segment="TRN",
            element="TRN03",
            field="originator",
        )
    if certification_type not in codes.CERTIFICATION_TYPES:
        raise X12ValidationError(
            f"certification type '{certification_type}' is not one of "
            f"{', '.join(codes.CERTIFICATION_TYPES)}",
            segment="UM",
            element="UM02",
            field="certification_type",
        )
    if subscriber is not None and subscriber.relationship not in codes.DEPENDENT_RELATIONSHIPS:
        raise X12ValidationError(
            f"relationship '{subscriber.relationship}' is not one of "
            f"{', '.join(codes.DEPENDENT_RELATIONSHIPS)}",
            segment="INS",
            element="INS02",
            field="subscriber.relationship",
        )
    if now.tzinfo is None:
        raise X12ValidationError("now must be an aware datetime", field="now")
    service_type, procedures = _lines(request)
    writer = _Writer(separators)
    member = request.member
    payer = request.coverage.payer
    writer.add(
        "BHT",
        "0007",
        "13",
        trace,
        now.strftime("%Y%m%d"),
        now.strftime("%H%M"),
        fields={3: "trace"},
    )
    writer.add("HL", "1", "", "20", "1")
    writer.add(
        "NM1",
        "X3",
        "2",
        payer.name,
        "",
        "",
        "",
        "",
        "PI",
        payer.payer_id,
        fields={3: "coverage.payer.name", 9: "coverage.payer.payer_id"},
    )
    writer.add("HL", "2", "1", "21", "1")
    requester = request.requesting_provider
    _provider(writer, "1P", requester, "requesting_provider")
    _address(writer, requester.address, "requesting_provider.address")
    if requester.phone and _digits(requester.phone):
        writer.add(
            "PER", "IC", "", "TE", _digits(requester.phone), fields={4: "requesting_provider.phone"}
        )
    writer.add("HL", "3", "2", "22", "1")
    if subscriber is None:
        writer.add(
            "NM1",
            "IL",
            "1",
            member.last_name,
            member.first_name,
            "",
            "",
            "",
            "MI",
            member.member_id,
            fields={3: "member.last_name", 4: "member.first_name", 9: "member.member_id"},
        )
        _address(writer, member.address, "member.address")
        if member.birth_date is not None:
            writer.add("DMG", "D8", _date(member.birth_date), fields={2: "member.birth_date"})
        event_parent = "3"
    else:
        writer.add(
            "NM1",
            "IL",
            "1",
            subscriber.last_name,
            subscriber.first_name,
            "",
            "",
            "",
            "MI",
            subscriber.member_id,
            fields={
                3: "subscriber.last_name",
                4: "subscriber.first_name",
                9: "subscriber.member_id",
            },
        )
        if subscriber.birth_date is not None:
            writer.add(
                "DMG", "D8", _date(subscriber.birth_date), fields={2: "subscriber.birth_date"}
            )
        writer.add("HL", "4", "3", "23", "1")
        writer.add(
            "NM1",
            "QC",
            "1",
            member.last_name,
            member.first_name,
            fields={3: "member.last_name", 4: "member.first_name"},
        )
        _address(writer, member.address, "member.address")
        if member.birth_date is not None:
            writer.add("DMG", "D8", _date(member.birth_date), fields={2: "member.birth_date"})
        writer.add("INS", "N", subscriber.relationship, fields={2: "subscriber.relationship"})
        event_parent = "4"
    event_id = str(int(event_parent) + 1)
    writer.add("HL", event_id, event_parent, "EV", "1" if procedures else "0")
    writer.add("TRN", "1", trace, originator, fields={2: "trace", 3: "originator"})
    place = next(
        (line.place_of_service for line in request.service_lines if line.place_of_service), None
    )
    writer.add(
        "UM",
        "HS",
        certification_type,
        service_type.code if service_type is not None else MEDICAL_CARE,
        f"{place}{separators.component}B" if place else "",
        "",
        "U" if request.urgency == Urgency.EXPEDITED else "",
        fields={3: "service_lines.code", 4: "service_lines.place_of_service"},
    )
    starts = [line.start_date for line in request.service_lines if line.start_date]
    if starts:
        ends = [
            line.end_date or line.start_date for line in request.service_lines if line.start_date
        ]
        qualifier, value = _period(min(starts), max(e for e in ends if e is not None))
        writer.add("DTP", "AAH", qualifier, value, fields={3: "service_lines.start_date"})
    ordered = sorted(request.diagnoses, key=lambda d: not d.primary)
    diagnosis_fields = {}
    composites = []
    for position, diagnosis in enumerate(ordered, start=1):
        index = request.diagnoses.index(diagnosis)
        composites.append(
            f"{'ABK' if position == 1 else 'ABF'}{separators.component}"
            f"{diagnosis.code.replace('.', '')}"
        )
        diagnosis_fields[position] = f"diagnoses.{index}.code"
    writer.add("HI", *composites, fields=diagnosis_fields)
    if request.servicing_provider is not None:
        _provider(writer, "SJ", request.servicing_provider, "servicing_provider")
        _address(writer, request.servicing_provider.address, "servicing_provider.address")
    for offset, (index, line) in enumerate(procedures):
        path = f"service_lines.{index}"
        writer.add("HL", str(int(event_id) + 1 + offset), event_id, "SS", "0")
        writer.add("TRN", "1", f"{trace}-{line.sequence}", originator, fields={2: "trace"})
        writer.add("UM", "HS", certification_type)
        if line.start_date is not None:
            qualifier, value = _period(line.start_date, line.end_date)
            writer.add("DTP", "472", qualifier, value, fields={3: f"{path}.start_date"})
        if request.hospitalized:
            writer.add(
                "SV2",
                "",
                _procedure(line, separators.component),
                "",
                "UN",
                str(line.units),
                fields={2: f"{path}.code", 5: f"{path}.units"},
            )
        else:
            writer.add(
                "SV1",
                _procedure(line, separators.component),
                "",
                "UN",
                str(line.units),
                fields={1: f"{path}.code", 4: f"{path}.units"},
            )
        if line.units > 1 and line.start_date and line.end_date:
            writer.add("HSD", "VS", str(line.units), fields={2: f"{path}.units"})
    _check(writer, separators)
    return envelope(
        [writer.segments],
        transaction_set="278",
        functional_id="HI",
        version=VERSION,
        sender=sender,
        receiver=receiver,
        controls=controls,
        now=now,
        separators=separators,
        usage=usage,
        line_breaks=line_breaks,
    )


def _check(writer: _Writer, separators: Separators) -> None:
    """Validate the body as a receiver would; a problem names the case field it came from."""
    reserved = frozenset((separators.element, separators.segment, separators.repetition))
    with_component = reserved | {separators.component}
    body = []
    for offset, elements in enumerate(writer.segments):
        # Positions as in the finished interchange: ISA 1, GS 2, ST 3, BHT 4.
        segment = Segment(elements, offset + 4, separators)
        forbidden = reserved if elements[0] in _COMPOSITE_SEGMENTS else with_component
        for number, value in enumerate(elements[1:], start=1):
            if not forbidden.isdisjoint(value):
                shown = next(c for c in value if c in forbidden)
                raise X12ValidationError(
                    f"the value contains '{shown}', which this interchange uses as a separator",
                    segment=segment.id,
                    position=segment.position,
                    element=segment.name(number),
                    field=writer.fields[offset].get(number),
                )
        try:
            check_elements(segment)
        except X12Error as exc:
            bad = int(exc.element[len(segment.id) :].split("-")[0]) if exc.element else None
            field = writer.fields[offset].get(bad) if bad is not None else None
            raise X12ValidationError(
                exc.reason,
                segment=exc.segment,
                position=exc.position,
                element=exc.element,
                field=field,
            ) from None
        body.append(segment)
    try:
        levels = walk_278(body, "request")
        check_levels(levels, body, "request")
    except X12Error as exc:
        raise X12ValidationError(
            exc.reason, segment=exc.segment, position=exc.position, element=exc.element
        ) from None


_COMPOSITE_SEGMENTS = frozenset({"UM", "HI", "SV1", "SV2"})
