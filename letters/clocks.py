"""The due moments a letter cites: the case's recorded deadlines, the engine only for the rest.

The engine (the case workflow asking `domain.deadlines`) decides which rule sets each of a
case's clocks and records it as a `CaseDeadline` under a known key (`domain.deadline_keys`),
revised in place when an extension or a new answer moves it. A letter quotes that row: the
same due moment and the same rule the case's task list, queue and escalation use. Letters do not
choose a rule again.

Some letters cite a moment no recorded deadline holds yet, and only those are computed, in one
place (`CaseClocks.projected`), by the same engine:

- an appeal letter is written before the appeal is filed, so the deciding body's clock has not
  started: the letter says when the decision will be due if the appeal is filed now (or at its
  recorded filing moment);
- the external-review request names the reviewer's decision clock (or, for Medicare Advantage,
  the plan's deadline to forward the file) before the next level exists;
- a filing window the case did not record (a case file rendered without a server, or a
  decision the workflow has not seen) is computed from the notice date;
- a missed-deadline letter for a case whose clock is not on record (a case file) recomputes it
  from the case, as the workflow would have.

When the engine cannot answer, the field stays empty and the reason is kept in `notes`; kinds
that need the deadline then report it as missing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from pydantic import AwareDatetime, Field

from domain.case.read_model import Appeal, Case
from domain.deadline_keys import (
    INITIAL_DECISION,
    NEXT_LEVEL_WINDOW,
    appeal_decision_key,
    appeal_filing_window_key,
    case_filing_window_key,
)
from domain.deadlines import DeadlineError, DeadlineEvent, DeadlineQuery, DeadlineResult
from domain.enums import Regime, Urgency
from domain.models import CaseDeadline
from letters.errors import LetterInputError
from letters.formatting import moment
from letters.kinds import LetterKind
from letters.model import LetterModel

DeadlineEngine = Callable[[DeadlineQuery], DeadlineResult]

RECORDED = "recorded"
ENGINE = "deadline engine"

APPEAL_KINDS = frozenset({LetterKind.APPEAL_LEVEL1, LetterKind.APPEAL_EXPEDITED})


class DeadlineFact(LetterModel):
    """A due moment the letter cites, with the rule that sets it."""

    label: str
    event: str
    due_at: AwareDatetime
    due_display: str
    rule: str
    explanation: str
    source: str
    flags: list[str] = Field(default_factory=list)


class LetterClocks(LetterModel):
    """What one letter cites: the payer's deadline, the filing window, a missed deadline."""

    payer: DeadlineFact | None = None
    filing: DeadlineFact | None = None
    missed: DeadlineFact | None = None
    missed_stage: str | None = None


class CaseClocks:
    """A case's recorded deadlines by key, and the engine for moments nothing records yet."""

    def __init__(
        self,
        case: Case,
        deadlines: Sequence[CaseDeadline],
        engine: DeadlineEngine,
        now: datetime,
        all_information_received_at: datetime | None = None,
    ) -> None:
        self.case = case
        # The latest revision of each clock (superseded rows are history).
        self.by_key = {d.key: d for d in deadlines if not d.superseded}
        self.engine = engine
        self.now = now
        self.all_information_received_at = all_information_received_at
        self.notes: list[str] = []

    def recorded(self, key: str, label: str) -> DeadlineFact | None:
        """The case's deadline recorded under `key`, as the engine recorded it."""
        deadline = self.by_key.get(key)
        if deadline is None:
            return None
        return DeadlineFact(
            label=label,
            event=key,
            due_at=deadline.due_at,
            due_display=moment(deadline.due_at, self.case.timezone),
            rule=deadline.rule,
            explanation=deadline.explanation,
            source=RECORDED,
        )

    def projected(self, event: DeadlineEvent, label: str, **query: Any) -> DeadlineFact | None:
        """A moment no recorded deadline holds (see the module docstring): the engine's answer
        for this case, with `query` overriding the case's facts."""
        request = self.case.request
        coverage = request.coverage
        fields: dict[str, object] = {
            "regime": coverage.regime,
            "event": event,
            "state": coverage.state,
            "urgency": request.urgency,
            "service_timing": request.service_timing,
            "item_type": request.item_type,
            "request_type": request.request_type,
            "timezone": self.case.timezone,
            "rating_period_start": coverage.rating_period_start,
            "appeal_levels": coverage.appeal_levels,
            "hospitalized": request.hospitalized,
            "subject_to_prior_authorization": request.subject_to_prior_authorization,
            "all_information_received_at": self.all_information_received_at,
        }
        fields.update(query)
        try:
            result = self.engine(DeadlineQuery.model_validate(fields))
        except DeadlineError as exc:
            self.notes.append(f"{label}: {exc}")
            return None
        return DeadlineFact(
            label=label,
            event=event.value,
            due_at=result.due_at,
            due_display=moment(result.due_at, self.case.timezone),
            rule=result.rule,
            explanation=result.explanation,
            source=ENGINE,
            flags=list(result.flags),
        )

    def filing_window(
        self, keys: Sequence[str], event: DeadlineEvent, label: str, notice_date: date | None
    ) -> DeadlineFact | None:
        """The recorded window under the first of `keys`, else the engine's from the notice."""
        for key in keys:
            found = self.recorded(key, label)
            if found is not None:
                return found
        if notice_date is None:
            self.notes.append(f"{label}: no notice date")
            return None
        return self.projected(event, label, notice_date=notice_date)


