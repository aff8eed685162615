"""Building the letter context: defaults, the ladder's next steps, partial payer data."""

from __future__ import annotations

import pytest

from config.settings import Organization
from letters import (
    LetterCaseFile,
    LetterDetails,
    LetterKind,
    MissingLetterFields,
    Signer,
    build_letter_context,
    render_letter,
)
from tests.letters.helpers import NOW, Reader, context_for, fake_engine, raw_case_file


def test_build_from_code_with_an_organization() -> None:
    case_file = LetterCaseFile.model_validate(raw_case_file("erisa", LetterKind.APPEAL_LEVEL1))
    organization = Organization(name="Mercy General", address_lines=["1 Mercy Way"])
    context = build_letter_context(
        case_file.case,
        kind=LetterKind.CLAIM_FILE_REQUEST,
        now=NOW,
        deadlines=[],
        organization=organization,
        signer=Signer(name="Sam Lee", title="Appeals Coordinator"),
        details=LetterDetails(notice_date=case_file.case.decisions[0].notice_date),
        deadline_engine=fake_engine,
    )
    assert context.letterhead.name == "Mercy General"
    assert context.denial is not None and context.denial.reference == "UM-99310"
    assert context.filing_deadline is not None
    letter = Reader(render_letter(context).docx)
    assert letter.paragraphs[0] == "Mercy General"
    assert "Sam Lee" in letter.paragraphs


def test_naive_now_is_refused() -> None:
    case_file = LetterCaseFile.model_validate(raw_case_file("ma", LetterKind.APPEAL_LEVEL1))
    with pytest.raises(ValueError, match="aware"):
        build_letter_context(
            case_file.case,
            kind="appeal_level1",
            now=NOW.replace(tzinfo=None),
            deadlines=[],
            organization=Organization(),
        )


def test_partial_payer_data_is_named_when_a_letter_needs_it() -> None:
    data = raw_case_file("ma", LetterKind.APPEAL_LEVEL1)
    request = data["case"]["request"]
    request["member"]["birth_date"] = None
    provider = request["requesting_provider"]
    provider["npi"] = None
    provider["other_identifier"] = "ATYPICAL-0042"
    request["service_lines"][1].update(
        code_system="x12_service_type", code="1", start_date=None, end_date=None
    )
    case_file = LetterCaseFile.model_validate(data)
    kind = LetterKind.LETTER_OF_MEDICAL_NECESSITY
    context = context_for("ma", kind, case_file=case_file)
    with pytest.raises(MissingLetterFields) as caught:
        render_letter(context)
    assert set(caught.value.fields) == {"signer.npi"}

    # The same case renders where those facts are not needed.
    context = context_for(
        "ma", LetterKind.CLAIM_FILE_REQUEST, case_file=LetterCaseFile.model_validate(data)
    )
    letter = Reader(render_letter(context).docx)
    assert letter.re_block()["Treating provider"] == "Rafael Ortiz, MD, ID ATYPICAL-0042"
    assert letter.re_block()["Date of birth"] == "not on file"
    services = letter.table_starting("Line")
    assert services[2][1] == "—"  # a service type is not a procedure code
    assert services[2][2].startswith("X12 service type 1 — ")
    assert services[2][4] == "not scheduled"


def test_next_steps_follow_the_requested_level() -> None:
    hearing = context_for("medicaid", LetterKind.EXTERNAL_REVIEW_REQUEST)
    assert hearing.next_level is not None and hearing.next_level.title == "State fair hearing"
    assert not any("may request a State fair hearing" in step for step in hearing.next_steps)
    assert any("judicial review" in step for step in hearing.next_steps)

    ire = context_for("ma", LetterKind.EXTERNAL_REVIEW_REQUEST)
    assert any("Administrative Law Judge" in step for step in ire.next_steps)
    assert not any("forward the case file" in step for step in ire.next_steps)


def test_two_level_erisa_plan_points_to_the_second_internal_appeal() -> None:
    data = raw_case_file("erisa", LetterKind.APPEAL_LEVEL1)
    data["case"]["request"]["coverage"]["appeal_levels"] = 2
    context = context_for(
        "erisa", LetterKind.APPEAL_LEVEL1, case_file=LetterCaseFile.model_validate(data)
    )
    assert "second-level internal appeal" in context.next_steps[0]
    assert "external review" in context.next_steps[1]


def test_appeal_defaults_to_the_adverse_lines_of_the_latest_denial() -> None:
    context = context_for("medicaid", LetterKind.APPEAL_LEVEL1)
    assert context.appeal is not None
    assert context.appeal.level_title == "Plan appeal"
    assert [s.sequence for s in context.services] == [1, 2]
    assert context.denial is not None and context.denial.partial
    assert context.services[0].decision == "Partially approved (12 of 48 units)"
    assert context.law.minor_coverage and context.member.age == 10
    text = Reader(render_letter(context).docx).text
    assert "EPSDT" in text
    assert "which partially denied the services" in text
