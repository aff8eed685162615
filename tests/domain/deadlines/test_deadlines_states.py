"""Texas and Illinois overlays (REGULATIONS.md §6): the strictest applicable rule wins."""

from datetime import datetime
from typing import Any

import pytest

from domain.deadlines import DeadlineError, DeadlineQuery, DeadlineResult, compute_deadline


def run(**fields: Any) -> DeadlineResult:
    return compute_deadline(DeadlineQuery.model_validate(fields))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


TX_MEDICAID = {
    "regime": "medicaid_managed_care",
    "state": "TX",
    "timezone": "America/Chicago",
    "event": "initial_request_decision",
    "rating_period_start": "2026-01-01",
}
CHICAGO = {"timezone": "America/Chicago"}


# ---------------------------------------------------------------- Texas Medicaid / CHIP


def test_texas_medicaid_three_business_days_beats_federal_seven_days() -> None:
    # Thu 5 Mar -> Fri 6 (1), Mon 9 (2), Tue 10 (3); federal 7 days -> Thu 12 Mar.
    result = run(**TX_MEDICAID, received_at="2026-03-05T10:00:00-06:00")
    assert result.due_at.isoformat() == "2026-03-10T23:59:59-05:00"
    assert result.rule == "Tex. Gov't Code § 540.0303(b)"
    assert result.convention == "business_days_end_of_day_local"
    assert "42 CFR 438.210(d)(1)" in result.explanation
    assert any(flag.startswith("also considered: medicaid.") for flag in result.flags)


def test_texas_medicaid_over_memorial_day() -> None:
    # Fri 22 May; Mon 25 May is Memorial Day -> Tue 26 (1), Wed 27 (2), Thu 28 (3).
    result = run(**TX_MEDICAID, received_at="2026-05-22T10:00:00-05:00")
    assert result.due_at.isoformat() == "2026-05-28T23:59:59-05:00"


def test_texas_medicaid_hospitalized_one_business_day() -> None:
    result = run(**TX_MEDICAID, hospitalized=True, received_at="2026-03-06T10:00:00-06:00")
    assert result.due_at.isoformat() == "2026-03-09T23:59:59-05:00"
    assert result.rule == "Tex. Gov't Code § 540.0302(b)"


def test_texas_chip_uses_the_same_statute() -> None:
    result = run(
        **{**TX_MEDICAID, "regime": "chip_managed_care"}, received_at="2026-03-05T10:00:00-06:00"
    )
    assert result.due_at.isoformat() == "2026-03-10T23:59:59-05:00"


def test_federal_72_hours_beats_texas_three_business_days_when_expedited() -> None:
    # Mon 9 Mar 10:00 + 72 h = Thu 12 Mar 10:00; Texas: end of Thu 12 Mar.
    result = run(**TX_MEDICAID, urgency="expedited", received_at="2026-03-09T10:00:00-05:00")
    assert result.due_at.isoformat() == "2026-03-12T10:00:00-05:00"
    assert result.rule == "42 CFR 438.210(d)(2)"
    assert "Tex. Gov't Code § 540.0303(b)" in result.explanation


def test_texas_hospitalized_beats_federal_72_hours() -> None:
    result = run(
        **TX_MEDICAID,
        urgency="expedited",
        hospitalized=True,
        received_at="2026-03-09T10:00:00-05:00",
    )
    assert result.due_at.isoformat() == "2026-03-10T23:59:59-05:00"


def test_equal_moments_keep_the_federal_rule_and_say_so() -> None:
    # Wed 23 Dec: Texas skips Dec 24 and 25 -> Mon 28 (1), Tue 29 (2), Wed 30 (3) = federal 7 days.
    result = run(**TX_MEDICAID, received_at="2026-12-23T10:00:00-06:00")
    assert result.due_at.isoformat() == "2026-12-30T23:59:59-06:00"
    assert result.rule_id == "medicaid.authorization.standard.2026"
    assert "gives the same moment" in result.explanation


