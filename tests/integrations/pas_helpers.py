"""Helpers for the PAS tests: the PAS test-kit fixture files and a synthetic valid case."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from domain.models import PriorAuthRequest
from integrations.pas.intake_models import PlanMapping

# Copies of the Da Vinci PAS test kit's fixtures (Apache-2.0, see tests/fixtures/pas/NOTICE).
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "pas"

CONFORMANT = [
    "conformant_pas_bundle_v110.json",
    "conformant_pas_bundle_v110_uuid.json",
    "conformant_pas_bundle_v110_multiple_items.json",
]

PLAN = PlanMapping(regime="medicare_advantage", plan_name="Example Advantage PPO")


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return data


def request_data(**overrides: Any) -> dict[str, Any]:
    """A valid synthetic case request (no real person)."""
    data: dict[str, Any] = {
        "member": {
            "member_id": "W123456789",
            "first_name": "Testa",
            "last_name": "Patientson",
            "birth_date": "1958-04-12",
            "group_number": "GRP-77",
            "address": {
                "line1": "1 Main Street",
                "line2": "Apt 2",
                "city": "Springfield",
                "state": "IL",
                "postal_code": "62701",
            },
        },
        "coverage": {
            "regime": "medicare_advantage",
            "payer": {"name": "Example Health Plan", "payer_id": "EXH01"},
            "plan_name": "Example Advantage PPO",
            "plan_id": "H1234-001",
        },
        "requesting_provider": {
            "npi": "1234567893",
            "name": "Dr. Ortho Example",
            "phone": "555-010-0100",
        },
        "service_lines": [
            {
                "sequence": 1,
                "code": "27447",
                "description": "Total knee arthroplasty",
                "units": 1,
                "place_of_service": "22",
                "start_date": "2026-12-01",
            }
        ],
        "diagnoses": [
            {"code": "M17.11", "description": "Primary osteoarthritis, right knee", "primary": True}
        ],
    }
    data.update(overrides)
    return data


def make_request(**overrides: Any) -> PriorAuthRequest:
    return PriorAuthRequest.model_validate(request_data(**overrides))


def line(sequence: int, code: str, units: int = 1, **extra: Any) -> dict[str, Any]:
    return {
        "sequence": sequence,
        "code": code,
        "description": f"Service {code}",
        "units": units,
        "start_date": "2026-12-01",
        **extra,
    }


def completed_fixture(name: str = "conformant_pas_bundle_v110.json") -> dict[str, Any]:
    """A fixture bundle with what the test kit leaves doubtful made certain.

    Adds a birth date, a CPT code and service date on each item, and a valid NPI on the
    requesting Organization; everything else stays as the test kit wrote it. (The fixtures as
    they are open cases too, with warnings; this is the fully specified variant.)
    """
    bundle = copy.deepcopy(load(name))
    for entry in bundle["entry"]:
        resource = entry["resource"]
        if resource["resourceType"] == "Patient":
            resource["birthDate"] = "1958-04-12"
        if resource["resourceType"] == "Organization" and resource["id"].endswith(
            ("UMOExample", "5b91")
        ):
            resource["identifier"][0]["value"] = "2345678900"
    for item in bundle["entry"][0]["resource"]["item"]:
        item["productOrService"]["coding"].insert(
            0,
            {
                "system": "http://www.ama-assn.org/go/cpt",
                "code": "97110",
                "display": "Therapeutic exercises",
            },
        )
        item["servicedDate"] = "2026-12-01"
    return bundle
