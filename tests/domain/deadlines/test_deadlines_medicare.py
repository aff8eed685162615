"""Medicare Advantage and Part D clocks (REGULATIONS.md §1-§2), with hand-computed answers.

Calendar used: 2026-03-02 is a Monday; US DST starts 2026-03-08 and ends 2026-11-01.
"""

from datetime import datetime
from typing import Any

import pytest

from domain.deadlines import DeadlineError, DeadlineQuery, DeadlineResult, compute_deadline


def run(**fields: Any) -> DeadlineResult:
    return compute_deadline(DeadlineQuery.model_validate(fields))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


MA = {"regime": "medicare_advantage"}
PART_D = {"regime": "medicare_part_d"}
DECIDE = {"event": "initial_request_decision"}


# ---------------------------------------------------------------- MA organization determinations


def test_ma_standard_pa_2026_is_seven_calendar_days_to_end_of_day() -> None:
    result = run(**MA, **DECIDE, received_at="2026-03-02T10:00:00-05:00")
    assert result.due_at == at("2026-03-09T23:59:59-04:00")
    assert result.due_at.isoformat() == "2026-03-09T23:59:59-04:00"
    assert result.rule == "42 CFR 422.568(b)(1)(ii) as amended by CMS-0057-F (89 FR 8758)"
    assert result.rule_id == "ma.od.standard.pa.2026"
    assert result.convention == "calendar_days_end_of_day_local"
    assert result.explanation == (
        "Medicare Advantage must decide a standard prior-authorization request within 7 "
        "calendar days of receipt (received 2026-03-02), by end of day 2026-03-09 "
        "America/New_York."
    )


@pytest.mark.parametrize(
    ("received_at", "due", "rule_id"),
    [
        # A2: keyed on the receipt date in the plan's zone.
        ("2025-12-31T15:00:00-05:00", "2026-01-14T23:59:59-05:00", "ma.od.standard.pa.pre2026"),
        ("2026-01-01T09:00:00-05:00", "2026-01-08T23:59:59-05:00", "ma.od.standard.pa.2026"),
        # 03:30 UTC on Jan 1 is still Dec 31 in New York: the 14-day rule applies.
        ("2026-01-01T03:30:00+00:00", "2026-01-14T23:59:59-05:00", "ma.od.standard.pa.pre2026"),
    ],
)
def test_ma_2026_switch_keys_on_local_receipt_date(
    received_at: str, due: str, rule_id: str
) -> None:
    result = run(**MA, **DECIDE, received_at=received_at)
    assert result.due_at == at(due)
    assert result.rule_id == rule_id


def test_ma_item_not_subject_to_pa_keeps_fourteen_days_in_2026() -> None:
    result = run(
        **MA,
        **DECIDE,
        received_at="2026-03-02T10:00:00-05:00",
        subject_to_prior_authorization=False,
    )
    assert result.due_at == at("2026-03-16T23:59:59-04:00")
    assert result.rule == "42 CFR 422.568(b)(1)(i)"


def test_ma_expedited_72_hours_across_spring_forward_ends_an_hour_later_on_the_clock() -> None:
    result = run(**MA, **DECIDE, urgency="expedited", received_at="2026-03-06T10:00:00-05:00")
    assert result.due_at.isoformat() == "2026-03-09T11:00:00-04:00"
    assert result.convention == "elapsed_hours"
    assert result.rule == "42 CFR 422.572(a)"


def test_ma_expedited_72_hours_across_fall_back_ends_an_hour_earlier_on_the_clock() -> None:
    result = run(**MA, **DECIDE, urgency="expedited", received_at="2026-10-30T10:00:00-04:00")
    assert result.due_at.isoformat() == "2026-11-02T09:00:00-05:00"


