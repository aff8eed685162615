"""The payer channels a worker can send submissions through, and where each may be used.

One enum for every channel, so adding one (an X12 278 clearinghouse, say) is one member here
plus its gateway in `worker.gateway_for`. Only channels in `PRODUCTION_CHANNELS` reach a real
payer; the others answer from scripts and exist for development and tests alone.
"""

from __future__ import annotations

from enum import StrEnum


class PayerChannel(StrEnum):
    # A payer's Da Vinci PAS endpoint at PRIORAUTH_PAS_BASE_URL.
    PAS = "pas"
    # The scripted PAS payer `priorauth dev` starts on PRIORAUTH_SANDBOX_PAYER_PORT.
    SANDBOX = "sandbox"
    # In-process: approves every line with an invented authorization number.
    SIMULATED = "simulated"
    # X12 278 through a clearinghouse (CAQH CORE real-time SOAP at PRIORAUTH_CLEARINGHOUSE_URL).
    CLEARINGHOUSE = "clearinghouse"
    # The scripted clearinghouse `priorauth dev` starts on PRIORAUTH_SANDBOX_CLEARINGHOUSE_PORT.
    SANDBOX_CLEARINGHOUSE = "sandbox-clearinghouse"

    @property
    def reaches_a_payer(self) -> bool:
        return self in PRODUCTION_CHANNELS

    @property
    def is_clearinghouse(self) -> bool:
        """Sends X12 278 through a clearinghouse (the real one or the sandbox)."""
        return self in (PayerChannel.CLEARINGHOUSE, PayerChannel.SANDBOX_CLEARINGHOUSE)


PRODUCTION_CHANNELS = frozenset({PayerChannel.PAS, PayerChannel.CLEARINGHOUSE})
# Environments in which the channels that reach no payer may be chosen.
NON_PRODUCTION_ENVIRONMENTS = frozenset({"dev", "test"})
