"""Payer performance: how each payer answered this provider's requests, per month or quarter,
as a table, SVG charts and a CSV export (definitions: store.payer_stats, docs/web.md).

Aggregates only, no PHI (so no PHI read is recorded), but signed-in only, and every figure
counts only the cases of the person's teams (`actor.scope`). The filters are not PHI and travel
in the query string, so the page and its CSV can be bookmarked.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from api import service
from api.deps import EngineDep
from api.web.sessions import SignedIn, WebUser
from api.web.svg_charts import Series, grouped_bars, stacked_bars
from api.web.templating import PAGE_HEADERS, render
from store.payer_stats import (
    MAX_PERIODS,
    PayerPerformance,
    PeriodFigures,
    PeriodKind,
    payer_performance,
    periods,
)

router = APIRouter(include_in_schema=False)
COLOURS = {"approved": "#1e6b34", "denied": "#a4161a", "after_appeal": "#0b5cad"}
TIME_COLOURS = {"median": "#0b5cad", "p90": "#8a3200"}


class PerformanceFilters(BaseModel):
    """The filter form: period kind, first and last day (inclusive), one payer or all."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    period: PeriodKind = PeriodKind.MONTH
    first: Annotated[date | None, Field(alias="from")] = None
    last: Annotated[date | None, Field(alias="to")] = None
    payer: Annotated[str, Field(max_length=60, pattern=r"^[A-Za-z0-9._-]*$")] = ""

    def query(self) -> str:
        """The filters as a query string (for the CSV link)."""
        values = {"period": self.period.value, "from": self.first, "to": self.last}
        return urlencode({k: v for k, v in {**values, "payer": self.payer}.items() if v})


def default_range(today: date) -> tuple[date, date]:
    """The last twelve months: from the first day of the month eleven months ago to today."""
    month = today.month - 11
    year = today.year + (month - 1) // 12
    return date(year, (month - 1) % 12 + 1, 1), today


def read_filters(request: Request, zone: str) -> tuple[PerformanceFilters, dict[str, str]]:
    """The filters as sent, defaults filled in, and the errors by field name (a bad field's
    default stands in for it, so the page still shows figures)."""
    sent = {key: value for key, value in request.query_params.items() if value}
    errors: dict[str, str] = {}
    try:
        filters = PerformanceFilters.model_validate(sent)
    except ValidationError as exc:
        for error in exc.errors():
            name = str(error["loc"][0]) if error["loc"] else "period"
            errors.setdefault(name, _message(name, error["msg"]))
        filters = PerformanceFilters.model_validate(
            {k: v for k, v in sent.items() if k not in errors}
        )
    first, last = default_range(datetime.now(ZoneInfo(zone)).date())
    filters = filters.model_copy(
        update={"first": filters.first or first, "last": filters.last or last}
    )
    assert filters.first is not None and filters.last is not None
    try:
        periods(filters.period, filters.first, filters.last, zone)
    except ValueError as exc:
        errors.setdefault("to", f"to: {exc}")
        filters = filters.model_copy(update={"first": first, "last": last})
    return filters, errors


def _message(name: str, message: str) -> str:
    if name == "payer":
        return "payer: a payer id has only letters, digits, '.', '_' or '-' (at most 60)"
    if name in ("from", "to"):
        return f"{name}: a date as YYYY-MM-DD"
    return f"{name}: {message}"


async def _figures(
    engine: Any, user: WebUser, filters: PerformanceFilters, zone: str
) -> list[PayerPerformance]:
    assert filters.first is not None and filters.last is not None
    first, last = filters.first, filters.last
    return await service.read(
        engine,
        lambda session: payer_performance(
            session,
            kind=filters.period,
            first=first,
            last=last,
            zone=zone,
            scope=user.actor.scope,
            payer_id=filters.payer or None,
        ),
    )


