"""What each regime's law says, in the words a letter quotes: bases, standards, remedies.

One `RegimeLaw` per regime, plus a state overlay where a state statute changes the answer
(Illinois deems a late prior-authorization decision authorized). Citations follow
/work/shared/REGULATIONS.md; where a paragraph number was not verified the section is cited
without it. The deadline itself (and its citation) always comes from the deadline engine.

The expedited standards are the regulations' own words: payers downgrade paraphrases such as
"urgent" to standard review (DOMAIN.md 2.4 item 2).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from domain.appeals import AppealLevel
from domain.enums import Regime


class RegimeLaw(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    regime: Regime
    label: str
    person: str
    appeal_name: str
    appeal_basis: str
    reviewer_standard: str
    coverage_criteria: str | None = None
    expedited_certifier: str = "physician"
    expedited_lead: str = ""
    expedited_standard: str
    expedited_citation: str
    expedited_physician: str
    concurrent_external_review: str | None = None
    documents_right: str
    documents_citation: str
    human_review: str
    missed_initial_effect: str
    missed_initial_ask: str
    missed_appeal_effect: str
    missed_appeal_ask: str
    next_level_title: str
    next_level_request: str
    next_level_text: str
    after_next_level: tuple[str, ...] = ()
    other_remedies: tuple[str, ...] = ()
    continuation_of_benefits: str | None = None
    minor_coverage: str | None = None
    # A state statute that deems a late decision authorized, cited in the binding clock's rule.
    deemed_authorized_statute: str | None = None
    deemed_authorized_effect: str | None = None
    deemed_authorized_ask: str | None = None
    deemed_authorized_note: str | None = None
    representative_form: str = (
        "Authorized representative designation signed by the member (or parent or guardian)"
    )
    state_law: str | None = None


_MEMBER_RECORDS = (
    "and the plan's records about the member under the HIPAA right of access (45 CFR 164.524)"
)
_GENERIC_HUMAN_REVIEW = (
    "We ask for an individualized review of the member's own records by a physician, not a "
    "decision driven by automated criteria or software output."
)

_ERISA_REVIEW = (
    "The review must take into account all comments, documents, records and other "
    "information submitted, whether or not they were considered in the initial determination "
    "(29 CFR 2560.503-1(h)(2)(iv)); give no deference to the initial adverse determination and "
    "be decided by a fiduciary who neither made it nor is the subordinate of the person who "
    "did ((h)(3)(ii)); and, because the denial rests on a medical judgment, consult a health "
    "care professional with appropriate training and experience in the field of medicine "
    "involved ((h)(3)(iii)) who was not consulted on the initial determination ((h)(3)(v))."
)
_ERISA_CRITERIA = (
    "A denial based on medical necessity must explain the scientific or clinical judgment "
    "applied to the claimant's medical circumstances and identify the internal rule, "
    "guideline or protocol relied upon (29 CFR 2560.503-1(g)(1)(v))."
)
_ERISA_EXPEDITED = (
    "could seriously jeopardize the life or health of the claimant or the ability of the "
    "claimant to regain maximum function"
)
_ERISA_PHYSICIAN = (
    "A claim that a physician with knowledge of the claimant's medical condition determines is "
    "a claim involving urgent care must be treated as one (29 CFR 2560.503-1(m)(1)(ii))."
)
_ERISA_DOCUMENTS = (
    "On request and free of charge, the claimant is entitled to reasonable access to, and "
    "copies of, all documents, records and other information relevant to the claim "
    "(29 CFR 2560.503-1(h)(2)(iii)). 'Relevant' includes every document relied upon, "
    "submitted, considered or generated in making the determination and any internal rule, "
    "guideline, protocol or similar criterion (29 CFR 2560.503-1(m)(8)); the plan must also "
    "identify the medical experts whose advice it obtained (29 CFR 2560.503-1(h)(3)(iv)) and "
    "provide any new or additional evidence or rationale free of charge and in time to respond "
    "before the decision is due (45 CFR 147.136(b)(2)(ii)(C))."
)
_ERISA_HUMAN = (
    "A full and fair review is an individualized review: the decision-maker must consider the "
    "claimant's own records and everything submitted (29 CFR 2560.503-1(h)(2)(iv)), not only "
    "the output of automated criteria."
)
_DEEMED_EXHAUSTION = (
    "If a plan or issuer fails to adhere strictly to the claims and appeals requirements, "
    "including their deadlines, the claimant is deemed to have exhausted the internal claims "
    "and appeals process and may go directly to external review or to court "
    "(45 CFR 147.136(b)(2)(ii)(F); 29 CFR 2590.715-2719(b)(2)(ii)(F); 29 CFR 2560.503-1(l))."
)
_DEEMED_ASK = (
    "Please approve the request now. Otherwise the claimant will treat the internal process as "
    "exhausted and request external review. If you contend that the violation was de minimis, "
    "the claimant asks for the written explanation that 45 CFR 147.136(b)(2)(ii)(F)(2) "
    "requires within 10 days."
)
_EXTERNAL_REVIEW = (
    "If the denial is upheld, the claimant may request external review by an independent "
    "review organization within four months of receiving the final adverse benefit "
    "determination (45 CFR 147.136(c)-(d)); a reversal binds the plan."
)
_EXTERNAL_REQUEST = (
    "The claimant requests external review of the final internal adverse benefit determination "
    "by an independent review organization under 45 CFR 147.136(c) (State process) or (d) "
    "(Federal process). The plan must complete a preliminary review within five business days "
    "of receipt (45 CFR 147.136(d)(2)(ii)), and must provide or pay for the service without "
    "delay if the IRO reverses its decision."
)
_CONCURRENT_EXTERNAL = (
    "Because this is an urgent situation, the claimant also requests expedited external review "
    "at the same time as this expedited internal appeal (45 CFR 147.136(d)(3))."
)

_MA = RegimeLaw(
    regime=Regime.MEDICARE_ADVANTAGE,
    label="Medicare Advantage (Medicare Part C)",
    person="enrollee",
    appeal_name="request for reconsideration",
    appeal_basis=(
        "This is a request for reconsideration of an adverse organization determination under "
        "42 CFR 422.578 and 422.582."
    ),
    reviewer_standard=(
        "The reconsideration must be made by a person who was not involved in the organization "
        "determination and, because the denial rests on medical necessity, by a physician with "
        "expertise in the field of medicine appropriate to the services at issue "
        "(42 CFR 422.590)."
    ),
    coverage_criteria=(
        "Medicare Advantage plans must apply Traditional Medicare's coverage criteria, "
        "including national and local coverage determinations, and may use internal coverage "
        "criteria only where those are not fully established, and then only publicly "
        "accessible criteria based on current evidence (42 CFR 422.101(b)(6))."
    ),
    expedited_standard=(
        "applying the standard timeframe could seriously jeopardize the life or health of the "
        "enrollee or the enrollee's ability to regain maximum function"
    ),
    expedited_citation="42 CFR 422.584; 42 CFR 422.572",
    expedited_physician=(
        "Because a physician requests or supports this reconsideration and indicates that this "
        "standard is met, the plan must expedite it (42 CFR 422.584)."
    ),
    documents_right=(
        "The enrollee and the enrollee's representative may submit evidence (42 CFR 422.586) "
        "and obtain a copy of the case file, including the coverage criteria applied and the "
        f"reviewer's notes, {_MEMBER_RECORDS}."
    ),
    documents_citation="42 CFR 422.586; 45 CFR 164.524",
    human_review=(
        "Medical-necessity decisions must rest on the enrollee's individual circumstances, "
        "including medical history, physician recommendations and clinical notes "
        "(42 CFR 422.101(c)(1)(i)); an algorithm or software tool may assist but may not "
        "replace that individualized review (CMS FAQ on CMS-4201-F, February 6, 2024)."
    ),
    missed_initial_effect=(
        "A Medicare Advantage plan that does not make an organization determination within the "
        "required timeframe has made an adverse organization determination, which the enrollee "
        "may appeal (42 CFR 422.568; 42 CFR 422.566(b))."
    ),
    missed_initial_ask=(
        "Please approve the request now, or treat this letter as the enrollee's request for "
        "reconsideration of that adverse organization determination and decide it within the "
        "reconsideration timeframe."
    ),
    missed_appeal_effect=(
        "A plan that does not decide a reconsideration within the required timeframe must "
        "forward the complete case file to the Independent Review Entity (42 CFR 422.590; "
        "422.592)."
    ),
    missed_appeal_ask=(
        "Please forward the complete case file, with this letter and its enclosures, to the "
        "Independent Review Entity at once and confirm in writing the date you sent it."
    ),
    next_level_title="Independent Review Entity reconsideration (automatic forwarding)",
    next_level_request=(
        "Because the plan affirmed its denial in whole or in part, it must forward the case "
        "file to the Independent Review Entity (IRE) by its reconsideration deadline; the "
        "enrollee does not have to ask (42 CFR 422.590; 422.592). We ask the plan to confirm "
        "the date it forwarded the file and to include this letter and the enclosed evidence "
        "in what it sends to the IRE."
    ),
    next_level_text=(
        "If the plan affirms its denial in whole or in part, it must forward the case file to "
        "the Independent Review Entity automatically (42 CFR 422.590; 422.592)."
    ),
    after_next_level=(
        "If the IRE upholds the denial, the enrollee may request a hearing before an "
        "Administrative Law Judge within 60 days of receiving the IRE's decision when the "
        "amount in controversy is met (42 CFR 422.600-422.602).",
    ),
    other_remedies=("A complaint to Medicare (1-800-MEDICARE or the Medicare Complaint Form).",),
    representative_form="Appointment of Representative (form CMS-1696)",
)

_PART_D = RegimeLaw(
    regime=Regime.MEDICARE_PART_D,
    label="Medicare Part D",
    person="enrollee",
    appeal_name="request for redetermination",
    appeal_basis=(
        "This is a request for redetermination of an adverse coverage determination under "
        "42 CFR 423.580 and 423.582."
    ),
    reviewer_standard=(
        "The redetermination must be made by a person not involved in the coverage "
        "determination and, when the issue is medical necessity, by a physician with expertise "
        "in the field of medicine appropriate to the services at issue (42 CFR 423.590)."
    ),
    expedited_standard=(
        "applying the standard timeframe may seriously jeopardize the life or health of the "
        "enrollee or the enrollee's ability to regain maximum function"
    ),
    expedited_citation="42 CFR 423.584",
    expedited_physician=(
        "Because the prescriber indicates that this standard is met, the plan must expedite "
        "the redetermination (42 CFR 423.584)."
    ),
    documents_right=(
        "The enrollee may submit evidence (42 CFR 423.586) and obtain a copy of the case file "
        f"{_MEMBER_RECORDS}."
    ),
    documents_citation="42 CFR 423.586; 45 CFR 164.524",
    human_review=_GENERIC_HUMAN_REVIEW,
    missed_initial_effect=(
        "A Part D plan that does not make a coverage determination within the required "
        "timeframe must forward the request to the Independent Review Entity within 24 hours "
        "(42 CFR 423.568; 423.572)."
    ),
    missed_initial_ask=(
        "Please approve the request now, or forward it to the Independent Review Entity at "
        "once and confirm in writing the date you sent it."
    ),
    missed_appeal_effect=(
        "A Part D plan that does not decide a redetermination within the required timeframe "
        "must forward the case to the Independent Review Entity within 24 hours "
        "(42 CFR 423.590)."
    ),
    missed_appeal_ask=(
        "Please forward the complete case file, with this letter and its enclosures, to the "
        "Independent Review Entity at once and confirm in writing the date you sent it."
    ),
    next_level_title="Reconsideration by the Part D Independent Review Entity",
    next_level_request=(
        "The enrollee requests reconsideration of the plan's redetermination by the Part D "
        "Independent Review Entity (42 CFR 423.600), within 60 days of receiving the "
        "redetermination notice."
    ),
    next_level_text=(
        "If the plan upholds its denial, the enrollee may ask the Part D Independent Review "
        "Entity for reconsideration within 60 days of receiving the redetermination notice "
        "(42 CFR 423.600)."
    ),
    after_next_level=(
        "If the IRE upholds the denial, the enrollee may request a hearing before an "
        "Administrative Law Judge when the amount in controversy is met (42 CFR 423.2002).",
    ),
    other_remedies=("A complaint to Medicare (1-800-MEDICARE or the Medicare Complaint Form).",),
    representative_form="Appointment of Representative (form CMS-1696)",
)

_MEDICAID = RegimeLaw(
    regime=Regime.MEDICAID_MANAGED_CARE,
    label="Medicaid managed care",
    person="enrollee",
    appeal_name="appeal",
    appeal_basis=(
        "This is an appeal of an adverse benefit determination under 42 CFR 438.402 and 438.408."
    ),
    reviewer_standard=(
        "The individuals who decide the appeal must not have been involved in any previous "
        "level of review, nor be subordinates of those who were; must have the appropriate "
        "clinical expertise in treating the enrollee's condition; and must take into account "
        "all comments, documents, records and other information submitted, whether or not it "
        "was considered in the initial determination (42 CFR 438.406(b)(2))."
    ),
    coverage_criteria=(
        "A decision to deny a service authorization must be made by an individual with "
        "appropriate expertise in addressing the enrollee's needs (42 CFR 438.210(b)(3)) and "
        "be consistent with the plan's practice guidelines (42 CFR 438.236(d))."
    ),
    expedited_standard=(
        "taking the time for a standard resolution could seriously jeopardize the enrollee's "
        "life, physical or mental health, or ability to attain, maintain, or regain maximum "
        "function"
    ),
    expedited_certifier="provider",
    expedited_citation="42 CFR 438.410(a)",
    expedited_physician=(
        "Because the enrollee's provider makes or supports this request and indicates that "
        "this standard is met, the plan must resolve the appeal on the expedited timeframe "
        "(42 CFR 438.410(a))."
    ),
    documents_right=(
        "The plan must give the enrollee and the enrollee's representative the case file, "
        "including medical records, other documents and records, and any new or additional "
        "evidence considered, relied upon or generated in connection with the appeal, free of "
        "charge and sufficiently in advance of the resolution timeframe (42 CFR 438.406(b)(5))."
    ),
    documents_citation="42 CFR 438.406(b)(5)",
    human_review=_GENERIC_HUMAN_REVIEW,
    missed_initial_effect=(
        "A service authorization decision not reached within the timeframes of "
        "42 CFR 438.210(d) is an adverse benefit determination on the date the timeframe "
        "expires (42 CFR 438.404(c)(5)), which the enrollee may appeal."
    ),
    missed_initial_ask=(
        "Please approve the request now, or treat this letter as the enrollee's appeal of that "
        "adverse benefit determination and resolve it within the appeal timeframe."
    ),
    missed_appeal_effect=(
        "An enrollee whose appeal is not resolved within the timeframes of 42 CFR 438.408 is "
        "deemed to have exhausted the plan's appeal process and may request a State fair "
        "hearing (42 CFR 438.408(c)(3))."
    ),
    missed_appeal_ask=(
        "Please issue your resolution at once and make the complete case file available to "
        "the State: the enrollee is requesting a State fair hearing."
    ),
    next_level_title="State fair hearing",
    next_level_request=(
        "The enrollee requests a State fair hearing under 42 CFR part 431, subpart E, "
        "following the plan's adverse resolution of the enrollee's appeal "
        "(42 CFR 438.408(f))."
    ),
    next_level_text=(
        "If the plan upholds its denial, the enrollee may request a State fair hearing within "
        "the window the State sets, 90 to 120 days from the date of the plan's notice of "
        "resolution (42 CFR 438.408(f); 42 CFR part 431, subpart E)."
    ),
    after_next_level=(
        "If the hearing decision is adverse, judicial review is available as State law provides.",
    ),
    other_remedies=("A complaint to the State Medicaid agency.",),
    continuation_of_benefits=(
        "If this appeal concerns the termination, suspension or reduction of a previously "
        "authorized service, the enrollee's benefits continue while the appeal is pending when "
        "the conditions of 42 CFR 438.420 are met."
    ),
    minor_coverage=(
        "The enrollee is under 21: Medicaid's EPSDT benefit covers services necessary to "
        "correct or ameliorate a condition, whether or not the State plan otherwise covers "
        "them (42 U.S.C. 1396d(r)(5))."
    ),
)

_CHIP = _MEDICAID.model_copy(
    update={
        "regime": Regime.CHIP_MANAGED_CARE,
        "label": "CHIP managed care",
        "next_level_title": "State review",
        "next_level_request": (
            "The enrollee requests State review of the plan's adverse resolution of the "
            "enrollee's appeal (42 CFR 457.1130; 457.1260)."
        ),
        "next_level_text": (
            "If the plan upholds its denial, the enrollee may request State review of the "
            "plan's decision (42 CFR 457.1130; 457.1260)."
        ),
        "other_remedies": ("A complaint to the State CHIP agency.",),
        "minor_coverage": None,
    }
)

_ERISA = RegimeLaw(
    regime=Regime.ERISA_GROUP,
    label="ERISA employer group health plans",
    person="claimant",
    appeal_name="appeal",
    appeal_basis=(
        "This appeal is made under section 503 of ERISA (29 U.S.C. 1133) and "
        "29 CFR 2560.503-1(h), which guarantee a full and fair review; for a non-grandfathered "
        "plan, 29 CFR 2590.715-2719 and 45 CFR 147.136(b)(2) add their protections."
    ),
    reviewer_standard=_ERISA_REVIEW,
    coverage_criteria=_ERISA_CRITERIA,
    expedited_lead="the application of the time periods for making non-urgent care determinations",
    expedited_standard=_ERISA_EXPEDITED,
    expedited_citation="29 CFR 2560.503-1(m)(1); 45 CFR 147.136(b)",
    expedited_physician=_ERISA_PHYSICIAN,
    concurrent_external_review=_CONCURRENT_EXTERNAL,
    documents_right=_ERISA_DOCUMENTS,
    documents_citation="29 CFR 2560.503-1(h)(2)(iii), (m)(8)",
    human_review=_ERISA_HUMAN,
    missed_initial_effect=_DEEMED_EXHAUSTION,
    missed_initial_ask=_DEEMED_ASK,
    missed_appeal_effect=_DEEMED_EXHAUSTION,
    missed_appeal_ask=_DEEMED_ASK,
    next_level_title="External review",
    next_level_request=_EXTERNAL_REQUEST,
    next_level_text=_EXTERNAL_REVIEW,
    other_remedies=(
        "A civil action under section 502(a) of ERISA (29 U.S.C. 1132(a)).",
        "For insured coverage, a complaint to the State department of insurance.",
    ),
)

_ACA = _ERISA.model_copy(
    update={
        "regime": Regime.ACA_INDIVIDUAL,
        "label": "individual health insurance coverage under the ACA",
        "appeal_basis": (
            "This internal appeal is made under 45 CFR 147.136(b)(3), under which an issuer of "
            "individual health insurance coverage must follow the claims procedure rules of "
            "29 CFR 2560.503-1 as if it were a group health plan, with the added protections "
            "of 45 CFR 147.136(b)(3)(ii)."
        ),
        "expedited_citation": "45 CFR 147.136(b)(3); 29 CFR 2560.503-1(m)(1)",
        "missed_initial_effect": (
            "If an issuer fails to adhere strictly to the claims and appeals requirements, "
            "including their deadlines, the claimant is deemed to have exhausted the internal "
            "claims and appeals process and may go directly to external review or pursue "
            "remedies under State law (45 CFR 147.136(b)(3)(ii)(F), applying "
            "147.136(b)(2)(ii)(F))."
        ),
        "after_next_level": ("Remedies under State law remain available.",),
        "other_remedies": ("A complaint to the State department of insurance.",),
    }
)
_ACA = _ACA.model_copy(update={"missed_appeal_effect": _ACA.missed_initial_effect})

_STATE = _ACA.model_copy(
    update={
        "regime": Regime.STATE_INSURED,
        "label": "State-regulated insured coverage",
        "appeal_basis": (
            "This appeal is made under the State's utilization review and appeal law and, for "
            "non-grandfathered coverage, 45 CFR 147.136(b), which applies the full-and-fair "
            "review rules of 29 CFR 2560.503-1."
        ),
    }
)

LAWS: dict[Regime, RegimeLaw] = {
    law.regime: law for law in (_MA, _PART_D, _MEDICAID, _CHIP, _ERISA, _ACA, _STATE)
}

# Illinois Prior Authorization Reform Act: insured coverage and Medicaid MCOs, not self-funded
# ERISA plans (215 ILCS 200/10). Coverage does not say whether a group plan is insured, so
# ERISA group plans never get the overlay.
_ILLINOIS_REGIMES = frozenset(
    {Regime.STATE_INSURED, Regime.ACA_INDIVIDUAL, Regime.MEDICAID_MANAGED_CARE}
)
_ILLINOIS_DEEMED = (
    "Under the Illinois Prior Authorization Reform Act, a health insurance issuer (including a "
    "Medicaid managed care organization) that fails to make a prior authorization "
    "determination within the Act's timeframes is deemed to have authorized the service "
    "(215 ILCS 200/75)."
)
_ILLINOIS_ASK = (
    "Please confirm the authorization in writing, with its authorization number and approved "
    "period, by return fax."
)
_ILLINOIS_NOTE = (
    "The Illinois Prior Authorization Reform Act also deems a late decision authorized "
    "(215 ILCS 200/75); its clock runs from receipt of all necessary information "
    "(215 ILCS 200/25, 200/30)."
)
_STATE_LAW: dict[tuple[str, Regime], str] = {
    (state, regime): (
        "The Illinois Prior Authorization Reform Act (215 ILCS 200) also governs this coverage."
    )
    for state in ("IL",)
    for regime in _ILLINOIS_REGIMES
}
_STATE_LAW[("TX", Regime.STATE_INSURED)] = (
    "Texas law also governs this coverage: utilization review under Texas Insurance Code "
    "chapter 4201 and independent review under chapter 4202."
)
_STATE_LAW[("TX", Regime.MEDICAID_MANAGED_CARE)] = (
    "Texas law also sets the plan's prior-authorization timeframes (Texas Government Code "
    "sections 540.0302-540.0303)."
)


def law_for(regime: Regime, state: str | None) -> RegimeLaw:
    """The regime's law with the member's state overlay applied."""
    law = LAWS[regime]
    if state is None:
        return law
    update: dict[str, str] = {}
    if (note := _STATE_LAW.get((state, regime))) is not None:
        update["state_law"] = note
    if state == "IL" and regime in _ILLINOIS_REGIMES:
        update["deemed_authorized_statute"] = "215 ILCS 200"
        update["deemed_authorized_effect"] = _ILLINOIS_DEEMED
        update["deemed_authorized_ask"] = _ILLINOIS_ASK
        update["deemed_authorized_note"] = _ILLINOIS_NOTE
    return law.model_copy(update=update) if update else law


SECOND_INTERNAL_APPEAL_STEP = (
    "If the plan upholds its denial at this level, the claimant may file the plan's "
    "second-level internal appeal (29 CFR 2560.503-1(c)(2))."
)


def next_steps(law: RegimeLaw, following: list[AppealLevel]) -> list[str]:
    """What happens if this level is upheld, given the ladder's levels after it."""
    steps: list[str] = []
    if following and following[0] is AppealLevel.SECOND_INTERNAL_APPEAL:
        steps.append(SECOND_INTERNAL_APPEAL_STEP)
        following = following[1:]
    if following and following[0] is not AppealLevel.ALJ_HEARING:
        steps.append(law.next_level_text)
    return [*steps, *law.after_next_level, *law.other_remedies]
