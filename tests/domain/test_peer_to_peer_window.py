"""The payer's peer-to-peer window as a due moment: hours, calendar and business days, counted
from the decision or the notice, at the boundaries (DST, month end, holidays). Every expected
moment is counted by hand in the payer's zone."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError

from domain.peer_to_peer import PeerToPeerWindow, window_due

CHICAGO = "America/Chicago"


def due(window: dict[str, object], decided_at: datetime, notice: date | None = None) -> str:
    moment = window_due(
        PeerToPeerWindow.model_validate(window),
        decided_at=decided_at,
        notice_date=notice,
        timezone=CHICAGO,
    )
    return moment.isoformat()


def test_business_days_skip_the_weekend_and_thanksgiving() -> None:
    # Wed 25 Nov 2026, 16:00 CST; Thu 26 is Thanksgiving; Fri 27 is day 1, Mon 30 day 2.
    decided = datetime(2026, 11, 25, 22, 0, tzinfo=UTC)
    window = {"amount": 2, "unit": "business_days"}
    assert due(window, decided) == "2026-11-30T23:59:59-06:00"


def test_calendar_days_cross_a_month_end_and_end_the_local_day() -> None:
    # Sat 31 Oct 2026, 23:30 CDT is 1 Nov 04:30 UTC: the local date counts, not UTC's.
    decided = datetime(2026, 11, 1, 4, 30, tzinfo=UTC)
    window = {"amount": 14, "unit": "calendar_days"}
    assert due(window, decided) == "2026-11-14T23:59:59-06:00"  # CST after 1 Nov


def test_hours_are_elapsed_time_across_the_fall_back() -> None:
    # Sat 31 Oct 2026 20:00 CDT + 48 h = 3 Nov 01:00 UTC = Mon 2 Nov 19:00 CST: 47 h on the wall.
    decided = datetime(2026, 11, 1, 1, 0, tzinfo=UTC)
    assert due({"amount": 48, "unit": "hours"}, decided) == "2026-11-02T19:00:00-06:00"


def test_a_window_from_the_notice_counts_from_its_date() -> None:
    decided = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
    window = {"amount": 5, "unit": "calendar_days", "counted_from": "denial_notice"}
    assert due(window, decided, notice=date(2026, 12, 3)) == "2026-12-08T23:59:59-06:00"
    # Without the notice's date, the decision's date stands in.
    assert due(window, decided) == "2026-12-06T23:59:59-06:00"


def test_the_window_describes_itself_and_refuses_nonsense() -> None:
    window = PeerToPeerWindow(amount=1, unit="business_days", counted_from="denial_notice")
    assert window.description == "within 1 business day of the denial notice"
    with pytest.raises(ValidationError) as raised:
        PeerToPeerWindow.model_validate({"amount": 0})
    assert raised.value.errors()[0]["loc"] == ("amount",)
