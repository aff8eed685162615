"""Record the committed replay histories: `python -m tests.workflows.record_histories`.

Runs one full case (pend -> information -> denial -> appeal -> overturned -> authorization
ends, with escalation rungs on the way) on the time-skipping server with synthetic data and
the fixed *test* codec key, and writes the case and appeal histories to `tests/histories/`,
named after `GENERATION`. Older generations stay committed: the workflows must still replay the
histories of cases that started under earlier code. Re-record (with a new `GENERATION`) after
an intended change to a workflow's command sequence, and add a `workflow.patched()` branch if
histories of the old sequence can exist in production.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from activities.letters import PlainTextRenderer
from domain.case.messages import AppealDecisionInput, NoteInput, SupplyInformationInput
from domain.case.vocabulary import Phase
from domain.models import Attachment
from tests.workflows.conftest import Harness, approve, decision, pend, rfi, start_time_skipping
from tests.workflows.helpers import denied_and_appealed, wait_phase
from worker import make_worker
from workflows.appeal import AppealWorkflow
from workflows.prior_auth import PriorAuthWorkflow

HISTORIES = Path(__file__).resolve().parents[1] / "histories"
CASE_ID = "replay0001"
# 2026-12: cases start with their search attributes (`workflows.start`). The first generation,
# `prior_auth.json` and `appeal.json`, started without them.
GENERATION = "2026-12"


async def record() -> list[Path]:
    env = await start_time_skipping()
    try:
        harness = Harness(env=env, task_queue="replay")
        async with make_worker(
            env.client,
            task_queue="replay",
            recorder=harness.recorder,
            gateway=harness.payer,
            renderer=PlainTextRenderer(),
        ):
            handle = await harness.start(case_id=CASE_ID)
            await wait_phase(handle, Phase.AWAIT_DECISION)
            now = await harness.now()
            pended = decision("d-pend", pend(), at=now)
            pended.information_request = rfi(now)
            await handle.execute_update(PriorAuthWorkflow.record_payer_decision, pended)
            await env.sleep(timedelta(days=1))
            await handle.execute_update(
                PriorAuthWorkflow.supply_information,
                SupplyInformationInput(
                    submission_id="s1",
                    actor="cm-ann",
                    attachments=[Attachment(reference="doc-1", title="PT notes")],
                ),
            )
            await env.sleep(timedelta(days=5))  # the 50 % and 80 % rungs fire
            await handle.execute_update(
                PriorAuthWorkflow.add_note, NoteInput(actor="cm-ann", text="Called the payer")
            )
            appeal, _ = await denied_and_appealed(harness, handle)
            await env.sleep(timedelta(days=3))
            await appeal.execute_update(
                AppealWorkflow.record_appeal_decision,
                AppealDecisionInput(
                    decision_id="ap1",
                    outcome="overturned",
                    decided_at=await harness.now(),
                    items=[approve()],
                ),
            )
            await wait_phase(handle, Phase.AUTHORIZED)
            await env.sleep(timedelta(days=400))
            await wait_phase(handle, Phase.DONE)
            paths = []
            for name, wid in (("prior_auth", handle.id), ("appeal", appeal.id)):
                history = await env.client.get_workflow_handle(wid).fetch_history()
                path = HISTORIES / f"{name}-{GENERATION}.json"
                path.write_text(history.to_json())
                paths.append(path)
            return paths
    finally:
        await env.shutdown()


if __name__ == "__main__":
    for written in asyncio.run(record()):
        print(f"wrote {written}")
