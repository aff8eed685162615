"""The 278's loops and the rules its segments follow: order, loops, required elements, element
lengths and code values (005010X217, request and response).

`walk_278` assigns each segment of a transaction set body (BHT .. before SE) to its loop, checking
the HL hierarchy (HL01 counts up, HL02 names the right parent level, HL03 is a 278 level) and the
order of segments inside each loop. `check_elements` checks a segment against the element table
(used on every request priorauth builds, so an invalid 278 is never sent). Errors are
`X12SyntaxError`s naming segment, position and element, with the 999 codes (IK304 / IK403) that
describe them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from integrations.x12 import codes
from integrations.x12.errors import X12SyntaxError
from integrations.x12.tokenizer import Segment

# Segments each loop may hold, in their order (both directions; the response adds AAA and HCR).
REQUEST_ORDER: dict[str, tuple[str, ...]] = {
    "header": ("BHT",),
    "2000A": ("HL",),
    "2010A": ("NM1",),
    "2000B": ("HL",),
    "2010B": ("NM1", "REF", "N3", "N4", "PER", "PRV"),
    "2000C": ("HL",),
    "2010C": ("NM1", "REF", "N3", "N4", "DMG", "INS"),
    "2000D": ("HL",),
    "2010D": ("NM1", "REF", "N3", "N4", "DMG", "INS"),
    "2000E": (
        "HL",
        "TRN",
        "UM",
        "REF",
        "DTP",
        "HI",
        "HSD",
        "CRC",
        "CL1",
        "CR1",
        "CR2",
        "CR4",
        "CR5",
        "CR6",
        "CR7",
        "CR8",
        "PWK",
        "MSG",
    ),
    "2010E": ("NM1", "REF", "N3", "N4", "PER", "PRV"),
    "2000F": ("HL", "TRN", "UM", "REF", "DTP", "SV1", "SV2", "SV3", "TOO", "HSD", "PWK", "MSG"),
    "2010F": ("NM1", "REF", "N3", "N4", "PER", "PRV"),
}
RESPONSE_ORDER: dict[str, tuple[str, ...]] = {
    "header": ("BHT",),
    "2000A": ("HL", "AAA"),
    "2010A": ("NM1", "PER", "AAA"),
    "2000B": ("HL",),
    "2010B": ("NM1", "REF", "N3", "N4", "PER", "AAA", "PRV"),
    "2000C": ("HL",),
    "2010C": ("NM1", "REF", "N3", "N4", "AAA", "DMG", "INS"),
    "2000D": ("HL",),
    "2010D": ("NM1", "REF", "N3", "N4", "AAA", "DMG", "INS"),
    "2000E": (
        "HL",
        "TRN",
        "AAA",
        "UM",
        "HCR",
        "REF",
        "DTP",
        "HI",
        "HSD",
        "CRC",
        "CL1",
        "CR1",
        "CR2",
        "CR4",
        "CR5",
        "CR6",
        "CR7",
        "CR8",
        "PWK",
        "MSG",
    ),
    "2010E": ("NM1", "REF", "N3", "N4", "PER", "AAA", "PRV"),
    "2000F": (
        "HL",
        "TRN",
        "AAA",
        "UM",
        "HCR",
        "REF",
        "DTP",
        "SV1",
        "SV2",
        "SV3",
        "TOO",
        "HSD",
        "PWK",
        "MSG",
    ),
    "2010F": ("NM1", "REF", "N3", "N4", "PER", "AAA", "PRV"),
}
RANKS = {
    direction: {loop: {sid: n for n, sid in enumerate(order)} for loop, order in table.items()}
    for direction, table in (("request", REQUEST_ORDER), ("response", RESPONSE_ORDER))
}
SINGLE = frozenset({"BHT", "HL", "UM", "HCR", "HI", "SV1", "SV2", "SV3", "DMG", "INS", "N3", "N4"})
PARENT_LEVEL = {"21": ("20",), "22": ("21",), "23": ("22",), "EV": ("22", "23"), "SS": ("EV",)}
NAME_LOOP = {"2000A": "2010A", "2000B": "2010B", "2000C": "2010C", "2000D": "2010D"}
EVENT_NAME_LOOP = {"2000E": "2010E", "2010E": "2010E", "2000F": "2010F", "2010F": "2010F"}


@dataclass(slots=True)
class Placed:
    """A segment with the loop it belongs to and the HL that opened that loop's level."""

    loop: str
    level: int  # index of the HL segment's level in the walk's `levels`, -1 in the header
    segment: Segment


