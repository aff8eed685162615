"""Names shared by the workflows, the worker, the API and the dev-stack launcher.

Workflow-id prefixes, update/query/signal names, the default task queue and the search-attribute
keys live here and nowhere else. Pure module: safe inside the workflow sandbox.
"""

from __future__ import annotations

from datetime import datetime

from temporalio.common import SearchAttributeKey

DEFAULT_TASK_QUEUE = "priorauth"

CASE_WORKFLOW_TYPE = "PriorAuthWorkflow"
APPEAL_WORKFLOW_TYPE = "AppealWorkflow"

# Search attributes: plaintext on the server, so status, a date and the payer id only (never PHI).
CASE_STATUS = SearchAttributeKey.for_keyword("CaseStatus")
NEXT_DUE_AT = SearchAttributeKey.for_datetime("NextDueAt")
PAYER = SearchAttributeKey.for_keyword("Payer")
SEARCH_ATTRIBUTES: tuple[SearchAttributeKey[str] | SearchAttributeKey[datetime], ...] = (
    CASE_STATUS,
    NEXT_DUE_AT,
    PAYER,
)
_CLI_TYPES = {"KEYWORD": "Keyword", "DATETIME": "Datetime", "TEXT": "Text", "INT": "Int"}


def case_workflow_id(case_id: str) -> str:
    """`case-<case id>`: the case id is an opaque store key, never a name or member id."""
    return f"case-{case_id}"


def appeal_workflow_id(case_id: str, level_number: int) -> str:
    """`case-<case id>-appeal-<level number>` (1 = first internal appeal)."""
    return f"case-{case_id}-appeal-{level_number}"


def search_attribute_cli_args() -> list[str]:
    """`--search-attribute Name=Type` pairs for `temporal server start-dev` (launcher and tests)."""
    args: list[str] = []
    for key in SEARCH_ATTRIBUTES:
        kind = _CLI_TYPES[key.indexed_value_type.name.removeprefix("INDEXED_VALUE_TYPE_")]
        args += ["--search-attribute", f"{key.name}={kind}"]
    return args


class CaseUpdate:
    """Update names of `PriorAuthWorkflow` (for callers that use untyped handles)."""

    PAYER_DECISION = "record_payer_decision"
    PAYER_EXTENSION = "record_payer_extension"
    SUPPLY_INFORMATION = "supply_information"
    FILE_APPEAL = "file_appeal"
    REQUEST_PEER_TO_PEER = "request_peer_to_peer"
    ACCEPT_DENIAL = "accept_denial"
    WITHDRAW = "withdraw"
    ASSIGN = "assign"
    ADD_NOTE = "add_note"
    RECORD_CONTACT = "record_contact"
    RECORD_UNITS_USED = "record_units_used"


class CaseQuery:
    STATUS = "status"
    TIMELINE = "timeline"
    DEADLINES = "deadlines"


class AppealUpdate:
    SIGN_OFF = "sign_off"
    APPEAL_DECISION = "record_appeal_decision"
    WITHDRAW = "withdraw_appeal"


class AppealQuery:
    STATUS = "appeal_status"


class AppealSignal:
    PARENT_WITHDREW = "parent_withdrew"
