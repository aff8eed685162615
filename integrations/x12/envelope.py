"""Interchange, functional group and transaction set envelopes: ISA/GS/ST ... SE/GE/IEA.

Writing: `envelope` wraps transaction-set bodies with control numbers, counts and dates (the
ISA date is YYMMDD, the GS date CCYYMMDD, both in the zone of `now`). Reading: `read_interchange`
checks what a receiver checks first (trailers present, control numbers equal in header and
trailer, counts right) and returns the groups and transaction sets; TA1 segments inside an
interchange are returned as they are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from integrations.x12.errors import X12SyntaxError, X12ValidationError
from integrations.x12.tokenizer import DEFAULT_SEPARATORS, Segment, Separators, tokenize

ISA_VERSION = "00501"
GS_AGENCY = "X"


@dataclass(frozen=True)
class Party:
    """A trading partner: the interchange id (ISA06/08) with its qualifier and the application
    code used in GS02/GS03 (the interchange id when not given)."""

    id: str
    qualifier: str = "ZZ"
    application: str | None = None

    def check(self, role: str) -> None:
        if not 1 <= len(self.id) <= 15 or not self.id.strip():
            raise X12ValidationError(
                f"the {role} interchange id must be 1-15 characters, got '{self.id}'",
                segment="ISA",
                element="ISA06" if role == "sender" else "ISA08",
                field=role,
            )
        if len(self.qualifier) != 2:
            raise X12ValidationError(
                f"the {role} id qualifier must be 2 characters (ZZ, 01, 14, 20, 27, 28, 29, 30, "
                f"33), got '{self.qualifier}'",
                segment="ISA",
                element="ISA05" if role == "sender" else "ISA07",
                field=role,
            )
        application = self.application or self.id
        if not 2 <= len(application) <= 15:
            raise X12ValidationError(
                f"the {role} application code must be 2-15 characters, got '{application}'",
                segment="GS",
                element="GS02" if role == "sender" else "GS03",
                field=role,
            )


@dataclass(frozen=True)
class ControlNumbers:
    """ISA13 (1-999999999), GS06 (1-999999999) and ST02 (1-9999 as four digits, or more)."""

    interchange: int
    group: int
    transaction: int = 1

    def check(self) -> None:
        for name, value, element in (
            ("interchange", self.interchange, "ISA13"),
            ("group", self.group, "GS06"),
            ("transaction", self.transaction, "ST02"),
        ):
            if not 1 <= value <= 999_999_999:
                raise X12ValidationError(
                    f"the {name} control number must be 1-999999999, got {value}",
                    element=element,
                    segment=element[:-2],
                    field=f"controls.{name}",
                )

    @property
    def isa13(self) -> str:
        return f"{self.interchange:09d}"

    @property
    def st02(self) -> str:
        return f"{self.transaction:04d}"


def _join(elements: Sequence[str], element: str) -> str:
    items = list(elements)
    while len(items) > 1 and items[-1] == "":
        items.pop()
    return element.join(items)


def isa_segment(
    sender: Party,
    receiver: Party,
    controls: ControlNumbers,
    now: datetime,
    separators: Separators,
    *,
    usage: str = "P",
    acknowledgment_requested: bool = False,
) -> list[str]:
    return [
        "ISA",
        "00",
        " " * 10,
        "00",
        " " * 10,
        sender.qualifier,
        sender.id.ljust(15),
        receiver.qualifier,
        receiver.id.ljust(15),
        now.strftime("%y%m%d"),
        now.strftime("%H%M"),
        separators.repetition,
        ISA_VERSION,
        controls.isa13,
        "1" if acknowledgment_requested else "0",
        usage,
        separators.component,
    ]


def render(segments: Sequence[Sequence[str]], separators: Separators, line_breaks: bool) -> str:
    """Segments as text; the ISA keeps its trailing blanks (fixed length)."""
    end = separators.segment + ("\n" if line_breaks else "")
    out = []
    for segment in segments:
        if segment[0] == "ISA":
            out.append(separators.element.join(segment))
        else:
            out.append(_join(segment, separators.element))
    return end.join(out) + end


def envelope(
    bodies: Sequence[Sequence[Sequence[str]]],
    *,
    transaction_set: str,
    functional_id: str,
    version: str,
    sender: Party,
    receiver: Party,
    controls: ControlNumbers,
    now: datetime,
    separators: Separators = DEFAULT_SEPARATORS,
    usage: str = "P",
    line_breaks: bool = True,
) -> str:
    """One interchange with one functional group holding `bodies` (each the segments between
    ST and SE); transaction sets are numbered from `controls.transaction`."""
    if now.tzinfo is None:
        raise X12ValidationError("now must be an aware datetime", field="now")
    if usage not in ("P", "T"):
        raise X12ValidationError(
            f"usage must be P (production) or T (test), got '{usage}'",
            segment="ISA",
            element="ISA15",
            field="usage",
        )
    separators.check()
    sender.check("sender")
    receiver.check("receiver")
    controls.check()
    segments: list[Sequence[str]] = [
        isa_segment(sender, receiver, controls, now, separators, usage=usage),
        [
            "GS",
            functional_id,
            sender.application or sender.id,
            receiver.application or receiver.id,
            now.strftime("%Y%m%d"),
            now.strftime("%H%M"),
            str(controls.group),
            GS_AGENCY,
            version,
        ],
    ]
    for offset, body in enumerate(bodies):
        control = f"{controls.transaction + offset:04d}"
        segments.append(["ST", transaction_set, control, version])
        segments.extend(body)
        segments.append(["SE", str(len(body) + 2), control])
    segments.append(["GE", str(len(bodies)), str(controls.group)])
    segments.append(["IEA", "1", controls.isa13])
    return render(segments, separators, line_breaks)


@dataclass
class TransactionSet:
    header: Segment
    segments: list[Segment]  # ST through SE
    trailer: Segment

    @property
    def kind(self) -> str:
        return self.header.element(1)

    @property
    def control_number(self) -> str:
        return self.header.element(2)

    @property
    def body(self) -> list[Segment]:
        return self.segments[1:-1]


@dataclass
class FunctionalGroup:
    header: Segment
    trailer: Segment
    transactions: list[TransactionSet] = field(default_factory=list)

    @property
    def functional_id(self) -> str:
        return self.header.element(1)

    @property
    def control_number(self) -> str:
        return self.header.element(6)

    @property
    def version(self) -> str:
        return self.header.element(8)


@dataclass
class Interchange:
    header: Segment
    trailer: Segment
    separators: Separators
    groups: list[FunctionalGroup] = field(default_factory=list)
    ta1: list[Segment] = field(default_factory=list)

    @property
    def control_number(self) -> str:
        return self.header.element(13)

    @property
    def sender(self) -> Party:
        return Party(self.header.element(6).strip(), self.header.element(5))

    @property
    def receiver(self) -> Party:
        return Party(self.header.element(8).strip(), self.header.element(7))

    def transactions(self) -> list[TransactionSet]:
        return [t for g in self.groups for t in g.transactions]


def _expect_number(segment: Segment, number: int) -> int:
    value = segment.element(number).strip()
    if not value.isdigit():
        raise segment.error(f"must be a number, got '{value}'", number)
    return int(value)


def read_interchange(text: str) -> Interchange:
    """Tokenize and check the envelopes (see the module docstring)."""
    segments = tokenize(text)
    isa = segments[0]
    if len(isa.elements) != 17:
        raise isa.error(f"ISA has {len(isa.elements) - 1} elements; it has exactly 16")
    if not isa.element(13).isdigit() or len(isa.element(13)) != 9:
        raise isa.error(
            f"the interchange control number must be 9 digits, got '{isa.element(13)}'", 13
        )
    if segments[-1].id != "IEA":
        last = segments[-1]
        raise X12SyntaxError(
            f"the interchange ends with {last.id}, not with its IEA trailer (file cut short?)",
            segment="IEA",
            position=last.position + 1,
        )
    iea = segments[-1]
    if iea.element(2) != isa.element(13):
        raise iea.error(
            f"the control number '{iea.element(2)}' differs from ISA13 '{isa.element(13)}'", 2
        )
    interchange = Interchange(header=isa, trailer=iea, separators=isa.separators)
    group: FunctionalGroup | None = None
    transaction: list[Segment] | None = None
    for segment in segments[1:-1]:
        sid = segment.id
        if transaction is not None:
            transaction.append(segment)
            if sid == "SE":
                header = transaction[0]
                if segment.element(2) != header.element(2):
                    raise segment.error(
                        f"the control number '{segment.element(2)}' differs from ST02 "
                        f"'{header.element(2)}'",
                        2,
                    )
                count = _expect_number(segment, 1)
                if count != len(transaction):
                    raise segment.error(
                        f"says {count} segments, the transaction set has {len(transaction)} "
                        "(ST through SE)",
                        1,
                    )
                assert group is not None
                group.transactions.append(TransactionSet(header, transaction, segment))
                transaction = None
            elif sid in ("ST", "GS", "GE", "IEA", "ISA"):
                raise segment.error(
                    f"{sid} inside the transaction set that starts at segment "
                    f"{transaction[0].position}: its SE trailer is missing"
                )
            continue
        if sid == "GS":
            if group is not None:
                raise segment.error("a GS before the previous group's GE")
            group = FunctionalGroup(header=segment, trailer=segment)
        elif sid == "ST":
            if group is None:
                raise segment.error("ST outside a functional group (GS missing)")
            if not segment.element(2):
                raise segment.error("the transaction set control number is missing", 2)
            transaction = [segment]
        elif sid == "GE":
            if group is None:
                raise segment.error("GE without its GS")
            if segment.element(2) != group.control_number:
                raise segment.error(
                    f"the control number '{segment.element(2)}' differs from GS06 "
                    f"'{group.control_number}'",
                    2,
                )
            count = _expect_number(segment, 1)
            if count != len(group.transactions):
                raise segment.error(
                    f"says {count} transaction sets, the group has {len(group.transactions)}", 1
                )
            group.trailer = segment
            interchange.groups.append(group)
            group = None
        elif sid == "TA1":
            interchange.ta1.append(segment)
        else:
            raise segment.error(f"{sid} is outside any transaction set (ST ... SE)")
    if transaction is not None:
        raise X12SyntaxError(
            "the transaction set has no SE trailer",
            segment="SE",
            position=iea.position,
        )
    if group is not None:
        raise X12SyntaxError(
            "the functional group has no GE trailer", segment="GE", position=iea.position
        )
    groups = _expect_number(iea, 1)
    if groups != len(interchange.groups):
        raise iea.error(
            f"says {groups} functional groups, the interchange has {len(interchange.groups)}", 1
        )
    return interchange
