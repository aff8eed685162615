"""Who sent a payer message, decided from the credential alone, before the body is parsed.

Two credentials reach the payer routes:

- a Standard Webhooks signature (`webhook-id`, `webhook-timestamp`, `webhook-signature`) under
  one payer's secret: the sender is that payer, the audit actor `payer:<payer_id>`;
- an integration (or admin) API key bound to a payer (`ApiKey.payer_id`): the sender is that
  payer, the audit actor the key's name.

One exception, in the `dev` and `test` environments only: the sandbox payer's secret
(registered as payer `SANDBOX` by `priorauth dev`) stands for every payer, since the sandbox
answers every request the dev stack sends; in production `SANDBOX` is an ordinary payer id.

Every signature failure gets the same 401 body, whatever went wrong (unknown payer, missing or
malformed header, stale timestamp, wrong signature); the reason goes to the log only.

Signed messages are applied once per (payer, message id): `once` claims the id in the store,
answers a duplicate without applying it again, and gives the id back when applying fails so
the payer's retry is not lost.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from fastapi import Request
from sqlalchemy.engine import Engine

from api import service
from api.security import authenticate
from config.logging import get_logger
from config.settings import Role, Settings
from integrations.sandbox_payer.script import SANDBOX_PAYER_ID
from integrations.webhook_signature import SignatureError, VerifiedMessage, identify_sender
from store import payer_messages
from store.payer_messages import SeenMessage

log = get_logger("priorauth.api.payers")

R = TypeVar("R")

UNSIGNED = "the request is not signed by a known payer (Standard Webhooks headers)"


@dataclass(frozen=True)
class PayerSender:
    """The payer a message comes from, per its credential, and the actor to audit."""

    payer_id: str | None
    actor: str
    message: VerifiedMessage | None = None
    # The sandbox payer in dev/test plays every payer: its messages may reach any case.
    any_payer: bool = False

    @property
    def scope(self) -> str | None:
        """The payer whose cases this sender may touch; None: any (the dev sandbox only)."""
        return None if self.any_payer else self.payer_id


class MessageInProgressError(Exception):
    """The same message id is being applied by another delivery right now."""


def verify_payer(body: bytes, headers: Mapping[str, str], settings: Settings) -> VerifiedMessage:
    """The verified sender of a signed message, or 401 with the one answer for every failure."""
    secrets = {payer: key.get_secret_value() for payer, key in settings.webhook_secrets.items()}
    try:
        return identify_sender(body, headers, secrets, tolerance=settings.webhook_tolerance_seconds)
    except SignatureError as exc:
        log.info("payer_message_refused", reason=exc.reason)
        raise service.ServiceError(401, UNSIGNED) from None


def signed_sender(body: bytes, headers: Mapping[str, str], settings: Settings) -> PayerSender:
    message = verify_payer(body, headers, settings)
    payer_id = message.payer_id
    sandbox = payer_id == SANDBOX_PAYER_ID and settings.environment in ("dev", "test")
    return PayerSender(
        payer_id=payer_id, actor=f"payer:{payer_id}", message=message, any_payer=sandbox
    )


def key_sender(request: Request, api_key: str, settings: Settings) -> PayerSender:
    """An API key posting payer messages: integration or admin, bound (or not) to a payer."""
    actor = authenticate(request, api_key)
    if actor.role not in (Role.INTEGRATION, Role.ADMIN):
        raise service.ServiceError(403, f"role {actor.role.value} may not post payer notifications")
    bound = next(
        (
            key.payer_id
            for key in settings.effective_api_keys
            if key.name == actor.name and key.role == actor.role
        ),
        None,
    )
    return PayerSender(payer_id=bound, actor=actor.audit_name)


def require_payer(sender: PayerSender) -> str:
    """The sender's payer; an API key not bound to a payer may not apply a payer's decision."""
    if sender.payer_id is None:
        raise service.ServiceError(
            403,
            f"API key {sender.actor} is not bound to a payer: give it a payer_id in "
            "PRIORAUTH_API_KEYS to post that payer's decisions",
        )
    return sender.payer_id


async def once(
    engine: Engine,
    settings: Settings,
    sender: PayerSender,
    apply: Callable[[], Awaitable[R]],
    duplicate: Callable[[SeenMessage], R],
    case_of: Callable[[R], str | None],
) -> R:
    """Apply a signed message once per (payer, message id); unsigned (key) calls just apply."""
    message = sender.message
    if message is None:
        return await apply()
    seen = await service.write(
        engine,
        lambda s: payer_messages.claim_message(
            session=s,
            payer_id=message.payer_id,
            message_id=message.message_id,
            sent_at=message.sent_at,
            tolerance_seconds=settings.webhook_tolerance_seconds,
        ),
    )
    if seen is not None:
        if not seen.completed:
            raise MessageInProgressError
        log.info("payer_message_duplicate", payer_id=message.payer_id, case_id=seen.case_id)
        return duplicate(seen)
    try:
        result = await apply()
    except BaseException:
        await service.write(
            engine,
            lambda s: payer_messages.release_message(
                session=s, payer_id=message.payer_id, message_id=message.message_id
            ),
        )
        raise
    await service.write(
        engine,
        lambda s: payer_messages.complete_message(
            session=s,
            payer_id=message.payer_id,
            message_id=message.message_id,
            case_id=case_of(result),
        ),
    )
    return result
