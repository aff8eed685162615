"""`compute_deadline`: dispatch a query to its regime's rules, add the state overlays, and
return the strictest (earliest) applicable due moment.

Extensions have one meaning: `event="extension"` with `base_event=X` is the same question as
`event=X` with `extension_taken=true`, and both return the extended due moment; where the rule
allows no extension both raise `DeadlineError`. `extension_taken` is ignored (with a flag) on
events that are not decision clocks (filing windows, notices, preliminary review).
"""

from __future__ import annotations

from collections.abc import Callable

from domain.deadlines.calendars import zone
from domain.deadlines.clock import Due, fmt_due
from domain.deadlines.context import Ask, MissingInputError, NoRuleError, missing
from domain.deadlines.query import DeadlineError, DeadlineEvent, DeadlineQuery, DeadlineResult
from domain.deadlines.rules_group import group_health
from domain.deadlines.rules_medicaid import SEVEN_DAY_RATING_PERIODS, medicaid_managed_care
from domain.deadlines.rules_medicare import medicare_advantage, medicare_part_d
from domain.deadlines.rules_states import state_overlays
from domain.enums import Regime, Urgency

RULES: dict[Regime, Callable[[Ask], Due]] = {
    Regime.MEDICARE_ADVANTAGE: medicare_advantage,
    Regime.MEDICARE_PART_D: medicare_part_d,
    Regime.MEDICAID_MANAGED_CARE: medicaid_managed_care,
    Regime.CHIP_MANAGED_CARE: medicaid_managed_care,
    Regime.ERISA_GROUP: group_health,
    Regime.ACA_INDIVIDUAL: group_health,
    Regime.STATE_INSURED: group_health,
}

DECISION_EVENTS = frozenset(
    {
        DeadlineEvent.INITIAL_REQUEST_DECISION,
        DeadlineEvent.PENDING_INFORMATION_DECISION,
        DeadlineEvent.APPEAL_DECISION,
        DeadlineEvent.NEXT_LEVEL_AUTO_FORWARD,
        DeadlineEvent.EXTERNAL_REVIEW_DECISION,
    }
)


def compute_deadline(query: DeadlineQuery) -> DeadlineResult:
    """The due moment of `query.event` under `query.regime` (and any state overlay), with the
    rule behind it. Pure: no I/O, no clock reads. Raises `DeadlineError` when an input the rule
    needs is missing (the message names the field) or no rule answers the query."""
    ask, notes = _resolve(query)
    try:
        federal: Due | None = RULES[query.regime](ask)
    except NoRuleError:
        state_dues, state_notes = state_overlays(ask, alone=True)
        if not state_dues:
            raise
        federal = None
    except MissingInputError as exc:
        return _state_wins_without(query, ask, exc, notes)
    else:
        state_dues, state_notes = state_overlays(ask, alone=False)
    if federal is not None and not state_dues:
        flags = [*federal.flags, *state_notes, *notes]
        if ask.extended:
            flags.append("extension taken: the extended due moment is shown")
        return _result(query, federal, federal.explanation, flags)
    return _strictest(query, ask, federal, state_dues, [*state_notes, *notes])


# Inputs whose every possible value yields a federal clock no earlier than the given fill-in:
# when a state overlay beats the federal clock computed with the fill-in, it beats it whatever
# the missing value is, so the query can be answered without it.
_EARLIEST_FILL_INS: dict[str, dict[str, object]] = {
    "rating_period_start": {"rating_period_start": SEVEN_DAY_RATING_PERIODS},
}


def _state_wins_without(
    query: DeadlineQuery, ask: Ask, exc: MissingInputError, notes: list[str]
) -> DeadlineResult:
    fill_in = _EARLIEST_FILL_INS.get(exc.field)
    if fill_in is None:
        raise exc
    assumed = query.model_copy(update=fill_in)
    earliest_federal = RULES[query.regime](
        Ask(assumed, ask.event, ask.tz, ask.extended, ask.expedited)
    )
    state_dues, state_notes = state_overlays(ask, alone=False)
    stricter = [due for due in state_dues if due.due_at < earliest_federal.due_at]
    if not stricter:
        raise exc
    note = (
        f"{exc.field} not given: the federal limit was not determined, but the state rule is "
        f"earlier than the shortest federal limit ({earliest_federal.rule})"
    )
    return _strictest(
        query, ask, None, stricter, [*state_notes, *notes, note], federal_undetermined=True
    )


def _resolve(query: DeadlineQuery) -> tuple[Ask, list[str]]:
    event = query.event
    extended = query.extension_taken
    notes: list[str] = []
    if event is DeadlineEvent.EXTENSION:
        base = query.base_event
        if base is None:
            raise missing(
                "base_event",
                "event 'extension' extends the clock named by base_event "
                "(e.g. 'initial_request_decision')",
            )
        if base not in DECISION_EVENTS:
            raise DeadlineError(
                f"the rule allows no extension (regime '{query.regime.value}', "
                f"base_event '{base.value}'): only decision clocks are extended"
            )
        event, extended = base, True
    elif extended and event not in DECISION_EVENTS:
        extended = False
        notes.append("extension_taken ignored: it applies to decision clocks only")
    expedited = query.urgency is Urgency.EXPEDITED and not query.expedite_refused
    return Ask(query, event, zone(query.timezone), extended, expedited), notes


def _strictest(
    query: DeadlineQuery,
    ask: Ask,
    federal: Due | None,
    state_dues: list[Due],
    notes: list[str],
    *,
    federal_undetermined: bool = False,
) -> DeadlineResult:
    candidates = ([federal] if federal is not None else []) + state_dues
    winner = min(candidates, key=lambda due: due.due_at)  # ties keep the first (federal) rule
    others = [due for due in candidates if due is not winner]
    flags = list(winner.flags)
    explanation = winner.explanation
    if others:
        considered = "; ".join(
            f"the {due.label} ({due.rule}), due {fmt_due(due.due_at, due.convention, ask.tz)}, "
            + ("gives the same moment" if due.due_at == winner.due_at else "is later")
            for due in others
        )
        explanation = f"{explanation[:-1]}; strictest rule applied: {considered}."
        flags.extend(
            f"also considered: {due.rule_id} ({due.rule}) due {due.due_at.isoformat()}"
            for due in others
        )
    elif federal is None and not federal_undetermined:
        flags.append("no federal rule for this event: the state rule alone applies")
    if ask.extended:
        flags.append("extension taken: the extended due moment is shown")
    flags.extend(notes)
    return _result(query, winner, explanation, flags)


def _result(query: DeadlineQuery, due: Due, explanation: str, flags: list[str]) -> DeadlineResult:
    return DeadlineResult(
        due_at=due.due_at,
        rule=due.rule,
        convention=due.convention,
        explanation=explanation,
        rule_id=due.rule_id,
        regime=query.regime,
        event=query.event,
        flags=list(dict.fromkeys(flags)),
    )
