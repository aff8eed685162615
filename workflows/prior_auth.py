"""`PriorAuthWorkflow`: one durable workflow per prior-authorization case (id `case-<case id>`).

Only the declaration: the case logic, its Updates and Queries live in `workflows.prior_auth_flow`
(run in the sandbox like this module; `domain` and the activities' models are passed through,
docs/workflows.md, "Sandbox").
"""

from __future__ import annotations

from temporalio import workflow

from workflows.prior_auth_flow import PriorAuthCase

with workflow.unsafe.imports_passed_through():
    from domain.case.views import CaseView
    from workflows.models import CaseInput


@workflow.defn(name="PriorAuthWorkflow")
class PriorAuthWorkflow(PriorAuthCase):
    @workflow.init
    def __init__(self, input: CaseInput) -> None:
        super().__init__(input)

    @workflow.run
    async def run(self, input: CaseInput) -> CaseView:
        return await self.run_case(input)
