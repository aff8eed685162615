"""Medicaid and CHIP managed care clocks (REGULATIONS.md §3), with hand-computed answers."""

from datetime import datetime
from typing import Any

import pytest

from domain.deadlines import DeadlineError, DeadlineQuery, DeadlineResult, compute_deadline


def run(**fields: Any) -> DeadlineResult:
    return compute_deadline(DeadlineQuery.model_validate(fields))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


MEDICAID = {"regime": "medicaid_managed_care", "timezone": "America/Chicago"}
RECEIVED = "2026-03-02T10:00:00-06:00"


@pytest.mark.parametrize(
    ("rating_period_start", "due", "rule_id"),
    [
        ("2026-01-01", "2026-03-09T23:59:59-05:00", "medicaid.authorization.standard.2026"),
        # A July-June rating period keeps the 14-day ceiling until 2026-06-30.
        ("2025-07-01", "2026-03-16T23:59:59-05:00", "medicaid.authorization.standard.pre2026"),
        ("2026-07-01", "2026-03-09T23:59:59-05:00", "medicaid.authorization.standard.2026"),
    ],
)
def test_standard_authorization_follows_the_rating_period(
    rating_period_start: str, due: str, rule_id: str
) -> None:
    result = run(
        **MEDICAID,
        event="initial_request_decision",
        received_at=RECEIVED,
        rating_period_start=rating_period_start,
    )
    assert result.due_at == at(due)
    assert result.rule_id == rule_id


def test_standard_authorization_needs_the_rating_period_start() -> None:
    with pytest.raises(DeadlineError, match="rating_period_start"):
        run(**MEDICAID, event="initial_request_decision", received_at=RECEIVED)


def test_expedited_authorization_72_hours_needs_no_rating_period() -> None:
    result = run(
        **MEDICAID,
        event="initial_request_decision",
        urgency="expedited",
        received_at="2026-03-06T10:00:00-06:00",
    )
    assert result.due_at.isoformat() == "2026-03-09T11:00:00-05:00"
    assert result.rule == "42 CFR 438.210(d)(2)"


def test_standard_extension_totals_21_days() -> None:
    result = run(
        **MEDICAID,
        event="extension",
        base_event="initial_request_decision",
        received_at=RECEIVED,
        rating_period_start="2026-01-01",
    )
    assert result.due_at == at("2026-03-23T23:59:59-05:00")


def test_expedited_extension_72_hours_then_14_days_same_wall_time() -> None:
    result = run(
        **MEDICAID,
        event="extension",
        base_event="initial_request_decision",
        urgency="expedited",
        received_at="2026-02-27T10:00:00-06:00",
    )
    assert result.due_at.isoformat() == "2026-03-16T10:00:00-05:00"


def test_appeal_filing_sixty_days_from_the_notice_date() -> None:
    result = run(**MEDICAID, event="appeal_filing_window", notice_date="2026-03-02")
    assert result.due_at == at("2026-05-01T23:59:59-05:00")
    assert result.rule == "42 CFR 438.402(c)(2)(ii)"
    assert "may be extended by plan/state policy" in result.flags


@pytest.mark.parametrize(
    ("extra", "due"),
    [
        ({}, "2026-04-01T23:59:59-05:00"),
        ({"urgency": "expedited"}, "2026-03-05T10:00:00-06:00"),
        ({"extension_taken": True}, "2026-04-15T23:59:59-05:00"),
        ({"urgency": "expedited", "expedite_refused": True}, "2026-04-01T23:59:59-05:00"),
    ],
)
def test_appeal_resolution(extra: dict[str, Any], due: str) -> None:
    result = run(**MEDICAID, event="appeal_decision", received_at=RECEIVED, **extra)
    assert result.due_at.isoformat() == due


def test_state_fair_hearing_window_uses_120_days_and_flags_the_range() -> None:
    result = run(**MEDICAID, event="state_fair_hearing_filing_window", notice_date="2026-03-02")
    assert result.due_at == at("2026-06-30T23:59:59-05:00")
    assert any("90-120" in flag and "2026-05-31" in flag for flag in result.flags)


def test_chip_has_no_state_fair_hearing() -> None:
    with pytest.raises(DeadlineError, match="chip_managed_care"):
        run(
            regime="chip_managed_care",
            event="state_fair_hearing_filing_window",
            notice_date="2026-03-02",
        )


def test_chip_uses_the_438_clocks() -> None:
    result = run(
        regime="chip_managed_care",
        event="initial_request_decision",
        received_at="2026-03-02T10:00:00-05:00",
        rating_period_start="2026-01-01",
    )
    assert result.due_at == at("2026-03-09T23:59:59-04:00")
    assert "457.1230(d)" in result.rule


@pytest.mark.parametrize(
    ("effective", "due"),
    [
        ("2026-03-10", "2026-03-12T23:59:59-05:00"),  # 10 days after the notice is later
        ("2026-03-20", "2026-03-20T23:59:59-05:00"),  # the effective date is later
    ],
)
def test_continuation_of_benefits_later_of_ten_days_or_effective_date(
    effective: str, due: str
) -> None:
    result = run(
        **MEDICAID,
        event="continuation_of_benefits_filing_window",
        notice_date="2026-03-02",
        intended_effective_date=effective,
    )
    assert result.due_at == at(due)
    assert result.rule == "42 CFR 438.420(a)"


def test_termination_notice_ten_days_before_the_date_of_action() -> None:
    result = run(
        **MEDICAID, event="termination_advance_notice", intended_effective_date="2026-04-15"
    )
    assert result.due_at == at("2026-04-05T23:59:59-05:00")
    assert result.convention == "calendar_days_before_end_of_day_local"


@pytest.mark.parametrize(
    "event", ["continuation_of_benefits_filing_window", "termination_advance_notice"]
)
def test_date_of_action_is_required(event: str) -> None:
    with pytest.raises(DeadlineError, match="intended_effective_date"):
        run(**MEDICAID, event=event, notice_date="2026-03-02")


def test_no_auto_forward_in_medicaid() -> None:
    with pytest.raises(DeadlineError, match=r"medicaid_managed_care.*next_level_auto_forward"):
        run(**MEDICAID, event="next_level_auto_forward", received_at=RECEIVED)