def test_ma_expedited_extension_is_72_hours_then_14_days_at_the_same_wall_time() -> None:
    # 72 h -> 2026-03-02 10:00 EST; +14 calendar days across the DST change keeps 10:00.
    result = run(
        **MA,
        event="extension",
        base_event="initial_request_decision",
        urgency="expedited",
        received_at="2026-02-27T10:00:00-05:00",
    )
    assert result.due_at.isoformat() == "2026-03-16T10:00:00-04:00"
    assert result.convention == "elapsed_hours_then_calendar_days_same_wall_time"
    assert result.rule_id == "ma.od.expedited.extended"
    assert result.event == "extension"


def test_ma_standard_extension_adds_14_days_and_extension_taken_means_the_same() -> None:
    by_event = run(
        **MA,
        event="extension",
        base_event="initial_request_decision",
        received_at="2026-03-02T10:00:00-05:00",
    )
    by_flag = run(**MA, **DECIDE, extension_taken=True, received_at="2026-03-02T10:00:00-05:00")
    assert by_event.due_at == by_flag.due_at == at("2026-03-23T23:59:59-04:00")
    assert by_event.rule_id == by_flag.rule_id == "ma.od.standard.pa.2026.extended"


def test_ma_pre_2026_extension_totals_28_days() -> None:
    result = run(**MA, **DECIDE, extension_taken=True, received_at="2025-12-01T10:00:00-05:00")
    assert result.due_at == at("2025-12-29T23:59:59-05:00")


def test_ma_part_b_drug_72_hours_standard_24_hours_expedited() -> None:
    standard = run(**MA, **DECIDE, item_type="part_b_drug", received_at="2026-03-02T10:00:00-05:00")
    expedited = run(
        **MA,
        **DECIDE,
        item_type="part_b_drug",
        urgency="expedited",
        received_at="2026-03-02T10:00:00-05:00",
    )
    assert standard.due_at.isoformat() == "2026-03-05T10:00:00-05:00"
    assert expedited.due_at.isoformat() == "2026-03-03T10:00:00-05:00"


def test_ma_part_b_drug_has_no_extension() -> None:
    with pytest.raises(DeadlineError, match="allows no extension"):
        run(
            **MA,
            event="extension",
            base_event="initial_request_decision",
            item_type="part_b_drug",
            received_at="2026-03-02T10:00:00-05:00",
        )


def test_ma_expedite_refused_applies_seven_days_and_flags_a1() -> None:
    result = run(
        **MA,
        **DECIDE,
        urgency="expedited",
        expedite_refused=True,
        received_at="2026-03-02T10:00:00-05:00",
    )
    assert result.due_at == at("2026-03-09T23:59:59-04:00")
    assert "expedite refused: 7-day clock applied (A1)" in result.flags


def test_ma_payment_request_sixty_days() -> None:
    result = run(**MA, **DECIDE, request_type="payment", received_at="2026-03-02T10:00:00-05:00")
    assert result.due_at == at("2026-05-01T23:59:59-04:00")


def test_ma_in_another_zone_counts_local_dates() -> None:
    # 23:30 in Chicago on 2 March is 00:30 on 3 March in New York.
    chicago = run(
        **MA, **DECIDE, received_at="2026-03-02T23:30:00-06:00", timezone="America/Chicago"
    )
    new_york = run(**MA, **DECIDE, received_at="2026-03-02T23:30:00-06:00")
    assert chicago.due_at.isoformat() == "2026-03-09T23:59:59-05:00"
    assert new_york.due_at.isoformat() == "2026-03-10T23:59:59-04:00"


# ---------------------------------------------------------------- MA reconsideration and IRE


def test_ma_reconsideration_filing_is_notice_date_plus_65_days() -> None:
    result = run(**MA, event="appeal_filing_window", notice_date="2026-03-02")
    assert result.due_at == at("2026-05-06T23:59:59-04:00")
    assert result.rule == "42 CFR 422.582(b)-(c)"
    assert "may be extended by plan/state policy" in result.flags


