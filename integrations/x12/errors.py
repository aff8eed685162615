"""The errors of the X12 package, each locating its problem: segment, position, element.

`position` is the segment's ordinal in the interchange (ISA is 1), the number a person counts to
in the file; `element` is the X12 reference (NM109, HCR01, ...). A request built from a case
that cannot become a valid 278 raises `X12ValidationError` naming the case field as well.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class X12Error(ValueError):
    """Base: an X12 problem with where it is (and, for a 999, the IK304 / IK403 codes)."""

    ik3: str | None = None
    ik4: str | None = None

    def __init__(
        self,
        message: str,
        *,
        segment: str | None = None,
        position: int | None = None,
        element: str | None = None,
        field: str | None = None,
    ) -> None:
        self.reason = message
        self.segment = segment
        self.position = position
        self.element = element
        self.field = field
        super().__init__(self.located())

    def located(self) -> str:
        where = []
        if self.field:
            where.append(self.field)
        if self.element:
            where.append(self.element)
        elif self.segment:
            where.append(self.segment)
        if self.position is not None:
            where.append(f"segment {self.position}")
        return f"{', '.join(where)}: {self.reason}" if where else self.reason

    def as_json(self) -> dict[str, object]:
        return {
            "error": type(self).__name__,
            "message": self.reason,
            "segment": self.segment,
            "position": self.position,
            "element": self.element,
            "field": self.field,
        }


class X12SyntaxError(X12Error):
    """Malformed X12: separators, envelopes, control numbers, segment order, elements."""


class X12ValidationError(X12Error):
    """A 278 request that would not be valid (never sent); names the case field when one is
    the cause."""


class X12TraceMismatchError(X12Error):
    """A 278 response whose TRN trace numbers do not include the one the case sent."""


@dataclass(frozen=True)
class Rejection:
    """One AAA segment: the payer could not process the request at this loop."""

    loop: str
    loop_name: str
    valid_request: bool
    reject_reason_code: str
    reject_reason: str
    follow_up_action_code: str | None
    follow_up_action: str | None
    position: int

    def sentence(self) -> str:
        action = (
            f"; follow-up {self.follow_up_action_code} ({self.follow_up_action})"
            if self.follow_up_action_code
            else ""
        )
        return (
            f"loop {self.loop} ({self.loop_name}), segment {self.position}: reject reason "
            f"{self.reject_reason_code} ({self.reject_reason}){action}"
        )

    def as_json(self) -> dict[str, object]:
        return {
            "loop": self.loop,
            "loop_name": self.loop_name,
            "valid_request": self.valid_request,
            "reject_reason_code": self.reject_reason_code,
            "reject_reason": self.reject_reason,
            "follow_up_action_code": self.follow_up_action_code,
            "follow_up_action": self.follow_up_action,
            "position": self.position,
        }


class X12RejectedError(X12Error):
    """The payer rejected the 278 request (AAA): what to correct, at which loop."""

    def __init__(self, rejections: list[Rejection], trace_numbers: list[str]) -> None:
        self.rejections = rejections
        self.trace_numbers = trace_numbers
        first = rejections[0]
        super().__init__(
            "the payer rejected the 278 request: " + "; ".join(r.sentence() for r in rejections),
            segment="AAA",
            position=first.position,
            element="AAA03",
        )

    def as_json(self) -> dict[str, object]:
        return {
            **super().as_json(),
            "rejections": [r.as_json() for r in self.rejections],
            "trace_numbers": self.trace_numbers,
        }


@dataclass(frozen=True)
class AcknowledgedProblem:
    """One error a 999 (IK3/IK4/IK5/AK9) or TA1 reports about what we sent."""

    segment: str | None
    position: int | None
    loop: str | None
    element: str | None
    code: str
    description: str
    bad_value: str | None = None
    context: list[str] = field(default_factory=list)

    def sentence(self) -> str:
        where = []
        if self.segment:
            where.append(f"segment {self.segment}")
        if self.position is not None:
            where.append(f"position {self.position} in the transaction set")
        if self.loop:
            where.append(f"loop {self.loop}")
        if self.element:
            where.append(f"element {self.element}")
        prefix = ", ".join(where)
        value = f" (value '{self.bad_value}')" if self.bad_value else ""
        return f"{prefix + ': ' if prefix else ''}{self.code} {self.description}{value}"


class X12AcknowledgmentError(X12Error):
    """A 999 or TA1 that rejects what we sent, naming segment and element."""

    def __init__(self, kind: str, status: str, problems: list[AcknowledgedProblem]) -> None:
        self.kind = kind
        self.status = status
        self.problems = problems
        first = problems[0] if problems else None
        detail = "; ".join(p.sentence() for p in problems) or "no error detail given"
        super().__init__(
            f"the {kind} rejects the transmission ({status}): {detail}",
            segment=first.segment if first else None,
            position=first.position if first else None,
            element=first.element if first else None,
        )
