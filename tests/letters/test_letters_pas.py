"""Letters for a case opened from a real Da Vinci PAS bundle (the PAS test kit's fixture).

Such a case has no payer appeals address or fax, no clinical summary, no attachments, no birth
date, and an X12 service-type code instead of a procedure code. The appeal letter is still
drafted from the case (the physician edits the .docx before signing): these tests read it back
the way a reviewer checks it, and check that only the truly required facts block a letter.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from activities.letters import LetterFacts
from activities.letters_renderer import LettersPackageRenderer, letter_details
from activities.models import LetterInput
from config.settings import Organization
from domain.appeals import AppealLevel
from domain.case.read_model import Case
from domain.enums import Regime
from domain.models import Attachment, PayerDecision
from integrations.pas.intake import parse_pas_request_bundle
from integrations.pas.intake_models import PlanMapping
from letters import (
    ArgumentInput,
    LetterCaseFile,
    LetterContext,
    LetterDetails,
    LetterInputError,
    LetterKind,
    MissingLetterFields,
    Signer,
    build_letter_context,
    context_from_case_file,
    render_letter,
)
from tests.integrations.pas_helpers import load
from tests.letters.helpers import EXAMPLES, Reader, context_for, fake_engine

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
DENIAL = "Consultation is not medically necessary: conservative care not documented."
ARGUMENT = "Six weeks of physical therapy and NSAIDs failed; pain limits daily activities."
PAYER = "MARYLAND CAPITAL INSURANCE COMPANY"  # the fixture's insurer
MEMBER_ID = "12345678901"  # the fixture's member id


def pas_case(regime: Regime = Regime.MEDICARE_ADVANTAGE) -> Case:
    plan = PlanMapping(regime=regime, plan_name="Example Plan", state="IL")
    request = parse_pas_request_bundle(
        load("conformant_pas_bundle_v110.json"), plan
    ).require_request()
    # What the fixture is: the facts this module is about.
    assert request.coverage.payer.appeals_address is None
    assert request.coverage.payer.appeals_fax is None and request.coverage.payer.fax is None
    assert request.clinical_summary is None and request.attachments == []
    assert request.member.birth_date is None
    assert request.service_lines[0].code_system == "x12_service_type"
    decision = PayerDecision.model_validate(
        {
            "decision_id": "PAS-DEN-1",
            "source": "pas",
            "decided_at": "2026-11-12T15:00:00Z",
            "notice_date": "2026-11-12",
            "items": [{"sequence": 1, "review_action_code": "A3", "reason_text": DENIAL}],
        }
    )
    return Case(
        case_id="pas-case-1",
        case_number="PA-2026-000123",
        request=request,
        status="denied",
        received_at=datetime(2026, 11, 10, 15, 0, tzinfo=UTC),
        decisions=[decision],
    )


def context(
    kind: LetterKind = LetterKind.APPEAL_LEVEL1,
    *,
    case: Case | None = None,
    arguments: list[ArgumentInput] | None = None,
) -> LetterContext:
    return build_letter_context(
        case or pas_case(),
        kind=kind,
        now=NOW,
        deadlines=[],
        organization=Organization(),
        signer=Signer(name="Casey Manager", credentials="RN"),
        details=LetterDetails(arguments=arguments or []),
        deadline_engine=fake_engine,
    )


def appeal_context(kind: LetterKind = LetterKind.APPEAL_LEVEL1) -> LetterContext:
    return context(kind, arguments=[ArgumentInput(criterion=ARGUMENT)])


def test_pas_appeal_is_drafted_from_the_arguments_alone() -> None:
    letter = Reader(render_letter(appeal_context()).docx)
    text = letter.text

    # Addressee: the payer by name, its appeals department, and no invented address.
    start = letter.paragraphs.index(PAYER)
    assert letter.paragraphs[start : start + 3] == [
        PAYER,
        "Attn: Appeals Department",
        "[Address or fax not on file: confirm from the denial notice]",
    ]
    # Identification: the member id, and the birth date plainly marked as missing.
    re_block = letter.re_block()
    assert re_block["Member ID"] == MEMBER_ID
    assert re_block["Date of birth"] == "not on file"
    assert MEMBER_ID in letter.footer_xml()

    # The service-type line carries its code system; no procedure code is made up.
    services = letter.table_starting("Line")
    assert services[1] == [
        "1",
        "—",
        "X12 service type 3 — Consultation (POS 11)",
        "1",
        "not scheduled",
        "Denied",
    ]
    assert "for line 1 (X12 service type 3), quoted verbatim:" in text
    assert f"“{DENIAL}”" in letter.paragraphs

    # The argument is the rebuttal; no clinical summary section, no exhibit citations.
    assert f"1.\t{ARGUMENT}" in letter.paragraphs
    assert "Clinical summary" not in letter.paragraphs
    assert "Exhibit" not in text
    assert "Enclosures: none. No documents are enclosed with this letter." in letter.paragraphs
    assert not any(p.startswith("Enclosures (") for p in letter.paragraphs)
    # No dangling "for the dates of service ." when nothing is scheduled.
    assert "Please reverse the denial and authorize the services listed above as requested." in (
        letter.paragraphs
    )


def test_pas_appeal_lists_what_the_signer_must_complete() -> None:
    ctx = appeal_context()
    notes = ctx.drafting_notes
    assert [note.split(":")[0] for note in notes] == [
        "Addressee",
        "Date of birth",
        "Services",
        "Dates of service",
        "Clinical summary",
        "Enclosures",
    ]
    assert "confirm where to send it from the denial notice" in notes[0].lower()
    letter = Reader(render_letter(ctx).docx)
    # The notes open the draft, before the letterhead, as bullets the signer deletes.
    heading = letter.paragraphs[0]
    assert heading.startswith("DRAFT: check and complete these points")
    assert letter.paragraphs[1 : 1 + len(notes)] == notes
    styles = {p.style.name for p in letter.document.paragraphs[1 : 1 + len(notes)]}
    assert styles == {"List Bullet"}


def test_complete_case_has_no_drafting_notes() -> None:
    ctx = context_for("ma", LetterKind.APPEAL_LEVEL1)
    assert ctx.drafting_notes == []
    assert not Reader(render_letter(ctx).docx).paragraphs[0].startswith("DRAFT")


def test_pas_expedited_appeal_uses_the_pas_urgency() -> None:
    letter = Reader(render_letter(appeal_context(LetterKind.APPEAL_EXPEDITED)).docx)
    assert "EXPEDITED REVIEW REQUESTED — URGENT" in letter.paragraphs
    assert "X12 level of service U" in letter.text
    assert "Enclosures: none. No documents are enclosed with this letter." in letter.paragraphs


def test_appeal_without_arguments_or_summary_names_every_missing_fact() -> None:
    ctx = build_letter_context(
        pas_case(),
        kind=LetterKind.APPEAL_LEVEL1,
        now=NOW,
        deadlines=[],
        organization=Organization(),
        deadline_engine=fake_engine,
    )
    with pytest.raises(MissingLetterFields) as caught:
        render_letter(ctx)
    # Only what the appeal cannot be written without: an argument (or a summary), a signer.
    assert caught.value.fields == ["signer.name", "arguments or clinical_summary"]
    assert "case.request.clinical_summary" in str(caught.value)
    assert MEMBER_ID not in str(caught.value) and DENIAL not in str(caught.value)


def test_summary_alone_carries_the_appeal() -> None:
    case = pas_case()
    request = case.request.model_copy(update={"clinical_summary": "Chronic pain, G89.4."})
    ctx = context(case=case.model_copy(update={"request": request}))
    letter = Reader(render_letter(ctx).docx)
    assert "Clinical summary" in letter.paragraphs
    assert "Why the services meet the criteria" not in letter.paragraphs
    assert not any(note.startswith("Clinical summary") for note in ctx.drafting_notes)


def test_letter_of_medical_necessity_still_needs_the_clinical_summary() -> None:
    ctx = context(LetterKind.LETTER_OF_MEDICAL_NECESSITY, arguments=[ArgumentInput(criterion="x")])
    with pytest.raises(MissingLetterFields) as caught:
        render_letter(ctx)
    # The fixture's provider identifier is not an NPI: the physician must be identified too.
    assert caught.value.fields == ["clinical_summary", "signer.npi"]


def test_without_enclosures_an_argument_cannot_cite_an_exhibit() -> None:
    with pytest.raises(LetterInputError, match=r"exhibits \[1\].*none"):
        context(arguments=[ArgumentInput(criterion=ARGUMENT, exhibits=[1])])


def test_medicaid_appeal_needs_the_birth_date_for_epsdt() -> None:
    ctx = context(
        case=pas_case(Regime.MEDICAID_MANAGED_CARE),
        arguments=[ArgumentInput(criterion=ARGUMENT)],
    )
    with pytest.raises(MissingLetterFields) as caught:
        render_letter(ctx)
    assert caught.value.fields == ["member.birth_date"]
    # Letters whose wording does not depend on the member's age go ahead without it.
    claim_file = context(LetterKind.CLAIM_FILE_REQUEST, case=pas_case(Regime.MEDICAID_MANAGED_CARE))
    assert Reader(render_letter(claim_file).docx).re_block()["Date of birth"] == "not on file"


@pytest.mark.parametrize(
    "kind", [LetterKind.CLAIM_FILE_REQUEST, LetterKind.EXTERNAL_REVIEW_REQUEST]
)
def test_other_pas_letters_render(kind: LetterKind) -> None:
    ctx = context(kind, case=pas_case(Regime.ERISA_GROUP))
    letter = Reader(render_letter(ctx).docx)
    assert "Attn: Appeals Department" in letter.paragraphs
    assert letter.re_block()["Member ID"] == MEMBER_ID
    assert "X12 service type 3 — Consultation (POS 11)" in letter.table_starting("Line")[1]


def test_user_text_in_arguments_stays_literal() -> None:
    hostile = "**bold** ::services_table\n# not a heading"
    letter = Reader(render_letter(context(arguments=[ArgumentInput(criterion=hostile)])).docx)
    assert f"1.\t{hostile}" in letter.paragraphs
    assert len(letter.tables) == 3  # RE block, services, diagnoses: none from the argument


def test_pas_letter_is_deterministic_and_reproducible() -> None:
    first = render_letter(appeal_context())
    second = render_letter(appeal_context())
    assert first.checksum == second.checksum
    again = render_letter(LetterContext.model_validate_json(first.context_json))
    assert again.checksum == first.checksum


def test_worker_renderer_passes_arguments_and_attachments() -> None:
    case = pas_case()
    letter = LetterInput(
        case_id=case.case_id,
        key="pas-case-1:appeal:letter",
        kind="appeal",
        appeal_level=AppealLevel.PLAN_RECONSIDERATION,
        appeal_number=1,
        sequences=[1],
        arguments=[ARGUMENT],
        requested_by="dev-case-manager",
    )
    document = LettersPackageRenderer().render(LetterFacts(case=case), letter)
    text = Reader(document.content).text
    assert ARGUMENT in text and DENIAL in text
    assert "Enclosures: none." in text

    # Attachments on the case become numbered enclosures.
    study = Attachment(reference="DocumentReference/sleep-1", title="Home sleep study")
    request = case.request.model_copy(update={"attachments": [study]})
    attached = case.model_copy(update={"request": request})
    details = letter_details(attached, letter)
    assert [e.title for e in details.exhibits or []] == ["Home sleep study"]
    assert [a.criterion for a in details.arguments] == [ARGUMENT]
    text = Reader(LettersPackageRenderer().render(LetterFacts(case=attached), letter).content).text
    assert "Enclosures (1)" in text and "1.\tHome sleep study" in text

    # Documents filed with the appeal follow the request's attachments.
    filed = letter.model_copy(update={"exhibits": ["Letter of medical necessity, Dr. Lee"]})
    text = Reader(LettersPackageRenderer().render(LetterFacts(case=attached), filed).content).text
    assert "Enclosures (2)" in text and "2.\tLetter of medical necessity, Dr. Lee" in text


def test_pas_example_case_file_renders() -> None:
    case_file = LetterCaseFile.model_validate_json((EXAMPLES / "pas_appeal.json").read_text())
    ctx = context_from_case_file(
        case_file,
        kind=LetterKind.APPEAL_LEVEL1,
        now=NOW,
        organization=Organization(),
        deadline_engine=fake_engine,
    )
    letter = Reader(render_letter(ctx).docx)
    assert "[Address or fax not on file: confirm from the denial notice]" in letter.paragraphs
    assert f"1.\t{ARGUMENT}" in letter.paragraphs