def charts(payer: PayerPerformance) -> dict[str, Any]:
    labels = [p.period for p in payer.periods]
    name = payer.payer_name
    outcomes = stacked_bars(
        f"{name}: decided requests per period by outcome",
        "Stacked bars: approved at first, denied (not overturned), approved after appeal. "
        "The table holds the figures.",
        labels,
        [
            Series("approved", COLOURS["approved"], [p.approved for p in payer.periods]),
            Series(
                "denied",
                COLOURS["denied"],
                [p.denied - p.approved_after_appeal for p in payer.periods],
            ),
            Series(
                "approved after appeal",
                COLOURS["after_appeal"],
                [p.approved_after_appeal for p in payer.periods],
            ),
        ],
        unit="requests",
    )
    times = grouped_bars(
        f"{name}: decision time per period, median and 90th percentile",
        "Bars in hours from receipt to the first final decision. The table holds the figures.",
        labels,
        [
            Series("median", TIME_COLOURS["median"], [p.median_hours for p in payer.periods]),
            Series("90th percentile", TIME_COLOURS["p90"], [p.p90_hours for p in payer.periods]),
        ],
        unit="hours",
    )
    return {"outcomes": outcomes, "times": times}


def _context(
    request: Request,
    filters: PerformanceFilters,
    errors: dict[str, str],
    payers: list[PayerPerformance],
) -> dict[str, Any]:
    shown = {"from": str(filters.first), "to": str(filters.last), "payer": filters.payer}
    if errors:  # the person's own values come back, beside the errors
        shown |= {name: request.query_params.get(name, "") for name in shown}
    return {
        "values": shown,
        "active": "performance",
        "filters": filters,
        "errors": errors,
        "payers": payers,
        "charts": {payer.payer_id: charts(payer) for payer in payers},
        "kinds": list(PeriodKind),
        "max_periods": MAX_PERIODS,
        "csv_href": "/payers/performance.csv?" + filters.query(),
    }


@router.get("/payers/performance")
async def performance_page(request: Request, engine: EngineDep, user: SignedIn) -> Response:
    zone = request.app.state.settings.organization.timezone
    filters, errors = read_filters(request, zone)
    payers = await _figures(engine, user, filters, zone)
    return render(
        request,
        "payer_performance.html",
        user,
        status_code=422 if errors else 200,
        **_context(request, filters, errors, payers),
    )


CSV_COLUMNS = [
    "payer_id", "payer_name", "period", "requests", "decided", "approved", "approved_share",
    "denied", "denied_share", "approved_after_appeal", "approved_after_appeal_share",
    "median_decision_hours", "p90_decision_hours", "decided_with_clock",
    "decided_after_clock", "decided_after_clock_share", "appealed", "appeal_rate",
    "appeals_decided", "overturned", "overturn_rate", "top_denial_reasons",
]  # fmt: skip


def _share(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


def _row(payer: PayerPerformance, p: PeriodFigures) -> list[object]:
    reasons = "; ".join(f"{r.code or '(no code)'} {r.text or ''}: {r.count}".replace("  ", " ")
                        for r in payer.denial_reasons) if p.period == "all" else ""  # fmt: skip
    return [
        payer.payer_id, payer.payer_name, p.period, p.requests, p.decided, p.approved,
        _share(p.approved_share), p.denied, _share(p.denied_share), p.approved_after_appeal,
        _share(p.approved_after_appeal_share), "" if p.median_hours is None else p.median_hours,
        "" if p.p90_hours is None else p.p90_hours, p.with_clock, p.late, _share(p.late_share),
        p.appealed, _share(p.appeal_rate), p.appeals_decided, p.overturned,
        _share(p.overturn_rate), reasons,
    ]  # fmt: skip


@router.get("/payers/performance.csv")
async def performance_csv(request: Request, engine: EngineDep, user: SignedIn) -> Response:
    """The page's figures, one row per payer and period plus one per payer over the whole
    range (period "all"); refused with 422 and the reasons when a filter is bad."""
    zone = request.app.state.settings.organization.timezone
    filters, errors = read_filters(request, zone)
    if errors:
        return Response("\n".join(errors.values()) + "\n", status_code=422, media_type="text/plain")
    payers = await _figures(engine, user, filters, zone)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for payer in payers:
        for figures in [*payer.periods, payer.total]:
            writer.writerow(_row(payer, figures))
    name = f"payer-performance-{filters.first}-{filters.last}.csv"
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={**PAGE_HEADERS, "Content-Disposition": f'attachment; filename="{name}"'},
    )
