"""An appeal level that ends before a decision: its filing window passes unsigned."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.case.vocabulary import AppealStatus, CaseEvent, TaskKind
from tests.workflows.conftest import Harness, request
from tests.workflows.helpers import denied_and_appealed
from workflows.appeal import AppealWorkflow
from workflows.prior_auth import PriorAuthWorkflow

pytestmark = pytest.mark.temporal


async def test_unsigned_appeal_expires_when_its_filing_window_passes(harness: Harness) -> None:
    handle = await harness.start(request())
    appeal, view = await denied_and_appealed(harness, handle, sign=False)
    window = next(d for d in view.deadlines if d.key == "appeal_filing_window")
    case_id = (await handle.query(PriorAuthWorkflow.status)).case_id

    await harness.env.sleep(window.due_at - await harness.now() + timedelta(minutes=1))
    result = await appeal.result()
    assert result.status == AppealStatus.EXPIRED and result.filed_at is None
    final = await appeal.query(AppealWorkflow.appeal_status)
    [closed] = [d for d in final.deadlines if d.key == window.key]
    assert closed.superseded and closed.met_at is None
    assert final.timeline[-1].summary == "The filing window closed before the letter was signed"
    # Recorded once, closed unmet; the sign-off task is moot.
    stored = harness.recorder.case_deadlines(case_id)[window.key]
    assert stored.superseded and stored.met_at is None
    [signing] = harness.recorder.task_state(case_id, TaskKind.SIGN_APPEAL_LETTER)
    assert (signing.status, signing.by) == ("cancelled", "system")
    [row] = harness.recorder.case_appeals(case_id)
    assert row.status == AppealStatus.EXPIRED
    events = [r.event for r in harness.recorder.audit if r.case_id == case_id]
    assert events.count(CaseEvent.APPEAL_CLOSED) == 1
    assert CaseEvent.APPEAL_SUBMITTED not in events
