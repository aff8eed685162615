"""Keyset paging and capped counts, shared by the case and the task listings.

A page is "the next `size` rows after this sort key", read from an index in the listing's
order: its cost does not grow with the rows before it, as OFFSET's does. Sort keys that may be
NULL (a case with no due moment, a task without a due date) sort last: such a page is read in
two index ranges, the rows with a key first, then the rows without, each in index order.

Counts stop at a cap (`count_up_to`): "1,000+" costs at most 1,001 index entries, not a scan of
every matching row on every page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, func, text, tuple_
from sqlmodel import Session, select

from store.cursor import KeyValue

COUNT_CAP = 1000


@dataclass(frozen=True)
class Order:
    """Sort columns, all ascending or all descending; with `first_nulls_last`, the first may be
    NULL and such rows come after every row that has it (ascending orders only)."""

    columns: tuple[Any, ...]
    descending: bool = False
    first_nulls_last: bool = False

    def clauses(self) -> list[Any]:
        """ORDER BY for a plain (OFFSET) query of the same order."""
        if self.descending:
            return [column.desc() for column in self.columns]
        first, *rest = self.columns
        return [first.asc().nulls_last() if self.first_nulls_last else first, *rest]


def count_up_to(
    session: Session,
    matching: Any,
    cap: int | None,
    order: Order | None = None,
    *,
    selective: bool = False,
) -> tuple[int, bool]:
    """How many rows `matching` selects, counted up to `cap` (None: all of them); and whether
    the count stopped there (there are at least that many).

    With `order` (the listing's), the capped count reads the rows in the listing's index order
    on PostgreSQL, as its pages do: it would otherwise pick bitmap scans for a LIMITed count,
    which read every entry of the team's or payer's index however early the cap is reached. A
    `selective` filter (a search prefix) keeps bitmap scans: they combine its few index
    entries, where walking the listing's order would read on until the cap."""
    if cap is None:
        return session.exec(select_count(matching)).one(), False
    postgres = session.get_bind().dialect.name == "postgresql" and not selective
    if postgres and order is not None:
        # Each column ascending (or each descending): the index's own order (NULLs last).
        # SQLite is left free to count from whichever index holds the filtered columns.
        columns = order.columns
        matching = matching.order_by(*(c.desc() if order.descending else c for c in columns))
    if postgres:
        # A bitmap scan reads its whole index range before the first row, so it cannot stop at
        # the cap; PostgreSQL's cost model still prefers it for a LIMIT in the thousands (and
        # reads every case of the caller's teams). Without it, the count walks the listing's
        # index and stops at cap + 1 rows. For this statement only (SET LOCAL, then RESET).
        session.connection().execute(text("SET LOCAL enable_bitmapscan = off"))
    try:
        found = session.exec(select_count(matching.limit(cap + 1))).one()
    finally:
        if postgres:
            session.connection().execute(text("RESET enable_bitmapscan"))
    return min(found, cap), found > cap


def select_count(matching: Any) -> Any:
    return select(func.count()).select_from(matching.subquery())


def page_after(
    session: Session, query: Any, order: Order, after: Sequence[KeyValue] | None, size: int
) -> list[Any]:
    """Up to `size` rows of `query` (filtered, not ordered) that sort after the key `after`
    (None: from the start), in `order`."""
    columns = order.columns
    if order.descending or not order.first_nulls_last:
        ranged = query if after is None else query.where(_beyond(columns, after, order.descending))
        ordered = [c.desc() for c in columns] if order.descending else list(columns)
        return list(session.exec(ranged.order_by(*ordered).limit(size)).all())
    first, rest = columns[0], columns[1:]
    rows: list[Any] = []
    if after is None or after[0] is not None:
        with_key = query.where(first.is_not(None))
        if after is not None:
            with_key = with_key.where(_beyond(columns, after, False))
        rows = list(session.exec(with_key.order_by(*columns).limit(size)).all())
        if len(rows) >= size:
            return rows
    without_key = query.where(first.is_(None))
    if after is not None and after[0] is None:
        without_key = without_key.where(_beyond(rest, after[1:], False))
    # Ordered by every column, the (NULL) first one too: the order of the index that holds
    # them, so the planner reads that index from the cursor on instead of another in its order.
    rows += session.exec(without_key.order_by(*columns).limit(size - len(rows))).all()
    return rows


def _beyond(
    columns: Sequence[Any], key: Sequence[KeyValue], descending: bool
) -> ColumnElement[bool]:
    """(columns) > key, or < for a descending order: a row-value comparison, which both SQLite
    and PostgreSQL read as one range of an index on those columns."""
    values = [
        bindparam(None, value, type_=column.type)
        for column, value in zip(columns, key, strict=True)
    ]
    if len(columns) == 1:
        single: ColumnElement[bool] = (
            columns[0] < values[0] if descending else columns[0] > values[0]
        )
        return single
    row: ColumnElement[bool] = (
        tuple_(*columns) < tuple_(*values) if descending else tuple_(*columns) > tuple_(*values)
    )
    # The first column's bound repeated on its own: a planner that does not take the row
    # comparison as an index bound (PostgreSQL behind an IS NULL) still starts at the cursor.
    first: ColumnElement[bool] = columns[0] <= values[0] if descending else columns[0] >= values[0]
    return and_(first, row)
