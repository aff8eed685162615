"""Building the 278 request: what a payer reads back, and the case field named when the case
cannot make a valid 278."""

from __future__ import annotations

from datetime import date

import pytest

from domain.models import PriorAuthRequest
from integrations.x12 import ControlNumbers, Party, Subscriber, X12ValidationError
from integrations.x12.envelope import read_interchange
from integrations.x12.structure import walk_278
from integrations.x12.tokenizer import Separators, tokenize
from tests.integrations.x12.helpers import build, knee, knee_data, spine


def _segments(text: str) -> dict[str, list[list[str]]]:
    found: dict[str, list[list[str]]] = {}
    for segment in tokenize(text):
        found.setdefault(segment.id, []).append(segment.elements)
    return found


def test_the_round_trip_reads_back_every_loop_of_the_case() -> None:
    text = build(knee())
    interchange = read_interchange(text)
    (transaction,) = interchange.transactions()
    assert (transaction.kind, transaction.control_number) == ("278", "0001")
    levels = walk_278(transaction.body, "request")
    assert [level.code for level in levels] == ["20", "21", "22", "EV", "SS"]
    by_loop = {(p.loop, p.segment.id): p.segment for level in levels for p in level.segments}
    payer = by_loop[("2010A", "NM1")]
    assert payer.elements[1:4] == ["X3", "2", "Acme Employee Health Plan"]
    assert payer.elements[8:10] == ["PI", "ACMEHP"]
    requester = by_loop[("2010B", "NM1")]
    assert requester.elements[1:5] == ["1P", "1", "Ortiz", "Rafael"]
    assert requester.elements[8:10] == ["XX", "1245319599"]
    member = by_loop[("2010C", "NM1")]
    assert member.elements[3:5] == ["Sample", "Maria"]
    assert member.elements[8:10] == ["MI", "GRP88812345"]
    assert by_loop[("2010C", "DMG")].elements[1:] == ["D8", "19620903"]
    assert by_loop[("2000E", "TRN")].elements[1:] == ["1", "CASE0001", "9PRIORAUTH"]
    assert by_loop[("2000E", "UM")].elements[1:5] == ["HS", "I", "1", "22:B"]
    assert by_loop[("2000E", "HI")].elements[1:] == ["ABK:M1711"]
    assert by_loop[("2000F", "TRN")].elements[2] == "CASE0001-1"
    assert by_loop[("2000F", "SV1")].elements[1:5] == ["HC:27447", "", "UN", "1"]
    assert by_loop[("2000F", "DTP")].elements[1:] == ["472", "D8", "20261215"]
    bht = transaction.body[0]
    assert bht.elements[1:] == ["0007", "13", "CASE0001", "20260305", "0930"]


def test_envelope_carries_control_numbers_and_counts() -> None:
    text = build(knee(), controls=ControlNumbers(interchange=42, group=7, transaction=12))
    found = _segments(text)
    assert found["ISA"][0][13] == "000000042"
    assert found["IEA"][0][1:] == ["1", "000000042"]
    assert found["GS"][0][6] == "7" and found["GE"][0][1:] == ["1", "7"]
    assert found["ST"][0][2] == "0012" and found["SE"][0][2] == "0012"
    segments = tokenize(text)
    st = next(s.position for s in segments if s.id == "ST")
    se = next(s for s in segments if s.id == "SE")
    assert int(se.elements[1]) == se.position - st + 1


def test_a_dependent_patient_is_reported_under_the_subscriber() -> None:
    subscriber = Subscriber("GRP88812345", "John", "Sample", "19", date(1960, 1, 2))
    text = build(knee(), subscriber=subscriber)
    levels = walk_278(read_interchange(text).transactions()[0].body, "request")
    assert [(level.code, level.parent_id) for level in levels] == [
        ("20", ""),
        ("21", "1"),
        ("22", "2"),
        ("23", "3"),
        ("EV", "4"),
        ("SS", "5"),
    ]
    found = _segments(text)
    subscriber_nm1, dependent_nm1 = (s for s in found["NM1"] if s[1] in ("IL", "QC"))
    assert subscriber_nm1[3:5] == ["Sample", "John"] and subscriber_nm1[9] == "GRP88812345"
    assert dependent_nm1[3:5] == ["Sample", "Maria"] and len(dependent_nm1) == 5
    assert found["INS"] == [["INS", "N", "19"]]