@dataclass(slots=True)
class Level:
    """One HL level: its code (20, 21, 22, 23, EV, SS), its loop and its segments."""

    hl_id: str
    parent_id: str
    code: str
    loop: str
    segments: list[Placed]


def syntax(
    segment: Segment,
    message: str,
    number: int | None = None,
    *,
    ik3: str = "8",
    ik4: str | None = None,
) -> X12SyntaxError:
    error = segment.error(message, number)
    error.ik3 = ik3
    error.ik4 = ik4
    return error


def walk_278(body: list[Segment], direction: str) -> list[Level]:
    """The HL levels of a 278 body, each with its placed segments (see the module docstring)."""
    ranks = RANKS[direction]
    if not body or body[0].id != "BHT":
        first = body[0] if body else None
        if first is None:
            raise X12SyntaxError("the transaction set is empty (BHT missing)", segment="BHT")
        raise syntax(first, f"a 278 starts with BHT after ST, not {first.id}", ik3="3")
    levels: list[Level] = []
    by_id: dict[str, Level] = {}
    loop = "header"
    rank = -1
    seen: set[str] = set()
    current: Level | None = None
    last = ""
    for segment in body:
        sid = segment.id
        if sid == "HL":
            code = segment.element(3)
            loop = codes.HL_LOOPS.get(code, "")
            if not loop:
                raise syntax(
                    segment,
                    f"'{code}' is not a 278 hierarchical level (20, 21, 22, 23, EV, SS)",
                    3,
                    ik4="7",
                )
            hl_id = segment.element(1)
            if hl_id != str(len(levels) + 1):
                raise syntax(
                    segment,
                    f"HL01 is '{hl_id}'; levels are numbered 1, 2, 3 ... in order",
                    1,
                    ik4="7",
                )
            parent_id = segment.element(2)
            expected = PARENT_LEVEL.get(code)
            if expected is None:
                if parent_id:
                    raise syntax(
                        segment, "the UMO level (20) has no parent (HL02 empty)", 2, ik4="I10"
                    )
            else:
                parent = by_id.get(parent_id)
                if parent is None or parent.code not in expected:
                    found = f"level {parent.code}" if parent else "no earlier level"
                    raise syntax(
                        segment,
                        f"HL02 '{parent_id}' points at {found}; a level {code} "
                        f"({codes.LOOP_NAMES[loop]}) belongs under level "
                        f"{' or '.join(expected)}",
                        2,
                        ik4="7",
                    )
            if segment.element(4) not in ("", "0", "1"):
                raise syntax(segment, f"HL04 is '{segment.element(4)}', not 0 or 1", 4, ik4="7")
            current = Level(hl_id, parent_id, code, loop, [])
            levels.append(current)
            by_id[hl_id] = current
            rank = -1
            seen = set()
        elif sid == "NM1" and (loop in NAME_LOOP or loop in EVENT_NAME_LOOP):
            if loop in NAME_LOOP:
                loop = NAME_LOOP[loop]
            elif loop in EVENT_NAME_LOOP:
                loop = EVENT_NAME_LOOP[loop]
            rank = -1
            seen = set()
        elif current is None and sid != "BHT":
            raise syntax(segment, f"{sid} before the first HL level", ik3="2")
        allowed = ranks[loop]
        place = allowed.get(sid)
        if place is None:
            where = codes.LOOP_NAMES.get(loop, "the header")
            raise syntax(
                segment,
                f"{sid} is not used in loop {loop} ({where}) of a 278 {direction}",
                ik3="2" if sid in _KNOWN else "1",
            )
        if place < rank:
            raise syntax(
                segment,
                f"{sid} is out of order in loop {loop}: it must come before {last}",
                ik3="7",
            )
        if sid in SINGLE and sid in seen:
            raise syntax(segment, f"{sid} appears twice in loop {loop}", ik3="5")
        seen.add(sid)
        rank = place
        last = sid
        if current is not None:
            current.segments.append(Placed(loop, len(levels) - 1, segment))
    return levels


