"""ERISA group health plans, ACA individual coverage and insured coverage without a state rule.

REGULATIONS.md §4-§5: 29 CFR 2560.503-1 (claims and internal appeals) and 45 CFR 147.136 /
29 CFR 2590.715-2719 (external review). Individual-market issuers follow 2560.503-1 "as if the
issuer were a group health plan" with one internal appeal level (147.136(b)(3)); CMS-0057-F did
not change their 2026 prior-authorization timeframes. `erisa_group` is read as a self-funded
ERISA plan (state utilization-review law preempted); insured group coverage is `state_insured`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from domain.deadlines.calendars import (
    HolidayCalendar,
    add_elapsed_hours,
    end_of_day,
    holiday_dates,
    local_date,
    months_later,
)
from domain.deadlines.clock import ELAPSED_HOURS, TOLLED_DAYS, Clock, Due, Unit, clock_due, fmt_due
from domain.deadlines.context import EXPEDITE_REFUSED, Ask, missing, no_extension, no_rule
from domain.deadlines.query import DeadlineEvent
from domain.deadlines.rules_common import member_filing_window
from domain.enums import Regime, ServiceTiming

A6_FLAG = (
    "tolling per ambiguity A6: initial period + 15-day extension + days tolled from the "
    "information request to the claimant's response (medium confidence)"
)
NOTICE_AS_RECEIPT = "notice_date is taken as the date the claimant received the notice"
ONE_NOTICE = (
    "the information request is the notice of extension (29 CFR 2560.503-1(f)(2)(iii)): the "
    "same tolled moment whether asked as this event, 'extension' or "
    "'pending_information_decision'"
)


@dataclass(slots=True)
class GroupPlan:
    prefix: str
    name: str
    applied_by: str
    external_twin: bool
    max_levels: int

    def claims(self, paragraph: str) -> str:
        return f"29 CFR 2560.503-1{paragraph}{self.applied_by}"

    def external(self, paragraph: str) -> str:
        twin = f"; 29 CFR 2590.715-2719{paragraph}" if self.external_twin else ""
        return f"45 CFR 147.136{paragraph}{twin}"


ERISA = GroupPlan("erisa", "An ERISA group health plan", "", True, 2)
ACA = GroupPlan(
    "aca", "An ACA individual-market issuer", " as applied by 45 CFR 147.136(b)(3)", False, 1
)
INSURED = GroupPlan(
    "insured", "An insured health plan", " as applied by 45 CFR 147.136(b)(2)-(3)", False, 2
)
PLANS = {Regime.ERISA_GROUP: ERISA, Regime.ACA_INDIVIDUAL: ACA, Regime.STATE_INSURED: INSURED}


def group_health(ask: Ask) -> Due:
    plan = PLANS[ask.query.regime]
    event = ask.event
    if event is DeadlineEvent.INITIAL_REQUEST_DECISION:
        return _claim_decision(ask, plan)
    if event is DeadlineEvent.PENDING_INFORMATION_DECISION:
        return _pending_information(ask, plan)
    if event is DeadlineEvent.INCOMPLETE_CLAIM_NOTICE:
        return _incomplete_notice(ask, plan)
    if event is DeadlineEvent.PROCEDURAL_DEFECT_NOTICE:
        return _procedural_defect(ask, plan)
    if event is DeadlineEvent.APPEAL_FILING_WINDOW:
        return _appeal_window(ask, plan)
    if event is DeadlineEvent.APPEAL_DECISION:
        return _appeal_decision(ask, plan)
    if event is DeadlineEvent.EXTERNAL_REVIEW_FILING_WINDOW:
        return _external_window(ask, plan)
    if event is DeadlineEvent.EXTERNAL_REVIEW_PRELIMINARY_REVIEW:
        return _preliminary_review(ask, plan)
    if event is DeadlineEvent.EXTERNAL_REVIEW_DECISION:
        return _external_decision(ask, plan)
    raise no_rule(ask, _NO_RULE.get(event, "not a step of 29 CFR 2560.503-1 / 45 CFR 147.136"))


_NO_RULE = {
    DeadlineEvent.NEXT_LEVEL_AUTO_FORWARD: (
        "nothing is forwarded automatically: a plan that misses a deadline lets the claimant "
        "treat the claims procedure as exhausted (45 CFR 147.136(b)(2)(ii)(F))"
    ),
    DeadlineEvent.STATE_FAIR_HEARING_FILING_WINDOW: "State fair hearings are a Medicaid step",
    DeadlineEvent.CONTINUATION_OF_BENEFITS_FILING_WINDOW: (
        "continuation of benefits pending appeal (42 CFR 438.420) is a Medicaid rule"
    ),
    DeadlineEvent.TERMINATION_ADVANCE_NOTICE: (
        "the 10-day advance notice (42 CFR 438.404(c)(1)) is a Medicaid rule; a group plan must "
        "give notice early enough to appeal before a reduction (2560.503-1(f)(2)(ii)(A))"
    ),
}


def _urgent(ask: Ask) -> tuple[bool, tuple[str, ...]]:
    """Whether the urgent-care clocks apply, and the flags explaining why not when asked."""
    if ask.refused:
        return False, (
            EXPEDITE_REFUSED,
            "a treating physician's urgent designation binds the plan "
            "(29 CFR 2560.503-1(m)(1)(ii))",
        )
    if ask.expedited and ask.payment:
        return False, (
            "post-service claims are never urgent care claims (29 CFR 2560.503-1(m)(1)); "
            "post-service clock applied",
        )
    return ask.expedited, ()


def _claim_decision(ask: Ask, plan: GroupPlan) -> Due:
    query = ask.query
    received = ask.received("2560.503-1(f)(4): the clock starts when the claim is filed")
    if query.info_request_sent_at is not None:
        # The notice of extension for missing information and the information request are one
        # notice ((f)(2)(iii)): however the question names it (this event with or without
        # the extension, event 'extension', or 'pending_information_decision'), the clock is
        # the one that waits for the claimant's answer.
        return _pending_information(ask, plan)
    urgent, flags = _urgent(ask)
    timing = query.service_timing
    if urgent:
        if ask.extended:
            raise no_extension(
                ask,
                "urgent care claims have no extension (29 CFR 2560.503-1(f)(2)(i)); when "
                "information is missing use event 'pending_information_decision'",
            )
        if timing is ServiceTiming.CONCURRENT:
            return _concurrent_urgent(ask, plan, received)
        return clock_due(
            clock=Clock(Unit.HOURS, 72),
            anchor=received,
            tz=ask.tz,
            duty=f"{plan.name} must decide an urgent care claim",
            relation="of receipt",
            note="received",
            rule=plan.claims("(f)(2)(i)"),
            rule_id=f"{plan.prefix}.claim.urgent",
        )
    post = ask.payment
    if timing is ServiceTiming.CONCURRENT:
        flags += (
            "a non-urgent request to extend a course of treatment is decided as a pre-service "
            "claim (29 CFR 2560.503-1(f)(2)(ii)(B))",
        )
    if plan is ACA and not post:
        flags += (
            "CMS-0057-F's 7-day limit does not apply to individual-market/QHP issuers: "
            "15 days in 2026 (45 CFR 147.136; 156.223)",
        )
    paragraph = "(f)(2)(iii)(B)" if post else "(f)(2)(iii)(A)"
    return clock_due(
        clock=Clock(Unit.DAYS, 30 if post else 15, 15 if ask.extended else 0),
        anchor=received,
        tz=ask.tz,
        duty=f"{plan.name} must decide a {'post' if post else 'pre'}-service claim",
        relation="of receipt",
        note="received",
        rule=plan.claims(paragraph),
        rule_id=f"{plan.prefix}.claim.{'post' if post else 'pre'}_service"
        + (".extended" if ask.extended else ""),
        flags=flags
        + (("one extension only, noticed before the initial period ends",) if ask.extended else ()),
    )


def _concurrent_urgent(ask: Ask, plan: GroupPlan, received: datetime) -> Due:
    ends = ask.query.approved_period_ends_at
    if ends is not None and received > ends - timedelta(hours=24):
        return clock_due(
            clock=Clock(Unit.HOURS, 72),
            anchor=received,
            tz=ask.tz,
            duty=(
                f"{plan.name} must decide an urgent request to extend a course of treatment made "
                "less than 24 hours before the approved period ends, as an urgent care claim,"
            ),
            relation="of receipt",
            note="received",
            rule=plan.claims("(f)(2)(i)") + " (DOL FAQs on (f)(2)(ii)(B))",
            rule_id=f"{plan.prefix}.claim.concurrent_urgent.late_request",
            flags=("guidance, not regulation: DOL FAQs treat a late request as an urgent claim",),
        )
    flags: tuple[str, ...] = ()
    if ends is None:
        flags = (
            "24 hours applies when the request is made at least 24 hours before the approved "
            "period ends (give approved_period_ends_at); otherwise 72 hours (DOL FAQs)",
        )
    return clock_due(
        clock=Clock(Unit.HOURS, 24),
        anchor=received,
        tz=ask.tz,
        duty=f"{plan.name} must decide an urgent request to extend a course of treatment",
        relation="of receipt",
        note="received",
        rule=plan.claims("(f)(2)(ii)(B)"),
        rule_id=f"{plan.prefix}.claim.concurrent_urgent",
        flags=flags,
    )


def _pending_information(ask: Ask, plan: GroupPlan) -> Due:
    query = ask.query
    tz = ask.tz
    urgent, flags = _urgent(ask)
    sent = query.info_request_sent_at
    if sent is None:
        raise missing(
            "info_request_sent_at",
            "the pending-information clock runs from the notice telling the claimant what is "
            "missing (29 CFR 2560.503-1(f)(2)(i), (f)(4))",
        )
    response = query.claimant_response_at
    if urgent:
        if ask.extended:
            raise no_extension(ask, "urgent care claims have no extension (2560.503-1(f)(2)(i))")
        return _urgent_pending(ask, plan, sent, response)
    received = ask.received("the tolled clock counts from receipt of the claim (f)(4)")
    if response is None:
        raise missing(
            "claimant_response_at",
            "the clock is tolled from the information request until the claimant responds "
            "(29 CFR 2560.503-1(f)(4))",
        )
    post = ask.payment
    initial = 30 if post else 15
    start = local_date(received, tz)
    tolled = max(0, (local_date(response, tz) - local_date(sent, tz)).days)
    last = start + timedelta(days=initial + 15 + tolled)
    due_at = end_of_day(last, tz)
    flags += (A6_FLAG, ONE_NOTICE)
    if response < sent:
        flags += ("claimant_response_at is before info_request_sent_at: nothing tolled",)
    if local_date(sent, tz) > start + timedelta(days=initial):
        flags += (
            "the information request was sent after the initial period ended: the extension "
            "and tolling may not be available",
        )
    kind = "post" if post else "pre"
    explanation = (
        f"{plan.name} must decide a {kind}-service claim received {start.isoformat()} within "
        f"{initial} calendar days plus the 15-day extension, with the clock tolled for {tolled} "
        f"days from the information request ({local_date(sent, tz).isoformat()}) to the "
        f"claimant's response ({local_date(response, tz).isoformat()}), "
        f"by {fmt_due(due_at, TOLLED_DAYS, tz)}."
    )
    return Due(
        due_at=due_at,
        rule=plan.claims(f"(f)(2)(iii)({'B' if post else 'A'}), (f)(4)"),
        convention=TOLLED_DAYS,
        explanation=explanation,
        rule_id=f"{plan.prefix}.claim.{kind}_service.tolled",
        label=f"federal {initial}+15-day tolled limit",
        flags=flags,
    )


def _urgent_pending(ask: Ask, plan: GroupPlan, sent: datetime, response: datetime | None) -> Due:
    """Decide within 48 hours after the earlier of the information's arrival and the end of the
    period given to supply it (at least 48 hours after the notice)."""
    tz = ask.tz
    minimum = add_elapsed_hours(sent, 48, tz)
    given = ask.query.info_response_due_at
    flags: list[str] = []
    period_end = minimum
    if given is not None:
        if given < minimum:
            flags.append("the period given was shorter than the 48-hour minimum: 48 hours used")
        else:
            period_end = given.astimezone(tz)
    if response is not None and response < period_end:
        start, what = response, "the information arrived"
    else:
        start, what = period_end, "the period given to supply the information ended"
        if response is None:
            flags.append("if the information arrives earlier, the 48 hours run from its receipt")
    due_at = add_elapsed_hours(start, 48, tz)
    return Due(
        due_at=due_at,
        rule=plan.claims("(f)(2)(i)"),
        convention=ELAPSED_HOURS,
        explanation=(
            f"{plan.name} must decide an incomplete urgent care claim within 48 hours after the "
            f"earlier of receipt of the missing information and the end of the period given "
            f"to supply it ({what} {fmt_due(start, ELAPSED_HOURS, tz)}), "
            f"by {fmt_due(due_at, ELAPSED_HOURS, tz)}."
        ),
        rule_id=f"{plan.prefix}.claim.urgent.pending_information",
        label="federal 48-hour limit",
        flags=tuple(flags),
    )


def _incomplete_notice(ask: Ask, plan: GroupPlan) -> Due:
    received = ask.received("the notice is due a set time after the claim is received")
    urgent, flags = _urgent(ask)
    if urgent:
        return clock_due(
            clock=Clock(Unit.HOURS, 24),
            anchor=received,
            tz=ask.tz,
            duty=f"{plan.name} must tell the claimant what an urgent care claim is missing",
            relation="of receipt",
            note="received",
            rule=plan.claims("(f)(2)(i)"),
            rule_id=f"{plan.prefix}.notice.incomplete.urgent",
        )
    post = ask.payment
    kind = "post" if post else "pre"
    return clock_due(
        clock=Clock(Unit.DAYS, 30 if post else 15),
        anchor=received,
        tz=ask.tz,
        duty=(
            f"{plan.name} must send the notice of extension describing the information missing "
            f"from a {kind}-service claim before the initial period ends,"
        ),
        relation="of receipt",
        note="received",
        rule=plan.claims(f"(f)(2)(iii)({'B' if post else 'A'})"),
        rule_id=f"{plan.prefix}.notice.incomplete.{kind}_service",
        flags=(*flags, "the claimant must then get at least 45 days to respond"),
    )


def _procedural_defect(ask: Ask, plan: GroupPlan) -> Due:
    if ask.payment:
        raise no_rule(ask, "29 CFR 2560.503-1(c)(1)(i) covers pre-service claims only")
    received = ask.received("the notice is due a set time after the claim is received")
    urgent, flags = _urgent(ask)
    clock = Clock(Unit.HOURS, 24) if urgent else Clock(Unit.DAYS, 5)
    kind = "an urgent care" if urgent else "a pre-service"
    return clock_due(
        clock=clock,
        anchor=received,
        tz=ask.tz,
        duty=(
            f"{plan.name} must tell the claimant the proper procedure for {kind} claim that "
            "was not filed correctly"
        ),
        relation="of receipt",
        note="received",
        rule=plan.claims("(c)(1)(i)"),
        rule_id=f"{plan.prefix}.notice.procedural_defect.{'urgent' if urgent else 'pre_service'}",
        flags=flags,
    )


def _appeal_window(ask: Ask, plan: GroupPlan) -> Due:
    return member_filing_window(
        ask,
        days=180,
        duty="The claimant must file an internal appeal",
        relation="following receipt of the adverse benefit determination notice",
        note="notice dated",
        rule=plan.claims("(h)(3)(i)"),
        rule_id=f"{plan.prefix}.appeal.filing",
        flags=(NOTICE_AS_RECEIPT,),
    )


def _appeal_decision(ask: Ask, plan: GroupPlan) -> Due:
    if ask.extended:
        raise no_extension(
            ask,
            "group health plan appeals have no extension (29 CFR 2560.503-1(i)); only the "
            "multiemployer board-meeting rule, not modelled",
        )
    query = ask.query
    received = ask.received("the appeal clock runs from receipt of the request for review")
    urgent, flags = _urgent(ask)
    if urgent:
        return clock_due(
            clock=Clock(Unit.HOURS, 72),
            anchor=received,
            tz=ask.tz,
            duty=f"{plan.name} must decide an urgent care appeal",
            relation="of receipt of the request for review",
            note="received",
            rule=plan.claims("(i)(2)(i)"),
            rule_id=f"{plan.prefix}.appeal.urgent",
            flags=flags,
        )
    levels = query.appeal_levels
    if levels > plan.max_levels:
        flags += (
            "individual-market coverage has one internal appeal level "
            "(45 CFR 147.136(b)(3)(ii)(G)): appeal_levels 2 ignored",
        )
        levels = 1
    post = ask.payment
    days = (60 if post else 30) // levels
    kind = "post" if post else "pre"
    level_note = "one-level procedure" if levels == 1 else f"{days} days per level of two"
    level_id = "one_level" if levels == 1 else "per_level"
    return clock_due(
        clock=Clock(Unit.DAYS, days),
        anchor=received,
        tz=ask.tz,
        duty=f"{plan.name} must decide a {kind}-service appeal",
        relation="of receipt of the request for review",
        note=f"{level_note}; received",
        rule=plan.claims("(i)(2)(iii)" if post else "(i)(2)(ii)"),
        rule_id=f"{plan.prefix}.appeal.{kind}_service.{level_id}",
        flags=flags,
    )


def _external_window(ask: Ask, plan: GroupPlan) -> Due:
    notice = ask.notice_date("the four months run from receipt of the final denial notice")
    calendar = ask.federal_calendar
    due = clock_due(
        clock=Clock(Unit.MONTHS, 4, calendar=calendar),
        anchor=notice,
        tz=ask.tz,
        duty="The claimant must request external review",
        relation="after receipt of the adverse benefit determination notice",
        note="extended past weekends and federal holidays; notice dated",
        rule=plan.external("(d)(2)(i)"),
        rule_id=f"{plan.prefix}.external_review.filing",
        flags=(NOTICE_AS_RECEIPT,),
    )
    flags = list(due.flags)
    strict = months_later(notice, 4)
    final = due.due_at.date()
    if final != strict:
        flags.append(f"rolled forward from {strict.isoformat()} (weekend or federal holiday)")
    if calendar is HolidayCalendar.FEDERAL and _is_observed_only(final):
        flags.append(
            "ends on an observed federal holiday (5 U.S.C. 6103(b)), not rolled past by default "
            "(A9; set count_observed_holidays)"
        )
    if plan is not ERISA:
        flags.append(
            "a state external review process must allow at least four months "
            "(45 CFR 147.136(c)(2)(vi))"
        )
    return Due(
        due_at=due.due_at,
        rule=due.rule,
        convention=due.convention,
        explanation=due.explanation,
        rule_id=due.rule_id,
        label=due.label,
        flags=tuple(flags),
    )


def _is_observed_only(day: date) -> bool:
    return day in holiday_dates(HolidayCalendar.FEDERAL_OBSERVED, day.year) and day not in (
        holiday_dates(HolidayCalendar.FEDERAL, day.year)
    )


def _preliminary_review(ask: Ask, plan: GroupPlan) -> Due:
    received = ask.received(
        "the preliminary review runs from receipt of the external review request"
    )
    return clock_due(
        clock=Clock(Unit.BUSINESS_DAYS, 5, calendar=ask.federal_calendar),
        anchor=received,
        tz=ask.tz,
        duty=f"{plan.name} must complete the preliminary review of an external review request",
        relation="of receipt",
        note="received",
        rule=plan.external("(d)(2)(ii)"),
        rule_id=f"{plan.prefix}.external_review.preliminary",
        flags=("written notice to the claimant within 1 business day after completion",),
    )


def _external_decision(ask: Ask, plan: GroupPlan) -> Due:
    if ask.extended:
        raise no_extension(ask, "45 CFR 147.136(d) allows the IRO no extension")
    received = ask.received("the IRO's clock runs from its receipt of the request")
    urgent, flags = _urgent(ask)
    if urgent:
        clock, rule, kind = Clock(Unit.HOURS, 72), plan.external("(d)(3)"), "expedited"
        flags += ("if given orally, written confirmation within 48 hours",)
    else:
        clock, rule, kind = Clock(Unit.DAYS, 45), plan.external("(d)(2)(iii)(B)(6)"), "standard"
    return clock_due(
        clock=clock,
        anchor=received,
        tz=ask.tz,
        duty=f"The independent review organization must decide a {kind} external review",
        relation="of its receipt of the request",
        note="received by the IRO",
        rule=rule,
        rule_id=f"{plan.prefix}.external_review.{kind}",
        flags=flags,
    )
