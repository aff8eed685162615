"""ERISA group, ACA individual and insured coverage (REGULATIONS.md §4-§5), by hand."""

from datetime import datetime
from typing import Any

import pytest

from domain.deadlines import DeadlineError, DeadlineQuery, DeadlineResult, compute_deadline


def run(**fields: Any) -> DeadlineResult:
    return compute_deadline(DeadlineQuery.model_validate(fields))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


ERISA = {"regime": "erisa_group"}
RECEIVED = "2026-03-02T10:00:00-05:00"


# ---------------------------------------------------------------- claims


@pytest.mark.parametrize(
    ("extra", "due", "rule"),
    [
        ({}, "2026-03-17T23:59:59-04:00", "29 CFR 2560.503-1(f)(2)(iii)(A)"),
        (
            {"service_timing": "post_service"},
            "2026-04-01T23:59:59-04:00",
            "29 CFR 2560.503-1(f)(2)(iii)(B)",
        ),
        ({"extension_taken": True}, "2026-04-01T23:59:59-04:00", "29 CFR 2560.503-1(f)(2)(iii)(A)"),
        (
            {"extension_taken": True, "service_timing": "post_service"},
            "2026-04-16T23:59:59-04:00",
            "29 CFR 2560.503-1(f)(2)(iii)(B)",
        ),
        ({"urgency": "expedited"}, "2026-03-05T10:00:00-05:00", "29 CFR 2560.503-1(f)(2)(i)"),
        (
            {"urgency": "expedited", "service_timing": "concurrent"},
            "2026-03-03T10:00:00-05:00",
            "29 CFR 2560.503-1(f)(2)(ii)(B)",
        ),
    ],
)
def test_erisa_claim_decisions(extra: dict[str, Any], due: str, rule: str) -> None:
    result = run(**ERISA, event="initial_request_decision", received_at=RECEIVED, **extra)
    assert result.due_at.isoformat() == due
    assert result.rule == rule


def test_erisa_urgent_claim_72_hours_across_fall_back() -> None:
    result = run(
        **ERISA,
        event="initial_request_decision",
        urgency="expedited",
        received_at="2026-10-30T10:00:00-04:00",
    )
    assert result.due_at.isoformat() == "2026-11-02T09:00:00-05:00"


def test_erisa_urgent_claim_72_hours_across_spring_forward_in_chicago() -> None:
    result = run(
        **ERISA,
        event="initial_request_decision",
        urgency="expedited",
        received_at="2026-03-06T10:00:00-06:00",
        timezone="America/Chicago",
    )
    assert result.due_at.isoformat() == "2026-03-09T11:00:00-05:00"


def test_erisa_late_concurrent_urgent_request_is_an_urgent_claim() -> None:
    result = run(
        **ERISA,
        event="initial_request_decision",
        urgency="expedited",
        service_timing="concurrent",
        received_at=RECEIVED,
        approved_period_ends_at="2026-03-03T08:00:00-05:00",
    )
    assert result.due_at.isoformat() == "2026-03-05T10:00:00-05:00"


def test_erisa_urgent_claims_have_no_extension() -> None:
    with pytest.raises(DeadlineError, match="allows no extension"):
        run(
            **ERISA,
            event="extension",
            base_event="initial_request_decision",
            urgency="expedited",
            received_at=RECEIVED,
        )


def test_erisa_incomplete_claim_notices() -> None:
    urgent = run(
        **ERISA, event="incomplete_claim_notice", urgency="expedited", received_at=RECEIVED
    )
    pre_service = run(**ERISA, event="incomplete_claim_notice", received_at=RECEIVED)
    assert urgent.due_at.isoformat() == "2026-03-03T10:00:00-05:00"
    assert pre_service.due_at.isoformat() == "2026-03-17T23:59:59-04:00"


def test_erisa_procedural_defect_notice_five_days_or_24_hours() -> None:
    standard = run(**ERISA, event="procedural_defect_notice", received_at=RECEIVED)
    urgent = run(
        **ERISA, event="procedural_defect_notice", urgency="expedited", received_at=RECEIVED
    )
    assert standard.due_at.isoformat() == "2026-03-07T23:59:59-05:00"  # a Saturday: no roll
    assert standard.rule == "29 CFR 2560.503-1(c)(1)(i)"
    assert urgent.due_at.isoformat() == "2026-03-03T10:00:00-05:00"


