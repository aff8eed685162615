"""The Part D request for IRE reconsideration quotes its filing window (42 CFR 423.600(a)).

The example Medicare Advantage next-level case file, read as a Part D case whose plan upheld its
redetermination on 2026-11-18: 65 days from the notice date (60 after the presumed receipt),
end of day Fri 22 Jan 2027 in the plan's zone (America/Chicago).
"""

from __future__ import annotations

from datetime import datetime

from domain.deadline_keys import NEXT_LEVEL_WINDOW
from domain.deadlines import compute_deadline
from domain.models import CaseDeadline, Obligor
from letters import LetterCaseFile, LetterKind, render_letter
from tests.letters.helpers import Reader, context_for, raw_case_file


def part_d_case_file() -> LetterCaseFile:
    data = raw_case_file("ma", LetterKind.EXTERNAL_REVIEW_REQUEST)
    data["case"]["request"]["coverage"]["regime"] = "medicare_part_d"
    data["appeal"]["level"] = "plan_redetermination"
    data["review_body"] = {
        "name": "C2C Innovative Solutions, Inc.",
        "attention": "Part D Drug Reconsiderations",
        "address_lines": ["P.O. Box 44166", "Jacksonville, FL 32231-4166"],
    }
    return LetterCaseFile.model_validate(data)


def test_the_ire_request_quotes_the_engines_window() -> None:
    context = context_for(
        "ma",
        LetterKind.EXTERNAL_REVIEW_REQUEST,
        engine=compute_deadline,
        case_file=part_d_case_file(),
    )
    fact = context.filing_deadline
    assert fact is not None, context.deadline_notes
    assert fact.rule == "42 CFR 423.600(a)"
    assert fact.source == "deadline engine"
    assert fact.due_at.isoformat() == "2027-01-22T23:59:59-06:00"
    text = Reader(render_letter(context).docx).text
    assert f"the window to file ends {fact.due_display} (42 CFR 423.600(a))" in text


def test_a_recorded_window_wins_over_the_engine() -> None:
    recorded = CaseDeadline(
        key=NEXT_LEVEL_WINDOW,
        label="File the independent review entity (ire) reconsideration",
        obligor=Obligor.PROVIDER,
        due_at=datetime.fromisoformat("2027-01-25T23:59:59-06:00"),
        rule="42 CFR 423.600(a)",
        rule_id="part_d.ire_reconsideration.filing",
        convention="calendar_days_end_of_day_local",
        explanation="recorded when the redetermination was upheld",
    )
    case_file = part_d_case_file().model_copy(update={"deadlines": [recorded]})
    context = context_for(
        "ma", LetterKind.EXTERNAL_REVIEW_REQUEST, engine=compute_deadline, case_file=case_file
    )
    assert context.filing_deadline is not None
    assert context.filing_deadline.due_at == recorded.due_at
    assert context.filing_deadline.source == "recorded"
