"""User text cannot inject structure, templates cannot escape the sandbox, missing facts are
all reported at once and leave no file, overrides replace built-ins, output is reproducible."""

from __future__ import annotations

import os
from datetime import UTC
from pathlib import Path

import pytest

from domain.deadlines import DeadlineError, DeadlineQuery, DeadlineResult
from letters import (
    LetterCaseFile,
    LetterContext,
    LetterInputError,
    LetterKind,
    LetterTemplateError,
    MissingLetterFields,
    RenderedLetter,
    render_letter,
    write_letter,
)
from letters.templating import BUILTIN_DIR
from tests.letters.helpers import NOW, Reader, context_for, raw_case_file

HOSTILE = (
    "Denied: **not** medically necessary.\n# Heading\n- bullet\n1. numbered\n"
    "::services_table ::signature {{ member.full_name }} {% if true %}x{% endif %} "
    '<w:p><w:r><w:t>injected</w:t></w:r></w:p> & "quotes" \\* '
    "nul\x00here vt\x0bhere \ue000private\ue001 end"
)
# What the letter must show: the same text, with the NUL and our private-use delimiters
# dropped and the vertical tab (Word's manual line break) kept as a line break.
SHOWN = (
    HOSTILE.replace("\x00", "").replace("\x0b", "\n").replace("\ue000", "").replace("\ue001", "")
)


def _hostile_case_file() -> LetterCaseFile:
    data = raw_case_file("ma", LetterKind.APPEAL_LEVEL1)
    data["case"]["decisions"][0]["items"][0]["reason_text"] = HOSTILE
    data["clinical_summary"] = "Summary with *stars* and\n::re_block on a new line"
    return LetterCaseFile.model_validate(data)


def test_denial_reason_renders_verbatim_and_safely() -> None:
    context = context_for("ma", LetterKind.APPEAL_LEVEL1, case_file=_hostile_case_file())
    baseline = Reader(render_letter(context_for("ma", LetterKind.APPEAL_LEVEL1)).docx)
    letter = Reader(render_letter(context).docx)

    assert f"“{SHOWN}”" in letter.paragraphs
    assert "Summary with *stars* and\n::re_block on a new line" in letter.paragraphs
    # No structure came from the user text: same tables, headings and bullets as the baseline.
    assert len(letter.tables) == len(baseline.tables)
    headings = [p.text for p in letter.document.paragraphs if p.style.name.startswith("Heading")]
    assert headings == [
        p.text for p in baseline.document.paragraphs if p.style.name.startswith("Heading")
    ]
    assert "injected" not in [p.text for p in letter.document.paragraphs]
    quote = next(p for p in letter.document.paragraphs if p.text == f"“{SHOWN}”")
    assert not any(run.bold for run in quote.runs)


def test_every_missing_field_is_listed_and_nothing_is_written(tmp_path: Path) -> None:
    data = raw_case_file("erisa", LetterKind.APPEAL_LEVEL1)
    del data["signer"]
    data["exhibits"] = []
    data["arguments"] = []
    data["case"]["request"]["clinical_summary"] = None
    payer = data["case"]["request"]["coverage"]["payer"]
    payer.update(appeals_address=None, appeals_fax=None, fax=None)
    case_file = LetterCaseFile.model_validate(data)

    def engine(query: DeadlineQuery) -> DeadlineResult:
        raise DeadlineError("missing input 'received_at'")

    context = context_for("erisa", LetterKind.APPEAL_LEVEL1, case_file=case_file, engine=engine)
    target = tmp_path / "letter.docx"
    with pytest.raises(MissingLetterFields) as caught:
        write_letter(render_letter(context), target)
    # Neither the payer's address nor enclosures are required (the draft says so instead).
    assert set(caught.value.fields) == {
        "signer.name",
        "arguments or clinical_summary",
        "payer_deadline",
    }
    message = str(caught.value)
    for field in caught.value.fields:
        assert field in message
    assert "missing input 'received_at'" in message
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_argument_citing_an_unknown_exhibit_is_rejected() -> None:
    data = raw_case_file("ma", LetterKind.APPEAL_LEVEL1)
    data["arguments"][0]["exhibits"] = [9]
    with pytest.raises(LetterInputError, match=r"exhibits \[9\]"):
        context_for("ma", LetterKind.APPEAL_LEVEL1, case_file=LetterCaseFile.model_validate(data))


