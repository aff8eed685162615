"""`priorauth payer`: the payer directory (list, show, import a YAML/JSON file, requires-pa).

Works on the case store directly, as the administrator running it (like `priorauth user`). An
import file holds `payers:`, a list of entries (docs/payers.md; deploy/payers.seed.yaml is one);
every entry is checked before anything is written, and all are written in one transaction, so a
bad file changes nothing. `priorauth dev` adds the seed file's payers that are missing.
"""

from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

# The store, pydantic models and yaml are imported inside the commands: the rest of the command
# line starts without them.
if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from domain.payer_directory import PayerEntry

payer_app = typer.Typer(help="The payer directory.", no_args_is_help=True)

_NUMBER_TAGS = frozenset({"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"})
SEED_FILE = Path(__file__).resolve().parents[1] / "deploy" / "payers.seed.yaml"


class PayerFileError(ValueError):
    """The import file cannot be read or an entry is invalid (the message names the field)."""


def load_payer_file(path: Path) -> list[PayerEntry]:
    """The entries of a YAML (or JSON) file of the form `payers: [entry, ...]`."""
    import yaml
    from pydantic import ValidationError

    from domain.errors import field_problems
    from domain.payer_directory import PayerFile

    class TextLoader(yaml.SafeLoader):
        """Numbers stay text: a code (27447, 00100) or ZIP code (06101) is read as written;
        the models turn a text amount into a number themselves."""

    TextLoader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag not in _NUMBER_TAGS]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    try:
        data: Any = yaml.load(path.read_text(encoding="utf-8"), Loader=TextLoader)
    except OSError as exc:
        raise PayerFileError(f"{path}: cannot read it ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise PayerFileError(f"{path}: not YAML or JSON{where}") from None
    if not isinstance(data, dict):
        raise PayerFileError("payers: the file must hold a `payers:` list of entries")
    try:
        return PayerFile.model_validate(data).payers
    except ValidationError as exc:
        raise PayerFileError(
            "\n".join(f"{p.field}: {p.message}" for p in field_problems(exc))
        ) from None


def import_payers(
    engine: Engine, entries: list[PayerEntry], *, actor: str, replace: bool = True
) -> list[tuple[str, str]]:
    """Write the entries in one transaction: (payer id, "added" / "replaced" / "kept") each.
    Without `replace`, payers already in the directory are kept as they are."""
    from store import payer_directory as directory
    from store.database import transaction
    from store.types import utcnow

    done = []
    with transaction(engine) as session:
        now = utcnow()
        for entry in entries:
            if not replace and directory.find_payer(session, entry.payer_id) is not None:
                done.append((entry.payer_id, "kept"))
                continue
            _, created = directory.put_payer(session, entry, actor=actor, now=now)
            done.append((entry.payer_id, "added" if created else "replaced"))
    return done


def seed_payers(database_url: str, path: Path = SEED_FILE) -> list[tuple[str, str]]:
    """`priorauth dev`: add the seed file's payers that are missing (edits are kept)."""
    from store.database import make_engine

    if not path.exists():
        return []
    engine = make_engine(database_url)
    try:
        return import_payers(engine, load_payer_file(path), actor="system:dev-seed", replace=False)
    finally:
        engine.dispose()


def _engine() -> Engine:
    from config.settings import get_settings
    from store.database import make_engine
    from store.migrate import prepare_schema

    settings = get_settings()
    url = settings.resolved_database_url
    prepare_schema(
        url,
        migrate=settings.effective_migrate_on_start,
        migration_url=settings.migration_database_url,
        runtime_role=settings.database_runtime_role,
    )
    return make_engine(url)


def _user() -> str:
    """Who runs the command (the actor recorded as the entry's last editor)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name for this uid (some containers)
        return "unknown"


def _fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code=2)


AsJson = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


@payer_app.command("list")
def list_payers(as_json: AsJson = False) -> None:
    """List the directory's payers: id, name, lines of business (regime: channel), rules."""
    from store import payer_directory as directory
    from store.database import read_session

    engine = _engine()
    try:
        with read_session(engine) as session:
            payers = directory.list_payers(session)
    finally:
        engine.dispose()
    if as_json:
        typer.echo(json.dumps([p.model_dump(mode="json") for p in payers], indent=2))
        return
    for payer in payers:
        lines = ", ".join(f"{line.regime.value}: {line.channel.value}" for line in payer.lines)
        typer.echo(f"{payer.payer_id:<12} {payer.name:<36} {payer.rule_count:>4} rules  {lines}")


@payer_app.command("show")
def show(
    payer_id: Annotated[str, typer.Argument(help="The payer's id.")], as_json: AsJson = False
) -> None:
    """Print the payer's entry, as YAML an import reads back (or JSON with --json)."""
    import yaml

    from store import payer_directory as directory
    from store.database import read_session

    engine = _engine()
    try:
        with read_session(engine) as session:
            record = directory.find_payer(session, payer_id)
    finally:
        engine.dispose()
    if record is None:
        raise _fail(f"payer_id: {payer_id} is not in the payer directory")
    if as_json:
        typer.echo(record.model_dump_json(indent=2))
        return
    fields = record.model_dump(mode="json", exclude={"updated_at", "updated_by"}, exclude_none=True)
    entry = {"payer_id": fields.pop("payer_id"), **fields}
    typer.echo(f"# updated {record.updated_at.isoformat()} by {record.updated_by}")
    typer.echo(yaml.safe_dump({"payers": [entry]}, sort_keys=False, allow_unicode=True), nl=False)


@payer_app.command("import")
def import_file(
    file: Annotated[Path, typer.Argument(help="YAML or JSON file with a `payers:` list.")],
    keep_existing: Annotated[
        bool,
        typer.Option("--keep-existing", help="Leave payers already in the directory unchanged."),
    ] = False,
) -> None:
    """Add or replace the payers of FILE (all or nothing)."""
    try:
        entries = load_payer_file(file)
    except PayerFileError as exc:
        raise _fail(str(exc)) from None
    engine = _engine()
    try:
        done = import_payers(engine, entries, actor=f"cli:{_user()}", replace=not keep_existing)
    finally:
        engine.dispose()
    for payer_id, what in done:
        typer.echo(f"{what} {payer_id}")


@payer_app.command("requires-pa")
def requires_pa(
    payer_id: Annotated[str, typer.Argument(help="The payer's id.")],
    code: Annotated[str, typer.Argument(help="A CPT or HCPCS code.")],
    regime: Annotated[
        str | None, typer.Option(help="Line of business, e.g. medicare_advantage.")
    ] = None,
    state: Annotated[str | None, typer.Option(help="Two-letter state, e.g. TX.")] = None,
    as_json: AsJson = False,
) -> None:
    """Does CODE need prior authorization at PAYER? required, not_required or unknown."""
    from domain.codes import normalize_procedure_code, normalize_state
    from domain.enums import Regime
    from store import payer_directory as directory
    from store.database import read_session

    try:
        code = normalize_procedure_code(code)
    except ValueError as exc:
        raise _fail(f"code: {exc}") from None
    try:
        state = normalize_state(state) if state else None
    except ValueError as exc:
        raise _fail(f"state: {exc}") from None
    try:
        line = Regime(regime) if regime else None
    except ValueError:
        names = ", ".join(r.value for r in Regime)
        raise _fail(f"regime: '{regime}' is not one of {names}") from None
    engine = _engine()
    try:
        with read_session(engine) as session:
            answer = directory.requires_pa(session, payer_id, code, line, state)
    finally:
        engine.dispose()
    if as_json:
        typer.echo(answer.model_dump_json(indent=2))
        return
    typer.echo(f"{answer.answer.value}: {answer.explanation}")