def test_texas_business_days_use_texas_holidays_a7() -> None:
    # Thanksgiving Thu 26 Nov and the Texas Friday after -> Mon 30 (1), Tue 1 (2), Wed 2 Dec (3).
    result = run(**TX_MEDICAID, received_at="2026-11-25T10:00:00-06:00")
    assert result.due_at.isoformat() == "2026-12-02T23:59:59-06:00"


# ---------------------------------------------------------------- Texas insured and IRO


def test_texas_insured_third_calendar_day() -> None:
    result = run(
        regime="state_insured",
        state="TX",
        event="initial_request_decision",
        received_at="2026-03-02T10:00:00-06:00",
        **CHICAGO,
    )
    assert result.due_at.isoformat() == "2026-03-05T23:59:59-06:00"
    assert result.rule == "Tex. Ins. Code § 843.348(d) (HMO); § 1301.135(c) (PPO)"
    assert "federal 15-calendar-day limit" in result.explanation


def test_texas_aca_individual_plan_also_gets_the_texas_clock() -> None:
    result = run(
        regime="aca_individual",
        state="TX",
        event="initial_request_decision",
        received_at="2026-03-02T10:00:00-06:00",
        **CHICAGO,
    )
    assert result.due_at.isoformat() == "2026-03-05T23:59:59-06:00"


def test_texas_does_not_reach_self_funded_erisa() -> None:
    result = run(
        regime="erisa_group",
        state="TX",
        event="initial_request_decision",
        received_at="2026-03-02T10:00:00-06:00",
        **CHICAGO,
    )
    assert result.due_at.isoformat() == "2026-03-17T23:59:59-05:00"
    assert any("preemption" in flag for flag in result.flags)


@pytest.mark.parametrize(
    ("extra", "due", "rule_id"),
    [
        # Earlier of info + 15 (19 Mar) and request + 20 (22 Mar).
        (
            {"all_information_received_at": "2026-03-04T09:00:00-06:00"},
            "2026-03-19T23:59:59-05:00",
            "tx.iro.standard",
        ),
        ({}, "2026-03-22T23:59:59-05:00", "tx.iro.standard"),
        # Federal 72 hours (Thu 5 Mar 10:00) is earlier than Texas's end of 5 Mar.
        (
            {"urgency": "expedited"},
            "2026-03-05T10:00:00-06:00",
            "insured.external_review.expedited",
        ),
    ],
)
def test_texas_iro_decision(extra: dict[str, Any], due: str, rule_id: str) -> None:
    result = run(
        regime="state_insured",
        state="TX",
        event="external_review_decision",
        received_at="2026-03-02T10:00:00-06:00",
        **CHICAGO,
        **extra,
    )
    assert result.due_at.isoformat() == due
    assert result.rule_id == rule_id


# ---------------------------------------------------------------- Illinois


def test_illinois_five_days_after_all_information_beats_federal_15() -> None:
    result = run(
        regime="state_insured",
        state="IL",
        event="initial_request_decision",
        received_at="2026-03-02T10:00:00-06:00",
        all_information_received_at="2026-03-03T16:00:00-06:00",
        **CHICAGO,
    )
    assert result.due_at.isoformat() == "2026-03-08T23:59:59-05:00"
    assert result.rule == "215 ILCS 200/25"
    assert any("deemed authorized" in flag and "200/75" in flag for flag in result.flags)
    assert "29 CFR 2560.503-1" in result.explanation


def test_illinois_urgent_48_hours_can_lose_to_federal_72_hours() -> None:
    # Federal: Fri 6 Mar 09:00 CST + 72 h = Mon 9 Mar 10:00 CDT.
    # Illinois: Sat 7 Mar 12:00 CST + 48 h = Mon 9 Mar 13:00 CDT.
    result = run(
        regime="state_insured",
        state="IL",
        event="initial_request_decision",
        urgency="expedited",
        received_at="2026-03-06T09:00:00-06:00",
        all_information_received_at="2026-03-07T12:00:00-06:00",
        **CHICAGO,
    )
    assert result.due_at.isoformat() == "2026-03-09T10:00:00-05:00"
    assert any(flag.startswith("also considered: il.pa.urgent") for flag in result.flags)


