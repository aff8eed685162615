"""The sandbox clearinghouse: CAQH CORE real-time X12 278 with scripted answers (dev, tests)."""

from integrations.sandbox_clearinghouse.app import (
    ClearinghouseState,
    create_sandbox_clearinghouse_app,
    run_sandbox_clearinghouse,
)
from integrations.sandbox_clearinghouse.script import (
    BEHAVIOUR_HEADER,
    ClearinghouseBehaviour,
    ClearinghouseRule,
    ClearinghouseScript,
)

__all__ = [
    "BEHAVIOUR_HEADER",
    "ClearinghouseBehaviour",
    "ClearinghouseRule",
    "ClearinghouseScript",
    "ClearinghouseState",
    "create_sandbox_clearinghouse_app",
    "run_sandbox_clearinghouse",
]
