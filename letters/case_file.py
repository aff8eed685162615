"""The case-file JSON format: everything needed to render a letter without a server.

A `LetterCaseFile` is the `Case` (as the store and the API know it) plus what a person adds
for one letter: which decision is answered, the appeal, the signer, exhibits, arguments,
call windows, and so on (the fields of `LetterDetails`). Examples: examples/letters/*.json.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Self

from pydantic import Field, model_validator

from domain.case.read_model import Appeal, Case
from domain.deadlines import compute_deadline
from domain.models import CaseDeadline, PayerDecision
from letters.build import build_letter_context
from letters.clocks import DeadlineEngine
from letters.context import LetterContext
from letters.errors import LetterInputError
from letters.inputs import LetterDetails, Letterhead, Sender, Signer
from letters.kinds import LetterKind


class LetterCaseFile(LetterDetails):
    """One case and the letter-specific facts; JSON on disk, validated field by field."""

    format: Literal["priorauth.letter-case/1"] = "priorauth.letter-case/1"
    case: Case
    decision: PayerDecision | None = None
    decision_id: str | None = None
    appeal: Appeal | None = None
    deadlines: list[CaseDeadline] = Field(default_factory=list)
    signer: Signer | None = None
    organization: Letterhead | None = None

    @model_validator(mode="after")
    def _one_decision(self) -> Self:
        if self.decision is not None and self.decision_id is not None:
            raise ValueError("give either decision or decision_id, not both")
        if self.decision_id is not None and not any(
            d.decision_id == self.decision_id for d in self.case.decisions
        ):
            raise ValueError(f"decision_id '{self.decision_id}' is not among case.decisions")
        return self

    def chosen_decision(self) -> PayerDecision | None:
        if self.decision is not None:
            return self.decision
        if self.decision_id is not None:
            return next(d for d in self.case.decisions if d.decision_id == self.decision_id)
        return None


def context_from_case_file(
    case_file: LetterCaseFile,
    *,
    kind: LetterKind | str,
    now: datetime,
    organization: Sender | None = None,
    deadline_engine: DeadlineEngine = compute_deadline,
) -> LetterContext:
    """The letter context of `kind` for a case file (its own organization wins over
    `organization`; one of the two is needed) and the deadlines it records."""
    sender = case_file.organization or organization
    if sender is None:
        raise LetterInputError("the case file names no organization and none was given")
    return build_letter_context(
        case_file.case,
        kind=kind,
        now=now,
        decision=case_file.chosen_decision(),
        appeal=case_file.appeal,
        deadlines=case_file.deadlines,
        organization=sender,
        signer=case_file.signer,
        details=case_file,
        deadline_engine=deadline_engine,
    )
