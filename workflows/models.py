"""Inputs, outputs and state of the case and appeal workflows (one model per handler).

Pure pydantic. The workflow input carries the case id and non-identifying facts only (regime,
state, urgency, timing, service codes and units, dates); names, birth dates and member ids stay
in the store and are loaded by activities when they need them. Fields are only ever added with
defaults, so running workflows keep decoding their histories.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import Field

from domain.appeals import AppealLevel
from domain.case.base import Model
from domain.case.facts import CaseFacts, CaseOptions
from domain.case.state import CaseState
from domain.escalation import EscalationLadder
from domain.models import CaseDeadline

# ---------------------------------------------------------------- case input


class CaseInput(Model):
    facts: CaseFacts
    options: CaseOptions = Field(default_factory=CaseOptions)
    resume: CaseState | None = None


# ---------------------------------------------------------------- case updates


# ---------------------------------------------------------------- case queries


class StatusQueryInput(Model):
    """Queries take no arguments; kept for symmetry with the one-model rule."""


# ---------------------------------------------------------------- appeal workflow


class AppealInput(Model):
    facts: CaseFacts
    level: AppealLevel
    number: Annotated[int, Field(ge=1, le=5)]
    sequences: Annotated[list[int], Field(min_length=1)]
    notice_date: date
    filing_due: CaseDeadline | None = None
    expedited: bool = False
    auto_forwarded: bool = False
    arguments: list[str] = Field(default_factory=list)
    exhibits: list[str] = Field(default_factory=list)
    requested_by: str = "system"
    requested_peer_to_peer: bool = False
    ladder: EscalationLadder = Field(default_factory=EscalationLadder)
    # Escalation rungs of `filing_due` the case already fired (they never fire twice).
    rungs_done: list[str] = Field(default_factory=list)
