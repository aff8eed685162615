"""The workflows record deadlines under the keys `domain.deadline_keys` names (letters look
them up there).

TODO(issue 12): the case and appeal workflows still spell these keys themselves
(`workflows.prior_auth_flow`, `workflows.constants`); once they import `domain.deadline_keys`
this test and their copies go.
"""

from __future__ import annotations

from domain import deadline_keys
from workflows import constants, prior_auth_flow


def test_the_workflows_record_under_the_domain_keys() -> None:
    assert prior_auth_flow.INITIAL_DECISION == deadline_keys.INITIAL_DECISION
    assert prior_auth_flow.INFORMATION_RESPONSE == deadline_keys.INFORMATION_RESPONSE
    assert prior_auth_flow.APPEAL_WINDOW == deadline_keys.APPEAL_WINDOW
    assert prior_auth_flow.NEXT_LEVEL_WINDOW == deadline_keys.NEXT_LEVEL_WINDOW
    for number in (1, 2, 3):
        assert constants.appeal_decision_key(number) == deadline_keys.appeal_decision_key(number)
        assert constants.appeal_filing_window_key(number) == (
            deadline_keys.appeal_filing_window_key(number)
        )
