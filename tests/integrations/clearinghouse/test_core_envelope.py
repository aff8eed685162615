"""The CAQH CORE real-time envelope: SOAP and MIME form, round trips and located errors."""

from __future__ import annotations

import uuid

import pytest

from integrations.clearinghouse.core_envelope import (
    X12_278_REQUEST,
    X12_278_RESPONSE,
    CoreEnvelope,
    EnvelopeError,
    from_values,
    parse_soap,
    soap,
)

PAYLOAD = "ISA*00*          *00*          *ZZ*SUBMITTER      *ZZ*RECEIVER       *~"


def test_a_request_and_its_response_round_trip_through_soap() -> None:
    request = CoreEnvelope.request(X12_278_REQUEST, "PRIORAUTH", "CLEARHOUSE", PAYLOAD)
    message = soap(request, username="submitter", password="s3cret")
    parsed = parse_soap(message)
    assert parsed.envelope == request
    assert (parsed.username, parsed.password) == ("submitter", "s3cret")
    assert b"COREEnvelopeRealTimeRequest" in message and b"UsernameToken" in message

    response = request.answer(X12_278_RESPONSE, "ISA*...~")
    back = parse_soap(soap(response)).envelope
    assert back.payload_id == request.payload_id  # the response echoes the request's id
    assert (back.sender_id, back.receiver_id) == ("CLEARHOUSE", "PRIORAUTH")
    assert back.error_code == "Success" and back.is_response


def form(**changes: str) -> dict[str, str]:
    values = CoreEnvelope.request(X12_278_REQUEST, "PRIORAUTH", "CH", PAYLOAD).values()
    values.update(changes)
    return values


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"PayloadID": ""}, "PayloadID", "is required"),
        ({"PayloadID": "12345"}, "PayloadID", "not a UUID"),
        ({"TimeStamp": "2026-12-05T10:00:00"}, "TimeStamp", "no time zone"),
        ({"TimeStamp": "yesterday"}, "TimeStamp", "not an xs:dateTime"),
        ({"CORERuleVersion": "2.1.0"}, "CORERuleVersion", "is not 2.2.0"),
        ({"ProcessingMode": "Now"}, "ProcessingMode", "neither RealTime nor Batch"),
        ({"Payload": ""}, "Payload", "is required"),
    ],
)
def test_a_broken_form_is_refused_naming_the_field(
    changes: dict[str, str], field: str, reason: str
) -> None:
    with pytest.raises(EnvelopeError) as raised:
        from_values(form(**changes), response=False)
    assert raised.value.field == field
    assert reason in str(raised.value)


def test_hostile_or_foreign_xml_is_refused() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><x>&b;</x>'
    )
    for body, field in [
        (bomb, "Envelope"),
        (b"not xml", "Envelope"),
        (b'<e xmlns="urn:other"/>', "Envelope"),
    ]:
        with pytest.raises(EnvelopeError) as raised:
            parse_soap(body)
        assert raised.value.field == field
    assert uuid.UUID(CoreEnvelope.request(X12_278_REQUEST, "A", "B", "x").payload_id)
