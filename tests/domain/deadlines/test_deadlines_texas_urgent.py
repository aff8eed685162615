"""Texas clocks by what is asked: post-stabilization and life-threatening care (1 hour),
discharge services (72 hours), concurrent hospitalization (24 hours).

Tex. Gov't Code 540.0302(b)(1)-(3) for Medicaid/CHIP MCOs (hospitalized recipients only,
540.0302(a)); 28 TAC 19.1718(d)(3) and Tex. Ins. Code 843.348(d)-(e) / 1301.135(c)-(d) for
insured HMOs and PPOs. Every expected moment is counted by hand in America/Chicago; the hour
clocks are elapsed time, so across the 2026 DST changes (8 March, 1 November) the wall clock
moves by one hour more or less than the clock.
"""

from typing import Any

import pytest

from domain.deadlines import DeadlineQuery, DeadlineResult, compute_deadline


def run(**fields: Any) -> DeadlineResult:
    return compute_deadline(DeadlineQuery.model_validate(fields))


TX_MEDICAID = {
    "regime": "medicaid_managed_care",
    "state": "TX",
    "timezone": "America/Chicago",
    "event": "initial_request_decision",
    "rating_period_start": "2026-01-01",
}
TX_INSURED = {
    "regime": "state_insured",
    "state": "TX",
    "timezone": "America/Chicago",
    "event": "initial_request_decision",
}


# ---------------------------------------------------------------- Medicaid / CHIP, 540.0302(b)


def test_post_stabilization_one_hour_across_the_spring_forward() -> None:
    # Sun 8 Mar 01:30 CST + 1 h elapsed = 08:30 UTC = 03:30 CDT (02:00-03:00 does not exist).
    result = run(
        **TX_MEDICAID,
        hospitalized=True,
        care_category="post_stabilization",
        received_at="2026-03-08T01:30:00-06:00",
    )
    assert result.due_at.isoformat() == "2026-03-08T03:30:00-05:00"
    assert result.rule == "Tex. Gov't Code § 540.0302(b)(3)"
    assert result.rule_id == "tx.medicaid.authorization.hospitalized.post_stabilization"
    assert result.convention == "elapsed_hours"
    assert "post-stabilization care for a hospitalized recipient within 1 hour" in (
        result.explanation
    )
    assert "42 CFR 438.210(d)(1)" in result.explanation  # the federal rule was considered


def test_life_threatening_one_hour_across_the_fall_back() -> None:
    # Sun 1 Nov 01:30 CDT (06:30 UTC) + 1 h = 07:30 UTC = the second 01:30, now CST.
    result = run(
        **TX_MEDICAID,
        hospitalized=True,
        care_category="life_threatening",
        received_at="2026-11-01T01:30:00-05:00",
    )
    assert result.due_at.isoformat() == "2026-11-01T01:30:00-06:00"
    assert result.rule_id == "tx.medicaid.authorization.hospitalized.life_threatening"


def test_discharge_services_72_hours_across_the_spring_forward() -> None:
    # Fri 6 Mar 10:00 CST + 72 h = Mon 9 Mar 16:00 UTC = 11:00 CDT.
    result = run(
        **TX_MEDICAID,
        hospitalized=True,
        care_category="discharge_services",
        received_at="2026-03-06T10:00:00-06:00",
    )
    assert result.due_at.isoformat() == "2026-03-09T11:00:00-05:00"
    assert result.rule == "Tex. Gov't Code § 540.0302(b)(2)"
    assert any("acute care inpatient services" in flag for flag in result.flags)


def test_discharge_services_keep_72_hours_when_one_business_day_would_be_sooner() -> None:
    # 540.0302(b)(1) applies "except as provided by Subdivisions (2) and (3)": Wed 4 Mar 10:00
    # + 72 h = Sat 7 Mar 10:00 CST, although one business day would end Thu 5 Mar.
    discharge = run(
        **TX_MEDICAID,
        hospitalized=True,
        care_category="discharge_services",
        received_at="2026-03-04T10:00:00-06:00",
    )
    other = run(**TX_MEDICAID, hospitalized=True, received_at="2026-03-04T10:00:00-06:00")
    assert discharge.due_at.isoformat() == "2026-03-07T10:00:00-06:00"
    assert other.due_at.isoformat() == "2026-03-05T23:59:59-06:00"


