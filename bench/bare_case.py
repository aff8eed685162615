"""The bare Temporal workflow `bench/cases.py` measures priorauth against.

Same shape as an approval case: one local activity, five activities, one wait for a signal
(the "payer" answers from the submit activity). It lives in its own small module, as a plain
Temporal application's workflow would: the default sandbox re-imports a workflow's module for
every run, so a bare workflow defined inside the benchmark script would pay for compiling the
whole script each time and look slower than it is.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import activity, workflow

TIMEOUT = timedelta(seconds=30)


@activity.defn(name="bare_step")
async def bare_step(step: str) -> str:
    return step


@activity.defn(name="bare_submit")
async def bare_submit(workflow_id: str) -> str:
    client = activity.client()

    async def answer() -> None:
        await client.get_workflow_handle(workflow_id).signal("decision", "approved")

    asyncio.get_running_loop().create_task(answer())
    return "submitted"


@workflow.defn(name="BareCase")
class BareCase:
    def __init__(self) -> None:
        self.decision: str | None = None

    @workflow.signal(name="decision")
    def decision_arrived(self, value: str) -> None:
        self.decision = value

    @workflow.run
    async def run(self, workflow_id: str) -> str:
        await workflow.execute_local_activity(bare_step, "deadline", start_to_close_timeout=TIMEOUT)
        await workflow.execute_activity(bare_step, "open", start_to_close_timeout=TIMEOUT)
        await workflow.execute_activity(bare_submit, workflow_id, start_to_close_timeout=TIMEOUT)
        await workflow.execute_activity(bare_step, "submitted", start_to_close_timeout=TIMEOUT)
        await workflow.wait_condition(lambda: self.decision is not None)
        await workflow.execute_activity(bare_step, "decided", start_to_close_timeout=TIMEOUT)
        await workflow.execute_activity(bare_step, "closed", start_to_close_timeout=TIMEOUT)
        return self.decision or ""
