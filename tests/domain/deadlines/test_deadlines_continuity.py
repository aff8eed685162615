"""Continuity of care: a Medicare Advantage enrollee in an active course of treatment who joins
a new plan keeps the course without new prior authorization for at least 90 days.

42 CFR 422.112(b)(8)(ii) as amended by CMS-4201-F (88 FR 22120), for coverage from
2024-01-01. The engine answers the last day of the period, counting the first day of coverage
under the new plan as day 1, at 23:59:59 in the query's zone.
"""

from datetime import date, timedelta
from typing import Any

import pytest

from domain.deadlines import DeadlineError, DeadlineQuery, DeadlineResult, compute_deadline

TRANSITION = {"regime": "medicare_advantage", "event": "continuity_of_care_transition_end"}


def run(**fields: Any) -> DeadlineResult:
    return compute_deadline(DeadlineQuery.model_validate({**TRANSITION, **fields}))


def test_january_enrollment_ends_on_the_last_day_of_march() -> None:
    # 1 Jan (day 1) .. 31 Jan (31), 28 Feb (59), 31 Mar (90); CDT after 8 March.
    result = run(enrollment_date="2026-01-01", timezone="America/Chicago")
    assert result.due_at.isoformat() == "2026-03-31T23:59:59-05:00"
    assert result.rule == "42 CFR 422.112(b)(8)(ii) as amended by CMS-4201-F (88 FR 22120)"
    assert result.rule_id == "ma.continuity_of_care.transition"
    assert result.convention == "calendar_days_period_end_of_day_local"
    assert "at least 90 days" in result.explanation
    assert "(2026-01-01, day 1)" in result.explanation
    assert any("may allow a longer transition" in flag for flag in result.flags)


def test_first_covered_year_with_a_leap_day() -> None:
    # 2024: Jan 31 (31), Feb 29 (60), Sat 30 Mar (90).
    result = run(enrollment_date="2024-01-01", timezone="America/New_York")
    assert result.due_at.isoformat() == "2024-03-30T23:59:59-04:00"


def test_before_the_rule_applies_there_is_no_transition_period() -> None:
    with pytest.raises(DeadlineError, match="on or after 2024-01-01"):
        run(enrollment_date="2023-12-31")


def test_over_the_year_end_into_february() -> None:
    # 1 Dec (1), 31 Dec (31), 31 Jan (62), Sun 28 Feb 2027 (90).
    result = run(enrollment_date="2026-12-01", timezone="America/Chicago")
    assert result.due_at.isoformat() == "2027-02-28T23:59:59-06:00"


def test_mid_month_enrollment_across_the_fall_back() -> None:
    # 15 Aug (1), 31 Aug (17), 30 Sep (47), 31 Oct (78), Thu 12 Nov (90), EST after 1 Nov.
    result = run(enrollment_date="2026-08-15", timezone="America/New_York")
    assert result.due_at.isoformat() == "2026-11-12T23:59:59-05:00"


@pytest.mark.parametrize("month", range(1, 13))
def test_the_period_holds_exactly_ninety_calendar_days(month: int) -> None:
    start = date(2027, month, 1)
    last = run(enrollment_date=start.isoformat()).due_at.date()
    days = [start + timedelta(days=n) for n in range((last - start).days + 1)]
    assert len(days) == 90
    assert days[0] == start and days[-1] == last


def test_missing_enrollment_date_is_named() -> None:
    with pytest.raises(DeadlineError, match="missing input 'enrollment_date'"):
        run()


def test_the_date_must_be_a_date() -> None:
    with pytest.raises(ValueError, match="enrollment_date"):
        DeadlineQuery.model_validate({**TRANSITION, "enrollment_date": "soon"})


@pytest.mark.parametrize(
    ("regime", "says"),
    [
        ("medicare_part_d", "423.120(b)(3)"),
        ("medicaid_managed_care", "not a Medicaid managed care step"),
        ("erisa_group", "not a step"),
    ],
)
def test_other_regimes_have_no_such_period(regime: str, says: str) -> None:
    with pytest.raises(DeadlineError, match=f"no rule for regime '{regime}'") as raised:
        run(regime=regime, enrollment_date="2026-01-01")
    assert says in str(raised.value)


def test_a_state_does_not_change_a_medicare_period() -> None:
    texas = run(enrollment_date="2026-01-01", state="TX", timezone="America/Chicago")
    plain = run(enrollment_date="2026-01-01", timezone="America/Chicago")
    assert texas.due_at == plain.due_at and texas.rule == plain.rule
