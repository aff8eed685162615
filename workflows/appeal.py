"""`AppealWorkflow`: one child workflow per appeal level (id `case-<case id>-appeal-<level>`).

Only the declaration: the appeal logic, its Updates and Queries live in `workflows.appeal_flow`
(run in the sandbox like this module; `domain` and the activities' models are passed through,
docs/workflows.md, "Sandbox").
"""

from __future__ import annotations

from temporalio import workflow

from workflows.appeal_flow import AppealCase

with workflow.unsafe.imports_passed_through():
    from domain.case.appeal_result import AppealResult
    from workflows.models import AppealInput


@workflow.defn(name="AppealWorkflow")
class AppealWorkflow(AppealCase):
    @workflow.init
    def __init__(self, input: AppealInput) -> None:
        super().__init__(input)

    @workflow.run
    async def run(self, input: AppealInput) -> AppealResult:
        return await self.run_appeal(input)
