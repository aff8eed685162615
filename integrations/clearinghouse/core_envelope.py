"""The CAQH CORE Connectivity Rule (vC2.2.0) real-time envelope, both ways it travels.

A real-time X12 exchange with a clearinghouse is one HTTPS POST: either SOAP 1.2 with the
envelope in the body (`COREEnvelopeRealTimeRequest` / `...Response`, the submitter's
credentials in a WS-Security UsernameToken) or an HTTP MIME multipart form whose fields carry
the same metadata. The metadata the rule requires: PayloadType (which X12 transaction and
version), ProcessingMode (RealTime), PayloadID (a UUID the submitter makes, echoed in the
response), TimeStamp (xs:dateTime with a zone), SenderID, ReceiverID, CORERuleVersion, and the
Payload (the X12 interchange); a response adds ErrorCode and ErrorMessage.

Parsing uses defusedxml: the envelope comes from the network.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from xml.etree.ElementTree import Element, SubElement, tostring

from defusedxml import ElementTree as SafeTree

CORE_RULE_VERSION = "2.2.0"
CORE_NAMESPACE = "http://www.caqh.org/SOAP/WSDL/CORERule2.2.0.xsd"
SOAP_NAMESPACE = "http://www.w3.org/2003/05/soap-envelope"
WSSE_NAMESPACE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
PASSWORD_TEXT = (
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0"
    "#PasswordText"
)
REAL_TIME = "RealTime"
BATCH = "Batch"
# PayloadType values of the transactions priorauth exchanges (the rule's PayloadType table).
X12_278_REQUEST = "X12_278_Request_005010X217E1_2"
X12_278_RESPONSE = "X12_278_Response_005010X217E1_2"
X12_999_RESPONSE = "X12_999_Response_005010X231A1"
X12_TA1_RESPONSE = "X12_TA1_Response_00501X231A1"
SUCCESS = "Success"
# The fields, in the order the rule lists them (also the MIME form's field names).
FIELDS = (
    "PayloadType",
    "ProcessingMode",
    "PayloadID",
    "TimeStamp",
    "SenderID",
    "ReceiverID",
    "CORERuleVersion",
    "Payload",
)
RESPONSE_FIELDS = (*FIELDS, "ErrorCode", "ErrorMessage")


class EnvelopeError(ValueError):
    """An envelope that breaks the rule; `field` names the element (or form field)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class CoreEnvelope:
    payload_type: str
    payload_id: str
    timestamp: datetime
    sender_id: str
    receiver_id: str
    payload: str
    processing_mode: str = REAL_TIME
    core_rule_version: str = CORE_RULE_VERSION
    error_code: str | None = None  # responses only
    error_message: str | None = None

    @classmethod
    def request(
        cls, payload_type: str, sender_id: str, receiver_id: str, payload: str
    ) -> CoreEnvelope:
        """A new real-time request: a fresh PayloadID and the current time."""
        return cls(
            payload_type=payload_type,
            payload_id=str(uuid.uuid4()),
            timestamp=datetime.now(UTC).replace(microsecond=0),
            sender_id=sender_id,
            receiver_id=receiver_id,
            payload=payload,
        )

    def answer(
        self, payload_type: str, payload: str, error_code: str = SUCCESS, error_message: str = ""
    ) -> CoreEnvelope:
        """The response to this request: same PayloadID, sender and receiver swapped."""
        return CoreEnvelope(
            payload_type=payload_type,
            payload_id=self.payload_id,
            timestamp=datetime.now(UTC).replace(microsecond=0),
            sender_id=self.receiver_id,
            receiver_id=self.sender_id,
            payload=payload,
            processing_mode=self.processing_mode,
            error_code=error_code,
            error_message=error_message,
        )

    @property
    def is_response(self) -> bool:
        return self.error_code is not None

    def values(self) -> dict[str, str]:
        found = {
            "PayloadType": self.payload_type,
            "ProcessingMode": self.processing_mode,
            "PayloadID": self.payload_id,
            "TimeStamp": self.timestamp.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "SenderID": self.sender_id,
            "ReceiverID": self.receiver_id,
            "CORERuleVersion": self.core_rule_version,
            "Payload": self.payload,
        }
        if self.is_response:
            found["ErrorCode"] = self.error_code or ""
            found["ErrorMessage"] = self.error_message or ""
        return found