def test_several_lines_expedited_and_institutional() -> None:
    data = spine().model_dump(mode="json")
    data["urgency"] = "expedited"
    data["urgency_justification"] = "progressive neurological deficit"
    data["hospitalized"] = True
    data["servicing_provider"] = {"npi": "2982701239", "name": "Valley Surgical Center"}
    request = PriorAuthRequest.model_validate(data)
    found = _segments(build(request))
    event_um = found["UM"][0]
    assert event_um[6] == "U"
    assert [s[2] for s in found["SV2"]] == ["HC:72148", "HC:63030", "HC:97110"]
    assert "SV1" not in found
    assert found["HSD"] == [["HSD", "VS", "12"]]  # only the line with units over a period
    assert [s[2] for s in found["TRN"]] == ["CASE0001", "CASE0001-1", "CASE0001-2", "CASE0001-3"]
    assert ["NM1", "SJ", "2", "Valley Surgical Center", "", "", "", "", "XX", "2982701239"] in (
        found["NM1"]
    )


def test_a_service_type_line_is_the_patient_event_service_type() -> None:
    data = knee_data()
    data["service_lines"] = [
        {
            "sequence": 1,
            "code_system": "x12_service_type",
            "code": "12",
            "description": "Durable medical equipment",
        }
    ]
    found = _segments(build(PriorAuthRequest.model_validate(data)))
    assert found["UM"] == [["UM", "HS", "I", "12"]]
    assert "SV1" not in found and [h[3] for h in found["HL"]] == ["20", "21", "22", "EV"]


@pytest.mark.parametrize(
    ("separators", "line_breaks"),
    [(Separators("|", ">", "^", "~"), False), (Separators("*", ":", "^", "\n"), False)],
)
def test_any_separators_build_and_read_back(separators: Separators, line_breaks: bool) -> None:
    text = build(spine(), separators=separators, line_breaks=line_breaks)
    assert text.startswith(f"ISA{separators.element}")
    transaction = read_interchange(text).transactions()[0]
    sv1 = [s for s in transaction.body if s.id == "SV1"]
    assert [s.components(1)[1] for s in sv1] == ["72148", "63030", "97110"]


def _problem(request: PriorAuthRequest, **options: object) -> X12ValidationError:
    with pytest.raises(X12ValidationError) as caught:
        build(request, **options)
    return caught.value


def test_a_name_too_long_for_the_278_names_the_case_field_and_element() -> None:
    data = knee_data()
    data["member"]["last_name"] = "L" * 61
    error = _problem(PriorAuthRequest.model_validate(data))
    assert (error.field, error.segment, error.element) == ("member.last_name", "NM1", "NM103")
    assert "longer than 60" in str(error)
    assert error.position == 10


def test_a_separator_inside_a_value_is_refused() -> None:
    data = knee_data()
    data["coverage"]["payer"]["name"] = "Acme*Plan"
    error = _problem(PriorAuthRequest.model_validate(data))
    assert (error.field, error.element) == ("coverage.payer.name", "NM103")


def test_a_provider_without_npi_or_tin_cannot_be_sent() -> None:
    data = knee_data()
    data["requesting_provider"] = {"other_identifier": "ATYP-1", "name": "Home Care Co"}
    error = _problem(PriorAuthRequest.model_validate(data))
    assert error.field == "requesting_provider.npi" and error.element == "NM109"


def test_two_service_types_cannot_share_one_278() -> None:
    data = knee_data()
    data["service_lines"] = [
        {"sequence": 1, "code_system": "x12_service_type", "code": "12", "description": "DME"},
        {"sequence": 2, "code_system": "x12_service_type", "code": "42", "description": "HHC"},
    ]
    error = _problem(PriorAuthRequest.model_validate(data))
    assert error.field == "service_lines.1.code_system" and error.element == "UM03"


@pytest.mark.parametrize(
    ("options", "field", "element"),
    [
        ({"trace": ""}, "trace", "TRN02"),
        ({"originator": "PRIORAUTH"}, "originator", "TRN03"),
        ({"certification_type": "Z"}, "certification_type", "UM02"),
        ({"sender": Party("A" * 16)}, "sender", "ISA06"),
        ({"controls": ControlNumbers(0, 1)}, "controls.interchange", "ISA13"),
        (
            {"subscriber": Subscriber("M1", "A", "B", relationship="99")},
            "subscriber.relationship",
            "INS02",
        ),
    ],
)
def test_bad_options_name_their_element(
    options: dict[str, object], field: str, element: str
) -> None:
    error = _problem(knee(), **options)
    assert (error.field, error.element) == (field, element)
