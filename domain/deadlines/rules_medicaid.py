"""Medicaid and CHIP managed care clocks (42 CFR 438 Subparts D and F; CHIP via 42 CFR 457).

REGULATIONS.md §3. The 7-day standard authorization limit follows the plan contract's rating
period, not the request date (ambiguity A3), so `rating_period_start` is required for it.
"""

from __future__ import annotations

from datetime import date, timedelta

from domain.deadlines.calendars import end_of_day
from domain.deadlines.clock import DAYS_BEFORE, LATER_OF_DATES, Clock, Due, Unit, clock_due
from domain.deadlines.context import Ask, missing, no_rule
from domain.deadlines.query import DeadlineEvent
from domain.deadlines.rules_common import MAY_BE_EXTENDED, member_filing_window
from domain.enums import Regime

SEVEN_DAY_RATING_PERIODS = date(2026, 1, 1)


def medicaid_managed_care(ask: Ask) -> Due:
    chip = ask.query.regime is Regime.CHIP_MANAGED_CARE
    program = "CHIP" if chip else "Medicaid"
    prefix = "chip" if chip else "medicaid"
    auth_cite = " (applied to CHIP by 42 CFR 457.1230(d))" if chip else ""
    appeal_cite = " (applied to CHIP by 42 CFR 457.1260)" if chip else ""
    event = ask.event
    plan = f"A {program} managed care plan"
    if event is DeadlineEvent.INITIAL_REQUEST_DECISION:
        return _authorization(ask, plan, prefix, auth_cite)
    if event is DeadlineEvent.APPEAL_FILING_WINDOW:
        return member_filing_window(
            ask,
            days=60,
            duty=f"The enrollee must file an appeal with the {program} managed care plan",
            note="date on the adverse benefit determination notice; notice dated",
            rule="42 CFR 438.402(c)(2)(ii)" + appeal_cite,
            rule_id=f"{prefix}.appeal.filing",
        )
    if event is DeadlineEvent.APPEAL_DECISION:
        return _appeal_resolution(ask, plan, prefix, appeal_cite)
    if event is DeadlineEvent.STATE_FAIR_HEARING_FILING_WINDOW:
        if chip:
            raise no_rule(
                ask,
                "CHIP's second level is the state's CHIP review (42 CFR 457.1120-457.1160), "
                "not a Medicaid fair hearing",
            )
        return _fair_hearing_window(ask)
    if event is DeadlineEvent.CONTINUATION_OF_BENEFITS_FILING_WINDOW:
        return _continuation_window(ask, program, prefix, appeal_cite)
    if event is DeadlineEvent.TERMINATION_ADVANCE_NOTICE:
        return _termination_notice(ask, plan, prefix)
    raise no_rule(ask, _NO_RULE.get(event, f"not a {program} managed care step"))


_NO_RULE = {
    DeadlineEvent.NEXT_LEVEL_AUTO_FORWARD: (
        "nothing is forwarded: a plan that misses the appeal deadline leaves the appeal deemed "
        "exhausted and the enrollee may request a State fair hearing (42 CFR 438.408(c)(3))"
    ),
    DeadlineEvent.PENDING_INFORMATION_DECISION: (
        "42 CFR 438.210(d) clocks are not tolled while information is pending; use event "
        "'extension'"
    ),
    DeadlineEvent.EXTERNAL_REVIEW_FILING_WINDOW: (
        "Medicaid managed care appeals go to a State fair hearing (event "
        "'state_fair_hearing_filing_window')"
    ),
}


def _authorization(ask: Ask, plan: str, prefix: str, cite: str) -> Due:
    query = ask.query
    received = ask.received("the 42 CFR 438.210(d) clock runs from receipt of the request")
    if ask.payment:
        raise no_rule(
            ask,
            "42 CFR 438.210(d) sets no timeframe for payment requests (claims timeliness is "
            "42 CFR 447.46, not modelled)",
        )
    ext = 14 if ask.extended else 0
    suffix = ".extended" if ask.extended else ""
    if ask.expedited:
        return clock_due(
            clock=Clock(Unit.HOURS, 72, ext),
            anchor=received,
            tz=ask.tz,
            duty=f"{plan} must decide an expedited service authorization request",
            relation="of receipt",
            note="received",
            rule="42 CFR 438.210(d)(2)" + ("(ii)" if ext else "") + cite,
            rule_id=f"{prefix}.authorization.expedited{suffix}",
        )
    start = query.rating_period_start
    if start is None:
        raise missing(
            "rating_period_start",
            "the 42 CFR 438.210(d)(1) standard limit is 7 calendar days for rating periods "
            "starting on or after 2026-01-01 and 14 before (A3)",
        )
    days = 7 if start >= SEVEN_DAY_RATING_PERIODS else 14
    flags = ["a state contract may set a shorter limit (42 CFR 438.210(d)(1))"]
    if ask.refused:
        flags.insert(0, "expedite refused: standard clock applied from receipt")
    base_rule = (
        "42 CFR 438.210(d)(1) as amended by CMS-0057-F (89 FR 8758)"
        if days == 7
        else "42 CFR 438.210(d)(1) (rating periods starting before 2026-01-01)"
    )
    return clock_due(
        clock=Clock(Unit.DAYS, days, ext),
        anchor=received,
        tz=ask.tz,
        duty=f"{plan} must decide a standard service authorization request",
        relation="of receipt",
        note=f"rating period starting {start.isoformat()}; received",
        rule=base_rule + ("; extension 42 CFR 438.210(d)(1)" if ext else "") + cite,
        rule_id=f"{prefix}.authorization.standard.{'2026' if days == 7 else 'pre2026'}{suffix}",
        flags=tuple(flags),
    )


