"""Deadline engine throughput: mixed queries across every regime, on one core.

Run: `.venv/bin/python bench/deadlines.py [--queries N]`. Prints e.g.
`deadlines: 64,000 computations/s (one core, 200,000 queries)`; the second line adds the cost of
validating each query from a dict, as `priorauth deadline` and the API do.
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import datetime, timedelta
from typing import Any

from domain.deadlines import DeadlineError, DeadlineQuery, compute_deadline

TEMPLATES: list[dict[str, Any]] = [
    {"regime": "medicare_advantage", "event": "initial_request_decision"},
    {"regime": "medicare_advantage", "event": "initial_request_decision", "urgency": "expedited"},
    {
        "regime": "medicare_advantage",
        "event": "extension",
        "base_event": "initial_request_decision",
    },
    {"regime": "medicare_advantage", "event": "appeal_decision", "request_type": "payment"},
    {"regime": "medicare_advantage", "event": "appeal_filing_window"},
    {"regime": "medicare_advantage", "event": "next_level_auto_forward"},
    {"regime": "medicare_part_d", "event": "initial_request_decision"},
    {"regime": "medicare_part_d", "event": "initial_request_decision", "request_type": "exception"},
    {"regime": "medicare_part_d", "event": "next_level_auto_forward"},
    {"regime": "medicaid_managed_care", "event": "initial_request_decision"},
    {"regime": "medicaid_managed_care", "event": "initial_request_decision", "state": "TX"},
    {"regime": "medicaid_managed_care", "event": "appeal_decision", "urgency": "expedited"},
    {"regime": "medicaid_managed_care", "event": "state_fair_hearing_filing_window"},
    {"regime": "chip_managed_care", "event": "continuation_of_benefits_filing_window"},
    {"regime": "erisa_group", "event": "initial_request_decision", "urgency": "expedited"},
    {
        "regime": "erisa_group",
        "event": "initial_request_decision",
        "service_timing": "post_service",
    },
    {"regime": "erisa_group", "event": "pending_information_decision"},
    {"regime": "erisa_group", "event": "appeal_decision", "appeal_levels": 2},
    {"regime": "erisa_group", "event": "external_review_filing_window"},
    {"regime": "erisa_group", "event": "external_review_preliminary_review"},
    {"regime": "aca_individual", "event": "initial_request_decision"},
    {"regime": "aca_individual", "event": "external_review_decision", "state": "TX"},
    {"regime": "state_insured", "event": "initial_request_decision", "state": "IL"},
    {"regime": "state_insured", "event": "initial_request_decision", "state": "TX"},
]


def build_queries(count_per_template: int) -> list[dict[str, Any]]:
    """Each template at many receipt moments (every 7 hours from 2026-01-05)."""
    start = datetime.fromisoformat("2026-01-05T09:00:00-05:00")
    fields: list[dict[str, Any]] = []
    for n in range(count_per_template):
        received = start + timedelta(hours=7 * n)
        for template in TEMPLATES:
            fields.append(
                {
                    **template,
                    "timezone": "America/Chicago" if n % 2 else "America/New_York",
                    "received_at": received,
                    "notice_date": received.date(),
                    "rating_period_start": "2026-01-01",
                    "intended_effective_date": (received + timedelta(days=20)).date(),
                    "info_request_sent_at": received + timedelta(days=3),
                    "claimant_response_at": received + timedelta(days=9),
                    "all_information_received_at": received + timedelta(days=1),
                }
            )
    return fields


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--queries", type=int, default=200_000)
    total = parser.parse_args().queries
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    fields = build_queries(max(1, 2_000 // len(TEMPLATES)))
    queries = [DeadlineQuery.model_validate(item) for item in fields]
    for query in queries:  # warm the zone and holiday caches, and check every query answers
        try:
            compute_deadline(query)
        except DeadlineError as exc:
            raise SystemExit(f"bench query failed: {exc}") from exc

    started = time.perf_counter()
    for n in range(total):
        compute_deadline(queries[n % len(queries)])
    elapsed = time.perf_counter() - started
    print(f"deadlines: {total / elapsed:,.0f} computations/s (one core, {total:,} queries)")

    validated = total // 4
    started = time.perf_counter()
    for n in range(validated):
        compute_deadline(DeadlineQuery.model_validate(fields[n % len(fields)]))
    elapsed = time.perf_counter() - started
    print(
        f"deadlines with query validation: {validated / elapsed:,.0f} computations/s "
        f"(one core, {validated:,} queries)"
    )


if __name__ == "__main__":
    main()
