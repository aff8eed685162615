"""Payer performance figures: a hand-built history gives the figures a person counts by hand."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine

from store.database import read_session
from store.payer_stats import PayerPerformance, PeriodKind, payer_performance, periods
from store.scope import EVERY_CASE, CaseScope
from tests.store.payer_history import ACME, BOLT, HISTORY, ZONE, build

MARCH, APRIL = date(2026, 3, 1), date(2026, 4, 30)


def _figures(
    engine: Engine, scope: CaseScope = EVERY_CASE, kind: PeriodKind = PeriodKind.MONTH
) -> dict[str, PayerPerformance]:
    build(engine)
    with read_session(engine) as session:
        found = payer_performance(
            session, kind=kind, first=MARCH, last=APRIL, zone=ZONE, scope=scope
        )
    return {payer.payer_id: payer for payer in found}


def test_acme_in_march_as_counted_by_hand(engine: Engine) -> None:
    march = [r for r in HISTORY if r.payer_id == ACME and r.received.month == 3]
    decided = [r for r in march if r.outcome]
    denied = [r for r in decided if r.outcome == "denied"]
    hours = sorted(r.hours_to_decision for r in decided)  # five: 24, 48, 72, 96, 240

    acme = _figures(engine)[ACME]
    first = acme.periods[0]

    assert [p.period for p in acme.periods] == ["2026-03", "2026-04"]
    assert first.requests == len(march) == 5
    assert first.decided == 5
    assert first.approved == 2  # acme-2's pended answer is not its decision
    assert first.approved_share == pytest.approx(2 / 5)
    assert first.denied == len(denied) == 3
    assert first.approved_after_appeal == 1  # acme-3 overturned; acme-4 upheld
    assert first.median_hours == pytest.approx(hours[2])  # the third of five
    assert first.p90_hours == pytest.approx(hours[4])  # rank ceil(0.9 * 5) = 5
    assert first.with_clock == 5
    assert first.late == sum(r.late for r in decided) == 1  # acme-5 after 10 days, clock 7
    assert first.late_share == pytest.approx(1 / 5)
    assert first.appealed == 2
    assert first.appeal_rate == pytest.approx(2 / 3)
    assert (first.appeals_decided, first.overturned) == (2, 1)
    assert first.overturn_rate == pytest.approx(1 / 2)


def test_a_period_without_decisions_and_the_whole_range(engine: Engine) -> None:
    acme = _figures(engine)[ACME]
    april = acme.periods[1]
    assert (april.requests, april.decided, april.median_hours) == (1, 0, None)
    assert april.approved_share is None  # nothing decided: no share, not 0 %
    assert acme.total.period == "all"
    assert (acme.total.requests, acme.total.decided, acme.total.denied) == (6, 5, 3)
    assert acme.total.median_hours == pytest.approx(72)


def test_top_denial_reasons_with_their_text(engine: Engine) -> None:
    reasons = _figures(engine)[ACME].denial_reasons
    assert [(r.code, r.count) for r in reasons] == [("CO-50", 2), ("N-100", 1)]
    assert reasons[0].text == "Not medically necessary per policy MP-123"


def test_quarters(engine: Engine) -> None:
    acme = _figures(engine, kind=PeriodKind.QUARTER)[ACME]
    assert [(p.period, p.requests) for p in acme.periods] == [("2026 Q1", 5), ("2026 Q2", 1)]


def test_a_team_sees_only_its_own_cases(engine: Engine) -> None:
    cardio = _figures(engine, CaseScope(teams=frozenset({"cardio"})))
    assert list(cardio) == [BOLT]
    assert cardio[BOLT].total.requests == 2
    assert cardio[BOLT].total.median_hours == pytest.approx(5)  # rank ceil(0.5 * 2) = 1


def test_periods_follow_the_organizations_zone() -> None:
    march = periods(PeriodKind.MONTH, date(2026, 3, 1), date(2026, 3, 31), ZONE)
    # Midnight in Chicago: 06:00 UTC before daylight saving time began (March 8), 05:00 after.
    assert (march[0].start.hour, march[0].end.hour) == (6, 5)


def test_a_range_ending_before_it_starts_or_too_long_is_refused() -> None:
    with pytest.raises(ValueError, match="before its start"):
        periods(PeriodKind.MONTH, date(2026, 3, 1), date(2026, 2, 1), ZONE)
    with pytest.raises(ValueError, match="more than 60"):
        periods(PeriodKind.MONTH, date(2016, 1, 1), date(2026, 1, 1), ZONE)
