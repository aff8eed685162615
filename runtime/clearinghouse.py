"""The clearinghouse channel in the worker: its gateway on the store's trace ledger, the
directory lookup that routes a payer's cases to it, and the inbound mailbox poller.

The gateway exists when the channel is `clearinghouse` (PRIORAUTH_CLEARINGHOUSE_URL) or
`sandbox-clearinghouse` (the sandbox of `priorauth dev`), or when a clearinghouse URL is set and
PRIORAUTH_ROUTE_BY_DIRECTORY routes the payers whose directory line says `clearinghouse` to it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from sqlalchemy import Engine

from config.payer_channel import PayerChannel
from config.settings import Settings
from domain.enums import Regime
from domain.models import PriorAuthRequest
from domain.payer_gateway import DecisionSink
from integrations.clearinghouse.batch import BatchFolders, InboundMailbox, poll_inbound_forever
from integrations.clearinghouse.gateway import ClearinghouseGateway
from integrations.clearinghouse.request import Trading
from integrations.sandbox_clearinghouse.script import ClearinghouseScript
from store import cases, payer_directory
from store.clearinghouse import StoreTraceLedger
from store.database import read_session
from store.errors import NotFoundError


def clearinghouse_url(settings: Settings) -> str | None:
    """The CORE endpoint the worker sends 278s to, or None when there is no clearinghouse."""
    channel = settings.effective_payer_channel
    if channel is PayerChannel.SANDBOX_CLEARINGHOUSE:
        return settings.sandbox_clearinghouse_url
    if channel is PayerChannel.CLEARINGHOUSE or settings.route_by_directory:
        return settings.clearinghouse_url
    return None


def clearinghouse_gateway(
    settings: Settings, sink: DecisionSink, engine: Engine | None
) -> ClearinghouseGateway | None:
    url = clearinghouse_url(settings)
    if url is None:
        return None
    if engine is None:
        raise ValueError("the clearinghouse channel needs the case store for its trace ledger")
    username = settings.clearinghouse_username
    password = (
        settings.clearinghouse_password.get_secret_value()
        if settings.clearinghouse_password is not None
        else None
    )
    if settings.effective_payer_channel is PayerChannel.SANDBOX_CLEARINGHOUSE:
        sandbox = ClearinghouseScript()
        username = username or sandbox.username
        password = password or sandbox.password
    return ClearinghouseGateway(
        url,
        ledger=StoreTraceLedger(engine),
        trading=Trading(
            sender_id=settings.clearinghouse_submitter_id,
            receiver_id=settings.clearinghouse_receiver_id,
            originator=settings.clearinghouse_originator,
            usage=settings.clearinghouse_usage,
        ),
        username=username,
        password=password,
        sink=sink,
        timeout=settings.clearinghouse_timeout_seconds,
        x12_payer_id=directory_x12_payer_id(engine),
    )


def directory_channel(engine: Engine) -> Callable[[str, Regime], str | None]:
    """The directory's channel kind for a payer's line (None: not in the directory)."""

    def channel_kind(payer_id: str, regime: Regime) -> str | None:
        with read_session(engine) as session:
            line = payer_directory.line_of_business(session, payer_id, regime)
        return None if line is None else line.channel.kind

    return channel_kind


def directory_x12_payer_id(engine: Engine) -> Callable[[str, Regime], str | None]:
    """The directory's X12 payer id for a payer's line (None: none recorded)."""

    def x12_payer_id(payer_id: str, regime: Regime) -> str | None:
        with read_session(engine) as session:
            line = payer_directory.line_of_business(session, payer_id, regime)
        return None if line is None else line.x12_payer_id

    return x12_payer_id


def stored_request(engine: Engine) -> Callable[[str], PriorAuthRequest | None]:
    def load(case_id: str) -> PriorAuthRequest | None:
        try:
            with read_session(engine) as session:
                return cases.get_request(session=session, case_id=case_id)
        except NotFoundError:
            return None

    return load


def start_inbound_poller(
    settings: Settings, sink: DecisionSink, engine: Engine, stop: asyncio.Event
) -> asyncio.Task[None] | None:
    """Poll the inbound mailbox folder while a clearinghouse is configured (0 s: off)."""
    if clearinghouse_url(settings) is None or settings.clearinghouse_poll_seconds <= 0:
        return None
    outbound, inbound = settings.clearinghouse_mailbox
    mailbox = InboundMailbox(StoreTraceLedger(engine), sink, stored_request(engine))
    return asyncio.get_running_loop().create_task(
        poll_inbound_forever(
            BatchFolders(outbound=outbound, inbound=inbound),
            mailbox,
            interval=settings.clearinghouse_poll_seconds,
            stop=stop,
        )
    )
