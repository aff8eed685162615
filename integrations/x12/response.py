"""Parse an X12 278 response (005010X217) into the `PayerDecision` the PAS path produces.

| 278 response                                  | priorauth                                      |
|-----------------------------------------------|------------------------------------------------|
| HCR01 (2000F per line, else 2000E)            | `review_action_code` → outcome (domain.enums)  |
| HCR02 certification number                    | `authorization_number` (approving outcomes)    |
| HCR03 decision reason code + MSG text         | `reason_code`, `reason_text`                   |
| DTP*007 / DTP*036 (else DTP*472)              | authorized start / end (approving outcomes)    |
| SV1 SV104 / SV2 SV205 / HSD02 quantity        | approved units (approving outcomes)            |
| A2 / A6 with the certified service            | `modification` (what was authorized instead)   |
| 2000E HCR02, else REF*NT, else a line's HCR02 | `payer_reference`                              |
| DTP*102 certification issue date (2000E)      | `notice_date`                                  |
| BHT04/BHT05 in the payer's zone               | `decided_at`                                   |
| AAA at any loop                               | `X12RejectedError` (loop, reason, follow-up)   |
| TRN*2 (our trace echoed), BHT03               | matched against `trace` (X12TraceMismatchError)|

Service levels (2000F) are matched to the case's lines by their TRN (`<trace>-<sequence>`, as
`build_278_request` writes it), else by procedure code, else in order; a line without its own
2000F takes the patient-event (2000E) answer. Without the request the 2000F levels are numbered
by their TRN suffix or their order, and a 2000E-only answer is item 1.

`decision_id` digests the sender, BHT03, the trace numbers, BHT04/05 and the per-item answers, so
the same response delivered twice is one decision, while a final answer after a pend is another.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from domain.enums import DecisionSource, ItemOutcome, outcome_for_review_action
from domain.models import CodeSystem, ItemDecision, PayerDecision, PriorAuthRequest
from integrations.x12 import codes
from integrations.x12.envelope import Interchange, TransactionSet, read_interchange
from integrations.x12.errors import (
    Rejection,
    X12RejectedError,
    X12SyntaxError,
    X12TraceMismatchError,
)
from integrations.x12.structure import Level, check_elements, check_levels, walk_278
from integrations.x12.tokenizer import Segment

APPROVING = frozenset(
    {ItemOutcome.APPROVED, ItemOutcome.PARTIALLY_APPROVED, ItemOutcome.APPROVED_MODIFIED}
)
MODIFYING = frozenset({ItemOutcome.PARTIALLY_APPROVED, ItemOutcome.APPROVED_MODIFIED})


class X12Response(BaseModel):
    """A parsed 278 response: the decision plus what identifies the request it answers."""

    decision: PayerDecision
    trace_numbers: list[str] = Field(default_factory=list)
    payer_trace_numbers: list[str] = Field(default_factory=list)
    administrative_references: list[str] = Field(default_factory=list)
    interchange_control_number: str
    transaction_control_number: str
    warnings: list[str] = Field(default_factory=list)

    @property
    def pended(self) -> bool:
        """True while no item has a final answer (every item pended)."""
        return all(item.outcome == ItemOutcome.PENDED for item in self.decision.items)


@dataclass
class _Answer:
    """What one level (2000E or 2000F) says."""

    hl: Segment
    hcr: Segment | None = None
    traces: list[str] = field(default_factory=list)
    refs: list[tuple[str, str]] = field(default_factory=list)
    dates: dict[str, tuple[str, str, Segment]] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)
    procedure: str | None = None
    quantity: int | None = None


def _answer(level: Level) -> _Answer:
    answer = _Answer(hl=level.segments[0].segment)
    for placed in level.segments:
        if placed.loop.startswith("2010"):
            continue  # providers named by the payer; not part of the decision
        segment = placed.segment
        sid = segment.id
        if sid == "HCR":
            if not segment.element(1):
                raise segment.error("required element HCR01 (action code) is missing", 1)
            answer.hcr = segment
        elif sid == "TRN":
            if segment.element(1) == "2" and segment.element(2):
                answer.traces.append(segment.element(2))
        elif sid == "REF" and segment.element(2):
            answer.refs.append((segment.element(1), segment.element(2)))
        elif sid == "DTP":
            answer.dates[segment.element(1)] = (segment.element(2), segment.element(3), segment)
        elif sid == "MSG" and segment.element(1):
            answer.messages.append(segment.element(1))
        elif sid in ("SV1", "SV2"):
            composite = segment.components(1 if sid == "SV1" else 2)
            answer.procedure = composite[1] if len(composite) > 1 else None
            answer.quantity = _quantity(segment, 4 if sid == "SV1" else 5)
        elif sid == "HSD" and answer.quantity is None:
            answer.quantity = _quantity(segment, 2)
    return answer


def _quantity(segment: Segment, number: int) -> int | None:
    value = segment.element(number)
    if not value:
        return None
    try:
        quantity = float(value)
    except ValueError:
        raise segment.error(f"'{value}' is not a quantity", number) from None
    return int(quantity) if quantity >= 0 else None


def _parse_date(value: str, segment: Segment) -> date:
    try:
        if len(value) != 8 or not value.isdigit():
            raise ValueError(value)
        return date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        raise segment.error(f"'{value}' is not a date CCYYMMDD", 3) from None


def _period(entry: tuple[str, str, Segment] | None) -> tuple[date | None, date | None]:
    if entry is None:
        return None, None
    form, value, segment = entry
    if form == "RD8":
        start, _, end = value.partition("-")
        return _parse_date(start, segment), _parse_date(end, segment)
    if form == "D8":
        return _parse_date(value, segment), None
    raise segment.error(f"DTP02 '{form}' is not D8 or RD8", 2)


def _rejections(levels: list[Level]) -> list[Rejection]:
    found = []
    for level in levels:
        for placed in level.segments:
            segment = placed.segment
            if segment.id != "AAA":
                continue
            reason = segment.element(3)
            if not reason:
                raise segment.error("required element AAA03 (reject reason) is missing", 3)
            follow_up = segment.element(4) or None
            found.append(
                Rejection(
                    loop=placed.loop,
                    loop_name=codes.LOOP_NAMES.get(placed.loop, placed.loop),
                    valid_request=segment.element(1) == "Y",
                    reject_reason_code=reason,
                    reject_reason=codes.describe(codes.REJECT_REASONS, reason, "reject reason"),
                    follow_up_action_code=follow_up,
                    follow_up_action=(
                        codes.describe(codes.FOLLOW_UP_ACTIONS, follow_up, "follow-up action")
                        if follow_up
                        else None
                    ),
                    position=segment.position,
                )
            )
    return found


def _decided_at(bht: Segment, timezone: str) -> datetime:
    day, time = bht.element(4), bht.element(5)
    try:
        if len(day) != 8 or len(time) < 4 or not (day + time[:4]).isdigit():
            raise ValueError(day)
        return datetime(
            int(day[:4]),
            int(day[4:6]),
            int(day[6:]),
            int(time[:2]),
            int(time[2:4]),
            tzinfo=ZoneInfo(timezone),
        )
    except ValueError:
        raise bht.error(f"BHT04/BHT05 '{day}' '{time}' is not a date and time", 4) from None


def _sequence_from_trace(traces: list[str]) -> int | None:
    for value in traces:
        head, _, tail = value.rpartition("-")
        if head and tail.isdigit():
            return int(tail)
    return None


def _item(
    sequence: int,
    answer: _Answer,
    event: _Answer | None,
    notes: list[str],
) -> ItemDecision:
    hcr = answer.hcr
    assert hcr is not None
    code = hcr.element(1).strip().upper()
    outcome = outcome_for_review_action(code)
    messages = answer.messages or (event.messages if event is not None else [])
    reason_code = hcr.element(3) or None
    reason_text = "\n".join(messages) or None
    fields: dict[str, Any] = {
        "sequence": sequence,
        "review_action_code": code,
        "review_action_display": codes.HCR_ACTIONS.get(code),
        "reason_code": reason_code,
        "reason_text": reason_text[:10_000] if reason_text else None,
    }
    if outcome in APPROVING:
        dates = {**(event.dates if event is not None else {}), **answer.dates}
        start, end = _period(dates.get("007"))
        expires, _ = _period(dates.get("036"))
        end = expires or end
        if start is None and end is None:
            start, end = _period(answer.dates.get("472"))
        if start is not None and end is not None and end < start:
            notes.append(
                f"Item {sequence}: the certification ends ({end}) before it starts ({start}); "
                "dates left out, check the response."
            )
            start = end = None
        fields.update(
            authorization_number=hcr.element(2)
            or (event.hcr.element(2) if event and event.hcr else None)
            or None,
            approved_units=answer.quantity,
            authorized_start=start,
            authorized_end=end,
        )
        if outcome in MODIFYING:
            parts = [f"{codes.HCR_ACTIONS[code].lower()}"]
            if answer.procedure:
                parts.append(answer.procedure)
            if answer.quantity is not None:
                parts.append(f"{answer.quantity} unit(s)")
            if start is not None:
                parts.append(
                    f"from {start.isoformat()}" + (f" to {end.isoformat()}" if end else "")
                )
            fields["modification"] = "Authorized: " + ", ".join(parts)
    if outcome == ItemOutcome.NEEDS_HUMAN_REVIEW:
        notes.append(
            f"Item {sequence}: HCR01 '{code}' is not a 278 action code priorauth knows "
            "(A1, A2, A3, A4, A6, C, CT, NA); the item waits for human review."
        )
    if outcome == ItemOutcome.DENIED and not (reason_code or reason_text):
        notes.append(
            f"Item {sequence}: the payer returned A3 (not certified) without a reason code "
            "(HCR03) or message; CMS-0057-F requires a specific reason for every denial, so the "
            "item waits for human review (ask the payer for the reason)."
        )
        fields["outcome"] = ItemOutcome.NEEDS_HUMAN_REVIEW
    return ItemDecision(**fields)


def _match_lines(
    services: list[_Answer], request: PriorAuthRequest | None, warnings: list[str]
) -> list[tuple[int, _Answer]]:
    if request is None:
        matched = []
        for position, answer in enumerate(services, start=1):
            matched.append((_sequence_from_trace(answer.traces) or position, answer))
        return matched
    procedures = [
        line for line in request.service_lines if line.code_system != CodeSystem.X12_SERVICE_TYPE
    ]
    known = {line.sequence for line in procedures}
    free = [line.sequence for line in procedures]
    matched = []
    for answer in services:
        sequence = _sequence_from_trace(answer.traces)
        if sequence not in known or sequence not in free:
            by_code = [
                line.sequence
                for line in procedures
                if line.sequence in free and answer.procedure == line.code
            ]
            sequence = by_code[0] if by_code else (free[0] if free else None)
        if sequence is None:
            warnings.append(
                f"the service level at segment {answer.hl.position} matches no requested line; "
                "it is left out"
            )
            continue
        free.remove(sequence)
        matched.append((sequence, answer))
    return matched


def _the_278(interchange: Interchange) -> TransactionSet:
    sets = interchange.transactions()
    found = [t for t in sets if t.kind == "278"]
    if not found:
        kinds = ", ".join(sorted({t.kind for t in sets})) or "none"
        raise X12SyntaxError(
            f"the interchange holds no 278 transaction set (found: {kinds})",
            segment="ST",
            position=interchange.header.position,
            element="ST01",
        )
    if len(found) > 1:
        raise found[1].header.error(
            "the interchange holds more than one 278 response; parse one per case", 1
        )
    return found[0]


def parse_278_response(
    text: str,
    *,
    trace: str | None = None,
    request: PriorAuthRequest | None = None,
    timezone: str = "America/New_York",
    received_at: datetime | None = None,
) -> X12Response:
    """The `X12Response` of a 278 response interchange (see the module docstring).

    Raises `X12SyntaxError` for malformed X12, `X12TraceMismatchError` when `trace` is given and
    the response does not echo it, `X12RejectedError` when the payer rejected the request (AAA).
    """
    interchange = read_interchange(text)
    transaction = _the_278(interchange)
    body = transaction.body
    bht = body[0] if body else transaction.trailer
    if bht.id == "BHT" and bht.element(2) == "13":
        raise bht.error("BHT02 is 13: this is a 278 request, not a response (11)", 2)
    if bht.id == "BHT":
        check_elements(bht)
    levels = walk_278(body, "response")
    check_levels(levels, body, "response")
    for level in levels:
        for placed in level.segments:
            if placed.segment.id in ("HCR", "DTP", "HL", "TRN", "UM"):
                check_elements(placed.segment)

    events = [level for level in levels if level.code == "EV"]
    echoed = [bht.element(3)]
    payer_traces: list[str] = []
    for level in events:
        for placed in level.segments:
            segment = placed.segment
            if segment.id == "TRN" and placed.loop == "2000E":
                (echoed if segment.element(1) == "2" else payer_traces).append(segment.element(2))
    if trace is not None and trace not in echoed and trace not in payer_traces:
        where = next(
            (p.segment for level in events for p in level.segments if p.segment.id == "TRN"),
            bht,
        )
        raise X12TraceMismatchError(
            f"the response answers trace number(s) {', '.join(v for v in echoed if v)}, not "
            f"'{trace}' (the one this case sent): it belongs to another request",
            segment=where.id,
            position=where.position,
            element=f"{where.id}02" if where.id == "TRN" else "BHT03",
        )
    trace_numbers = [v for v in dict.fromkeys(echoed) if v]
    rejections = _rejections(levels)
    if rejections:
        raise X12RejectedError(rejections, trace_numbers)
    if len(events) != 1:
        raise X12SyntaxError(
            f"a 278 response answers one patient event; this one has {len(events)}",
            segment="HL",
            position=(
                events[1].segments[0].segment.position
                if len(events) > 1
                else transaction.trailer.position
            ),
            element="HL03",
        )
    event_level = events[0]
    event = _answer(event_level)
    services = [
        _answer(level)
        for level in levels
        if level.code == "SS" and level.parent_id == event_level.hl_id
    ]
    decided = [answer for answer in services if answer.hcr is not None]
    if event.hcr is None and not decided:
        raise X12SyntaxError(
            "the response carries no decision: no HCR at the patient event (2000E) or any "
            "service level (2000F)",
            segment="HCR",
            position=event.hl.position,
        )
    warnings: list[str] = []
    notes: list[str] = []
    items: dict[int, ItemDecision] = {}
    for sequence, answer in _match_lines(decided, request, warnings):
        items[sequence] = _item(sequence, answer, event, notes)
    if event.hcr is not None:
        if request is not None:
            rest = [line.sequence for line in request.service_lines if line.sequence not in items]
        else:
            rest = [] if items else [1]
        for sequence in rest:
            items[sequence] = _item(sequence, event, None, notes)
        if decided:
            code = event.hcr.element(1)
            notes.insert(
                0,
                f"Patient event (2000E): {code} "
                f"{codes.HCR_ACTIONS.get(code, '(unknown action code)')}.",
            )
    administrative = [
        value for answer in [event, *services] for q, value in answer.refs if q == "NT"
    ]
    if administrative:
        notes.append("Administrative reference (REF*NT): " + ", ".join(administrative))
    payer_reference = (
        (event.hcr.element(2) if event.hcr is not None else "")
        or (administrative[0] if administrative else "")
        or next((a.hcr.element(2) for a in decided if a.hcr and a.hcr.element(2)), "")
        or None
    )
    issue = event.dates.get("102")
    notice_date = _period(issue)[0] if issue else None
    ordered = [items[sequence] for sequence in sorted(items)]
    digest = hashlib.sha256(
        json.dumps(
            {
                "sender": interchange.header.element(6).strip(),
                "bht": [bht.element(3), bht.element(4), bht.element(5)],
                "traces": [*trace_numbers, *payer_traces],
                "items": [
                    [i.sequence, i.review_action_code, i.authorization_number] for i in ordered
                ],
            },
            sort_keys=True,
        ).encode()
    ).hexdigest()
    note = "\n".join(notes) or None
    decision = PayerDecision(
        decision_id=f"x12-{digest[:40]}",
        source=DecisionSource.X12_278,
        decided_at=_decided_at(bht, timezone),
        received_at=received_at,
        payer_reference=payer_reference,
        items=ordered,
        note=note[:10_000] if note else None,
        notice_date=notice_date,
    )
    return X12Response(
        decision=decision,
        trace_numbers=trace_numbers,
        payer_trace_numbers=payer_traces,
        administrative_references=administrative,
        interchange_control_number=interchange.control_number,
        transaction_control_number=transaction.control_number,
        warnings=warnings,
    )
