"""`build_letter_context`: gather the facts one letter states from a case.

The facts (member, plan, services, the denial quoted verbatim, exhibits, the regime's law) come
from the case and what a person adds (`LetterDetails`); the clocks the letter cites are the
case's recorded deadlines (`letters.clocks`). Everything outside the case comes in as a
parameter: the recorded deadlines, the sending organization, the moment. The letters package
reads no settings.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from domain.appeals import AppealLevelSpec, appeal_ladder
from domain.case.read_model import Appeal, Case
from domain.deadline_keys import CONTINUITY_OF_CARE
from domain.deadlines import compute_deadline
from domain.models import (
    Address,
    CaseDeadline,
    CodeSystem,
    ItemDecision,
    Payer,
    PayerDecision,
    Provider,
    ServiceLine,
)
from letters.clocks import APPEAL_KINDS, CaseClocks, DeadlineEngine, letter_clocks
from letters.context import (
    NOT_ON_FILE,
    SERVICE_TYPE_LABEL,
    AppealFacts,
    Argument,
    DenialFacts,
    DiagnosisRow,
    Exhibit,
    LabeledValue,
    LetterContext,
    MemberFacts,
    NextLevel,
    PeerToPeerFacts,
    PlanFacts,
    ProviderFacts,
    QuotedReason,
    ServiceRow,
)
from letters.errors import LetterInputError
from letters.formatting import date_range, long_date
from letters.inputs import (
    Addressee,
    LetterDetails,
    Letterhead,
    PeerToPeerInput,
    Sender,
    Signer,
    SignerRole,
)
from letters.kinds import LetterKind
from letters.legal import RegimeLaw, law_for, next_steps


def build_letter_context(
    case: Case,
    *,
    kind: LetterKind | str,
    now: datetime,
    decision: PayerDecision | None = None,
    appeal: Appeal | None = None,
    deadlines: Sequence[CaseDeadline],
    organization: Sender | Letterhead,
    signer: Signer | None = None,
    details: LetterDetails | None = None,
    missed_key: str | None = None,
    deadline_engine: DeadlineEngine = compute_deadline,
) -> LetterContext:
    """Gather the facts of one letter of `kind` about `case`, as of `now` (an aware instant).

    `decision` is the determination the letter answers (default: the case's latest decision
    with an adverse item); `appeal` the appeal being filed (synthesized as the regime's first
    level for appeal letters when absent), or, for the external-review request and the missed
    deadline letter, the internal appeal already filed. Missing facts do not raise here: the
    renderer reports all of them at once. Inconsistent inputs raise `LetterInputError`.
    """
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    kind = LetterKind(kind)
    details = details or LetterDetails()
    request = case.request
    coverage = request.coverage
    regime = coverage.regime
    payer = coverage.payer

    if decision is None and kind is not LetterKind.MISSED_DEADLINE:
        decision = _latest_adverse_decision(case)
    if appeal is None and kind in APPEAL_KINDS:
        appeal = _first_appeal(case, decision, expedited=kind is LetterKind.APPEAL_EXPEDITED)

    letterhead = _letterhead(organization)
    letter_day = now.astimezone(ZoneInfo(letterhead.timezone)).date()
    law = law_for(regime, coverage.state)
    ladder = appeal_ladder(regime, coverage.appeal_levels)
    levels = [spec.level for spec in ladder]
    position = levels.index(appeal.level) if appeal is not None and appeal.level in levels else 0
    next_spec = ladder[position + 1] if position + 1 < len(ladder) else None
    # The external-review request asks for the next level: what follows is what comes after it.
    if kind is LetterKind.EXTERNAL_REVIEW_REQUEST:
        position += 1
    following = levels[position + 1 :]
    if kind is LetterKind.LETTER_OF_MEDICAL_NECESSITY and (
        signer is None or signer.role is not SignerRole.TREATING_PHYSICIAN
    ):
        signer = _physician_signer(request.requesting_provider, letterhead)

    sequences = _sequences_in_scope(case, decision, appeal)
    lines = [line for line in request.service_lines if line.sequence in sequences]
    latest = case.latest_item_decisions()
    if decision is not None:
        latest.update({item.sequence: item for item in decision.items})
    services = [_service_row(line, latest.get(line.sequence)) for line in lines]

    notice_date = details.notice_date or (decision.notice_date if decision else None)
    denial = _denial(decision, lines, notice_date, details.denial_criterion, payer.timezone)
    exhibits = _exhibits(details, case, law)
    arguments = _arguments(details, appeal, {e.number for e in exhibits})

    clocks = CaseClocks(case, deadlines, deadline_engine, now, details.all_information_received_at)
    expedited = kind is LetterKind.APPEAL_EXPEDITED or bool(appeal and appeal.expedited)
    cited = letter_clocks(
        kind,
        clocks,
        appeal=appeal,
        notice_date=notice_date,
        expedited=expedited,
        missed_key=missed_key,
    )
    missed, missed_stage = cited.missed, cited.missed_stage

    review_body = details.review_body
    addressee = _addressee(kind, details, payer)
    member = request.member
    provider = request.requesting_provider
    dates = _dates_of_service(lines)
    reference = denial.reference if denial else None
    authorization = next(
        (item.authorization_number for item in latest.values() if item.authorization_number),
        None,
    )
    plan = f"{coverage.plan_name} ({coverage.plan_id})" if coverage.plan_id else coverage.plan_name
    re_rows = [
        ("Patient", member.full_name),
        ("Date of birth", long_date(member.birth_date) if member.birth_date else NOT_ON_FILE),
        ("Member ID", member.member_id),
        ("Group number", member.group_number),
        ("Plan", plan),
        ("Payer", payer.name),
        ("Denial reference", reference),
        ("Authorization number", authorization),
        ("Claim number", details.claim_number),
        ("Our reference", case.case_number),
        ("Dates of service", dates),
        ("Treating provider", f"{provider.name}, {provider.identifier_label}"),
    ]

    clinical_summary = details.clinical_summary or request.clinical_summary
    drafting_notes = _drafting_notes(
        kind,
        addressee=addressee,
        birth_date_known=member.birth_date is not None,
        services=services,
        dates_of_service=dates,
        clinical_summary=clinical_summary,
        arguments=arguments,
        exhibits=exhibits,
    )
    p2p = details.peer_to_peer or PeerToPeerInput()
    return LetterContext(
        kind=kind,
        generated_at=now,
        letter_date=letter_day,
        letter_date_display=long_date(letter_day),
        case_id=case.case_id,
        reference=case.case_number,
        request_received_at=case.received_at,
        letterhead=letterhead,
        addressee=addressee,
        re_block=[LabeledValue(label=k, value=v) for k, v in re_rows if v],
        member=MemberFacts(
            full_name=member.full_name,
            birth_date=member.birth_date,
            member_id=member.member_id,
            group_number=member.group_number,
            age=_age(member.birth_date, letter_day) if member.birth_date else None,
        ),
        plan=PlanFacts(
            regime=regime,
            regime_label=law.label,
            payer_name=payer.name,
            payer_id=payer.payer_id,
            plan_name=coverage.plan_name,
            plan_id=coverage.plan_id,
            state=coverage.state,
            timezone=payer.timezone,
        ),
        provider=_provider(provider),
        servicing_provider=(
            _provider(request.servicing_provider)
            if request.servicing_provider
            and request.servicing_provider.identifier_label != provider.identifier_label
            else None
        ),
        services=services,
        dates_of_service=dates,
        diagnoses=[
            DiagnosisRow(code=d.code, description=d.description, primary=d.primary)
            for d in sorted(request.diagnoses, key=lambda d: not d.primary)
        ],
        denial=denial,
        appeal=_appeal_facts(appeal, ladder),
        next_level=(
            NextLevel(
                level=next_spec.level,
                title=next_spec.title,
                decided_by=next_spec.decided_by,
                auto_forwarded=next_spec.auto_forwarded,
            )
            if next_spec
            else None
        ),
        expedited=expedited,
        urgency_justification=details.urgency_justification or request.urgency_justification,
        clinical_summary=clinical_summary,
        prior_treatments=list(details.prior_treatments),
        arguments=arguments,
        guideline_citations=list(details.guideline_citations),
        exhibits=exhibits,
        law=law,
        next_steps=next_steps(law, following),
        payer_deadline=cited.payer,
        filing_deadline=cited.filing,
        missed_deadline=missed,
        missed_stage=missed_stage,
        continuity_of_care=clocks.recorded(
            CONTINUITY_OF_CARE, "Continuity-of-care transition ends"
        ),
        missed_deemed_authorized=bool(
            missed is not None
            and missed_stage == "initial"
            and law.deemed_authorized_statute
            and law.deemed_authorized_statute in missed.rule
        ),
        deadline_notes=clocks.notes,
        drafting_notes=drafting_notes,
        requests=details.requests,
        automated_review_suspected=details.automated_review_suspected,
        peer_to_peer=(
            PeerToPeerFacts(
                availability=list(p2p.availability),
                callback_phone=p2p.callback_phone or provider.phone,
                contact_name=p2p.contact_name or provider.name,
                payer_line=p2p.payer_line,
            )
            if kind is LetterKind.PEER_TO_PEER_REQUEST or details.peer_to_peer
            else None
        ),
        review_body=review_body,
        signer=signer,
        on_behalf_of_member=details.on_behalf_of_member,
        requested_action=details.requested_action,
        cc=list(details.cc),
    )


def _letterhead(organization: Sender | Letterhead) -> Letterhead:
    if isinstance(organization, Letterhead):
        return organization
    return Letterhead.from_organization(organization)


def _latest_adverse_decision(case: Case) -> PayerDecision | None:
    for decision in sorted(case.decisions, key=lambda d: d.decided_at, reverse=True):
        if any(item.is_adverse for item in decision.items):
            return decision
    return None


def _first_appeal(case: Case, decision: PayerDecision | None, *, expedited: bool) -> Appeal:
    coverage = case.request.coverage
    first = appeal_ladder(coverage.regime, coverage.appeal_levels)[0]
    adverse = [item.sequence for item in decision.items if item.is_adverse] if decision else []
    sequences = adverse or [line.sequence for line in case.request.service_lines]
    return Appeal(level=first.level, number=1, expedited=expedited, sequences=sequences)


def _sequences_in_scope(
    case: Case, decision: PayerDecision | None, appeal: Appeal | None
) -> set[int]:
    known = {line.sequence for line in case.request.service_lines}
    if appeal is not None:
        unknown = sorted(set(appeal.sequences) - known)
        if unknown:
            raise LetterInputError(f"appeal.sequences {unknown} are not service lines of the case")
        return set(appeal.sequences)
    if decision is not None:
        adverse = {item.sequence for item in decision.items if item.is_adverse} & known
        if adverse:
            return adverse
    return known


_OUTCOME_WORDS = {
    "approved": "Approved",
    "partially_approved": "Partially approved",
    "approved_modified": "Approved with changes",
    "denied": "Denied",
    "pended": "Pended",
    "cancelled": "Cancelled",
    "needs_manual_followup": "Contact payer",
    "not_required": "No authorization required",
    "needs_human_review": "Unclear response",
}


def _service_row(line: ServiceLine, item: ItemDecision | None) -> ServiceRow:
    decision = None
    if item is not None:
        decision = _OUTCOME_WORDS[item.resolved_outcome.value]
        if item.approved_units is not None and item.approved_units < line.units:
            decision += f" ({item.approved_units} of {line.units} units)"
    return ServiceRow(
        sequence=line.sequence,
        code_system=line.code_system,
        code=line.code,
        modifiers=list(line.modifiers),
        description=line.description,
        units=line.units,
        place_of_service=line.place_of_service,
        dates=date_range(line.start_date, line.end_date) if line.start_date else "not scheduled",
        decision=decision,
    )


def _code_label(line: ServiceLine) -> str:
    if line.code_system is CodeSystem.X12_SERVICE_TYPE:
        return f"{SERVICE_TYPE_LABEL} {line.code}"
    return line.code


def _dates_of_service(lines: list[ServiceLine]) -> str:
    starts = [line.start_date for line in lines if line.start_date]
    if not starts:
        return ""
    ends = [line.end_date or line.start_date for line in lines if line.start_date]
    return date_range(min(starts), max(end for end in ends if end))


def _denial(
    decision: PayerDecision | None,
    lines: list[ServiceLine],
    notice_date: date | None,
    criterion: str | None,
    payer_timezone: str,
) -> DenialFacts | None:
    if decision is None:
        return None
    codes = {line.sequence: _code_label(line) for line in lines}
    reasons: list[QuotedReason] = []
    grouped: dict[tuple[str | None, str | None, str | None], list[int]] = {}
    for item in sorted(decision.items, key=lambda i: i.sequence):
        if item.sequence in codes and item.is_adverse:
            grouped.setdefault((item.reason_text, item.reason_code, item.policy_cited), []).append(
                item.sequence
            )
    for (text, code, policy), sequences in grouped.items():
        reasons.append(
            QuotedReason(
                text=text,
                reason_code=code,
                policy_cited=policy,
                sequences=sequences,
                codes=[codes[s] for s in sequences],
            )
        )
    policies = [r.policy_cited for r in reasons if r.policy_cited]
    reference = decision.payer_reference or next(
        (i.authorization_number for i in decision.items if i.authorization_number), None
    )
    return DenialFacts(
        decision_id=decision.decision_id,
        reference=reference or decision.decision_id,
        decided_at=decision.decided_at,
        decided_on=decision.decided_at.astimezone(ZoneInfo(payer_timezone)).date(),
        notice_date=notice_date,
        reasons=reasons,
        criterion=criterion or ("; ".join(dict.fromkeys(policies)) if policies else None),
        partial=any(i.resolved_outcome.value == "partially_approved" for i in decision.items),
    )


def _exhibits(details: LetterDetails, case: Case, law: RegimeLaw) -> list[Exhibit]:
    if details.exhibits is not None:
        given = [
            Exhibit(
                number=n,
                title=e.title,
                description=e.description,
                date=e.date,
                reference=e.reference,
            )
            for n, e in enumerate(details.exhibits, start=1)
        ]
    else:
        given = [
            Exhibit(number=n, title=a.title, reference=a.reference)
            for n, a in enumerate(case.request.attachments, start=1)
        ]
    if details.on_behalf_of_member and not any(e.title == law.representative_form for e in given):
        given.append(Exhibit(number=len(given) + 1, title=law.representative_form))
    return given


def _arguments(
    details: LetterDetails, appeal: Appeal | None, exhibit_numbers: set[int]
) -> list[Argument]:
    if details.arguments:
        arguments = [
            Argument(criterion=a.criterion, rebuttal=a.rebuttal, exhibits=list(a.exhibits))
            for a in details.arguments
        ]
    elif appeal is not None:
        arguments = [Argument(criterion=text) for text in appeal.arguments]
    else:
        arguments = []
    unknown = sorted({n for a in arguments for n in a.exhibits} - exhibit_numbers)
    if unknown:
        raise LetterInputError(
            f"arguments cite exhibits {unknown}, but the letter has exhibits "
            f"{sorted(exhibit_numbers) or 'none'}"
        )
    return arguments


def _addressee(kind: LetterKind, details: LetterDetails, payer: Payer) -> Addressee:
    if kind is LetterKind.EXTERNAL_REVIEW_REQUEST and details.review_body is not None:
        return details.review_body
    if details.addressee is not None:
        return details.addressee
    address_lines = _address_lines(payer.appeals_address)
    fax = payer.appeals_fax or payer.fax
    attention = {
        LetterKind.PEER_TO_PEER_REQUEST: "Medical Director / Peer-to-Peer Scheduling",
        LetterKind.LETTER_OF_MEDICAL_NECESSITY: "Medical Director",
    }.get(
        kind,
        # Without an address on file we do not know the payer's exact unit either.
        "Appeals and Grievances Department" if address_lines or fax else "Appeals Department",
    )
    return Addressee(name=payer.name, attention=attention, address_lines=address_lines, fax=fax)


_ENCLOSING_KINDS = frozenset(
    {
        LetterKind.APPEAL_LEVEL1,
        LetterKind.APPEAL_EXPEDITED,
        LetterKind.EXTERNAL_REVIEW_REQUEST,
    }
)


def _drafting_notes(
    kind: LetterKind,
    *,
    addressee: Addressee,
    birth_date_known: bool,
    services: list[ServiceRow],
    dates_of_service: str,
    clinical_summary: str | None,
    arguments: list[Argument],
    exhibits: list[Exhibit],
) -> list[str]:
    """What the signer must complete or confirm: facts the case does not have, never invented.

    The notes name what is missing, not its value, and are printed at the top of the draft.
    """
    notes: list[str] = []
    if not addressee.delivery_lines:
        notes.append(
            "Addressee: no mailing address or fax number is on file for this letter. Confirm "
            "where to send it from the denial notice and add it under the addressee's name."
        )
    if not birth_date_known:
        notes.append(
            f"Date of birth: {NOT_ON_FILE}. Add it from the patient's chart if the payer "
            "needs it to identify the member."
        )
    service_types = [row.sequence for row in services if not row.procedure_code]
    if service_types:
        which = ", ".join(str(n) for n in service_types)
        notes.append(
            f"Services: line{'s' if len(service_types) > 1 else ''} {which} "
            f"{'are' if len(service_types) > 1 else 'is'} identified by an X12 service type, "
            "not a CPT/HCPCS procedure code. Add the procedure code if the order or the "
            "denial notice gives one."
        )
    if services and not dates_of_service and kind is not LetterKind.MISSED_DEADLINE:
        notes.append(f"Dates of service: {NOT_ON_FILE}. Add them if they are scheduled.")
    if kind in APPEAL_KINDS and not clinical_summary and arguments:
        notes.append(
            "Clinical summary: none on file; the appeal rests on the arguments listed. Add the "
            "patient's history, findings and treatments tried before signing."
        )
    if kind in _ENCLOSING_KINDS and not exhibits:
        notes.append(
            "Enclosures: none. Attach the records that support the appeal (office notes, test "
            "results) and list them as numbered enclosures, or send the letter as it is."
        )
    return notes


def _address_lines(address: Address | None) -> list[str]:
    if address is None:
        return []
    lines = [address.line1, address.line2] if address.line2 else [address.line1]
    return [*lines, f"{address.city}, {address.state} {address.postal_code}"]


def _physician_signer(provider: Provider, letterhead: Letterhead) -> Signer:
    """The letter of medical necessity is the treating clinician's own letter."""
    return Signer(
        name=provider.name,
        title=provider.specialty,
        role=SignerRole.TREATING_PHYSICIAN,
        organization=letterhead.name,
        npi=provider.npi,
        phone=provider.phone,
        fax=provider.fax,
    )


def _provider(provider: Provider) -> ProviderFacts:
    return ProviderFacts(
        name=provider.name,
        npi=provider.npi,
        identifier=provider.identifier_label,
        tin=provider.tin,
        specialty=provider.specialty,
        phone=provider.phone,
        fax=provider.fax,
    )


def _appeal_facts(appeal: Appeal | None, ladder: Sequence[AppealLevelSpec]) -> AppealFacts | None:
    if appeal is None:
        return None
    title = next(
        (spec.title for spec in ladder if spec.level == appeal.level),
        appeal.level.value.replace("_", " ").capitalize(),
    )
    return AppealFacts(
        level=appeal.level,
        level_title=title,
        number=appeal.number,
        expedited=appeal.expedited,
        filed_at=appeal.filed_at,
        decided_at=appeal.decided_at,
        outcome_note=appeal.outcome_note,
    )


def _age(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
