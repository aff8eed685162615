"""Read any X12 file priorauth receives: a 278 response, a 999 or a TA1, told apart by content."""

from __future__ import annotations

from datetime import datetime

from domain.models import PriorAuthRequest
from integrations.x12.acknowledgments import Acknowledgment, parse_999, parse_ta1
from integrations.x12.envelope import read_interchange
from integrations.x12.errors import X12SyntaxError
from integrations.x12.response import X12Response, parse_278_response


def parse_any(
    text: str,
    *,
    trace: str | None = None,
    request: PriorAuthRequest | None = None,
    timezone: str = "America/New_York",
    received_at: datetime | None = None,
) -> X12Response | Acknowledgment:
    """The 278 response, 999 or TA1 in `text` (a TA1 first: it answers the whole interchange)."""
    interchange = read_interchange(text)
    if interchange.ta1:
        return parse_ta1(text)
    kinds = [t.kind for t in interchange.transactions()]
    if "278" in kinds:
        return parse_278_response(
            text, trace=trace, request=request, timezone=timezone, received_at=received_at
        )
    if "999" in kinds:
        return parse_999(text)
    raise X12SyntaxError(
        f"no 278, 999 or TA1 in the interchange (transaction sets: {', '.join(kinds) or 'none'})",
        segment="ST",
        element="ST01",
        position=interchange.header.position,
    )
