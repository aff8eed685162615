"""Invariants of the deadline engine over generated queries (hypothesis)."""

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from domain.deadlines import DeadlineError, DeadlineQuery, DeadlineResult, compute_deadline
from domain.deadlines.calendars import HolidayCalendar, is_business_day
from domain.deadlines.clock import END_OF_DAY_CONVENTIONS

ZONES = [
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
    "America/Puerto_Rico",
]
DECISIONS = ["initial_request_decision", "appeal_decision", "external_review_decision"]
REGIMES = [
    "medicare_advantage",
    "medicare_part_d",
    "medicaid_managed_care",
    "chip_managed_care",
    "erisa_group",
    "aca_individual",
    "state_insured",
]
PROPERTY_SETTINGS = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.filter_too_much]
)

# From 2026-01-02 so the MA 2026 switch (a deliberate step down) is not crossed.
instants = st.datetimes(
    min_value=datetime(2026, 1, 2),
    max_value=datetime(2030, 12, 31),
    timezones=st.just(UTC),
)


@st.composite
def decision_queries(draw: st.DrawFn) -> dict[str, Any]:
    received = draw(instants)
    return {
        "regime": draw(st.sampled_from(REGIMES)),
        "event": draw(st.sampled_from(DECISIONS)),
        "state": draw(st.sampled_from([None, "TX", "IL", "NY"])),
        "urgency": draw(st.sampled_from(["standard", "expedited"])),
        "service_timing": draw(st.sampled_from(["pre_service", "concurrent", "post_service"])),
        "item_type": draw(st.sampled_from(["service", "service", "part_b_drug", "drug"])),
        "request_type": draw(st.sampled_from(["benefit", "benefit", "payment", "exception"])),
        "hospitalized": draw(st.booleans()),
        "subject_to_prior_authorization": draw(st.booleans()),
        "rating_period_start": draw(st.sampled_from(["2025-07-01", "2026-01-01"])),
        "appeal_levels": draw(st.sampled_from([1, 2])),
        "timezone": draw(st.sampled_from(ZONES)),
        "received_at": received,
        "all_information_received_at": received
        + draw(st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=10))),
        "supporting_statement_received_at": received
        + draw(st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=20))),
    }


def answer(fields: dict[str, Any]) -> DeadlineResult | None:
    try:
        return compute_deadline(DeadlineQuery.model_validate(fields))
    except DeadlineError:
        return None


@PROPERTY_SETTINGS
@given(decision_queries())
def test_due_at_is_aware_local_and_after_receipt(fields: dict[str, Any]) -> None:
    result = answer(fields)
    assume(result is not None)
    assert result is not None
    assert result.due_at.tzinfo == ZoneInfo(fields["timezone"])
    assert result.due_at.utcoffset() is not None
    assert result.due_at > fields["received_at"]
    if result.convention in END_OF_DAY_CONVENTIONS:
        assert (result.due_at.hour, result.due_at.minute, result.due_at.second) == (23, 59, 59)


@PROPERTY_SETTINGS
@given(decision_queries())
def test_extension_is_never_earlier_than_the_base(fields: dict[str, Any]) -> None:
    base = answer(fields)
    extended = answer({**fields, "event": "extension", "base_event": fields["event"]})
    assume(base is not None and extended is not None)
    assert base is not None and extended is not None
    assert extended.due_at >= base.due_at


@PROPERTY_SETTINGS
@given(decision_queries())
def test_expedited_is_never_later_than_standard(fields: dict[str, Any]) -> None:
    standard = answer({**fields, "urgency": "standard"})
    expedited = answer({**fields, "urgency": "expedited"})
    assume(standard is not None and expedited is not None)
    assert standard is not None and expedited is not None
    assert expedited.due_at <= standard.due_at


@PROPERTY_SETTINGS
@given(decision_queries(), st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=40)))
def test_monotone_in_received_at(fields: dict[str, Any], later_by: timedelta) -> None:
    earlier = answer(fields)
    later = answer({**fields, "received_at": fields["received_at"] + later_by})
    assume(earlier is not None and later is not None)
    assert earlier is not None and later is not None
    assert earlier.due_at <= later.due_at


@PROPERTY_SETTINGS
@given(
    st.dates(min_value=date(2024, 1, 1), max_value=date(2032, 12, 31)),
    st.sampled_from(ZONES),
    st.booleans(),
)
def test_external_review_window_ends_on_a_business_day_at_least_four_months_on(
    notice: date, timezone: str, observed: bool
) -> None:
    result = compute_deadline(
        DeadlineQuery(
            regime="erisa_group",
            event="external_review_filing_window",
            notice_date=notice,
            timezone=timezone,
            count_observed_holidays=observed,
        )
    )
    last = result.due_at.date()
    calendar = HolidayCalendar.FEDERAL_OBSERVED if observed else HolidayCalendar.FEDERAL
    assert is_business_day(last, calendar)
    months = (last.year - notice.year) * 12 + last.month - notice.month
    assert months >= 4
    assert last - notice <= timedelta(days=4 * 31 + 5)


@PROPERTY_SETTINGS
@given(
    st.dates(min_value=date(2024, 1, 1), max_value=date(2032, 12, 31)),
    st.sampled_from(
        [
            ("medicare_advantage", "appeal_filing_window", 65),
            ("medicare_part_d", "appeal_filing_window", 65),
            ("medicaid_managed_care", "appeal_filing_window", 60),
            ("medicaid_managed_care", "state_fair_hearing_filing_window", 120),
            ("erisa_group", "appeal_filing_window", 180),
            ("aca_individual", "appeal_filing_window", 180),
        ]
    ),
)
def test_member_filing_windows_are_strict_calendar_days(
    notice: date, row: tuple[str, str, int]
) -> None:
    regime, event, days = row
    result = compute_deadline(
        DeadlineQuery.model_validate({"regime": regime, "event": event, "notice_date": notice})
    )
    assert result.due_at.date() == notice + timedelta(days=days)
    assert "may be extended by plan/state policy" in result.flags


@PROPERTY_SETTINGS
@given(instants, st.sampled_from(ZONES))
def test_preliminary_review_is_five_business_days(received: datetime, timezone: str) -> None:
    result = compute_deadline(
        DeadlineQuery(
            regime="erisa_group",
            event="external_review_preliminary_review",
            received_at=received,
            timezone=timezone,
        )
    )
    start = received.astimezone(ZoneInfo(timezone)).date()
    last = result.due_at.date()
    between = [start + timedelta(days=n) for n in range(1, (last - start).days + 1)]
    assert sum(is_business_day(day, HolidayCalendar.FEDERAL) for day in between) == 5
    assert is_business_day(last, HolidayCalendar.FEDERAL)
