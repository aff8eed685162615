"""Shared helpers of the repository modules: insert-once, case lookup, page bounds."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from store.errors import NotFoundError
from store.tables import CaseRow

T = TypeVar("T")
MAX_PAGE = 500
# Deepest OFFSET a listing serves: every skipped row is read, so deeper pages go by cursor
# (store.keyset), which reads only the page's own rows.
MAX_OFFSET = 10_000


def insert_once(
    session: Session, *, find: Callable[[], T | None], insert: Callable[[], T]
) -> tuple[T, bool]:
    """`find()`'s existing row, or the row `insert()` adds (and flushes). Returns (row, created).

    The insert runs in a SAVEPOINT: when a concurrent transaction inserted the same key first
    (PostgreSQL waits on the unique index, then raises), only the savepoint is rolled back, the
    caller's transaction stays usable and the winner's row is returned. Anything `insert` numbers
    (a case number) is rolled back with it.
    """
    existing = find()
    if existing is not None:
        return existing, False
    try:
        with session.begin_nested():
            row = insert()
            session.flush()
    except IntegrityError:
        existing = find()
        if existing is None:
            raise  # not a duplicate key: a foreign key or another constraint
        return existing, False
    return row, True


def require_case(session: Session, case_id: str) -> CaseRow:
    row = session.get(CaseRow, case_id)
    if row is None:
        raise NotFoundError("case", case_id)
    return row


def check_page(limit: int, offset: int) -> None:
    if not 1 <= limit <= MAX_PAGE:
        raise ValueError(f"limit must be between 1 and {MAX_PAGE}")
    if not 0 <= offset <= MAX_OFFSET:
        raise ValueError(f"offset must be between 0 and {MAX_OFFSET}; page deeper with the cursor")
