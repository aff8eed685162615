"""Every 278 response of the corpus read to the decision a person reading it would state; AAA
rejections; trace numbers; malformed files named by segment, position and element."""

from __future__ import annotations

from datetime import date

import pytest

from domain.enums import DecisionSource, ItemOutcome
from integrations.x12 import (
    X12RejectedError,
    X12SyntaxError,
    X12TraceMismatchError,
    parse_278_response,
)
from tests.integrations.x12.helpers import corpus, knee, spine

A = ItemOutcome

# file -> [(sequence, action code, outcome, authorization number, units, start, end, reason)]
EXPECTED = {
    "approval_a1.x12": [
        (1, "A1", A.APPROVED, "AUTH55501", 1, date(2026, 12, 1), date(2027, 2, 28), None)
    ],
    "partial_a2.x12": [
        (1, "A2", A.PARTIALLY_APPROVED, "PT20260306A", 6, date(2026, 3, 10), date(2026, 6, 9), "0U")
    ],
    "modified_a6.x12": [
        (1, "A6", A.APPROVED_MODIFIED, "MOD4400912", 1, date(2026, 4, 1), date(2026, 9, 30), None)
    ],
    "denial_a3.x12": [(1, "A3", A.DENIED, None, None, None, None, "0V")],
    "denial_without_reason.x12": [(1, "A3", A.NEEDS_HUMAN_REVIEW, None, None, None, None, None)],
    "pend_a4.x12": [(1, "A4", A.PENDED, None, None, None, None, None)],
    "final_after_pend_a1.x12": [
        (1, "A1", A.APPROVED, "AUTH88231", None, date(2026, 3, 12), date(2026, 6, 11), None)
    ],
    "cancelled_c.x12": [(1, "C", A.CANCELLED, None, None, None, None, None)],
    "contact_payer_ct.x12": [(1, "CT", A.NEEDS_MANUAL_FOLLOWUP, None, None, None, None, None)],
    "no_action_required_na.x12": [(1, "NA", A.NOT_REQUIRED, None, None, None, None, None)],
    "unknown_action_a5.x12": [(1, "A5", A.NEEDS_HUMAN_REVIEW, None, None, None, None, None)],
    "multiple_lines.x12": [
        (1, "A1", A.APPROVED, "ML100-1", 1, date(2026, 4, 1), date(2026, 4, 30), None),
        (2, "A3", A.DENIED, None, None, None, None, "0V"),
        (3, "A4", A.PENDED, None, None, None, None, None),
    ],
    "dependent_a1.x12": [
        (1, "A1", A.APPROVED, "DEP70001", 1, date(2026, 3, 20), date(2026, 6, 19), None)
    ],
}
SEPARATOR_FILES = [
    "separators_pipe_no_breaks.x12",
    "separators_newline_terminator.x12",
    "separators_crlf_trailing_space.x12",
    "separators_no_breaks.x12",
]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_response_reads_as_a_person_would_state_it(name: str) -> None:
    decision = parse_278_response(corpus(name)).decision
    assert decision.source == DecisionSource.X12_278
    got = [
        (
            i.sequence,
            i.review_action_code,
            i.outcome,
            i.authorization_number,
            i.approved_units,
            i.authorized_start,
            i.authorized_end,
            i.reason_code,
        )
        for i in decision.items
    ]
    assert got == EXPECTED[name]


@pytest.mark.parametrize("name", SEPARATOR_FILES)
def test_odd_separators_give_the_same_decision(name: str) -> None:
    decision = parse_278_response(corpus(name), trace="CASE0001").decision
    (item,) = decision.items
    assert (item.review_action_code, item.authorization_number) == ("A1", "AUTH55501")
    assert item.authorized_start == date(2026, 12, 15)


def test_the_separator_variants_are_the_same_response() -> None:
    ids = {parse_278_response(corpus(name)).decision.decision_id for name in SEPARATOR_FILES}
    assert len(ids) == 1


def test_a_denial_keeps_the_payers_words_and_reference() -> None:
    decision = parse_278_response(corpus("denial_a3.x12")).decision
    assert decision.items[0].reason_text is not None
    assert "CONSERVATIVE THERAPY (POLICY MP-114)" in decision.items[0].reason_text
    assert decision.payer_reference == "DN-2026-0042"
    assert decision.items[0].is_adverse


def test_a_denial_without_reason_says_why_it_waits_for_a_person() -> None:
    decision = parse_278_response(corpus("denial_without_reason.x12")).decision
    assert decision.note is not None and "CMS-0057-F" in decision.note


def test_partial_certification_says_what_was_authorized() -> None:
    item = parse_278_response(corpus("partial_a2.x12")).decision.items[0]
    assert item.modification == (
        "Authorized: certified - partial, 97110, 6 unit(s), from 2026-03-10 to 2026-06-09"
    )
    assert item.reason_text == "6 OF 12 VISITS CERTIFIED; SUBMIT PROGRESS NOTES FOR MORE"


def test_pend_then_final_are_two_decisions_on_the_same_request() -> None:
    pended = parse_278_response(corpus("pend_a4.x12"), trace="CASE0005")
    final = parse_278_response(corpus("final_after_pend_a1.x12"), trace="CASE0005")
    assert pended.pended and not final.pended
    assert pended.decision.payer_reference == "PEND-88231"
    assert pended.administrative_references == final.administrative_references == ["PEND-88231"]
    assert pended.decision.decision_id != final.decision.decision_id
    assert final.decision.decided_at > pended.decision.decided_at
    again = parse_278_response(corpus("final_after_pend_a1.x12"))
    assert again.decision.decision_id == final.decision.decision_id


