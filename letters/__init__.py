"""Appeal and case letters: jinja2 templates rendered to real .docx business letters.

Public API (Temporal activities and the `priorauth letter` command call these):

- `LetterKind`, `kind_spec(kind)`, `SPECS`: the kinds and the context fields each needs.
- `build_letter_context(case, kind=..., now=..., deadlines=..., organization=..., ...)
  -> LetterContext`: the facts of one letter; the deadlines it cites are the case's recorded
  ones (`letters.clocks`), the engine only for moments nothing records yet.
- `render_letter(context, override_dir=None) -> RenderedLetter`: .docx bytes, checksum,
  template version and the context JSON that reproduces it; raises `MissingLetterFields`
  (every missing field at once) or `LetterTemplateError`.
- `write_letter(letter, path)`: atomic write (temporary file, then rename).
- `LetterCaseFile`, `context_from_case_file(...)`: the JSON case-file format of the command.

Pipeline: context -> sandboxed jinja2 template -> line markup (`letters.markup`) -> one
python-docx renderer (`letters.render_docx`). See docs/letters.md.

The names load on first use (PEP 562): importing `letters.kinds` alone, as the command line
does to list the kinds, then costs neither jinja2, python-docx, the settings nor the deadline
engine.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from letters.build import build_letter_context
    from letters.case_file import LetterCaseFile, context_from_case_file
    from letters.context import LetterContext
    from letters.errors import (
        LetterError,
        LetterInputError,
        LetterTemplateError,
        MissingField,
        MissingLetterFields,
    )
    from letters.inputs import (
        Addressee,
        ArgumentInput,
        ExhibitInput,
        LetterDetails,
        Letterhead,
        PeerToPeerInput,
        PriorTreatment,
        RequestFlags,
        Sender,
        Signer,
        SignerRole,
    )
    from letters.kinds import SPECS, KindSpec, LetterKind, kind_spec
    from letters.render import RenderedLetter, missing_fields, render_letter, write_letter

__all__ = [
    "SPECS",
    "Addressee",
    "ArgumentInput",
    "ExhibitInput",
    "KindSpec",
    "LetterCaseFile",
    "LetterContext",
    "LetterDetails",
    "LetterError",
    "LetterInputError",
    "LetterKind",
    "LetterTemplateError",
    "Letterhead",
    "MissingField",
    "MissingLetterFields",
    "PeerToPeerInput",
    "PriorTreatment",
    "RenderedLetter",
    "RequestFlags",
    "Sender",
    "Signer",
    "SignerRole",
    "build_letter_context",
    "context_from_case_file",
    "kind_spec",
    "missing_fields",
    "render_letter",
    "write_letter",
]

# Where each public name lives; `__getattr__` imports its module the first time it is asked for.
_HOMES = {
    "LetterCaseFile": "letters.case_file",
    "context_from_case_file": "letters.case_file",
    "Addressee": "letters.inputs",
    "ArgumentInput": "letters.inputs",
    "ExhibitInput": "letters.inputs",
    "LetterContext": "letters.context",
    "LetterDetails": "letters.inputs",
    "Letterhead": "letters.inputs",
    "PeerToPeerInput": "letters.inputs",
    "PriorTreatment": "letters.inputs",
    "RequestFlags": "letters.inputs",
    "Signer": "letters.inputs",
    "SignerRole": "letters.inputs",
    "Sender": "letters.inputs",
    "build_letter_context": "letters.build",
    "LetterError": "letters.errors",
    "LetterInputError": "letters.errors",
    "LetterTemplateError": "letters.errors",
    "MissingField": "letters.errors",
    "MissingLetterFields": "letters.errors",
    "SPECS": "letters.kinds",
    "KindSpec": "letters.kinds",
    "LetterKind": "letters.kinds",
    "kind_spec": "letters.kinds",
    "RenderedLetter": "letters.render",
    "missing_fields": "letters.render",
    "render_letter": "letters.render",
    "write_letter": "letters.render",
}

if not TYPE_CHECKING:  # mypy reads the imports above, so a misspelt name stays an error

    def __getattr__(name: str) -> Any:
        home = _HOMES.get(name)
        if home is None:
            raise AttributeError(f"module 'letters' has no attribute {name!r}")
        value = getattr(importlib.import_module(home), name)
        globals()[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted([*globals(), *_HOMES])
