"""The letter kinds, and the facts each one cannot be written without.

A kind's requirements are dotted paths into `LetterContext`; the renderer checks all of them
before it touches a template, so a case that lacks several facts gets one error naming every
one. Each requirement also says where the fact comes from in a case file (`LetterCaseFile`).
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


def _r(path: str, hint: str) -> Requirement:
    return Requirement(path, hint)


_COMMON = (
    _r("letterhead.name", "organization.name, or settings PRIORAUTH_ORGANIZATION__NAME"),
    _r("member.full_name", "case.request.member.first_name / last_name"),
    _r("member.birth_date", "case.request.member.birth_date"),
    _r("member.member_id", "case.request.member.member_id"),
    _r("plan.plan_name", "case.request.coverage.plan_name"),
    _r("reference", "case.case_number"),
    _r(
        "addressee.delivery_lines",
        "addressee, or case.request.coverage.payer.appeals_address / appeals_fax",
    ),
    _r("signer.name", "signer.name"),
)
_DENIAL = _r(
    "denial.reasons",
    "decision (or decision_id) whose items for the appealed lines carry reason_text or reason_code",
)
_SERVICES = _r("services", "case.request.service_lines (and appeal.sequences)")
_CLINICAL = _r("clinical_summary", "clinical_summary, or case.request.clinical_summary")
_ARGUMENTS = _r("arguments", "arguments (criterion, rebuttal, exhibits), or appeal.arguments")
_EXHIBITS = _r("exhibits", "exhibits, or case.request.attachments")
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
            (*_COMMON, _DENIAL, _SERVICES, _CLINICAL, _ARGUMENTS, _EXHIBITS, _PAYER_DEADLINE),
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
                _CLINICAL,
                _ARGUMENTS,
                _EXHIBITS,
                _PAYER_DEADLINE,
                _r(
                    "urgency_justification",
                    "urgency_justification, or case.request.urgency_justification",
                ),
            ),
        ),
        KindSpec(
            LetterKind.EXTERNAL_REVIEW_REQUEST,
            "Next-level review request (external review, IRE, state fair hearing)",
            "After an upheld internal appeal: ERISA/ACA external review, the Medicare "
            "Advantage IRE auto-forward, the Part D IRE, or a Medicaid state fair hearing.",
            (*_COMMON, _DENIAL, _SERVICES, _EXHIBITS),
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
