"""Synthetic payer directory entries for the directory tests (fictional payers and numbers)."""

from __future__ import annotations

import copy
from typing import Any

from domain.payer_directory import PayerEntry, PayerEntryBody

APPEALS_ADDRESS = {
    "line1": "Appeals Unit, PO Box 7702",
    "city": "Austin",
    "state": "TX",
    "postal_code": "78711",
}

_BODY: dict[str, Any] = {
    "name": "Bluebonnet Health Plan",
    "naic_code": "99902",
    "timezone": "America/Chicago",
    "lines": [
        {
            "regime": "state_insured",
            "channel": {
                "kind": "clearinghouse",
                "clearinghouse": "Example Clearinghouse",
                "payer_id": "BBH01",
            },
            "x12_payer_id": "BBH01",
            "appeals_address": APPEALS_ADDRESS,
            "appeals_fax": "(555) 010-0151",
            "peer_to_peer_phone": "(555) 010-0152",
            "peer_to_peer_window": {
                "amount": 2,
                "unit": "business_days",
                "counted_from": "denial_decision",
            },
        },
        {
            "regime": "medicaid_managed_care",
            "channel": {"kind": "fax", "fax": "(555) 010-0160"},
            "appeals_fax": "(555) 010-0161",
        },
        {
            "regime": "medicare_advantage",
            "channel": {"kind": "pas", "endpoint_url": "https://pas.bluebonnet.example/fhir"},
        },
    ],
    "pa_rules": [
        {"code": "70551-70553", "requirement": "required", "note": "MRI brain"},
        {"code": "J*", "requirement": "required", "note": "Drugs billed with J-codes"},
        {"code": "J1100", "requirement": "not_required"},
        {"code": "E0601", "requirement": "required", "regime": "medicare_advantage"},
        {
            "code": "70551-70553",
            "requirement": "not_required",
            "regime": "medicaid_managed_care",
            "state": "TX",
            "note": "Texas Medicaid: imaging reviewed by the state's vendor instead",
        },
        {"code": "*", "requirement": "not_required", "regime": "medicare_advantage"},
    ],
}


def body(**overrides: Any) -> dict[str, Any]:
    """The entry's JSON (without payer id), as an administrator would PUT it."""
    data = copy.deepcopy(_BODY)
    data.update(overrides)
    return data


def entry(payer_id: str = "BBH", **overrides: Any) -> PayerEntry:
    return PayerEntry.model_validate({"payer_id": payer_id, **body(**overrides)})


def entry_body(**overrides: Any) -> PayerEntryBody:
    return PayerEntryBody.model_validate(body(**overrides))