def from_values(values: dict[str, str], *, response: bool) -> CoreEnvelope:
    """An envelope from its fields (a parsed SOAP body or a MIME form), checked by the rule."""
    names = RESPONSE_FIELDS if response else FIELDS
    for name in names:
        if name == "ErrorMessage":
            continue
        if not (values.get(name) or "").strip() and not (name == "Payload" and response):
            raise EnvelopeError(name, "is required")
    mode = values["ProcessingMode"]
    if mode not in (REAL_TIME, BATCH):
        raise EnvelopeError("ProcessingMode", f"{mode!r} is neither RealTime nor Batch")
    try:
        uuid.UUID(values["PayloadID"])
    except ValueError:
        raise EnvelopeError("PayloadID", f"{values['PayloadID']!r} is not a UUID") from None
    if values["CORERuleVersion"] != CORE_RULE_VERSION:
        raise EnvelopeError(
            "CORERuleVersion", f"{values['CORERuleVersion']!r} is not {CORE_RULE_VERSION}"
        )
    return CoreEnvelope(
        payload_type=values["PayloadType"],
        payload_id=values["PayloadID"],
        timestamp=_timestamp(values["TimeStamp"]),
        sender_id=values["SenderID"],
        receiver_id=values["ReceiverID"],
        payload=values.get("Payload") or "",
        processing_mode=mode,
        core_rule_version=values["CORERuleVersion"],
        error_code=values.get("ErrorCode") if response else None,
        error_message=values.get("ErrorMessage") if response else None,
    )


def _timestamp(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise EnvelopeError("TimeStamp", f"{text!r} is not an xs:dateTime") from None
    if moment.tzinfo is None:
        raise EnvelopeError("TimeStamp", f"{text!r} has no time zone")
    return moment


# ---------------------------------------------------------------- SOAP 1.2


def soap(
    envelope: CoreEnvelope, *, username: str | None = None, password: str | None = None
) -> bytes:
    """The SOAP 1.2 message carrying `envelope` (a request with a UsernameToken if given)."""
    root = Element(f"{{{SOAP_NAMESPACE}}}Envelope")
    header = SubElement(root, f"{{{SOAP_NAMESPACE}}}Header")
    if username is not None:
        security = SubElement(header, f"{{{WSSE_NAMESPACE}}}Security")
        token = SubElement(security, f"{{{WSSE_NAMESPACE}}}UsernameToken")
        SubElement(token, f"{{{WSSE_NAMESPACE}}}Username").text = username
        secret = SubElement(token, f"{{{WSSE_NAMESPACE}}}Password", Type=PASSWORD_TEXT)
        secret.text = password or ""
    body = SubElement(root, f"{{{SOAP_NAMESPACE}}}Body")
    kind = "COREEnvelopeRealTimeResponse" if envelope.is_response else "COREEnvelopeRealTimeRequest"
    message = SubElement(body, f"{{{CORE_NAMESPACE}}}{kind}")
    for name, value in envelope.values().items():
        SubElement(message, name).text = value
    data: bytes = tostring(root, encoding="utf-8", xml_declaration=True)
    return data


@dataclass(frozen=True)
class SoapRequest:
    envelope: CoreEnvelope
    username: str | None
    password: str | None


def parse_soap(body: bytes) -> SoapRequest:
    """A SOAP request or response: its envelope and the UsernameToken's credentials, if any."""
    try:
        root = SafeTree.fromstring(body)
    except Exception as exc:
        raise EnvelopeError("Envelope", f"not well-formed XML ({type(exc).__name__})") from None
    if root.tag != f"{{{SOAP_NAMESPACE}}}Envelope":
        raise EnvelopeError("Envelope", "not a SOAP 1.2 envelope")
    soap_body = root.find(f"{{{SOAP_NAMESPACE}}}Body")
    if soap_body is None or len(soap_body) != 1:
        raise EnvelopeError("Body", "must hold exactly one CORE envelope")
    message = soap_body[0]
    kinds = {
        f"{{{CORE_NAMESPACE}}}COREEnvelopeRealTimeRequest": False,
        f"{{{CORE_NAMESPACE}}}COREEnvelopeRealTimeResponse": True,
    }
    if message.tag not in kinds:
        raise EnvelopeError("Body", f"{message.tag} is not a CORE real-time envelope")
    values = {child.tag.split("}")[-1]: child.text or "" for child in message}
    token = root.find(f".//{{{WSSE_NAMESPACE}}}UsernameToken")
    username = password = None
    if token is not None:
        username = token.findtext(f"{{{WSSE_NAMESPACE}}}Username")
        password = token.findtext(f"{{{WSSE_NAMESPACE}}}Password")
    return SoapRequest(from_values(values, response=kinds[message.tag]), username, password)
