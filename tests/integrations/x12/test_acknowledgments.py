"""999 and TA1: read (accepted, accepted with errors, rejected) and written for what we receive;
a rejection is an error naming segment and element."""

from __future__ import annotations

import pytest

from integrations.x12 import (
    ControlNumbers,
    Party,
    X12AcknowledgmentError,
    build_999,
    build_ta1,
    parse_999,
    parse_ta1,
    raise_for_rejection,
)
from tests.integrations.x12.helpers import NOW, build, corpus, knee

US = {"sender": Party("ACMECLEARING"), "receiver": Party("PRIORAUTH")}


def test_an_accepted_999_is_not_an_error() -> None:
    ack = raise_for_rejection(parse_999(corpus("999_accepted.x12")))
    assert (ack.status, ack.acknowledged_control_number, ack.counts) == (
        "A",
        "1",
        {"included": 1, "received": 1, "accepted": 1},
    )
    assert ack.transactions[0].control_number == "0001" and not ack.all_problems()


def test_accepted_with_errors_keeps_the_errors_without_failing() -> None:
    ack = raise_for_rejection(parse_999(corpus("999_accepted_with_errors.x12")))
    (problem,) = ack.all_problems()
    assert (problem.segment, problem.element, problem.loop, problem.code) == (
        "PER",
        "PER04",
        "2010B",
        "5",
    )


def test_a_rejected_999_names_segment_and_element() -> None:
    ack = parse_999(corpus("999_rejected.x12"))
    assert ack.rejected
    with pytest.raises(X12AcknowledgmentError) as caught:
        raise_for_rejection(ack)
    error = caught.value
    assert (error.segment, error.element, error.position) == ("NM1", "NM109", 8)
    assert "Invalid code value" in str(error) and "loop 2010B" in str(error)


def test_ta1_accepted_and_rejected() -> None:
    accepted = raise_for_rejection(parse_ta1(corpus("ta1_accepted.x12")))
    assert (accepted.status, accepted.acknowledged_control_number) == ("A", "000000001")
    with pytest.raises(X12AcknowledgmentError) as caught:
        raise_for_rejection(parse_ta1(corpus("ta1_rejected.x12")))
    assert (caught.value.segment, caught.value.element) == ("ISA", "ISA06")
    assert "Invalid interchange sender ID" in str(caught.value)


def test_our_999_accepts_a_valid_278_and_reads_back() -> None:
    received = build(knee())
    ack = parse_999(build_999(received, controls=ControlNumbers(900, 900), now=NOW, **US))
    assert (ack.status, ack.acknowledged_control_number) == ("A", "1")
    assert [(t.transaction_set, t.control_number, t.status) for t in ack.transactions] == [
        ("278", "0001", "A")
    ]


def test_our_999_rejects_a_bad_278_naming_segment_and_element() -> None:
    received = build(knee()).replace("NM1*1P*1*", "NM1*ZZ*1*")
    ack = parse_999(build_999(received, controls=ControlNumbers(901, 901), now=NOW, **US))
    assert ack.rejected
    (problem,) = ack.transactions[0].problems[:1]
    assert (problem.segment, problem.position, problem.element, problem.code) == (
        "NM1",
        6,
        "NM101",
        "7",
    )


def test_our_ta1_acknowledges_the_interchange() -> None:
    received = build(knee())
    ack = parse_ta1(build_ta1(received, controls=ControlNumbers(77, 77), now=NOW, **US))
    assert (ack.status, ack.acknowledged_control_number) == ("A", "000000001")
    broken = received.replace("IEA*1*000000001", "IEA*1*000000002")
    rejected = parse_ta1(build_ta1(broken, controls=ControlNumbers(78, 78), now=NOW, **US))
    assert rejected.status == "R" and rejected.problems[0].code == "001"
    assert rejected.problems[0].element == "IEA02"
