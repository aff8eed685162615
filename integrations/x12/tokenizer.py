"""Separators and segments: the tolerant reading of an X12 interchange.

The separators come from the ISA segment itself: the element separator is the character right
after `ISA`, the component separator is ISA16, the segment terminator the character after ISA16,
and ISA11 is the repetition separator when it is not a letter or digit (5010; in 4010 it was
the standards identifier `U`). ISA is meant to be 106 characters, but files with trimmed ISA
fields exist, so ISA is read by counting its 16 separators, not by column.

Line breaks (LF or CRLF) after terminators, a byte-order mark, leading and trailing whitespace,
and an empty last segment are all accepted. Every segment keeps its ordinal position (ISA = 1),
which is what errors name.
"""

from __future__ import annotations

from dataclasses import dataclass

from integrations.x12.errors import X12SyntaxError

ISA_ELEMENTS = 16


@dataclass(frozen=True, slots=True)
class Separators:
    element: str = "*"
    component: str = ":"
    repetition: str = "^"
    segment: str = "~"

    def check(self) -> None:
        chosen = [self.element, self.component, self.repetition, self.segment]
        if any(len(c) != 1 or c.isalnum() or c == " " for c in chosen):
            raise X12SyntaxError(f"separators must be single non-alphanumeric characters: {chosen}")
        if len(set(chosen)) != len(chosen):
            raise X12SyntaxError(f"separators must differ from each other: {chosen}")


DEFAULT_SEPARATORS = Separators()


class Segment:
    """One segment: `elements[0]` is its id, so `element(1)` is the X12 element 01."""

    __slots__ = ("elements", "id", "position", "separators")

    def __init__(self, elements: list[str], position: int, separators: Separators) -> None:
        self.elements = elements
        self.id = elements[0]
        self.position = position
        self.separators = separators

    def element(self, number: int) -> str:
        elements = self.elements
        return elements[number] if number < len(elements) else ""

    def components(self, number: int) -> list[str]:
        value = self.element(number)
        return value.split(self.separators.component) if value else []

    def repetitions(self, number: int) -> list[str]:
        value = self.element(number)
        return value.split(self.separators.repetition) if value else []

    def name(self, number: int) -> str:
        """The X12 reference of an element of this segment (NM109)."""
        return f"{self.id}{number:02d}"

    def error(self, message: str, number: int | None = None) -> X12SyntaxError:
        return X12SyntaxError(
            message,
            segment=self.id,
            position=self.position,
            element=self.name(number) if number is not None else None,
        )

    def __repr__(self) -> str:
        return f"Segment({self.position}: {self.separators.element.join(self.elements)})"


def find_separators(text: str) -> tuple[Separators, int]:
    """The separators an interchange declares, and where ISA ends (after its terminator)."""
    if not text.startswith("ISA"):
        found = text[:3].strip() or "nothing"
        raise X12SyntaxError(
            f"an X12 interchange starts with ISA, this starts with '{found}'",
            segment="ISA",
            position=1,
        )
    if len(text) < 4:
        raise X12SyntaxError("the ISA segment is cut short", segment="ISA", position=1)
    element = text[3]
    if element.isalnum() or element.isspace():
        raise X12SyntaxError(
            f"the element separator after ISA is '{element}', not a separator character",
            segment="ISA",
            position=1,
        )
    at = 3
    for _ in range(ISA_ELEMENTS - 1):
        at = text.find(element, at + 1)
        if at < 0:
            raise X12SyntaxError(
                f"ISA has fewer than {ISA_ELEMENTS} elements (separator '{element}')",
                segment="ISA",
                position=1,
            )
    # `at` is the separator before ISA16; ISA16 is one character, then the terminator.
    if len(text) < at + 3:
        raise X12SyntaxError(
            "ISA ends before its component separator (ISA16) and segment terminator",
            segment="ISA",
            position=1,
            element="ISA16",
        )
    component = text[at + 1]
    terminator = text[at + 2]
    if terminator.isalnum() or terminator == " ":
        raise X12SyntaxError(
            f"ISA16 must be one character followed by the segment terminator; found "
            f"'{text[at + 1 : at + 3]}'",
            segment="ISA",
            position=1,
            element="ISA16",
        )
    isa = text[: at + 2].split(element)
    repetition_value = isa[11] if len(isa) > 11 else ""
    repetition = repetition_value if len(repetition_value) == 1 else ""
    if repetition.isalnum() or repetition in (element, component, terminator):
        repetition = ""  # 4010 files carry `U` here: no repetition separator
    separators = Separators(element, component, repetition or "\x00", terminator)
    if component in (element, terminator) or element == terminator:
        raise X12SyntaxError(
            f"ISA declares clashing separators: element '{element}', component '{component}', "
            f"segment '{terminator}'",
            segment="ISA",
            position=1,
            element="ISA16",
        )
    return separators, at + 3


def tokenize(text: str) -> list[Segment]:
    """All segments of an interchange, in order, with their positions (ISA = 1)."""
    text = text.lstrip("\ufeff \t\r\n")
    separators, _ = find_separators(text)
    terminator = separators.segment
    element = separators.element
    segments: list[Segment] = []
    position = 0
    for raw in text.split(terminator):
        raw = raw.strip("\r\n\t ")
        if not raw:
            continue
        position += 1
        parts = raw.split(element)
        segment_id = parts[0]
        if not (2 <= len(segment_id) <= 3 and segment_id.isalnum() and segment_id.isupper()):
            raise X12SyntaxError(
                f"'{segment_id[:20]}' is not a segment id (2-3 capital letters or digits); is the "
                f"segment terminator '{terminator}' right?",
                segment=segment_id[:3] or None,
                position=position,
            )
        segments.append(Segment(parts, position, separators))
    return segments