@pytest.mark.parametrize(
    ("extra", "due"),
    [
        ({}, "2026-04-01T23:59:59-04:00"),
        ({"request_type": "payment"}, "2026-05-01T23:59:59-04:00"),
        ({"item_type": "part_b_drug"}, "2026-03-09T23:59:59-04:00"),
        ({"urgency": "expedited"}, "2026-03-05T10:00:00-05:00"),
        ({"extension_taken": True}, "2026-04-15T23:59:59-04:00"),
        ({"urgency": "expedited", "extension_taken": True}, "2026-03-19T10:00:00-04:00"),
    ],
)
def test_ma_reconsideration_decision(extra: dict[str, Any], due: str) -> None:
    result = run(**MA, event="appeal_decision", received_at="2026-03-02T10:00:00-05:00", **extra)
    assert result.due_at.isoformat() == due


@pytest.mark.parametrize(
    "extra", [{"request_type": "payment"}, {"item_type": "part_b_drug"}], ids=["payment", "drug"]
)
def test_ma_reconsideration_extension_not_for_payment_or_part_b(extra: dict[str, Any]) -> None:
    with pytest.raises(DeadlineError, match="allows no extension"):
        run(
            **MA,
            event="extension",
            base_event="appeal_decision",
            received_at="2026-03-02T10:00:00-05:00",
            **extra,
        )


def test_ma_auto_forward_to_ire_by_the_reconsideration_deadline() -> None:
    plain = run(**MA, event="next_level_auto_forward", received_at="2026-03-02T10:00:00-05:00")
    extended = run(
        **MA,
        event="next_level_auto_forward",
        extension_taken=True,
        received_at="2026-03-02T10:00:00-05:00",
    )
    assert plain.due_at == at("2026-04-01T23:59:59-04:00")
    assert plain.rule == "42 CFR 422.590; 422.592(a)"
    assert plain.rule_id == "ma.ire_forward.standard"
    assert extended.due_at == at("2026-04-15T23:59:59-04:00")


# ---------------------------------------------------------------- Part D


def test_part_d_standard_coverage_determination_72_hours_across_dst() -> None:
    result = run(**PART_D, **DECIDE, received_at="2026-03-06T10:00:00-05:00")
    assert result.due_at.isoformat() == "2026-03-09T11:00:00-04:00"
    assert result.rule == "42 CFR 423.568(b)"


def test_part_d_expedited_24_hours_across_spring_forward() -> None:
    result = run(**PART_D, **DECIDE, urgency="expedited", received_at="2026-03-07T12:00:00-05:00")
    assert result.due_at.isoformat() == "2026-03-08T13:00:00-04:00"


def test_part_d_exception_runs_from_the_supporting_statement() -> None:
    result = run(
        **PART_D,
        **DECIDE,
        request_type="exception",
        received_at="2026-03-02T09:00:00-05:00",
        supporting_statement_received_at="2026-03-04T15:00:00-05:00",
    )
    assert result.due_at.isoformat() == "2026-03-07T15:00:00-05:00"


def test_part_d_exception_without_statement_runs_72_hours_after_day_14() -> None:
    result = run(
        **PART_D, **DECIDE, request_type="exception", received_at="2026-03-02T09:00:00-05:00"
    )
    assert result.due_at.isoformat() == "2026-03-19T23:59:59-04:00"
    assert result.convention == "calendar_days_end_of_day_local_then_elapsed_hours"
    assert result.rule_id == "part_d.cd.exception.standard.no_statement"


def test_part_d_expedited_exception_24_hours_from_the_statement() -> None:
    result = run(
        **PART_D,
        **DECIDE,
        request_type="exception",
        urgency="expedited",
        received_at="2026-03-02T09:00:00-05:00",
        supporting_statement_received_at="2026-03-07T12:00:00-05:00",
    )
    assert result.due_at.isoformat() == "2026-03-08T13:00:00-04:00"


