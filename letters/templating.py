"""The jinja2 environment letters are rendered in, and how a template's version is named.

Every template, built-in or an organization's override, runs in jinja2's
`ImmutableSandboxedEnvironment` (no access to internals, no mutation of the context) with
`StrictUndefined`. Autoescaping is off because it escapes for HTML; instead `finalize` sends
every `{{ ... }}` value through `markup.escape`, so printed values are always literal text and
only the template's own text can make headings, lists or directives. Printing `None` is an
error: a template must guard optional facts with `{% if %}`.

Lookup: the override directory (`Settings.template_override_dir`) first, then the built-in
`letters/templates/`; an override replaces the built-in file of the same name, including the
shared partials (`_letter.j2`, `_parts.j2`, ...).

Version: `<declared>+<hash>`, where `declared` comes from the template's header comment
(`{#- letter-template version: 2026.11.2 ... -#}`) and `hash` is the first 12 hex digits of a
SHA-256 over the sources of the template and every template it extends, includes or imports.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

from jinja2 import ChoiceLoader, FileSystemLoader, StrictUndefined, meta
from jinja2.sandbox import ImmutableSandboxedEnvironment

from letters.errors import LetterTemplateError
from letters.formatting import date_range, long_date, moment, short_date
from letters.markup import Escaped, escape

BUILTIN_DIR = Path(__file__).parent / "templates"
_DECLARED = re.compile(r"\{#-?\s*letter-template\s+version:\s*([\w.+-]+)")


def finalize(value: object) -> str:
    """Applied by jinja to every printed value: escape text, format dates, refuse None."""
    if isinstance(value, Escaped):
        return value
    if value is None:
        raise LetterTemplateError(
            "a template printed an empty value (None); guard optional facts with {% if %}"
        )
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, datetime):
        return escape(moment(value))
    if isinstance(value, date):
        return escape(long_date(value))
    return escape(value)


@lru_cache(maxsize=16)
def environment(override_dir: Path | None = None) -> ImmutableSandboxedEnvironment:
    """One sandboxed environment per override directory (compiled templates are cached)."""
    loaders = [FileSystemLoader(str(BUILTIN_DIR))]
    if override_dir is not None:
        if not override_dir.is_dir():
            raise LetterTemplateError(f"template override directory {override_dir} is missing")
        loaders.insert(0, FileSystemLoader(str(override_dir)))
    env = ImmutableSandboxedEnvironment(
        loader=ChoiceLoader(loaders),
        undefined=StrictUndefined,
        autoescape=False,
        trim_blocks=False,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=finalize,
    )
    env.filters.update(
        esc=escape,
        long_date=long_date,
        short_date=short_date,
        moment=moment,
        date_range=date_range,
    )
    return env


@dataclass(frozen=True, slots=True)
class TemplateVersion:
    version: str
    origin: str


@dataclass(frozen=True, slots=True)
class _Source:
    digest: str
    declared: str | None
    references: tuple[str, ...]
    overridden: bool


_SOURCES: dict[tuple[str, str], _Source] = {}


def template_version(env: ImmutableSandboxedEnvironment, name: str) -> TemplateVersion:
    """Version of `name` as it would render now (sources re-read, so edits change it)."""
    seen: dict[str, _Source] = {}
    pending = [name]
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen[current] = source = _source(env, current)
        pending.extend(source.references)
    digest = hashlib.sha256()
    for template in sorted(seen):
        digest.update(f"{template}\0{seen[template].digest}\0".encode())
    declared = seen[name].declared or "unversioned"
    origin = "override" if any(s.overridden for s in seen.values()) else "builtin"
    return TemplateVersion(f"{declared}+{digest.hexdigest()[:12]}", origin)


def _source(env: ImmutableSandboxedEnvironment, name: str) -> _Source:
    assert env.loader is not None
    text, filename, _ = env.loader.get_source(env, name)
    digest = hashlib.sha256(text.encode()).hexdigest()
    key = (filename or name, digest)
    cached = _SOURCES.get(key)
    if cached is None:
        references = tuple(
            ref for ref in meta.find_referenced_templates(env.parse(text)) if ref is not None
        )
        declared = _DECLARED.search(text)
        overridden = filename is not None and not Path(filename).is_relative_to(BUILTIN_DIR)
        cached = _Source(digest, declared.group(1) if declared else None, references, overridden)
        _SOURCES[key] = cached
    return cached
