"""Format and check-digit rules for the identifiers a case carries (NPI, CPT/HCPCS, ICD-10-CM)."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_CPT = re.compile(r"^\d{5}$|^\d{4}[FTU]$")
_HCPCS = re.compile(r"^[A-V]\d{4}$")
_ICD10CM = re.compile(r"^[A-TV-Z]\d[0-9A-Z](?:\.?[0-9A-Z]{1,4})?$")
_STATE = frozenset(
    [
        "AL",
        "AK",
        "AZ",
        "AR",
        "CA",
        "CO",
        "CT",
        "DE",
        "DC",
        "FL",
        "GA",
        "HI",
        "ID",
        "IL",
        "IN",
        "IA",
        "KS",
        "KY",
        "LA",
        "ME",
        "MD",
        "MA",
        "MI",
        "MN",
        "MS",
        "MO",
        "MT",
        "NE",
        "NV",
        "NH",
        "NJ",
        "NM",
        "NY",
        "NC",
        "ND",
        "OH",
        "OK",
        "OR",
        "PA",
        "RI",
        "SC",
        "SD",
        "TN",
        "TX",
        "UT",
        "VT",
        "VA",
        "WA",
        "WV",
        "WI",
        "WY",
        "PR",
        "VI",
        "GU",
        "AS",
        "MP",
    ]
)


def npi_is_valid(npi: str) -> bool:
    """Luhn check over the NPI with the card-issuer prefix 80840 (CMS NPI check-digit rule)."""
    if len(npi) != 10 or not npi.isdigit() or npi[0] not in "12":
        return False
    total = 24  # the 80840 prefix's contribution to the Luhn sum
    for position, char in enumerate(reversed(npi[:9])):
        digit = int(char)
        if position % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return (10 - total % 10) % 10 == int(npi[9])


def normalize_npi(value: str) -> str:
    npi = value.strip()
    if not (len(npi) == 10 and npi.isdigit()):
        raise ValueError("an NPI is exactly 10 digits")
    if npi[0] not in "12":
        raise ValueError("an NPI starts with 1 or 2")
    if not npi_is_valid(npi):
        raise ValueError("NPI check digit does not match (Luhn check with prefix 80840)")
    return npi


def normalize_procedure_code(value: str) -> str:
    """Accept a CPT (5 digits, or 4 digits + F/T/U) or HCPCS Level II (letter + 4 digits) code."""
    code = value.strip().upper()
    if _CPT.match(code) or _HCPCS.match(code):
        return code
    raise ValueError(
        f"'{value}' is not a CPT code (5 digits, or 4 digits + F/T/U) "
        "nor a HCPCS Level II code (letter A-V + 4 digits)"
    )


def normalize_icd10cm(value: str) -> str:
    """Uppercase and put the dot after the category (M17.11), as ICD-10-CM is printed."""
    code = value.strip().upper()
    if not _ICD10CM.match(code):
        raise ValueError(
            f"'{value}' is not an ICD-10-CM code (letter, digit, character, then up to 4 more)"
        )
    bare = code.replace(".", "")
    return bare if len(bare) == 3 else f"{bare[:3]}.{bare[3:]}"


def normalize_state(value: str) -> str:
    state = value.strip().upper()
    if state not in _STATE:
        raise ValueError(f"'{value}' is not a two-letter US state or territory code")
    return state


def normalize_timezone(value: str) -> str:
    """An IANA zone name (America/Chicago); fixed offsets would break across DST."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"'{value}' is not an IANA time zone (e.g. America/Chicago)") from exc
    return value
