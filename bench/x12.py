"""X12 278 throughput on one core (goal: 5,000 parses/s and 5,000 builds/s).

Run: `.venv/bin/python bench/x12.py [--rounds N]`. Prints e.g.
`x12: 9,000 278 builds/s (one core, 3 service lines, validated)` and the parse rate over the
response corpus (tests/fixtures/x12: approvals, partial, denial, pend, several lines, dependent,
odd separators), each parse checking envelopes, loops and elements. Rates are per second of
this process's CPU time, so other work on a shared machine does not lower them.
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import datetime
from pathlib import Path

from domain.models import PriorAuthRequest
from integrations.x12 import ControlNumbers, Party, build_278_request, parse_278_response

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "fixtures" / "x12"
RESPONSES = [
    "approval_a1.x12",
    "partial_a2.x12",
    "modified_a6.x12",
    "denial_a3.x12",
    "pend_a4.x12",
    "final_after_pend_a1.x12",
    "multiple_lines.x12",
    "dependent_a1.x12",
    "separators_pipe_no_breaks.x12",
    "separators_crlf_trailing_space.x12",
]
NOW = datetime.fromisoformat("2026-03-05T09:30:00-05:00")
REQUEST = {
    "member": {
        "member_id": "GRP88812345",
        "first_name": "Maria",
        "last_name": "Sample",
        "birth_date": "1962-09-03",
    },
    "coverage": {
        "regime": "erisa_group",
        "plan_name": "Acme PPO",
        "payer": {"name": "Acme Employee Health Plan", "payer_id": "ACMEHP"},
    },
    "requesting_provider": {"npi": "1245319599", "name": "Dr. Rafael Ortiz"},
    "service_lines": [
        {
            "sequence": 1,
            "code": "72148",
            "description": "MRI lumbar spine",
            "start_date": "2026-04-01",
            "end_date": "2026-04-30",
            "place_of_service": "22",
        },
        {"sequence": 2, "code": "63030", "description": "Lumbar laminotomy"},
        {
            "sequence": 3,
            "code": "97110",
            "description": "Therapeutic exercise",
            "units": 12,
            "start_date": "2026-04-01",
            "end_date": "2026-06-30",
        },
    ],
    "diagnoses": [{"code": "M54.16", "primary": True}, {"code": "M51.26"}],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5_000)
    rounds = parser.parse_args().rounds
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    request = PriorAuthRequest.model_validate(REQUEST)
    sender, receiver = Party("PRIORAUTH"), Party("ACMECLEARING")

    started = time.process_time()
    for number in range(1, rounds + 1):
        build_278_request(
            request,
            sender=sender,
            receiver=receiver,
            controls=ControlNumbers(number, number),
            trace=f"CASE{number:06d}",
            now=NOW,
        )
    elapsed = time.process_time() - started
    print(f"x12: {rounds / elapsed:,.0f} 278 builds/s (one core, 3 service lines, validated)")

    texts = [(CORPUS / name).read_text() for name in RESPONSES]
    started = time.process_time()
    for number in range(rounds):
        parse_278_response(texts[number % len(texts)])
    elapsed = time.process_time() - started
    print(
        f"x12: {rounds / elapsed:,.0f} 278 response parses/s (one core, {len(texts)} corpus "
        "files in turn, to PayerDecision)"
    )


if __name__ == "__main__":
    main()
