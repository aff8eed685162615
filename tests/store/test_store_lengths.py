"""Every bounded string column is exactly as long as the model fields that fill it allow.

The columns are read back from the migrated database (SQLite and PostgreSQL), not from the
table classes, so a migration that forgot a length fails here too. A String column that no
model fills must be named in ENGINE_MADE with what writes it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, TypeAdapter
from sqlalchemy import Engine, String, inspect
from sqlmodel import SQLModel

import store.tables  # noqa: F401  (the tables whose columns are compared)
from activities.models import EscalationInput, LetterInput
from api.schemas import ReassignBody
from api.web.accounts import NewUser
from config.settings import Role
from domain.appeals import AppealLevel
from domain.case.facts import CaseFacts, LineFacts
from domain.case.messages import AssignBody, AssignInput, SignOffInput
from domain.case.read_model import Case
from domain.case.transition import TaskClosure, TaskSpec, Transition
from domain.case.vocabulary import AppealStatus, CaseStatus
from domain.enums import (
    ContactChannel,
    ContactDirection,
    DecisionSource,
    ItemOutcome,
    Regime,
    Urgency,
)
from domain.escalation import TaskQueue
from domain.models import (
    CaseDeadline,
    CodeSystem,
    ContactLogEntry,
    ItemDecision,
    Member,
    Obligor,
    Payer,
    PayerDecision,
    PriorAuthRequest,
    ServiceLine,
)
from domain.payer_directory import (
    ChannelKind,
    LineOfBusiness,
    PaRequirementKind,
    PaRule,
    PayerEntry,
)
from store.records import TaskStatus

Filler = tuple[type[BaseModel], str] | type[StrEnum]
# (table, column) -> what fills it: model fields, or the enumeration whose values it stores.
# The audit trail's actor column is wider than any one actor field: it also takes derived
# names (`payer:<payer id>`); listed in WIDER.
FILLERS: dict[tuple[str, str], list[Filler]] = {
    ("cases", "case_id"): [(Case, "case_id"), (CaseFacts, "case_id")],
    ("cases", "case_number"): [(Case, "case_number")],
    ("cases", "status"): [CaseStatus],
    ("cases", "regime"): [Regime],
    ("cases", "payer_id"): [(Payer, "payer_id"), (CaseFacts, "payer_id")],
    ("cases", "payer_name"): [(Payer, "name")],
    ("cases", "assignee"): [
        (Case, "assignee"),
        (CaseFacts, "assignee"),
        (Transition, "assignee"),
        (AssignInput, "assignee"),
        (AssignBody, "assignee"),
    ],
    ("cases", "urgency"): [Urgency],
    ("case_service_lines", "case_id"): [(Case, "case_id")],
    ("case_service_lines", "code_system"): [CodeSystem],
    ("case_service_lines", "code"): [(ServiceLine, "code"), (LineFacts, "code")],
    ("case_service_lines", "description"): [(ServiceLine, "description")],
    ("payer_decisions", "case_id"): [(Case, "case_id")],
    ("payer_decisions", "decision_id"): [(PayerDecision, "decision_id")],
    ("payer_decisions", "source"): [DecisionSource],
    ("payer_decision_items", "case_id"): [(Case, "case_id")],
    ("payer_decision_items", "review_action_code"): [(ItemDecision, "review_action_code")],
    ("payer_decision_items", "outcome"): [ItemOutcome],
    ("payer_decision_items", "authorization_number"): [(ItemDecision, "authorization_number")],
    ("case_deadlines", "case_id"): [(Case, "case_id")],
    ("case_deadlines", "key"): [(CaseDeadline, "key")],
    ("case_deadlines", "label"): [(CaseDeadline, "label")],
    ("case_deadlines", "obligor"): [Obligor],
    ("case_deadlines", "rule_id"): [(CaseDeadline, "rule_id")],
    ("appeals", "case_id"): [(Case, "case_id")],
    ("appeals", "level"): [AppealLevel],
    ("appeals", "status"): [AppealStatus],
    ("letters", "idempotency_key"): [(LetterInput, "key")],
    ("letters", "case_id"): [(Case, "case_id")],
    ("letters", "kind"): [(LetterInput, "kind")],
    ("letters", "signed_off_by"): [(SignOffInput, "actor")],
    ("tasks", "idempotency_key"): [(TaskSpec, "key")],
    ("tasks", "case_id"): [(Case, "case_id")],
    ("tasks", "kind"): [(TaskSpec, "kind")],
    ("tasks", "title"): [(TaskSpec, "title")],
    ("tasks", "assignee"): [(Transition, "assignee"), (ReassignBody, "assignee")],
    ("tasks", "queue"): [(ReassignBody, "queue"), TaskQueue],
    ("tasks", "status"): [TaskStatus],
    ("tasks", "deadline_key"): [(TaskSpec, "deadline_key")],
    ("tasks", "completed_by"): [(TaskClosure, "by")],
    ("contacts", "idempotency_key"): [(Transition, "key")],
    ("contacts", "case_id"): [(Case, "case_id")],
    ("contacts", "channel"): [ContactChannel],
    ("contacts", "direction"): [ContactDirection],
    ("contacts", "counterpart"): [(ContactLogEntry, "counterpart")],
    ("contacts", "reference_number"): [(ContactLogEntry, "reference_number")],
    ("contacts", "recorded_by"): [(Transition, "actor")],
    ("audit_events", "idempotency_key"): [(Transition, "key"), (EscalationInput, "key")],
    ("audit_events", "case_id"): [(Transition, "case_id")],
    ("audit_events", "actor"): [(Transition, "actor")],
    ("audit_events", "action"): [(Transition, "event")],
    ("cases", "external_reference"): [(PriorAuthRequest, "external_reference")],
    ("cases", "member_key"): [(Member, "member_id")],
    ("payer_messages", "payer_id"): [(Payer, "payer_id")],
    ("payer_messages", "case_id"): [(Case, "case_id")],
    ("phi_reads", "case_id"): [(Case, "case_id")],
    ("users", "username"): [(NewUser, "username")],
    ("users", "display_name"): [(NewUser, "display_name")],
    ("users", "role"): [Role],
    ("web_sessions", "username"): [(NewUser, "username")],
    ("directory_payers", "payer_id"): [(PayerEntry, "payer_id"), (Payer, "payer_id")],
    ("directory_payers", "name"): [(PayerEntry, "name")],
    ("directory_payers", "naic_code"): [(PayerEntry, "naic_code")],
    ("directory_payers", "timezone"): [(PayerEntry, "timezone")],
    ("directory_lines", "payer_id"): [(PayerEntry, "payer_id")],
    ("directory_lines", "regime"): [Regime],
    ("directory_lines", "channel_kind"): [ChannelKind],
    ("directory_lines", "x12_payer_id"): [(LineOfBusiness, "x12_payer_id")],
    ("directory_lines", "appeals_fax"): [(LineOfBusiness, "appeals_fax")],
    ("directory_lines", "peer_to_peer_phone"): [(LineOfBusiness, "peer_to_peer_phone")],
    ("directory_pa_rules", "payer_id"): [(PayerEntry, "payer_id")],
    ("directory_pa_rules", "code"): [(PaRule, "code")],
    ("directory_pa_rules", "requirement"): [PaRequirementKind],
    ("directory_pa_rules", "regime"): [Regime],
    ("directory_pa_rules", "state"): [(PaRule, "state")],
    ("clearinghouse_traces", "case_id"): [(Case, "case_id")],
    ("clearinghouse_traces", "payer_id"): [(Payer, "payer_id")],
    ("clearinghouse_unmatched", "case_id"): [(Case, "case_id")],
}
WIDER = {("audit_events", "actor")}
# Columns only the engine writes, with values of a fixed shape.
ENGINE_MADE = {
    ("letters", "letter_id"): "LTR- plus 16 hex digits",
    ("letters", "template_version"): "the letters package's template version",
    ("letters", "content_type"): "the renderer's MIME type",
    ("letters", "checksum_sha256"): "64 hex digits",
    ("audit_events", "event_id"): "32 hex digits",
    ("audit_events", "prev_hash"): "64 hex digits",
    ("audit_events", "hash"): "64 hex digits",
    ("audit_chain_head", "last_hash"): "64 hex digits",
    ("payer_messages", "message_id"): "the webhook-id header, checked by webhook_signature",
    ("cases", "name_key"): "store.search.name_key: last and first name, cut to the column",
    ("cases", "team"): "a team name (config.settings.TeamName, at most limits.TEAM)",
    ("phi_reads", "actor"): "the caller's audit name (`role:name`, at most limits.AUDIT_ACTOR)",
    ("phi_reads", "route"): "the route's path template",
    ("phi_reads", "request_id"): "the X-Request-ID, checked by api.limits (limits.REQUEST_ID)",
    ("users", "password_hash"): "an argon2 PHC string (api.web.passwords)",
    ("web_sessions", "token_hash"): "SHA-256 of the cookie token: 64 hex digits",
    ("web_sessions", "csrf_token"): "secrets.token_urlsafe(32): 43 characters",
    ("directory_payers", "updated_by"): "the editor's audit name (at most limits.AUDIT_ACTOR)",
    ("clearinghouse_traces", "trace_number"): "PA plus 16 hex digits (trace_number_for)",
    ("clearinghouse_traces", "submission_key"): "the workflow's submission key",
    ("clearinghouse_traces", "kind"): "a SubmissionKind value",
    ("clearinghouse_traces", "state"): "a TraceState value",
    ("clearinghouse_traces", "acknowledgment"): "a 999 / TA1 status code",
    ("clearinghouse_unmatched", "kind"): "278, 999, TA1 or unreadable",
    ("clearinghouse_unmatched", "resolved_by"): "the resolver's audit name (limits.AUDIT_ACTOR)",
}


def bounded_string_columns(engine: Engine) -> dict[tuple[str, str], int]:
    found = {}
    inspector = inspect(engine)
    for table in SQLModel.metadata.tables:
        for column in inspector.get_columns(table):
            kind = column["type"]
            if isinstance(kind, String) and kind.length is not None:
                found[(table, column["name"])] = kind.length
    return found


def _max_length(schema: dict[str, Any]) -> int | None:
    if "maxLength" in schema:
        return int(schema["maxLength"])
    for option in schema.get("anyOf", []):
        found = _max_length(option)
        if found is not None:
            return found
    return None


def field_limit(model: type[BaseModel], name: str) -> int:
    """The longest string the field accepts: its JSON-schema maxLength, else found by trying
    (a pattern such as the case id's)."""
    adapter: TypeAdapter[Any] = TypeAdapter(model.model_fields[name].rebuild_annotation())
    limit = _max_length(adapter.json_schema())
    if limit is not None:
        return limit
    longest = 0
    for length in range(1, 1025):
        try:
            adapter.validate_python("a" * length)
        except ValueError:
            continue
        longest = length
    assert longest, f"{model.__name__}.{name} takes no plain string"
    assert longest < 1024, f"{model.__name__}.{name} has no length limit"
    return longest


def test_every_bounded_string_column_is_accounted_for(engine: Engine) -> None:
    columns = set(bounded_string_columns(engine))
    assert columns - set(FILLERS) - set(ENGINE_MADE) == set()
    assert set(FILLERS) | set(ENGINE_MADE) <= columns


def test_every_column_length_equals_the_limit_of_the_fields_that_fill_it(engine: Engine) -> None:
    lengths = bounded_string_columns(engine)
    mismatches = []
    for column, fillers in FILLERS.items():
        length = lengths[column]
        for filler in fillers:
            if isinstance(filler, type) and issubclass(filler, StrEnum):
                longest = max(len(member.value) for member in filler)
                if longest > length:
                    mismatches.append(f"{column}: {filler.__name__} value of {longest} > {length}")
                continue
            model, name = filler
            limit = field_limit(model, name)
            fits = limit <= length if column in WIDER else limit == length
            if not fits:
                mismatches.append(f"{column}: {model.__name__}.{name} allows {limit}, not {length}")
    assert mismatches == []
