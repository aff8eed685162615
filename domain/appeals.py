"""Appeal levels each regime offers, in order, and the deadline events that govern each one."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from domain.enums import Regime


class AppealLevel(StrEnum):
    PLAN_RECONSIDERATION = "plan_reconsideration"
    IRE_RECONSIDERATION = "ire_reconsideration"
    PLAN_REDETERMINATION = "plan_redetermination"
    INTERNAL_APPEAL = "internal_appeal"
    SECOND_INTERNAL_APPEAL = "second_internal_appeal"
    EXTERNAL_REVIEW = "external_review"
    PLAN_APPEAL = "plan_appeal"
    STATE_FAIR_HEARING = "state_fair_hearing"
    STATE_CHIP_REVIEW = "state_chip_review"
    ALJ_HEARING = "alj_hearing"


class AppealLevelSpec(BaseModel):
    """One rung of a regime's appeal ladder.

    `filing_event` / `decision_event` name the deadline-engine events that set the member's
    filing window and the deciding body's clock; `auto_forwarded` marks levels the plan must send
    on by itself when it upholds (Medicare Advantage to the IRE), so nobody files them.
    """

    model_config = ConfigDict(frozen=True)

    level: AppealLevel
    number: int
    title: str
    decided_by: str
    filing_event: str | None
    decision_event: str | None
    auto_forwarded: bool = False


def _spec(
    level: AppealLevel,
    number: int,
    title: str,
    decided_by: str,
    filing_event: str | None,
    decision_event: str | None,
    auto_forwarded: bool = False,
) -> AppealLevelSpec:
    return AppealLevelSpec(
        level=level,
        number=number,
        title=title,
        decided_by=decided_by,
        filing_event=filing_event,
        decision_event=decision_event,
        auto_forwarded=auto_forwarded,
    )


_FILE = "appeal_filing_window"
_DECIDE = "appeal_decision"

_LADDERS: dict[Regime, tuple[AppealLevelSpec, ...]] = {
    Regime.MEDICARE_ADVANTAGE: (
        _spec(AppealLevel.PLAN_RECONSIDERATION, 1, "Plan reconsideration", "plan", _FILE, _DECIDE),
        _spec(
            AppealLevel.IRE_RECONSIDERATION,
            2,
            "Independent review entity (IRE) reconsideration",
            "IRE",
            None,
            "next_level_auto_forward",
            auto_forwarded=True,
        ),
        _spec(AppealLevel.ALJ_HEARING, 3, "Administrative law judge hearing", "OMHA", None, None),
    ),
    Regime.MEDICARE_PART_D: (
        _spec(AppealLevel.PLAN_REDETERMINATION, 1, "Plan redetermination", "plan", _FILE, _DECIDE),
        _spec(
            AppealLevel.IRE_RECONSIDERATION,
            2,
            "Independent review entity (IRE) reconsideration",
            "IRE",
            "ire_reconsideration_filing_window",
            None,
        ),
        _spec(AppealLevel.ALJ_HEARING, 3, "Administrative law judge hearing", "OMHA", None, None),
    ),
    Regime.MEDICAID_MANAGED_CARE: (
        _spec(AppealLevel.PLAN_APPEAL, 1, "Plan appeal", "plan", _FILE, _DECIDE),
        _spec(
            AppealLevel.STATE_FAIR_HEARING,
            2,
            "State fair hearing",
            "state Medicaid agency",
            "state_fair_hearing_filing_window",
            None,
        ),
    ),
    Regime.CHIP_MANAGED_CARE: (
        _spec(AppealLevel.PLAN_APPEAL, 1, "Plan appeal", "plan", _FILE, _DECIDE),
        _spec(
            AppealLevel.STATE_CHIP_REVIEW,
            2,
            "State CHIP review",
            "state CHIP agency",
            "state_fair_hearing_filing_window",
            None,
        ),
    ),
    Regime.ACA_INDIVIDUAL: (
        _spec(AppealLevel.INTERNAL_APPEAL, 1, "Internal appeal", "issuer", _FILE, _DECIDE),
        _spec(
            AppealLevel.EXTERNAL_REVIEW,
            2,
            "External review",
            "independent review organization",
            "external_review_filing_window",
            "external_review_decision",
        ),
    ),
    Regime.STATE_INSURED: (
        _spec(AppealLevel.INTERNAL_APPEAL, 1, "Internal appeal", "issuer", _FILE, _DECIDE),
        _spec(
            AppealLevel.EXTERNAL_REVIEW,
            2,
            "External review",
            "independent review organization",
            "external_review_filing_window",
            "external_review_decision",
        ),
    ),
}

_ERISA_ONE = (
    _spec(AppealLevel.INTERNAL_APPEAL, 1, "Internal appeal", "plan", _FILE, _DECIDE),
    _spec(
        AppealLevel.EXTERNAL_REVIEW,
        2,
        "External review",
        "independent review organization",
        "external_review_filing_window",
        "external_review_decision",
    ),
)
_ERISA_TWO = (
    _ERISA_ONE[0],
    _spec(AppealLevel.SECOND_INTERNAL_APPEAL, 2, "Second internal appeal", "plan", _FILE, _DECIDE),
    _ERISA_ONE[1].model_copy(update={"number": 3}),
)


def appeal_ladder(regime: Regime, internal_levels: int = 1) -> tuple[AppealLevelSpec, ...]:
    """The appeal levels the regime offers after an adverse initial determination, in order."""
    if regime == Regime.ERISA_GROUP:
        return _ERISA_TWO if internal_levels == 2 else _ERISA_ONE
    return _LADDERS[regime]


def next_level(
    regime: Regime, current: AppealLevel, internal_levels: int = 1
) -> AppealLevelSpec | None:
    """The level that follows `current` when it is upheld, or None at the end of the ladder."""
    ladder = appeal_ladder(regime, internal_levels)
    for index, spec in enumerate(ladder):
        if spec.level == current:
            return ladder[index + 1] if index + 1 < len(ladder) else None
    raise ValueError(f"{current.value} is not an appeal level of {regime.value}")
