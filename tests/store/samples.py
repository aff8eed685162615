"""Synthetic, valid case data for the store tests (no real person, payer or provider)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from domain.appeals import AppealLevel
from domain.case.read_model import Appeal
from domain.enums import ContactChannel
from domain.models import CaseDeadline, ContactLogEntry, Obligor, PayerDecision, PriorAuthRequest

CHICAGO = ZoneInfo("America/Chicago")
RECEIVED = datetime(2026, 3, 2, 9, 15, tzinfo=CHICAGO)


def request(
    *,
    payer_id: str = "EXH01",
    payer_name: str = "Example Health Plan",
    regime: str = "medicare_advantage",
    urgency: str = "standard",
    codes: tuple[str, ...] = ("27447",),
    **overrides: Any,
) -> PriorAuthRequest:
    """A complete request: nested member, coverage, providers, lines, diagnoses, attachments."""
    coverage: dict[str, Any] = {
        "regime": regime,
        "payer": {
            "name": payer_name,
            "payer_id": payer_id,
            "timezone": "America/New_York",
            "fax": "(555) 010-0199",
            "appeals_address": {
                "line1": "PO Box 1000",
                "city": "Hartford",
                "state": "CT",
                "postal_code": "06101",
            },
        },
        "plan_name": "Example Advantage PPO",
        "plan_id": "H1234-001",
    }
    if regime in {"state_insured", "medicaid_managed_care", "chip_managed_care"}:
        coverage["state"] = "IL"
    data: dict[str, Any] = {
        "member": {
            "member_id": "W123456789",
            "first_name": "Testa",
            "last_name": "Patientson",
            "birth_date": "1958-04-12",
            "address": {
                "line1": "1 Sample Lane",
                "city": "Springfield",
                "state": "IL",
                "postal_code": "62701",
            },
        },
        "coverage": coverage,
        "requesting_provider": {
            "npi": "1234567893",
            "name": "Dr. Ortho Example",
            "tin": "12-3456789",
        },
        "servicing_provider": {"npi": "1982345609", "name": "Example Surgical Center"},
        "service_lines": [
            {
                "sequence": index,
                "code": code,
                "description": f"Procedure {code}",
                "units": 1,
                "place_of_service": "22",
                "modifiers": ["RT"],
                "start_date": "2026-04-01",
                "end_date": "2026-04-03",
            }
            for index, code in enumerate(codes, start=1)
        ],
        "diagnoses": [
            {"code": "M17.11", "description": "Unilateral primary osteoarthritis, right knee"},
            {"code": "M25.561", "primary": False},
        ],
        "urgency": urgency,
        "attachments": [
            {"reference": "doc-001", "title": "Knee X-ray report", "loinc_code": "18748-4"}
        ],
        "clinical_summary": "Failed 6 months of conservative therapy.",
    }
    if urgency == "expedited":
        data["urgency_justification"] = "Severe pain; standard time frame would jeopardize function"
    data.update(overrides)
    return PriorAuthRequest.model_validate(data)


def denial(decision_id: str = "dec-001", *, at: datetime | None = None) -> PayerDecision:
    return PayerDecision.model_validate(
        {
            "decision_id": decision_id,
            "source": "x12_278",
            "decided_at": at or datetime(2026, 3, 4, 16, 30, tzinfo=CHICAGO),
            "received_at": datetime(2026, 3, 4, 22, 31, 5, 123456, tzinfo=UTC),
            "payer_reference": "REF-778899",
            "notice_date": "2026-03-04",
            "items": [
                {
                    "sequence": 1,
                    "review_action_code": "A3",
                    "reason_code": "CO-50",
                    "reason_text": "Not medically necessary per policy MP-123",
                    "policy_cited": "MP-123 Knee arthroplasty",
                }
            ],
        }
    )


def approval(decision_id: str = "dec-002", *, sequences: tuple[int, ...] = (1,)) -> PayerDecision:
    return PayerDecision.model_validate(
        {
            "decision_id": decision_id,
            "decided_at": datetime(2026, 3, 10, 12, 0, tzinfo=UTC),
            "items": [
                {
                    "sequence": sequence,
                    "review_action_code": "A1",
                    "authorization_number": f"AUTH-{sequence:04d}",
                    "approved_units": 1,
                    "authorized_start": "2026-04-01",
                    "authorized_end": "2026-06-30",
                }
                for sequence in sequences
            ],
        }
    )


def deadline(key: str = "initial_decision", *, due: datetime, **overrides: Any) -> CaseDeadline:
    data: dict[str, Any] = {
        "key": key,
        "label": "Payer decision due",
        "obligor": Obligor.PAYER,
        "due_at": due,
        "rule": "42 CFR 422.568(b)(1)",
        "rule_id": "ma.initial.standard",
        "convention": "calendar days from receipt",
        "explanation": "7 calendar days for a standard pre-service request",
        "starts_at": RECEIVED,
    }
    data.update(overrides)
    return CaseDeadline.model_validate(data)


def call(summary: str = "Called payer, decision pending") -> ContactLogEntry:
    return ContactLogEntry(
        channel=ContactChannel.CALL,
        occurred_at=datetime(2026, 3, 3, 10, 0, tzinfo=CHICAGO),
        counterpart="UM nurse line",
        reference_number="CALL-5512",
        summary=summary,
        follow_up_due=datetime(2026, 3, 5, 10, 0, tzinfo=CHICAGO),
    )


def appeal(**overrides: Any) -> Appeal:
    data: dict[str, Any] = {
        "level": AppealLevel.PLAN_RECONSIDERATION,
        "number": 1,
        "sequences": [1],
        "arguments": ["Meets criteria MP-123 section 2", "Failed conservative therapy"],
    }
    data.update(overrides)
    return Appeal.model_validate(data)


def hours(n: float) -> timedelta:
    return timedelta(hours=n)
