"""Payer performance: how each payer answered the provider's own requests, per period.

The figures mirror what CMS-0057-F makes payers publish about prior authorization, measured
here independently from the cases in the store. No PHI: only counts and durations leave the
database. Every figure is computed in SQL (one statement for the figures, one for the denial
reasons), restricted by the caller's `CaseScope`, so the page stays fast at 100,000 cases.

Definitions (docs/web.md "Payer performance" repeats them):

- A **request** is a case, counted in the period (month or quarter, in the organization's time
  zone) in which it was received (`cases.received_at`, the start of the payer's clock).
- The **first final decision** of a case is its earliest payer decision (by `decided_at`) with at
  least one item approved, approved as modified, partially approved or denied (a pended,
  cancelled or unreadable answer is not a decision). A case with one is **decided**.
- **Approved**: its first final decision has no adverse item. **Denied**: it has one (an item
  denied or only partially approved, the adverse outcomes an appeal can answer).
- **Approved after appeal**: denied at first, then an appeal level of the case was decided
  overturned or partially overturned. These are a part of the denied.
- Shares of approved, denied and approved after appeal are of the decided requests.
- **Decision time**: from the request's receipt to its first final decision. Median and 90th
  percentile are nearest-rank percentiles of the decided requests (the value at rank
  ceil(p * n) of the n times in order), computed with window functions in SQL.
- **Decided after the clock**: the first final decision came after the due moment of the
  payer's decision deadline (`initial_decision`, its revision in force: an extension moves it).
  Its share is of the decided requests that had such a deadline.
- **Appeal rate**: denied requests with at least one appeal filed / denied requests.
- **Overturn rate**: appeal levels decided overturned or partially overturned / appeal levels
  decided (overturned, partially overturned or upheld).
- **Top denial reasons**: the reason codes of the adverse items of first final decisions,
  counted per payer over the whole range, each with the payer's text for it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Float, and_, case, cast, func, literal, select, text
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col

from store.records import Record
from store.scope import CaseScope
from store.tables import AppealRow, CaseRow, DeadlineRow, DecisionItemRow, DecisionRow

FINAL_OUTCOMES = ("approved", "approved_modified", "partially_approved", "denied")
ADVERSE_OUTCOMES = ("denied", "partially_approved")
APPEAL_DECIDED = ("overturned", "partially_overturned", "upheld")
APPEAL_OVERTURNED = ("overturned", "partially_overturned")
DECISION_CLOCK = "initial_decision"
ALL_PERIODS = "all"  # the label of a payer's figures over the whole range
MAX_PERIODS = 60
TOP_REASONS = 5
# Each step is computed once: SQLite would otherwise inline a CTE that is read more than once
# into every reader and run it per row of the outer query (seconds instead of milliseconds).
# `AS MATERIALIZED` is understood by SQLite 3.35+ and PostgreSQL 12+.
MATERIALIZED = "MATERIALIZED"


class PeriodKind(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"


@dataclass(frozen=True)
class Period:
    """One month or quarter: its label and its instants in UTC, [start, end)."""

    label: str
    start: datetime
    end: datetime


def periods(kind: PeriodKind, first: date, last: date, zone: str) -> list[Period]:
    """The months or quarters from the one holding `first` to the one holding `last`, clipped
    to [first, last] (whole local days in `zone`). ValueError if last < first or if there would
    be more than MAX_PERIODS."""
    if last < first:
        raise ValueError("the end of the range is before its start")
    tz = ZoneInfo(zone)
    step = 1 if kind == PeriodKind.MONTH else 3
    found: list[Period] = []
    year, month = first.year, first.month - (first.month - 1) % step
    while date(year, month, 1) <= last:
        nxt_year, nxt_month = (year, month + step) if month + step <= 12 else (year + 1, 1)
        begins = max(first, date(year, month, 1))
        ends = min(date.fromordinal(last.toordinal() + 1), date(nxt_year, nxt_month, 1))
        label = f"{year}-{month:02d}" if step == 1 else f"{year} Q{(month - 1) // 3 + 1}"
        found.append(Period(label, _instant(begins, tz), _instant(ends, tz)))
        if len(found) > MAX_PERIODS:
            raise ValueError(f"the range holds more than {MAX_PERIODS} {kind.value}s")
        year, month = nxt_year, nxt_month
    return found


def _instant(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


class DenialReason(Record):
    code: str | None
    text: str | None
    count: int


class PeriodFigures(Record):
    """One payer's figures over one period (or the whole range: `period` == "all")."""

    period: str
    requests: int
    decided: int
    approved: int
    denied: int
    approved_after_appeal: int
    median_hours: float | None
    p90_hours: float | None
    with_clock: int
    late: int
    appealed: int
    appeals_decided: int
    overturned: int

    @staticmethod
    def share(part: int, whole: int) -> float | None:
        return part / whole if whole else None

    @property
    def approved_share(self) -> float | None:
        return self.share(self.approved, self.decided)

    @property
    def denied_share(self) -> float | None:
        return self.share(self.denied, self.decided)

    @property
    def approved_after_appeal_share(self) -> float | None:
        return self.share(self.approved_after_appeal, self.decided)

    @property
    def late_share(self) -> float | None:
        return self.share(self.late, self.with_clock)

    @property
    def appeal_rate(self) -> float | None:
        return self.share(self.appealed, self.denied)

    @property
    def overturn_rate(self) -> float | None:
        return self.share(self.overturned, self.appeals_decided)


