"""The letter markup: what templates produce and the one docx renderer consumes.

A template renders to a few lines of plain text. Each line is one block:

    # Heading            ## Subheading
    - bullet item        3. numbered item (the label is kept as written)
    > quoted text        (the payer's words, set off and verbatim)
    ::directive args     (a block the renderer builds from the context: ::re_block, ...)
    anything else        a paragraph

One line is one block and blank lines mean nothing, so jinja tags on their own lines (which
leave blank lines behind) can never merge or split paragraphs.

Inline: `**bold**`, `*italic*`, and a backslash makes the next character literal (`\\*`).

User text (denial reasons, clinical notes, names) never becomes structure. Jinja's `finalize`
hook passes every `{{ ... }}` value through `escape`, which cleans it and wraps it in a
*literal span* between two private-use characters; the parser copies a literal span verbatim,
without looking for markers inside it, and a line that starts with one is a paragraph.
Line breaks inside user text become U+2028, which the renderer turns into a soft line break,
so user text cannot start a new line either. This is the same idea as HTML autoescaping, for
a syntax that HTML escaping does not cover.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

LITERAL_OPEN = "\ue000"
LITERAL_CLOSE = "\ue001"
LINE_BREAK = "\u2028"

# The directives the docx renderer implements; anything else is a template error.
DIRECTIVES = frozenset(
    {
        "letterhead",
        "date",
        "addressee",
        "re_block",
        "services_table",
        "diagnoses_table",
        "signature",
        "page_break",
    }
)

# Word pastes a vertical tab for a manual line break; treat every line-ending flavour alike.
_LINE_BREAKS = re.compile(r"\r\n|[\r\n\x0b\x0c\x85\u2028\u2029]")
# Not allowed in XML 1.0 (C0 controls, surrogates, U+FFFE/U+FFFF), invisible C1 controls and
# our own span delimiters.
_UNSAFE = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ue000\ue001\ufffe\uffff]")

_HEADING = re.compile(r"(#{1,3})\s+(.*)")
_BULLET = re.compile(r"-\s+(.*)")
_NUMBERED = re.compile(r"(\d{1,3})[.)]\s+(.*)")
_QUOTE = re.compile(r">\s?(.*)")
_DIRECTIVE = re.compile(r"::([a-z_]+)(?:\s+(.*))?")
_INLINE = re.compile(f"({LITERAL_OPEN}[^{LITERAL_CLOSE}]*{LITERAL_CLOSE}?|\\\\.|\\*\\*|\\*)")


class MarkupError(ValueError):
    """The template produced markup the renderer does not know (a template bug)."""


class Escaped(str):
    """Text already made safe for the markup; `finalize` leaves it alone."""

    __slots__ = ()


def clean_text(value: str) -> str:
    """User text as it may appear in a .docx: line breaks unified, unsafe characters dropped."""
    return _UNSAFE.sub("", _LINE_BREAKS.sub(LINE_BREAK, value))


def escape(value: object) -> Escaped:
    """The `esc` filter: user text to a literal span that can never become structure."""
    if isinstance(value, Escaped):
        return value
    text = clean_text(str(value))
    return Escaped(f"{LITERAL_OPEN}{text}{LITERAL_CLOSE}" if text else "")


class BlockKind(StrEnum):
    HEADING = "heading"
    PARAGRAPH = "paragraph"
    BULLET = "bullet"
    NUMBERED = "numbered"
    QUOTE = "quote"
    DIRECTIVE = "directive"


@dataclass(frozen=True, slots=True)
class Run:
    """A stretch of text with one formatting; may hold tabs and LINE_BREAK characters."""

    text: str
    bold: bool = False
    italic: bool = False


@dataclass(frozen=True, slots=True)
class Block:
    kind: BlockKind
    text: str = ""
    level: int = 0
    label: str = ""
    name: str = ""
    args: tuple[str, ...] = ()

    def runs(self) -> list[Run]:
        return parse_inline(self.text)

    def plain_text(self) -> str:
        return "".join(run.text for run in self.runs())


def parse(markup: str) -> list[Block]:
    """Split rendered template output into blocks (see the module docstring for the grammar)."""
    blocks: list[Block] = []
    for raw in markup.split("\n"):  # not splitlines(): U+2028 inside user text is no line end
        line = raw.strip(" \t\r")
        if not line:
            continue
        if match := _DIRECTIVE.fullmatch(line):
            name = match.group(1)
            if name not in DIRECTIVES:
                raise MarkupError(f"unknown directive '::{name}'")
            args = tuple((match.group(2) or "").split())
            blocks.append(Block(BlockKind.DIRECTIVE, name=name, args=args))
        elif match := _HEADING.fullmatch(line):
            blocks.append(Block(BlockKind.HEADING, text=match.group(2), level=len(match.group(1))))
        elif match := _BULLET.fullmatch(line):
            blocks.append(Block(BlockKind.BULLET, text=match.group(1)))
        elif match := _NUMBERED.fullmatch(line):
            label = f"{match.group(1)}."
            blocks.append(Block(BlockKind.NUMBERED, text=match.group(2), label=label))
        elif match := _QUOTE.fullmatch(line):
            blocks.append(Block(BlockKind.QUOTE, text=match.group(1)))
        else:
            blocks.append(Block(BlockKind.PARAGRAPH, text=line))
    return blocks


def parse_inline(text: str) -> list[Run]:
    """Inline markup to runs: `**bold**`, `*italic*`, `\\x` escapes, literal spans verbatim."""
    runs: list[Run] = []
    bold = italic = False
    for token in _INLINE.split(text):
        if not token:
            continue
        if token == "**":
            bold = not bold
            continue
        if token == "*":
            italic = not italic
            continue
        if token[0] == LITERAL_OPEN:
            piece = token[1:].removesuffix(LITERAL_CLOSE)
        elif token[0] == "\\" and len(token) == 2:
            piece = token[1]
        else:
            piece = token
        if not piece:
            continue
        if runs and runs[-1].bold == bold and runs[-1].italic == italic:
            runs[-1] = Run(runs[-1].text + piece, bold, italic)
        else:
            runs.append(Run(piece, bold, italic))
    return runs