def letter_clocks(
    kind: LetterKind,
    clocks: CaseClocks,
    *,
    appeal: Appeal | None,
    notice_date: date | None,
    expedited: bool,
    missed_key: str | None = None,
) -> LetterClocks:
    """The clocks a letter of `kind` cites (`missed_key`: the recorded deadline a
    missed-deadline letter is about, when the caller knows it)."""
    regime = clocks.case.request.coverage.regime
    urgency = Urgency.EXPEDITED if expedited else Urgency.STANDARD
    filed_at = appeal.filed_at if appeal and appeal.filed_at else None
    number = appeal.number if appeal is not None else 1

    if kind in APPEAL_KINDS:
        label = "Appeal decision due"
        payer = clocks.recorded(appeal_decision_key(number), label) or clocks.projected(
            DeadlineEvent.APPEAL_DECISION,
            label,
            received_at=filed_at or clocks.now,
            urgency=urgency,
        )
        filing = clocks.filing_window(
            [appeal_filing_window_key(number), case_filing_window_key(number)],
            DeadlineEvent.APPEAL_FILING_WINDOW,
            "Appeal filing window ends",
            notice_date,
        )
        return LetterClocks(payer=payer, filing=filing)

    if kind is LetterKind.EXTERNAL_REVIEW_REQUEST:
        return _external_review(clocks, regime, number, filed_at, urgency, notice_date)

    if kind is LetterKind.MISSED_DEADLINE:
        return _missed(clocks, appeal, missed_key)

    if kind in (LetterKind.PEER_TO_PEER_REQUEST, LetterKind.CLAIM_FILE_REQUEST):
        filing = clocks.filing_window(
            [case_filing_window_key(1)],
            DeadlineEvent.APPEAL_FILING_WINDOW,
            "Appeal filing window ends",
            notice_date,
        )
        return LetterClocks(filing=filing)
    return LetterClocks()


def _external_review(
    clocks: CaseClocks,
    regime: Regime,
    number: int,
    filed_at: datetime | None,
    urgency: Urgency,
    notice_date: date | None,
) -> LetterClocks:
    """The level after internal appeal `number`: its clock is `appeal_<number + 1>_decision`
    once that level exists, and the case's next-level window is the window to ask for it."""
    following = appeal_decision_key(number + 1)
    if regime is Regime.MEDICARE_ADVANTAGE:
        label = "Case file due at the IRE"
        recorded = clocks.recorded(following, label)
        if recorded is not None:
            return LetterClocks(payer=recorded)
        if filed_at is None:
            clocks.notes.append("IRE forwarding deadline: appeal.filed_at is missing")
            return LetterClocks()
        payer = clocks.projected(
            DeadlineEvent.NEXT_LEVEL_AUTO_FORWARD,
            label,
            base_event=DeadlineEvent.APPEAL_DECISION,
            received_at=filed_at,
            urgency=urgency,
        )
        return LetterClocks(payer=payer)
    if regime in (Regime.MEDICAID_MANAGED_CARE, Regime.CHIP_MANAGED_CARE):
        filing = clocks.filing_window(
            [NEXT_LEVEL_WINDOW],
            DeadlineEvent.STATE_FAIR_HEARING_FILING_WINDOW,
            "Hearing request window ends",
            notice_date,
        )
        return LetterClocks(filing=filing)
    if regime is Regime.MEDICARE_PART_D:
        filing = clocks.filing_window(
            [NEXT_LEVEL_WINDOW],
            DeadlineEvent.IRE_RECONSIDERATION_FILING_WINDOW,
            "IRE reconsideration request window ends",
            notice_date,
        )
        return LetterClocks(filing=filing)
    filing = clocks.filing_window(
        [NEXT_LEVEL_WINDOW],
        DeadlineEvent.EXTERNAL_REVIEW_FILING_WINDOW,
        "External review filing window ends",
        notice_date,
    )
    label = "External review decision due"
    payer = clocks.recorded(following, label) or clocks.projected(
        DeadlineEvent.EXTERNAL_REVIEW_DECISION, label, received_at=clocks.now, urgency=urgency
    )
    return LetterClocks(payer=payer, filing=filing)


def _missed(clocks: CaseClocks, appeal: Appeal | None, missed_key: str | None) -> LetterClocks:
    """The payer deadline that passed: the recorded clock (with any extension), else the
    engine's answer for a case that has none on record."""
    appeal_stage = appeal is not None or (missed_key is not None and missed_key != INITIAL_DECISION)
    if appeal_stage:
        label = "Appeal decision was due"
        key = missed_key or appeal_decision_key(appeal.number if appeal else 1)
        fact = clocks.recorded(key, label)
        if fact is None and appeal is not None:
            fact = clocks.projected(
                DeadlineEvent.APPEAL_DECISION,
                label,
                received_at=appeal.filed_at,
                urgency=Urgency.EXPEDITED if appeal.expedited else Urgency.STANDARD,
            )
        stage = "appeal"
    else:
        label = "Decision was due"
        fact = clocks.recorded(INITIAL_DECISION, label) or clocks.projected(
            DeadlineEvent.INITIAL_REQUEST_DECISION, label, received_at=clocks.case.received_at
        )
        stage = "initial"
    if fact is not None and fact.due_at > clocks.now:
        raise LetterInputError(
            f"the payer's deadline ({fact.rule}) has not passed yet: due {fact.due_at.isoformat()}"
        )
    return LetterClocks(missed=fact, missed_stage=stage)
