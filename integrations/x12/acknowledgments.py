"""The 999 implementation acknowledgment (005010X231A1) and the TA1 interchange acknowledgment.

Parsing gives an `Acknowledgment`: its status (A accepted, E accepted with errors, R rejected, P
partially accepted, ...), which group and transaction sets it answers, and every problem it
reports (IK3 segment errors with their IK4 element errors, IK5 and AK9 codes, the TA1 note), each
named by segment, position and element. `raise_for_rejection` turns a rejecting acknowledgment
into `X12AcknowledgmentError`.

Building: `build_999` acknowledges a received 278 interchange, checking each 278 in it (envelope,
loops, element rules) and reporting what it finds as IK3/IK4; `build_ta1` acknowledges an
interchange's envelope, with note 000 or the problem found in ISA/IEA.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from integrations.x12 import codes
from integrations.x12.envelope import (
    ControlNumbers,
    Party,
    TransactionSet,
    envelope,
    isa_segment,
    read_interchange,
    render,
)
from integrations.x12.errors import (
    AcknowledgedProblem,
    X12AcknowledgmentError,
    X12Error,
    X12SyntaxError,
)
from integrations.x12.structure import check_elements, check_levels, walk_278
from integrations.x12.tokenizer import DEFAULT_SEPARATORS, Separators, find_separators

ACK_VERSION = "005010X231A1"
REJECTING = frozenset({"R", "M", "W", "X"})


@dataclass
class TransactionAck:
    """One AK2 ... IK5 loop: a transaction set and what happened to it."""

    transaction_set: str
    control_number: str
    status: str
    problems: list[AcknowledgedProblem] = field(default_factory=list)


@dataclass
class Acknowledgment:
    """A parsed 999 or TA1."""

    kind: str  # "999" or "TA1"
    status: str
    status_text: str
    acknowledged_control_number: str  # AK102 (group) or TA101 (interchange)
    version: str | None = None
    transactions: list[TransactionAck] = field(default_factory=list)
    problems: list[AcknowledgedProblem] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def rejected(self) -> bool:
        return self.status in REJECTING or any(t.status in REJECTING for t in self.transactions)

    def all_problems(self) -> list[AcknowledgedProblem]:
        return [*(p for t in self.transactions for p in t.problems), *self.problems]

    def as_json(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "status": self.status,
            "status_text": self.status_text,
            "rejected": self.rejected,
            "acknowledged_control_number": self.acknowledged_control_number,
            "version": self.version,
            "counts": self.counts,
            "transactions": [
                {
                    "transaction_set": t.transaction_set,
                    "control_number": t.control_number,
                    "status": t.status,
                    "status_text": codes.describe(codes.ACK_STATUSES, t.status, "status"),
                    "problems": [_problem_json(p) for p in t.problems],
                }
                for t in self.transactions
            ],
            "problems": [_problem_json(p) for p in self.problems],
        }


AcknowledgmentError = X12AcknowledgmentError


def _problem_json(problem: AcknowledgedProblem) -> dict[str, object]:
    return {
        "segment": problem.segment,
        "position": problem.position,
        "loop": problem.loop,
        "element": problem.element,
        "code": problem.code,
        "description": problem.description,
        "bad_value": problem.bad_value,
        "context": problem.context,
        "sentence": problem.sentence(),
    }


def raise_for_rejection(ack: Acknowledgment) -> Acknowledgment:
    """`ack` itself when it accepts (also with errors noted); else `X12AcknowledgmentError`."""
    if ack.rejected:
        problems = ack.all_problems()
        raise X12AcknowledgmentError(ack.kind, f"{ack.status} {ack.status_text}", problems)
    return ack


# --- 999 -----------------------------------------------------------------------------------


def parse_999(text: str) -> Acknowledgment:
    """The (first) 999 in an interchange."""
    interchange = read_interchange(text)
    found = [t for t in interchange.transactions() if t.kind == "999"]
    if not found:
        raise X12SyntaxError(
            "the interchange holds no 999 transaction set",
            segment="ST",
            position=interchange.header.position,
            element="ST01",
        )
    return _read_999(found[0])


def _read_999(transaction: TransactionSet) -> Acknowledgment:
    body = transaction.body
    if not body or body[0].id != "AK1":
        where = body[0] if body else transaction.trailer
        raise where.error("a 999 starts with AK1 after ST")
    ak1 = body[0]
    if not ak1.element(2):
        raise ak1.error("required element AK102 (group control number) is missing", 2)
    ack = Acknowledgment(
        kind="999",
        status="",
        status_text="",
        acknowledged_control_number=ak1.element(2),
        version=ak1.element(3) or None,
    )
    current: TransactionAck | None = None
    segment_problem: AcknowledgedProblem | None = None
    segment_loop: str | None = None
    for segment in body[1:]:
        sid = segment.id
        if sid == "AK2":
            current = TransactionAck(segment.element(1), segment.element(2), "")
            segment_problem = None
        elif sid == "IK3":
            if current is None:
                raise segment.error("IK3 before any AK2")
            code = segment.element(4)
            position = segment.element(2)
            segment_loop = segment.element(3) or None
            segment_problem = AcknowledgedProblem(
                segment=segment.element(1) or None,
                position=int(position) if position.isdigit() else None,
                loop=segment_loop,
                element=None,
                code=code,
                description=codes.describe(codes.IK3_ERRORS, code, "segment error"),
            )
            current.problems.append(segment_problem)
        elif sid == "CTX":
            if segment_problem is not None:
                segment_problem.context.append(
                    segment.separators.component.join(segment.components(1))
                )
        elif sid == "IK4":
            if current is None or segment_problem is None:
                raise segment.error("IK4 without the IK3 segment it belongs to")
            location = segment.components(1)
            element_position = location[0] if location else ""
            component = f"-{location[1]}" if len(location) > 1 and location[1] else ""
            code = segment.element(3)
            name = (
                f"{segment_problem.segment}{int(element_position):02d}{component}"
                if segment_problem.segment and element_position.isdigit()
                else None
            )
            element_problem = AcknowledgedProblem(
                segment=segment_problem.segment,
                position=segment_problem.position,
                loop=segment_problem.loop,
                element=name,
                code=code,
                description=codes.describe(codes.IK4_ERRORS, code, "element error"),
                bad_value=segment.element(4) or None,
                context=list(segment_problem.context),
            )
            # The element error says more than its segment's "has data element errors" (8).
            if segment_problem in current.problems and segment_problem.code == "8":
                current.problems.remove(segment_problem)
            current.problems.append(element_problem)
        elif sid == "IK5":
            if current is None:
                raise segment.error("IK5 without its AK2")
            current.status = segment.element(1)
            if not current.status:
                raise segment.error("required element IK501 (acknowledgment code) is missing", 1)
            for number in range(2, 7):
                code = segment.element(number)
                if code:
                    current.problems.append(
                        AcknowledgedProblem(
                            segment="ST",
                            position=None,
                            loop=None,
                            element=None,
                            code=code,
                            description=codes.describe(codes.IK5_ERRORS, code, "transaction set"),
                        )
                    )
            ack.transactions.append(current)
            current = None
        elif sid == "AK9":
            ack.status = segment.element(1)
            if not ack.status:
                raise segment.error("required element AK901 (acknowledgment code) is missing", 1)
            ack.status_text = codes.describe(codes.ACK_STATUSES, ack.status, "status")
            for key, number in (("included", 2), ("received", 3), ("accepted", 4)):
                value = segment.element(number)
                if value.isdigit():
                    ack.counts[key] = int(value)
            for number in range(5, 10):
                code = segment.element(number)
                if code:
                    ack.problems.append(
                        AcknowledgedProblem(
                            segment="GS",
                            position=None,
                            loop=None,
                            element=None,
                            code=code,
                            description=codes.describe(codes.AK9_ERRORS, code, "group"),
                        )
                    )
        else:
            raise segment.error(f"{sid} is not a 999 segment (AK1, AK2, IK3, CTX, IK4, IK5, AK9)")
    if current is not None:
        raise transaction.trailer.error("the last AK2 loop has no IK5")
    if not ack.status:
        raise transaction.trailer.error("the 999 has no AK9 (group acknowledgment)")
    return ack


def _check_278(transaction: TransactionSet) -> X12Error | None:
    body = transaction.body
    direction = "response" if body and body[0].element(2) == "11" else "request"
    try:
        for segment in body:
            check_elements(segment)
        levels = walk_278(body, direction)
        check_levels(levels, body, direction)
    except X12Error as exc:
        return exc
    return None


def build_999(
    received: str,
    *,
    sender: Party,
    receiver: Party,
    controls: ControlNumbers,
    now: datetime,
    separators: Separators = DEFAULT_SEPARATORS,
    line_breaks: bool = True,
) -> str:
    """A 999 for the 278s in `received`: accepted, or rejected with IK3/IK4 naming the first
    problem found in each transaction set. Raises `X12SyntaxError` when the interchange's own
    envelope cannot be read (answer that with a TA1)."""
    interchange = read_interchange(received)
    if len(interchange.groups) != 1:
        raise X12SyntaxError(
            f"a 999 acknowledges one functional group; this interchange has "
            f"{len(interchange.groups)}",
            segment="GS",
        )
    group = interchange.groups[0]
    body: list[list[str]] = [["AK1", group.functional_id, group.control_number, group.version]]
    accepted = 0
    for transaction in group.transactions:
        body.append(["AK2", transaction.kind, transaction.control_number, group.version])
        problem = (
            _check_278(transaction)
            if transaction.kind == "278"
            else X12SyntaxError("transaction set not supported", segment="ST", element="ST01")
        )
        if problem is None:
            body.append(["IK5", "A"])
            accepted += 1
            continue
        if transaction.kind != "278":
            body.append(["IK5", "R", "1"])
            continue
        start = transaction.header.position
        position = str(problem.position - start + 1) if problem.position else ""
        body.append(["IK3", problem.segment or "", position, "", problem.ik3 or "8"])
        if problem.element and problem.segment and problem.ik4:
            number = problem.element[len(problem.segment) :].split("-")[0]
            body.append(["IK4", str(int(number)) if number.isdigit() else "", "", problem.ik4])
        body.append(["IK5", "R", "5"])
    total = len(group.transactions)
    status = "A" if accepted == total else ("R" if accepted == 0 else "P")
    body.append(["AK9", status, str(total), str(total), str(accepted)])
    return envelope(
        [body],
        transaction_set="999",
        functional_id="FA",
        version=ACK_VERSION,
        sender=sender,
        receiver=receiver,
        controls=controls,
        now=now,
        separators=separators,
        line_breaks=line_breaks,
    )


# --- TA1 -----------------------------------------------------------------------------------


def parse_ta1(text: str) -> Acknowledgment:
    """The (first) TA1 of an interchange."""
    interchange = read_interchange(text)
    if not interchange.ta1:
        raise X12SyntaxError(
            "the interchange holds no TA1 segment",
            segment="TA1",
            position=interchange.header.position,
        )
    ta1 = interchange.ta1[0]
    status, note = ta1.element(4), ta1.element(5)
    if status not in ("A", "E", "R"):
        raise ta1.error(f"TA104 '{status}' is not A, E or R", 4)
    if not ta1.element(1):
        raise ta1.error("required element TA101 (interchange control number) is missing", 1)
    problems = []
    if note and note != "000":
        problems.append(
            AcknowledgedProblem(
                segment="ISA"
                if codes.TA1_NOTE_ELEMENTS.get(note, "").startswith("ISA")
                else ("IEA" if note in ("001", "021") else None),
                position=None,
                loop=None,
                element=codes.TA1_NOTE_ELEMENTS.get(note),
                code=note,
                description=codes.describe(codes.TA1_NOTES, note, "interchange note"),
            )
        )
    return Acknowledgment(
        kind="TA1",
        status=status,
        status_text=codes.describe(codes.ACK_STATUSES, status, "status"),
        acknowledged_control_number=ta1.element(1),
        problems=problems,
    )


_NOTE_FOR_ELEMENT = {"IEA02": "001", "IEA01": "021", "ISA13": "018", "ISA16": "027"}


def build_ta1(
    received: str,
    *,
    sender: Party,
    receiver: Party,
    controls: ControlNumbers,
    now: datetime,
    separators: Separators = DEFAULT_SEPARATORS,
    line_breaks: bool = True,
) -> str:
    """A TA1 for `received`'s envelope: A/000 when it reads, else R with the note for the
    problem found (control numbers that differ, group count, a bad ISA13 or separators)."""
    text = received.lstrip("\ufeff \t\r\n")
    received_separators, end = find_separators(text)
    isa = text[: end - 1].split(received_separators.element)
    status, note = "A", "000"
    try:
        read_interchange(text)
    except X12Error as exc:
        status = "R"
        note = _NOTE_FOR_ELEMENT.get(exc.element or "", "024" if exc.segment != "ISA" else "022")
    separators.check()
    controls.check()
    segments: Sequence[Sequence[str]] = [
        isa_segment(sender, receiver, controls, now, separators),
        [
            "TA1",
            isa[13] if len(isa) > 13 else "",
            isa[9] if len(isa) > 9 else "",
            isa[10] if len(isa) > 10 else "",
            status,
            note,
        ],
        ["IEA", "0", controls.isa13],
    ]
    return render(segments, separators, line_breaks)
