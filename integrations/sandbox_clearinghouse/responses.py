"""What the sandbox clearinghouse writes back: 278 responses (A1, A3, A4; AAA) answering a
received 278 request at the patient event (2000E, which every line takes), and 999s.

Only what a sandbox needs: the parties are copied from the request, the trace is echoed as
TRN*2, and every response is read back by `integrations.x12` in the tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from integrations.x12 import ControlNumbers, Party
from integrations.x12.acknowledgments import ACK_VERSION
from integrations.x12.envelope import Interchange, envelope, read_interchange

X217 = "005010X217"


@dataclass(frozen=True)
class ReceivedRequest:
    """The parts of a received 278 request the answers need."""

    text: str
    interchange: Interchange
    trace: str
    originator: str
    member_id: str | None
    payer: list[str]
    requester: list[str]
    subscriber: list[str]
    um: list[str]
    service_dates: tuple[date, date] | None

    @property
    def sender(self) -> Party:
        return self.interchange.sender

    @property
    def receiver(self) -> Party:
        return self.interchange.receiver

    @property
    def group_control_number(self) -> str:
        return self.interchange.groups[0].control_number if self.interchange.groups else ""


def _day(value: str) -> date:
    return date(int(value[:4]), int(value[4:6]), int(value[6:8]))


def _dates(value: str) -> tuple[date, date] | None:
    """A D8 or RD8 value as (start, end); None when it is not one."""
    parts = value.split("-", 1)
    try:
        days = [_day(part) for part in parts if len(part) == 8 and part.isdigit()]
    except ValueError:
        return None
    if len(days) != len(parts):
        return None
    return days[0], days[-1]


def read_request(text: str) -> ReceivedRequest:
    """Raises `X12Error` when the envelope cannot be read (answer with a TA1 or 999)."""
    interchange = read_interchange(text)
    body = [s for t in interchange.transactions() if t.kind == "278" for s in t.body]
    found: dict[str, list[str]] = {}
    trace = originator = ""
    um: list[str] = ["UM", "HS", "I", "1"]
    dates: tuple[date, date] | None = None
    for segment in body:
        if segment.id == "NM1" and segment.element(1) in ("X3", "1P", "IL"):
            found.setdefault(segment.element(1), list(segment.elements))
        elif segment.id == "TRN" and not trace:
            trace, originator = segment.element(2), segment.element(3)
        elif segment.id == "UM" and "UM" not in found:
            found["UM"] = um = list(segment.elements[:4])
        elif segment.id == "DTP" and segment.element(1) in ("AAH", "472") and dates is None:
            dates = _dates(segment.element(3))
    subscriber = found.get("IL", ["NM1", "IL", "1", "UNKNOWN"])
    return ReceivedRequest(
        text=text,
        interchange=interchange,
        trace=trace,
        originator=originator or "9SANDBOXCH",
        member_id=subscriber[9] if len(subscriber) > 9 else None,
        payer=found.get("X3", ["NM1", "X3", "2", "SANDBOX PAYER", "", "", "", "", "PI", "SBX"]),
        requester=found.get("1P", ["NM1", "1P", "2", "REQUESTER"]),
        subscriber=subscriber,
        um=um,
        service_dates=dates,
    )


def _parties(request: ReceivedRequest) -> list[list[str]]:
    return [
        ["HL", "1", "", "20", "1"],
        request.payer,
        ["HL", "2", "1", "21", "1"],
        request.requester,
        ["HL", "3", "2", "22", "1"],
        request.subscriber,
    ]


def _wrap(
    request: ReceivedRequest,
    body: list[list[str]],
    kind: str,
    version: str,
    control: int,
    now: datetime,
) -> str:
    return envelope(
        [body],
        transaction_set=kind,
        functional_id="HI" if kind == "278" else "FA",
        version=version,
        sender=request.receiver,
        receiver=request.sender,
        controls=ControlNumbers(control, control),
        now=now,
    )


def response_278(
    request: ReceivedRequest,
    *,
    action: str,
    now: datetime,
    control: int,
    certification: str | None = None,
    reason_code: str | None = None,
    message: str | None = None,
    reference: str | None = None,
    authorized_days: int = 90,
) -> str:
    """A 278 response: HCR `action` at 2000E (A1 with the certification number and period,
    A3 with the reason, A4 with the payer's reference)."""
    event: list[list[str]] = [
        ["HL", "4", "3", "EV", "0"],
        ["TRN", "2", request.trace, request.originator],
        request.um[:4],
        ["HCR", action, certification or "", reason_code or ""],
    ]
    if reference:
        event.append(["REF", "NT", reference])
    if action == "A1":
        start = request.service_dates[0] if request.service_dates else now.date()
        end = start + timedelta(days=authorized_days - 1)
        event.append(["DTP", "007", "RD8", f"{start:%Y%m%d}-{end:%Y%m%d}"])
    if message:
        event.append(["MSG", message[:264]])
    body = [
        ["BHT", "0007", "11", request.trace, f"{now:%Y%m%d}", f"{now:%H%M}"],
        *_parties(request),
        *event,
    ]
    return _wrap(request, body, "278", X217, control, now)


def aaa_response(request: ReceivedRequest, *, reason_code: str, now: datetime, control: int) -> str:
    """A 278 response rejecting the request at the subscriber (2010C): AAA*N**<code>*C."""
    body = [
        ["BHT", "0007", "11", request.trace, f"{now:%Y%m%d}", f"{now:%H%M}"],
        *_parties(request),
        ["AAA", "N", "", reason_code, "C"],
    ]
    return _wrap(request, body, "278", X217, control, now)


def rejecting_999(request: ReceivedRequest, *, now: datetime, control: int) -> str:
    """A 999 rejecting the 278 at the subscriber's id (NM109 of 2010C: code 7, invalid code
    value), as a clearinghouse's edit would; the bad value is not echoed (PHI)."""
    transaction = request.interchange.transactions()[0]
    position = next(
        (
            str(s.position - transaction.header.position + 1)
            for s in transaction.body
            if s.id == "NM1" and s.element(1) == "IL"
        ),
        "",
    )
    body = [
        ["AK1", "HI", request.group_control_number, X217],
        ["AK2", "278", transaction.control_number, X217],
        ["IK3", "NM1", position, "2010C", "8"],
        ["IK4", "9", "67", "7"],
        ["IK5", "R", "5"],
        ["AK9", "R", "1", "1", "0"],
    ]
    return _wrap(request, body, "999", ACK_VERSION, control, now)
