"""Appeal ladders: which level follows an upheld decision in each regime."""

import pytest

from domain.appeals import AppealLevel, appeal_ladder, next_level
from domain.enums import Regime


def test_medicare_advantage_reconsideration_auto_forwards_to_the_ire() -> None:
    following = next_level(Regime.MEDICARE_ADVANTAGE, AppealLevel.PLAN_RECONSIDERATION)
    assert following is not None
    assert following.level == AppealLevel.IRE_RECONSIDERATION
    assert following.auto_forwarded


def test_medicaid_goes_to_state_fair_hearing_and_erisa_to_external_review() -> None:
    medicaid = next_level(Regime.MEDICAID_MANAGED_CARE, AppealLevel.PLAN_APPEAL)
    assert medicaid is not None and medicaid.level == AppealLevel.STATE_FAIR_HEARING
    erisa = next_level(Regime.ERISA_GROUP, AppealLevel.INTERNAL_APPEAL)
    assert erisa is not None and erisa.level == AppealLevel.EXTERNAL_REVIEW
    assert erisa.filing_event == "external_review_filing_window"


def test_two_level_erisa_plan_has_a_second_internal_appeal() -> None:
    ladder = appeal_ladder(Regime.ERISA_GROUP, internal_levels=2)
    assert [s.level for s in ladder] == [
        AppealLevel.INTERNAL_APPEAL,
        AppealLevel.SECOND_INTERNAL_APPEAL,
        AppealLevel.EXTERNAL_REVIEW,
    ]
    assert [s.number for s in ladder] == [1, 2, 3]


def test_end_of_ladder_and_foreign_levels() -> None:
    assert next_level(Regime.ACA_INDIVIDUAL, AppealLevel.EXTERNAL_REVIEW) is None
    with pytest.raises(ValueError, match="not an appeal level"):
        next_level(Regime.ACA_INDIVIDUAL, AppealLevel.STATE_FAIR_HEARING)


@pytest.mark.parametrize("regime", list(Regime))
def test_every_regime_has_a_first_level_with_a_filing_window(regime: Regime) -> None:
    first = appeal_ladder(regime)[0]
    assert first.number == 1
    assert first.filing_event == "appeal_filing_window"
