"""The clearinghouse channel's errors. Messages are PHI-free: they are logged and may be stored
in workflow history (a rejection becomes the case's error)."""

from __future__ import annotations

from domain.payer_gateway import PayerRejectedError


class ClearinghouseError(Exception):
    """The exchange failed (timeout, connection, HTTP 5xx, an unreadable or mismatched reply,
    refused credentials): the submit activity retries it, with the same trace number."""


class ClearinghouseRejectedError(ClearinghouseError, PayerRejectedError):
    """A 999, TA1 or AAA rejection, or a case that cannot make a valid 278: final, the case
    records it (sending the same 278 again will not help)."""
