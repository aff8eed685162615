"""Shared inputs for the X12 tests: the corpus folder, case requests, a fixed moment."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from domain.models import PriorAuthRequest
from integrations.x12 import ControlNumbers, Party, build_278_request

REPO = Path(__file__).resolve().parents[3]
CORPUS = REPO / "tests" / "fixtures" / "x12"
KNEE = REPO / "examples" / "requests" / "knee-replacement-erisa.json"
NOW = datetime(2026, 3, 5, 9, 30, tzinfo=ZoneInfo("America/New_York"))


def knee_data() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(KNEE.read_text())
    return data


def knee() -> PriorAuthRequest:
    return PriorAuthRequest.model_validate(knee_data())


def spine() -> PriorAuthRequest:
    """Three lines (imaging, surgery, therapy), the request multiple_lines.x12 answers."""
    data = knee_data()
    data["service_lines"] = [
        {
            "sequence": 1,
            "code": "72148",
            "description": "MRI lumbar spine",
            "units": 1,
            "start_date": "2026-04-01",
            "end_date": "2026-04-30",
        },
        {"sequence": 2, "code": "63030", "description": "Lumbar laminotomy", "units": 1},
        {
            "sequence": 3,
            "code": "97110",
            "description": "Therapeutic exercise",
            "units": 12,
            "start_date": "2026-04-01",
            "end_date": "2026-06-30",
        },
    ]
    data["diagnoses"] = [{"code": "M54.16", "primary": True}]
    return PriorAuthRequest.model_validate(data)


def corpus(name: str) -> str:
    return (CORPUS / name).read_text()


def build(request: PriorAuthRequest, **options: Any) -> str:
    arguments: dict[str, Any] = {
        "sender": Party("PRIORAUTH"),
        "receiver": Party("ACMECLEARING"),
        "controls": ControlNumbers(1, 1),
        "trace": "CASE0001",
        "now": NOW,
        **options,
    }
    return build_278_request(request, **arguments)
