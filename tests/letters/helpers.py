"""Helpers for the letter tests: example case files, a deterministic deadline engine, and
helpers that read a rendered .docx back the way a reviewer would."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, time, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from docx import Document

from config.settings import Organization
from domain.deadlines import DeadlineEvent, DeadlineQuery, DeadlineResult
from domain.enums import Urgency
from letters import LetterCaseFile, LetterContext, LetterKind, context_from_case_file

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "letters"
NOW = datetime.fromisoformat("2026-11-23T09:00:00-06:00")
REGIMES = ("ma", "erisa", "medicaid")

# Which example file of a regime each kind is rendered from.
VARIANT = {
    LetterKind.EXTERNAL_REVIEW_REQUEST: "next_level",
    LetterKind.MISSED_DEADLINE: "missed",
}

_DAYS = {
    DeadlineEvent.INITIAL_REQUEST_DECISION: 7,
    DeadlineEvent.APPEAL_DECISION: 30,
    DeadlineEvent.APPEAL_FILING_WINDOW: 60,
    DeadlineEvent.NEXT_LEVEL_AUTO_FORWARD: 30,
    DeadlineEvent.EXTERNAL_REVIEW_FILING_WINDOW: 120,
    DeadlineEvent.EXTERNAL_REVIEW_DECISION: 45,
    DeadlineEvent.STATE_FAIR_HEARING_FILING_WINDOW: 120,
}


def fake_engine(query: DeadlineQuery) -> DeadlineResult:
    """A stand-in for the deadline engine: end of day N, rule text naming regime and event."""
    zone = ZoneInfo(query.timezone)
    if query.received_at is not None:
        start = query.received_at.astimezone(zone).date()
    elif query.notice_date is not None:
        start = query.notice_date
    else:
        raise AssertionError(f"query without a start: {query.event}")
    days = 3 if query.urgency is Urgency.EXPEDITED else _DAYS[query.event]
    due = datetime.combine(start + timedelta(days=days), time(23, 59, 59), tzinfo=zone)
    return DeadlineResult(
        due_at=due,
        rule=f"TEST-RULE {query.regime.value} {query.event.value}",
        convention="calendar_days_end_of_day_local",
        explanation=f"{days} days",
        rule_id=f"test.{query.event.value}",
        regime=query.regime,
        event=query.event,
    )


def case_file_path(regime: str, kind: LetterKind) -> Path:
    return EXAMPLES / f"{regime}_{VARIANT.get(kind, 'appeal')}.json"


def load_case_file(regime: str, kind: LetterKind) -> LetterCaseFile:
    return LetterCaseFile.model_validate_json(case_file_path(regime, kind).read_text())


def raw_case_file(regime: str, kind: LetterKind) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(case_file_path(regime, kind).read_text())
    return data


def context_for(
    regime: str,
    kind: LetterKind,
    *,
    engine: Callable[[DeadlineQuery], DeadlineResult] = fake_engine,
    case_file: LetterCaseFile | None = None,
) -> LetterContext:
    return context_from_case_file(
        case_file or load_case_file(regime, kind),
        kind=kind,
        now=NOW,
        organization=Organization(),
        deadline_engine=engine,
    )


class Reader:
    """A rendered letter read back with python-docx."""

    def __init__(self, docx: bytes) -> None:
        self.document: Any = Document(BytesIO(docx))
        self.paragraphs = [p.text for p in self.document.paragraphs]
        self.text = "\n".join(self.paragraphs)
        self.tables = [
            [[cell.text for cell in row.cells] for row in table.rows]
            for table in self.document.tables
        ]

    def table_starting(self, header: str) -> list[list[str]]:
        for table in self.tables:
            if table and table[0][0] == header:
                return table
        raise AssertionError(f"no table with header {header!r}")

    def re_block(self) -> dict[str, str]:
        return {label: value for label, value in self.tables[0]}

    def footer_xml(self) -> str:
        footer = self.document.sections[0].footer
        return str(footer._element.xml)

    def enclosures(self) -> list[str]:
        start = next(i for i, p in enumerate(self.paragraphs) if p.startswith("Enclosures ("))
        items = []
        for paragraph in self.paragraphs[start + 1 :]:
            if not paragraph[:1].isdigit():
                break
            items.append(paragraph)
        return items
