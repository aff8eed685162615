"""The regulatory clock: regime x event x urgency -> due moment + the rule that sets it.

Public API (stable; used by workflows, letters, the API and the `priorauth deadline` command):
`DeadlineQuery`, `DeadlineResult`, `DeadlineEvent`, `CareCategory`, `DeadlineError`,
`compute_deadline`.
"""

from domain.deadlines.engine import compute_deadline
from domain.deadlines.query import (
    CareCategory,
    DeadlineError,
    DeadlineEvent,
    DeadlineQuery,
    DeadlineResult,
)

__all__ = [
    "CareCategory",
    "DeadlineError",
    "DeadlineEvent",
    "DeadlineQuery",
    "DeadlineResult",
    "compute_deadline",
]
