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
"""

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