def test_hours_run_through_a_holiday_that_business_days_skip() -> None:
    # Fri 22 May 10:00 CDT; Mon 25 May is Memorial Day. 72 h end on the holiday itself; the
    # one-business-day clock for other hospitalized requests skips it to Tue 26 May.
    discharge = run(
        **TX_MEDICAID,
        hospitalized=True,
        care_category="discharge_services",
        received_at="2026-05-22T10:00:00-05:00",
    )
    other = run(**TX_MEDICAID, hospitalized=True, received_at="2026-05-22T10:00:00-05:00")
    assert discharge.due_at.isoformat() == "2026-05-25T10:00:00-05:00"
    assert other.due_at.isoformat() == "2026-05-26T23:59:59-05:00"
    assert other.rule == "Tex. Gov't Code § 540.0302(b)"
    assert any("set care_category" in flag for flag in other.flags)


def test_the_one_hour_clock_needs_a_hospitalized_recipient() -> None:
    # 540.0302 applies only to a recipient hospitalized at the time of the request (a):
    # Thu 5 Mar -> Fri 6 (1), Mon 9 (2), Tue 10 Mar (3) under 540.0303(b).
    result = run(
        **TX_MEDICAID,
        care_category="life_threatening",
        received_at="2026-03-05T10:00:00-06:00",
    )
    assert result.due_at.isoformat() == "2026-03-10T23:59:59-05:00"
    assert result.rule == "Tex. Gov't Code § 540.0303(b)"
    assert any("540.0302(a)" in flag for flag in result.flags)


def test_federal_and_texas_72_hours_tie_and_keep_the_federal_rule() -> None:
    result = run(
        **TX_MEDICAID,
        urgency="expedited",
        hospitalized=True,
        care_category="discharge_services",
        received_at="2026-03-06T10:00:00-06:00",
    )
    assert result.due_at.isoformat() == "2026-03-09T11:00:00-05:00"
    assert result.rule == "42 CFR 438.210(d)(2)"
    assert "Tex. Gov't Code § 540.0302(b)(2)" in result.explanation
    assert "gives the same moment" in result.explanation


def test_chip_post_stabilization_uses_the_same_statute() -> None:
    result = run(
        **{**TX_MEDICAID, "regime": "chip_managed_care"},
        hospitalized=True,
        care_category="post_stabilization",
        received_at="2026-07-03T23:30:00-05:00",
    )
    # 23:30 + 1 h crosses midnight into Sat 4 Jul, a federal and Texas holiday.
    assert result.due_at.isoformat() == "2026-07-04T00:30:00-05:00"
    assert "CHIP managed care organization" in result.explanation


def test_the_state_clock_still_applies_when_the_federal_extension_is_taken() -> None:
    result = run(
        **{**TX_MEDICAID, "event": "extension"},
        base_event="initial_request_decision",
        hospitalized=True,
        care_category="post_stabilization",
        received_at="2026-03-02T09:00:00-06:00",
    )
    assert result.due_at.isoformat() == "2026-03-02T10:00:00-06:00"
    assert "the state clock has no extension and still applies" in result.flags


# ---------------------------------------------------------------- insured HMO / PPO


@pytest.mark.parametrize("regime", ["state_insured", "aca_individual"])
def test_insured_life_threatening_one_hour_across_the_fall_back(regime: str) -> None:
    result = run(
        **{**TX_INSURED, "regime": regime},
        care_category="life_threatening",
        received_at="2026-11-01T01:30:00-05:00",
    )
    assert result.due_at.isoformat() == "2026-11-01T01:30:00-06:00"
    assert result.rule.startswith("28 TAC § 19.1718(d)(3)")
    assert result.rule_id == "tx.insured.preauthorization.life_threatening"
    assert any("staffed hours" in flag for flag in result.flags)


def test_insured_post_stabilization_one_hour_over_a_month_end() -> None:
    result = run(
        **TX_INSURED,
        care_category="post_stabilization",
        received_at="2026-01-31T23:30:00-06:00",
    )
    assert result.due_at.isoformat() == "2026-02-01T00:30:00-06:00"
    assert result.rule_id == "tx.insured.preauthorization.post_stabilization"