_KNOWN = frozenset(s for order in RESPONSE_ORDER.values() for s in order)


def check_levels(levels: list[Level], body: list[Segment], direction: str) -> None:
    """The levels a request must have: UMO, requester, subscriber, a patient event, and a UM in
    each event and service level; HL04 says truly whether a level has children."""
    end = body[-1] if body else None
    codes_present = [level.code for level in levels]
    if direction == "request":
        for code, name in (
            ("20", "UMO"),
            ("21", "requester"),
            ("22", "subscriber"),
            ("EV", "patient event"),
        ):
            if code not in codes_present:
                raise X12SyntaxError(
                    f"the 278 request has no {name} level (HL03 {code})",
                    segment="HL",
                    position=end.position if end else None,
                )
    children = {level.hl_id: 0 for level in levels}
    for level in levels:
        if level.parent_id in children:
            children[level.parent_id] += 1
    for level in levels:
        hl = level.segments[0].segment
        has = hl.element(4)
        if direction == "request" and has != ("1" if children[level.hl_id] else "0"):
            raise syntax(
                hl,
                f"HL04 is '{has}' but the level has {children[level.hl_id]} child level(s)",
                4,
                ik4="7",
            )
        ids = {p.segment.id for p in level.segments}
        if direction == "request" and level.code in ("EV", "SS") and "UM" not in ids:
            raise syntax(hl, f"the {codes.LOOP_NAMES[level.loop]} has no UM segment", ik3="3")
        named = any(p.loop.startswith("2010") for p in level.segments)
        # A name loop may be missing only in a response that rejects the request (AAA).
        rejected = direction == "response" and "AAA" in ids
        if level.code in NAME_LOOP_CODES and not named and not rejected:
            raise syntax(
                hl, f"loop {level.loop} has no NM1 ({NAME_LOOP[level.loop]} name)", ik3="3"
            )


NAME_LOOP_CODES = frozenset({"20", "21", "22", "23"})


# --- element rules -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Rule:
    """One element: required or not, length bounds, data type, allowed codes."""

    required: bool
    min: int
    max: int
    kind: str = "AN"  # AN, ID, DT, TM, N0, R, C (composite, checked by `parts`)
    codes: frozenset[str] | None = None
    parts: tuple[Rule, ...] = ()


def R(  # noqa: N802 (R and S read like the guide's usage column: Required, Situational)
    low: int, high: int, kind: str = "AN", values: Iterable[str] | None = None
) -> Rule:
    return Rule(True, low, high, kind, frozenset(values) if values else None)


def S(  # noqa: N802
    low: int, high: int, kind: str = "AN", values: Iterable[str] | None = None
) -> Rule:
    return Rule(False, low, high, kind, frozenset(values) if values else None)


def composite(required: bool, high: int, *parts: Rule) -> Rule:
    return Rule(required, 1, high, "C", None, parts)


NOT_USED = Rule(False, 0, 0)
ENTITY_IDS = {"X3", "1P", "IL", "QC", "SJ", "FA", "DK", "71", "72", "DN", "P3", "2B", "QB"}
ID_QUALIFIERS = {"PI", "XV", "XX", "24", "34", "46", "MI", "ZZ"}
PROCEDURE_QUALIFIERS = {"HC", "AD", "CJ", "ID", "IV", "N4", "ZZ"}
DIAGNOSIS_QUALIFIERS = {"ABK", "ABF", "ABJ", "APR", "BK", "BF", "BJ", "PR", "ABN", "BN"}
DATE_QUALIFIERS = {"AAH", "435", "096", "472", "102", "007", "036", "439", "484", "ABC", "431"}

