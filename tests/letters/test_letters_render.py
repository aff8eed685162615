"""Every kind, for three regimes, rendered from the example case files and read back as a
reviewer would: identification, services, the denial verbatim, the law, the payer's deadline,
enclosures, page setup and footer fields."""

from __future__ import annotations

import re
import zipfile
from io import BytesIO

import pytest
from docx.shared import Inches

from letters import LetterContext, LetterKind, render_letter
from letters.render_docx import FONT
from tests.letters.helpers import REGIMES, Reader, context_for, load_case_file

KINDS = list(LetterKind)
Rendered = dict[tuple[str, LetterKind], tuple[LetterContext, Reader]]

# Citations each regime's letters must carry (static law text, letters/legal.py).
CITATIONS: dict[tuple[str, LetterKind], list[str]] = {
    ("ma", LetterKind.APPEAL_LEVEL1): ["42 CFR 422.578", "422.101(b)(6)", "422.592"],
    ("erisa", LetterKind.APPEAL_LEVEL1): ["29 CFR 2560.503-1(h)", "(h)(3)(iii)", "147.136(c)-(d)"],
    ("medicaid", LetterKind.APPEAL_LEVEL1): ["42 CFR 438.402", "438.406(b)(2)", "438.408(f)"],
    ("ma", LetterKind.APPEAL_EXPEDITED): ["42 CFR 422.584"],
    ("erisa", LetterKind.APPEAL_EXPEDITED): ["29 CFR 2560.503-1(m)(1)", "147.136(d)(3)"],
    ("medicaid", LetterKind.APPEAL_EXPEDITED): ["42 CFR 438.410(a)"],
    ("ma", LetterKind.EXTERNAL_REVIEW_REQUEST): ["42 CFR 422.590; 422.592", "422.600"],
    ("erisa", LetterKind.EXTERNAL_REVIEW_REQUEST): ["45 CFR 147.136(c)", "1132(a)"],
    ("medicaid", LetterKind.EXTERNAL_REVIEW_REQUEST): ["42 CFR part 431, subpart E", "438.408(f)"],
    ("ma", LetterKind.CLAIM_FILE_REQUEST): ["42 CFR 422.586", "45 CFR 164.524"],
    ("erisa", LetterKind.CLAIM_FILE_REQUEST): ["2560.503-1(h)(2)(iii)", "2560.503-1(m)(8)"],
    ("medicaid", LetterKind.CLAIM_FILE_REQUEST): ["42 CFR 438.406(b)(5)"],
    ("ma", LetterKind.MISSED_DEADLINE): ["42 CFR 422.590; 422.592", "Independent Review Entity"],
    ("erisa", LetterKind.MISSED_DEADLINE): ["45 CFR 147.136(b)(2)(ii)(F)", "deemed to have"],
    ("medicaid", LetterKind.MISSED_DEADLINE): ["215 ILCS 200/75", "42 CFR 438.404(c)(5)"],
}

EXPEDITED_WORDS = {
    "ma": "applying the standard timeframe could seriously jeopardize the life or health of the "
    "enrollee or the enrollee's ability to regain maximum function",
    "erisa": "could seriously jeopardize the life or health of the claimant or the ability of the "
    "claimant to regain maximum function",
    "medicaid": "taking the time for a standard resolution could seriously jeopardize the "
    "enrollee's life, physical or mental health, or ability to attain, maintain, or regain "
    "maximum function",
}


@pytest.fixture(scope="module")
def rendered() -> Rendered:
    out = {}
    for regime in REGIMES:
        for kind in KINDS:
            context = context_for(regime, kind)
            out[regime, kind] = (context, Reader(render_letter(context).docx))
    return out


def cases() -> list[tuple[str, LetterKind]]:
    return [(regime, kind) for regime in REGIMES for kind in KINDS]


