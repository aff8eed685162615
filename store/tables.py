"""sqlmodel tables. These classes never leave the store package (they skip validation).

Enumerations are stored as plain strings, not database enums, so adding a value never needs a
migration. Idempotency keys are unique columns: a retried activity finds its earlier row.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlmodel import Field, SQLModel

from domain import limits
from store.types import UTCDateTime

# Deterministic constraint names: the migration and the models agree on them on every database.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

KEY = String(limits.IDEMPOTENCY_KEY)  # idempotency keys
DEFAULT_TEAM = "default"  # the team of cases opened before teams existed
GENESIS_HASH = "0" * 64


# The sort keys of case listings (store.queries) and the predicate of an open case.
DUE_ORDER = ("next_due_at", "received_at", "case_id")
NEWEST_ORDER = ("received_at", "case_id")
OPEN_CASE = "status NOT IN ('closed', 'withdrawn')"
OPEN_TASK = "status = 'open'"
# "last first" of the patient, normalised (store.search.name_key).
NAME_KEY = 2 * limits.SHORT_TEXT + 1


def _open_cases() -> dict[str, Any]:
    # A literal predicate, written the same in the listing queries: SQLite uses a partial index
    # only when the query's WHERE repeats its terms (a bound parameter would not do).
    return {"sqlite_where": text(OPEN_CASE), "postgresql_where": text(OPEN_CASE)}


def _open_tasks() -> dict[str, Any]:
    return {"sqlite_where": text(OPEN_TASK), "postgresql_where": text(OPEN_TASK)}


def _search_key(length: int) -> Any:
    """A search key column: byte order ("C") on PostgreSQL, as SQLite's BINARY, so a prefix is
    one range of its index and pages sort the same on both."""
    return String(length).with_variant(String(length, collation="C"), "postgresql")


def _pattern_ops(column: str) -> dict[str, Any]:
    return {"postgresql_ops": {column: "varchar_pattern_ops"}}


def _case_fk() -> Any:
    return Field(sa_type=String(limits.CASE_ID), sa_column_args=[ForeignKey("cases.case_id")])


class CaseRow(SQLModel, table=True):
    __tablename__ = "cases"
    __table_args__ = (
        UniqueConstraint("case_number"),
        # Listings filter on what leads an index and page in its order: most urgent first
        # (next_due_at, received_at, case_id), or newest first (received_at, case_id), so a page
        # reads its own rows only (store.queries, docs/store.md "Listing at scale").
        Index(None, *DUE_ORDER),
        Index(None, "team", *DUE_ORDER),
        Index(None, "status", *DUE_ORDER),
        Index(None, "team", "status", *DUE_ORDER),
        Index(None, "assignee", *DUE_ORDER),
        Index(None, "team", "assignee", *DUE_ORDER),
        Index(None, "payer_id", *DUE_ORDER),
        Index(None, "regime", *DUE_ORDER),
        Index(None, *NEWEST_ORDER),
        Index(None, "team", *NEWEST_ORDER),
        # Open cases only: today's work does not wade through years of closed cases.
        Index("ix_cases_open_due", *DUE_ORDER, **_open_cases()),
        Index("ix_cases_open_team_due", "team", *DUE_ORDER, **_open_cases()),
        Index("ix_cases_open_team_assignee_due", "team", "assignee", *DUE_ORDER, **_open_cases()),
        Index("ix_cases_open_assignee_due", "assignee", *DUE_ORDER, **_open_cases()),
        Index("ix_cases_open_payer_due", "payer_id", *DUE_ORDER, **_open_cases()),
        Index("ix_cases_open_regime_due", "regime", *DUE_ORDER, **_open_cases()),
        # Prefix search (store.search), answered and ordered by these indexes: pattern operators
        # for case numbers, so LIKE 'x%' is a range on PostgreSQL whatever the database's
        # collation; the search keys are themselves of collation "C" there.
        Index("ix_cases_case_number_prefix", "case_number", **_pattern_ops("case_number")),
        Index(None, "member_key", "case_id"),
        Index(None, "name_key", "case_id"),
        # Only the cases whose workflow is not known to run: what the reconciler reads.
        Index(
            "ix_cases_workflow_unstarted",
            "created_at",
            sqlite_where=text("workflow_started_at IS NULL"),
            postgresql_where=text("workflow_started_at IS NULL"),
        ),
        Index(None, "payer_id", "external_reference"),
        Index(None, "team", "case_number"),  # case-number search within the caller's teams
        # What a task listing reads of each task's case (its scope and number), from the index
        # alone: the escalation queues look cases up by id, once per task.
        Index(None, "case_id", "team", "payer_id", "case_number"),
    )

    case_id: str = Field(sa_type=String(limits.CASE_ID), primary_key=True)
    case_number: str = Field(sa_type=String(limits.CASE_NUMBER))
    status: str = Field(sa_type=String(32))
    regime: str = Field(sa_type=String(32))
    payer_id: str = Field(sa_type=String(limits.SHORT_TEXT))
    payer_name: str = Field(sa_type=String(limits.SHORT_TEXT))
    assignee: str | None = Field(default=None, sa_type=String(limits.ACTOR))
    # The team whose case managers see and act on the case (api.security.case_scope).
    team: str = Field(
        default=DEFAULT_TEAM,
        sa_type=String(limits.TEAM),
        sa_column_kwargs={"server_default": DEFAULT_TEAM},
    )
    urgency: str = Field(sa_type=String(16))
    # The validated PriorAuthRequest: PHI, kept here and nowhere else.
    request: dict[str, Any] = Field(sa_type=JSON)
    received_at: datetime = Field(sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    next_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Set once the case's workflow is known to exist (its first recorded step, or the
    # reconciler's start): a case without it is started by `runtime.reconcile`.
    workflow_started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The request's trace number / EHR reference, so a payer's message finds its case by index.
    external_reference: str | None = Field(default=None, sa_type=String(limits.EXTERNAL_REFERENCE))
    # Search keys of the member (PHI, like `request`; store.search): never listed or logged.
    member_key: str | None = Field(default=None, sa_type=_search_key(limits.SHORT_TEXT))
    name_key: str | None = Field(default=None, sa_type=_search_key(NAME_KEY))


class CaseNumberCounter(SQLModel, table=True):
    """One row per year; `last_value` is bumped atomically to hand out case numbers."""

    __tablename__ = "case_number_counters"

    year: int = Field(sa_type=Integer, primary_key=True, sa_column_kwargs={"autoincrement": False})
    last_value: int = Field(sa_type=Integer)


class ServiceLineRow(SQLModel, table=True):
    """A copy of the request's service lines, so cases can be found by procedure code."""

    __tablename__ = "case_service_lines"
    __table_args__ = (UniqueConstraint("case_id", "sequence"), Index(None, "code"))

    id: int | None = Field(default=None, primary_key=True)
    case_id: str = _case_fk()
    sequence: int = Field(sa_type=Integer)
    code_system: str = Field(sa_type=String(20))
    code: str = Field(sa_type=String(limits.SERVICE_CODE))
    description: str = Field(sa_type=String(limits.LONG_TEXT))
    units: int = Field(sa_type=Integer)
    start_date: date | None = Field(default=None, sa_type=Date)
    end_date: date | None = Field(default=None, sa_type=Date)