ELEMENTS: dict[str, tuple[Rule, ...]] = {
    "BHT": (
        R(4, 4, "ID", {"0007"}),
        R(2, 2, "ID", {"13", "11"}),
        R(1, 50),
        R(8, 8, "DT"),
        R(4, 8, "TM"),
        S(2, 2, "ID", {"RU", "18"}),
    ),
    "HL": (R(1, 12), S(1, 12), R(1, 2, "ID", codes.HL_LOOPS), R(1, 1, "ID", {"0", "1"})),
    "NM1": (
        R(2, 3, "ID", ENTITY_IDS),
        R(1, 1, "ID", {"1", "2"}),
        S(1, 60),
        S(1, 35),
        S(1, 25),
        NOT_USED,
        S(1, 10),
        S(1, 2, "ID", ID_QUALIFIERS),
        S(2, 80),
    ),
    "N3": (R(1, 55), S(1, 55)),
    "N4": (R(2, 30), S(2, 2, "ID"), S(3, 15, "ID")),
    "PER": (
        R(2, 2, "ID", {"IC"}),
        S(1, 60),
        S(2, 2, "ID", {"TE", "FX", "EM", "EX"}),
        S(1, 256),
        S(2, 2, "ID", {"TE", "FX", "EM", "EX"}),
        S(1, 256),
    ),
    "PRV": (
        R(
            1,
            3,
            "ID",
            {
                "AD",
                "AS",
                "AT",
                "CO",
                "CV",
                "H",
                "HH",
                "LA",
                "OR",
                "P1",
                "P2",
                "PC",
                "PE",
                "R",
                "RF",
                "SB",
                "SK",
                "SU",
            },
        ),
        R(2, 3, "ID", {"PXC"}),
        R(10, 10),
    ),
    "REF": (R(2, 3, "ID"), R(1, 50)),
    "DMG": (R(2, 3, "ID", {"D8"}), R(8, 8, "DT"), S(1, 1, "ID", {"F", "M", "U"})),
    "INS": (R(1, 1, "ID", {"Y", "N"}), R(2, 2, "ID", {*codes.DEPENDENT_RELATIONSHIPS, "18"})),
    "TRN": (R(1, 2, "ID", {"1", "2"}), R(1, 50), R(10, 10), S(1, 50)),
    "UM": (
        R(1, 2, "ID", codes.REQUEST_CATEGORIES),
        R(1, 1, "ID", codes.CERTIFICATION_TYPES),
        S(1, 2, "ID"),
        composite(False, 6, R(1, 2), R(1, 1, "ID", {"A", "B"})),
        NOT_USED,
        S(1, 3, "ID", codes.LEVELS_OF_SERVICE),
    ),
    "DTP": (R(3, 3, "ID", DATE_QUALIFIERS), R(2, 3, "ID", {"D8", "RD8"}), R(1, 35)),
    "HSD": (S(2, 2, "ID", {"VS", "DY", "FL", "HS", "MN", "WK"}), S(1, 15, "R")),
    "MSG": (R(1, 264),),
    "HCR": (R(1, 2, "ID"), S(1, 50), S(1, 30), S(1, 1, "ID", {"Y", "N"})),
}
_PROCEDURE = (R(2, 2, "ID", PROCEDURE_QUALIFIERS), R(1, 48), S(2, 2), S(2, 2), S(2, 2), S(2, 2))
ELEMENTS["SV1"] = (
    composite(True, 60, *_PROCEDURE),
    S(1, 18, "R"),
    S(2, 2, "ID", {"UN", "MJ"}),
    S(1, 15, "R"),
)
ELEMENTS["SV2"] = (
    S(1, 48),
    composite(True, 60, *_PROCEDURE),
    S(1, 18, "R"),
    S(2, 2, "ID", {"UN", "DA"}),
    S(1, 15, "R"),
)
_DIAGNOSIS = Rule(False, 1, 40, "C", None, (R(2, 3, "ID", DIAGNOSIS_QUALIFIERS), R(1, 30)))
ELEMENTS["HI"] = (Rule(True, 1, 40, "C", None, _DIAGNOSIS.parts), *([_DIAGNOSIS] * 11))

_DATE = re.compile(r"^(\d{4})(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])$")
_TIME = re.compile(r"^([01]\d|2[0-3])[0-5]\d(\d{2}(\d{1,2})?)?$")
_NUMBER = re.compile(r"^-?(\d+\.?\d*|\.\d+)$")
_ALPHANUMERIC_DATE_RANGE = re.compile(r"^\d{8}-\d{8}$")


def _fits(value: str, rule: Rule) -> bool:
    """The common case quickly: right length, a listed code, no format to check."""
    return (
        rule.min <= len(value) <= rule.max
        and (rule.codes is None or value in rule.codes)
        and rule.kind in ("AN", "ID")
    )


