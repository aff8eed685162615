"""Render a `LetterContext` to a `RenderedLetter`, and write it to disk atomically.

Order: check every requirement of the kind (all missing fields in one `MissingLetterFields`),
render the template in the sandbox, parse the markup, build the .docx in memory. Nothing
touches the disk until `write_letter`, which writes a temporary file beside the target and
renames it, so a failed render never leaves a partial or stale-looking letter behind.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

from jinja2 import TemplateError, TemplateNotFound, TemplateSyntaxError, UndefinedError
from jinja2.exceptions import SecurityError
from pydantic import BaseModel, ConfigDict

from letters.context import LetterContext
from letters.errors import LetterError, LetterTemplateError, MissingField, MissingLetterFields
from letters.kinds import LetterKind, kind_spec
from letters.markup import MarkupError, parse
from letters.render_docx import render_docx
from letters.templating import environment, template_version

DOCX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class RenderedLetter(BaseModel):
    """One rendered letter with what is needed to store it and to reproduce it."""

    model_config = ConfigDict(frozen=True, ser_json_bytes="base64", val_json_bytes="base64")

    kind: LetterKind
    template_name: str
    template_version: str
    template_origin: str
    checksum: str
    context_json: str
    docx: bytes
    filename: str
    media_type: str = DOCX_MEDIA_TYPE


def missing_fields(context: LetterContext) -> list[MissingField]:
    """Every requirement of the context's kind that the context does not meet."""
    spec = kind_spec(context.kind)
    missing: list[MissingField] = []
    for requirement in spec.requirements(context.plan.regime):
        if all(_is_blank(_resolve(context, path)) for path in requirement.paths):
            missing.append(MissingField(requirement.label, requirement.hint))
    if context.denial is not None and any(
        not (reason.text or reason.reason_code) for reason in context.denial.reasons
    ):
        missing.append(MissingField("denial.reasons[].text", "decision.items[].reason_text"))
    return missing


def render_letter(context: LetterContext, *, override_dir: Path | None = None) -> RenderedLetter:
    """Render one letter in memory. Raises `MissingLetterFields` or `LetterTemplateError`."""
    missing = missing_fields(context)
    if missing:
        raise MissingLetterFields(context.kind.value, missing, context.deadline_notes)
    spec = kind_spec(context.kind)
    env = environment(override_dir)
    try:
        template = env.get_template(spec.template)
        version = template_version(env, spec.template)
        markup = template.render(ctx=context, **{name: getattr(context, name) for name in _NAMES})
        blocks = parse(markup)
    except LetterError:
        raise
    except TemplateNotFound as exc:
        raise LetterTemplateError(f"no template '{exc.name}' for letter '{spec.kind}'") from None
    except TemplateSyntaxError as exc:
        raise LetterTemplateError(
            f"{exc.name or spec.template}:{exc.lineno}: {exc.message}"
        ) from None
    except SecurityError as exc:
        raise LetterTemplateError(f"{spec.template}: blocked by the sandbox: {exc}") from None
    except UndefinedError as exc:
        raise LetterTemplateError(f"{spec.template}: {exc.message}") from None
    except (TemplateError, MarkupError) as exc:
        raise LetterTemplateError(f"{spec.template}: {exc}") from None
    except (TypeError, ValueError, AttributeError, KeyError, IndexError) as exc:
        raise LetterTemplateError(
            f"{spec.template}: template failed ({type(exc).__name__})"
        ) from None
    docx = render_docx(blocks, context, title=spec.title)
    return RenderedLetter(
        kind=context.kind,
        template_name=spec.template,
        template_version=version.version,
        template_origin=version.origin,
        checksum=hashlib.sha256(docx).hexdigest(),
        context_json=context.model_dump_json(),
        docx=docx,
        filename=suggested_filename(context),
    )


def write_letter(letter: RenderedLetter, path: Path) -> Path:
    """Write the .docx atomically: a temporary file in the same folder, then a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(letter.docx)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def suggested_filename(context: LetterContext) -> str:
    """`<case number>-<kind>-<date>.docx`: no names, so the file name carries no PHI."""
    reference = re.sub(r"[^A-Za-z0-9_-]+", "-", context.reference).strip("-") or context.case_id
    return f"{reference}-{context.kind.value}-{context.letter_date.isoformat()}.docx"


# Top-level names a template sees, besides `ctx` (the whole context).
_NAMES = tuple(LetterContext.model_fields)


def _resolve(context: LetterContext, path: str) -> object:
    value: object = context
    for part in path.split("."):
        if value is None:
            return None
        value = getattr(value, part)
    return value


def _is_blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, str | list | tuple | dict):
        return len(value) == 0
    return False
