"""What a work list shows of each case beyond its summary: the patient, the service and the
running clock that comes due next (whose clock it is, its rule). PHI (the patient's name).

Read for one page of cases at a time, by case id, in two indexed queries: the listing itself
stays the keyset query of `store.queries`; this only decorates its rows.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from sqlmodel import Session, col, select

from store.records import NextClock, WorkRowFacts
from store.tables import CaseRow, DeadlineRow


def work_row_facts(session: Session, case_ids: Collection[str]) -> dict[str, WorkRowFacts]:
    if not case_ids:
        return {}
    ids = list(dict.fromkeys(case_ids))
    requests = session.exec(
        select(CaseRow.case_id, CaseRow.request).where(col(CaseRow.case_id).in_(ids))
    ).all()
    clocks = _next_clocks(session, ids)
    return {
        case_id: WorkRowFacts(
            patient=_patient(request),
            member_id=str(request.get("member", {}).get("member_id", "")),
            service=_service(request),
            next_clock=clocks.get(case_id),
        )
        for case_id, request in requests
    }


def _next_clocks(session: Session, case_ids: list[str]) -> dict[str, NextClock]:
    rows = session.exec(
        select(DeadlineRow)
        .where(
            col(DeadlineRow.case_id).in_(case_ids),
            col(DeadlineRow.met_at).is_(None),
            col(DeadlineRow.superseded).is_(False),
        )
        .order_by(col(DeadlineRow.case_id), col(DeadlineRow.due_at))
    ).all()
    found: dict[str, NextClock] = {}
    for row in rows:
        found.setdefault(row.case_id, next_clock(row))
    return found


def _patient(request: Mapping[str, Any]) -> str:
    member = request.get("member", {})
    return f"{member.get('last_name', '')}, {member.get('first_name', '')}".strip(", ")


def _service(request: Mapping[str, Any]) -> str:
    lines = request.get("service_lines", [])
    if not lines:
        return ""
    first = lines[0]
    text = f"{first.get('code', '')} {first.get('description', '')}".strip()
    return f"{text} (+{len(lines) - 1} more)" if len(lines) > 1 else text


def next_clock(row: DeadlineRow) -> NextClock:
    """What a list row shows of a running deadline."""
    return NextClock(
        key=row.key,
        label=row.label,
        obligor=row.obligor,
        due_at=row.due_at,
        starts_at=row.starts_at,
        rule_id=row.rule_id,
    )
