"""What the escalation list shows of each task's case: the case's summary (no PHI) and the
running clock the task is about (by the task's deadline key). The patient and service come
from `store.work_rows`, like My work's rows.

Read for one page of tasks at a time, by case id, in indexed queries (the unique
`(case_id, key, revision)` index of deadlines, the cases' primary key).
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from store.cases import case_summary
from store.records import CaseSummary, NextClock
from store.tables import CaseRow, DeadlineRow
from store.work_rows import next_clock


def case_summaries(session: Session, case_ids: Collection[str]) -> dict[str, CaseSummary]:
    if not case_ids:
        return {}
    rows = session.exec(
        select(CaseRow)
        .where(col(CaseRow.case_id).in_(sorted(set(case_ids))))
        .options(defer(CaseRow.request))  # type: ignore[arg-type]
    ).all()
    return {row.case_id: case_summary(row) for row in rows}


def running_clocks(
    session: Session, keys: Collection[tuple[str, str]]
) -> dict[tuple[str, str], NextClock]:
    """The current, unmet revision of each (case id, deadline key) that has one."""
    if not keys:
        return {}
    wanted = set(keys)
    rows = session.exec(
        select(DeadlineRow).where(
            col(DeadlineRow.case_id).in_(sorted({case_id for case_id, _ in wanted})),
            col(DeadlineRow.key).in_(sorted({key for _, key in wanted})),
            col(DeadlineRow.met_at).is_(None),
            col(DeadlineRow.superseded).is_(False),
        )
    ).all()
    return {
        (row.case_id, row.key): next_clock(row) for row in rows if (row.case_id, row.key) in wanted
    }
