"""Identifier rules a case manager relies on: NPI check digit, procedure and diagnosis codes."""

import pytest

from domain.codes import (
    normalize_icd10cm,
    normalize_npi,
    normalize_procedure_code,
    normalize_state,
    npi_is_valid,
)


@pytest.mark.parametrize("npi", ["1234567893", "1245319599", "1003000126"])
def test_valid_npis_pass_the_luhn_check(npi: str) -> None:
    assert npi_is_valid(npi)
    assert normalize_npi(f" {npi} ") == npi


@pytest.mark.parametrize(
    ("npi", "reason"),
    [
        ("1234567890", "check digit"),
        ("123456789", "10 digits"),
        ("12345678AB", "10 digits"),
        ("3234567893", "starts with 1 or 2"),
    ],
)
def test_bad_npis_say_why(npi: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        normalize_npi(npi)


@pytest.mark.parametrize(
    ("raw", "code"),
    [("27447", "27447"), ("0075t", "0075T"), ("3008F", "3008F"), ("j1745", "J1745")],
)
def test_procedure_codes_cpt_and_hcpcs(raw: str, code: str) -> None:
    assert normalize_procedure_code(raw) == code


@pytest.mark.parametrize("raw", ["2744", "274470", "W1234", "J174", "ABCDE"])
def test_procedure_code_rejections(raw: str) -> None:
    with pytest.raises(ValueError, match="not a CPT code"):
        normalize_procedure_code(raw)


@pytest.mark.parametrize(
    ("raw", "code"),
    [("m1711", "M17.11"), ("M17.11", "M17.11"), ("E11", "E11"), ("S72001A", "S72.001A")],
)
def test_icd10cm_is_normalized_with_its_dot(raw: str, code: str) -> None:
    assert normalize_icd10cm(raw) == code


@pytest.mark.parametrize("raw", ["U07.1", "1234", "M1", "M17.11111"])
def test_icd10cm_rejections(raw: str) -> None:
    with pytest.raises(ValueError, match="ICD-10-CM"):
        normalize_icd10cm(raw)


def test_state_codes() -> None:
    assert normalize_state("tx") == "TX"
    with pytest.raises(ValueError, match="state"):
        normalize_state("XX")
