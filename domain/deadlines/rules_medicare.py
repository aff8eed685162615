"""Medicare Advantage (42 CFR 422 Subpart M) and Part D (42 CFR 423 Subpart M) clocks.

REGULATIONS.md §1 and §2. Medicare preempts state utilization-review law, so no state overlay
applies to these regimes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from domain.deadlines.calendars import add_elapsed_hours, end_of_day, local_date
from domain.deadlines.clock import (
    DAYS_THEN_HOURS,
    ELAPSED_HOURS,
    END_OF_DAY_CONVENTIONS,
    PERIOD_DAYS,
    Clock,
    Due,
    Unit,
    clock_due,
    fmt_anchor,
    fmt_due,
)
from domain.deadlines.context import EXPEDITE_REFUSED, Ask, missing, no_extension, no_rule
from domain.deadlines.query import DeadlineEvent
from domain.deadlines.rules_common import member_filing_window
from domain.enums import ItemType, RequestType

CMS_0057_F = "CMS-0057-F (89 FR 8758)"
MA_SEVEN_DAY_START = date(2026, 1, 1)  # ambiguity A2: keyed on the local receipt date
PRESUMED_RECEIPT = (
    "60 days after receipt of the notice, presumed 5 days after its date; notice dated"
)
A1_FLAG = "expedite refused: 7-day clock applied (A1)"
CMS_4201_F = "CMS-4201-F (88 FR 22120)"
TRANSITION_START = date(2024, 1, 1)  # coverage from 2024 (CMS-4201-F)
TRANSITION_DAYS = 90


@dataclass(slots=True)
class _Spec:
    """One row of a table before it is run: clock, what is decided, and the citation."""

    clock: Clock
    what: str
    rule: str
    rule_id: str
    flags: tuple[str, ...] = ()


# ---------------------------------------------------------------- Medicare Advantage


def medicare_advantage(ask: Ask) -> Due:
    event = ask.event
    if event is DeadlineEvent.INITIAL_REQUEST_DECISION:
        spec = _ma_organization_determination(ask)
        return _decide(ask, spec, "Medicare Advantage must decide", "of receipt")
    if event is DeadlineEvent.APPEAL_FILING_WINDOW:
        return member_filing_window(
            ask,
            days=65,
            duty="The enrollee must request Medicare Advantage reconsideration",
            note=PRESUMED_RECEIPT,
            rule="42 CFR 422.582(b)-(c)",
            rule_id="ma.reconsideration.filing",
            flags=("good-cause extension possible (42 CFR 422.582(c))",),
        )
    if event is DeadlineEvent.APPEAL_DECISION:
        spec = _ma_reconsideration(ask)
        return _decide(
            ask, spec, "Medicare Advantage must decide", "of receipt of the reconsideration request"
        )
    if event is DeadlineEvent.NEXT_LEVEL_AUTO_FORWARD:
        return _ma_ire_forward(ask)
    if event is DeadlineEvent.CONTINUITY_OF_CARE_TRANSITION_END:
        return _ma_transition_end(ask)
    raise no_rule(ask, _MA_NO_RULE.get(event, "not a Medicare Advantage step"))


_MA_NO_RULE = {
    DeadlineEvent.PENDING_INFORMATION_DECISION: (
        "Medicare Advantage clocks are not tolled while information is pending; "
        "use event 'extension'"
    ),
    DeadlineEvent.EXTERNAL_REVIEW_FILING_WINDOW: (
        "Medicare Advantage has no external review: an upheld reconsideration goes to the IRE "
        "automatically (use event 'next_level_auto_forward')"
    ),
    DeadlineEvent.EXTERNAL_REVIEW_DECISION: (
        "the Part C IRE's decision time is set by CMS's contract, not the regulation (A8)"
    ),
    DeadlineEvent.IRE_RECONSIDERATION_FILING_WINDOW: (
        "nobody files a Medicare Advantage IRE reconsideration: the plan forwards an upheld "
        "reconsideration itself (42 CFR 422.592(a); use event 'next_level_auto_forward')"
    ),
}


def _decide(ask: Ask, spec: _Spec, subject: str, relation: str) -> Due:
    received = ask.received(f"the {spec.rule} clock runs from receipt of the request")
    return clock_due(
        clock=spec.clock,
        anchor=received,
        tz=ask.tz,
        duty=f"{subject} {spec.what}",
        relation=relation,
        note="received",
        rule=spec.rule,
        rule_id=spec.rule_id,
        flags=spec.flags,
    )


def _ma_common_checks(ask: Ask) -> None:
    query = ask.query
    if query.item_type is ItemType.DRUG:
        raise no_rule(
            ask,
            "Part D drugs follow regime 'medicare_part_d' (use item_type 'part_b_drug' for "
            "Part B drugs)",
        )
    if query.request_type is RequestType.EXCEPTION:
        raise no_rule(ask, "exceptions requests are a Part D process (regime 'medicare_part_d')")


def _ma_organization_determination(ask: Ask) -> _Spec:
    _ma_common_checks(ask)
    query = ask.query
    refused = (EXPEDITE_REFUSED,) if ask.refused else ()
    if query.item_type is ItemType.PART_B_DRUG:
        if ask.extended:
            raise no_extension(ask, "Part B drug requests have no extension (42 CFR 422.568(b))")
        if ask.expedited:
            return _Spec(
                Clock(Unit.HOURS, 24),
                "an expedited Part B drug request",
                "42 CFR 422.572(a) (Part B drugs)",
                "ma.od.part_b_drug.expedited",
            )
        return _Spec(
            Clock(Unit.HOURS, 72),
            "a standard Part B drug request",
            "42 CFR 422.568(b) (Part B drugs)",
            "ma.od.part_b_drug.standard",
            refused,
        )
    if ask.payment:
        if ask.expedited:
            raise no_rule(ask, "a payment request cannot be expedited (42 CFR 422.570(a))")
        if ask.extended:
            raise no_extension(ask, "payment requests follow the prompt-payment rules")
        return _Spec(
            Clock(Unit.DAYS, 60),
            "a payment request",
            "42 CFR 422.568(c); 422.520 (prompt payment)",
            "ma.od.payment",
            (
                "clean claims from non-contract providers: 30 days (42 CFR 422.520); "
                "not re-verified",
            ),
        )
    ext = 14 if ask.extended else 0
    suffix = ".extended" if ask.extended else ""
    if ask.expedited:
        return _Spec(
            Clock(Unit.HOURS, 72, ext),
            "an expedited request",
            "42 CFR 422.572(a)" + ("-(b)" if ext else ""),
            "ma.od.expedited" + suffix,
        )
    ext_rule = "; extension 42 CFR 422.568(b)(2)" if ext else ""
    if refused:
        ext_rule = "; expedite refused 42 CFR 422.570(d)" + ext_rule
    received = ask.received("the 42 CFR 422.568(b) clock runs from receipt of the request")
    if not query.subject_to_prior_authorization:
        return _Spec(
            Clock(Unit.DAYS, 14, ext),
            "a standard request for an item or service not subject to prior authorization",
            "42 CFR 422.568(b)(1)(i)" + ext_rule,
            "ma.od.standard.non_pa" + suffix,
            ("expedite refused: 14-day clock applied (42 CFR 422.570(d))",) if refused else (),
        )
    if local_date(received, ask.tz) >= MA_SEVEN_DAY_START:
        return _Spec(
            Clock(Unit.DAYS, 7, ext),
            "a standard prior-authorization request",
            f"42 CFR 422.568(b)(1)(ii) as amended by {CMS_0057_F}" + ext_rule,
            "ma.od.standard.pa.2026" + suffix,
            (A1_FLAG, "42 CFR 422.570(d) still says 14 days (A1)") if refused else (),
        )
    return _Spec(
        Clock(Unit.DAYS, 14, ext),
        "a standard prior-authorization request received before 2026-01-01",
        "42 CFR 422.568(b)(1) (text before the 2026-01-01 compliance date of CMS-0057-F)"
        + ext_rule,
        "ma.od.standard.pa.pre2026" + suffix,
        ("expedite refused: 14-day clock applied (42 CFR 422.570(d))",) if refused else (),
    )


def _ma_reconsideration(ask: Ask) -> _Spec:
    _ma_common_checks(ask)
    query = ask.query
    refused = ("expedite refused: standard reconsideration clock applied",) if ask.refused else ()
    if query.item_type is ItemType.PART_B_DRUG:
        if ask.extended:
            raise no_extension(ask, "Part B drug reconsiderations have no extension (422.590)")
        if ask.expedited:
            return _Spec(
                Clock(Unit.HOURS, 72),
                "an expedited Part B drug reconsideration",
                "42 CFR 422.584; 422.590 (expedited, Part B drugs)",
                "ma.reconsideration.part_b_drug.expedited",
            )
        return _Spec(
            Clock(Unit.DAYS, 7),
            "a standard Part B drug reconsideration",
            "42 CFR 422.590 (Part B drugs)",
            "ma.reconsideration.part_b_drug.standard",
            refused,
        )
    if ask.payment:
        if ask.expedited:
            raise no_rule(ask, "a payment reconsideration cannot be expedited (42 CFR 422.584)")
        if ask.extended:
            raise no_extension(ask, "payment reconsiderations have no extension (422.590)")
        return _Spec(
            Clock(Unit.DAYS, 60),
            "a payment reconsideration",
            "42 CFR 422.590 (payment)",
            "ma.reconsideration.payment",
        )
    ext = 14 if ask.extended else 0
    suffix = ".extended" if ask.extended else ""
    if ask.expedited:
        return _Spec(
            Clock(Unit.HOURS, 72, ext),
            "an expedited reconsideration",
            "42 CFR 422.584; 422.590 (expedited" + (", with extension)" if ext else ")"),
            "ma.reconsideration.expedited" + suffix,
        )
    return _Spec(
        Clock(Unit.DAYS, 30, ext),
        "a standard reconsideration of an item or service",
        "42 CFR 422.590 (standard, item or service" + (", with extension)" if ext else ")"),
        "ma.reconsideration.standard" + suffix,
        refused,
    )


def _ma_ire_forward(ask: Ask) -> Due:
    base = ask.query.base_event
    if base is not None and base is not DeadlineEvent.APPEAL_DECISION:
        raise no_rule(
            ask,
            "Medicare Advantage auto-forwards only upheld reconsiderations (base_event "
            "'appeal_decision'); a late organization determination is itself appealable "
            "(42 CFR 422.566(b)(5))",
        )
    spec = _ma_reconsideration(ask)
    received = ask.received("the IRE forwarding deadline is the reconsideration deadline")
    due = clock_due(
        clock=spec.clock,
        anchor=received,
        tz=ask.tz,
        duty=(
            "A Medicare Advantage plan that upholds its denial in whole or in part must forward "
            "the case to the independent review entity (IRE) by its reconsideration deadline,"
        ),
        relation="of receipt of the reconsideration request",
        note="received",
        rule="42 CFR 422.590; 422.592(a)",
        rule_id=spec.rule_id.replace("ma.reconsideration.", "ma.ire_forward.", 1),
        flags=(
            *spec.flags,
            "if the plan misses the reconsideration deadline, CMS guidance: forward within "
            "24 hours of the expiry",
        ),
    )
    return due


def _ma_transition_end(ask: Ask) -> Due:
    """The last day of the continuity-of-care transition period: at least 90 days from the
    first day of coverage under the new plan, that day counted as day 1."""
    start = ask.query.enrollment_date
    if start is None:
        raise missing(
            "enrollment_date",
            "the 90-day transition period (42 CFR 422.112(b)(8)(ii)) runs from the date "
            "coverage under the new Medicare Advantage plan begins",
        )
    if start < TRANSITION_START:
        raise no_rule(
            ask,
            f"the 90-day transition period of 42 CFR 422.112(b)(8)(ii) ({CMS_4201_F}) applies "
            f"to coverage beginning on or after {TRANSITION_START.isoformat()}",
        )
    last = start + timedelta(days=TRANSITION_DAYS - 1)
    due_at = end_of_day(last, ask.tz)
    return Due(
        due_at=due_at,
        rule=f"42 CFR 422.112(b)(8)(ii) as amended by {CMS_4201_F}",
        convention=PERIOD_DAYS,
        explanation=(
            "A Medicare Advantage coordinated care plan may not require prior authorization "
            "for the active course of treatment of an enrollee who joins it during a transition "
            f"period of at least {TRANSITION_DAYS} days from the first day of coverage "
            f"({start.isoformat()}, day 1), through {fmt_due(due_at, PERIOD_DAYS, ask.tz)}."
        ),
        rule_id="ma.continuity_of_care.transition",
        label=f"federal {TRANSITION_DAYS}-day transition period",
        flags=(
            "at least 90 days: the plan may allow a longer transition",
            "counted with the first day of coverage as day 1 (the earlier reading of '90 days')",
            "applies to an enrollee in an active course of treatment, including one begun "
            "with an out-of-network provider; the approval of a course of treatment also stays "
            "valid for as long as medically necessary (42 CFR 422.112(b)(8)(ii))",
        ),
    )


# ---------------------------------------------------------------- Medicare Part D


def medicare_part_d(ask: Ask) -> Due:
    event = ask.event
    if ask.extended:
        raise no_extension(ask, "Part D has no extensions (42 CFR 423.568, 423.572, 423.590)")
    if event is DeadlineEvent.INITIAL_REQUEST_DECISION:
        return _part_d_coverage_determination(ask)
    if event is DeadlineEvent.APPEAL_FILING_WINDOW:
        return member_filing_window(
            ask,
            days=65,
            duty="The enrollee must request a Part D redetermination",
            note=PRESUMED_RECEIPT,
            rule="42 CFR 423.582(b)",
            rule_id="part_d.redetermination.filing",
            flags=("good-cause extension possible (42 CFR 423.582(c))",),
        )
    if event is DeadlineEvent.APPEAL_DECISION:
        return _part_d_redetermination(ask)
    if event is DeadlineEvent.NEXT_LEVEL_AUTO_FORWARD:
        return _part_d_ire_forward(ask)
    if event is DeadlineEvent.IRE_RECONSIDERATION_FILING_WINDOW:
        return member_filing_window(
            ask,
            days=65,
            duty=(
                "The enrollee must request reconsideration of the redetermination by the Part D "
                "independent review entity (IRE)"
            ),
            note=(
                "60 days after receipt of the redetermination notice, presumed 5 days after its "
                "date; notice dated"
            ),
            rule="42 CFR 423.600(a)",
            rule_id="part_d.ire_reconsideration.filing",
            flags=(
                "receipt of the redetermination notice is presumed 5 calendar days after its "
                "date unless shown otherwise: 60 days run from a later proven receipt",
            ),
        )
    raise no_rule(ask, _PART_D_NO_RULE.get(event, "not a Part D step"))


_PART_D_NO_RULE = {
    DeadlineEvent.PENDING_INFORMATION_DECISION: (
        "Part D clocks are not tolled; exceptions requests run from the prescriber's supporting "
        "statement (event 'initial_request_decision', request_type 'exception')"
    ),
    DeadlineEvent.EXTERNAL_REVIEW_FILING_WINDOW: (
        "Part D has no external review; the enrollee asks the IRE for reconsideration "
        "(42 CFR 423.600; event 'ire_reconsideration_filing_window')"
    ),
    DeadlineEvent.CONTINUITY_OF_CARE_TRANSITION_END: (
        "the 90-day transition period of 42 CFR 422.112(b)(8)(ii) is a Medicare Advantage "
        "rule; Part D's transition fill (42 CFR 423.120(b)(3)) is not modelled"
    ),
}

_PART_D = "A Part D plan must decide"


def _part_d_coverage_determination(ask: Ask) -> Due:
    query = ask.query
    received = ask.received("Part D coverage determination clocks run from receipt (423.568)")
    flags = (EXPEDITE_REFUSED,) if ask.refused else ()
    if ask.payment:
        if ask.expedited:
            raise no_rule(ask, "a payment request cannot be expedited (42 CFR 423.570(a))")
        spec = _Spec(
            Clock(Unit.DAYS, 14), "a payment request", "42 CFR 423.568(c)", "part_d.cd.payment"
        )
        return _decide(ask, spec, _PART_D, "of receipt")
    if query.request_type is RequestType.EXCEPTION:
        return _part_d_exception(ask)
    if ask.expedited:
        spec = _Spec(
            Clock(Unit.HOURS, 24),
            "an expedited coverage determination",
            "42 CFR 423.572(a)",
            "part_d.cd.expedited",
        )
    else:
        spec = _Spec(
            Clock(Unit.HOURS, 72),
            "a standard coverage determination",
            "42 CFR 423.568(b)" + ("; 423.570(d)" if flags else ""),
            "part_d.cd.standard",
            flags,
        )
    return clock_due(
        clock=spec.clock,
        anchor=received,
        tz=ask.tz,
        duty=f"{_PART_D} {spec.what}",
        relation="of receipt",
        note="received",
        rule=spec.rule,
        rule_id=spec.rule_id,
        flags=spec.flags,
    )


def _part_d_exception(ask: Ask) -> Due:
    """72 h (24 h expedited) from the prescriber's supporting statement; with none by then, the
    standard 72 hours run from the end of the 14th calendar day after the request. An expedited
    request is never due later than that standard fallback."""
    tz = ask.tz
    received = ask.received("the exceptions clock needs the request receipt (423.568(b))")
    kind = "expedited" if ask.expedited else "standard"
    rule = "42 CFR 423.572(a); 423.578" if ask.expedited else "42 CFR 423.568(b); 423.578"
    flags = (EXPEDITE_REFUSED,) if ask.refused else ()
    fourteen_end = end_of_day(local_date(received, tz) + timedelta(days=14), tz)
    fallback = Due(
        due_at=add_elapsed_hours(fourteen_end, 72, tz),
        rule="42 CFR 423.568(b); 423.578",
        convention=DAYS_THEN_HOURS,
        explanation="",
        rule_id=f"part_d.cd.exception.{kind}.no_statement",
        label="federal 72-hour exceptions limit",
        flags=flags,
    )
    statement = ask.query.supporting_statement_received_at
    if statement is None:
        hours = 24 if ask.expedited else 72
        return replace(
            fallback,
            explanation=(
                f"{_PART_D} a {kind} exceptions request within {hours} hours of the prescriber's "
                "supporting statement; with none received, the standard 72 hours run from the "
                "end of 14 calendar days after the request "
                f"(received {fmt_anchor(received, tz, False)}), "
                f"by {fmt_due(fallback.due_at, DAYS_THEN_HOURS, tz)}."
            ),
            flags=(
                *flags,
                f"when the prescriber's supporting statement arrives, the {hours} hours run from "
                "its receipt if that is earlier",
            ),
        )
    due = clock_due(
        clock=Clock(Unit.HOURS, 24 if ask.expedited else 72),
        anchor=max(statement, received),
        tz=tz,
        duty=f"{_PART_D} a {kind} exceptions request",
        relation="of receipt of the prescriber's supporting statement",
        note="statement received",
        rule=rule,
        rule_id=f"part_d.cd.exception.{kind}",
        flags=flags,
    )
    if fallback.due_at < due.due_at:
        return replace(
            fallback,
            explanation=(
                f"{_PART_D} a {kind} exceptions request within 72 hours of the end of 14 "
                "calendar days after the request, since the supporting statement came later "
                f"(received {fmt_anchor(received, tz, False)}), "
                f"by {fmt_due(fallback.due_at, DAYS_THEN_HOURS, tz)}."
            ),
            rule_id=f"part_d.cd.exception.{kind}.late_statement",
        )
    return due


def _part_d_redetermination(ask: Ask) -> Due:
    flags = ("expedite refused: 7-day standard clock applied",) if ask.refused else ()
    if ask.payment:
        if ask.expedited:
            raise no_rule(ask, "a payment redetermination cannot be expedited (42 CFR 423.584)")
        spec = _Spec(
            Clock(Unit.DAYS, 14),
            "a payment redetermination",
            "42 CFR 423.590 (payment)",
            "part_d.redetermination.payment",
        )
    elif ask.expedited:
        spec = _Spec(
            Clock(Unit.HOURS, 72),
            "an expedited redetermination",
            "42 CFR 423.590 (expedited)",
            "part_d.redetermination.expedited",
        )
    else:
        spec = _Spec(
            Clock(Unit.DAYS, 7),
            "a standard redetermination",
            "42 CFR 423.590 (standard)",
            "part_d.redetermination.standard",
            flags,
        )
    return _decide(ask, spec, _PART_D, "of receipt of the redetermination request")


def _part_d_ire_forward(ask: Ask) -> Due:
    """A missed coverage determination or redetermination goes to the IRE within 24 hours of
    the expiry of its clock."""
    base_event = ask.query.base_event
    if base_event not in (
        None,
        DeadlineEvent.INITIAL_REQUEST_DECISION,
        DeadlineEvent.APPEAL_DECISION,
    ):
        raise no_rule(
            ask,
            "Part D auto-forwards a missed coverage determination (base_event "
            "'initial_request_decision') or a missed redetermination (base_event "
            "'appeal_decision')",
        )
    at_cd = base_event is DeadlineEvent.INITIAL_REQUEST_DECISION
    base = _part_d_coverage_determination(ask) if at_cd else _part_d_redetermination(ask)
    due_at = add_elapsed_hours(base.due_at, 24, ask.tz)
    convention = DAYS_THEN_HOURS if base.convention in END_OF_DAY_CONVENTIONS else ELAPSED_HOURS
    step = "coverage determination" if at_cd else "redetermination"
    rule = "42 CFR 423.568(h); 423.572" if at_cd else "42 CFR 423.590 (auto-forward)"
    return Due(
        due_at=due_at,
        rule=rule,
        convention=convention,
        explanation=(
            f"If the Part D plan misses its {step} deadline "
            f"({fmt_due(base.due_at, base.convention, ask.tz)}), it must forward the case to the "
            f"IRE within 24 hours of the expiry, by {fmt_due(due_at, convention, ask.tz)}."
        ),
        rule_id=f"part_d.ire_forward.{'cd' if at_cd else 'redetermination'}",
        label="federal 24-hour forwarding limit",
        flags=(*base.flags, f"computed from {base.rule_id}"),
    )
