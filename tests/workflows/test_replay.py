"""Replay the committed histories against the current workflow code (determinism guard).

Re-record with `python -m tests.workflows.record_histories` (see docs/workflows.md).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.converter import DataConverter
from temporalio.worker import Replayer

from tests.workflows.conftest import PHI_STRINGS
from tests.workflows.record_histories import GENERATION
from workflows.appeal import AppealWorkflow
from workflows.prior_auth import PriorAuthWorkflow

HISTORIES = sorted((Path(__file__).resolve().parents[1] / "histories").glob("*.json"))


def test_histories_are_committed() -> None:
    first = {"prior_auth", "appeal"}
    assert {p.stem for p in HISTORIES} >= first | {f"{n}-{GENERATION}" for n in first}


@pytest.mark.parametrize("path", HISTORIES, ids=lambda p: p.stem)
async def test_replay(path: Path, converter: DataConverter) -> None:
    text = path.read_text()  # noqa: ASYNC240 - a small fixture file
    assert not [s for s in PHI_STRINGS if s in text]
    history = WorkflowHistory.from_json(f"case-{path.stem}", text)
    replayer = Replayer(workflows=[PriorAuthWorkflow, AppealWorkflow], data_converter=converter)
    await replayer.replay_workflow(history)
