"""Small pydantic DTOs the store returns where no domain model fits (listings, tasks, audit).

None of them carries PHI except `LetterRecord.context` (the letter's rendering context) and
`WorkRowFacts` (the patient on a work list).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, computed_field

from domain.case.vocabulary import CaseStatus
from domain.enums import Regime, Urgency


class Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)


class CaseSummary(Record):
    """One row of a case listing: no request JSON, so no PHI."""

    case_id: str
    case_number: str
    status: CaseStatus
    regime: Regime
    payer_id: str
    payer_name: str
    assignee: str | None
    team: str
    urgency: Urgency
    received_at: AwareDatetime
    next_due_at: AwareDatetime | None
    created_at: AwareDatetime
    updated_at: AwareDatetime
    closed_at: AwareDatetime | None


class CaseSort(StrEnum):
    DUE = "due"  # next_due_at first, cases without a due moment last
    NEWEST = "newest"  # received_at, newest first


class CaseState(StrEnum):
    OPEN = "open"  # any status but closed and withdrawn
    CLOSED = "closed"  # closed or withdrawn
    ALL = "all"


class CaseFilter(BaseModel):
    """Filters of `store.queries.list_cases`; every one given must hold (AND)."""

    model_config = ConfigDict(extra="forbid")

    status: list[CaseStatus] | None = None
    assignee: str | None = None
    unassigned: bool = False
    payer_id: str | None = None
    regime: Regime | None = None
    service_code: str | None = None
    due_before: AwareDatetime | None = None
    # Open cases whose next due moment is before this instant.
    overdue_as_of: AwareDatetime | None = None
    # Case-number prefix search, e.g. "000123" (a serial), "2026-0001" or "pa-2026".
    search: Annotated[str | None, Field(max_length=64)] = None
    # PHI: prefix of the member id, and of the patient's "last first" name (store.search).
    member_id: Annotated[str | None, Field(max_length=120)] = None
    patient_name: Annotated[str | None, Field(max_length=241)] = None
    state: CaseState = CaseState.ALL
    # Ignored by a search (search, member_id, patient_name): its matches come in the order of
    # the key searched (case number; member id; name), then case id.
    sort: CaseSort = CaseSort.DUE


class CasePage(Record):
    """One page of a listing. `total` counts the matching cases up to a cap (store.queries
    COUNT_CAP): `total_capped` says there are at least that many ("1,000+"). `next_cursor`
    fetches the page after this one (None: this is the last page)."""

    items: list[CaseSummary]
    total: int
    total_capped: bool = False
    limit: int
    offset: int
    next_cursor: str | None = None


class TaskStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class TaskRecord(Record):
    task_id: int
    idempotency_key: str
    case_id: str
    case_number: str
    kind: str
    title: str
    assignee: str | None
    queue: str | None
    due_at: AwareDatetime | None
    status: TaskStatus
    deadline_key: str | None
    note: str | None
    created_at: AwareDatetime
    updated_at: AwareDatetime
    completed_at: AwareDatetime | None
    completed_by: str | None


class TaskPage(Record):
    """One page of tasks; `total`, `total_capped` and `next_cursor` as in `CasePage`."""

    items: list[TaskRecord]
    total: int
    total_capped: bool = False
    limit: int
    offset: int
    next_cursor: str | None = None


class LetterRecord(Record):
    """A stored letter's metadata; the document itself comes from `get_letter_content`."""

    letter_id: str
    idempotency_key: str
    case_id: str
    kind: str
    template_version: str
    content_type: str
    size_bytes: int
    checksum_sha256: str
    context: dict[str, Any]
    created_at: AwareDatetime
    signed_off_at: AwareDatetime | None
    signed_off_by: str | None


class AuditEvent(Record):
    sequence: int
    event_id: str
    idempotency_key: str
    case_id: str | None
    occurred_at: AwareDatetime
    actor: str
    action: str
    summary: str
    rule_cited: str | None
    details: dict[str, Any]
    prev_hash: str
    hash: str


BreakKind = Literal["edited", "prev_link", "gap", "tail"]


class BrokenLink(Record):
    """The first place where the chain does not hold.

    edited: the row's content no longer matches its hash; prev_link: `prev_hash` is not the
    previous event's hash; gap: a sequence number is missing (a deleted row); tail: the chain
    head records events (or a last hash) that the table no longer has.
    """

    sequence: int
    event_id: str | None
    kind: BreakKind
    message: str


class VerifyResult(Record):
    # `ok` is serialized (computed); reading such JSON back must not trip over it.
    model_config = ConfigDict(frozen=True, extra="ignore")

    events_checked: int
    last_sequence: int
    broken: BrokenLink | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def ok(self) -> bool:
        return self.broken is None


class PhiRead(Record):
    """Who read which case's PHI, when, and through which route (store.phi_reads)."""

    read_id: int
    read_at: AwareDatetime
    actor: str
    case_id: str
    route: str
    request_id: str | None


class PhiReadPage(Record):
    items: list[PhiRead]
    total: int
    limit: int
    offset: int


class UserRecord(Record):
    """A person who signs in to the web workspace (no password hash)."""

    username: str
    display_name: str
    role: str
    teams: list[str]
    created_at: AwareDatetime
    disabled_at: AwareDatetime | None

    @property
    def active(self) -> bool:
        return self.disabled_at is None


class WebSessionRecord(Record):
    """A browser session as stored (no token: only its hash finds it)."""

    username: str
    csrf_token: str
    created_at: AwareDatetime
    last_seen_at: AwareDatetime
    ended_at: AwareDatetime | None


class NextClock(Record):
    """The running clock of a case that comes due first, and whose it is."""

    key: str
    label: str
    obligor: str
    due_at: AwareDatetime
    starts_at: AwareDatetime | None
    rule_id: str


class WorkRowFacts(Record):
    """What a work list shows of a case beyond its summary. PHI (patient, member id)."""

    patient: str
    member_id: str
    service: str
    next_clock: NextClock | None