@pytest.mark.parametrize(
    ("received", "due"),
    [
        # Sat 31 Oct 12:00 CDT + 24 h = Sun 1 Nov 11:00 CST (the wall clock shows 23 h).
        ("2026-10-31T12:00:00-05:00", "2026-11-01T11:00:00-06:00"),
        # Sat 7 Mar 12:00 CST + 24 h = Sun 8 Mar 13:00 CDT (the wall clock shows 25 h).
        ("2026-03-07T12:00:00-06:00", "2026-03-08T13:00:00-05:00"),
    ],
)
def test_concurrent_hospitalization_24_hours_across_dst(received: str, due: str) -> None:
    result = run(**TX_INSURED, service_timing="concurrent", hospitalized=True, received_at=received)
    assert result.due_at.isoformat() == due
    assert result.rule == "Tex. Ins. Code § 843.348(e) (HMO); § 1301.135(d) (PPO)"
    assert result.rule_id == "tx.insured.preauthorization.concurrent_hospitalization"
    assert "federal 15-calendar-day limit" in result.explanation


def test_services_proposed_for_an_inpatient_get_24_hours_before_the_service_too() -> None:
    result = run(**TX_INSURED, hospitalized=True, received_at="2026-03-02T10:00:00-06:00")
    assert result.due_at.isoformat() == "2026-03-03T10:00:00-06:00"
    assert result.rule_id == "tx.insured.preauthorization.concurrent_hospitalization"


def test_concurrent_review_outside_the_hospital_is_due_the_third_calendar_day() -> None:
    # Mon 2 Mar -> Thu 5 Mar (843.348(d)); the federal pre-service clock would be 17 Mar.
    result = run(**TX_INSURED, service_timing="concurrent", received_at="2026-03-02T10:00:00-06:00")
    assert result.due_at.isoformat() == "2026-03-05T23:59:59-06:00"
    assert result.rule == "Tex. Ins. Code § 843.348(d) (HMO); § 1301.135(c) (PPO)"
    assert any("19.1718(d)(1)" in flag for flag in result.flags)


def test_urgent_concurrent_request_keeps_the_federal_24_hours() -> None:
    result = run(
        **TX_INSURED,
        service_timing="concurrent",
        urgency="expedited",
        received_at="2026-03-02T10:00:00-06:00",
    )
    assert result.due_at.isoformat() == "2026-03-03T10:00:00-06:00"
    assert result.rule_id == "insured.claim.concurrent_urgent"
    assert "Texas 3-calendar-day limit" in result.explanation


def test_discharge_category_has_no_insured_clock_of_its_own() -> None:
    result = run(
        **TX_INSURED,
        care_category="discharge_services",
        received_at="2026-03-02T10:00:00-06:00",
    )
    assert result.due_at.isoformat() == "2026-03-05T23:59:59-06:00"
    assert any("only for Texas Medicaid/CHIP" in flag for flag in result.flags)


@pytest.mark.parametrize(
    ("regime", "due", "rule_id"),
    [
        # Self-funded ERISA: preempted, 15 days (Mon 2 Mar -> Tue 17 Mar, CDT).
        ("erisa_group", "2026-03-17T23:59:59-05:00", "erisa.claim.pre_service"),
        # Medicare Advantage: preempted, 7 days.
        ("medicare_advantage", "2026-03-09T23:59:59-05:00", "ma.od.standard.pa.2026"),
    ],
)
def test_preempted_plans_get_no_texas_hour_clock(regime: str, due: str, rule_id: str) -> None:
    result = run(
        **{**TX_INSURED, "regime": regime},
        hospitalized=True,
        care_category="post_stabilization",
        received_at="2026-03-02T10:00:00-06:00",
    )
    assert result.due_at.isoformat() == due
    assert result.rule_id == rule_id
    assert any("preemption" in flag for flag in result.flags)


def test_an_unknown_care_category_is_refused_naming_the_field() -> None:
    with pytest.raises(ValueError, match="care_category"):
        DeadlineQuery.model_validate({**TX_INSURED, "care_category": "emergency"})
