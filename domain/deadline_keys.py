"""The keys under which the engine records a case's deadlines (`CaseDeadline.key`).

One row per clock: the case workflow and its appeal children record each deadline under one of
these keys (an extension or a new answer records a revision under the same key), and every
reader that needs "the case's decision clock" or "the window to file appeal n" looks it up by
key instead of deciding again which rule applies (the letters do: `letters.clocks`).
"""

from __future__ import annotations

# The case workflow's clocks.
INITIAL_DECISION = "initial_decision"
INFORMATION_RESPONSE = "information_response"
# The window to file the first internal appeal after an adverse decision.
APPEAL_WINDOW = "appeal_filing_window"
# The window to ask for the level an appeal decision offered next.
NEXT_LEVEL_WINDOW = "next_level_filing_window"
# The payer's own window to ask for a peer-to-peer conversation after a denial (its directory
# entry's policy, not a regulation).
PEER_TO_PEER_WINDOW = "peer_to_peer_window"
# Medicare Advantage continuity of care: the end of the transition period during which the new
# plan honors the active course of treatment the member came with (42 CFR 422.112(b)(8)).
CONTINUITY_OF_CARE = "continuity_of_care"


def appeal_filing_window_key(level_number: int) -> str:
    """Deadline key of an appeal level's filing window when the case did not hand one over."""
    return f"appeal_{level_number}_filing_window"


def appeal_decision_key(level_number: int) -> str:
    """Deadline key of the deciding body's clock on an appeal level (1 = first internal)."""
    return f"appeal_{level_number}_decision"


def case_filing_window_key(level_number: int) -> str:
    """The case's own window for filing appeal level `level_number`: the first internal appeal
    answers the adverse decision, every later level answers the previous level's decision."""
    return APPEAL_WINDOW if level_number <= 1 else NEXT_LEVEL_WINDOW
