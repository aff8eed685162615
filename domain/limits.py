"""The length limits of every stored string, declared once.

The pydantic models (domain, workflow, activity and API models) take their `max_length` from
these constants, and the store's columns (`store.tables`) take their `String(n)` lengths from
the same ones, so a value a model accepts always fits its column: on PostgreSQL an over-long
value would otherwise fail the write after the request was accepted (tests/store/
test_store_lengths.py compares every String column with the model fields that fill it).

Lengths count characters, as both pydantic and PostgreSQL's `varchar(n)` do.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator, Field

CASE_ID = 64
CASE_NUMBER = 32
# Names, payer ids, payer names, plan names, decision ids, deadline keys and labels, rule ids,
# authorization numbers.
SHORT_TEXT = 120
# Who did something: an API key name, a user, or `system` (assignee, completed_by, signed_off_by).
ACTOR = 120
# The audit trail's actor column also takes derived names (`payer:<payer id>`, `role:name`).
AUDIT_ACTOR = 200
AUDIT_ACTION = 100  # the event name of a step (`case_opened`, `payer_decision`, ...)
LONG_TEXT = 500  # service line descriptions, addresses, attachment titles
IDEMPOTENCY_KEY = 255
# The request's trace number / EHR reference (indexed: a payer's message finds its case by it).
EXTERNAL_REFERENCE = 255
USERNAME = 64  # a person's sign-in name (users.username; the actor of what they do)
PASSWORD_HASH = 255  # an argon2 PHC string
TEAM = 64  # a team's name (cases.team, API keys' teams)
REQUEST_ID = 128  # the X-Request-ID a request carries (logged, and kept with each PHI read)
PAYER_MESSAGE_ID = 120  # a payer message's `webhook-id` header
SERVICE_CODE = 12
REVIEW_ACTION_CODE = 16
TASK_KIND = 40
TASK_TITLE = 200
TASK_QUEUE = 64
COUNTERPART = 200
REFERENCE_NUMBER = 100
LETTER_KIND = 64
# The payer directory (domain.payer_directory): phone and fax numbers, an IANA zone name, an
# electronic (X12 / clearinghouse) payer id, a NAIC company code, a PA rule's code pattern
# ("70551-70553", "J*", "E0601").
PHONE = 40
TIMEZONE = 64
ELECTRONIC_PAYER_ID = 80
NAIC_CODE = 5
CODE_PATTERN = 16
# The clearinghouse ledger (store.clearinghouse): an X12 trace number (TRN02 is 1-50
# characters) and the short codes it keeps (submission kind, ledger state, 999 status).
X12_TRACE = 50
SHORT_CODE = 16
# The largest number an INTEGER column holds (PostgreSQL's int4): counts a payer sends us.
STORED_INT = 2**31 - 1

ShortText = Annotated[str, Field(min_length=1, max_length=SHORT_TEXT)]
ActorName = Annotated[str, Field(min_length=1, max_length=ACTOR)]


def clip(limit: int) -> BeforeValidator:
    """Shorten a generated display text (a task title) to `limit` characters, ending in '…'.

    For text the engine composes itself: refusing it would stop the workflow that wrote it."""

    def shorten(value: object) -> object:
        if isinstance(value, str) and len(value) > limit:
            return value[: limit - 1].rstrip() + "…"
        return value

    return BeforeValidator(shorten)
