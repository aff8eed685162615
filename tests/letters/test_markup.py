"""The line markup: grammar, inline runs, and escaping of user text."""

from __future__ import annotations

import pytest

from letters.markup import (
    LINE_BREAK,
    BlockKind,
    MarkupError,
    Run,
    clean_text,
    escape,
    parse,
    parse_inline,
)


def test_grammar_one_line_one_block() -> None:
    blocks = parse(
        "# Heading\n\n## Sub\n- bullet\n3. third\n> quoted\n::services_table\nplain text\n   \n"
    )
    assert [b.kind for b in blocks] == [
        BlockKind.HEADING,
        BlockKind.HEADING,
        BlockKind.BULLET,
        BlockKind.NUMBERED,
        BlockKind.QUOTE,
        BlockKind.DIRECTIVE,
        BlockKind.PARAGRAPH,
    ]
    assert blocks[1].level == 2
    assert blocks[3].label == "3."
    assert blocks[5].name == "services_table"


def test_unknown_directive_is_a_template_error() -> None:
    with pytest.raises(MarkupError, match="::nope"):
        parse("::nope")


def test_inline_bold_italic_and_backslash() -> None:
    assert parse_inline(r"a **b** *c* \*d\*") == [
        Run("a "),
        Run("b", bold=True),
        Run(" "),
        Run("c", italic=True),
        Run(" *d*"),
    ]


def test_escaped_text_is_never_structure() -> None:
    hostile = "# not a heading\n- not a bullet\n1. not numbered\n::services_table **x** \\"
    markup = f"{escape(hostile)}\n- {escape('**still literal**')}"
    blocks = parse(markup)
    assert [b.kind for b in blocks] == [BlockKind.PARAGRAPH, BlockKind.BULLET]
    assert blocks[0].runs() == [Run(hostile.replace("\n", LINE_BREAK))]
    assert blocks[1].runs() == [Run("**still literal**")]


def test_escape_drops_characters_xml_cannot_hold() -> None:
    assert clean_text("a\x00b\x1fc\ufffed\ue000e") == "abcde"
    assert clean_text("one\r\ntwo\x0bthree\x0cfour") == LINE_BREAK.join(
        ["one", "two", "three", "four"]
    )
    assert escape("") == ""
    assert escape(escape("x")) == escape("x")
