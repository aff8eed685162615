"""Starting a case workflow: its id, its input and the search attributes it is listed with.

Every caller that opens a case (the API, the demo, the benchmark, the end-to-end tests) starts it
through `start_case`, so a case is listable in the Temporal UI by payer, status and next due
moment from the moment it exists, even before a worker has picked it up. The workflow reads
these start attributes and only upserts what changes afterwards (`PriorAuthCase._publish_state`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from temporalio.client import Client, WorkflowHandle
from temporalio.common import SearchAttributePair, TypedSearchAttributes

from domain.case.facts import CaseFacts, CaseOptions
from domain.case.views import CaseView
from domain.case.vocabulary import CaseStatus
from domain.deadlines import DeadlineError, DeadlineEvent, compute_deadline
from domain.models import PriorAuthRequest
from workflows.constants import CASE_STATUS, NEXT_DUE_AT, PAYER, case_workflow_id
from workflows.models import CaseInput
from workflows.prior_auth import PriorAuthWorkflow


def start_facts(
    case_id: str, request: PriorAuthRequest, received_at: datetime, assignee: str | None
) -> CaseFacts:
    """The case workflow's input facts, checked as far as its start uses them: raises the
    pydantic `ValidationError` for a request the workflow cannot take. Both callers that start
    cases (the API before it stores one, the reconciler) check with this."""
    facts = CaseFacts.from_request(case_id, request, received_at, assignee)
    # The workflow's first question to the deadline engine, also asked for the start's search
    # attributes.
    facts.deadline_query(DeadlineEvent.INITIAL_REQUEST_DECISION)
    return facts


def start_search_attributes(facts: CaseFacts) -> TypedSearchAttributes:
    """Payer, status `opened` and, when a rule applies, the payer's initial decision due moment
    (the same deadline the workflow computes first)."""
    pairs: list[SearchAttributePair[Any]] = [
        SearchAttributePair(PAYER, facts.payer_id),
        SearchAttributePair(CASE_STATUS, CaseStatus.OPENED.value),
    ]
    try:
        due = compute_deadline(facts.deadline_query(DeadlineEvent.INITIAL_REQUEST_DECISION))
        pairs.append(SearchAttributePair(NEXT_DUE_AT, due.due_at))
    except DeadlineError:
        pass  # no rule applies: the workflow asks for a hand-set clock, nothing is due yet
    return TypedSearchAttributes(pairs)


async def start_case(
    client: Client,
    facts: CaseFacts,
    *,
    task_queue: str,
    options: CaseOptions | None = None,
    **policies: Any,
) -> WorkflowHandle[PriorAuthWorkflow, CaseView]:
    """Start the case's workflow (`policies`: id conflict and reuse policies of the caller)."""
    return await client.start_workflow(
        PriorAuthWorkflow.run,
        CaseInput(facts=facts, options=options or CaseOptions()),
        id=case_workflow_id(facts.case_id),
        task_queue=task_queue,
        search_attributes=start_search_attributes(facts),
        **policies,
    )
