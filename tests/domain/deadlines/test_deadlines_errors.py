"""The engine never guesses: missing inputs are named, rule-less combinations say so."""

from typing import Any

import pytest
from pydantic import ValidationError

from domain.deadlines import DeadlineError, DeadlineQuery, DeadlineResult, compute_deadline


def run(**fields: Any) -> DeadlineResult:
    return compute_deadline(DeadlineQuery.model_validate(fields))


RECEIVED = "2026-03-02T10:00:00-05:00"


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"regime": "medicare_advantage", "event": "initial_request_decision"}, "received_at"),
        ({"regime": "erisa_group", "event": "appeal_decision"}, "received_at"),
        ({"regime": "medicare_part_d", "event": "appeal_filing_window"}, "notice_date"),
        ({"regime": "erisa_group", "event": "external_review_filing_window"}, "notice_date"),
        (
            {"regime": "medicaid_managed_care", "event": "state_fair_hearing_filing_window"},
            "notice_date",
        ),
        (
            {
                "regime": "medicaid_managed_care",
                "event": "initial_request_decision",
                "received_at": RECEIVED,
            },
            "rating_period_start",
        ),
        ({"regime": "medicare_advantage", "event": "extension"}, "base_event"),
        (
            {
                "regime": "medicaid_managed_care",
                "event": "termination_advance_notice",
                "notice_date": "2026-03-02",
            },
            "intended_effective_date",
        ),
    ],
)
def test_missing_input_is_named(fields: dict[str, Any], named: str) -> None:
    with pytest.raises(DeadlineError, match=f"missing input '{named}'"):
        run(**fields)


@pytest.mark.parametrize(
    ("regime", "event"),
    [
        ("medicare_advantage", "external_review_filing_window"),
        ("medicare_advantage", "state_fair_hearing_filing_window"),
        ("medicare_part_d", "external_review_decision"),
        ("erisa_group", "state_fair_hearing_filing_window"),
        ("erisa_group", "next_level_auto_forward"),
        ("aca_individual", "termination_advance_notice"),
        ("medicaid_managed_care", "external_review_filing_window"),
        ("medicaid_managed_care", "incomplete_claim_notice"),
    ],
)
def test_combination_without_rule_names_regime_and_event(regime: str, event: str) -> None:
    with pytest.raises(DeadlineError) as caught:
        run(regime=regime, event=event, received_at=RECEIVED, notice_date="2026-03-02")
    assert f"'{regime}'" in str(caught.value)
    assert f"'{event}'" in str(caught.value)


@pytest.mark.parametrize(
    ("regime", "base_event"),
    [
        ("medicare_part_d", "initial_request_decision"),
        ("medicare_part_d", "appeal_decision"),
        ("erisa_group", "appeal_decision"),
        ("aca_individual", "appeal_decision"),
        ("erisa_group", "external_review_decision"),
        ("medicare_advantage", "appeal_filing_window"),
    ],
)
def test_extension_where_the_rule_allows_none(regime: str, base_event: str) -> None:
    with pytest.raises(DeadlineError, match="allows no extension"):
        run(
            regime=regime,
            event="extension",
            base_event=base_event,
            received_at=RECEIVED,
            notice_date="2026-03-02",
        )


def test_extension_taken_on_a_filing_window_is_ignored_with_a_flag() -> None:
    result = run(
        regime="medicare_advantage",
        event="appeal_filing_window",
        notice_date="2026-03-02",
        extension_taken=True,
    )
    assert result.due_at.isoformat() == "2026-05-06T23:59:59-04:00"
    assert any("extension_taken ignored" in flag for flag in result.flags)


def test_ma_drug_item_points_to_part_d() -> None:
    with pytest.raises(DeadlineError, match="medicare_part_d"):
        run(
            regime="medicare_advantage",
            event="initial_request_decision",
            item_type="drug",
            received_at=RECEIVED,
        )


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"received_at": "2026-03-02T10:00:00"}, "received_at"),  # naive: refused
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"state": "XX"}, "state"),
        ({"appeal_levels": 3}, "appeal_levels"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_invalid_queries_are_refused_by_the_model(fields: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        DeadlineQuery.model_validate(
            {"regime": "erisa_group", "event": "appeal_decision", **fields}
        )
    assert field in str(caught.value)
