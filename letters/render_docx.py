"""The one renderer: markup blocks plus the letter context to a US Letter business letter.

Layout: US Letter, one-inch margins, one font family (`FONT`) in every style; letterhead,
date, addressee, an RE table, headings, paragraphs, bullets, numbered items, quotes, tables of
services and diagnoses, signature block; footer with the case reference, "Page X of Y" as real
PAGE / NUMPAGES fields, and a confidentiality line.

Numbered items keep the number the template wrote, as text with a hanging indent, instead of
Word's automatic numbering: exhibit and argument numbers are cited elsewhere in the letter and
must not change when someone edits the document.

Speed: python-docx owns the package (styles, section, footer part, core properties, saving),
but its per-element API costs about half a millisecond per paragraph. The body and the footer
are therefore written as WordprocessingML strings (text escaped here, after `markup` already
removed characters XML cannot hold) and parsed once with `docx.oxml.parse_xml`. The base
document (styles trimmed to the ones used, page and footer set up, no thumbnail or legacy
parts) is built once per process and reopened from bytes for each letter.

Reproducibility: the zip entries get a fixed timestamp (zipfile would stamp them with the
current time) and the core properties come from the context, so the same context gives the
same bytes.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from functools import lru_cache
from io import BytesIO
from typing import Any
from xml.sax.saxutils import escape as xml_escape

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.opc.packuri import PackURI
from docx.opc.pkgwriter import PackageWriter
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Inches, Pt, RGBColor

from letters.context import LetterContext
from letters.inputs import Signer
from letters.markup import LINE_BREAK, Block, BlockKind, MarkupError, Run, clean_text

FONT = "Calibri"
BODY_SIZE = Pt(11)
SMALL_SIZE = Pt(8)
PAGE_WIDTH = Inches(8.5)
PAGE_HEIGHT = Inches(11)
MARGIN = Inches(1)
TEXT_INCHES = 6.5  # 8.5 in page - 2 x 1 in margins
CONFIDENTIALITY = (
    "CONFIDENTIAL: this letter contains protected health information. If you received it in "
    "error, please notify the sender and destroy it."
)
ADDRESS_PLACEHOLDER = "[Address or fax not on file: confirm from the denial notice]"

_KEEP_STYLES = frozenset(
    {
        "Normal",
        "DefaultParagraphFont",
        "TableNormal",
        "NoList",
        "Heading1",
        "Heading1Char",
        "Heading2",
        "Heading2Char",
        "Heading3",
        "Heading3Char",
        "ListBullet",
        "ListParagraph",
        "TableGrid",
        "Header",
        "HeaderChar",
        "Footer",
        "FooterChar",
    }
)
_DROP_RELTYPES = (
    "/metadata/thumbnail",
    "/stylesWithEffects",
    "/customXml",
)
_HEADER_FILL = "D9D9D9"


def render_docx(blocks: list[Block], context: LetterContext, *, title: str) -> bytes:
    """The .docx bytes of one letter; deterministic for a given context and blocks."""
    document = Document(BytesIO(_base_document()))
    body = document.element.body
    section_properties = body.sectPr
    body_xml = "".join(_Body(context).blocks(blocks))
    for element in parse_xml(f"<w:body {nsdecls('w')}>{body_xml}</w:body>"):
        section_properties.addprevious(element)
    footer = document.sections[0].footer.paragraphs[0]._p.getparent()
    for child in list(footer):
        footer.remove(child)
    for element in parse_xml(f"<w:ftr {nsdecls('w')}>{_footer_xml(context)}</w:ftr>"):
        footer.append(element)
    _core_properties(document, context, title)
    return _save(document, context.generated_at)


# ---------------------------------------------------------------- base document


@lru_cache(maxsize=1)
def _base_document() -> bytes:
    document = Document()
    package = document.part.package
    for rels in (package.rels, document.part.rels):
        for rid in [rid for rid, rel in rels.items() if rel.reltype.endswith(_DROP_RELTYPES)]:
            del rels[rid]
    _trim_and_set_styles(document)
    # Numbering definitions of the list styles just removed would point at missing styles.
    numbering = document.part.numbering_part.element
    for link in list(numbering.iter(qn("w:pStyle"))):
        if link.get(qn("w:val")) not in _KEEP_STYLES:
            link.getparent().remove(link)
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width = PAGE_WIDTH
    section.page_height = PAGE_HEIGHT
    section.left_margin = section.right_margin = MARGIN
    section.top_margin = section.bottom_margin = MARGIN
    section.header_distance = section.footer_distance = Inches(0.5)
    section.footer.is_linked_to_previous = False
    # Stored, not deflated: it is reopened for every letter and never leaves the process.
    return _save(document, datetime(1980, 1, 1, tzinfo=UTC), compression=zipfile.ZIP_STORED)


def _set_fonts(element: Any) -> None:
    """Point every script slot of an rPr at FONT, replacing theme font references."""
    rpr = element.find(qn("w:rPr"))
    if rpr is None:
        rpr = OxmlElement("w:rPr")
        element.append(rpr)
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in list(fonts.attrib):
        if attr.lower().endswith("theme"):  # asciiTheme, hAnsiTheme, eastAsiaTheme, cstheme
            del fonts.attrib[attr]
    for slot in ("ascii", "hAnsi", "eastAsia", "cs"):
        fonts.set(qn(f"w:{slot}"), FONT)


def _trim_and_set_styles(document: Any) -> None:
    styles = document.styles.element
    latent = styles.find(qn("w:latentStyles"))
    if latent is not None:
        styles.remove(latent)
    for style in styles.findall(qn("w:style")):
        if style.get(qn("w:styleId")) not in _KEEP_STYLES:
            styles.remove(style)
    defaults = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault"))
    _set_fonts(defaults)
    for style in styles.findall(qn("w:style")):
        if style.get(qn("w:type")) in ("paragraph", "character"):
            _set_fonts(style)

    normal = document.styles["Normal"]
    normal.font.size = BODY_SIZE
    normal.paragraph_format.space_after = Pt(6)
    normal.paragraph_format.line_spacing = 1.08
    for name, size, before in (("Heading 1", 12, 12), ("Heading 2", 11, 8), ("Heading 3", 11, 6)):
        heading = document.styles[name]
        heading.font.size = Pt(size)
        heading.font.bold = True
        heading.font.italic = False
        heading.font.color.rgb = RGBColor(0, 0, 0)
        heading.paragraph_format.space_before = Pt(before)
        heading.paragraph_format.space_after = Pt(3)
        heading.paragraph_format.keep_with_next = True
    for name in ("Heading 1 Char", "Heading 2 Char", "Heading 3 Char"):
        document.styles[name].font.color.rgb = RGBColor(0, 0, 0)
    document.styles["List Bullet"].paragraph_format.space_after = Pt(3)
    footer = document.styles["Footer"]
    footer.font.size = SMALL_SIZE
    # The template's center/right tabs (3 in, 6 in) would catch our right-margin tab first.
    for tabs in footer.element.findall(f"{qn('w:pPr')}/{qn('w:tabs')}"):
        tabs.getparent().remove(tabs)


# ---------------------------------------------------------------- body

_TWIPS_PER_INCH = 1440
_TEXT_TWIPS = round(TEXT_INCHES * _TWIPS_PER_INCH)


def _run(text: str, *, bold: bool = False, italic: bool = False, size: float | None = None) -> str:
    props = ("<w:b/>" if bold else "") + ("<w:i/>" if italic else "")
    if size is not None:
        half_points = round(size * 2)
        props += f'<w:sz w:val="{half_points}"/><w:szCs w:val="{half_points}"/>'
    content: list[str] = []
    for index, line in enumerate(clean_text(text).split(LINE_BREAK)):
        if index:
            content.append("<w:br/>")
        for position, piece in enumerate(line.split("\t")):
            if position:
                content.append("<w:tab/>")
            if piece:
                content.append(f'<w:t xml:space="preserve">{xml_escape(piece)}</w:t>')
    rpr = f"<w:rPr>{props}</w:rPr>" if props else ""
    return f"<w:r>{rpr}{''.join(content)}</w:r>"


def _runs(runs: Iterable[Run], size: float | None = None) -> str:
    return "".join(_run(r.text, bold=r.bold, italic=r.italic, size=size) for r in runs)


def _paragraph(
    content: str,
    *,
    style: str | None = None,
    keep_next: bool = False,
    border: str | None = None,
    tab: tuple[str, int] | None = None,
    before: float | None = None,
    after: float | None = None,
    left: int | None = None,
    right: int | None = None,
    hanging: int | None = None,
    center: bool = False,
) -> str:
    """A w:p; pPr children are written in the order the schema requires."""
    ppr: list[str] = []
    if style:
        ppr.append(f'<w:pStyle w:val="{style}"/>')
    if keep_next:
        ppr.append("<w:keepNext/>")
    if border:
        ppr.append(
            f'<w:pBdr><w:{border} w:val="single" w:sz="6" w:space="4" w:color="808080"/></w:pBdr>'
        )
    if tab:
        ppr.append(f'<w:tabs><w:tab w:val="{tab[0]}" w:pos="{tab[1]}"/></w:tabs>')
    if before is not None or after is not None:
        spacing = "" if before is None else f' w:before="{round(before * 20)}"'
        spacing += "" if after is None else f' w:after="{round(after * 20)}"'
        ppr.append(f"<w:spacing{spacing}/>")
    if left is not None or right is not None or hanging is not None:
        ind = "" if left is None else f' w:left="{left}"'
        ind += "" if right is None else f' w:right="{right}"'
        ind += "" if hanging is None else f' w:hanging="{hanging}"'
        ppr.append(f"<w:ind{ind}/>")
    if center:
        ppr.append('<w:jc w:val="center"/>')
    properties = f"<w:pPr>{''.join(ppr)}</w:pPr>" if ppr else ""
    return f"<w:p>{properties}{content}</w:p>"


def _table(
    rows: list[list[str]],
    widths: list[float],
    *,
    grid: bool,
    header: bool,
    bold_first_column: bool = False,
    size: float | None = None,
) -> str:
    twips = [round(width * _TWIPS_PER_INCH) for width in widths]
    style = '<w:tblStyle w:val="TableGrid"/>' if grid else ""
    pad = 30 if grid else 0
    margins = "".join(
        f'<w:{side} w:w="{width}" w:type="dxa"/>'
        for side, width in (("top", pad), ("left", 80), ("bottom", pad), ("right", 80))
    )
    properties = (
        f'<w:tblPr>{style}<w:tblW w:w="{sum(twips)}" w:type="dxa"/>'
        f'<w:jc w:val="{"center" if grid else "left"}"/><w:tblLayout w:type="fixed"/>'
        f"<w:tblCellMar>{margins}</w:tblCellMar></w:tblPr>"
    )
    columns = "".join(f'<w:gridCol w:w="{width}"/>' for width in twips)
    out = [f"<w:tbl>{properties}<w:tblGrid>{columns}</w:tblGrid>"]
    for row_index, values in enumerate(rows):
        is_header = header and row_index == 0
        row_properties = "<w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>" if is_header else ""
        if not is_header:
            row_properties = "<w:trPr><w:cantSplit/></w:trPr>"
        cells: list[str] = []
        for column, (value, width) in enumerate(zip(values, twips, strict=True)):
            shade = f'<w:shd w:val="clear" w:color="auto" w:fill="{_HEADER_FILL}"/>'
            cell_properties = f'<w:tcPr><w:tcW w:w="{width}" w:type="dxa"/>'
            cell_properties += (shade if is_header else "") + "</w:tcPr>"
            bold = is_header or (bold_first_column and column == 0)
            text = _run(value, bold=bold, size=size) if value else ""
            cells.append(f"<w:tc>{cell_properties}{_paragraph(text, after=0)}</w:tc>")
        out.append(f"<w:tr>{row_properties}{''.join(cells)}</w:tr>")
    out.append("</w:tbl>")
    return "".join(out)


class _Body:
    """Block by block, the WordprocessingML of the letter body."""

    def __init__(self, context: LetterContext) -> None:
        self.context = context

    def blocks(self, blocks: list[Block]) -> Iterable[str]:
        for index, block in enumerate(blocks):
            following = blocks[index + 1] if index + 1 < len(blocks) else None
            # Keep the closing ("Sincerely,") on the page of the signature block.
            keep = following is not None and following.name == "signature"
            yield self.block(block, keep_next=keep)

    def block(self, block: Block, *, keep_next: bool = False) -> str:
        kind = block.kind
        if kind is BlockKind.PARAGRAPH:
            return _paragraph(_runs(block.runs()), keep_next=keep_next)
        if kind is BlockKind.HEADING:
            return _paragraph(_runs(block.runs()), style=f"Heading{block.level}")
        if kind is BlockKind.BULLET:
            return _paragraph(_runs(block.runs()), style="ListBullet")
        if kind is BlockKind.NUMBERED:
            content = _run(block.label + "\t") + _runs(block.runs())
            return _paragraph(content, tab=("left", 540), after=4, left=540, hanging=540)
        if kind is BlockKind.QUOTE:
            return _paragraph(_runs(block.runs()), border="left", left=720, right=720)
        handlers: dict[str, Callable[[], str]] = {
            "letterhead": self.letterhead,
            "date": self.date,
            "addressee": self.addressee,
            "re_block": self.re_block,
            "services_table": self.services_table,
            "diagnoses_table": self.diagnoses_table,
            "signature": lambda: self.signature(wet="wet" in block.args),
            "page_break": lambda: '<w:p><w:r><w:br w:type="page"/></w:r></w:p>',
        }
        handler = handlers.get(block.name)
        if handler is None:
            raise MarkupError(f"unknown directive '::{block.name}'")
        return handler()

    @staticmethod
    def lines(lines: list[tuple[str, bool]], *, after: float = 0, together: bool = False) -> str:
        last = len(lines) - 1
        return "".join(
            _paragraph(
                _run(text, bold=bold) if text else "",
                keep_next=together and index < last,
                after=after if index == last else 0,
            )
            for index, (text, bold) in enumerate(lines)
        )

    def letterhead(self) -> str:
        head = self.context.letterhead
        contact = " · ".join(
            part
            for part in (
                f"Phone {head.phone}" if head.phone else None,
                f"Fax {head.fax}" if head.fax else None,
                head.email,
            )
            if part
        )
        details = [
            line for line in (head.department, " · ".join(head.address_lines), contact) if line
        ]
        out = [_paragraph(_run(head.name, bold=True, size=16), after=0, center=True)]
        for index, line in enumerate(details):
            last = index == len(details) - 1
            out.append(
                _paragraph(
                    _run(line, size=9),
                    after=18 if last else 0,
                    border="bottom" if last else None,
                    center=True,
                )
            )
        return "".join(out)

    def date(self) -> str:
        return _paragraph(_run(self.context.letter_date_display), after=12)

    def addressee(self) -> str:
        to = self.context.addressee
        lines = [(to.name, False)]
        if to.attention:
            lines.append((f"Attn: {to.attention}", False))
        lines.extend((line, False) for line in to.address_lines)
        if to.fax:
            lines.append((f"Fax: {to.fax}" if to.address_lines else f"Via fax: {to.fax}", False))
        if not to.delivery_lines:
            # Never an invented address: a placeholder the signer replaces (see drafting notes).
            lines.append((ADDRESS_PLACEHOLDER, True))
        return self.lines(lines, after=12)

    def re_block(self) -> str:
        rows = [[item.label, item.value] for item in self.context.re_block]
        label = 1.9
        heading = _paragraph(_run("RE:", bold=True), keep_next=True, after=2)
        table = _table(
            rows,
            [label, TEXT_INCHES - label],
            grid=False,
            header=False,
            bold_first_column=True,
        )
        return heading + table + _paragraph("", after=0)

    def services_table(self) -> str:
        rows = [["Line", "Code", "Description", "Units", "Dates of service", "Decision"]]
        for s in self.context.services:
            # An X12 service type is not a procedure code: no code in the Code column, the
            # description carries the code with its system ("X12 service type 3 — ...").
            code = s.code_label if s.procedure_code else "—"
            where = f" (POS {s.place_of_service})" if s.place_of_service else ""
            rows.append(
                [
                    str(s.sequence),
                    code,
                    s.service_label + where,
                    str(s.units),
                    s.dates,
                    s.decision or "",
                ]
            )
        widths = [0.45, 0.85, 2.3, 0.55, 1.25, 1.1]
        return _table(rows, widths, grid=True, header=True, size=10) + _paragraph("", after=0)

    def diagnoses_table(self) -> str:
        rows = [["ICD-10-CM", "Description"]]
        rows.extend(
            [d.code, (d.description or "") + (" (primary)" if d.primary else "")]
            for d in self.context.diagnoses
        )
        widths = [1.1, 5.4]
        return _table(rows, widths, grid=True, header=True, size=10) + _paragraph("", after=0)

    def signature(self, *, wet: bool) -> str:
        signer = self.context.signer
        if signer is None:
            raise MarkupError("::signature needs a signer")
        lines: list[tuple[str, bool]] = [("", False)] * (1 if wet else 2)
        if wet:
            lines.append(("______________________________    Date: ______________", False))
        lines.extend((line, index == 0) for index, line in enumerate(_signer_lines(signer)))
        return self.lines(lines, after=12, together=True)


def _footer_xml(context: LetterContext) -> str:
    def field(instruction: str) -> str:
        return (
            '<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
            f'<w:r><w:instrText xml:space="preserve"> {instruction} </w:instrText></w:r>'
            '<w:r><w:fldChar w:fldCharType="separate"/></w:r>'
            f"{_run('1')}"
            '<w:r><w:fldChar w:fldCharType="end"/></w:r>'
        )

    reference = f"Ref. {context.reference} · Member ID {context.member.member_id}\tPage "
    page = _run(reference) + field("PAGE") + _run(" of ") + field("NUMPAGES")
    first = _paragraph(page, style="Footer", tab=("right", _TEXT_TWIPS))
    notice = _paragraph(_run(CONFIDENTIALITY, italic=True), style="Footer")
    return first + notice


def _signer_lines(signer: Signer) -> list[str]:
    contact = " · ".join(
        part
        for part in (
            f"Phone {signer.phone}" if signer.phone else None,
            f"Fax {signer.fax}" if signer.fax else None,
            signer.email,
        )
        if part
    )
    lines = [signer.display_name, signer.title, signer.organization]
    if signer.npi:
        lines.append(f"NPI {signer.npi}")
    lines.append(contact)
    return [line for line in lines if line]


# ---------------------------------------------------------------- package


def _core_properties(document: Any, context: LetterContext, title: str) -> None:
    props = document.core_properties
    stamp = context.generated_at.astimezone(UTC).replace(microsecond=0)
    props.title = title
    props.subject = f"Reference {context.reference}"
    props.author = context.letterhead.name
    props.last_modified_by = context.letterhead.name
    props.comments = ""
    props.keywords = f"priorauth letter {context.kind.value}"
    props.category = "Correspondence"
    props.language = "en-US"
    props.revision = 1
    props.created = stamp
    props.modified = stamp


class _FixedTimeZip:
    """The physical-package writer python-docx's PackageWriter expects, with fixed dates."""

    def __init__(self, moment: datetime, compression: int) -> None:
        stamp = moment.astimezone(UTC)
        self.date_time = (max(stamp.year, 1980), stamp.month, stamp.day, stamp.hour, 0, 0)
        self.compression = compression
        self.buffer = BytesIO()
        self.zip = zipfile.ZipFile(self.buffer, "w", compression)

    def write(self, pack_uri: PackURI, blob: bytes) -> None:
        info = zipfile.ZipInfo(pack_uri.membername, date_time=self.date_time)
        info.compress_type = self.compression
        info.create_system = 0
        # Level 1: letters are small; the default level costs more time than it saves bytes.
        self.zip.writestr(info, blob, compresslevel=1)

    def close(self) -> None:
        self.zip.close()


def _save(document: Any, moment: datetime, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """What `Document.save` does, through a writer with fixed entry timestamps.

    Uses PackageWriter's static helpers (python-docx 1.x, pinned <2 in pyproject); the
    determinism test fails loudly if a release changes them.
    """
    package = document.part.package
    parts = list(package.parts)
    for part in parts:
        part.before_marshal()
    writer = _FixedTimeZip(moment, compression)
    helpers: Any = PackageWriter
    helpers._write_content_types_stream(writer, parts)
    helpers._write_pkg_rels(writer, package.rels)
    helpers._write_parts(writer, parts)
    writer.close()
    return writer.buffer.getvalue()