def test_illinois_urgent_48_hours_wins_when_information_is_complete_early() -> None:
    result = run(
        regime="state_insured",
        state="IL",
        event="initial_request_decision",
        urgency="expedited",
        received_at="2026-03-02T09:00:00-06:00",
        all_information_received_at="2026-03-02T10:00:00-06:00",
        **CHICAGO,
    )
    assert result.due_at.isoformat() == "2026-03-04T10:00:00-06:00"
    assert result.rule == "215 ILCS 200/30(a)"


def test_illinois_medicaid_federal_seven_days_wins_when_information_is_late() -> None:
    result = run(
        regime="medicaid_managed_care",
        state="IL",
        event="initial_request_decision",
        rating_period_start="2026-01-01",
        received_at="2026-03-02T10:00:00-06:00",
        all_information_received_at="2026-03-06T10:00:00-06:00",
        **CHICAGO,
    )
    assert result.due_at.isoformat() == "2026-03-09T23:59:59-05:00"
    assert result.rule_id == "medicaid.authorization.standard.2026"


def test_illinois_without_all_information_is_noted_not_guessed() -> None:
    result = run(
        regime="state_insured",
        state="IL",
        event="initial_request_decision",
        received_at="2026-03-02T10:00:00-06:00",
        **CHICAGO,
    )
    assert result.due_at.isoformat() == "2026-03-17T23:59:59-05:00"
    assert any("all_information_received_at" in flag for flag in result.flags)


def test_illinois_alone_on_pending_information_requires_all_information() -> None:
    with pytest.raises(DeadlineError, match="all_information_received_at"):
        run(
            regime="medicaid_managed_care",
            state="IL",
            event="pending_information_decision",
            received_at="2026-03-02T10:00:00-06:00",
            **CHICAGO,
        )
    result = run(
        regime="medicaid_managed_care",
        state="IL",
        event="pending_information_decision",
        received_at="2026-03-02T10:00:00-06:00",
        all_information_received_at="2026-03-06T10:00:00-06:00",
        **CHICAGO,
    )
    assert result.due_at.isoformat() == "2026-03-11T23:59:59-05:00"


def test_illinois_does_not_reach_self_funded_erisa() -> None:
    result = run(
        regime="erisa_group",
        state="IL",
        event="initial_request_decision",
        received_at="2026-03-02T10:00:00-06:00",
        all_information_received_at="2026-03-02T10:00:00-06:00",
        **CHICAGO,
    )
    assert result.rule_id == "erisa.claim.pre_service"
    assert any("Illinois" in flag and "preemption" in flag for flag in result.flags)


def test_state_clock_still_governs_an_extended_federal_clock() -> None:
    result = run(
        regime="state_insured",
        state="TX",
        event="extension",
        base_event="initial_request_decision",
        received_at="2026-03-02T10:00:00-06:00",
        **CHICAGO,
    )
    assert result.due_at.isoformat() == "2026-03-05T23:59:59-06:00"
    assert any("no extension" in flag for flag in result.flags)


def test_texas_medicaid_answers_without_rating_period_because_the_state_clock_is_stricter() -> None:
    # 3 business days (Tex. Gov't Code 540.0303(b)) beats even the 7-day federal limit, so the
    # rating period (which only decides between 7 and 14 days) is not needed.
    query = {k: v for k, v in TX_MEDICAID.items() if k != "rating_period_start"}
    result = run(**query, received_at="2026-03-06T10:00:00-06:00")
    # Received Friday 2026-03-06: business days Mon 9, Tue 10, Wed 11.
    assert result.due_at.isoformat() == "2026-03-11T23:59:59-05:00"
    assert "540.0303" in result.rule
    assert any("rating_period_start not given" in flag for flag in result.flags)


def test_illinois_medicaid_without_rating_period_still_needs_it_when_not_stricter() -> None:
    with pytest.raises(DeadlineError, match="rating_period_start"):
        run(
            regime="medicaid_managed_care",
            state="IL",
            event="initial_request_decision",
            received_at="2026-03-02T10:00:00-06:00",
            all_information_received_at="2026-03-04T10:00:00-06:00",
            timezone="America/Chicago",
        )