def _check_value(segment: Segment, ref: str, number: int, value: str, rule: Rule) -> None:
    if len(value) < rule.min:
        raise syntax(segment, f"{ref} '{value}' is shorter than {rule.min}", number, ik4="4")
    if len(value) > rule.max:
        raise syntax(
            segment, f"{ref} is {len(value)} characters, longer than {rule.max}", number, ik4="5"
        )
    if rule.codes is not None and value not in rule.codes:
        raise syntax(
            segment,
            f"{ref} '{value}' is not one of {', '.join(sorted(rule.codes))}",
            number,
            ik4="7",
        )
    if rule.kind == "DT" and not _DATE.match(value):
        raise syntax(segment, f"{ref} '{value}' is not a date CCYYMMDD", number, ik4="8")
    if rule.kind == "TM" and not _TIME.match(value):
        raise syntax(segment, f"{ref} '{value}' is not a time HHMM[SS[D[D]]]", number, ik4="9")
    if rule.kind in ("R", "N0") and not _NUMBER.match(value):
        raise syntax(segment, f"{ref} '{value}' is not a number", number, ik4="6")


# Per segment, per element: (min, max, codes, checked by length and code alone, rule).
COMPILED = {
    sid: tuple(
        (rule.min, rule.max, rule.codes, rule.kind in ("AN", "ID") and rule is not NOT_USED, rule)
        for rule in rules
    )
    for sid, rules in ELEMENTS.items()
}
REQUIRED = {
    sid: tuple(n for n, rule in enumerate(rules, start=1) if rule.required)
    for sid, rules in ELEMENTS.items()
}


def check_elements(segment: Segment) -> None:
    """Required elements present, lengths, codes and formats (see `ELEMENTS`)."""
    rules = ELEMENTS.get(segment.id)
    if rules is None:
        return
    elements = segment.elements
    count = len(elements) - 1
    if count > len(rules):
        raise syntax(
            segment,
            f"{segment.id} has {count} elements; it has at most {len(rules)}",
            len(rules) + 1,
            ik4="3",
        )
    for number in REQUIRED[segment.id]:
        if number > count or not elements[number]:
            raise syntax(
                segment, f"required element {segment.name(number)} is missing", number, ik4="1"
            )
    compiled = COMPILED[segment.id]
    for number in range(1, count + 1):
        value = elements[number]
        if not value:
            continue
        low, high, allowed, simple, rule = compiled[number - 1]
        if simple and low <= len(value) <= high and (allowed is None or value in allowed):
            continue
        if rule.kind == "C":
            _check_composite(segment, number, value, rule)
        elif rule is NOT_USED:
            raise syntax(
                segment, f"{segment.name(number)} is not used in the 278", number, ik4="I10"
            )
        elif not _fits(value, rule):
            _check_value(segment, segment.name(number), number, value, rule)
    if segment.id == "DTP":
        form, value = segment.element(2), segment.element(3)
        if (form == "D8" and not _DATE.match(value)) or (
            form == "RD8"
            and not (
                _ALPHANUMERIC_DATE_RANGE.match(value)
                and _DATE.match(value[:8])
                and _DATE.match(value[9:])
                and value[:8] <= value[9:]
            )
        ):
            raise syntax(segment, f"DTP03 '{value}' does not match its format {form}", 3, ik4="8")
    if segment.id == "NM1" and bool(segment.element(8)) != bool(segment.element(9)):
        missing = 9 if segment.element(8) else 8
        raise syntax(
            segment, "NM108 and NM109 go together (qualifier and identifier)", missing, ik4="2"
        )


def _check_composite(segment: Segment, number: int, value: str, rule: Rule) -> None:
    parts = value.split(segment.separators.component)
    if len(parts) > len(rule.parts):
        raise syntax(segment, f"{segment.name(number)} has too many components", number, ik4="13")
    for index, part_rule in enumerate(rule.parts):
        part = parts[index] if index < len(parts) else ""
        if not part:
            if part_rule.required:
                raise syntax(
                    segment,
                    f"required component {segment.name(number)}-{index + 1} is missing",
                    number,
                    ik4="1",
                )
            continue
        if not _fits(part, part_rule):
            _check_value(segment, f"{segment.name(number)}-{index + 1}", number, part, part_rule)