@pytest.mark.parametrize(("regime", "kind"), cases())
def test_identification_block(rendered: Rendered, regime: str, kind: LetterKind) -> None:
    case_file = load_case_file(regime, kind)
    case = case_file.case
    _, letter = rendered[regime, kind]
    block = letter.re_block()
    assert block["Patient"] == case.request.member.full_name
    assert block["Member ID"] == case.request.member.member_id
    assert block["Our reference"] == case.case_number
    assert case.request.requesting_provider.npi in block["Treating provider"]
    decision = case_file.chosen_decision()
    if decision is not None:
        assert block["Denial reference"] == decision.payer_reference
    assert "Dates of service" in block


@pytest.mark.parametrize(("regime", "kind"), cases())
def test_services_table_has_codes_and_units(
    rendered: Rendered, regime: str, kind: LetterKind
) -> None:
    context, letter = rendered[regime, kind]
    table = letter.table_starting("Line")
    assert table[0] == ["Line", "Code", "Description", "Units", "Dates of service", "Decision"]
    rows = {row[0]: row for row in table[1:]}
    assert len(rows) == len(context.services)
    for service in context.services:
        row = rows[str(service.sequence)]
        assert row[1].startswith(service.code)
        assert row[3] == str(service.units)


@pytest.mark.parametrize(
    ("regime", "kind"),
    [(r, k) for r, k in cases() if k is not LetterKind.MISSED_DEADLINE],
)
def test_denial_reason_quoted_verbatim(rendered: Rendered, regime: str, kind: LetterKind) -> None:
    context, letter = rendered[regime, kind]
    reasons = context.denial.reasons
    assert reasons
    if kind is LetterKind.CLAIM_FILE_REQUEST:
        return  # the claim-file request names the decision but does not argue it
    for reason in reasons:
        assert f"“{reason.text}”" in letter.paragraphs


@pytest.mark.parametrize(("regime", "kind"), list(CITATIONS))
def test_regime_citations(rendered: Rendered, regime: str, kind: LetterKind) -> None:
    _, letter = rendered[regime, kind]
    for citation in CITATIONS[regime, kind]:
        assert citation in letter.text, citation


@pytest.mark.parametrize("regime", REGIMES)
def test_expedited_uses_the_regulation_words(rendered: Rendered, regime: str) -> None:
    _, letter = rendered[regime, LetterKind.APPEAL_EXPEDITED]
    assert EXPEDITED_WORDS[regime] in letter.text
    assert "EXPEDITED REVIEW REQUESTED" in letter.text


@pytest.mark.parametrize(("regime", "kind"), cases())
def test_deadlines_with_their_citation(rendered: Rendered, regime: str, kind: LetterKind) -> None:
    context, letter = rendered[regime, kind]
    shown = [
        fact
        for fact in (
            context.payer_deadline,
            context.filing_deadline,
            context.missed_deadline,
        )
        if fact is not None
    ]
    if kind in (
        LetterKind.APPEAL_LEVEL1,
        LetterKind.APPEAL_EXPEDITED,
        LetterKind.EXTERNAL_REVIEW_REQUEST,
        LetterKind.MISSED_DEADLINE,
    ):
        assert shown, "this kind must cite a deadline"
    for fact in shown:
        assert fact.rule in letter.text
        assert fact.due_display in letter.text
    if kind in (LetterKind.APPEAL_LEVEL1, LetterKind.APPEAL_EXPEDITED):
        payer = context.payer_deadline
        assert payer.event == "appeal_decision"
        assert f"due by {payer.due_display}" in letter.text


@pytest.mark.parametrize(("regime", "kind"), cases())
def test_enclosures_are_numbered(rendered: Rendered, regime: str, kind: LetterKind) -> None:
    context, letter = rendered[regime, kind]
    exhibits = context.exhibits
    heading = f"Enclosures ({len(exhibits)})"
    assert heading in letter.paragraphs
    items = letter.enclosures()
    assert [item.split("\t")[0] for item in items] == [f"{n}." for n in range(1, len(items) + 1)]
    for exhibit, item in zip(exhibits, items, strict=True):
        assert item.startswith(f"{exhibit.number}.\t{exhibit.title}")


