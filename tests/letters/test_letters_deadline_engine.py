"""Letters with the real deadline engine: the payer's due moment and the rule that sets it.

Expected dates are counted by hand from the example case files (letter written
2026-11-23 09:00 CST): appeal decisions 30 days / 72 hours from receipt today, the MA IRE
forwarding deadline 30 days from the reconsideration's receipt, ERISA external review four
months from the final notice, missed clocks from the recorded receipt.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from domain.deadline_keys import appeal_decision_key
from domain.deadlines import compute_deadline
from domain.models import CaseDeadline, Obligor
from letters import LetterKind, render_letter
from tests.letters.helpers import Reader, context_for, load_case_file

EXPECTED = [
    ("ma", LetterKind.APPEAL_LEVEL1, "December 23, 2026 at 11:59 PM CST", "422.590"),
    (
        "erisa",
        LetterKind.APPEAL_LEVEL1,
        "December 23, 2026 at 11:59 PM EST",
        "2560.503-1(i)(2)(ii)",
    ),
    ("medicaid", LetterKind.APPEAL_LEVEL1, "December 23, 2026 at 11:59 PM CST", "438.408(b)(2)"),
    ("ma", LetterKind.APPEAL_EXPEDITED, "November 26, 2026 at 9:00 AM CST", "422.590"),
    ("erisa", LetterKind.APPEAL_EXPEDITED, "November 26, 2026 at 10:00 AM EST", "(i)(2)(i)"),
    ("medicaid", LetterKind.APPEAL_EXPEDITED, "November 26, 2026 at 9:00 AM CST", "438.408(b)(3)"),
    ("ma", LetterKind.EXTERNAL_REVIEW_REQUEST, "December 5, 2026 at 11:59 PM CST", "422.592"),
    ("erisa", LetterKind.EXTERNAL_REVIEW_REQUEST, "March 16, 2027", "147.136(d)(2)(i)"),
    ("medicaid", LetterKind.EXTERNAL_REVIEW_REQUEST, "2027", "438.408(f)"),
    ("ma", LetterKind.MISSED_DEADLINE, "October 31, 2026 at 11:59 PM CDT", "422.590"),
    ("erisa", LetterKind.MISSED_DEADLINE, "October 16, 2026 at 11:59 PM EDT", "(f)(2)(iii)(A)"),
    ("medicaid", LetterKind.MISSED_DEADLINE, "November 7, 2026 at 11:59 PM CST", "215 ILCS 200/25"),
]


@pytest.mark.parametrize(("regime", "kind", "due", "citation"), EXPECTED)
def test_deadline_and_citation_from_the_engine(
    regime: str, kind: LetterKind, due: str, citation: str
) -> None:
    context = context_for(regime, kind, engine=compute_deadline)
    facts = [context.missed_deadline, context.payer_deadline, context.filing_deadline]
    fact = next((f for f in facts if f is not None and citation in f.rule), None)
    assert fact is not None, (facts, context.deadline_notes)
    assert fact.source == "deadline engine"
    assert due in fact.due_display
    text = Reader(render_letter(context).docx).text
    assert fact.due_display in text
    assert fact.rule in text


def test_illinois_late_decision_is_deemed_authorized() -> None:
    context = context_for("medicaid", LetterKind.MISSED_DEADLINE, engine=compute_deadline)
    assert context.missed_deemed_authorized
    text = Reader(render_letter(context).docx).text
    assert "deemed to have authorized the service (215 ILCS 200/75)" in text
    assert "Please confirm the authorization in writing" in text
    assert "42 CFR 438.404(c)(5)" in text


def test_recorded_deadline_wins_over_the_engine() -> None:
    case_file = load_case_file("ma", LetterKind.APPEAL_LEVEL1)
    recorded = CaseDeadline(
        key=appeal_decision_key(1),
        label="Reconsideration decision (extended)",
        obligor=Obligor.PAYER,
        due_at=datetime.fromisoformat("2027-01-06T23:59:59-06:00"),
        rule="42 CFR 422.590(f) extension",
        rule_id="ma.reconsideration.standard.extended",
        convention="calendar_days_end_of_day_local",
        explanation="30 days plus a 14-day extension",
    )
    case_file = case_file.model_copy(update={"deadlines": [recorded]})
    context = context_for(
        "ma", LetterKind.APPEAL_LEVEL1, engine=compute_deadline, case_file=case_file
    )
    assert context.payer_deadline is not None
    assert context.payer_deadline.source == "recorded"
    assert context.payer_deadline.rule == "42 CFR 422.590(f) extension"
    assert "January 6, 2027" in context.payer_deadline.due_display
