"""State overlays: Texas and Illinois rules that apply on top of the federal clock.

REGULATIONS.md §6. The engine computes the federal rule and every overlay that applies and
keeps the earliest due moment. Overlays never apply to Medicare (federal preemption, 42 CFR
422.402) nor to self-funded ERISA plans (`erisa_group`; ERISA preemption, 215 ILCS 200/10).

Texas counts plan deadlines strictly: the Code Construction Act's weekend/holiday extension
(Tex. Gov't Code 311.014) is not applied to a carrier's "third calendar day" or to IRO days,
since whether it reaches them is unsettled; Texas business days use the Texas holiday calendar.

Texas clocks by what is asked (`care_category`, `hospitalized`): Medicaid/CHIP MCOs decide for a
hospitalized recipient within 1 business day, 72 hours for discharge services, 1 hour for
post-stabilization or life-threatening care (Tex. Gov't Code 540.0302(b)(1)-(3)), otherwise
within 3 business days (540.0303(b)); insured HMOs and PPOs within 1 hour for post-stabilization
or life-threatening care (28 TAC 19.1718(d)(3)), 24 hours for a patient who is an inpatient when
the services are proposed (Tex. Ins. Code 843.348(e), 1301.135(d)), otherwise by the third
calendar day (843.348(d), 1301.135(c)), pre-service and concurrent alike.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from domain.deadlines.calendars import HolidayCalendar, end_of_day, local_date
from domain.deadlines.clock import CALENDAR_DAYS, Clock, Due, Unit, clock_due, fmt_due
from domain.deadlines.context import Ask, missing
from domain.deadlines.query import CareCategory, DeadlineEvent
from domain.enums import Regime, ServiceTiming

MEDICAID_LIKE = frozenset({Regime.MEDICAID_MANAGED_CARE, Regime.CHIP_MANAGED_CARE})
INSURED_LIKE = frozenset({Regime.STATE_INSURED, Regime.ACA_INDIVIDUAL})
PREEMPTED = frozenset({Regime.MEDICARE_ADVANTAGE, Regime.MEDICARE_PART_D, Regime.ERISA_GROUP})
PA_EVENTS = frozenset(
    {DeadlineEvent.INITIAL_REQUEST_DECISION, DeadlineEvent.PENDING_INFORMATION_DECISION}
)
NO_ROLL = "Tex. Gov't Code 311.014 weekend/holiday roll-forward not applied (unsettled here)"
NO_STATE_EXTENSION = "the state clock has no extension and still applies"
ONE_HOUR_CARE = frozenset({CareCategory.POST_STABILIZATION, CareCategory.LIFE_THREATENING})
_CARE_WORDS = {
    CareCategory.POST_STABILIZATION: "post-stabilization care",
    CareCategory.LIFE_THREATENING: "a life-threatening condition",
    CareCategory.DISCHARGE_SERVICES: "services or equipment needed for discharge",
}

Overlay = tuple[list[Due], list[str]]


def state_overlays(ask: Ask, alone: bool) -> Overlay:
    """The state rules' due moments for this query, and notes on state rules that were
    considered but not computed. `alone` says no federal rule answers the query, so a missing
    state input is an error rather than a note."""
    state = ask.query.state
    if state == "TX":
        return _texas(ask)
    if state == "IL":
        return _illinois(ask, alone)
    return [], []


def _preempted_note(ask: Ask, law: str) -> Overlay:
    if ask.query.regime in PREEMPTED and ask.event in PA_EVENTS:
        who = "self-funded ERISA plans" if ask.query.regime is Regime.ERISA_GROUP else "Medicare"
        return [], [f"{law} not applied: it does not reach {who} (preemption)"]
    return [], []


def _with_extension_note(ask: Ask, due: Due) -> Due:
    if ask.extended:
        return replace(due, flags=(*due.flags, NO_STATE_EXTENSION))
    return due


# ---------------------------------------------------------------- Texas


def _texas(ask: Ask) -> Overlay:
    query = ask.query
    regime = query.regime
    event = ask.event
    timing = query.service_timing
    if regime in MEDICAID_LIKE and event is DeadlineEvent.INITIAL_REQUEST_DECISION:
        if ask.payment:
            return [], []
        return [_with_extension_note(ask, _texas_medicaid(ask))], []
    if regime in INSURED_LIKE and event in PA_EVENTS:
        if ask.payment or timing is ServiceTiming.POST_SERVICE:
            return [], []
        asked = query.info_request_sent_at is not None
        if asked or event is DeadlineEvent.PENDING_INFORMATION_DECISION:
            return [], [
                "Texas preauthorization clock not applied after the plan asked for missing "
                "information (Texas rules on incomplete requests not modelled): the federal "
                "clock for an incomplete claim is shown"
            ]
        return [_with_extension_note(ask, _texas_insured(ask))], []
    if regime in INSURED_LIKE and event is DeadlineEvent.EXTERNAL_REVIEW_DECISION:
        return [_texas_iro(ask)], []
    return _preempted_note(ask, "Texas utilization-review law")


def _texas_medicaid(ask: Ask) -> Due:
    received = ask.received("Texas counts business days after the MCO receives the request")
    query = ask.query
    program = "CHIP" if query.regime is Regime.CHIP_MANAGED_CARE else "Medicaid"
    calendar_note = (
        "Texas business days: Texas state holiday calendar (Tex. Gov't Code 662.003); the HHSC "
        "contract's own definition was not retrieved (A7)"
    )
    organization = f"Texas requires a {program} managed care organization to decide"
    category = query.care_category
    if query.hospitalized and category is not None:
        hours = 1 if category in ONE_HOUR_CARE else 72
        paragraph = "(3)" if hours == 1 else "(2)"
        flags: tuple[str, ...] = ()
        if category is CareCategory.DISCHARGE_SERVICES:
            flags = (
                "540.0302(b)(2) covers a request submitted by a provider of acute care "
                "inpatient services for services or equipment necessary to discharge the "
                "recipient from an inpatient facility",
            )
        return clock_due(
            clock=Clock(Unit.HOURS, hours),
            anchor=received,
            tz=ask.tz,
            duty=(
                f"{organization} a prior-authorization request related to "
                f"{_CARE_WORDS[category]} for a hospitalized recipient"
            ),
            relation="after receipt",
            note="received",
            rule=f"Tex. Gov't Code § 540.0302(b){paragraph}",
            rule_id=f"tx.medicaid.authorization.hospitalized.{category.value}",
            jurisdiction="Texas",
            flags=flags,
        )
    if query.hospitalized:
        return clock_due(
            clock=Clock(Unit.BUSINESS_DAYS, 1, calendar=HolidayCalendar.TEXAS),
            anchor=received,
            tz=ask.tz,
            duty=f"{organization} a prior-authorization request for a hospitalized recipient",
            relation="after receipt",
            note="received",
            rule="Tex. Gov't Code § 540.0302(b)",
            rule_id="tx.medicaid.authorization.hospitalized",
            jurisdiction="Texas",
            flags=(
                calendar_note,
                "a request for discharge services or equipment (72 hours, 540.0302(b)(2)) or "
                "related to post-stabilization care or a life-threatening condition (1 hour, "
                "540.0302(b)(3)) has its own clock: set care_category",
            ),
        )
    flags = (calendar_note,)
    if category is not None:
        flags += (
            f"care_category '{category.value}' not applied: the 72-hour and 1-hour clocks of "
            "540.0302(b)(2)-(3) apply only to a recipient hospitalized at the time of the "
            "request (540.0302(a))",
        )
    return clock_due(
        clock=Clock(Unit.BUSINESS_DAYS, 3, calendar=HolidayCalendar.TEXAS),
        anchor=received,
        tz=ask.tz,
        duty=f"{organization} a prior-authorization request",
        relation="after receipt",
        note="received",
        rule="Tex. Gov't Code § 540.0303(b)",
        rule_id="tx.medicaid.authorization",
        jurisdiction="Texas",
        flags=flags,
    )


def _texas_insured(ask: Ask) -> Due:
    query = ask.query
    category = query.care_category
    plan = "Texas requires an insured HMO or PPO to issue a preauthorization determination"
    if category is not None and category in ONE_HOUR_CARE:
        received = ask.received("the Texas one-hour clock runs from receipt of the request")
        return clock_due(
            clock=Clock(Unit.HOURS, 1),
            anchor=received,
            tz=ask.tz,
            duty=(
                f"{plan} for {_CARE_WORDS[category]} as soon as the circumstances and the "
                "patient's condition require, and at the latest"
            ),
            relation="after receipt",
            note="received",
            rule="28 TAC § 19.1718(d)(3) (HMO and PPO; Tex. Ins. Code §§ 843.348, 1301.135)",
            rule_id=f"tx.insured.preauthorization.{category.value}",
            jurisdiction="Texas",
            flags=(
                "a request received outside the plan's required staffed hours is due 1 hour "
                "after they next begin (28 TAC 19.1718(d)(3), (e)-(f)): not modelled, the "
                "earlier moment is shown",
            ),
        )
    flags: tuple[str, ...] = ()
    if category is CareCategory.DISCHARGE_SERVICES:
        flags = (
            "care_category 'discharge_services' has its own clock only for Texas Medicaid/CHIP "
            "(Tex. Gov't Code 540.0302(b)(2))",
        )
    if query.hospitalized:
        received = ask.received("the Texas 24-hour clock runs from receipt of the request")
        return clock_due(
            clock=Clock(Unit.HOURS, 24),
            anchor=received,
            tz=ask.tz,
            duty=(
                f"{plan} for services proposed for a patient who is an inpatient in a health "
                "care facility (concurrent hospitalization care)"
            ),
            relation="of receipt",
            note="received",
            rule="Tex. Ins. Code § 843.348(e) (HMO); § 1301.135(d) (PPO)",
            rule_id="tx.insured.preauthorization.concurrent_hospitalization",
            jurisdiction="Texas",
            flags=(*flags, "28 TAC 19.1718(d)(2): concurrent hospitalization care"),
        )
    received = ask.received("Texas counts calendar days after the request is received")
    if query.service_timing is ServiceTiming.CONCURRENT:
        flags += (
            "concurrent review of a patient who is not an inpatient: the third-calendar-day "
            "clock applies (28 TAC 19.1718(d)(1)); set hospitalized for an inpatient",
        )
    return clock_due(
        clock=Clock(Unit.DAYS, 3),
        anchor=received,
        tz=ask.tz,
        duty=plan,
        relation="after the date of receipt (the third calendar day)",
        note="received",
        rule="Tex. Ins. Code § 843.348(d) (HMO); § 1301.135(c) (PPO)",
        rule_id="tx.insured.preauthorization",
        jurisdiction="Texas",
        flags=(NO_ROLL, *flags),
    )


def _texas_iro(ask: Ask) -> Due:
    """Earlier of N days after the necessary information and M days after the request."""
    query = ask.query
    tz = ask.tz
    received = ask.received("the Texas IRO clock counts from the request")
    urgent = ask.expedited
    info_days, request_days = (3, 3) if urgent else (15, 20)
    by_request = end_of_day(local_date(received, tz) + timedelta(days=request_days), tz)
    due_at, basis = by_request, f"{request_days} days after the request"
    flags = [NO_ROLL]
    info = query.all_information_received_at
    if info is None:
        flags.append(
            f"{info_days} days after the necessary information, if earlier "
            "(all_information_received_at not given)"
        )
        shown_info = "not given"
    else:
        shown_info = local_date(info, tz).isoformat()
        by_info = end_of_day(local_date(info, tz) + timedelta(days=info_days), tz)
        if by_info < by_request:
            due_at, basis = by_info, f"{info_days} days after the necessary information"
    if urgent:
        flags.append(
            "the Texas 3-day clock covers life-threatening conditions, drugs or infusions being "
            "received and step-therapy exceptions; urgency 'expedited' is read as that category"
        )
    return Due(
        due_at=due_at,
        rule="Tex. Ins. Code § 4202.003",
        convention=CALENDAR_DAYS,
        explanation=(
            "Texas requires the independent review organization to decide within the earlier "
            f"of {info_days} days after receiving the necessary information and {request_days} "
            f"days after the request (request received {local_date(received, tz).isoformat()}; "
            f"information received {shown_info}), here {basis}, "
            f"by {fmt_due(due_at, CALENDAR_DAYS, tz)}."
        ),
        rule_id="tx.iro.life_threatening" if urgent else "tx.iro.standard",
        label=f"Texas {request_days}-day IRO limit",
        flags=tuple(flags),
    )


# ---------------------------------------------------------------- Illinois


def _illinois(ask: Ask, alone: bool) -> Overlay:
    query = ask.query
    if query.regime not in MEDICAID_LIKE | INSURED_LIKE or ask.event not in PA_EVENTS:
        return _preempted_note(ask, "the Illinois Prior Authorization Reform Act")
    if ask.payment or query.service_timing is not ServiceTiming.PRE_SERVICE:
        return [], [
            "Illinois Prior Authorization Reform Act clock applied to pre-service requests only"
        ]
    info = query.all_information_received_at
    if info is None:
        if alone:
            raise missing(
                "all_information_received_at",
                "the Illinois clock (215 ILCS 200/25, 200/30) starts when the plan has all "
                "necessary information",
            )
        return [], [
            "Illinois clock (215 ILCS 200/25) not computed: all_information_received_at not given"
        ]
    urgent = ask.expedited
    due = clock_due(
        clock=Clock(Unit.HOURS, 48) if urgent else Clock(Unit.DAYS, 5),
        anchor=info,
        tz=ask.tz,
        duty=(
            "Illinois requires the plan to decide "
            f"{'an urgent' if urgent else 'a non-urgent'} prior-authorization request"
        ),
        relation="after obtaining all necessary information",
        note="all information received",
        rule="215 ILCS 200/30(a)" if urgent else "215 ILCS 200/25",
        rule_id="il.pa.urgent" if urgent else "il.pa.standard",
        jurisdiction="Illinois",
        flags=("deemed authorized if the deadline is missed (215 ILCS 200/75)",),
    )
    return [_with_extension_note(ask, due)], []