def test_erisa_procedural_defect_is_pre_service_only() -> None:
    with pytest.raises(DeadlineError, match="procedural_defect_notice"):
        run(
            **ERISA,
            event="procedural_defect_notice",
            service_timing="post_service",
            received_at=RECEIVED,
        )


# ---------------------------------------------------------------- pending information


@pytest.mark.parametrize(
    ("extra", "due"),
    [
        # The information arrives inside the period: 48 hours from its arrival.
        ({"claimant_response_at": "2026-03-03T09:00:00-05:00"}, "2026-03-05T09:00:00-05:00"),
        # No answer: 48 hours after the 48-hour period ends.
        ({}, "2026-03-06T12:00:00-05:00"),
        # A longer period was given and the answer never came.
        ({"info_response_due_at": "2026-03-05T12:00:00-05:00"}, "2026-03-07T12:00:00-05:00"),
        # The answer came after the period ended: the period's end counts.
        ({"claimant_response_at": "2026-03-05T09:00:00-05:00"}, "2026-03-06T12:00:00-05:00"),
    ],
)
def test_erisa_urgent_incomplete_claim(extra: dict[str, Any], due: str) -> None:
    result = run(
        **ERISA,
        event="pending_information_decision",
        urgency="expedited",
        received_at="2026-03-02T08:00:00-05:00",
        info_request_sent_at="2026-03-02T12:00:00-05:00",
        **extra,
    )
    assert result.due_at.isoformat() == due


@pytest.mark.parametrize(
    ("timing", "due"),
    [
        # 15 + 15 + 10 tolled days (10 Mar -> 20 Mar) from 2 Mar = 11 Apr (A6).
        ("pre_service", "2026-04-11T23:59:59-04:00"),
        # 30 + 15 + 10 = 55 days.
        ("post_service", "2026-04-26T23:59:59-04:00"),
    ],
)
def test_erisa_tolling_a6(timing: str, due: str) -> None:
    result = run(
        **ERISA,
        event="pending_information_decision",
        service_timing=timing,
        received_at=RECEIVED,
        info_request_sent_at="2026-03-10T09:00:00-04:00",
        claimant_response_at="2026-03-20T16:00:00-04:00",
    )
    assert result.due_at.isoformat() == due
    assert result.convention == "calendar_days_end_of_day_local_tolled"
    assert any("A6" in flag for flag in result.flags)


def test_erisa_tolling_needs_the_response() -> None:
    with pytest.raises(DeadlineError, match="claimant_response_at"):
        run(
            **ERISA,
            event="pending_information_decision",
            received_at=RECEIVED,
            info_request_sent_at="2026-03-10T09:00:00-04:00",
        )


def test_pending_information_needs_the_request_date() -> None:
    with pytest.raises(DeadlineError, match="info_request_sent_at"):
        run(**ERISA, event="pending_information_decision", received_at=RECEIVED)


# ---------------------------------------------------------------- appeals


def test_erisa_appeal_filing_180_days_following_the_notice() -> None:
    result = run(**ERISA, event="appeal_filing_window", notice_date="2026-03-02")
    assert result.due_at == at("2026-08-29T23:59:59-04:00")  # a Saturday: strict (A5)
    assert result.rule == "29 CFR 2560.503-1(h)(3)(i)"
    assert "may be extended by plan/state policy" in result.flags


@pytest.mark.parametrize(
    ("extra", "due"),
    [
        ({}, "2026-04-01T23:59:59-04:00"),
        ({"appeal_levels": 2}, "2026-03-17T23:59:59-04:00"),
        ({"service_timing": "post_service"}, "2026-05-01T23:59:59-04:00"),
        ({"service_timing": "post_service", "appeal_levels": 2}, "2026-04-01T23:59:59-04:00"),
        ({"urgency": "expedited"}, "2026-03-05T10:00:00-05:00"),
    ],
)
def test_erisa_appeal_decisions(extra: dict[str, Any], due: str) -> None:
    result = run(**ERISA, event="appeal_decision", received_at=RECEIVED, **extra)
    assert result.due_at.isoformat() == due


def test_erisa_appeals_have_no_extension() -> None:
    with pytest.raises(DeadlineError, match="allows no extension"):
        run(**ERISA, event="extension", base_event="appeal_decision", received_at=RECEIVED)


# ---------------------------------------------------------------- external review


