"""A stored letter (.docx) read back as blocks of text for the HTML preview: headings,
paragraphs and table rows, in document order. The .docx stays the letter that is sent."""

from __future__ import annotations

import io
from dataclasses import dataclass

from docx import Document
from docx.table import Table
from docx.text.paragraph import Paragraph


@dataclass(frozen=True)
class Block:
    kind: str  # heading, paragraph, row
    text: str = ""
    cells: tuple[str, ...] = ()


def blocks(content: bytes) -> list[Block]:
    document = Document(io.BytesIO(content))
    found: list[Block] = []
    for item in document.iter_inner_content():
        if isinstance(item, Paragraph):
            text = item.text.strip()
            if not text:
                continue
            heading = (item.style.name if item.style is not None else "").startswith(
                ("Heading", "Title")
            )
            found.append(Block("heading" if heading else "paragraph", text))
        elif isinstance(item, Table):
            for row in item.rows:
                found.append(Block("row", cells=tuple(cell.text.strip() for cell in row.cells)))
    return found
