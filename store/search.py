"""Indexed case search: case number and member id by prefix, patient name by a normalised key.

`cases.member_key` and `cases.name_key` are written by `store.cases.create_case` (and filled for
older cases by revision 0006) from the request's member: the member id upper-cased without
blanks, and "last first" lower-cased, accents and punctuation removed. A search term is
normalised the same way and matched as a prefix, which an ordinary B-tree index answers
(`GLOB 'x*'` on SQLite, `LIKE 'x%'` on a `varchar_pattern_ops` index on PostgreSQL), so a
search reads only the matching index entries however many cases the store holds.

Both keys are PHI: they never leave the store (no listing returns them, no error names them),
and the API takes these search terms in a request body, not in the URL.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from sqlalchemy import false, or_
from sqlalchemy.orm import InstrumentedAttribute
from sqlmodel import Session, col, select

from domain import limits
from store.tables import NAME_KEY, CaseRow

_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_APOSTROPHES = re.compile(r"['\u2019\u02bc`]")
_GLOB_SPECIAL = re.compile(r"([*?\[\]])")
_CASE_NUMBER_PREFIX = "PA-"
_MAX_YEARS = 100


def name_key(last_name: str, first_name: str = "") -> str:
    """ "last first", lower-case ASCII letters and digits separated by single blanks."""
    return normalise_name(f"{last_name} {first_name}")[:NAME_KEY]


def normalise_name(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_only = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return _NOT_ALNUM.sub(" ", _APOSTROPHES.sub("", ascii_only)).strip()


def member_key(member_id: str) -> str:
    """The member id upper-cased without blanks."""
    return "".join(member_id.split()).upper()[: limits.SHORT_TEXT]


def name_condition(dialect: str, term: str) -> Any:
    """Cases whose patient name key starts with the normalised `term` ("smith", "smith jo",
    "Smith, John"); a term with no letter or digit matches nothing."""
    key = normalise_name(term)
    return prefix(dialect, CaseRow.name_key, key) if key else false()


def member_condition(dialect: str, term: str) -> Any:
    key = member_key(term)
    return prefix(dialect, CaseRow.member_key, key) if key else false()


def case_number_condition(session: Session, dialect: str, term: str) -> Any:
    """Case numbers starting with `term` (upper-cased). "2026-0001" also finds
    "PA-2026-0001…", and digits alone ("000123") the serial part of each year's numbers."""
    wanted = term.strip().upper()
    if not wanted:
        return false()
    prefixes = [wanted]
    if not wanted.startswith(_CASE_NUMBER_PREFIX):
        prefixes.append(_CASE_NUMBER_PREFIX + wanted)
    if wanted.isdigit():
        prefixes += [f"{_CASE_NUMBER_PREFIX}{year}-{wanted}" for year in _years(session)]
    return or_(*(prefix(dialect, CaseRow.case_number, p) for p in prefixes))


def _years(session: Session) -> list[int]:
    """The years that case numbers `PA-YYYY-…` carry, one index seek per year (a skip scan of
    the case-number index: the first number of a year, then the first of any later year)."""
    years: list[int] = []
    start = _CASE_NUMBER_PREFIX
    for _ in range(_MAX_YEARS):
        number = session.exec(
            select(CaseRow.case_number)
            .where(col(CaseRow.case_number) >= start, col(CaseRow.case_number) < "PA.")
            .order_by(col(CaseRow.case_number))
            .limit(1)
        ).first()
        year = number[3:7] if number else ""
        if not year.isdigit():
            break
        years.append(int(year))
        start = f"{_CASE_NUMBER_PREFIX}{int(year) + 1:04d}"
    return years


def prefix(dialect: str, column: InstrumentedAttribute[Any] | Any, start: str) -> Any:
    """`column` starts with `start`, written so the column's B-tree index answers it."""
    if dialect == "sqlite":
        # GLOB is case-sensitive, so SQLite reads it as a range of the (BINARY) index; LIKE
        # is case-insensitive there and would scan.
        return col(column).op("GLOB")(_GLOB_SPECIAL.sub(r"[\1]", start) + "*")
    escaped = start.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return col(column).like(escaped + "%")
