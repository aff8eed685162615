"""One appeal level: what it is given when it opens (`AppealSetup`) and what it keeps
(`AppealState`), plus the store row and the deadline helpers its transitions share.

Pure models; `domain.case.appeal` holds the transitions and `domain.case.appeal_rules` the
Update validation. Fields of `AppealState` are only ever added with defaults (it may travel in
a history if the appeal workflow ever continues as new).
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from domain.appeals import AppealLevel, AppealLevelSpec, appeal_ladder, next_level
from domain.case.base import Model
from domain.case.facts import CaseFacts
from domain.case.messages import AppealDecisionInput
from domain.case.read_model import Appeal
from domain.case.vocabulary import AppealStatus
from domain.models import CaseDeadline

OPEN_STATUSES = frozenset(
    {AppealStatus.DRAFTING, AppealStatus.AWAITING_SIGNOFF, AppealStatus.SUBMITTED}
)
DECIDED_STATUSES = frozenset(
    {AppealStatus.OVERTURNED, AppealStatus.PARTIALLY_OVERTURNED, AppealStatus.UPHELD}
)


class AppealSetup(Model):
    """What an appeal level is given when it opens; never changes afterwards.

    `filing_key` and `decision_key` name the two clocks of the level (the case's keys, so the
    filing window handed over keeps its row).
    """

    facts: CaseFacts
    level: AppealLevel
    number: int
    sequences: list[int]
    notice_date: date
    filing_key: str
    decision_key: str
    filing_due: CaseDeadline | None = None
    expedited: bool = False
    auto_forwarded: bool = False
    arguments: list[str] = Field(default_factory=list)
    exhibits: list[str] = Field(default_factory=list)
    requested_by: str = "system"
    requested_peer_to_peer: bool = False

    @property
    def case_id(self) -> str:
        return self.facts.case_id

    @property
    def scope(self) -> str:
        """The level's part of every store key (`<case>:<scope>:<seq>`)."""
        return f"appeal-{self.number}"

    @property
    def task_prefix(self) -> str:
        """Every task this level opens has a key that starts so."""
        return f"{self.case_id}:{self.scope}:task:"

    @property
    def spec(self) -> AppealLevelSpec:
        facts = self.facts
        return next(
            s for s in appeal_ladder(facts.regime, facts.appeal_levels) if s.level == self.level
        )

    @property
    def silence_affirms(self) -> bool:
        """A plan that lets its decision deadline pass at a level it must forward from (Medicare
        Advantage reconsideration, Part D redetermination) has affirmed the denial: the case
        goes to the independent review entity without anyone filing (REGULATIONS.md)."""
        if self.auto_forwarded:
            return False
        facts = self.facts
        following = next_level(facts.regime, self.level, facts.appeal_levels)
        return following is not None and following.auto_forwarded


class AppealState(Model):
    """What an appeal level keeps while it runs (its clocks are kept beside it)."""

    status: AppealStatus = AppealStatus.DRAFTING
    opened: bool = False
    letter_id: str | None = None
    signed_by: str | None = None
    # The reason of a withdrawal asked for (by an Update or the parent case), not yet applied.
    withdrawn: str | None = None
    # The deciding body's decision once received (applied by `on_decided`).
    decision: AppealDecisionInput | None = None
    filed_at: datetime | None = None
    outcome_note: str | None = None
    # When the deciding body's silence became an affirmation (no decision of its own).
    deemed_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def decided_at(self) -> datetime | None:
        """The deciding body's decision moment, or the due moment its silence became one."""
        return self.decision.decided_at if self.decision else self.deemed_at


def opening_state(setup: AppealSetup) -> AppealState:
    """A level the plan forwards by itself starts submitted; any other starts drafting."""
    return AppealState(
        status=AppealStatus.SUBMITTED if setup.auto_forwarded else AppealStatus.DRAFTING
    )


def handed_over_deadlines(setup: AppealSetup) -> list[CaseDeadline]:
    """The clocks the level watches from the start: the filing window the case recorded and
    hands over unchanged (the appeal escalates it, marks it met or closes it; it is not
    recorded a second time). A forwarded level has none."""
    if setup.filing_due is None or setup.auto_forwarded:
        return []
    return [setup.filing_due]


def appeal_row(setup: AppealSetup, state: AppealState) -> Appeal:
    """The level's row in the store, written with every transition of the appeal."""
    return Appeal(
        level=setup.level,
        number=setup.number,
        expedited=setup.expedited,
        status=state.status,
        sequences=list(setup.sequences),
        filed_at=state.filed_at,
        decided_at=state.decided_at,
        arguments=list(setup.arguments),
        requested_peer_to_peer=setup.requested_peer_to_peer,
        outcome_note=state.outcome_note,
    )