@pytest.mark.parametrize(("regime", "kind"), cases())
def test_page_setup_footer_and_font(rendered: Rendered, regime: str, kind: LetterKind) -> None:
    context, letter = rendered[regime, kind]
    section = letter.document.sections[0]
    assert (section.page_width, section.page_height) == (Inches(8.5), Inches(11))
    for margin in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        assert getattr(section, margin) == Inches(1)
    footer = letter.footer_xml()
    assert re.search(r"<w:instrText[^>]*> PAGE </w:instrText>", footer)
    assert re.search(r"<w:instrText[^>]*> NUMPAGES </w:instrText>", footer)
    assert footer.count('w:fldCharType="begin"') == 2
    assert "CONFIDENTIAL" in footer
    assert context.reference in footer


def test_one_font_family_everywhere(
    rendered: Rendered,
) -> None:
    _, letter = rendered["ma", LetterKind.APPEAL_LEVEL1]
    buffer = BytesIO()
    letter.document.save(buffer)
    package = zipfile.ZipFile(buffer)
    for name in ("word/styles.xml", "word/document.xml", "word/footer1.xml"):
        xml = package.read(name).decode()
        fonts = set()
        for attributes in re.findall(r"<w:rFonts ([^>]*)/>", xml):
            assert "theme=" not in attributes.lower(), (name, attributes)
            fonts |= set(re.findall(r'="([^"]+)"', attributes))
        assert fonts <= {FONT}, (name, fonts)


@pytest.mark.parametrize(("regime", "kind"), cases())
def test_every_style_used_exists(rendered: Rendered, regime: str, kind: LetterKind) -> None:
    _, letter = rendered[regime, kind]
    buffer = BytesIO()
    letter.document.save(buffer)
    package = zipfile.ZipFile(buffer)
    defined = set(re.findall(r'w:styleId="([^"]+)"', package.read("word/styles.xml").decode()))
    for name in ("word/document.xml", "word/footer1.xml", "word/numbering.xml"):
        used = set(re.findall(r'<w:(?:p|t|r)Style w:val="([^"]+)"', package.read(name).decode()))
        assert used <= defined, (name, used - defined)
    assert "docProps/thumbnail.jpeg" not in package.namelist()


def test_letterhead_addressee_and_signature(
    rendered: Rendered,
) -> None:
    context, letter = rendered["ma", LetterKind.APPEAL_LEVEL1]
    paragraphs = letter.paragraphs
    assert paragraphs[0] == context.letterhead.name
    assert "November 23, 2026" in paragraphs
    assert "Sunrise Medicare Advantage" in paragraphs
    assert "Fax: (800) 555-0119" in paragraphs
    assert "Dana Whitfield, RN, CCM" in paragraphs
    # P2P, claim file and individualized human review are requested (DOMAIN.md 2.4 item 8-9).
    assert "Peer-to-peer review." in letter.text
    assert "Claim file, criteria and reviewer credentials." in letter.text
    assert "Individualized human review." in letter.text
    assert "If the denial is upheld" in paragraphs


def test_letter_of_medical_necessity_is_for_the_physician(
    rendered: Rendered,
) -> None:
    context, letter = rendered["ma", LetterKind.LETTER_OF_MEDICAL_NECESSITY]
    assert context.signer.npi == "1234567893"
    assert any(p.startswith("______") and "Date:" in p for p in letter.paragraphs)
    assert "Rafael Ortiz, MD" in letter.paragraphs


def test_peer_to_peer_offers_call_windows(
    rendered: Rendered,
) -> None:
    context, letter = rendered["erisa", LetterKind.PEER_TO_PEER_REQUEST]
    for window in context.peer_to_peer.availability:
        assert window in letter.paragraphs
    assert "physician" in letter.text


def test_medicaid_fair_hearing_goes_to_the_state(
    rendered: Rendered,
) -> None:
    _, letter = rendered["medicaid", LetterKind.EXTERNAL_REVIEW_REQUEST]
    assert "Illinois Department of Healthcare and Family Services" in letter.paragraphs
    assert any(p.startswith("cc: Prairie Community Health Plan") for p in letter.paragraphs)
    assert "Dear Hearing Officer:" in letter.paragraphs
