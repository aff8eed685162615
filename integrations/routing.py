"""Send each kind of submission through the channel that carries it.

Da Vinci PAS has messages for requests, resubmissions and cancellations, but none for appeals:
those go to the payer as a signed letter by fax, mail or portal. `RoutingGateway` sends PAS kinds
to the PAS gateway and appeals to an appeal channel; `ManualAppealChannel` is that channel in
production (staff send the signed letter and record the payer's answer through the API).
`DirectoryRoutingGateway` picks the requests channel per payer: a payer whose directory line
says `channel.kind: clearinghouse` gets the X12 278 clearinghouse gateway, the others the
default channel.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

from domain.case.vocabulary import SubmissionKind
from domain.enums import Regime
from domain.models import PayerDecision
from domain.payer_gateway import (
    GatewayReceipt,
    GatewaySubmission,
    InquiringGateway,
    InquiryUnsupportedError,
    PayerGateway,
)


def _now() -> datetime:
    return datetime.now(UTC)


class ManualAppealChannel:
    """Appeals leave by fax, mail or portal in the hands of staff; nothing is sent from here.

    The receipt records that the signed letter is ready to send; the payer's decision arrives
    later as a staff entry (`POST /api/v1/cases/{id}/appeals/{number}/decision`).
    """

    def __init__(self, clock: Callable[[], datetime] = _now) -> None:
        self.clock = clock

    async def submit(self, submission: GatewaySubmission) -> GatewayReceipt:
        return GatewayReceipt(
            submission_id=f"manual-{submission.submission_key}",
            accepted_at=self.clock(),
            payer_reference=None,
        )


class RoutingGateway:
    """A `PayerGateway` that picks the channel by submission kind."""

    def __init__(self, requests: PayerGateway, appeals: PayerGateway) -> None:
        self.requests = requests
        self.appeals = appeals

    async def submit(self, submission: GatewaySubmission) -> GatewayReceipt:
        channel = self.appeals if submission.kind == SubmissionKind.APPEAL else self.requests
        return await channel.submit(submission)

    async def inquire_decision(self, submission: GatewaySubmission) -> PayerDecision | None:
        """Ask the requests channel; `InquiryUnsupportedError` when it cannot be asked."""
        if isinstance(self.requests, InquiringGateway):
            return await self.requests.inquire_decision(submission)
        raise InquiryUnsupportedError("the requests channel cannot be asked")


CLEARINGHOUSE_KIND = "clearinghouse"


class DirectoryRoutingGateway:
    """Requests to the clearinghouse for payers whose directory line says so, else the default.

    `channel_kind(payer_id, regime)` reads the payer directory (blocking: run in a thread); a
    payer or line not in the directory goes to the default channel."""

    def __init__(
        self,
        default: PayerGateway,
        clearinghouse: PayerGateway,
        channel_kind: Callable[[str, Regime], str | None],
    ) -> None:
        self.default = default
        self.clearinghouse = clearinghouse
        self.channel_kind = channel_kind

    async def channel_for(self, submission: GatewaySubmission) -> PayerGateway:
        coverage = submission.request.coverage
        kind = await asyncio.to_thread(self.channel_kind, coverage.payer.payer_id, coverage.regime)
        return self.clearinghouse if kind == CLEARINGHOUSE_KIND else self.default

    async def submit(self, submission: GatewaySubmission) -> GatewayReceipt:
        return await (await self.channel_for(submission)).submit(submission)

    async def inquire_decision(self, submission: GatewaySubmission) -> PayerDecision | None:
        channel = await self.channel_for(submission)
        if isinstance(channel, InquiringGateway):
            return await channel.inquire_decision(submission)
        raise InquiryUnsupportedError("this payer's channel cannot be asked")
