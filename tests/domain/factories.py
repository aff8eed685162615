"""Synthetic, valid request data for domain tests (no real person)."""

from __future__ import annotations

from typing import Any


def request_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "member": {
            "member_id": "W123456789",
            "first_name": "Testa",
            "last_name": "Patientson",
            "birth_date": "1958-04-12",
        },
        "coverage": {
            "regime": "medicare_advantage",
            "payer": {"name": "Example Health Plan", "payer_id": "EXH01"},
            "plan_name": "Example Advantage PPO",
        },
        "requesting_provider": {"npi": "1234567893", "name": "Dr. Ortho Example"},
        "service_lines": [
            {
                "sequence": 1,
                "code": "27447",
                "description": "Total knee arthroplasty",
                "units": 1,
                "start_date": "2026-12-01",
            }
        ],
        "diagnoses": [{"code": "m1711", "primary": True}],
    }
    data.update(overrides)
    return data
