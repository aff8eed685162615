"""The activities a case or appeal workflow calls, each with its timeout and retry policy.

Each returns the activity's answer, or None (or the business error's type) for the failures
the workflow handles itself; anything else propagates and fails the workflow task.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities import errors
    from activities.case_store import CaseStoreActivities
    from activities.deadlines import DeadlineActivities
    from activities.letters import LetterActivities
    from activities.models import (
        EscalationInput,
        InquireInput,
        LetterInput,
        LetterRef,
        SubmitInput,
        SubmitResult,
    )
    from activities.notify import NotifyActivities
    from activities.payer import PayerActivities
    from domain.case.transition import Transition
    from domain.deadlines import DeadlineQuery, DeadlineResult
    from domain.models import PayerDecision
    from domain.peer_to_peer import WindowQuestion

STORE_TIMEOUT = timedelta(seconds=30)
PAYER_TIMEOUT = timedelta(seconds=60)
LETTER_TIMEOUT = timedelta(seconds=120)
DEADLINE_TIMEOUT = timedelta(seconds=10)
RETRY = RetryPolicy(non_retryable_error_types=list(errors.NON_RETRYABLE))
# A reconciliation poll is read-only and repeats on schedule: a failed one waits for the next.
INQUIRE_RETRY = RetryPolicy(
    maximum_attempts=3, non_retryable_error_types=list(errors.NON_RETRYABLE)
)


def business_error_type(exc: BaseException) -> str | None:
    """The `ApplicationError.type` behind an activity failure, if it is a business failure."""
    cause = exc.cause if isinstance(exc, ActivityError) else exc
    if isinstance(cause, ApplicationError) and cause.type in errors.NON_RETRYABLE:
        return cause.type
    return None


def store_rejected(exc: ActivityError) -> bool:
    """The store refused a write for good (a constraint, a value its column cannot hold)."""
    return business_error_type(exc) == errors.STORE_REJECTED


async def write_transition(transition: Transition) -> None:
    await workflow.execute_activity_method(
        CaseStoreActivities.record_transition,
        transition,
        start_to_close_timeout=STORE_TIMEOUT,
        retry_policy=RETRY,
    )


async def escalate(escalation: EscalationInput) -> None:
    await workflow.execute_activity_method(
        NotifyActivities.escalate,
        escalation,
        start_to_close_timeout=STORE_TIMEOUT,
        retry_policy=RETRY,
    )


REFUSAL_TEXT = 400  # the refusal's words kept on the case (a timeline summary, a task title)


async def compute_deadline(query: DeadlineQuery) -> DeadlineResult | None:
    """The deadline engine's answer (a local activity), or None when no rule applies."""
    try:
        return await workflow.execute_local_activity_method(
            DeadlineActivities.compute_deadline,
            query,
            start_to_close_timeout=DEADLINE_TIMEOUT,
            retry_policy=RETRY,
        )
    except (ActivityError, ApplicationError) as exc:
        # Local activity failures may surface without the ActivityError wrapper.
        if business_error_type(exc) != errors.NO_DEADLINE_RULE:
            raise
    return None


async def peer_to_peer_due(question: WindowQuestion) -> datetime:
    """When the payer's peer-to-peer window closes (a local activity, like every clock)."""
    return await workflow.execute_local_activity_method(
        DeadlineActivities.peer_to_peer_window_due,
        question,
        start_to_close_timeout=DEADLINE_TIMEOUT,
        retry_policy=RETRY,
    )


async def submit(submission: SubmitInput) -> SubmitResult | str:
    """Submit through the payer gateway: the receipt, or the payer's refusal as its type and
    the gateway's words (a 999 or AAA rejection names its segment, element and reason)."""
    try:
        return await workflow.execute_activity_method(
            PayerActivities.submit_to_payer,
            submission,
            start_to_close_timeout=PAYER_TIMEOUT,
            retry_policy=RETRY,
        )
    except ActivityError as exc:
        kind = business_error_type(exc)
        if kind is None:
            raise
        cause = exc.cause
        detail = cause.message if isinstance(cause, ApplicationError) else ""
        return f"{kind}: {detail[:REFUSAL_TEXT]}" if detail else kind


async def inquire(inquiry: InquireInput) -> PayerDecision | None:
    """The payer's current decision by inquiry; None if it has none, or the poll failed.

    Raises `ActivityError` when the payer channel cannot be asked at all."""
    try:
        return await workflow.execute_activity_method(
            PayerActivities.inquire_payer,
            inquiry,
            start_to_close_timeout=PAYER_TIMEOUT,
            retry_policy=INQUIRE_RETRY,
        )
    except ActivityError as exc:
        if business_error_type(exc) == errors.INQUIRY_UNSUPPORTED:
            raise
        workflow.logger.warning(
            "payer_inquiry_failed",
            extra={
                "case_id": inquiry.case_id,
                "key": inquiry.key,
                "error_type": business_error_type(exc) or type(exc.cause).__name__,
            },
        )
    return None


async def render_letter(letter: LetterInput) -> LetterRef | None:
    """The letter rendered, or None when rendering failed for a business reason."""
    try:
        return await workflow.execute_activity_method(
            LetterActivities.render_letter,
            letter,
            start_to_close_timeout=LETTER_TIMEOUT,
            retry_policy=RETRY,
        )
    except ActivityError as exc:
        if business_error_type(exc) is None:
            raise
    return None
