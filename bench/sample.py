"""The synthetic prior-authorization request the benchmarks open their cases with (no PHI)."""

from __future__ import annotations

from domain.models import PriorAuthRequest


def bench_request() -> PriorAuthRequest:
    return PriorAuthRequest.model_validate(
        {
            "member": {
                "member_id": "BENCH0001",
                "first_name": "Bench",
                "last_name": "Member",
                "birth_date": "1960-01-01",
            },
            "coverage": {
                "regime": "medicare_advantage",
                "payer": {"name": "Bench Plan", "payer_id": "BENCH"},
                "plan_name": "Bench PPO",
            },
            "requesting_provider": {"npi": "1234567893", "name": "Dr. Bench"},
            "service_lines": [
                {
                    "sequence": 1,
                    "code": "97110",
                    "description": "Therapeutic exercise",
                    "start_date": "2026-12-01",
                }
            ],
            "diagnoses": [{"code": "M17.11", "primary": True}],
        }
    )
