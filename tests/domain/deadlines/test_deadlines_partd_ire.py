"""Part D: the enrollee's request for IRE reconsideration (42 CFR 423.600(a)).

60 days after receipt of the redetermination notice, receipt presumed 5 days after the date on
the notice (the presumption the Part D redetermination window of 423.582(b) already uses), so
65 calendar days from the notice date, strict last day (A5). The case records the window when
the plan upholds its redetermination, and the letter asking for the IRE quotes it.
"""

from datetime import date, timedelta
from typing import Any

import pytest

from domain.appeals import AppealLevel, appeal_ladder, next_level
from domain.case.appeal_result import AppealResult
from domain.case.prior_auth_rules import NEXT_LEVEL_WINDOW
from domain.case.step import find_deadline
from domain.case.vocabulary import AppealStatus, Phase
from domain.deadlines import DeadlineError, DeadlineEvent, DeadlineQuery, compute_deadline
from domain.enums import ItemOutcome, Regime
from tests.domain.case.prior_auth_factories import T0, Driver, decision, facts, item

IRE = {"regime": "medicare_part_d", "event": "ire_reconsideration_filing_window"}


def window(**fields: Any) -> Any:
    return compute_deadline(DeadlineQuery.model_validate({**IRE, **fields}))


def test_sixty_days_after_presumed_receipt() -> None:
    # Mon 2 Mar + 65: Mar 31 is +29, Apr 30 is +59, May 6 is +65.
    result = window(notice_date="2026-03-02")
    assert result.due_at.isoformat() == "2026-05-06T23:59:59-04:00"
    assert result.rule == "42 CFR 423.600(a)"
    assert result.rule_id == "part_d.ire_reconsideration.filing"
    assert result.convention == "calendar_days_end_of_day_local"
    assert "presumed 5 days after its date; notice dated 2026-03-02" in result.explanation
    assert any("unless shown otherwise" in flag for flag in result.flags)


def test_same_presumption_as_the_redetermination_window() -> None:
    notice = "2026-06-15"
    ire = window(notice_date=notice)
    redetermination = compute_deadline(
        DeadlineQuery(regime="medicare_part_d", event="appeal_filing_window", notice_date=notice)
    )
    assert ire.due_at == redetermination.due_at
    assert ire.rule != redetermination.rule


def test_leap_day_inside_the_window() -> None:
    # Tue 28 Dec 2027: Dec 31 +3, Jan 31 +34, Feb 29 +63, Thu 2 Mar 2028 +65.
    result = window(notice_date="2027-12-28", timezone="America/Chicago")
    assert result.due_at.isoformat() == "2028-03-02T23:59:59-06:00"


def test_window_across_the_spring_forward_ends_in_daylight_time() -> None:
    # Mon 5 Jan: Jan 31 +26, Feb 28 +54, Wed 11 Mar +65 (after 8 Mar, CDT).
    result = window(notice_date="2026-01-05", timezone="America/Chicago")
    assert result.due_at.isoformat() == "2026-03-11T23:59:59-05:00"


def test_window_ending_on_a_sunday_is_not_rolled_and_says_so() -> None:
    # Fri 30 Oct: Nov 30 +31, Dec 31 +62, Sun 3 Jan 2027 +65 (New Year's Day passes unnoticed).
    result = window(notice_date="2026-10-30", timezone="America/Chicago")
    assert result.due_at.isoformat() == "2027-01-03T23:59:59-06:00"
    assert any("ends on a Sunday" in flag for flag in result.flags)


def test_missing_notice_date_is_named() -> None:
    with pytest.raises(DeadlineError, match="missing input 'notice_date'"):
        window()


def test_extension_taken_is_ignored_on_a_filing_window() -> None:
    result = window(notice_date="2026-03-02", extension_taken=True)
    assert result.due_at.isoformat() == "2026-05-06T23:59:59-04:00"
    assert any(flag.startswith("extension_taken ignored") for flag in result.flags)


@pytest.mark.parametrize(
    ("regime", "says"),
    [
        ("medicare_advantage", "next_level_auto_forward"),
        ("erisa_group", "not a step"),
        ("medicaid_managed_care", "not a Medicaid managed care step"),
    ],
)
def test_other_regimes_have_no_ire_request(regime: str, says: str) -> None:
    with pytest.raises(DeadlineError, match=f"no rule for regime '{regime}'") as raised:
        compute_deadline(
            DeadlineQuery.model_validate({**IRE, "regime": regime, "notice_date": "2026-03-02"})
        )
    assert says in str(raised.value)


def test_part_d_external_review_question_points_to_the_ire_event() -> None:
    with pytest.raises(DeadlineError, match="ire_reconsideration_filing_window"):
        compute_deadline(
            DeadlineQuery(
                regime="medicare_part_d",
                event="external_review_filing_window",
                notice_date=date(2026, 3, 2),
            )
        )


def test_the_part_d_ladder_names_the_ire_window() -> None:
    ire = next_level(Regime.MEDICARE_PART_D, AppealLevel.PLAN_REDETERMINATION)
    assert ire is not None and ire.level == AppealLevel.IRE_RECONSIDERATION
    assert ire.filing_event == DeadlineEvent.IRE_RECONSIDERATION_FILING_WINDOW.value


# CHIP's state review names the fair-hearing window, which the engine refuses for CHIP
# (42 CFR 457.1120-457.1160 set no federal window): a gap outside the Part D change.
@pytest.mark.parametrize("regime", [r for r in Regime if r is not Regime.CHIP_MANAGED_CARE])
def test_every_filing_event_of_every_ladder_is_answered_for_its_regime(regime: Regime) -> None:
    for spec in appeal_ladder(regime, internal_levels=2 if regime is Regime.ERISA_GROUP else 1):
        if spec.filing_event is None:
            continue
        result = compute_deadline(
            DeadlineQuery(
                regime=regime, event=DeadlineEvent(spec.filing_event), notice_date=date(2026, 3, 2)
            )
        )
        assert result.due_at.date() > date(2026, 3, 2), spec


def test_an_upheld_redetermination_records_the_ire_window_on_the_case() -> None:
    driver = Driver(facts=facts(Regime.MEDICARE_PART_D))
    driver.open()
    driver.decide(decision("d-1", item(1, ItemOutcome.DENIED), item(2, ItemOutcome.DENIED)))
    assert driver.file_appeal() is None
    decided = T0 + timedelta(days=30)  # 2026-12-31 15:00 UTC = 10:00 EST: notice 31 Dec
    driver.appeal_result(
        AppealResult(
            level=AppealLevel.PLAN_REDETERMINATION,
            number=1,
            status=AppealStatus.UPHELD,
            decided_at=decided,
        )
    )
    assert driver.state.phase == Phase.NEXT_LEVEL_OFFERED
    offer = driver.state.offer
    assert offer is not None and offer.level == AppealLevel.IRE_RECONSIDERATION
    recorded = find_deadline(driver.state.deadlines, NEXT_LEVEL_WINDOW)
    assert recorded is not None and offer.filing_due == recorded
    # 31 Dec 2026 + 65: Jan 31 +31, Feb 28 +59, Sat 6 Mar 2027 +65.
    assert recorded.due_at.isoformat() == "2027-03-06T23:59:59-05:00"
    assert recorded.rule == "42 CFR 423.600(a)"
    assert recorded.rule_id == "part_d.ire_reconsideration.filing"
