"""X12 5010 for prior authorization: the 278 request and response (005010X217), the 999
implementation acknowledgment (005010X231A1) and the TA1 interchange acknowledgment.

Written here because no maintained Python library handles the 5010 278 (docs/x12.md).
"""

from integrations.x12.acknowledgments import (
    Acknowledgment,
    AcknowledgmentError,
    build_999,
    build_ta1,
    parse_999,
    parse_ta1,
    raise_for_rejection,
)
from integrations.x12.envelope import ControlNumbers, Party
from integrations.x12.errors import (
    X12AcknowledgmentError,
    X12Error,
    X12RejectedError,
    X12SyntaxError,
    X12TraceMismatchError,
    X12ValidationError,
)
from integrations.x12.reader import parse_any
from integrations.x12.request import Subscriber, build_278_request
from integrations.x12.response import X12Response, parse_278_response

__all__ = [
    "Acknowledgment",
    "AcknowledgmentError",
    "ControlNumbers",
    "Party",
    "Subscriber",
    "X12AcknowledgmentError",
    "X12Error",
    "X12RejectedError",
    "X12Response",
    "X12SyntaxError",
    "X12TraceMismatchError",
    "X12ValidationError",
    "build_278_request",
    "build_999",
    "build_ta1",
    "parse_278_response",
    "parse_999",
    "parse_any",
    "parse_ta1",
    "raise_for_rejection",
]