class PayerPerformance(Record):
    payer_id: str
    payer_name: str
    total: PeriodFigures
    periods: list[PeriodFigures]
    denial_reasons: list[DenialReason]


def payer_performance(
    session: Session,
    *,
    kind: PeriodKind,
    first: date,
    last: date,
    zone: str,
    scope: CaseScope,
    payer_id: str | None = None,
) -> list[PayerPerformance]:
    """Every payer with a request in [first, last] (local days in `zone`) the scope admits, by
    payer id; each with its figures per period (every period of the range, empty ones too), over
    the whole range, and its top denial reasons."""
    chosen = periods(kind, first, last, zone)
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        # The planner's row estimates for joined CTEs are far off (billions), which would make
        # it JIT-compile the statement: over a second, for a query that runs in a fraction.
        session.execute(text("SET LOCAL jit = off"))
        # Its sorts (one row per request) then stay in memory instead of spilling to disk.
        session.execute(text("SET LOCAL work_mem = '64MB'"))
    scoped = _scoped_cases(chosen, scope, payer_id)
    finals = _first_final_decisions(scoped)
    per_case = _per_case(scoped, finals, dialect)
    found: dict[str, dict[str, PeriodFigures]] = {}
    overall: dict[str, dict[str, float]] = {}
    for row in session.execute(_figures(per_case)).mappings():
        payer = row["payer_id"]
        found.setdefault(payer, {})[row["period"]] = _period_figures(row)
        # The whole range's percentiles are in the one row holding that rank.
        for name in ("median_all", "p90_all"):
            if row[name] is not None:
                overall.setdefault(payer, {})[name] = row[name]
    reasons = _denial_reasons(session, finals)
    names = _payer_names(session, found)
    return [
        PayerPerformance(
            payer_id=payer,
            payer_name=names[payer],
            total=_total(by_period.values(), overall.get(payer, {})),
            periods=[by_period.get(p.label) or _empty(p.label) for p in chosen],
            denial_reasons=reasons.get(payer, [])[:TOP_REASONS],
        )
        for payer, by_period in sorted(found.items())
    ]


def _scoped_cases(chosen: Sequence[Period], scope: CaseScope, payer_id: str | None) -> Any:
    received = col(CaseRow.received_at)
    period = case(*[(received < p.end, literal(p.label)) for p in chosen], else_=None)
    conditions = [received >= chosen[0].start, received < chosen[-1].end, *scope.conditions()]
    if payer_id:
        conditions.append(col(CaseRow.payer_id) == payer_id)
    return (
        select(
            col(CaseRow.case_id).label("case_id"),
            col(CaseRow.payer_id).label("payer_id"),
            received.label("received_at"),
            period.label("period"),
        )
        .where(*conditions)
        .cte("scoped")
        .prefix_with(MATERIALIZED)
    )


