"""`AppealWorkflow`: one child workflow per appeal level (id `case-<case id>-appeal-<level>`).

The sandbox re-imports this module for every workflow run, so it only declares the workflow;
the appeal logic, its Updates and Queries live in `workflows.appeal_flow`, passed through
(docs/workflows.md, "Sandbox").
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.case.appeal_result import AppealResult
    from workflows.appeal_flow import AppealCase
    from workflows.models import AppealInput


@workflow.defn(name="AppealWorkflow")
class AppealWorkflow(AppealCase):
    @workflow.init
    def __init__(self, input: AppealInput) -> None:
        super().__init__(input)

    @workflow.run
    async def run(self, input: AppealInput) -> AppealResult:
        return await self.run_appeal(input)
