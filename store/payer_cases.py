"""Find the case a payer's message is about, among that payer's cases only, by index.

The identifiers a payer echoes, in the order tried: our case id (`urn:priorauth:case|<id>`,
the primary key), our case number (unique), the request's external reference / trace number
(index on payer_id, external_reference) and the payer's own pre-auth reference (index on
payer_decisions.payer_reference). Never a member id, never a scan of stored requests.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import true
from sqlmodel import Session, col, select

from store.tables import CaseRow, DecisionRow

# A message names a handful of identifiers; more than this is not a real message.
MAX_VALUES = 20


def _bounded(values: Collection[str]) -> list[str]:
    return sorted({v for v in values if v and len(v) <= 255})[:MAX_VALUES]


def find_payer_case(
    *,
    session: Session,
    payer_id: str | None,
    case_ids: Collection[str] = (),
    references: Collection[str] = (),
    pre_auth_refs: Collection[str] = (),
) -> str | None:
    """The id of `payer_id`'s case named by one of the identifiers, or None.

    `payer_id` None searches every payer's cases: only for the sandbox payer in dev and test.

    `case_ids` are values under our case identifier system; `references` any other echoed
    identifier value (tried as a case id, a case number and an external reference);
    `pre_auth_refs` the payer's own reference for the request.
    """
    ids = _bounded([*case_ids, *references])
    others = _bounded(references)
    owned = CaseRow.payer_id == payer_id if payer_id is not None else true()
    queries = [
        select(CaseRow.case_id).where(owned, col(CaseRow.case_id).in_(ids)) if ids else None,
        select(CaseRow.case_id).where(owned, col(CaseRow.case_number).in_(others))
        if others
        else None,
        select(CaseRow.case_id).where(owned, col(CaseRow.external_reference).in_(others))
        if others
        else None,
    ]
    refs = _bounded(pre_auth_refs)
    if refs:
        queries.append(
            select(DecisionRow.case_id)
            .join(CaseRow, col(CaseRow.case_id) == col(DecisionRow.case_id))
            .where(owned, col(DecisionRow.payer_reference).in_(refs))
        )
    for query in queries:
        if query is None:
            continue
        found = set(session.exec(query.distinct().limit(2)).all())
        if len(found) > 1:
            return None  # ambiguous: two of the payer's cases share the identifier
        if found:
            return found.pop()
    return None


def find_case_by_number(*, session: Session, payer_id: str | None, case_number: str) -> str | None:
    return find_payer_case(session=session, payer_id=payer_id, references=[case_number.strip()])