@pytest.mark.parametrize(
    ("notice", "due"),
    [
        ("2026-10-30", "2027-03-01T23:59:59-05:00"),  # no Feb 30 -> Mar 1 (a Monday)
        ("2025-10-30", "2026-03-02T23:59:59-05:00"),  # Mar 1 2026 is a Sunday -> Monday
        ("2027-10-29", "2028-02-29T23:59:59-05:00"),  # leap day exists in 2028
        ("2027-10-30", "2028-03-01T23:59:59-05:00"),  # Feb 30 does not
        ("2026-08-31", "2026-12-31T23:59:59-05:00"),  # month end that exists
        ("2026-10-31", "2027-03-01T23:59:59-05:00"),  # Feb 31 -> Mar 1
        ("2026-03-04", "2026-07-06T23:59:59-04:00"),  # Sat Jul 4 -> Mon Jul 6
        ("2025-09-19", "2026-01-20T23:59:59-05:00"),  # MLK Day Jan 19 -> Tue
        ("2026-07-26", "2026-11-27T23:59:59-05:00"),  # Thanksgiving -> Friday
    ],
)
def test_external_review_filing_four_months(notice: str, due: str) -> None:
    result = run(**ERISA, event="external_review_filing_window", notice_date=notice)
    assert result.due_at.isoformat() == due
    assert result.convention == "calendar_months_end_of_day_local"


def test_external_review_filing_observed_holiday_is_configurable_a9() -> None:
    legal = run(**ERISA, event="external_review_filing_window", notice_date="2026-03-03")
    observed = run(
        **ERISA,
        event="external_review_filing_window",
        notice_date="2026-03-03",
        count_observed_holidays=True,
    )
    assert legal.due_at.isoformat() == "2026-07-03T23:59:59-04:00"
    assert any("A9" in flag for flag in legal.flags)
    assert observed.due_at.isoformat() == "2026-07-06T23:59:59-04:00"


@pytest.mark.parametrize(
    ("received", "observed", "due"),
    [
        ("2026-11-25T10:00:00-05:00", False, "2026-12-03T23:59:59-05:00"),  # over Thanksgiving
        ("2026-07-02T10:00:00-04:00", False, "2026-07-09T23:59:59-04:00"),
        ("2026-07-02T10:00:00-04:00", True, "2026-07-10T23:59:59-04:00"),
    ],
)
def test_preliminary_review_five_business_days(received: str, observed: bool, due: str) -> None:
    result = run(
        **ERISA,
        event="external_review_preliminary_review",
        received_at=received,
        count_observed_holidays=observed,
    )
    assert result.due_at.isoformat() == due
    assert result.convention == "business_days_end_of_day_local"


def test_external_review_decision_45_days_or_72_hours() -> None:
    standard = run(**ERISA, event="external_review_decision", received_at=RECEIVED)
    expedited = run(
        **ERISA, event="external_review_decision", urgency="expedited", received_at=RECEIVED
    )
    assert standard.due_at.isoformat() == "2026-04-16T23:59:59-04:00"
    assert expedited.due_at.isoformat() == "2026-03-05T10:00:00-05:00"


# ---------------------------------------------------------------- ACA and insured coverage


def test_aca_standard_pa_stays_15_days_in_2026() -> None:
    result = run(regime="aca_individual", event="initial_request_decision", received_at=RECEIVED)
    assert result.due_at == at("2026-03-17T23:59:59-04:00")
    assert result.rule_id == "aca.claim.pre_service"
    assert "147.136(b)(3)" in result.rule


def test_aca_has_one_internal_appeal_level() -> None:
    result = run(
        regime="aca_individual", event="appeal_decision", received_at=RECEIVED, appeal_levels=2
    )
    assert result.due_at == at("2026-04-01T23:59:59-04:00")
    assert any("one internal appeal level" in flag for flag in result.flags)


def test_state_insured_without_overlay_uses_147_136() -> None:
    result = run(
        regime="state_insured", state="NY", event="initial_request_decision", received_at=RECEIVED
    )
    assert result.due_at == at("2026-03-17T23:59:59-04:00")
    assert result.rule_id == "insured.claim.pre_service"


def test_erisa_payment_request_is_a_post_service_claim() -> None:
    result = run(
        **ERISA, event="initial_request_decision", request_type="payment", received_at=RECEIVED
    )
    assert result.due_at == at("2026-04-01T23:59:59-04:00")
    assert result.rule_id == "erisa.claim.post_service"


def test_erisa_post_service_claims_are_never_urgent() -> None:
    result = run(
        **ERISA,
        event="initial_request_decision",
        urgency="expedited",
        service_timing="post_service",
        received_at=RECEIVED,
    )
    assert result.due_at == at("2026-04-01T23:59:59-04:00")
    assert any("never urgent" in flag for flag in result.flags)
