"""PHI redaction for log lines: one structlog processor, run on the finished event.

`redact_phi` runs after exceptions and stacks have been formatted into text (see
`config.logging`), so it sees everything a line will carry. It masks:

- values under PHI keys at any depth (`member_id`, `birthDate`, `first-name`, ...: keys are
  compared without case, `_` or `-`);
- inside free text (the message, the exception and its traceback, any other string):
  `key=value` / `'key': value` fragments of PHI keys (model reprs, dict reprs, query strings),
  pydantic's `input_value=...` and `'input': ...` (validation errors echo their input), calendar
  dates (ISO, US `MM/DD/YYYY`, compact `YYYYMMDD`, `April 12, 1958`: a birth date cannot be
  told from another date in free text), SSNs, phone numbers and e-mail addresses.

Names written into free text without a key cannot be recognised; code must not write them
(log case ids, never the request).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from functools import lru_cache
from typing import Any

from structlog.types import EventDict

REDACTED = "[redacted]"

# Keys whose values are PHI wherever they appear (in any nesting).
PHI_KEYS = frozenset(
    {
        "name",
        "first_name",
        "last_name",
        "full_name",
        "given",
        "family",
        "member_name",
        "patient_name",
        "birth_date",
        "dob",
        "date_of_birth",
        "member_id",
        "subscriber_id",
        "ssn",
        "address",
        "phone",
        "telecom",
        "email",
        "member",
        "patient",
    }
)
# Keys whose string values we write ourselves and that carry no PHI.
_TRUSTED_KEYS = frozenset({"timestamp", "level", "logger"})


@lru_cache(maxsize=1024)
def _normal(key: str) -> str:
    return re.sub(r"[^a-z0-9]", "", key.lower())


_PHI_NORMAL = frozenset(_normal(k) for k in PHI_KEYS)


def is_phi_key(key: object) -> bool:
    return isinstance(key, str) and _normal(key) in _PHI_NORMAL


def _key_alternatives() -> str:
    """`member_id` matches member_id, member-id, memberId, `member id`, `Member ID`."""
    spelled = {tuple(k.split("_")) for k in PHI_KEYS} | {("date", "of", "birth"), ("input",)}
    patterns = [r"[_\-\s]?".join(map(re.escape, words)) for words in spelled]
    return "|".join(sorted(patterns, key=len, reverse=True))


# A PHI key followed by `=` or `:` (optionally closing a quote), in any free text.
_KEY_VALUE = re.compile(
    rf"(?<![A-Za-z0-9_])(?:{_key_alternatives()})(?![A-Za-z0-9_])(?:\\*['\"])?\s*(?:=(?!=)|:)\s*",
    re.IGNORECASE,
)
# pydantic: `[type=..., input_value=<repr, maybe truncated>, input_type=dict]`.
_INPUT_VALUE = re.compile(r"input_value=.*?(?=, input_type=)", re.DOTALL)
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_YEAR = r"(?:18|19|20)\d{2}"
_MM = r"(?:0[1-9]|1[0-2])"
_DD = r"(?:0[1-9]|[12]\d|3[01])"
_M = r"(?:0?[1-9]|1[0-2])"
_D = r"(?:0?[1-9]|[12]\d|3[01])"
# Shapes of PHI that need no key, each tried only where it can start (a digit, `(` or `+`).
_NUMERIC = re.compile(
    "(?=[\\d(+])(?:"
    + "|".join(
        [
            # ISO (also the date part of a timestamp) and YYYY/MM/DD
            rf"(?<!\d){_YEAR}[-/]{_MM}[-/]{_DD}(?!\d)",
            # US: MM/DD/YYYY, M/D/YYYY, MM-DD-YYYY
            rf"(?<!\d){_M}/{_D}/{_YEAR}(?!\d)",
            rf"(?<!\d){_M}-{_D}-{_YEAR}(?!\d)",
            # compact YYYYMMDD (X12, HL7), not inside a longer id
            rf"(?<![0-9A-Za-z]){_YEAR}{_MM}{_DD}(?![0-9A-Za-z])",
            r"(?<!\d)\d{3}-\d{2}-\d{4}(?!\d)",  # SSN
            r"(?<![\w])(?:\+?1[\s.-]?)?\(?\d{3}\)?[\s.-]?\d{3}[\s.-]\d{4}(?!\d)",  # phone
        ]
    )
    + ")"
)
# April 12, 1958 / Apr. 12th 1958 / 12 April 1958 (only in text with spaces)
_WORDY_DATE = re.compile(
    rf"\b{_MONTH}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+{_YEAR}\b"
    rf"|\b\d{{1,2}}\s+{_MONTH}\.?,?\s+{_YEAR}\b",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_DIGITS = re.compile(r"\d\d")
# Cheap pre-check: a key fragment contains the longest word of its key, in any case.
_KEY_WORDS = tuple(sorted({max(k.split("_"), key=len) for k in PHI_KEYS} | {"input", "birth"}))
_OPENERS = {"(": ")", "[": "]", "{": "}"}
_STOP = set(",;)]}&\n\r'\"")


def _value_end(text: str, start: int) -> int:
    """Where the value written at `start` ends: a quoted string (its quotes maybe escaped), a
    bracketed repr (optionally after a name, `Member(...)`), or a bare run up to a delimiter."""
    n = len(text)
    if start >= n:
        return start
    first = text[start]
    if first == "\\":  # a quote escaped (JSON in JSON, protobuf text): \'...\', \\\"...\\\"
        j = start
        while j < n and text[j] == "\\":
            j += 1
        if j < n and text[j] in "'\"":
            closing = text.find(text[start : j + 1], j + 1)
            if closing != -1:
                return closing + j + 1 - start
    if first in "'\"":
        i = start + 1
        while i < n and text[i] != first:
            i += 2 if text[i] == "\\" else 1
        return min(i + 1, n)
    i = start
    while i < n and (text[i].isalnum() or text[i] in "._"):
        i += 1
    if i < n and text[i] in _OPENERS:
        return _bracket_end(text, i)
    while i < n and text[i] not in _STOP:
        i += 1
    return i


def _bracket_end(text: str, start: int) -> int:
    depth: list[str] = []
    i, n = start, len(text)
    while i < n:
        ch = text[i]
        if ch in "'\"":
            i = _value_end(text, i)
            continue
        if ch in _OPENERS:
            depth.append(_OPENERS[ch])
        elif depth and ch == depth[-1]:
            depth.pop()
            if not depth:
                return i + 1
        i += 1
    return n  # unbalanced (a truncated repr): the rest is the value


@lru_cache(maxsize=4096)
def scrub_text(text: str) -> str:
    """Mask PHI fragments inside one string (see the module docstring for what is found).
    Cached: log lines repeat the same short values (task queues, types, statuses)."""
    if "input_value=" in text:
        text = _INPUT_VALUE.sub(f"input_value={REDACTED}", text)
    if ("=" in text or ":" in text) and any(w in text.lower() for w in _KEY_WORDS):
        text = _mask_key_values(text)
    if _DIGITS.search(text):
        text = _NUMERIC.sub(REDACTED, text)
        if " " in text:
            text = _WORDY_DATE.sub(REDACTED, text)
    if "@" in text:
        text = _EMAIL.sub(REDACTED, text)
    return text


def _mask_key_values(text: str) -> str:
    out: list[str] = []
    pos = 0
    for match in _KEY_VALUE.finditer(text):
        if match.start() < pos:
            continue  # inside a value already masked
        end = _value_end(text, match.end())
        out.append(text[pos : match.end()])
        out.append(REDACTED if end > match.end() else "")
        pos = end
    out.append(text[pos:])
    return "".join(out)


def redact_value(value: Any) -> Any:
    """Mask PHI in any value: mappings by key, sequences by item, strings by content."""
    if isinstance(value, str):
        return scrub_text(value)
    if value is None or isinstance(value, bool | int | float | date):  # datetime is a date
        return value
    if isinstance(value, dict | Mapping):
        return {k: (REDACTED if is_phi_key(k) else redact_value(v)) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [redact_value(v) for v in value]
    return scrub_text(str(value))  # a model, an exception: as the renderer would show it


def redact_phi(_: Any, __: str, event_dict: EventDict) -> EventDict:
    """structlog processor: mask PHI keys (at any depth) and PHI inside every string.

    Run it after `format_exc_info` so tracebacks and exception messages are text it can scan.
    """
    for key in list(event_dict):
        if key in _TRUSTED_KEYS or key.startswith("_"):
            continue
        if is_phi_key(key):
            event_dict[key] = REDACTED
        else:
            event_dict[key] = redact_value(event_dict[key])
    return event_dict