class DecisionRow(SQLModel, table=True):
    __tablename__ = "payer_decisions"
    __table_args__ = (
        UniqueConstraint("case_id", "decision_id"),
        # Equality lookups of a payer's pre-auth reference; hash on PostgreSQL (no size limit).
        Index(None, "payer_reference", postgresql_using="hash"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: str = _case_fk()
    decision_id: str = Field(sa_type=String(limits.SHORT_TEXT))
    source: str = Field(sa_type=String(16))
    decided_at: datetime = Field(sa_type=UTCDateTime)
    received_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    payer_reference: str | None = Field(default=None, sa_type=Text)
    note: str | None = Field(default=None, sa_type=Text)
    notice_date: date | None = Field(default=None, sa_type=Date)
    recorded_at: datetime = Field(sa_type=UTCDateTime)


class DecisionItemRow(SQLModel, table=True):
    __tablename__ = "payer_decision_items"
    __table_args__ = (UniqueConstraint("decision_pk", "sequence"), Index(None, "case_id"))

    id: int | None = Field(default=None, primary_key=True)
    decision_pk: int = Field(sa_type=Integer, sa_column_args=[ForeignKey("payer_decisions.id")])
    case_id: str = _case_fk()
    sequence: int = Field(sa_type=Integer)
    review_action_code: str | None = Field(default=None, sa_type=String(limits.REVIEW_ACTION_CODE))
    review_action_display: str | None = Field(default=None, sa_type=Text)
    outcome: str = Field(sa_type=String(32))
    authorization_number: str | None = Field(default=None, sa_type=String(limits.SHORT_TEXT))
    approved_units: int | None = Field(default=None, sa_type=Integer)
    authorized_start: date | None = Field(default=None, sa_type=Date)
    authorized_end: date | None = Field(default=None, sa_type=Date)
    reason_code: str | None = Field(default=None, sa_type=Text)
    reason_text: str | None = Field(default=None, sa_type=Text)
    policy_cited: str | None = Field(default=None, sa_type=Text)
    modification: str | None = Field(default=None, sa_type=Text)


class DeadlineRow(SQLModel, table=True):
    """One revision of a deadline. A new `due_at` for a key supersedes the current revision."""

    __tablename__ = "case_deadlines"
    __table_args__ = (UniqueConstraint("case_id", "key", "revision"), Index(None, "due_at"))

    id: int | None = Field(default=None, primary_key=True)
    case_id: str = _case_fk()
    key: str = Field(sa_type=String(limits.SHORT_TEXT))
    revision: int = Field(sa_type=Integer)
    label: str = Field(sa_type=String(limits.SHORT_TEXT))
    obligor: str = Field(sa_type=String(16))
    due_at: datetime = Field(sa_type=UTCDateTime)
    starts_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    rule: str = Field(sa_type=Text)
    rule_id: str = Field(sa_type=String(limits.SHORT_TEXT))
    convention: str = Field(sa_type=Text)
    explanation: str = Field(sa_type=Text)
    met_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    superseded: bool = Field(default=False, sa_type=Boolean)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class AppealRow(SQLModel, table=True):
    __tablename__ = "appeals"
    __table_args__ = (UniqueConstraint("case_id", "level"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: str = _case_fk()
    level: str = Field(sa_type=String(40))
    number: int = Field(sa_type=Integer)
    expedited: bool = Field(sa_type=Boolean)
    status: str = Field(sa_type=String(32))
    sequences: list[int] = Field(sa_type=JSON)
    filed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    arguments: list[str] = Field(sa_type=JSON)
    requested_peer_to_peer: bool = Field(sa_type=Boolean)
    outcome_note: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class LetterRow(SQLModel, table=True):
    __tablename__ = "letters"
    __table_args__ = (UniqueConstraint("idempotency_key"), Index(None, "case_id", "created_at"))

    letter_id: str = Field(sa_type=String(64), primary_key=True)
    idempotency_key: str = Field(sa_type=KEY)
    case_id: str = _case_fk()
    kind: str = Field(sa_type=String(limits.LETTER_KIND))
    template_version: str = Field(sa_type=String(64))
    content_type: str = Field(sa_type=String(120))
    size_bytes: int = Field(sa_type=Integer)
    checksum_sha256: str = Field(sa_type=String(64))
    content: bytes = Field(sa_type=LargeBinary)
    context: dict[str, Any] = Field(sa_type=JSON)
    created_at: datetime = Field(sa_type=UTCDateTime)
    signed_off_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    signed_off_by: str | None = Field(default=None, sa_type=String(limits.ACTOR))


class TaskRow(SQLModel, table=True):
    __tablename__ = "tasks"
    __table_args__ = (
        UniqueConstraint("idempotency_key"),
        Index(None, "status", "due_at"),
        Index(None, "assignee", "status"),
        Index(None, "case_id", "status"),
        # Open tasks, most urgent first: the escalation queues and a person's own tasks.
        Index("ix_tasks_open_due", "due_at", "id", **_open_tasks()),
        Index("ix_tasks_open_queue_due", "queue", "due_at", "id", **_open_tasks()),
        Index("ix_tasks_open_assignee_due", "assignee", "due_at", "id", **_open_tasks()),
    )

    id: int | None = Field(default=None, primary_key=True)
    idempotency_key: str = Field(sa_type=KEY)
    case_id: str = _case_fk()
    kind: str = Field(sa_type=String(limits.TASK_KIND))
    title: str = Field(sa_type=String(limits.TASK_TITLE))
    assignee: str | None = Field(default=None, sa_type=String(limits.ACTOR))
    queue: str | None = Field(default=None, sa_type=String(limits.TASK_QUEUE))
    due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    status: str = Field(sa_type=String(16))
    deadline_key: str | None = Field(default=None, sa_type=String(limits.SHORT_TEXT))
    note: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    completed_by: str | None = Field(default=None, sa_type=String(limits.ACTOR))


class ContactRow(SQLModel, table=True):
    __tablename__ = "contacts"
    __table_args__ = (UniqueConstraint("idempotency_key"), Index(None, "case_id", "occurred_at"))

    id: int | None = Field(default=None, primary_key=True)
    idempotency_key: str = Field(sa_type=KEY)
    case_id: str = _case_fk()
    channel: str = Field(sa_type=String(16))
    direction: str = Field(sa_type=String(16))
    occurred_at: datetime = Field(sa_type=UTCDateTime)
    counterpart: str | None = Field(default=None, sa_type=String(limits.COUNTERPART))
    reference_number: str | None = Field(default=None, sa_type=String(limits.REFERENCE_NUMBER))
    summary: str = Field(sa_type=Text)
    follow_up_due: datetime | None = Field(default=None, sa_type=UTCDateTime)
    recorded_by: str | None = Field(default=None, sa_type=String(limits.ACTOR))
    created_at: datetime = Field(sa_type=UTCDateTime)


class AuditEventRow(SQLModel, table=True):
    """Append-only. `hash` = sha256(canonical JSON of the event's own fields + `prev_hash`).

    `sequence` is handed out under the chain-head lock (not by an autoincrement, which leaves
    gaps on rollback), so the chain is gap-free and its primary key forbids a fork.
    """

    __tablename__ = "audit_events"
    __table_args__ = (
        UniqueConstraint("event_id"),
        UniqueConstraint("idempotency_key"),
        Index(None, "case_id", "sequence"),
    )

    sequence: int = Field(
        sa_type=BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    event_id: str = Field(sa_type=String(32))
    idempotency_key: str = Field(sa_type=KEY)
    case_id: str | None = Field(default=None, sa_type=String(64))
    occurred_at: datetime = Field(sa_type=UTCDateTime)
    actor: str = Field(sa_type=String(200))
    action: str = Field(sa_type=String(100))
    summary: str = Field(sa_type=Text)
    rule_cited: str | None = Field(default=None, sa_type=Text)
    details: dict[str, Any] = Field(sa_type=JSON)
    prev_hash: str = Field(sa_type=String(64))
    hash: str = Field(sa_type=String(64))


class AuditChainHead(SQLModel, table=True):
    """The single row every append locks: it serializes writers so the chain never forks."""

    __tablename__ = "audit_chain_head"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: int = Field(sa_type=Integer, primary_key=True, sa_column_kwargs={"autoincrement": False})
    last_sequence: int = Field(sa_type=BigInteger)
    last_hash: str = Field(sa_type=String(64))


class PayerMessageRow(SQLModel, table=True):
    """A signed payer message seen recently: (payer, message id) is applied at most once.

    Rows older than the signature tolerance window are pruned: by then a replay of the message
    is refused for its stale timestamp anyway.
    """

    __tablename__ = "payer_messages"
    __table_args__ = (UniqueConstraint("payer_id", "message_id"), Index(None, "sent_at"))

    id: int | None = Field(default=None, primary_key=True)
    payer_id: str = Field(sa_type=String(limits.SHORT_TEXT))
    message_id: str = Field(sa_type=String(limits.PAYER_MESSAGE_ID))
    sent_at: datetime = Field(sa_type=UTCDateTime)
    received_at: datetime = Field(sa_type=UTCDateTime)
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    case_id: str | None = Field(default=None, sa_type=String(limits.CASE_ID))


class PhiReadRow(SQLModel, table=True):
    """Append-only (triggers of revision 0005): who read which case's PHI, when, through what.

    Kept apart from the hash-chained `audit_events`: a read changes nothing in the case, and
    one row per read would make every GET serialize on the chain head.
    """

    __tablename__ = "phi_reads"
    __table_args__ = (Index(None, "case_id", "id"), Index(None, "actor", "id"))

    id: int | None = Field(default=None, primary_key=True)
    read_at: datetime = Field(sa_type=UTCDateTime)
    actor: str = Field(sa_type=String(limits.AUDIT_ACTOR))
    case_id: str = Field(sa_type=String(limits.CASE_ID))
    route: str = Field(sa_type=String(200))
    request_id: str | None = Field(default=None, sa_type=String(limits.REQUEST_ID))


class UserRow(SQLModel, table=True):
    """A person who signs in to the web workspace: role, teams and an argon2 password hash.

    Never deleted: a user who leaves is disabled, so the audit trail's actors keep a name."""

    __tablename__ = "users"

    username: str = Field(sa_type=String(limits.USERNAME), primary_key=True)
    display_name: str = Field(sa_type=String(limits.SHORT_TEXT))
    role: str = Field(sa_type=String(32))
    teams: list[str] = Field(sa_type=JSON)
    password_hash: str = Field(sa_type=String(limits.PASSWORD_HASH))
    # Wrong passwords in a row; at the limit sign-in is refused until `locked_until`.
    failed_sign_ins: int = Field(
        default=0, sa_type=Integer, sa_column_kwargs={"server_default": "0"}
    )
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    disabled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class WebSessionRow(SQLModel, table=True):
    """A signed-in browser: the SHA-256 of its cookie's token (never the token), its CSRF token
    and when it was last seen (the idle timeout). Ended sessions are kept until pruned."""

    __tablename__ = "web_sessions"
    __table_args__ = (Index(None, "username", "ended_at"),)

    token_hash: str = Field(sa_type=String(64), primary_key=True)
    username: str = Field(
        sa_type=String(limits.USERNAME),
        sa_column_args=[ForeignKey("users.username")],
    )
    csrf_token: str = Field(sa_type=String(64))
    created_at: datetime = Field(sa_type=UTCDateTime)
    last_seen_at: datetime = Field(sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class DirectoryPayerRow(SQLModel, table=True):
    """A payer of the payer directory (domain.payer_directory.PayerEntry): ids, name, zone.

    Its lines of business and PA rules are rows of their own; `put_payer` replaces all three
    in one transaction."""

    __tablename__ = "directory_payers"

    payer_id: str = Field(sa_type=String(limits.SHORT_TEXT), primary_key=True)
    name: str = Field(sa_type=String(limits.SHORT_TEXT))
    naic_code: str | None = Field(default=None, sa_type=String(limits.NAIC_CODE))
    timezone: str = Field(sa_type=String(limits.TIMEZONE))
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    updated_by: str = Field(sa_type=String(limits.AUDIT_ACTOR))


def _directory_payer_fk() -> Any:
    return Field(
        sa_type=String(limits.SHORT_TEXT),
        sa_column_args=[ForeignKey("directory_payers.payer_id")],
    )


class DirectoryLineRow(SQLModel, table=True):
    """One line of business (regime) of a directory payer: channel, contacts, P2P window."""

    __tablename__ = "directory_lines"
    __table_args__ = (UniqueConstraint("payer_id", "regime"),)

    id: int | None = Field(default=None, primary_key=True)
    payer_id: str = _directory_payer_fk()
    regime: str = Field(sa_type=String(32))
    channel_kind: str = Field(sa_type=String(16))
    channel: dict[str, Any] = Field(sa_type=JSON)
    x12_payer_id: str | None = Field(default=None, sa_type=String(limits.ELECTRONIC_PAYER_ID))
    appeals_address: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    appeals_fax: str | None = Field(default=None, sa_type=String(limits.PHONE))
    peer_to_peer_phone: str | None = Field(default=None, sa_type=String(limits.PHONE))
    peer_to_peer_window: dict[str, Any] | None = Field(default=None, sa_type=JSON)


class DirectoryPaRuleRow(SQLModel, table=True):
    """One rule of a directory payer's prior-authorization list, in the order it was given."""

    __tablename__ = "directory_pa_rules"
    __table_args__ = (UniqueConstraint("payer_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    payer_id: str = _directory_payer_fk()
    position: int = Field(sa_type=Integer)
    code: str = Field(sa_type=String(limits.CODE_PATTERN))
    requirement: str = Field(sa_type=String(16))
    regime: str | None = Field(default=None, sa_type=String(32))
    state: str | None = Field(default=None, sa_type=String(2))
    note: str | None = Field(default=None, sa_type=Text)


class ClearinghouseTraceRow(SQLModel, table=True):
    """The clearinghouse trace ledger: one row per submission sent as an X12 278.

    The trace number (TRN02, derived from the submission key) and the submission key are both
    unique, so a submission never gets a second trace; the row id is the interchange and group
    control number (ISA13 / GS06) of the 278, which a 999 or TA1 names. `decision` keeps the
    last answer so a retried submit (a worker restart) hands it over again without resending.
    """

    __tablename__ = "clearinghouse_traces"
    __table_args__ = (
        UniqueConstraint("trace_number"),
        UniqueConstraint("submission_key"),
        Index(None, "case_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    trace_number: str = Field(sa_type=String(limits.X12_TRACE))
    submission_key: str = Field(sa_type=String(limits.IDEMPOTENCY_KEY))
    case_id: str = Field(sa_type=String(limits.CASE_ID))
    kind: str = Field(sa_type=String(limits.SHORT_CODE))
    payer_id: str = Field(sa_type=String(limits.SHORT_TEXT))
    state: str = Field(sa_type=String(limits.SHORT_CODE))
    acknowledgment: str | None = Field(default=None, sa_type=String(limits.SHORT_CODE))
    attempts: int = Field(default=0, sa_type=Integer)
    created_at: datetime = Field(sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    decision: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    error: str | None = Field(default=None, sa_type=Text)


class ClearinghouseUnmatchedRow(SQLModel, table=True):
    """The review queue: a clearinghouse message no case could be matched to (or that needs a
    person, such as a 999 rejecting a 278 after the submission was answered). Never applied to
    a guessed case; a person resolves it."""

    __tablename__ = "clearinghouse_unmatched"
    __table_args__ = (Index(None, "resolved_at", "received_at"),)

    id: int | None = Field(default=None, primary_key=True)
    received_at: datetime = Field(sa_type=UTCDateTime)
    source: str = Field(sa_type=Text)
    kind: str = Field(sa_type=String(limits.SHORT_CODE))
    trace_numbers: list[str] = Field(default_factory=list, sa_type=JSON)
    case_id: str | None = Field(default=None, sa_type=String(limits.CASE_ID))
    reason: str = Field(sa_type=Text)
    payload: str = Field(sa_type=Text)
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolved_by: str | None = Field(default=None, sa_type=String(limits.AUDIT_ACTOR))
