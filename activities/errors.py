"""Business failure types raised by activities and workflows (`ApplicationError.type`).

Dependency-free on purpose: workflows pass it through the sandbox and tests assert on these names.
Messages that go with them must never carry PHI (they end up in worker logs).
"""

from __future__ import annotations

CASE_NOT_FOUND = "CaseNotFound"
NO_DEADLINE_RULE = "NoDeadlineRule"
PAYER_REJECTED = "PayerRejected"
INQUIRY_UNSUPPORTED = "InquiryUnsupported"
LETTER_UNAVAILABLE = "LetterUnavailable"
INVALID_INPUT = "InvalidInput"
# The store refused a write for good (constraint violated, value too long, invalid data).
STORE_REJECTED = "StoreRejected"

NON_RETRYABLE: tuple[str, ...] = (
    CASE_NOT_FOUND,
    NO_DEADLINE_RULE,
    PAYER_REJECTED,
    LETTER_UNAVAILABLE,
    INVALID_INPUT,
    INQUIRY_UNSUPPORTED,
    STORE_REJECTED,
)
