"""Case listings for the API and the UR pages: filters, sorting, keyset pages, capped counts.

Every view filters on what leads one of the `cases` indexes and reads it in the listing's
order (`store.tables`: most urgent first is `(next_due_at, received_at, case_id)`, newest first
`(received_at, case_id)`, each also behind `team`, `status`, `assignee`, `payer_id`, `regime`,
and partial indexes over open cases only). A page is read after the cursor's sort key
(`store.keyset`), the count stops at `COUNT_CAP`, and the search terms are prefixes of indexed
keys (`store.search`); so a page costs about the same at 10,000 cases as at 1,000,000.
`docs/store.md` ("Listing at scale") shows each view's plan.

The functions are the API's and any page's (a web workspace's "My work", "Escalations"): call
them with the caller's `CaseScope`, which every listing applies in SQL.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import literal_column, text
from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from store import cursor as cursors
from store._base import check_page
from store.cases import case_summary
from store.keyset import COUNT_CAP, Order, count_up_to, page_after
from store.records import CaseFilter, CasePage, CaseSort, CaseState
from store.scope import EVERY_CASE, CaseScope
from store.search import case_number_condition, member_condition, name_condition
from store.tables import OPEN_CASE, CaseRow, ServiceLineRow
from store.types import require_aware

DUE = Order(
    (col(CaseRow.next_due_at), col(CaseRow.received_at), col(CaseRow.case_id)),
    first_nulls_last=True,
)
NEWEST = Order((col(CaseRow.received_at), col(CaseRow.case_id)), descending=True)
_KINDS: dict[CaseSort, tuple[type, ...]] = {
    CaseSort.DUE: (datetime, datetime, str),
    CaseSort.NEWEST: (datetime, str),
}
# The same predicate as the partial indexes' (store.tables.OPEN_CASE), qualified for joins.
OPEN = text(f"cases.{OPEN_CASE}")
CLOSED = text("cases.status IN ('closed', 'withdrawn')")
# Listings never read PHI: the request and the search keys stay in the database.
_NO_PHI = (
    defer(CaseRow.request),  # type: ignore[arg-type]
    defer(CaseRow.member_key),  # type: ignore[arg-type]
    defer(CaseRow.name_key),  # type: ignore[arg-type]
)


def list_cases(
    *,
    session: Session,
    filters: CaseFilter | None = None,
    limit: int = 50,
    offset: int = 0,
    cursor: str | None = None,
    scope: CaseScope = EVERY_CASE,
    count_cap: int | None = COUNT_CAP,
) -> CasePage:
    """One page of case summaries matching every given filter, the cursor of the next page,
    and how many match in all (up to `count_cap`; None counts them all).

    Only cases within `scope` (the caller's teams or payer) are counted and listed. Page with
    `cursor` (the previous page's `next_cursor`); `offset` is kept for small skips and cannot
    be combined with a cursor. A cursor that is not this listing's raises
    `store.cursor.BadCursorError`."""
    check_page(limit, offset)
    filters = filters or CaseFilter()
    if cursor is not None and offset:
        raise cursors.BadCursorError("cursor: give either a cursor or an offset, not both")
    listing = listing_of(filters)
    searched = _search_order(filters)
    if searched is not None:
        order = searched
        after = None if cursor is None else _search_key(session, order, cursor, listing)
    else:
        order = NEWEST if filters.sort == CaseSort.NEWEST else DUE
        after = None if cursor is None else cursors.decode(cursor, listing, _KINDS[filters.sort])
    dialect = session.get_bind().dialect.name
    conditions = [*scope.conditions(), *_conditions(session, dialect, filters)]
    total, capped = count_up_to(
        session,
        select(literal_column("1")).select_from(CaseRow).where(*conditions),
        count_cap,
        order,
        selective=searched is not None,
    )
    query = select(CaseRow).options(*_NO_PHI).where(*conditions)
    if offset:
        statement = query.order_by(*order.clauses()).offset(offset).limit(limit + 1)
        rows: list[CaseRow] = list(session.exec(statement).all())
    else:
        rows = page_after(session, query, order, after, limit + 1)
    following = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        key: list[cursors.KeyValue] = (
            [last.case_id] if searched is not None else _key(last, filters.sort)
        )
        following = cursors.encode(listing, key)
    return CasePage(
        items=[case_summary(row) for row in rows],
        total=total,
        total_capped=capped,
        limit=limit,
        offset=offset,
        next_cursor=following,
    )


def listing_of(filters: CaseFilter) -> str:
    """The fingerprint a cursor of this listing carries. The overdue moment moves with the
    clock between pages and is left out (the sort key alone says where to go on), and so are
    the PHI search terms (only whether they are given)."""
    settings = filters.model_dump(
        mode="json", exclude={"overdue_as_of", "member_id", "patient_name"}
    )
    settings["overdue"] = filters.overdue_as_of is not None
    settings["member_id"] = bool(filters.member_id)
    settings["patient_name"] = bool(filters.patient_name)
    return cursors.fingerprint("cases", settings)


def _search_order(filters: CaseFilter) -> Order | None:
    """A search lists its matches in the order of the key searched (the case number, member
    key or name key, then the case id): the order of the index that finds them, so a page
    reads its own entries only however many cases match."""
    if filters.search:
        return Order((col(CaseRow.case_number),))
    if filters.member_id:
        return Order((col(CaseRow.member_key), col(CaseRow.case_id)))
    if filters.patient_name:
        return Order((col(CaseRow.name_key), col(CaseRow.case_id)))
    return None


def _search_key(session: Session, order: Order, cursor: str, listing: str) -> list[Any]:
    """The sort key after which a search's next page starts. Its cursor holds only the last
    case's id (the keys are PHI); the key is read back from that case."""
    (case_id,) = cursors.decode(cursor, listing, (str,))
    found = session.exec(select(*order.columns).where(CaseRow.case_id == case_id)).first()
    if found is None:
        raise cursors.BadCursorError("cursor: not a cursor of this listing")
    return [found] if len(order.columns) == 1 else list(found)


def _key(row: CaseRow, sort: CaseSort) -> list[cursors.KeyValue]:
    if sort == CaseSort.NEWEST:
        return [row.received_at, row.case_id]
    return [row.next_due_at, row.received_at, row.case_id]


def _conditions(session: Session, dialect: str, filters: CaseFilter) -> list[Any]:
    conditions: list[Any] = []
    if filters.state == CaseState.OPEN:
        conditions.append(OPEN)
    elif filters.state == CaseState.CLOSED:
        conditions.append(CLOSED)
    if filters.status:
        conditions.append(col(CaseRow.status).in_([s.value for s in filters.status]))
    if filters.assignee is not None:
        conditions.append(CaseRow.assignee == filters.assignee)
    if filters.unassigned:
        conditions.append(col(CaseRow.assignee).is_(None))
    if filters.payer_id is not None:
        conditions.append(CaseRow.payer_id == filters.payer_id)
    if filters.regime is not None:
        conditions.append(CaseRow.regime == filters.regime.value)
    if filters.due_before is not None:
        conditions.append(col(CaseRow.next_due_at) < require_aware(filters.due_before))
    if filters.overdue_as_of is not None:
        conditions.append(col(CaseRow.next_due_at) < require_aware(filters.overdue_as_of))
        if filters.state != CaseState.OPEN:
            conditions.append(OPEN)
    if filters.search:
        conditions.append(case_number_condition(session, dialect, filters.search))
    if filters.member_id:
        conditions.append(member_condition(dialect, filters.member_id))
    if filters.patient_name:
        conditions.append(name_condition(dialect, filters.patient_name))
    if filters.service_code:
        lines = select(ServiceLineRow.case_id).where(
            ServiceLineRow.code == filters.service_code.strip().upper()
        )
        conditions.append(col(CaseRow.case_id).in_(lines))
    return conditions
