"""The letter kinds, and the facts each one cannot be written without.

A kind's requirements are dotted paths into `LetterContext`; the renderer checks all of them
before it touches a template, so a case that lacks several facts gets one error naming every
one. Each requirement also says where the fact comes from in a case file (`LetterCaseFile`).
A requirement may name alternatives (`any_of`): it is met when one of its paths has a value.

Only facts without which the letter would be wrong or misleading are required. Letters are
drafts the signer edits before sending, so a fact that merely completes the letter (the
payer's appeals address, the member's date of birth outside Medicaid, enclosures, a clinical
summary when the case manager's arguments carry the appeal) is printed as "not on file" or
left out, and the letter says so in its drafting notes (`LetterContext.drafting_notes`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from domain.enums import Regime


class LetterKind(StrEnum):
    APPEAL_LEVEL1 = "appeal_level1"
    APPEAL_EXPEDITED = "appeal_expedited"
    EXTERNAL_REVIEW_REQUEST = "external_review_request"
    PEER_TO_PEER_REQUEST = "peer_to_peer_request"
    LETTER_OF_MEDICAL_NECESSITY = "letter_of_medical_necessity"
    CLAIM_FILE_REQUEST = "claim_file_request"
    MISSED_DEADLINE = "missed_deadline"


@dataclass(frozen=True, slots=True)
class Requirement:
    field: str
    hint: str
    any_of: tuple[str, ...] = ()

    @property
    def paths(self) -> tuple[str, ...]:
        """The context paths that satisfy this requirement: `field`, else any alternative."""
        return (self.field, *self.any_of)

    @property
    def label(self) -> str:
        """The name reported when the requirement is not met ("a or b" for alternatives)."""
        return " or ".join(self.paths)


@dataclass(frozen=True, slots=True)
class KindSpec:
    kind: LetterKind
    title: str
    description: str
    requires: tuple[Requirement, ...]
    requires_by_regime: Mapping[Regime, tuple[Requirement, ...]] = field(default_factory=dict)

    @property
    def template(self) -> str:
        return f"{self.kind.value}.j2"

    def requirements(self, regime: Regime | None) -> tuple[Requirement, ...]:
        extra = self.requires_by_regime.get(regime, ()) if regime is not None else ()
        return self.requires + extra


def _r(path: str, hint: str, *any_of: str) -> Requirement:
    return Requirement(path, hint, tuple(any_of))


_COMMON = (
    _r("letterhead.name", "organization.name, or settings PRIORAUTH_ORGANIZATION__NAME"),
    _r("member.full_name", "case.request.member.first_name / last_name"),
    _r("member.member_id", "case.request.member.member_id"),
    _r("plan.plan_name", "case.request.coverage.plan_name"),
    _r("reference", "case.case_number"),
    # The payer by name is enough: without an appeals address or fax on file the letter goes
    # to its Appeals Department and says that the address must be confirmed from the notice.
    _r("addressee.name", "addressee, or case.request.coverage.payer.name"),
    _r("signer.name", "signer.name"),
)
_DENIAL = _r(
    "denial.reasons",
    "decision (or decision_id) whose items for the appealed lines carry reason_text or reason_code",
)
_SERVICES = _r("services", "case.request.service_lines (and appeal.sequences)")
_CLINICAL = _r("clinical_summary", "clinical_summary, or case.request.clinical_summary")
# An appeal must argue its case: the case manager's arguments, the clinical summary, or both.
_APPEAL_CASE = _r(
    "arguments",
    "arguments (criterion, rebuttal, exhibits), appeal.arguments, or clinical_summary / "
    "case.request.clinical_summary",
    "clinical_summary",
)
# Medicaid: the member's age decides whether EPSDT (under 21) is the standard the appeal cites.
_BIRTH_DATE_EPSDT = _r(
    "member.birth_date",
    "case.request.member.birth_date (Medicaid: the legal basis depends on whether the member "
    "is under 21, for EPSDT)",
)
_PAYER_DEADLINE = _r(
    "payer_deadline",
    "the deadline engine's appeal decision clock (appeal.filed_at or today), or deadlines[] "
    "with key 'appeal_decision'",
)
_FILING_WINDOW = _r(
    "filing_deadline",
    "notice_date (or decision.notice_date) of the final adverse determination, for the "
    "deadline engine's filing window",
)
_REVIEW_BODY = _r(
    "review_body",
    "review_body: name and address of the body that hears the next level (state hearings "
    "office, IRE)",
)

SPECS: dict[LetterKind, KindSpec] = {
    spec.kind: spec
    for spec in (
        KindSpec(
            LetterKind.APPEAL_LEVEL1,
            "Level-1 appeal (medical necessity, standard review)",
            "Formal first-level appeal of a medical-necessity denial: services, the denial "
            "quoted verbatim, point-by-point rebuttal with exhibits, legal basis with the "
            "payer's decision deadline, requests, next steps, enclosures.",
            (*_COMMON, _DENIAL, _SERVICES, _APPEAL_CASE, _PAYER_DEADLINE),
            {Regime.MEDICAID_MANAGED_CARE: (_BIRTH_DATE_EPSDT,)},
        ),
        KindSpec(
            LetterKind.APPEAL_EXPEDITED,
            "Expedited appeal (urgent)",
            "The level-1 appeal asking for expedited review in the regulation's own words "
            "(jeopardy to life, health or the ability to regain maximum function).",
            (
                *_COMMON,
                _DENIAL,
                _SERVICES,
                _APPEAL_CASE,
                _PAYER_DEADLINE,
                _r(
                    "urgency_justification",
                    "urgency_justification, or case.request.urgency_justification",
                ),
            ),
            {Regime.MEDICAID_MANAGED_CARE: (_BIRTH_DATE_EPSDT,)},
        ),
        KindSpec(
            LetterKind.EXTERNAL_REVIEW_REQUEST,
            "Next-level review request (external review, IRE, state fair hearing)",
            "After an upheld internal appeal: ERISA/ACA external review, the Medicare "
            "Advantage IRE auto-forward, the Part D IRE, or a Medicaid state fair hearing.",
            (*_COMMON, _DENIAL, _SERVICES),
            {
                Regime.MEDICARE_ADVANTAGE: (
                    _r(
                        "payer_deadline",
                        "appeal.filed_at (receipt of the reconsideration request), for the "
                        "deadline engine's IRE forwarding deadline",
                    ),
                ),
                Regime.MEDICARE_PART_D: (_REVIEW_BODY,),
                Regime.MEDICAID_MANAGED_CARE: (_REVIEW_BODY, _FILING_WINDOW),
                Regime.CHIP_MANAGED_CARE: (_REVIEW_BODY, _FILING_WINDOW),
                Regime.ERISA_GROUP: (_FILING_WINDOW,),
                Regime.ACA_INDIVIDUAL: (_FILING_WINDOW,),
                Regime.STATE_INSURED: (_FILING_WINDOW,),
            },
        ),
        KindSpec(
            LetterKind.PEER_TO_PEER_REQUEST,
            "Peer-to-peer review request",
            "Asks for a call between the treating physician and a physician reviewer of the "
            "same or similar specialty, with two call windows and a one-page brief.",
            (
                *_COMMON,
                _DENIAL,
                _SERVICES,
                _r("peer_to_peer.availability", "peer_to_peer.availability (two call windows)"),
                _r(
                    "peer_to_peer.callback_phone",
                    "peer_to_peer.callback_phone, or the requesting provider's phone",
                ),
            ),
        ),
        KindSpec(
            LetterKind.LETTER_OF_MEDICAL_NECESSITY,
            "Letter of medical necessity (for the treating physician's signature)",
            "The treating physician's own letter: diagnosis, history, prior treatments, why "
            "this service now, guideline citations; signed by the physician.",
            (
                *_COMMON,
                _SERVICES,
                _CLINICAL,
                _r("signer.npi", "signer.npi: the treating physician signs this letter"),
            ),
        ),
        KindSpec(
            LetterKind.CLAIM_FILE_REQUEST,
            "Request for the claim file, criteria and reviewer credentials",
            "Asks for every document relevant to the claim, the criteria relied upon and the "
            "reviewers' identities and credentials (ERISA/ACA: 29 CFR 2560.503-1(h)(2)(iii)).",
            (*_COMMON, _r("denial", "decision (or decision_id): the determination concerned")),
        ),
        KindSpec(
            LetterKind.MISSED_DEADLINE,
            "The payer missed its deadline",
            "The payer did not decide in time: what that means under the governing rule "
            "(adverse determination, deemed exhaustion, deemed authorization) and what we ask.",
            (
                *_COMMON,
                _SERVICES,
                _r(
                    "missed_deadline",
                    "deadlines[] (a payer deadline that has passed), or case.received_at / "
                    "appeal.filed_at for the deadline engine",
                ),
            ),
        ),
    )
}


def kind_spec(kind: LetterKind | str) -> KindSpec:
    return SPECS[LetterKind(kind)]
