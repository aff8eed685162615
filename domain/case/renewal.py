"""Renewing an authorization: the request of the concurrent-review case that continues an
approved one.

The renewal asks again for the items the payer granted, as concurrent care from the day after
the authorization ends (the same number of units as first asked), with the coverage, providers,
diagnoses and evidence of the original request; its reference names the case it renews.
"""

from __future__ import annotations

from datetime import timedelta

from domain.case.prior_auth_rules import GRANTED
from domain.enums import ServiceTiming
from domain.models import ItemDecision, PriorAuthRequest, ServiceLine


class NothingToRenewError(ValueError):
    """The case holds no granted item (nothing was authorized, so nothing can be renewed)."""


def renewal_request(
    request: PriorAuthRequest, latest: dict[int, ItemDecision], case_number: str
) -> PriorAuthRequest:
    """The request of the renewal of case `case_number`; `latest` holds each item's latest
    decision (`Case.latest_item_decisions()`)."""
    granted = {
        sequence: item for sequence, item in latest.items() if item.resolved_outcome in GRANTED
    }
    if not granted:
        raise NothingToRenewError(f"case {case_number} has no authorized item to renew")
    lines = [
        _continued(line, granted[line.sequence])
        for line in request.service_lines
        if line.sequence in granted
    ]
    numbers = sorted({i.authorization_number for i in granted.values() if i.authorization_number})
    reference = f"Renewal of {case_number}" + (
        f" (authorization {', '.join(numbers)})" if numbers else ""
    )
    return request.model_copy(
        update={
            "service_lines": lines,
            "service_timing": ServiceTiming.CONCURRENT,
            "external_reference": reference[:255],
        }
    )


def _continued(line: ServiceLine, granted: ItemDecision) -> ServiceLine:
    start = granted.authorized_end + timedelta(days=1) if granted.authorized_end else None
    return line.model_copy(update={"start_date": start, "end_date": None})