def test_missed_deadline_must_have_passed() -> None:
    data = raw_case_file("medicaid", LetterKind.MISSED_DEADLINE)
    data["case"]["received_at"] = "2026-11-20T10:00:00-06:00"
    case_file = LetterCaseFile.model_validate(data)
    with pytest.raises(LetterInputError, match="has not passed yet"):
        context_for("medicaid", LetterKind.MISSED_DEADLINE, case_file=case_file)


def test_write_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    letter = render_letter(context_for("ma", LetterKind.CLAIM_FILE_REQUEST))
    target = tmp_path / "out" / "letter.docx"
    write_letter(letter, target)
    assert target.read_bytes() == letter.docx

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    second = tmp_path / "out" / "second.docx"
    with pytest.raises(OSError, match="disk full"):
        write_letter(letter, second)
    assert sorted(p.name for p in target.parent.iterdir()) == ["letter.docx"]


def test_same_context_same_checksum() -> None:
    context = context_for("erisa", LetterKind.APPEAL_EXPEDITED)
    first = render_letter(context)
    second = render_letter(context)
    assert first.docx == second.docx
    assert first.checksum == second.checksum
    again = render_letter(LetterContext.model_validate_json(first.context_json))
    assert again.checksum == first.checksum
    assert RenderedLetter.model_validate_json(first.model_dump_json()) == first
    assert first.template_version.startswith("2026.11.2+")
    assert first.template_origin == "builtin"
    assert first.filename == "PA-2026-005120-appeal_expedited-2026-11-23.docx"


def test_core_properties_come_from_the_context() -> None:
    context = context_for("ma", LetterKind.APPEAL_LEVEL1)
    props = Reader(render_letter(context).docx).document.core_properties
    assert props.created.replace(tzinfo=None) == NOW.astimezone(UTC).replace(tzinfo=None)
    assert props.modified == props.created
    assert props.title.startswith("Level-1 appeal")
    assert "Marsh" not in props.title + props.subject + props.keywords


def test_override_directory_replaces_a_builtin(tmp_path: Path) -> None:
    (tmp_path / "appeal_level1.j2").write_text(
        "{#- letter-template version: org-7 -#}\n"
        '{% extends "_letter.j2" %}\n'
        "{% block body %}\nOur own appeal wording for {{ member.full_name }}.\n{% endblock %}\n"
    )
    context = context_for("ma", LetterKind.APPEAL_LEVEL1)
    builtin = render_letter(context)
    letter = render_letter(context, override_dir=tmp_path)
    text = Reader(letter.docx).paragraphs
    assert "Our own appeal wording for Eleanor Marsh." in text
    assert "Services at issue" not in text
    assert letter.template_origin == "override"
    assert letter.template_version.startswith("org-7+")
    assert letter.checksum != builtin.checksum


def test_override_of_a_shared_partial_reaches_every_kind(tmp_path: Path) -> None:
    source = (BUILTIN_DIR / "_letter.j2").read_text()
    (tmp_path / "_letter.j2").write_text(
        source.replace("Sincerely,", "With kind regards,"), encoding="utf-8"
    )
    context = context_for("medicaid", LetterKind.CLAIM_FILE_REQUEST)
    letter = render_letter(context, override_dir=tmp_path)
    assert "With kind regards," in Reader(letter.docx).paragraphs
    assert letter.template_origin == "override"


@pytest.mark.parametrize(
    "expression",
    [
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ member.__class__.__init__.__globals__ }}",
        "{{ services.append(1) }}",
        "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    ],
)
def test_sandbox_blocks_unsafe_template_code(tmp_path: Path, expression: str) -> None:
    (tmp_path / "claim_file_request.j2").write_text(expression + "\n")
    context = context_for("ma", LetterKind.CLAIM_FILE_REQUEST)
    with pytest.raises(LetterTemplateError):
        render_letter(context, override_dir=tmp_path)


def test_template_errors_are_reported_as_such(tmp_path: Path) -> None:
    context = context_for("ma", LetterKind.CLAIM_FILE_REQUEST)
    no_notice = context.model_copy(
        update={"denial": context.denial.model_copy(update={"notice_date": None})}
    )
    cases = [
        ("{% if %}", context, "claim_file_request.j2:1"),
        ("{{ member.shoe_size }}", context, "shoe_size"),
        ("{{ denial.notice_date }}", no_notice, "None"),
        ("::nonsense", context, "::nonsense"),
    ]
    for index, (source, letter_context, message) in enumerate(cases):
        folder = tmp_path / str(index)
        folder.mkdir()
        (folder / "claim_file_request.j2").write_text(source + "\n")
        with pytest.raises(LetterTemplateError, match=message):
            render_letter(letter_context, override_dir=folder)
