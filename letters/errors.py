"""Errors raised while building or rendering a letter.

Messages name fields, templates and rules, never values: a letter is made of PHI and these
messages end up in worker logs and Temporal failure records.
"""

from __future__ import annotations

from dataclasses import dataclass


class LetterError(Exception):
    """Base class: the letter could not be produced (nothing was written)."""


@dataclass(frozen=True, slots=True)
class MissingField:
    """One fact a letter kind needs that the case does not have."""

    field: str
    hint: str = ""

    def __str__(self) -> str:
        return f"{self.field} ({self.hint})" if self.hint else self.field


class MissingLetterFields(LetterError):  # noqa: N818 (the name the issue and callers use)
    """Every field the letter kind needs and the context lacks, listed at once."""

    def __init__(
        self, kind: str, missing: list[MissingField], notes: list[str] | None = None
    ) -> None:
        self.kind = kind
        self.missing = list(missing)
        self.notes = list(notes or [])
        lines = [f"letter '{kind}' cannot be rendered; missing fields:"]
        lines.extend(f"  - {item}" for item in self.missing)
        if self.notes:
            lines.append("notes from the deadline engine:")
            lines.extend(f"  - {note}" for note in self.notes)
        super().__init__("\n".join(lines))

    @property
    def fields(self) -> list[str]:
        return [item.field for item in self.missing]


class LetterInputError(LetterError):
    """The inputs are present but inconsistent (e.g. an argument cites an unknown exhibit)."""


class LetterTemplateError(LetterError):
    """A template is broken or unsafe: syntax error, sandbox violation, unknown attribute."""