def _first_final_decisions(scoped: Any) -> Any:
    """Per case in scope, its decisions with a final item, ranked by when they were made
    (rank 1 is the first final decision), and whether each has an adverse item."""
    decision = DecisionRow.__table__.c  # type: ignore[attr-defined]
    item = DecisionItemRow.__table__.c  # type: ignore[attr-defined]
    adverse = func.max(case((item.outcome.in_(ADVERSE_OUTCOMES), 1), else_=0))
    rank = func.row_number().over(
        partition_by=decision.case_id, order_by=(decision.decided_at, decision.id)
    )
    return (
        select(
            decision.case_id,
            scoped.c.payer_id,
            decision.id.label("decision_pk"),
            decision.decided_at,
            adverse.label("adverse"),
            rank.label("ordinal"),
        )
        .join_from(DecisionRow.__table__, scoped, scoped.c.case_id == decision.case_id)  # type: ignore[attr-defined]
        .join(DecisionItemRow.__table__, item.decision_pk == decision.id)  # type: ignore[attr-defined]
        .where(item.outcome.in_(FINAL_OUTCOMES))
        .group_by(decision.case_id, scoped.c.payer_id, decision.id, decision.decided_at)
        .cte("finals")
        .prefix_with(MATERIALIZED)
    )


def _seconds_between(later: Any, earlier: Any, dialect: str) -> ColumnElement[Any]:
    if dialect == "postgresql":
        return cast(func.extract("epoch", later - earlier), Float)
    # SQLite keeps instants as ISO text in UTC (store.types.UTCDateTime).
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


def _per_case(scoped: Any, finals: Any, dialect: str) -> Any:
    """One row per request in scope: its payer, period and what happened to it (0/1 flags)."""
    deadline = DeadlineRow.__table__.c  # type: ignore[attr-defined]
    clock = (
        select(deadline.case_id, func.min(deadline.due_at).label("due_at"))
        .join_from(DeadlineRow.__table__, scoped, scoped.c.case_id == deadline.case_id)  # type: ignore[attr-defined]
        .where(deadline.key == DECISION_CLOCK, deadline.superseded.is_(False))
        .group_by(deadline.case_id)
        .cte("clock")
        .prefix_with(MATERIALIZED)
    )
    appeal = AppealRow.__table__.c  # type: ignore[attr-defined]
    appeals = (
        select(
            appeal.case_id,
            func.count(appeal.filed_at).label("filed"),
            func.sum(case((appeal.status.in_(APPEAL_DECIDED), 1), else_=0)).label("decided"),
            func.sum(case((appeal.status.in_(APPEAL_OVERTURNED), 1), else_=0)).label("won"),
        )
        .join_from(AppealRow.__table__, scoped, scoped.c.case_id == appeal.case_id)  # type: ignore[attr-defined]
        .group_by(appeal.case_id)
        .cte("appeal_counts")
        .prefix_with(MATERIALIZED)
    )
    decided = finals.c.case_id.is_not(None)
    denied = and_(decided, finals.c.adverse == 1)
    return (
        select(
            scoped.c.payer_id,
            scoped.c.period,
            case((decided, 1), else_=0).label("decided"),
            case((denied, 1), else_=0).label("denied"),
            case((and_(denied, appeals.c.won > 0), 1), else_=0).label("after_appeal"),
            case((and_(denied, appeals.c.filed > 0), 1), else_=0).label("appealed"),
            case((and_(decided, clock.c.due_at.is_not(None)), 1), else_=0).label("with_clock"),
            case((finals.c.decided_at > clock.c.due_at, 1), else_=0).label("late"),
            func.coalesce(appeals.c.decided, 0).label("appeals_decided"),
            func.coalesce(appeals.c.won, 0).label("overturned"),
            _seconds_between(finals.c.decided_at, scoped.c.received_at, dialect).label("wait"),
        )
        .select_from(scoped)
        .outerjoin(finals, and_(finals.c.case_id == scoped.c.case_id, finals.c.ordinal == 1))
        .outerjoin(clock, clock.c.case_id == scoped.c.case_id)
        .outerjoin(appeals, appeals.c.case_id == scoped.c.case_id)
        .cte("per_case")
        .prefix_with(MATERIALIZED)
    )