def test_decided_at_is_bht_in_the_payers_zone() -> None:
    decision = parse_278_response(corpus("approval_a1.x12"), timezone="America/Chicago").decision
    assert decision.decided_at.isoformat() == "2026-03-06T14:15:00-06:00"
    assert decision.notice_date == date(2026, 3, 6)


def test_service_levels_match_the_case_lines_by_trace() -> None:
    decision = parse_278_response(corpus("multiple_lines.x12"), request=spine()).decision
    assert [(i.sequence, i.review_action_code) for i in decision.items] == [
        (1, "A1"),
        (2, "A3"),
        (3, "A4"),
    ]


def test_lines_without_a_service_level_take_the_patient_event_answer() -> None:
    data = spine().model_dump(mode="json")
    request = type(spine()).model_validate(data)
    decision = parse_278_response(corpus("pend_a4.x12"), request=request).decision
    assert [(i.sequence, i.outcome) for i in decision.items] == [
        (1, A.PENDED),
        (2, A.PENDED),
        (3, A.PENDED),
    ]


def test_a_response_for_another_trace_is_refused() -> None:
    with pytest.raises(X12TraceMismatchError) as caught:
        parse_278_response(corpus("approval_a1.x12"), trace="CASE9999")
    assert caught.value.element == "TRN02" and "CASE9999" in str(caught.value)
    parse_278_response(corpus("approval_a1.x12"), trace="CASE0001", request=knee())


@pytest.mark.parametrize(
    ("name", "loop", "reason", "follow_up"),
    [
        ("aaa_2010a_payer_unavailable.x12", "2010A", "42", "P"),
        ("aaa_2010c_subscriber_not_found.x12", "2010C", "75", "C"),
        ("aaa_2000e_diagnosis.x12", "2000E", "AF", "C"),
    ],
)
def test_aaa_rejections_name_loop_reason_and_follow_up(
    name: str, loop: str, reason: str, follow_up: str
) -> None:
    with pytest.raises(X12RejectedError) as caught:
        parse_278_response(corpus(name))
    (rejection,) = caught.value.rejections
    assert (rejection.loop, rejection.reject_reason_code, rejection.follow_up_action_code) == (
        loop,
        reason,
        follow_up,
    )
    message = str(caught.value)
    assert f"loop {loop}" in message and rejection.reject_reason in message
    assert rejection.follow_up_action is not None and rejection.follow_up_action in message


def test_subscriber_not_found_reads_as_a_person_would() -> None:
    with pytest.raises(X12RejectedError) as caught:
        parse_278_response(corpus("aaa_2010c_subscriber_not_found.x12"))
    assert "reject reason 75 (Subscriber/insured not found)" in str(caught.value)
    assert "follow-up C (Please correct and resubmit)" in str(caught.value)


def _broken(old: str, new: str, name: str = "approval_a1.x12") -> X12SyntaxError:
    text = corpus(name)
    assert old in text
    with pytest.raises(X12SyntaxError) as caught:
        parse_278_response(text.replace(old, new, 1))
    return caught.value


def test_a_wrong_segment_count_names_se01() -> None:
    error = _broken("SE*25*0001", "SE*24*0001")
    assert (error.segment, error.element, error.position) == ("SE", "SE01", 27)


def test_control_numbers_that_differ_name_the_trailer_element() -> None:
    assert _broken("IEA*1*000000101", "IEA*1*000000102").element == "IEA02"
    assert _broken("GE*1*101", "GE*1*102").element == "GE02"


def test_an_unknown_level_names_hl03() -> None:
    error = _broken("HL*4*3*EV*1", "HL*4*3*XX*1")
    assert (error.element, error.position) == ("HL03", 12)


def test_a_segment_out_of_order_names_it() -> None:
    error = _broken(
        "HCR*A1*AUTH55501~\nDTP*102*D8*20260306", "DTP*102*D8*20260306~\nHCR*A1*AUTH55501"
    )
    assert (error.segment, error.position) == ("HCR", 17) and "out of order" in str(error)


def test_a_request_is_not_a_response() -> None:
    assert _broken("BHT*0007*11", "BHT*0007*13").element == "BHT02"


def test_a_missing_action_code_names_hcr01() -> None:
    error = _broken("HCR*A1*AUTH55501~\nDTP*102", "HCR**AUTH55501~\nDTP*102")
    assert (error.segment, error.element) == ("HCR", "HCR01")


def test_a_file_that_is_not_x12_says_so() -> None:
    with pytest.raises(X12SyntaxError) as caught:
        parse_278_response('{"resourceType": "Bundle"}')
    assert caught.value.segment == "ISA" and caught.value.position == 1


def test_a_cut_short_file_names_the_missing_trailer() -> None:
    text = corpus("approval_a1.x12")
    with pytest.raises(X12SyntaxError) as caught:
        parse_278_response(text[: text.index("GE*")])
    assert caught.value.segment == "IEA"


def test_a_byte_order_mark_blank_lines_and_a_4010_isa11_are_tolerated() -> None:
    text = corpus("approval_a1.x12").replace("*^*00501*", "*U*00501*", 1)
    decision = parse_278_response("\ufeff\n  " + text.replace("~\n", "~\n\n")).decision
    assert decision.items[0].authorization_number == "AUTH55501"