def _appeal_resolution(ask: Ask, plan: str, prefix: str, cite: str) -> Due:
    received = ask.received("the 42 CFR 438.408(b) clock runs from receipt of the appeal")
    ext = 14 if ask.extended else 0
    suffix = ".extended" if ask.extended else ""
    ext_rule = "; extension 42 CFR 438.408(c)" if ext else ""
    if ask.expedited:
        clock, kind, rule = Clock(Unit.HOURS, 72, ext), "expedited", "42 CFR 438.408(b)(3)"
        flags: tuple[str, ...] = ()
    else:
        clock, kind, rule = Clock(Unit.DAYS, 30, ext), "standard", "42 CFR 438.408(b)(2)"
        flags = ()
        if ask.refused:
            rule += "; 438.410(c)"
            flags = ("expedite refused: 30-day standard clock applied (42 CFR 438.410(c))",)
    return clock_due(
        clock=clock,
        anchor=received,
        tz=ask.tz,
        duty=f"{plan} must resolve a {kind} appeal",
        relation="of receipt of the appeal",
        note="received",
        rule=rule + ext_rule + cite,
        rule_id=f"{prefix}.appeal.{kind}{suffix}",
        flags=flags,
    )


def _fair_hearing_window(ask: Ask) -> Due:
    notice = ask.notice_date("the State fair hearing window counts from the notice of resolution")
    ninety = end_of_day(notice + timedelta(days=90), ask.tz)
    return member_filing_window(
        ask,
        days=120,
        duty="The enrollee must request a State fair hearing",
        note="state-set window of 90 to 120 days, 120 used; notice of resolution dated",
        rule="42 CFR 438.408(f)(2)",
        rule_id="medicaid.fair_hearing.filing",
        flags=(
            "state range 90-120 days: the state's own window may be as short as 90 days "
            f"(end of day {ninety.date().isoformat()})",
        ),
    )


def _continuation_window(ask: Ask, program: str, prefix: str, cite: str) -> Due:
    query = ask.query
    notice = ask.notice_date("benefits continue if the appeal is filed within 10 days of notice")
    effective = query.intended_effective_date
    if effective is None:
        raise missing(
            "intended_effective_date",
            "the window ends on the later of 10 calendar days after the notice and the intended "
            "effective date of the action (42 CFR 438.420(a))",
        )
    ten = notice + timedelta(days=10)
    last = max(ten, effective)
    due_at = end_of_day(last, ask.tz)
    which = (
        "10 calendar days after the notice" if ten >= effective else "the intended effective date"
    )
    return Due(
        due_at=due_at,
        rule="42 CFR 438.420(a)" + cite,
        convention=LATER_OF_DATES,
        explanation=(
            f"To keep {program} benefits during the appeal the enrollee must file on or before "
            f"the later of 10 calendar days after the notice (notice dated {notice.isoformat()}) "
            f"and the intended effective date ({effective.isoformat()}), here {which}, "
            f"by end of day {last.isoformat()} {ask.tz.key}."
        ),
        rule_id=f"{prefix}.continuation_of_benefits.filing",
        label="federal continuation-of-benefits window",
        flags=(MAY_BE_EXTENDED, "other conditions in 42 CFR 438.420(b)"),
    )


def _termination_notice(ask: Ask, plan: str, prefix: str) -> Due:
    action = ask.query.intended_effective_date
    if action is None:
        raise missing(
            "intended_effective_date",
            "the notice is due at least 10 days before the date of action (42 CFR 438.404(c)(1))",
        )
    last = action - timedelta(days=10)
    due_at = end_of_day(last, ask.tz)
    return Due(
        due_at=due_at,
        rule="42 CFR 438.404(c)(1); 431.211",
        convention=DAYS_BEFORE,
        explanation=(
            f"{plan} must send notice of a termination, suspension or reduction of a previously "
            f"authorized service at least 10 days before the date of action "
            f"({action.isoformat()}), by end of day {last.isoformat()} {ask.tz.key}."
        ),
        rule_id=f"{prefix}.termination.advance_notice",
        label="federal 10-day advance notice",
        flags=("exceptions in 42 CFR 431.213-431.214",),
    )