def _figures(per_case: Any) -> Any:
    """The sums per payer and period, with the median and 90th percentile decision time picked
    by rank among the decided requests of the period, and of the whole range (one pass)."""
    c = per_case.c
    in_period = [c.payer_id, c.decided, c.period]
    in_range = [c.payer_id, c.decided]
    ranked = select(
        c,
        func.row_number().over(partition_by=in_period, order_by=c.wait).label("ordinal"),
        func.count().over(partition_by=in_period).label("n"),
        func.row_number().over(partition_by=in_range, order_by=c.wait).label("ordinal_all"),
        func.count().over(partition_by=in_range).label("n_all"),
    ).subquery()
    r = ranked.c

    def at_rank(ordinal: Any, n: Any, tenths: int) -> Any:
        # Nearest rank ceil(p * n), in integer arithmetic the same on SQLite and PostgreSQL.
        rank = (tenths * n + 9) // 10
        return func.max(case((and_(r.decided == 1, ordinal == rank), r.wait)))

    return select(
        r.payer_id,
        r.period,
        func.count().label("requests"),
        func.sum(r.decided).label("decided"),
        func.sum(r.denied).label("denied"),
        func.sum(r.after_appeal).label("approved_after_appeal"),
        func.sum(r.appealed).label("appealed"),
        func.sum(r.with_clock).label("with_clock"),
        func.sum(r.late).label("late"),
        func.sum(r.appeals_decided).label("appeals_decided"),
        func.sum(r.overturned).label("overturned"),
        at_rank(r.ordinal, r.n, 5).label("median_seconds"),
        at_rank(r.ordinal, r.n, 9).label("p90_seconds"),
        at_rank(r.ordinal_all, r.n_all, 5).label("median_all"),
        at_rank(r.ordinal_all, r.n_all, 9).label("p90_all"),
    ).group_by(r.payer_id, r.period)


def _total(by_period: Iterable[PeriodFigures], percentiles: dict[str, float]) -> PeriodFigures:
    counted = ("requests", "decided", "approved", "denied", "approved_after_appeal",
               "with_clock", "late", "appealed", "appeals_decided", "overturned")  # fmt: skip
    figures = list(by_period)
    return PeriodFigures(
        period=ALL_PERIODS,
        median_hours=_hours(percentiles.get("median_all")),
        p90_hours=_hours(percentiles.get("p90_all")),
        **{name: sum(getattr(f, name) for f in figures) for name in counted},
    )


def _hours(seconds: Any) -> float | None:
    return None if seconds is None else round(float(seconds) / 3600, 2)


def _period_figures(row: Any) -> PeriodFigures:
    decided, denied = int(row["decided"] or 0), int(row["denied"] or 0)
    return PeriodFigures(
        period=row["period"],
        requests=int(row["requests"]),
        decided=decided,
        approved=decided - denied,
        denied=denied,
        approved_after_appeal=int(row["approved_after_appeal"] or 0),
        median_hours=_hours(row["median_seconds"]),
        p90_hours=_hours(row["p90_seconds"]),
        with_clock=int(row["with_clock"] or 0),
        late=int(row["late"] or 0),
        appealed=int(row["appealed"] or 0),
        appeals_decided=int(row["appeals_decided"] or 0),
        overturned=int(row["overturned"] or 0),
    )


def _empty(label: str) -> PeriodFigures:
    return PeriodFigures(
        period=label, requests=0, decided=0, approved=0, denied=0, approved_after_appeal=0,
        median_hours=None, p90_hours=None, with_clock=0, late=0, appealed=0,
        appeals_decided=0, overturned=0,
    )  # fmt: skip


def _payer_names(session: Session, payer_ids: Iterable[str]) -> dict[str, str]:
    """The name of each payer as its latest case gives it: one index seek per payer (the
    statement above reads only indexed columns of `cases`, never its wide rows)."""
    found = {}
    for payer in payer_ids:
        name = session.execute(
            select(CaseRow.payer_name)  # type: ignore[call-overload]
            .where(col(CaseRow.payer_id) == payer)
            .order_by(col(CaseRow.received_at).desc())
            .limit(1)
        ).scalar()
        found[payer] = name or payer
    return found


def _denial_reasons(session: Session, finals: Any) -> dict[str, list[DenialReason]]:
    item = DecisionItemRow.__table__.c  # type: ignore[attr-defined]
    count = func.count().label("count")
    statement = (
        select(finals.c.payer_id, item.reason_code, func.max(item.reason_text), count)
        .select_from(finals)
        .join(DecisionItemRow.__table__, item.decision_pk == finals.c.decision_pk)  # type: ignore[attr-defined]
        .where(finals.c.ordinal == 1, item.outcome.in_(ADVERSE_OUTCOMES))
        .group_by(finals.c.payer_id, item.reason_code)
        .order_by(finals.c.payer_id, count.desc(), item.reason_code)
    )
    found: dict[str, list[DenialReason]] = {}
    for payer, code, wording, n in session.execute(statement):
        found.setdefault(payer, []).append(DenialReason(code=code, text=wording, count=int(n)))
    return found
