"""Which cases a caller may see, as SQL: the one filter every case lookup and listing applies.

A `CaseScope` restricts by team, by payer, both or neither. `None` on an axis means "any";
an empty set means "none" (an integration key bound to no payer sees no case). The API decides
which scope a caller gets (`api.security.case_scope`); the store only applies it, in the WHERE
clause of listings (never by filtering a page afterwards) and in `require_case_in_scope`, which
answers "not found" for a case outside the scope, exactly as for a case that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import false
from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from store.errors import NotFoundError
from store.tables import CaseRow


@dataclass(frozen=True)
class CaseScope:
    """Cases of these teams (None: any team) and of these payers (None: any payer)."""

    teams: frozenset[str] | None = None
    payer_ids: frozenset[str] | None = None

    @property
    def unrestricted(self) -> bool:
        return self.teams is None and self.payer_ids is None

    def conditions(self) -> list[Any]:
        """WHERE conditions on `cases` (empty when unrestricted)."""
        found: list[Any] = []
        for column, allowed in ((CaseRow.team, self.teams), (CaseRow.payer_id, self.payer_ids)):
            if allowed is None:
                continue
            if not allowed:
                found.append(false())
            elif len(allowed) == 1:
                found.append(column == next(iter(allowed)))
            else:
                found.append(col(column).in_(sorted(allowed)))
        return found

    def admits(self, row: CaseRow) -> bool:
        return (self.teams is None or row.team in self.teams) and (
            self.payer_ids is None or row.payer_id in self.payer_ids
        )


EVERY_CASE = CaseScope()


def require_case_in_scope(session: Session, case_id: str, scope: CaseScope) -> CaseRow:
    """The case row without its request (no PHI is loaded); `NotFoundError` when there is no
    such case or it lies outside `scope`."""
    row = session.exec(
        select(CaseRow)
        .options(defer(CaseRow.request))  # type: ignore[arg-type]
        .where(CaseRow.case_id == case_id)
    ).first()
    if row is None or not scope.admits(row):
        raise NotFoundError("case", case_id)
    return row