def test_part_d_late_statement_never_pushes_past_the_14_day_fallback() -> None:
    # Statement on day 18: the fallback (end of day 14 + 72 h) came first.
    result = run(
        **PART_D,
        **DECIDE,
        request_type="exception",
        urgency="expedited",
        received_at="2026-03-02T09:00:00-05:00",
        supporting_statement_received_at="2026-03-20T12:00:00-04:00",
    )
    assert result.due_at.isoformat() == "2026-03-19T23:59:59-04:00"
    assert result.rule_id == "part_d.cd.exception.expedited.late_statement"


def test_part_d_payment_fourteen_days() -> None:
    result = run(
        **PART_D, **DECIDE, request_type="payment", received_at="2026-03-02T09:00:00-05:00"
    )
    assert result.due_at == at("2026-03-16T23:59:59-04:00")


def test_part_d_expedite_refused_goes_to_the_72_hour_clock() -> None:
    result = run(
        **PART_D,
        **DECIDE,
        urgency="expedited",
        expedite_refused=True,
        received_at="2026-03-02T09:00:00-05:00",
    )
    assert result.due_at.isoformat() == "2026-03-05T09:00:00-05:00"
    assert any(flag.startswith("expedite refused") for flag in result.flags)


def test_part_d_has_no_extension() -> None:
    with pytest.raises(DeadlineError, match="allows no extension"):
        run(
            **PART_D,
            event="extension",
            base_event="initial_request_decision",
            received_at="2026-03-02T09:00:00-05:00",
        )


def test_part_d_redetermination_filing_65_days_from_notice() -> None:
    result = run(**PART_D, event="appeal_filing_window", notice_date="2026-03-02")
    assert result.due_at == at("2026-05-06T23:59:59-04:00")
    assert result.rule == "42 CFR 423.582(b)"


@pytest.mark.parametrize(
    ("extra", "due"),
    [
        ({}, "2026-03-09T23:59:59-04:00"),
        ({"request_type": "payment"}, "2026-03-16T23:59:59-04:00"),
        ({"urgency": "expedited"}, "2026-03-05T09:00:00-05:00"),
    ],
)
def test_part_d_redetermination_decision(extra: dict[str, Any], due: str) -> None:
    result = run(
        **PART_D, event="appeal_decision", received_at="2026-03-02T09:00:00-05:00", **extra
    )
    assert result.due_at.isoformat() == due


def test_part_d_auto_forward_24_hours_after_a_missed_redetermination() -> None:
    result = run(**PART_D, event="next_level_auto_forward", received_at="2026-03-02T09:00:00-05:00")
    assert result.due_at.isoformat() == "2026-03-10T23:59:59-04:00"
    assert result.rule_id == "part_d.ire_forward.redetermination"


def test_part_d_auto_forward_after_expiry_is_elapsed_time_across_dst() -> None:
    # 7 days from Sat 2026-02-28 end Sat 2026-03-07 23:59:59 EST; 24 elapsed hours later the
    # clocks have sprung forward.
    result = run(**PART_D, event="next_level_auto_forward", received_at="2026-02-28T09:00:00-05:00")
    assert result.due_at.isoformat() == "2026-03-09T00:59:59-04:00"


def test_part_d_auto_forward_of_a_missed_coverage_determination() -> None:
    result = run(
        **PART_D,
        event="next_level_auto_forward",
        base_event="initial_request_decision",
        received_at="2026-03-02T10:00:00-05:00",
    )
    assert result.due_at.isoformat() == "2026-03-06T10:00:00-05:00"
    assert result.rule_id == "part_d.ire_forward.cd"


def test_ma_post_service_request_is_a_payment_request() -> None:
    result = run(
        **MA, **DECIDE, service_timing="post_service", received_at="2026-03-02T10:00:00-05:00"
    )
    assert result.due_at == at("2026-05-01T23:59:59-04:00")
    assert result.rule_id == "ma.od.payment"


def test_ma_payment_request_cannot_be_expedited() -> None:
    with pytest.raises(DeadlineError, match="cannot be expedited"):
        run(
            **MA,
            **DECIDE,
            request_type="payment",
            urgency="expedited",
            received_at="2026-03-02T10:00:00-05:00",
        )
