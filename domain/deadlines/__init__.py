"""The regulatory clock: regime x event x urgency -> due moment + the rule that sets it.

Public API (stable; used by workflows, letters, the API and the `priorauth deadline` command):
`DeadlineQuery`, `DeadlineResult`, `DeadlineEvent`, `DeadlineError`, `compute_deadline`.
"""

from domain.deadlines.engine import compute_deadline
from domain.deadlines.query import DeadlineError, DeadlineEvent, DeadlineQuery, DeadlineResult

__all__ = ["DeadlineError", "DeadlineEvent", "DeadlineQuery", "DeadlineResult", "compute_deadline"]
